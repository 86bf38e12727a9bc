/**
 * What users of other RocketMQ clients ask for (peers-and-users.md): a consumer that rides out a broker restart
 * on a new address without being restarted itself, and a shutdown that lets consumption in progress finish and
 * commits it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import { Admin, MQClientManager, Producer, PushConsumer } from '../../src/client/index.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { deferred, waitFor } from '../helpers/wait.js';

const BROKER_NAME = 'broker-r';

describe('PushConsumer recovery and shutdown', () => {
  let dir: string;
  let namesrv: NamesrvController;
  let namesrvAddr: string;
  let broker: BrokerController | undefined;
  const manager = new MQClientManager();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-consumer-recovery-'));
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    broker = await startTestBroker(dir, namesrvAddr, { broker: { brokerName: BROKER_NAME } });
  });
  after(async () => {
    await broker?.shutdown();
    await namesrv.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps consuming after its broker restarts on another port, without being restarted', async () => {
    const topic = 'RecoveryT';
    // Short route and heartbeat periods so the test sees the new address within seconds (Java: 30 s each).
    const clientOptions = { nameServer: namesrvAddr, clientIP: '127.0.0.1', clientManager: manager, pollNameServerInterval: 500, heartbeatBrokerInterval: 500 };
    const producer = new Producer({ ...clientOptions, group: 'RecoveryPG', instanceName: 'recovery-producer' });
    await producer.start();
    const received = new Set<string>();
    const consumer = new PushConsumer({ ...clientOptions, group: 'RecoveryCG', instanceName: 'recovery-consumer', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    consumer.subscribe(topic, '*', (msg) => void received.add(msg.body.toString()));
    try {
      for (let i = 0; i < 8; i++) await producer.send({ topic, body: `before-${i}` });
      await consumer.start();
      await waitFor(() => received.size === 8, 20_000, 'the messages sent before the restart');

      const oldAddr = broker!.brokerAddr;
      await broker!.shutdown();
      // The same store, on a fresh port: the name server now routes the topic to a new address.
      broker = await startTestBroker(dir, namesrvAddr, { broker: { brokerName: BROKER_NAME } });
      assert.notEqual(broker.brokerAddr, oldAddr, 'the broker came back on another address');

      // The producer too finds the new address by itself; its retries cover the sends made before the refresh.
      for (let i = 0; i < 8; i++) {
        await waitForSend(() => producer.send({ topic, body: `after-${i}` }), 20_000);
      }
      await waitFor(() => received.size === 16, 30_000, `the messages sent after the restart (have ${[...received].sort().join(',')})`);
      for (let i = 0; i < 8; i++) assert.ok(received.has(`after-${i}`), `after-${i}`);
    } finally {
      await consumer.shutdown();
      await producer.shutdown();
    }
  });

  it('shutdown waits for the listener call in progress, then commits its offset', async () => {
    const topic = 'DrainT';
    const group = 'DrainCG';
    const producer = new Producer({ nameServer: namesrvAddr, group: 'DrainPG', clientIP: '127.0.0.1', clientManager: manager });
    await producer.start();
    const sent = await producer.send({ topic, body: 'slow' });
    await producer.shutdown();

    const started = deferred();
    const release = deferred();
    const order: string[] = [];
    const consumer = new PushConsumer({ nameServer: namesrvAddr, group, clientIP: '127.0.0.1', clientManager: manager, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    consumer.subscribe(topic, '*', async () => {
      started.resolve();
      await release.promise;
      order.push('listener done');
    });
    await consumer.start();
    await started.promise;
    const stopping = consumer.shutdown().then(() => order.push('shutdown done'));
    // Let the shutdown run as far as it can on its own: it must stop at the listener still in progress.
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(order, [], 'shutdown did not return while the listener ran');
    release.resolve();
    await stopping;
    assert.deepEqual(order, ['listener done', 'shutdown done']);

    const admin = new Admin({ nameServer: namesrvAddr, clientIP: '127.0.0.1', clientManager: manager });
    await admin.start();
    try {
      const committed = await admin.queryConsumerOffset(broker!.brokerAddr, group, sent.messageQueue);
      assert.equal(committed, sent.queueOffset + 1, 'the consumed message is committed at shutdown');
    } finally {
      await admin.shutdown();
    }
  });
});

/** Retries a send until the client has found the broker's new address (each failure is a typed client error). */
async function waitForSend(send: () => Promise<unknown>, timeoutMillis: number): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  for (;;) {
    try {
      await send();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
