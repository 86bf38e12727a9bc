import { RequestCode } from '../protocol/request-code.js';
import { ResponseCode } from '../protocol/response-code.js';
import { MQClientError } from './errors.js';
import type { RemoveInstrumentationListener } from './instrumentation.js';
import type { PushConsumer } from './consumer/push-consumer.js';
import type { Producer } from './producer/producer.js';

/** ClientMeterManager's instrumentation scope (apache/rocketmq-clients, java). */
const METER_NAME = 'org.apache.rocketmq.message';
/** HistogramEnum: rocketmq_send_cost_time's buckets (ms). */
const SEND_COST_BUCKETS = [1, 5, 10, 20, 50, 200, 500];
/** HistogramEnum: rocketmq_process_time's buckets (ms). */
const PROCESS_TIME_BUCKETS = [1, 5, 10, 100, 1000, 10000, 60000];

/** @opentelemetry/api's MeterProvider, as far as the bridge uses it (the package is an optional peer dependency). */
export interface OpenTelemetryMeterProvider {
  getMeter(name: string): {
    createHistogram(
      name: string,
      options: { description: string; unit: string; advice: { explicitBucketBoundaries: number[] } },
    ): { record(value: number, attributes: Record<string, string>): void };
  };
}

/** The package, named in a variable: TypeScript must not resolve it (it need not be installed), Node loads it on demand. */
const OPENTELEMETRY_API = '@opentelemetry/api';

const SEND_CODES: ReadonlySet<number> = new Set([RequestCode.SEND_MESSAGE, RequestCode.SEND_MESSAGE_V2, RequestCode.SEND_BATCH_MESSAGE]);

/**
 * The 5.x clients' standard metrics recorded through `@opentelemetry/api`, fed by a client's instrumentation events:
 * a producer's `rocketmq_send_cost_time` (each send request's round trip; the network event names no topic, so
 * the series carry client_id and invocation_status), a push consumer's `rocketmq_process_time` (each batch handed
 * to the listener, labelled topic, consumer_group, client_id and invocation_status). `@opentelemetry/api` is an
 * optional peer dependency, loaded only when no `meterProvider` is given (the global one is used then).
 * Returns the function that stops recording.
 */
export async function enableOpenTelemetryMetrics(
  client: Producer | PushConsumer,
  meterProvider?: OpenTelemetryMeterProvider,
): Promise<RemoveInstrumentationListener> {
  let provider = meterProvider;
  if (provider === undefined) {
    const api = await (import(OPENTELEMETRY_API) as Promise<{ metrics: { getMeterProvider(): OpenTelemetryMeterProvider } }>).catch((err: unknown) => {
      throw new MQClientError(`OpenTelemetry metrics need the optional peer dependency ${OPENTELEMETRY_API} (npm install ${OPENTELEMETRY_API})`, { cause: err });
    });
    provider = api.metrics.getMeterProvider();
  }
  const meter = provider.getMeter(METER_NAME);
  const status = (success: boolean): string => (success ? 'success' : 'failure');
  if ('group' in client) {
    const sendCost = meter.createHistogram('rocketmq_send_cost_time', {
      description: 'Time spent in sending a message',
      unit: 'ms',
      advice: { explicitBucketBoundaries: SEND_COST_BUCKETS },
    });
    return client.on('producer.network.request', ({ payload }) => {
      if (!SEND_CODES.has(payload.code)) return;
      const attributes = { client_id: client.clientId ?? '', invocation_status: status(payload.responseCode === ResponseCode.SUCCESS) };
      sendCost.record(payload.duration, attributes);
    });
  }
  const processTime = meter.createHistogram('rocketmq_process_time', {
    description: 'Time spent in processing a message by the listener',
    unit: 'ms',
    advice: { explicitBucketBoundaries: PROCESS_TIME_BUCKETS },
  });
  return client.on('consumer.consume_end', ({ payload }) => {
    processTime.record(payload.duration, {
      topic: payload.queue.topic,
      consumer_group: client.groupName,
      client_id: client.clientId ?? '',
      invocation_status: status(payload.result === 'CONSUME_SUCCESS'),
    });
  });
}
