import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  AllocateMessageQueueAveragely,
  MQClientManager,
  Producer,
  PushConsumer,
  type ConsumerMessage,
  type MessageQueue,
  type PushConsumerOptions,
} from '../../src/client/index.js';
import { compareMessageQueue } from '../../src/client/consumer/allocate-strategy.js';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/index.js';
import { startDevCluster, type DevCluster } from '../../src/testing/index.js';
import { runLeakProbe } from '../helpers/leaks.js';
import { waitFor } from '../helpers/wait.js';

describe('PushConsumer against our broker', () => {
  let dir: string;
  let cluster: DevCluster;
  let manager: MQClientManager;
  let producer: Producer;
  let seq = 0;
  const consumerOptions = (group: string, extra: Partial<PushConsumerOptions> = {}): PushConsumerOptions => ({
    nameServer: cluster.nameServer,
    group,
    clientIP: '127.0.0.1',
    clientManager: manager,
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
    ...extra,
  });
  /** A fresh topic with `count` messages already stored, tags alternating TagA/TagB. */
  async function topicWith(count: number, extra: (i: number) => object = () => ({})): Promise<string> {
    const topic = `ConsumerT${++seq}`;
    for (let i = 0; i < count; i++) {
      await producer.send({ topic, body: `m${i}`, tags: i % 2 === 0 ? 'TagA' : 'TagB', keys: [`k${i}`, 'common'], ...extra(i) });
    }
    return topic;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-consumer-'));
    // 1-second delay levels, so retries come back within the test.
    cluster = await startDevCluster({ dataDir: dir, messageDelayLevel: Array.from({ length: 18 }, () => '1s').join(' ') });
    manager = new MQClientManager();
    producer = new Producer({ nameServer: cluster.nameServer, group: 'ConsumerTestPG', clientIP: '127.0.0.1', clientManager: manager });
    await producer.start();
  });
  after(async () => {
    await producer.shutdown();
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('consumes every message once with its fields intact, tags filtered, compressed bodies inflated', async () => {
    const big = 'x'.repeat(10_000);
    const topic = await topicWith(20, (i) => (i === 4 ? { body: big, properties: { p: 'v' } } : {}));
    const got = new Map<string, ConsumerMessage>();
    const consumer = new PushConsumer(consumerOptions('CG_basic'));
    consumer.subscribe(topic, 'TagA', (msg) => {
      assert.equal(got.has(msg.msgId), false, `duplicate ${msg.msgId}`);
      got.set(msg.msgId, msg);
    });
    await consumer.start();
    try {
      await waitFor(() => got.size === 10, 10_000, '10 TagA messages');
      const byBody = new Map([...got.values()].map((m) => [m.body.toString(), m]));
      const m4 = byBody.get(big);
      assert.ok(m4, 'the compressed body arrives inflated');
      assert.equal(m4.properties['p'], 'v');
      const m0 = byBody.get('m0') as ConsumerMessage;
      assert.equal(m0.topic, topic);
      assert.equal(m0.tags, 'TagA');
      assert.deepEqual(m0.keys, ['k0', 'common']);
      assert.equal(m0.brokerName, 'broker-a');
      assert.equal(m0.reconsumeTimes, 0);
      assert.ok(m0.bornTimestamp > 0 && m0.storeTimestamp >= m0.bornTimestamp);
      assert.ok(m0.queueId >= 0 && m0.queueOffset >= 0);
      assert.match(m0.msgId, /^[0-9A-F]{32}$/);
      for (const m of got.values()) assert.equal(m.tags, 'TagA');
    } finally {
      await consumer.shutdown();
    }
  });

  it('commits offsets: a second consumer of the group starts where the first stopped', async () => {
    const topic = await topicWith(8);
    let first = 0;
    const c1 = new PushConsumer(consumerOptions('CG_offsets'));
    c1.subscribe(topic, '*', () => void first++);
    await c1.start();
    await waitFor(() => first === 8, 10_000, 'first 8');
    await c1.shutdown();
    for (let i = 0; i < 3; i++) await producer.send({ topic, body: `late${i}` });
    const second: string[] = [];
    const c2 = new PushConsumer(consumerOptions('CG_offsets'));
    c2.subscribe(topic, '*', (msg) => void second.push(msg.body.toString()));
    await c2.start();
    try {
      await waitFor(() => second.length === 3, 10_000, 'the 3 late messages');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(second.sort(), ['late0', 'late1', 'late2']);
    } finally {
      await c2.shutdown();
    }
  });

  it('a failed message comes back through the retry topic with reconsumeTimes counted', async () => {
    const topic = await topicWith(1);
    const seen: ConsumerMessage[] = [];
    const consumer = new PushConsumer(consumerOptions('CG_retry'));
    consumer.subscribe(topic, '*', (msg) => {
      seen.push(msg);
      if (seen.length === 1) throw new Error('first attempt fails');
      return seen.length === 2 ? 'RECONSUME_LATER' : 'CONSUME_SUCCESS';
    });
    await consumer.start();
    try {
      // Two 1-second delay levels: the retry topic, made by the group's first heartbeat, is consumed at once.
      await waitFor(() => seen.length === 3, 10_000, 'two retries');
      assert.deepEqual(seen.map((m) => m.reconsumeTimes), [0, 1, 2]);
      for (const m of seen) {
        assert.equal(m.topic, topic, 'the original topic, not %RETRY%');
        assert.equal(m.body.toString(), 'm0');
        assert.equal(m.msgId, seen[0]?.msgId, 'the same message id');
      }
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal(seen.length, 3, 'no more deliveries after success');
    } finally {
      await consumer.shutdown();
    }
  });

  it("a new group takes its retry topic's queue within seconds of its first heartbeat, so its first retry is not a rebalance period late", async () => {
    // An empty topic: nothing before the group's first heartbeat (which makes the broker create the retry topic)
    // can find the retry route, and no message is sent back before the retry queue is held.
    const topic = `ConsumerFreshRetry${++seq}`;
    await cluster.createTopic(topic, { queues: 1 });
    const group = `CG_fresh_retry${seq}`;
    const consumer = new PushConsumer(consumerOptions(group));
    let retryQueueHeld = false;
    consumer.on(PushConsumer.events.REBALANCE, (e) => {
      if (e.payload.topic === `%RETRY%${group}` && e.payload.queues.length > 0) retryQueueHeld = true;
    });
    const reconsumeTimes: number[] = [];
    consumer.subscribe(topic, '*', (msg) => {
      reconsumeTimes.push(msg.reconsumeTimes);
      return msg.reconsumeTimes === 0 ? 'RECONSUME_LATER' : 'CONSUME_SUCCESS';
    });
    await consumer.start();
    try {
      // Java's client would wait for its next route poll (30 s) and then its next rebalance (every 20 s).
      await waitFor(() => retryQueueHeld, 10_000, 'the retry queue held');
      await producer.send({ topic, body: 'first' });
      await waitFor(() => reconsumeTimes.length === 2, 10_000, 'the retry of the first message');
      assert.deepEqual(reconsumeTimes, [0, 1]);
    } finally {
      await consumer.shutdown();
    }
  });

  it('orderly: each queue in offset order, a failure retried in place before anything newer', async () => {
    const topic = `ConsumerOrderly${++seq}`;
    for (let i = 0; i < 30; i++) await producer.send({ topic, body: `${i % 3}:${i}` }, { shardingKey: `key${i % 3}` });
    const perQueue = new Map<number, number[]>();
    let failed = false;
    const consumer = new PushConsumer(consumerOptions('CG_orderly', { orderly: true, suspendCurrentQueueTimeMillis: 100 }));
    consumer.subscribe(topic, '*', (msg) => {
      if (!failed && msg.queueOffset === 2) {
        failed = true;
        return 'RECONSUME_LATER';
      }
      const list = perQueue.get(msg.queueId) ?? [];
      list.push(msg.queueOffset);
      perQueue.set(msg.queueId, list);
      return undefined;
    });
    await consumer.start();
    try {
      await waitFor(() => [...perQueue.values()].reduce((n, l) => n + l.length, 0) === 30, 15_000, '30 orderly messages');
      for (const [queueId, offsets] of perQueue) assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b), `queue ${queueId} in order`);
      for (const offsets of perQueue.values()) assert.deepEqual(offsets, offsets.map((_, i) => i), 'every offset once');
    } finally {
      await consumer.shutdown();
    }
  });

  it('orderly: past maxReconsumeTimes a message goes to the dead-letter queue and its queue moves on', async () => {
    const topic = `ConsumerOrderlyDlq${++seq}`;
    for (let i = 0; i < 3; i++) await producer.send({ topic, body: `d${i}` }, { shardingKey: 'one-queue' });
    const seen: ConsumerMessage[] = [];
    const consumer = new PushConsumer(consumerOptions('CG_orderly_dlq', { orderly: true, maxReconsumeTimes: 1, suspendCurrentQueueTimeMillis: 50 }));
    consumer.subscribe(topic, '*', (msg) => {
      seen.push(msg);
      if (msg.body.toString() === 'd0') throw new Error('poison');
    });
    await consumer.start();
    try {
      await waitFor(() => seen.some((m) => m.body.toString() === 'd2'), 10_000, 'd2 after the poison message');
      assert.deepEqual(
        seen.map((m) => `${m.body.toString()}/${m.reconsumeTimes}`),
        ['d0/0', 'd0/1', 'd1/0', 'd2/0'],
      );
    } finally {
      await consumer.shutdown();
    }
  });

  it('two consumers of a group split the queues as AllocateMessageQueueAveragely says, each message once', async () => {
    const topic = await topicWith(0);
    await producer.send({ topic, body: 'create' });
    const received = new Map<string, { clientId: string; queueId: number }>();
    const byClient = new Map<string, Set<number>>();
    let duplicates = 0;
    const consumers = ['a', 'b'].map((name) => {
      const consumer = new PushConsumer(consumerOptions('CG_split', { instanceName: `split-${name}`, consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET' }));
      consumer.subscribe(topic, '*', (msg) => {
        // 'create' may come too: the broker starts a new group at 0 while the queue's head is in memory, as Java's.
        if (msg.body.toString() === 'create') return;
        const id = consumer.clientId as string;
        if (received.has(msg.msgId)) duplicates++;
        received.set(msg.msgId, { clientId: id, queueId: msg.queueId });
        const set = byClient.get(id) ?? new Set<number>();
        set.add(msg.queueId);
        byClient.set(id, set);
      });
      return consumer;
    });
    await Promise.all(consumers.map((c) => c.start()));
    try {
      // Steady state: both members see each other and own their share.
      const ids = consumers.map((c) => c.clientId as string).sort();
      const mqAll: MessageQueue[] = [0, 1, 2, 3].map((queueId) => ({ topic, brokerName: 'broker-a', queueId })).sort(compareMessageQueue);
      const expected = new Map(ids.map((id) => [id, new AllocateMessageQueueAveragely().allocate('CG_split', id, mqAll, ids).map((mq) => mq.queueId)]));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      for (let i = 0; i < 40; i++) await producer.send({ topic, body: `s${i}` });
      await waitFor(() => received.size >= 40, 10_000, '40 messages');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(duplicates, 0);
      assert.equal(received.size, 40);
      for (const [id, queues] of byClient) assert.deepEqual([...queues].sort(), expected.get(id), `${id} consumed its share`);
    } finally {
      await Promise.all(consumers.map((c) => c.shutdown()));
    }
  });

  it('broadcasting: every member gets every message; offsets in the local file', async () => {
    const topic = await topicWith(6);
    const offsetStoreDir = join(dir, 'offsets');
    const counts = [0, 0];
    const consumers = [0, 1].map((n) => {
      const c = new PushConsumer(consumerOptions('CG_broadcast', { instanceName: `bc-${n}`, messageModel: 'BROADCASTING', offsetStoreDir }));
      c.subscribe(topic, '*', () => void counts[n]!++);
      return c;
    });
    await Promise.all(consumers.map((c) => c.start()));
    const ids = consumers.map((c) => c.clientId as string);
    await waitFor(() => counts[0] === 6 && counts[1] === 6, 10_000, 'both got all 6');
    await Promise.all(consumers.map((c) => c.shutdown()));
    const text = await readFile(join(offsetStoreDir, ids[0] as string, 'CG_broadcast', 'offsets.json'), 'utf8');
    const total = [...text.matchAll(/}:(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    assert.equal(total, 6, text);
  });

  it('answers the broker-forwarded admin calls: running info, consume directly, consumer status, reset offset', async () => {
    const topic = await topicWith(4);
    const bodies: string[] = [];
    let offsetMsgId = '';
    const consumer = new PushConsumer(consumerOptions('CG_admin'));
    consumer.subscribe(topic, '*', (msg) => {
      bodies.push(msg.body.toString());
      offsetMsgId = msg.offsetMsgId;
    });
    await consumer.start();
    const admin = new RemotingClient();
    await admin.start();
    try {
      await waitFor(() => bodies.length === 4, 10_000, 'the 4 messages');
      const call = (code: number, header: Record<string, string | number | boolean>): Promise<RemotingCommand> =>
        admin.invokeSync(cluster.brokerAddr, RemotingCommand.createRequestCommand(code, header), 5000);

      const info = await call(RequestCode.GET_CONSUMER_RUNNING_INFO, { consumerGroup: 'CG_admin', clientId: consumer.clientId as string, jstackEnable: false });
      assert.equal(info.code, ResponseCode.SUCCESS, info.remark);
      const text = (info.body as Buffer).toString();
      assert.match(text, new RegExp(`"topic":"${topic}"`));
      assert.match(text, /"PROP_CONSUME_TYPE":"CONSUME_PASSIVELY"/);
      assert.match(text, /"mqTable":\{\{"brokerName":"broker-a","queueId":\d,"topic":"/);

      // A stored message, by its offset id, handed to the listener directly.
      const direct = await call(RequestCode.CONSUME_MESSAGE_DIRECTLY, { consumerGroup: 'CG_admin', clientId: consumer.clientId as string, msgId: offsetMsgId, topic });
      assert.equal(direct.code, ResponseCode.SUCCESS, direct.remark);
      assert.match((direct.body as Buffer).toString(), /"consumeResult":"CR_SUCCESS"/);
      assert.equal(bodies.length, 5, 'the listener ran once more');

      await consumer.persistConsumerOffset();
      await new Promise((resolve) => setTimeout(resolve, 200));
      const status = await call(RequestCode.INVOKE_BROKER_TO_GET_CONSUMER_STATUS, { topic, group: 'CG_admin' });
      assert.equal(status.code, ResponseCode.SUCCESS, status.remark);
      assert.match((status.body as Buffer).toString(), new RegExp(`"topic":"${topic}"\\}:\\d`));

      // Back to the start: the broker pushes RESET_CONSUMER_CLIENT_OFFSET and every message comes again.
      const reset = await call(RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, { topic, group: 'CG_admin', timestamp: 0, isForce: true });
      assert.equal(reset.code, ResponseCode.SUCCESS, reset.remark);
      await waitFor(() => bodies.length === 9, 10_000, 'the 4 messages again');
    } finally {
      await admin.shutdown();
      await consumer.shutdown();
    }
  });

  it('start, shutdown, start, shutdown leaves no timer or socket behind (child process)', async () => {
    const topic = await topicWith(2);
    const entry = fileURLToPath(new URL('../../src/client/index.js', import.meta.url));
    const { live } = await runLeakProbe(
      `
      const { PushConsumer } = await import(${JSON.stringify(entry)});
      for (let round = 0; round < 2; round++) {
        let got = 0;
        let done;
        const all = new Promise((resolve) => (done = resolve));
        const consumer = new PushConsumer({ nameServer: ${JSON.stringify(cluster.nameServer)}, group: 'ConsumerExitCG' + round, clientIP: '127.0.0.1', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
        consumer.subscribe(${JSON.stringify(topic)}, '*', () => { if (++got === 2) done(); });
        await consumer.start();
        await all;
        await consumer.shutdown();
      }
    `,
      20_000,
    );
    assert.deepEqual(live, []);
  });
});
