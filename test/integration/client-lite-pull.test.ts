import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startDev, type DevCluster } from '../../src/cli/dev.js';
import { silentLogger } from '../../src/common/logger.js';
import {
  Admin,
  AllocateMessageQueueAveragely,
  LitePullConsumer,
  MQClientError,
  MQClientManager,
  Producer,
  type ConsumerMessage,
  type LitePullConsumerOptions,
  type MessageQueue,
} from '../../src/client/index.js';
import { compareMessageQueue } from '../../src/client/consumer/allocate-strategy.js';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/index.js';
import { runLeakProbe } from '../helpers/leaks.js';
import { waitFor } from '../helpers/wait.js';

const key = (mq: MessageQueue): string => `${mq.brokerName}:${mq.queueId}`;

/** Polls until `count` messages arrived or `timeoutMillis` passed; every batch is checked to come from one queue. */
async function pollCount(consumer: LitePullConsumer, count: number, timeoutMillis = 10_000, batchLimit = 10): Promise<ConsumerMessage[]> {
  const got: ConsumerMessage[] = [];
  const deadline = Date.now() + timeoutMillis;
  while (got.length < count && Date.now() < deadline) {
    const batch = await consumer.poll(Math.max(1, Math.min(500, deadline - Date.now())));
    assert.ok(batch.length <= batchLimit, `a batch of ${batch.length} > ${batchLimit}`);
    assert.equal(new Set(batch.map((m) => m.queueId)).size <= 1, true, 'one batch, one queue');
    got.push(...batch);
  }
  return got;
}

/** Polls for `millis` and returns whatever arrived (to show that nothing more does). */
async function pollFor(consumer: LitePullConsumer, millis: number): Promise<ConsumerMessage[]> {
  const got: ConsumerMessage[] = [];
  const deadline = Date.now() + millis;
  while (Date.now() < deadline) got.push(...(await consumer.poll(Math.max(1, deadline - Date.now()))));
  return got;
}

