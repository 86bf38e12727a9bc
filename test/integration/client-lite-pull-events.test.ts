import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDev, type DevCluster } from '../../src/cli/dev.js';
import { silentLogger, type Logger } from '../../src/common/logger.js';
import {
  LitePullConsumer,
  MQClientManager,
  Producer,
  type CommitOffsetsPayload,
  type ConsumerMessage,
  type CrashPayload,
  type InstrumentationEvent,
  type LitePullConsumerEventType,
  type LitePullConsumerOptions,
  type MessageQueue,
  type PollPayload,
  type PullPayload,
  type RebalancePayload,
  type RequestPayload,
} from '../../src/client/index.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { waitFor } from '../helpers/wait.js';

const key = (mq: MessageQueue): string => `${mq.brokerName}:${mq.queueId}`;

/** Polls until `count` messages arrived (bounded by `timeoutMillis`); returns the non-empty batches. */
async function pollBatches(consumer: LitePullConsumer, count: number, timeoutMillis = 10_000): Promise<ConsumerMessage[][]> {
  const batches: ConsumerMessage[][] = [];
  const deadline = Date.now() + timeoutMillis;
  let got = 0;
  while (got < count && Date.now() < deadline) {
    const batch = await consumer.poll(Math.max(1, Math.min(500, deadline - Date.now())));
    if (batch.length === 0) continue;
    batches.push(batch);
    got += batch.length;
  }
  return batches;
}

/** Records every event of every type the consumer emits, in order. */
function recordAll(consumer: LitePullConsumer): { seen: InstrumentationEvent[]; of: <P>(type: string) => P[] } {
  const seen: InstrumentationEvent[] = [];
  for (const type of Object.values(LitePullConsumer.events)) consumer.on(type, (e) => void seen.push(e));
  return { seen, of: <P>(type: string) => seen.filter((e) => e.type === type).map((e) => e.payload as P) };
}

