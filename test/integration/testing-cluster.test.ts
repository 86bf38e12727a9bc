import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { MQClientManager, Producer, TransactionProducer, PushConsumer, type ConsumerMessage } from '../../src/client/index.js';
import type { Logger } from '../../src/common/logger.js';
import { enums } from '../../src/grpc/schema.js';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/index.js';
import { startDevCluster } from '../../src/testing/index.js';
import { RawMessagingClient } from '../helpers/grpc-client.js';
import { runLeakProbe } from '../helpers/leaks.js';
import { deferred } from '../helpers/wait.js';

const FLAG_SUSPEND = 0x2;
const FLAG_SUBSCRIPTION = 0x4;

describe('rocketmq-ts/testing: startDevCluster', () => {
  it('runs two clusters in one process on distinct ports, each with its own topics', async () => {
    await using a = await startDevCluster();
    await using b = await startDevCluster();
    const ports = [a.nameServer, a.brokerAddr, b.nameServer, b.brokerAddr];
    for (const addr of ports) assert.match(addr, /^127\.0\.0\.1:\d+$/);
    assert.equal(new Set(ports).size, 4);
    assert.notEqual(a.dataDir, b.dataDir);
    await a.createTopic('OnlyInA', { queues: 2 });
    assert.equal((await a.admin.topicRoute('OnlyInA')).queueDatas[0]?.readQueueNums, 2);
    await assert.rejects(b.admin.topicRoute('OnlyInA'));
  });

  it('keeps a given data dir, and starts again on it with its topics and messages', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rmq-testing-given-'));
    try {
      const manager = new MQClientManager();
      {
        await using cluster = await startDevCluster({ dataDir: dir });
        await cluster.createTopic('Kept', { queues: 1 });
        const producer = new Producer({ nameServer: cluster.nameServer, group: 'KeptPG', clientManager: manager });
        await producer.start();
        await producer.send({ topic: 'Kept', body: 'survives a restart' });
        await producer.shutdown();
      }
      assert.ok(existsSync(join(dir, 'broker', 'commitlog')), 'a given dir is kept');
      await using again = await startDevCluster({ dataDir: dir });
      const [offset] = await again.admin.topicStats('Kept');
      assert.equal(offset?.maxOffset, 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('leaves no timer, socket or file behind after stop (child process)', async () => {
    const testing = fileURLToPath(new URL('../../src/testing/index.js', import.meta.url));
    const client = fileURLToPath(new URL('../../src/client/index.js', import.meta.url));
    const { result, live } = await runLeakProbe(
      `
      const { existsSync } = await import('node:fs');
      const { startDevCluster } = await import(${JSON.stringify(testing)});
      const { Producer, PushConsumer } = await import(${JSON.stringify(client)});
      // A first cluster loads what loads once per process (the gRPC transport is imported when an endpoint first
      // starts, and may open stdio); what the second one leaves behind is what a cluster leaks.
      await (await startDevCluster({ grpc: true })).stop();
      const before = process.getActiveResourcesInfo().sort();
      const cluster = await startDevCluster({ grpc: true });
      const producer = new Producer({ nameServer: cluster.nameServer, group: 'LeakPG' });
      const consumer = new PushConsumer({ nameServer: cluster.nameServer, group: 'LeakCG', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
      const got = new Promise((resolve) => consumer.subscribe('Leak', '*', (m) => resolve(m.body.toString())));
      await producer.start();
      await producer.send({ topic: 'Leak', body: 'one' });
      await consumer.start();
      const body = await got;
      await consumer.shutdown();
      await producer.shutdown();
      await cluster.stop();
      await new Promise((resolve) => setImmediate(resolve));
      globalThis.probeResult = { body, before, after: process.getActiveResourcesInfo().sort(), dirLeft: existsSync(cluster.dataDir) };
    `,
      30_000,
    );
    const { body, before, after, dirLeft } = result as { body: string; before: string[]; after: string[]; dirLeft: boolean };
    assert.equal(body, 'one');
    assert.deepEqual(live, []);
    // Nothing that was not there before it started (stdio pipes are; a start-up CloseReq may have been).
    const remaining = [...before];
    const added = after.filter((type) => {
      const i = remaining.indexOf(type);
      if (i >= 0) remaining.splice(i, 1);
      return i < 0;
    });
    assert.deepEqual(added, [], `before ${before.join(', ')}; after ${after.join(', ')}`);
    assert.equal(dirLeft, false, 'the temp dir it made is removed');
  });

  it('reads brokerConfig as broker.conf: broker keys and store keys by their Java names', async () => {
    await using cluster = await startDevCluster({ brokerConfig: { brokerName: 'broker-x', maxMessageSize: 1024 } });
    const info = await cluster.admin.clusterInfo();
    assert.deepEqual([...info.brokerAddrTable.keys()], ['broker-x']);
    const producer = new Producer({ nameServer: cluster.nameServer, group: 'ConfPG', clientManager: new MQClientManager(), retryTimesWhenSendFailed: 0 });
    await producer.start();
    try {
      assert.equal((await producer.send({ topic: 'Conf', body: 'x'.repeat(512) })).status, 'SEND_OK');
      await assert.rejects(producer.send({ topic: 'Conf', body: 'x'.repeat(2048) }), /CODE: 13 .*illegal/);
    } finally {
      await producer.shutdown();
    }
  });

  it('refuses an unknown brokerConfig key, or one the cluster owns, with a clear error, and leaves no temp dir', async () => {
    // os.tmpdir() reads TMPDIR on each call: the clusters' temp dirs go where this test can count them.
    const parent = await mkdtemp(join(tmpdir(), 'rmq-testing-refused-'));
    const saved = process.env['TMPDIR'];
    process.env['TMPDIR'] = parent;
    try {
      await assert.rejects(startDevCluster({ brokerConfig: { brokerNmae: 'typo' } }), /unknown keys brokerNmae/);
      await assert.rejects(startDevCluster({ brokerConfig: { namesrvAddr: '10.0.0.1:9876' } }), /'namesrvAddr' is the test cluster's own/);
      await assert.rejects(startDevCluster({ brokerConfig: { listenPort: 'ten' } }), /listenPort.*must be a non-negative integer/);
      assert.deepEqual(await readdir(parent), []);
      // The count means something: a cluster that starts has its dir there until it stops.
      const started = await startDevCluster();
      assert.equal((await readdir(parent)).length, 1);
      await started.stop();
      assert.deepEqual(await readdir(parent), []);
    } finally {
      if (saved === undefined) delete process.env['TMPDIR'];
      else process.env['TMPDIR'] = saved;
      await rm(parent, { recursive: true, force: true });
    }
  });

  it('warns in one line when brokerIP1 is not where the broker listens (the container pitfall)', async () => {
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, warn: (message: string) => void warnings.push(message), error() {} };
    await using cluster = await startDevCluster({ brokerConfig: { brokerIP1: '203.0.113.7' }, logger });
    assert.equal(cluster.brokerAddr.startsWith('203.0.113.7:'), true);
    const pitfall = warnings.filter((w) => w.includes('brokerIP1'));
    assert.equal(pitfall.length, 1, warnings.join('\n'));
    assert.match(pitfall[0] ?? '', /brokerIP1 203\.0\.113\.7 .*listens on 127\.0\.0\.1 only.*bindAddress=0\.0\.0\.0/);
  });

  it('transactionCheckIntervalMs: a transaction left UNKNOW is checked well before Java’s 6 s minimum', async () => {
    await using cluster = await startDevCluster({ transactionCheckIntervalMs: 300 });
    const checked = deferred<string>();
    const producer = new TransactionProducer({
      nameServer: cluster.nameServer,
      group: 'TxPG',
      clientManager: new MQClientManager(),
      checkLocalTransaction: (message) => {
        checked.resolve(message.body.toString());
        return 'COMMIT_MESSAGE';
      },
    });
    await producer.start();
    try {
      const begin = Date.now();
      await producer.sendMessageInTransaction({ topic: 'Tx', body: 'pending' }, () => 'UNKNOW');
      assert.equal(await checked.promise, 'pending');
      const waited = Date.now() - begin;
      assert.ok(waited < 3000, `checked after ${waited} ms (Java's defaults: 6 s at least)`);
    } finally {
      await producer.shutdown();
    }
  });

  it('longPollingMaxMs: a caught-up pull asking for 15 s is answered empty after about 300 ms; a new message still wakes it at once', async () => {
    await using cluster = await startDevCluster({ longPollingMaxMs: 300 });
    await cluster.createTopic('Poll', { queues: 1 });
    const client = new RemotingClient();
    await client.start();
    const pull = (offset: number) =>
      client.invokeSync(
        cluster.brokerAddr,
        RemotingCommand.createRequestCommand(RequestCode.PULL_MESSAGE, {
          consumerGroup: 'PollCG',
          topic: 'Poll',
          queueId: 0,
          queueOffset: offset,
          maxMsgNums: 32,
          sysFlag: FLAG_SUBSCRIPTION | FLAG_SUSPEND,
          commitOffset: 0,
          suspendTimeoutMillis: 15_000,
          subscription: '*',
          subVersion: 0,
        }),
        20_000,
      );
    try {
      const begin = Date.now();
      const empty = await pull(0);
      const held = Date.now() - begin;
      assert.equal(empty.code, ResponseCode.PULL_NOT_FOUND);
      assert.ok(held >= 250 && held < 3000, `held ${held} ms`);

      const producer = new Producer({ nameServer: cluster.nameServer, group: 'PollPG', clientManager: new MQClientManager() });
      await producer.start();
      const parked = pull(0);
      const sentAt = Date.now();
      await producer.send({ topic: 'Poll', body: 'wake' });
      const woken = await parked;
      await producer.shutdown();
      assert.equal(woken.code, ResponseCode.SUCCESS);
      assert.ok(Date.now() - sentAt < 1000);
    } finally {
      await client.shutdown();
    }
  });

  it('messageDelayLevel: a delayed message and a consumer retry come back after the short levels', async () => {
    await using cluster = await startDevCluster({ messageDelayLevel: Array.from({ length: 18 }, () => '200ms').join(' ') });
    // Before the consumer starts: it finds the route at once instead of at its next route poll (30 s).
    await cluster.createTopic('Delay', { queues: 1 });
    const manager = new MQClientManager();
    const producer = new Producer({ nameServer: cluster.nameServer, group: 'DelayPG', clientManager: manager });
    const consumer = new PushConsumer({ nameServer: cluster.nameServer, group: 'DelayCG', clientManager: manager, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    const deliveries: { body: string; reconsumeTimes: number; at: number }[] = [];
    const retried = deferred();
    consumer.subscribe('Delay', '*', (message: ConsumerMessage) => {
      deliveries.push({ body: message.body.toString(), reconsumeTimes: message.reconsumeTimes, at: Date.now() });
      if (message.reconsumeTimes === 0) throw new Error('fail once: retry later');
      retried.resolve();
    });
    await producer.start();
    await consumer.start();
    try {
      const sentAt = Date.now();
      await producer.send({ topic: 'Delay', body: 'later', delayLevel: 3 });
      await retried.promise;
      assert.deepEqual(
        deliveries.map((d) => [d.body, d.reconsumeTimes]),
        [
          ['later', 0],
          ['later', 1],
        ],
      );
      assert.ok((deliveries[0]?.at ?? 0) - sentAt >= 150, 'the delayed message waited its level');
      assert.ok((deliveries[1]?.at ?? 0) - sentAt < 10_000, 'the retry came back on a short level');
    } finally {
      await consumer.shutdown();
      await producer.shutdown();
    }
  });

  it('timerPrecisionMs: a timer message fires after its delay, never early, and within its precision step', async () => {
    await using cluster = await startDevCluster({ timerPrecisionMs: 100 });
    await cluster.createTopic('Timer', { queues: 1 });
    const manager = new MQClientManager();
    const producer = new Producer({ nameServer: cluster.nameServer, group: 'TimerPG', clientManager: manager });
    const consumer = new PushConsumer({ nameServer: cluster.nameServer, group: 'TimerCG', clientManager: manager, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    const arrived = deferred<number>();
    consumer.subscribe('Timer', '*', () => arrived.resolve(Date.now()));
    await producer.start();
    await consumer.start();
    try {
      // Sent at x.800 s, a 300 ms timer is due at (x+1).100 s: a Java broker at its default 1 s precision fires it at
      // the end of that step, (x+2).000 s, about 1.2 s after the send; ours fires it at its time whatever the step.
      await new Promise((resolve) => setTimeout(resolve, (1800 - (Date.now() % 1000)) % 1000));
      const sentAt = Date.now();
      await producer.send({ topic: 'Timer', body: 'at +300 ms', delayTimeMs: 300 });
      const late = (await arrived.promise) - sentAt;
      assert.ok(late >= 300, `fired ${late} ms after the send`);
      assert.ok(late < 1000, `fired ${late} ms after the send`);
    } finally {
      await consumer.shutdown();
      await producer.shutdown();
    }
  });

  it('grpc: serves the 5.x protocol on its own free port, plaintext; longPollingMaxMs bounds an empty ReceiveMessage', async () => {
    await using cluster = await startDevCluster({ grpc: true, longPollingMaxMs: 300 });
    assert.match(cluster.grpcEndpoint ?? '', /^127\.0\.0\.1:\d+$/);
    const client = new RawMessagingClient(cluster.grpcEndpoint ?? '');
    try {
      const route = await client.unary('QueryRoute', { topic: { name: 'GrpcTopic' } });
      assert.equal(route.status?.code, enums.Code.OK, route.status?.message);
      const telemetry = client.telemetry();
      telemetry.send({
        settings: {
          clientType: enums.ClientType.SIMPLE_CONSUMER,
          requestTimeout: 3000,
          subscription: { group: { name: 'GrpcCG' }, subscriptions: [{ topic: { name: 'GrpcTopic' }, expression: { type: enums.FilterType.TAG, expression: '*' } }] },
        },
      });
      assert.equal((await telemetry.nth(1)).status?.code, enums.Code.OK);
      const empty = await client.receive({
        group: { name: 'GrpcCG' },
        messageQueue: { topic: { name: 'GrpcTopic' }, id: 0 },
        filterExpression: { type: enums.FilterType.TAG, expression: '*' },
        batchSize: 32,
        invisibleDuration: 10_000,
        autoRenew: false,
        longPollingTimeout: 15_000,
      });
      assert.equal(empty.elements[0]?.status?.code, enums.Code.MESSAGE_NOT_FOUND);
      assert.ok(empty.elapsed >= 250 && empty.elapsed < 3000, `a 15 s poll held ${empty.elapsed} ms`);
    } finally {
      client.close();
    }
  });
});