describe('LitePullConsumer against the dev cluster', () => {
  let dir: string;
  let dev: DevCluster;
  let manager: MQClientManager;
  let producer: Producer;
  let admin: Admin;
  let brokerAddr: string;
  let seq = 0;
  const options = (group: string, extra: Partial<LitePullConsumerOptions> = {}): LitePullConsumerOptions => ({
    nameServer: dev.namesrvAddr,
    group,
    clientIP: '127.0.0.1',
    clientManager: manager,
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
    ...extra,
  });
  /** A fresh topic with `count` messages already stored, tags alternating TagA/TagB. */
  async function topicWith(count: number): Promise<string> {
    const topic = `LiteT${++seq}`;
    await producer.send({ topic, body: 'create', tags: 'Create' });
    for (let i = 0; i < count; i++) await producer.send({ topic, body: `m${i}`, tags: i % 2 === 0 ? 'TagA' : 'TagB', keys: [`k${i}`] });
    return topic;
  }
  async function queuesOf(topic: string): Promise<MessageQueue[]> {
    return (await admin.topicStats(topic)).map((t) => t.mq).sort(compareMessageQueue);
  }
  async function committedTotal(group: string, topic: string): Promise<number> {
    let total = 0;
    for (const mq of await queuesOf(topic)) total += (await admin.queryConsumerOffset(brokerAddr, group, mq)) ?? 0;
    return total;
  }
  async function waitForCommitted(group: string, topic: string, total: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    let last = -1;
    while ((last = await committedTotal(group, topic)) !== total) {
      if (Date.now() > deadline) assert.fail(`committed ${last}, expected ${total}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-lite-'));
    dev = await startDev({ namesrvPort: 0, brokerPort: 0, dataDir: dir, brokerIP: '127.0.0.1', logger: silentLogger });
    brokerAddr = `127.0.0.1:${dev.broker.port}`;
    manager = new MQClientManager();
    producer = new Producer({ nameServer: dev.namesrvAddr, group: 'LiteTestPG', clientIP: '127.0.0.1', clientManager: manager });
    await producer.start();
    admin = new Admin({ nameServer: dev.namesrvAddr, clientIP: '127.0.0.1', clientManager: manager });
    await admin.start();
  });
  after(async () => {
    await admin.shutdown();
    await producer.shutdown();
    await dev.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('subscribe + poll: every matching message once, in batches of at most pullBatchSize from one queue', async () => {
    const topic = await topicWith(20);
    const consumer = new LitePullConsumer(options('LCG_basic', { pullBatchSize: 3 }));
    consumer.subscribe(topic, 'TagA');
    await consumer.start();
    try {
      const got = await pollCount(consumer, 10, 10_000, 3);
      assert.deepEqual(got.map((m) => m.body.toString()).sort(), Array.from({ length: 10 }, (_, i) => `m${i * 2}`).sort());
      for (const m of got) {
        assert.equal(m.topic, topic);
        assert.equal(m.tags, 'TagA');
        assert.equal(m.brokerName, 'broker-a');
        assert.match(m.msgId, /^[0-9A-F]{32}$/);
      }
      assert.deepEqual(await pollFor(consumer, 300), [], 'nothing more');
      // While running: a topic unsubscribed gives its queues up at once, a topic subscribed is read.
      const second = await topicWith(3);
      consumer.unsubscribe(topic);
      assert.deepEqual(consumer.assignment(), []);
      consumer.subscribe(second);
      await producer.send({ topic, body: 'unsubscribed', tags: 'TagA' });
      const more = (await pollCount(consumer, 4, 10_000, 3)).concat(await pollFor(consumer, 300));
      assert.deepEqual(more.map((m) => m.body.toString()).sort(), ['create', 'm0', 'm1', 'm2']);
      assert.ok(more.every((m) => m.topic === second));
    } finally {
      await consumer.shutdown();
    }
  });

  it('autoCommit: commits polled offsets from poll() every interval and at shutdown; a restart resumes there', async () => {
    const topic = await topicWith(8);
    const c1 = new LitePullConsumer(options('LCG_auto', { autoCommitIntervalMillis: 1000 }));
    c1.subscribe(topic);
    await c1.start();
    try {
      assert.equal((await pollCount(c1, 9)).length, 9);
      // The next poll past the interval commits what the earlier ones returned.
      const deadline = Date.now() + 10_000;
      while ((await committedTotal('LCG_auto', topic)) !== 9 && Date.now() < deadline) await c1.poll(200);
      assert.equal(await committedTotal('LCG_auto', topic), 9);
      await producer.send({ topic, body: 'before-shutdown' });
      assert.equal((await pollCount(c1, 1))[0]?.body.toString(), 'before-shutdown');
    } finally {
      await c1.shutdown();
    }
    await waitForCommitted('LCG_auto', topic, 10);
    for (let i = 0; i < 3; i++) await producer.send({ topic, body: `late${i}` });
    const c2 = new LitePullConsumer(options('LCG_auto'));
    c2.subscribe(topic);
    await c2.start();
    try {
      const got = await pollCount(c2, 3);
      got.push(...(await pollFor(c2, 300)));
      assert.deepEqual(got.map((m) => m.body.toString()).sort(), ['late0', 'late1', 'late2']);
    } finally {
      await c2.shutdown();
    }
  });

  it('manual commit: commit() stores what was polled, commit(offsets) exactly those, nothing else is committed', async () => {
    const topic = await topicWith(6);
    const [mq] = await queuesOf(topic);
    assert.ok(mq);
    const c1 = new LitePullConsumer(options('LCG_manual', { autoCommit: false }));
    c1.subscribe(topic);
    await c1.start();
    try {
      assert.equal((await pollCount(c1, 7)).length, 7);
      await c1.commit();
      await waitForCommitted('LCG_manual', topic, 7);
      assert.equal(await c1.committed(mq), await admin.queryConsumerOffset(brokerAddr, 'LCG_manual', mq));
      for (let i = 0; i < 2; i++) await producer.send({ topic, body: `uncommitted${i}` });
      assert.equal((await pollCount(c1, 2)).length, 2);
      // Explicit offsets: only the one given moves.
      const before = (await admin.queryConsumerOffset(brokerAddr, 'LCG_manual', mq)) ?? 0;
      assert.ok(before > 0);
      await c1.commit([[mq, before - 1]]);
      await waitForCommitted('LCG_manual', topic, 6);
      assert.equal(await c1.committed(mq), before - 1);
      await assert.rejects(c1.commit([[mq, -1]]), RangeError);
    } finally {
      await c1.shutdown();
    }
    await waitForCommitted('LCG_manual', topic, 6);
    const c2 = new LitePullConsumer(options('LCG_manual', { autoCommit: false }));
    c2.subscribe(topic);
    await c2.start();
    try {
      const got = (await pollCount(c2, 3)).map((m) => m.body.toString()).sort();
      assert.equal(got.length, 3, 'the message un-committed by hand and the two never committed come again');
      assert.ok(got.includes('uncommitted0') && got.includes('uncommitted1'), got.join());
    } finally {
      await c2.shutdown();
    }
  });

  it('assign: reads only the given queues, with no rebalance; fetchMessageQueues lists the topic', async () => {
    const topic = await topicWith(16);
    const probe = new LitePullConsumer(options('LCG_assign'));
    probe.assign([{ topic, brokerName: 'broker-a', queueId: 0 }]);
    await probe.start();
    let mqs: MessageQueue[];
    try {
      mqs = (await probe.fetchMessageQueues(topic)).sort(compareMessageQueue);
      assert.deepEqual(mqs.map(key), (await queuesOf(topic)).map(key));
      await assert.rejects(probe.fetchMessageQueues('NoSuchLiteTopic'), MQClientError);
    } finally {
      await probe.shutdown();
    }
    const mine = mqs.slice(0, 2);
    const expected = (await admin.topicStats(topic)).filter((t) => mine.some((mq) => key(mq) === key(t.mq))).reduce((n, t) => n + t.maxOffset, 0);
    const consumer = new LitePullConsumer(options('LCG_assign2'));
    consumer.assign(mine);
    assert.throws(() => consumer.subscribe(topic), MQClientError, 'subscribe and assign exclude each other');
    await consumer.start();
    try {
      const got = await pollCount(consumer, expected);
      got.push(...(await pollFor(consumer, 300)));
      assert.equal(got.length, expected);
      assert.deepEqual([...new Set(got.map((m) => m.queueId))].sort(), mine.map((mq) => mq.queueId).sort());
      assert.deepEqual(consumer.assignment().map(key).sort(), mine.map(key).sort());
    } finally {
      await consumer.shutdown();
    }
  });

  it('seek, seekToBegin, seekToEnd restart a queue where asked; out-of-range and unassigned queues are refused', async () => {
    const topic = await topicWith(0);
    // A queue the topic's 'create' message did not land in, so its offsets are the five sent here.
    const mq = (await admin.topicStats(topic)).find((t) => t.maxOffset === 0)?.mq as MessageQueue;
    for (let i = 0; i < 5; i++) await producer.send({ topic, body: `q${i}` }, { messageQueue: mq });
    const consumer = new LitePullConsumer(options('LCG_seek', { autoCommit: false }));
    consumer.assign([mq]);
    await consumer.start();
    try {
      assert.deepEqual((await pollCount(consumer, 5)).map((m) => m.queueOffset), [0, 1, 2, 3, 4]);
      await consumer.seek(mq, 2);
      assert.deepEqual((await pollCount(consumer, 3)).map((m) => m.queueOffset), [2, 3, 4]);
      await consumer.seekToBegin(mq);
      assert.deepEqual((await pollCount(consumer, 5)).map((m) => m.body.toString()), ['q0', 'q1', 'q2', 'q3', 'q4']);
      await consumer.seekToEnd(mq);
      assert.deepEqual(await pollFor(consumer, 200), []);
      await producer.send({ topic, body: 'after-end' }, { messageQueue: mq });
      assert.deepEqual((await pollCount(consumer, 1)).map((m) => m.body.toString()), ['after-end']);
      await assert.rejects(consumer.seek(mq, 7), /Seek offset illegal/);
      await assert.rejects(consumer.seek(mq, -1), /Seek offset illegal/);
      await assert.rejects(consumer.seek({ ...mq, queueId: mq.queueId === 0 ? 1 : 0 }, 0), /not in assigned list/);
    } finally {
      await consumer.shutdown();
    }
  });

  it('pause holds a queue back while the others flow; resume lets it through', async () => {
    const topic = await topicWith(0);
    const mqs = await queuesOf(topic);
    const paused = mqs[0] as MessageQueue;
    const consumer = new LitePullConsumer(options('LCG_pause'));
    consumer.assign(mqs);
    await consumer.start();
    const bodies = (msgs: ConsumerMessage[]): string[] => msgs.map((m) => m.body.toString()).filter((b) => b !== 'create');
    try {
      consumer.pause([paused]);
      for (const mq of mqs) for (let i = 0; i < 2; i++) await producer.send({ topic, body: `${mq.queueId}-${i}` }, { messageQueue: mq });
      const others = 2 * (mqs.length - 1);
      const got = await pollCount(consumer, others);
      got.push(...(await pollFor(consumer, 1500)));
      assert.equal(bodies(got).length, others);
      assert.ok(got.every((m) => m.queueId !== paused.queueId), 'nothing from the paused queue');
      consumer.resume([paused]);
      const late = await pollFor(consumer, 2500);
      assert.deepEqual(bodies(late), [`${paused.queueId}-0`, `${paused.queueId}-1`]);
    } finally {
      await consumer.shutdown();
    }
  });

  it('offsetForTimestamp finds the first offset stored at or after a time', async () => {
    const topic = await topicWith(0);
    const mq: MessageQueue = { topic, brokerName: 'broker-a', queueId: 2 };
    for (let i = 0; i < 3; i++) await producer.send({ topic, body: `early${i}` }, { messageQueue: mq });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const middle = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const firstLate = await producer.send({ topic, body: 'late0' }, { messageQueue: mq });
    await producer.send({ topic, body: 'late1' }, { messageQueue: mq });
    const consumer = new LitePullConsumer(options('LCG_time'));
    consumer.assign([mq]);
    await consumer.start();
    try {
      assert.equal(await consumer.offsetForTimestamp(mq, 0), 0);
      assert.ok(firstLate.queueOffset >= 3);
      assert.equal(await consumer.offsetForTimestamp(mq, middle), firstLate.queueOffset);
      assert.equal(await consumer.offsetForTimestamp(mq, new Date(middle)), firstLate.queueOffset);
    } finally {
      await consumer.shutdown();
    }
  });

  it('two consumers of a group split the queues (AllocateMessageQueueAveragely) and get every message once', async () => {
    const topic = await topicWith(0);
    const consumers = ['a', 'b'].map((name) => new LitePullConsumer(options('LCG_split', { instanceName: `lite-split-${name}`, consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET' })));
    for (const c of consumers) c.subscribe(topic);
    await Promise.all(consumers.map((c) => c.start()));
    try {
      const ids = consumers.map((c) => c.clientId as string).sort();
      const mqAll = await queuesOf(topic);
      const share = (id: string): string[] => new AllocateMessageQueueAveragely().allocate('LCG_split', id, mqAll, ids).map(key);
      await waitFor(
        () => consumers.every((c) => c.assignment().map(key).sort().join() === share(c.clientId as string).join()),
        10_000,
        'the steady state',
      );
      // The queues just taken start at their max offset once the start offset is fixed: poll once to let it settle.
      await Promise.all(consumers.map((c) => pollFor(c, 300)));
      for (let i = 0; i < 40; i++) await producer.send({ topic, body: `s${i}` });
      const got = new Map<LitePullConsumer, ConsumerMessage[]>();
      await Promise.all(consumers.map(async (c) => got.set(c, await pollFor(c, 2000))));
      const all = [...got.values()].flat().map((m) => m.body.toString());
      assert.equal(all.length, 40, 'no duplicates, none lost');
      assert.deepEqual(new Set(all), new Set(Array.from({ length: 40 }, (_, i) => `s${i}`)));
      for (const c of consumers) {
        const queues = [...new Set((got.get(c) ?? []).map((m) => `broker-a:${m.queueId}`))].sort();
        assert.deepEqual(queues, share(c.clientId as string), `${c.clientId} read its share`);
      }
    } finally {
      await Promise.all(consumers.map((c) => c.shutdown()));
    }
  });

  it('a queue given away in a rebalance has what was polled from it committed first (autoCommit)', async () => {
    const topic = await topicWith(8);
    const mqAll = await queuesOf(topic);
    const maxOffsets = new Map((await admin.topicStats(topic)).map((t) => [key(t.mq), t.maxOffset]));
    // No commit from poll() within the test: only the release commits.
    const c1 = new LitePullConsumer(options('LCG_release', { instanceName: 'lite-release-a', autoCommitIntervalMillis: 600_000 }));
    const c2 = new LitePullConsumer(options('LCG_release', { instanceName: 'lite-release-b', autoCommitIntervalMillis: 600_000 }));
    c1.subscribe(topic);
    c2.subscribe(topic);
    await c1.start();
    try {
      assert.equal((await pollCount(c1, 9)).length, 9);
      await c2.start();
      const ids = [c1.clientId as string, c2.clientId as string].sort();
      const given = new AllocateMessageQueueAveragely().allocate('LCG_release', c2.clientId as string, mqAll, ids).map(key);
      await waitFor(() => c1.assignment().length === mqAll.length - given.length, 10_000, 'c1 gives queues away');
      const deadline = Date.now() + 10_000;
      for (const mq of mqAll) {
        if (!given.includes(key(mq))) continue;
        while ((await admin.queryConsumerOffset(brokerAddr, 'LCG_release', mq)) !== maxOffsets.get(key(mq))) {
          assert.ok(Date.now() < deadline, `the offset of ${key(mq)} given away is committed`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      for (const mq of c1.assignment()) assert.equal(await admin.queryConsumerOffset(brokerAddr, 'LCG_release', mq), undefined, `${key(mq)} kept: nothing committed`);
    } finally {
      await c2.shutdown();
      await c1.shutdown();
    }
  });

  it('broadcasting: every member reads everything; commits go to the local offset file', async () => {
    const topic = await topicWith(5);
    const offsetStoreDir = join(dir, 'lite-offsets');
    const consumers = [0, 1].map((n) => new LitePullConsumer(options('LCG_bc', { instanceName: `lite-bc-${n}`, messageModel: 'BROADCASTING', offsetStoreDir, autoCommit: false })));
    for (const c of consumers) c.subscribe(topic);
    await Promise.all(consumers.map((c) => c.start()));
    const ids = consumers.map((c) => c.clientId as string);
    try {
      for (const c of consumers) {
        assert.equal((await pollCount(c, 6)).length, 6);
        await c.commit();
      }
    } finally {
      await Promise.all(consumers.map((c) => c.shutdown()));
    }
    for (const id of ids) {
      const text = await readFile(join(offsetStoreDir, id, 'LCG_bc', 'offsets.json'), 'utf8');
      const total = [...text.matchAll(/}:(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
      assert.equal(total, 6, text);
    }
  });

  it('poll: [] on timeout, a negative timeout refused, a pending poll ended by shutdown, not running refused', async () => {
    const topic = await topicWith(0);
    const consumer = new LitePullConsumer(options('LCG_poll'));
    consumer.subscribe(topic);
    await assert.rejects(consumer.poll(10), MQClientError, 'not started');
    await consumer.start();
    try {
      assert.deepEqual((await pollCount(consumer, 1)).map((m) => m.body.toString()), ['create']);
      assert.deepEqual(await pollFor(consumer, 300), [], 'nothing more');
      assert.deepEqual(await consumer.poll(50), []);
      await assert.rejects(consumer.poll(-1), RangeError);
      const pending = consumer.poll(60_000);
      await consumer.shutdown();
      assert.deepEqual(await pending, []);
      await assert.rejects(consumer.poll(10), MQClientError);
    } finally {
      await consumer.shutdown();
    }
  });

  it('answers the broker-forwarded admin calls: running info, reset offset; consume directly refused', async () => {
    const topic = await topicWith(4);
    const consumer = new LitePullConsumer(options('LCG_admin'));
    consumer.subscribe(topic);
    await consumer.start();
    const client = new RemotingClient();
    await client.start();
    try {
      const polled = await pollCount(consumer, 5);
      assert.equal(polled.length, 5);
      // The broker resets only a group with an offset on every queue.
      await consumer.commit();
      await waitForCommitted('LCG_admin', topic, 5);
      const call = (code: number, header: Record<string, string | number | boolean>): Promise<RemotingCommand> =>
        client.invokeSync(brokerAddr, RemotingCommand.createRequestCommand(code, header), 5000);
      const info = await call(RequestCode.GET_CONSUMER_RUNNING_INFO, { consumerGroup: 'LCG_admin', clientId: consumer.clientId as string, jstackEnable: false });
      assert.equal(info.code, ResponseCode.SUCCESS, info.remark);
      const text = (info.body as Buffer).toString();
      assert.match(text, /"PROP_CONSUME_TYPE":"CONSUME_ACTIVELY"/);
      assert.match(text, new RegExp(`"topic":"${topic}"`));
      // No listener to hand a message to: refused, as Java's client refuses it for a pull consumer.
      const direct = await call(RequestCode.CONSUME_MESSAGE_DIRECTLY, { consumerGroup: 'LCG_admin', clientId: consumer.clientId as string, msgId: polled[0]?.offsetMsgId as string, topic });
      assert.equal(direct.code, ResponseCode.SYSTEM_ERROR);
      assert.match(direct.remark ?? '', /LCG_admin/);
      // Back to the start: the broker pushes RESET_CONSUMER_CLIENT_OFFSET and every message comes again.
      const reset = await call(RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, { topic, group: 'LCG_admin', timestamp: 0, isForce: true });
      assert.equal(reset.code, ResponseCode.SUCCESS, reset.remark);
      assert.equal((await pollCount(consumer, 5)).length, 5);
    } finally {
      await client.shutdown();
      await consumer.shutdown();
    }
  });

  it('start, shutdown, start on one consumer; no timer or socket left behind (child process)', async () => {
    const topic = await topicWith(2);
    const entry = fileURLToPath(new URL('../../src/client/index.js', import.meta.url));
    const probe = await runLeakProbe(
      `
      const { LitePullConsumer } = await import(${JSON.stringify(entry)});
      const consumer = new LitePullConsumer({ nameServer: ${JSON.stringify(dev.namesrvAddr)}, group: 'LiteExitCG', clientIP: '127.0.0.1', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', autoCommit: false });
      consumer.subscribe(${JSON.stringify(topic)});
      const counts = [];
      for (let round = 0; round < 2; round++) {
        await consumer.start();
        let got = 0;
        for (let i = 0; i < 100 && got < 3; i++) got += (await consumer.poll(100)).length;
        counts.push(got);
        await consumer.shutdown();
      }
      globalThis.probeResult = counts;
    `,
      30_000,
    );
    assert.deepEqual(probe, { result: [3, 3], live: [] }, 'both rounds read all 3 (nothing committed), nothing left');
  });
});
