import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConsumeMessageConcurrentlyService } from '../../../../src/client/consumer/consume-concurrently.js';
import type { ConsumeContext, MessageListener } from '../../../../src/client/consumer/consume-service.js';
import { ProcessQueue } from '../../../../src/client/consumer/process-queue.js';
import { ConsumerStatsManager } from '../../../../src/client/consumer/consumer-stats-manager.js';
import { silentLogger } from '../../../../src/common/logger.js';
import type { MessageQueue } from '../../../../src/protocol/bodies/message-queue.js';
import { MessageExt } from '../../../../src/index.js';

const MQ: MessageQueue = { topic: 'T', brokerName: 'b', queueId: 0 };

function msgs(from: number, count: number): MessageExt[] {
  return Array.from({ length: count }, (_, i) => {
    const m = new MessageExt('T', Buffer.from(`m${from + i}`));
    m.queueOffset = from + i;
    m.msgId = `id${from + i}`;
    return m;
  });
}

interface Harness {
  service: ConsumeMessageConcurrentlyService;
  offsets: number[];
  sentBack: string[];
  retriedLater: number;
  stats: ConsumerStatsManager;
}

function harness(listener: MessageListener, concurrency: number, sendBackOk = true): Harness {
  const h: Harness = { service: undefined as unknown as ConsumeMessageConcurrentlyService, offsets: [], sentBack: [], retriedLater: 0, stats: new ConsumerStatsManager() };
  const ctx: ConsumeContext = {
    consumerGroup: 'G',
    logger: silentLogger,
    listener: () => listener,
    sendMessageBack: (msg) => {
      h.sentBack.push(msg.msgId);
      return Promise.resolve(sendBackOk);
    },
    updateOffset: (_mq, offset) => h.offsets.push(offset),
    later: () => void h.retriedLater++,
  };
  h.service = new ConsumeMessageConcurrentlyService(ctx, 'CLUSTERING', concurrency, h.stats);
  return h;
}

/** Resolves once `done` holds, checking after every turn of the event loop (bounded). */
async function until(done: () => boolean): Promise<void> {
  for (let turn = 0; !done(); turn++) {
    if (turn === 10_000) throw new Error('condition never held');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('ConsumeMessageConcurrentlyService', () => {
  it('consumes in arrival order and commits the lowest offset still held', async () => {
    const seen: number[] = [];
    const h = harness((m) => void seen.push(m.queueOffset), 4);
    const pq = new ProcessQueue();
    const batch = msgs(0, 10);
    pq.putMessage(batch);
    h.service.submitConsumeRequest(batch, pq, MQ);
    await until(() => seen.length === 10);
    assert.deepEqual(seen, [...Array(10).keys()]);
    assert.equal(h.offsets.at(-1), 10, 'all consumed: one past the newest');
    assert.equal(pq.msgCount, 0);
  });

  it('yields to I/O between turns: a callback queued after a large submit runs before the batch is done', async () => {
    let consumed = 0;
    // 50 µs a message: 500 of them take 25 ms, far past one turn's budget.
    const h = harness(() => {
      const end = performance.now() + 0.05;
      while (performance.now() < end);
      consumed++;
    }, 20);
    const pq = new ProcessQueue();
    const batch = msgs(0, 500);
    pq.putMessage(batch);
    h.service.submitConsumeRequest(batch, pq, MQ);
    // Stands for an I/O callback (a pull response) arriving while the batch is consumed.
    const seenByIo = await new Promise<number>((resolve) => setImmediate(() => resolve(consumed)));
    assert.ok(seenByIo < 500, `the I/O callback waited for ${seenByIo} of 500 messages`);
    await until(() => consumed === 500);
    assert.equal(h.offsets.at(-1), 500);
  });

  it('holds at most `concurrency` asynchronous listener calls at once', async () => {
    let active = 0;
    let peak = 0;
    const h = harness(async () => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((resolve) => setImmediate(resolve));
      active--;
    }, 3);
    const pq = new ProcessQueue();
    const batch = msgs(0, 20);
    pq.putMessage(batch);
    h.service.submitConsumeRequest(batch, pq, MQ);
    await until(() => pq.msgCount === 0);
    assert.equal(peak, 3);
    assert.equal(h.service.activeCount, 0);
  });

  it('sends a failure back (thrown, RECONSUME_LATER or rejected) and commits past it; keeps it when that fails', async () => {
    const h = harness((m) => {
      if (m.queueOffset === 0) throw new Error('boom');
      if (m.queueOffset === 1) return 'RECONSUME_LATER';
      if (m.queueOffset === 2) return Promise.reject(new Error('async boom'));
      return 'CONSUME_SUCCESS';
    }, 2);
    const pq = new ProcessQueue();
    const batch = msgs(0, 4);
    pq.putMessage(batch);
    h.service.submitConsumeRequest(batch, pq, MQ);
    await until(() => pq.msgCount === 0);
    assert.deepEqual(h.sentBack.sort(), ['id0', 'id1', 'id2']);
    assert.equal(h.offsets.at(-1), 4);
    // The consumer's statistics (statusTable): 1 OK and 3 failed requests of topic T, each with its consume time.
    const start = Date.now();
    h.stats.sample('minute', start);
    h.stats.sample('hour', start);
    const status = h.stats.consumeStatus('G', 'T');
    assert.equal(status.consumeOKTPS, 1 / 10, 'one message over the first 10 s sample');
    assert.equal(status.consumeFailedTPS, 3 / 10);
    assert.equal(status.consumeFailedMsgs, 3);
    assert.ok(status.consumeRT >= 0 && status.consumeRT < 1000, String(status.consumeRT));
    assert.deepEqual([status.pullTPS, status.pullRT], [0, 0], 'pulls are counted by the consumer, not here');

    const kept = harness(() => 'RECONSUME_LATER', 2, false);
    const pq2 = new ProcessQueue();
    const one = msgs(7, 1);
    pq2.putMessage(one);
    kept.service.submitConsumeRequest(one, pq2, MQ);
    await until(() => kept.retriedLater === 1);
    assert.equal(pq2.msgCount, 1, 'held for the local retry, so its offset is not committed');
    assert.equal((one[0] as MessageExt).reconsumeTimes, 1);
    assert.deepEqual(kept.offsets, []);
  });

  it('skips a dropped queue and, after shutdown, takes nothing more', async () => {
    let calls = 0;
    const h = harness(() => void calls++, 2);
    const dropped = new ProcessQueue();
    dropped.dropped = true;
    h.service.submitConsumeRequest(msgs(0, 5), dropped, MQ);
    const live = new ProcessQueue();
    const first = msgs(10, 1);
    live.putMessage(first);
    h.service.submitConsumeRequest(first, live, MQ);
    await until(() => live.msgCount === 0);
    assert.equal(calls, 1, 'only the live queue was consumed');
    await h.service.shutdown(100);
    const pq = new ProcessQueue();
    const batch = msgs(0, 5);
    pq.putMessage(batch);
    h.service.submitConsumeRequest(batch, pq, MQ);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(calls, 1, 'nothing after shutdown');
    assert.deepEqual(h.offsets, [11]);
  });
});
