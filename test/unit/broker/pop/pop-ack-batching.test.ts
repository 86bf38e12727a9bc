/**
 * Acks of one checkpoint arriving together (a push consumer acks a pop's messages one by one, all at once) are
 * written as one revive-log record per turn of the checkpoint's lock, not one record after another; each is still
 * answered after its record is stored, and a restart replays them as acked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PoppedMessage } from '../../../../src/broker/pop/pop-engine.js';
import type { DefaultMessageStore } from '../../../../src/store/index.js';
import { message, openStore, tempDir } from '../../store/support.js';
import { engineOver, MemoryBrokerPort } from './support.js';

const GROUP = 'G';
const TOPIC = 'T';
/** Consume-queue files of 40 entries: a pop of 32 is one read. */
const LARGE_QUEUES = { mappedFileSizeConsumeQueue: 800, mappedFileSizeCommitLog: 64 * 1024 };

async function popAll(store: DefaultMessageStore, broker: MemoryBrokerPort, n: number) {
  const { engine, clock } = engineOver(store, { broker });
  broker.topics.set(TOPIC, 1);
  for (let i = 0; i < n; i++) assert.equal((await store.putMessage(message(TOPIC, 0, `m${i}`))).status, 'PUT_OK');
  const result = await engine.pop({ group: GROUP, topic: TOPIC, queueId: -1, maxMsgNums: 32, invisibleTime: 60_000, pollTime: 0 });
  assert.equal(result.status, 'FOUND');
  const messages: readonly PoppedMessage[] = result.status === 'FOUND' ? result.messages : [];
  assert.equal(messages.length, n);
  return { engine, clock, messages };
}

describe('POP engine, acks of one checkpoint', () => {
  it('acked all at once: each answered true, one revive-log record instead of one per message, nothing revived', async () => {
    const { dir, cleanup } = await tempDir();
    const store = await openStore(dir, LARGE_QUEUES);
    try {
      const { engine, clock, messages } = await popAll(store, new MemoryBrokerPort(), 32);
      const reviveLog = (): number => store.getMaxOffsetInQueue(engine.reviveTopic, 0);
      const before = reviveLog();
      const acked = await Promise.all(messages.map((m) => engine.ack({ group: GROUP, topic: TOPIC, receiptHandle: m.receiptHandle })));
      assert.deepEqual(acked, messages.map(() => true));
      // All 32 arrive before the checkpoint's lock is taken: one batch, one record (it was 32 written in a row).
      assert.equal(reviveLog() - before, 1);
      assert.equal(engine.pendingCheckPoints, 0);
      assert.equal(await engine.ack({ group: GROUP, topic: TOPIC, receiptHandle: messages[5]!.receiptHandle }), false, 'an acked handle acks nothing');
      clock.now += 120_000;
      assert.equal(await engine.revive(), 0);
    } finally {
      await store.shutdown();
      await cleanup();
    }
  });

  it('the same handle acked twice at once: one of the two acks it', async () => {
    const { dir, cleanup } = await tempDir();
    const store = await openStore(dir, LARGE_QUEUES);
    try {
      const { engine, messages } = await popAll(store, new MemoryBrokerPort(), 3);
      const [first, second] = messages;
      const results = await Promise.all([first, second, second].map((m) => engine.ack({ group: GROUP, topic: TOPIC, receiptHandle: m!.receiptHandle })));
      assert.deepEqual(results, [true, true, false]);
      assert.equal(engine.inFlightCount(GROUP, TOPIC, 0), 1);
    } finally {
      await store.shutdown();
      await cleanup();
    }
  });

  it('a restart replays the batched acks: only the unacked message comes back', async () => {
    const { dir, cleanup } = await tempDir();
    const broker = new MemoryBrokerPort();
    let store = await openStore(dir, LARGE_QUEUES);
    try {
      const { engine, messages } = await popAll(store, broker, 10);
      const kept = messages[7]!;
      await Promise.all(messages.filter((m) => m !== kept).map((m) => engine.ack({ group: GROUP, topic: TOPIC, receiptHandle: m.receiptHandle })));
      await store.shutdown();
      store = await openStore(dir, LARGE_QUEUES);
      const { engine: restarted, clock } = engineOver(store, { broker });
      restarted.load();
      assert.equal(restarted.inFlightCount(GROUP, TOPIC, 0), 1);
      clock.now += 120_000;
      assert.equal(await restarted.revive(), 1);
      const again = await restarted.pop({ group: GROUP, topic: TOPIC, queueId: -1, maxMsgNums: 32, invisibleTime: 60_000, pollTime: 0 });
      assert.equal(again.status, 'FOUND');
      assert.deepEqual(
        again.status === 'FOUND' ? again.messages.map((m) => m.message.body.toString()) : [],
        [kept.message.body.toString()],
      );
    } finally {
      await store.shutdown();
      await cleanup();
    }
  });
});
