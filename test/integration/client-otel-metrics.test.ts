import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AggregationTemporality, MeterProvider, MetricReader, DataPointType, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { enableOpenTelemetryMetrics, MQClientManager, Producer, PushConsumer } from '../../src/client/index.js';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import type { NamesrvController } from '../../src/namesrv/index.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

/** A reader the test collects from on demand (the SDK's own in-memory path, no exporter timer). */
class CollectingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

describe('OpenTelemetry bridge: the 5.x client metrics from instrumentation events, through @opentelemetry/sdk-metrics', () => {
  let dir: string;
  let namesrv: NamesrvController;
  let broker: BrokerController;
  let namesrvAddr: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-otel-'));
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    broker = await startTestBroker(dir, namesrvAddr);
  });
  after(async () => {
    await broker?.shutdown();
    await namesrv?.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it('records rocketmq_send_cost_time per send and rocketmq_process_time per consumed batch, with the 5.x buckets and labels', async () => {
    const reader = new CollectingReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const manager = new MQClientManager();
    const topic = 'OtelTopic';
    const producer = new Producer({ nameServer: namesrvAddr, group: 'OtelPG', clientIP: '127.0.0.1', clientManager: manager });
    const consumer = new PushConsumer({ nameServer: namesrvAddr, group: 'OtelCG', clientIP: '127.0.0.1', clientManager: manager, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    const stopProducer = await enableOpenTelemetryMetrics(producer, meterProvider);
    const stopConsumer = await enableOpenTelemetryMetrics(consumer, meterProvider);
    let consumed = 0;
    let producerClientId: string | undefined;
    try {
      await producer.start();
      producerClientId = producer.clientId;
      for (let i = 0; i < 3; i++) await producer.send({ topic, body: `otel ${i}` });
      consumer.subscribe(topic, '*', () => {
        consumed++;
        return 'CONSUME_SUCCESS';
      });
      await consumer.start();
      await waitFor(() => consumed >= 3, 30_000, 'the consumer to get the 3 messages');
    } finally {
      stopProducer();
      stopConsumer();
      await consumer.shutdown();
      await producer.shutdown();
    }
    const { resourceMetrics } = await reader.collect();
    const scope = resourceMetrics.scopeMetrics.find((s) => s.scope.name === 'org.apache.rocketmq.message');
    const histogram = (name: string): HistogramMetricData => {
      const metric = scope?.metrics.find((m) => m.descriptor.name === name);
      assert.equal(metric?.dataPointType, DataPointType.HISTOGRAM, name);
      return metric;
    };
    const send = histogram('rocketmq_send_cost_time');
    assert.equal(send.descriptor.unit, 'ms');
    const sendPoint = send.dataPoints[0];
    assert.deepEqual(sendPoint?.value.buckets.boundaries, [1, 5, 10, 20, 50, 200, 500]);
    assert.equal(sendPoint?.value.count, 3);
    assert.deepEqual(sendPoint?.attributes, { client_id: producerClientId, invocation_status: 'success' });

    const process = histogram('rocketmq_process_time');
    assert.deepEqual(process.dataPoints[0]?.value.buckets.boundaries, [1, 5, 10, 100, 1000, 10000, 60000]);
    assert.equal(process.dataPoints.reduce((n, p) => n + p.value.count, 0) >= 1, true);
    assert.deepEqual(
      { ...process.dataPoints[0]?.attributes, client_id: typeof process.dataPoints[0]?.attributes['client_id'] },
      { topic, consumer_group: 'OtelCG', client_id: 'string', invocation_status: 'success' },
    );
    await meterProvider.shutdown();
  });
});
