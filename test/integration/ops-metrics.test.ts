import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDev, type DevCluster } from '../../src/cli/dev.js';
import { silentLogger } from '../../src/common/logger.js';
import { MQClientManager, Producer } from '../../src/client/index.js';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/index.js';
import { parsePrometheusText } from '../helpers/prometheus-text.js';

/** The compiled CLI next to this test (the same code as dist/cli/main.js). */
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Runs `rocketmq-ts` as a child process (the event loop keeps serving the in-process cluster). */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { env: { ...process.env, NAMESRV_ADDR: '' }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

/**
 * The families Java 5.3.3's broker serves with metricsExporterType=PROM, as served (unit suffixes appended), with
 * the labels each carries besides cluster, node_type, node_id and otel_scope_name. From
 * /work/shared/reference/ecosystem-ops.md §2.1 (observed on a running 5.3.3 broker) and the 5.3.3 sources
 * (BrokerMetricsManager, RemotingMetricsManager, DefaultStoreMetricsManager, PopMetricsManager; OpenTelemetry
 * 1.29's exporter turns the unit "ms" into "_milliseconds"). Not read from a live Java broker here: the interop
 * suite's 5.3.3 brokers run without PROM, and one more JVM start did not fit this change.
 */
const STORE = ['storage_type', 'storage_medium'];
const JAVA_533_FAMILIES: Readonly<Record<string, readonly string[]>> = {
  rocketmq_messages_in_total: ['topic', 'message_type', 'is_system'],
  rocketmq_throughput_in_total: ['topic', 'message_type', 'is_system'],
  rocketmq_messages_out_total: ['topic', 'consumer_group', 'is_system'],
  rocketmq_throughput_out_total: ['topic', 'consumer_group', 'is_system'],
  rocketmq_message_size: ['topic', 'message_type', 'is_system', 'le'],
  rocketmq_rpc_latency_milliseconds: ['protocol_type', 'is_long_polling', 'request_code', 'response_code', 'result', 'le'],
  rocketmq_consumer_lag_messages: ['consumer_group', 'topic', 'is_retry', 'is_system'],
  rocketmq_consumer_lag_latency_milliseconds: ['consumer_group', 'topic', 'is_retry', 'is_system'],
  rocketmq_consumer_inflight_messages: ['consumer_group', 'topic', 'is_retry', 'is_system'],
  rocketmq_consumer_queueing_latency_milliseconds: ['consumer_group', 'topic', 'is_retry', 'is_system'],
  rocketmq_consumer_ready_messages: ['consumer_group', 'topic', 'is_retry', 'is_system'],
  rocketmq_consumer_connections: ['consumer_group', 'language', 'version', 'consume_mode', 'protocol_type', 'is_system'],
  rocketmq_producer_connections: ['language', 'version', 'protocol_type'],
  rocketmq_topic_number: [],
  rocketmq_consumer_group_number: [],
  rocketmq_broker_permission: [],
  rocketmq_processor_watermark: ['processor'],
  rocketmq_storage_size_bytes: STORE,
  rocketmq_storage_flush_behind_bytes: STORE,
  rocketmq_storage_dispatch_behind_bytes: STORE,
  rocketmq_storage_message_reserve_time_milliseconds: STORE,
  rocketmq_timer_enqueue_lag: STORE,
  rocketmq_timer_enqueue_latency_milliseconds: STORE,
  rocketmq_timer_dequeue_lag: STORE,
  rocketmq_timer_dequeue_latency_milliseconds: STORE,
  rocketmq_timing_messages: [...STORE, 'topic'],
  rocketmq_timer_enqueue_total: [...STORE, 'topic'],
  rocketmq_timer_dequeue_total: [...STORE, 'topic'],
  rocketmq_timer_message_snapshot: [...STORE, 'timer_bound_s'],
  rocketmq_delay_message_latency_seconds: [...STORE, 'topic', 'le'],
  rocketmq_pop_revive_lag_milliseconds: ['queue_id'],
  rocketmq_pop_revive_latency_milliseconds: ['queue_id'],
  rocketmq_pop_offset_buffer_size: [],
  rocketmq_pop_checkpoint_buffer_size: [],
  rocketmq_pop_buffer_scan_time_consume_milliseconds: ['le'],
  rocketmq_pop_revive_in_message_total: ['consumer_group', 'topic', 'revive_message_type', 'put_status'],
  rocketmq_pop_revive_out_message_total: ['consumer_group', 'topic', 'queue_id', 'revive_message_type'],
  rocketmq_pop_revive_retry_messages_total: ['consumer_group', 'topic', 'put_status'],
  rocketmq_send_to_dlq_messages_total: ['consumer_group', 'topic', 'is_system'],
  rocketmq_commit_messages_total: ['topic'],
  rocketmq_rollback_messages_total: ['topic'],
  rocketmq_finish_message_latency_milliseconds: ['topic', 'le'],
  rocketmq_half_messages: ['topic'],
  rocketmq_topic_create_execution_time_milliseconds: ['invocation_status', 'is_system', 'le'],
  rocketmq_consumer_group_create_execution_time_milliseconds: ['invocation_status', 'le'],
};
/** Java 5.3.3 families we do not serve yet (docs/COMPATIBILITY.md says why). */
const NOT_YET = new Set(['rocketmq_half_messages', 'rocketmq_pop_buffer_scan_time_consume_milliseconds']);
/** Families Java serves only once something happened (a DLQ send, a transaction end, a group created, a timer message, a client connected). */
const WHEN_USED = new Set([
  'rocketmq_send_to_dlq_messages_total',
  'rocketmq_commit_messages_total',
  'rocketmq_rollback_messages_total',
  'rocketmq_finish_message_latency_milliseconds',
  'rocketmq_consumer_group_create_execution_time_milliseconds',
  'rocketmq_delay_message_latency_seconds',
  'rocketmq_producer_connections',
  'rocketmq_consumer_connections',
  'rocketmq_timing_messages',
  'rocketmq_timer_enqueue_total',
  'rocketmq_timer_dequeue_total',
  'rocketmq_pop_revive_in_message_total',
  'rocketmq_pop_revive_out_message_total',
  'rocketmq_pop_revive_retry_messages_total',
]);
const COMMON_LABELS = new Set(['cluster', 'node_type', 'node_id', 'otel_scope_name']);

describe('Prometheus metrics and health endpoints (dev --metrics-port)', () => {
  let dir: string;
  let dev: DevCluster;
  let base: string;
  const topic = 'OpsMetricsTopic';
  const group = 'OpsMetricsCG';
  const emptyTopic = 'OpsMetricsEmptyTopic';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-metrics-'));
    dev = await startDev({ namesrvPort: 0, brokerPort: 0, dataDir: dir, brokerIP: '127.0.0.1', metricsPort: 0, logger: silentLogger });
    base = `http://127.0.0.1:${dev.broker.metricsPort ?? 0}`;
    const manager = new MQClientManager();
    const producer = new Producer({ nameServer: dev.namesrvAddr, group: 'OpsMetricsPG', clientIP: '127.0.0.1', clientManager: manager });
    await producer.start();
    try {
      for (let i = 0; i < 3; i++) await producer.send({ topic, body: Buffer.from(`m${i}`) });
    } finally {
      await producer.shutdown();
    }
    const client = new RemotingClient();
    await client.start();
    try {
      for (let queueId = 0; queueId < 4; queueId++) {
        const header = { consumerGroup: group, topic, queueId, queueOffset: 0, maxMsgNums: 1, sysFlag: 0x4, commitOffset: 0, suspendTimeoutMillis: 0, subscription: '*', subVersion: 0 };
        await client.invokeSync(dev.broker.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.PULL_MESSAGE, header), 3000);
        const commit = { consumerGroup: group, topic, queueId, commitOffset: 0 };
        const committed = await client.invokeSync(dev.broker.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.UPDATE_CONSUMER_OFFSET, commit), 3000);
        assert.equal(committed.code, ResponseCode.SUCCESS);
      }
      const create = { topic: emptyTopic, defaultTopic: 'TBW102', readQueueNums: 1, writeQueueNums: 1, perm: 6, topicFilterType: 'SINGLE_TAG', order: false };
      const created = await client.invokeSync(dev.broker.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.UPDATE_AND_CREATE_TOPIC, create), 3000);
      assert.equal(created.code, ResponseCode.SUCCESS);
      // A pull of an empty queue with FLAG_SUSPEND (2) is parked, then answered PULL_NOT_FOUND when its time is up.
      const held = { consumerGroup: group, topic: emptyTopic, queueId: 0, queueOffset: 0, maxMsgNums: 1, sysFlag: 0x2 | 0x4, commitOffset: 0, suspendTimeoutMillis: 200, subscription: '*', subVersion: 0 };
      const answer = await client.invokeSync(dev.broker.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.PULL_MESSAGE, held), 30_000);
      assert.equal(answer.code, ResponseCode.PULL_NOT_FOUND);
    } finally {
      await client.shutdown();
    }
  });
  after(async () => {
    await dev.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves Java 5.x family names with the cluster, node_type and node_id labels, in strict text format', async () => {
    const response = await fetch(`${base}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const families = parsePrometheusText(await response.text());
    for (const name of [
      'rocketmq_messages_in_total',
      'rocketmq_throughput_in_total',
      'rocketmq_messages_out_total',
      'rocketmq_consumer_lag_messages',
      'rocketmq_consumer_lag_latency_milliseconds',
      'rocketmq_topic_number',
      'rocketmq_consumer_group_number',
      'rocketmq_broker_permission',
      'rocketmq_storage_size_bytes',
      'rocketmq_storage_flush_behind_bytes',
    ]) {
      assert.ok(families.has(name), name);
    }
    const inTotal = families.get('rocketmq_messages_in_total');
    assert.equal(inTotal?.type, 'counter');
    const ours = inTotal?.samples.find((s) => s.labels['topic'] === topic);
    assert.equal(ours?.value, 3);
    assert.deepEqual(
      { cluster: ours?.labels['cluster'], node_type: ours?.labels['node_type'], node_id: ours?.labels['node_id'], message_type: ours?.labels['message_type'], is_system: ours?.labels['is_system'] },
      { cluster: 'DefaultCluster', node_type: 'broker', node_id: 'broker-a', message_type: 'normal', is_system: 'false' },
    );
    assert.ok((ours?.timestamp ?? 0) > 0);
    const out = families.get('rocketmq_messages_out_total')?.samples.find((s) => s.labels['topic'] === topic && s.labels['consumer_group'] === group);
    assert.ok((out?.value ?? 0) >= 1);
    // Every offset committed at 0: the whole topic is lag.
    const lag = families.get('rocketmq_consumer_lag_messages')?.samples.find((s) => s.labels['topic'] === topic && s.labels['consumer_group'] === group);
    assert.equal(lag?.value, 3);
    assert.equal(lag?.labels['is_retry'], 'false');
    assert.equal(families.get('rocketmq_broker_permission')?.samples[0]?.value, 6);
  });

  it('serves the rpc latency, message size and create time histograms, and inflight and ready messages', async () => {
    const families = parsePrometheusText(await (await fetch(`${base}/metrics`)).text());
    const rpc = families.get('rocketmq_rpc_latency_milliseconds');
    assert.equal(rpc?.type, 'histogram');
    // Java's buckets (ms), then +Inf.
    const pullBuckets = rpc.samples.filter((s) => s.series.endsWith('_bucket') && s.labels['request_code'] === 'pull_message' && s.labels['is_long_polling'] === 'false');
    assert.deepEqual([...new Set(pullBuckets.map((s) => s.labels['le']))], ['1.0', '3.0', '5.0', '7.0', '10.0', '100.0', '1000.0', '2000.0', '3000.0', '+Inf']);
    const count = (labels: Record<string, string>): number | undefined =>
      rpc.samples.find((s) => s.series === 'rocketmq_rpc_latency_milliseconds_count' && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    assert.equal(count({ request_code: 'update_and_create_topic', response_code: 'success', result: 'success', protocol_type: 'remoting', is_long_polling: 'false' }), 1);
    // The parked pull is labelled is_long_polling and took at least its suspend time.
    const held = rpc.samples.find((s) => s.series.endsWith('_sum') && s.labels['request_code'] === 'pull_message' && s.labels['is_long_polling'] === 'true');
    assert.equal(held?.labels['response_code'], 'pull_not_found');
    assert.ok((held?.value ?? 0) >= 150, String(held?.value));
    assert.equal(held?.labels['node_type'], 'broker');

    const size = families.get('rocketmq_message_size');
    assert.equal(size?.type, 'histogram');
    const ours = (series: string, le?: string): number | undefined =>
      size.samples.find((s) => s.series === series && s.labels['topic'] === topic && (le === undefined || s.labels['le'] === le))?.value;
    assert.deepEqual([ours('rocketmq_message_size_count'), ours('rocketmq_message_size_bucket', '1024.0'), ours('rocketmq_message_size_bucket', '+Inf')], [3, 3, 3]);
    assert.ok((ours('rocketmq_message_size_sum') ?? 0) > 3 * 50);

    const created = families.get('rocketmq_topic_create_execution_time_milliseconds')?.samples.find((s) => s.series.endsWith('_count'));
    assert.deepEqual([created?.value, created?.labels['invocation_status'], created?.labels['is_system']], [1, 'success', 'false']);

    // Each queue that had a message was pulled one message ahead of its commit at 0: inflight and ready share the lag.
    const pick = (name: string): number | undefined => families.get(name)?.samples.find((s) => s.labels['topic'] === topic && s.labels['consumer_group'] === group)?.value;
    const inflight = pick('rocketmq_consumer_inflight_messages') ?? -1;
    assert.ok(inflight >= 1 && inflight <= 3, String(inflight));
    assert.equal(inflight + (pick('rocketmq_consumer_ready_messages') ?? -1), 3);
    assert.ok((pick('rocketmq_consumer_queueing_latency_milliseconds') ?? -1) >= 0);
    // The timer wheel is on by default: its families are served, as Java's with timerWheelEnable.
    for (const name of ['rocketmq_timer_enqueue_lag', 'rocketmq_timer_dequeue_latency_milliseconds', 'rocketmq_timer_message_snapshot', 'rocketmq_pop_revive_lag_milliseconds']) {
      assert.ok(families.has(name), name);
    }
  });

  it("serves Java 5.3.3's families under its names and label names, and no family Java does not have", async () => {
    const families = parsePrometheusText(await (await fetch(`${base}/metrics`)).text());
    for (const name of families.keys()) assert.ok(name in JAVA_533_FAMILIES, `${name} is not a Java 5.3.3 family`);
    const missing = Object.keys(JAVA_533_FAMILIES).filter((name) => !families.has(name) && !NOT_YET.has(name) && !WHEN_USED.has(name));
    assert.deepEqual(missing, []);
    for (const [name, family] of families) {
      const labels = new Set(family.samples.flatMap((sample) => Object.keys(sample.labels).filter((label) => !COMMON_LABELS.has(label))));
      assert.deepEqual([...labels].sort(), [...(JAVA_533_FAMILIES[name] ?? [])].sort(), name);
    }
    // Families served / Java's: the count docs/COMPATIBILITY.md states.
    const served = Object.keys(JAVA_533_FAMILIES).filter((name) => !NOT_YET.has(name)).length;
    assert.equal(`${served}/${Object.keys(JAVA_533_FAMILIES).length}`, '43/45');
  });

  it('answers /healthz and /readyz, 404 for other paths and 405 for other methods', async () => {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const ready = await fetch(`${base}/readyz`);
    assert.deepEqual([ready.status, await ready.text()], [200, 'ready\n']);
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    assert.equal((await fetch(`${base}/metrics`, { method: 'POST', body: 'x' })).status, 405);
  });

  it('rocketmq-ts health exits 0 for a healthy name server or broker, 1 for a server that is not one, 2 on bad usage', async () => {
    const namesrv = await cli(['health', '-n', dev.namesrvAddr]);
    assert.deepEqual([namesrv.code, namesrv.stdout], [0, 'name server is healthy (1 broker registered)\n']);
    const broker = await cli(['health', '-b', dev.broker.brokerAddr, '--json']);
    assert.equal(broker.code, 0, broker.stderr);
    assert.deepEqual(JSON.parse(broker.stdout), { broker: dev.broker.brokerAddr, healthy: true, version: 'V5_3_3' });
    // The name server does not serve GET_BROKER_RUNTIME_INFO: not a healthy broker.
    const wrong = await cli(['health', '-b', dev.namesrvAddr]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /not supported/);
    assert.equal((await cli(['health', 'extra'])).code, 2);
  });
});
