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

describe('Prometheus metrics and health endpoints (dev --metrics-port)', () => {
  let dir: string;
  let dev: DevCluster;
  let base: string;
  const topic = 'OpsMetricsTopic';
  const group = 'OpsMetricsCG';

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