describe('LitePullConsumer instrumentation events against the dev cluster', () => {
  let dir: string;
  let dev: DevCluster;
  let manager: MQClientManager;
  let producer: Producer;
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
  async function topicWith(count: number): Promise<string> {
    const topic = `LiteEvT${++seq}`;
    for (let i = 0; i < count; i++) await producer.send({ topic, body: `m${i}` });
    return topic;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-lite-ev-'));
    dev = await startDev({ namesrvPort: 0, brokerPort: 0, dataDir: dir, brokerIP: '127.0.0.1', logger: silentLogger });
    brokerAddr = `127.0.0.1:${dev.broker.port}`;
    manager = new MQClientManager();
    producer = new Producer({ nameServer: dev.namesrvAddr, group: 'LiteEvPG', clientIP: '127.0.0.1', clientManager: manager });
    await producer.start();
  });
  after(async () => {
    await producer.shutdown();
    await dev.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('subscribe: start, connect, heartbeat, one rebalance, pulls, a poll per batch down to lag 0, commit, stop', async () => {
    const count = 12;
    const topic = await topicWith(count);
    const consumer = new LitePullConsumer(options('LiteEvCG1', { pullBatchSize: 2, autoCommit: false }));
    const { seen, of } = recordAll(consumer);
    consumer.subscribe(topic);
    await consumer.start();
    let batches: ConsumerMessage[][];
    let pollsPerBatch: PollPayload[];
    let committed: CommitOffsetsPayload[];
    try {
      batches = await pollBatches(consumer, count);
      pollsPerBatch = of<PollPayload>('consumer.poll');
      const before = of('consumer.commit_offsets').length;
      await consumer.commit();
      committed = of<CommitOffsetsPayload>('consumer.commit_offsets').slice(before);
    } finally {
      await consumer.shutdown();
    }

    const start = of<{ group: string; clientId: string }>('consumer.start');
    assert.equal(start.length, 1);
    assert.equal(start[0]?.group, 'LiteEvCG1');
    assert.match(start[0]?.clientId ?? '', /^127\.0\.0\.1@/);
    assert.deepEqual(of('consumer.stop'), start);
    const connected = of<{ address: string }>('consumer.network.connect').map((c) => c.address);
    assert.ok(connected.includes(dev.namesrvAddr) && connected.includes(brokerAddr), `connected to ${connected.join(', ')}`);
    assert.ok(of<{ brokerName: string; address: string }>('consumer.heartbeat').some((h) => h.brokerName === 'broker-a' && h.address === brokerAddr));
    const requests = of<RequestPayload>('consumer.network.request');
    assert.ok(requests.some((r) => r.code === RequestCode.PULL_MESSAGE && r.address === brokerAddr && r.responseCode === ResponseCode.SUCCESS));

    // Later rebalances (the broker's notifications, the instance's timer) find the same share and stay silent.
    const rebalances = of<RebalancePayload>('consumer.rebalance');
    assert.equal(rebalances.length, 1, 'the owned set changed once');
    const rebalance = rebalances[0] as RebalancePayload;
    assert.equal(rebalance.topic, topic);
    assert.ok(rebalance.added.length > 0);
    assert.deepEqual(rebalance.removed, []);
    assert.deepEqual(rebalance.queues.map(key).sort(), rebalance.added.map(key).sort());

    const pulls = of<PullPayload>('consumer.pull');
    const found = pulls.filter((p) => p.status === 'FOUND');
    assert.equal(
      found.reduce((n, p) => n + p.messageCount, 0),
      count,
      'the FOUND pulls carried every message',
    );
    for (const p of found) assert.ok(p.messageCount > 0 && p.messageCount <= 2);
    for (const p of pulls) assert.ok(p.duration >= 0 && p.nextOffset >= 0 && p.queue.topic === topic);

    assert.equal(batches.flat().length, count);
    assert.equal(pollsPerBatch.length, batches.length, 'one poll event per batch handed out');
    batches.forEach((batch, i) => {
      const poll = pollsPerBatch[i] as PollPayload;
      assert.equal(poll.messageCount, batch.length);
      assert.equal(poll.queue.queueId, batch[0]?.queueId);
      assert.equal(poll.firstOffset, batch[0]?.queueOffset);
      assert.equal(poll.lastOffset, batch[batch.length - 1]?.queueOffset);
      assert.ok(poll.duration >= 0 && poll.lag >= 0);
    });
    // Every message was stored before the first pull: the newest batch of each queue leaves no lag.
    const lastOffsets = new Map<string, number>();
    for (const poll of pollsPerBatch) {
      const last = lastOffsets.get(key(poll.queue));
      if (last === undefined || poll.lastOffset > last) lastOffsets.set(key(poll.queue), poll.lastOffset);
    }
    for (const poll of pollsPerBatch) {
      if (poll.lastOffset === lastOffsets.get(key(poll.queue))) assert.equal(poll.lag, 0, `queue ${key(poll.queue)}`);
    }
    assert.ok(Math.max(...pollsPerBatch.map((p) => p.lag)) > 0, 'an earlier batch of a queue had lag');

    assert.equal(committed.length, 1, 'commit() sent the offsets once');
    const sent = new Map((committed[0] as CommitOffsetsPayload).offsets.map(({ queue, offset }) => [key(queue), offset]));
    for (const [queue, last] of lastOffsets) assert.equal(sent.get(queue), last + 1, `committed offset of ${queue}`);
    const ids = seen.map((e) => e.id);
    assert.deepEqual([...ids].sort((a, b) => a - b), ids, 'ids increase in emission order');
  });

  it('a removed listener hears no more, a throwing one is logged, and neither disturbs poll; unknown types are refused', async () => {
    const count = 4;
    const topic = await topicWith(count);
    const listenerFailures: string[] = [];
    const logger: Logger = { ...silentLogger, error: (message) => void listenerFailures.push(message) };
    const consumer = new LitePullConsumer(options('LiteEvCG2', { pullBatchSize: 1, logger }));
    assert.throws(() => consumer.on('consumer.consume_start' as LitePullConsumerEventType, () => undefined), TypeError);
    let thrown = 0;
    consumer.on(LitePullConsumer.events.POLL, () => {
      thrown++;
      throw new Error('listener bug');
    });
    let heard = 0;
    const remove = consumer.on(LitePullConsumer.events.POLL, () => {
      heard++;
      remove();
    });
    consumer.subscribe(topic);
    await consumer.start();
    let polled: ConsumerMessage[];
    try {
      polled = (await pollBatches(consumer, count)).flat();
    } finally {
      await consumer.shutdown();
    }
    assert.deepEqual(polled.map((m) => m.body.toString()).sort(), ['m0', 'm1', 'm2', 'm3']);
    assert.equal(heard, 1, 'removed after the first event');
    assert.equal(thrown, count, 'one poll event per message (pullBatchSize 1)');
    assert.equal(listenerFailures.filter((m) => m === 'a listener of consumer.poll failed').length, count);
  });

  it('assign: pulls and polls without rebalances; a pull loop killed by an unexpected error is one crash', async () => {
    const count = 6;
    const topic = await topicWith(count);
    const boom = new Error('the logger failed');
    // A logger failing while the pull loop reports a failed pull: an error the loop does not expect.
    const logger: Logger = {
      ...silentLogger,
      warn: (message) => {
        if (message.startsWith('pulling ')) throw boom;
      },
    };
    const consumer = new LitePullConsumer(options('LiteEvCG3', { logger, pullTimeDelayMillsWhenException: 0 }));
    const { of } = recordAll(consumer);
    await consumer.start();
    const nowhere: MessageQueue = { topic, brokerName: 'broker-nowhere', queueId: 0 };
    let polled: ConsumerMessage[];
    try {
      consumer.assign([...(await consumer.fetchMessageQueues(topic)), nowhere]);
      polled = (await pollBatches(consumer, count)).flat();
      await waitFor(() => of('consumer.crash').length > 0, 5000, 'a crash');
      // Retried at once (delay 0) had the loop survived: polling on gives it time to crash again.
      assert.deepEqual(await consumer.poll(300), []);
    } finally {
      await consumer.shutdown();
    }
    assert.equal(polled.length, count);
    assert.deepEqual(of<CrashPayload>('consumer.crash'), [{ error: boom, where: 'pullMessage', queue: nowhere }]);
    assert.deepEqual(of('consumer.rebalance'), [], 'assign mode does not rebalance');
    const found = of<PullPayload>('consumer.pull').filter((p) => p.status === 'FOUND');
    assert.equal(
      found.reduce((n, p) => n + p.messageCount, 0),
      count,
    );
    assert.equal(
      of<PollPayload>('consumer.poll').reduce((n, p) => n + p.messageCount, 0),
      count,
    );
    assert.ok(of<CommitOffsetsPayload>('consumer.commit_offsets').length > 0, 'autoCommit at shutdown sends the polled offsets');
  });

  it('a name server that never answers: request_timeout and the disconnect it causes', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.resume();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentAddr = `127.0.0.1:${(silent.address() as { port: number }).port}`;
    // An instance of its own: the shared one knows the real name server.
    const consumer = new LitePullConsumer({ ...options('LiteEvCG4'), nameServer: silentAddr, clientManager: new MQClientManager(), mqClientApiTimeout: 300 });
    const { of } = recordAll(consumer);
    await consumer.start();
    try {
      await assert.rejects(consumer.fetchMessageQueues('LiteEvNever'));
      await waitFor(() => of('consumer.network.disconnect').length > 0, 5000, 'a disconnect');
    } finally {
      await consumer.shutdown();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
    const timeouts = of<{ address: string; code: number; timeout: number }>('consumer.network.request_timeout');
    assert.equal(timeouts[0]?.address, silentAddr);
    assert.equal(timeouts[0]?.code, RequestCode.GET_ROUTEINFO_BY_TOPIC);
    assert.equal(timeouts[0]?.timeout, 300);
    assert.deepEqual(of('consumer.network.disconnect'), [{ address: silentAddr }]);
  });
});
