/**
 * The official RocketMQ 5.x Node SDK (rocketmq-client-nodejs 1.0.8, from npm, unchanged) as a producer against our
 * in-process broker's gRPC endpoint; what it sends is read back by our remoting PushConsumer, so both protocols
 * see the same messages.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import { PushConsumer, type ConsumerMessage } from '../../src/client/index.js';
import { defaultTopicConfig } from '../../src/protocol/bodies/topic-config.js';
import { startGrpcTestBroker, testTls, type GrpcTestBroker } from '../helpers/grpc-broker.js';
import { waitFor } from '../helpers/wait.js';
import { exitAfterNodeSdkTests, quietSdkLogger } from '../helpers/grpc-sdk.js';

const require = createRequire(import.meta.url);
const sdkPath = require.resolve('rocketmq-client-nodejs');
const sdk = require('rocketmq-client-nodejs') as typeof import('rocketmq-client-nodejs');
const fixtures = fileURLToPath(new URL('../../../test/fixtures/tls/', import.meta.url));
const COMMIT = 1;

exitAfterNodeSdkTests(after);
describe('Node SDK 1.0.8 producer against the broker’s gRPC endpoint', () => {
  let env: GrpcTestBroker;
  let broker: BrokerController;
  let endpoints: string;
  let consumer: PushConsumer;
  const received = new Map<string, ConsumerMessage[]>();
  const arrivals = new Map<string, number>();
  const checked: string[] = [];
  let producer: InstanceType<typeof sdk.Producer>;

  const got = (topic: string): ConsumerMessage[] => received.get(topic) ?? [];

  before(async () => {
    env = await startGrpcTestBroker({
      prefix: 'rmq-grpc-sdk-',
      broker: { transactionCheckInterval: 500, transactionTimeOut: 1000, transactionOpBatchInterval: 50 },
      grpc: { tls: await testTls(), autoCreateTopics: true, longPollingTimeoutMillis: 3000 },
      topics: { TopicNORMAL: 'NORMAL', TopicFIFO: 'FIFO', TopicDELAY: 'DELAY', TopicTRANSACTION: 'TRANSACTION' },
    });
    ({ broker, endpoint: endpoints } = env);
    consumer = new PushConsumer({ nameServer: env.namesrvAddr, group: 'GrpcSdkReader', clientIP: '127.0.0.1', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    for (const topic of ['TopicNORMAL', 'TopicFIFO', 'TopicDELAY', 'TopicTRANSACTION']) {
      consumer.subscribe(topic, '*', (msg) => {
        received.set(topic, [...got(topic), msg]);
        arrivals.set(msg.msgId, Date.now());
      });
    }
    await consumer.start();
    producer = new sdk.Producer({
      endpoints,
      namespace: '',
      logger: quietSdkLogger,
      topics: ['TopicNORMAL', 'TopicFIFO', 'TopicDELAY', 'TopicTRANSACTION'],
      checker: {
        check: (view) => {
          checked.push(view.messageId);
          return Promise.resolve(COMMIT);
        },
      },
    });
  });

  after(async () => {
    await producer.shutdown().catch(() => undefined);
    await consumer.shutdown();
    await env.stop();
  });

  it('starts a producer of four topics within seconds (the Settings re-push covers the SDK’s start-up race)', async () => {
    const begin = Date.now();
    await Promise.race([
      producer.startup(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('producer.startup() still pending after 10 s')), 10_000).unref()),
    ]);
    assert.ok(Date.now() - begin < 10_000);
  });

  it('sends NORMAL with tag, keys and properties; our remoting consumer reads them and the message id intact', async () => {
    const receipt = await producer.send({ topic: 'TopicNORMAL', tag: 'TagA', keys: ['k1', 'k2'], properties: new Map([['p1', 'v1']]), body: Buffer.from('normal') });
    assert.match(receipt.messageId, /^[0-9A-F]{34}$/);
    await waitFor(() => got('TopicNORMAL').some((m) => m.msgId === receipt.messageId), 10_000, 'the NORMAL message');
    const m = got('TopicNORMAL').find((x) => x.msgId === receipt.messageId) as ConsumerMessage;
    assert.equal(m.body.toString(), 'normal');
    assert.equal(m.tags, 'TagA');
    assert.deepEqual(m.keys, ['k1', 'k2']);
    assert.equal(m.properties['p1'], 'v1');
    assert.equal(m.queueOffset, receipt.offset);
  });

  it('sends FIFO ×3 with one message group to one queue, in order', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await producer.send({ topic: 'TopicFIFO', messageGroup: 'g1', body: Buffer.from(`fifo-${i}`) })).messageId);
    await waitFor(() => ids.every((id) => got('TopicFIFO').some((m) => m.msgId === id)), 10_000, 'three FIFO messages');
    const mine = ids.map((id) => got('TopicFIFO').find((m) => m.msgId === id) as ConsumerMessage);
    assert.equal(new Set(mine.map((m) => m.queueId)).size, 1, 'one queue for the group');
    assert.deepEqual(
      mine.map((m) => m.queueOffset - (mine[0]?.queueOffset ?? 0)),
      [0, 1, 2],
    );
    assert.deepEqual(mine.map((m) => m.properties['__SHARDINGKEY']), ['g1', 'g1', 'g1']);
  });

  it('sends DELAY +2 s: not delivered before its time, delivered after', async () => {
    const due = Date.now() + 2000;
    const receipt = await producer.send({ topic: 'TopicDELAY', deliveryTimestamp: new Date(due), body: Buffer.from('delayed') });
    assert.notEqual(receipt.recallHandle, '');
    await waitFor(() => arrivals.has(receipt.messageId), 10_000, 'the delayed message');
    // The timer wheel fires slots of timerPrecisionMs (1 s): never earlier than one slot before the due time.
    assert.ok((arrivals.get(receipt.messageId) ?? 0) >= due - 1000, `arrived ${due - (arrivals.get(receipt.messageId) ?? 0)} ms early`);
  });

  it('commits and rolls back transactions: the committed message is consumed, the rolled-back one never', async () => {
    const rolled = producer.beginTransaction();
    const r1 = await producer.send({ topic: 'TopicTRANSACTION', body: Buffer.from('tx-rollback') }, rolled);
    await rolled.rollback();
    const committed = producer.beginTransaction();
    const r2 = await producer.send({ topic: 'TopicTRANSACTION', body: Buffer.from('tx-commit') }, committed);
    assert.equal(r2.transactionId, r2.messageId);
    await committed.commit();
    await waitFor(() => arrivals.has(r2.messageId), 10_000, 'the committed message');
    const m = got('TopicTRANSACTION').find((x) => x.msgId === r2.messageId) as ConsumerMessage;
    assert.equal(m.body.toString(), 'tx-commit');
    // Consumed in queue order: had the rolled-back half been written to its topic, it would be there already.
    assert.equal(arrivals.has(r1.messageId), false);
  });

  it('resolves an orphaned transaction: the broker’s check reaches the producer over Telemetry, its COMMIT delivers', async () => {
    const tx = producer.beginTransaction();
    const receipt = await producer.send({ topic: 'TopicTRANSACTION', body: Buffer.from('tx-orphan') }, tx);
    // Neither commit nor rollback: the broker asks after transactionTimeOut (1 s), every 500 ms.
    await waitFor(() => checked.includes(receipt.messageId), 15_000, 'the transaction checker');
    await waitFor(() => arrivals.has(receipt.messageId), 10_000, 'the message committed by the check');
    assert.equal(checked.filter((id) => id === receipt.messageId).length >= 1, true);
  });

  it('sends in a namespace: the message is stored in ns%topic, where remoting clients of that namespace find it', async () => {
    await broker.topicConfigManager.updateTopicConfig({ ...defaultTopicConfig('ns1%TopicNS'), readQueueNums: 2, writeQueueNums: 2 });
    const namespaced = new sdk.Producer({ endpoints, namespace: 'ns1', logger: quietSdkLogger, topics: ['TopicNS'] });
    await namespaced.startup();
    try {
      const receipt = await namespaced.send({ topic: 'TopicNS', body: Buffer.from('in ns1') });
      assert.ok(receipt.offset >= 0);
      assert.equal([0, 1].reduce((sum, q) => sum + broker.messageStore.getMaxOffsetInQueue('ns1%TopicNS', q), 0), 1);
    } finally {
      await namespaced.shutdown();
    }
  });

  it('refuses a message of the wrong type before sending (the route’s accept_message_types)', async () => {
    await assert.rejects(producer.send({ topic: 'TopicFIFO', body: Buffer.from('no group') }), TypeError);
  });

  // grpc-js's createSsl() (what sslEnabled uses) trusts GRPC_DEFAULT_SSL_ROOTS_FILE_PATH; with NODE_EXTRA_CA_CERTS alone
  // it still fails with "self-signed certificate" (grpc-js 1.14.7, Node 20), although plain tls.connect trusts it.
  it('sends over TLS with sslEnabled when GRPC_DEFAULT_SSL_ROOTS_FILE_PATH trusts the endpoint’s certificate', async () => {
    const script = `
      const { Producer } = require(${JSON.stringify(sdkPath)});
      const quietSdkLogger = { info() {}, warn() {}, debug() {}, close() {}, error() {} };
      (async () => {
        const p = new Producer({ endpoints: ${JSON.stringify(endpoints)}, namespace: '', sslEnabled: true, logger: quietSdkLogger });
        await p.startup();
        const r = await p.send({ topic: 'TopicNORMAL', body: Buffer.from('over-tls') });
        await p.shutdown();
        process.stdout.write(JSON.stringify({ messageId: r.messageId }));
        process.exit(0);
      })().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });`;
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['-e', script], { env: { ...process.env, GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: `${fixtures}server.crt` }, timeout: 30_000 }, (err, stdout, stderr) =>
        err === null ? resolve(stdout) : reject(new Error(`${err.message}\n${stderr}`)),
      );
    });
    const { messageId } = JSON.parse(out) as { messageId: string };
    await waitFor(() => arrivals.has(messageId), 10_000, 'the message sent over TLS');
    assert.equal(got('TopicNORMAL').find((m) => m.msgId === messageId)?.body.toString(), 'over-tls');
  });
});
