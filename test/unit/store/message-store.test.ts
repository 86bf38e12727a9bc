import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  Message,
  MessageExtBatch,
  decodeMessageId,
  decodeStoredMessage,
  encodeMessages,
  tagsString2tagsCode,
} from '../../../src/protocol/message/index.js';
import type { DefaultMessageStore } from '../../../src/store/index.js';
import { bodies, message, openStore, tempDir } from './support.js';

describe('DefaultMessageStore: put and get', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: DefaultMessageStore;
  before(async () => {
    ({ dir, cleanup } = await tempDir());
    store = await openStore(dir);
  });
  after(async () => {
    await store.shutdown();
    await cleanup();
  });

  it('appends, returns the offset msgId and reads the record back as stored', async () => {
    const result = await store.putMessage(message('T', 0, 'hello', { tags: 'TagA', keys: 'k1 k2' }));
    assert.equal(result.status, 'PUT_OK');
    const append = result.appendResult!;
    assert.deepEqual([append.wroteOffset, append.logicsOffset, append.msgNum], [0, 0, 1]);
    assert.deepEqual(decodeMessageId(append.msgId), { storeHost: { address: '127.0.0.1', port: 10911 }, offset: 0 });
    const got = store.getMessage('g', 'T', 0, 0, 32);
    assert.equal(got.status, 'FOUND');
    assert.deepEqual([got.nextBeginOffset, got.minOffset, got.maxOffset, got.messageCount, got.bufferTotalSize], [1, 0, 1, 1, append.wroteBytes]);
    const stored = decodeStoredMessage(got.messageBuffers[0]!, 0, { checkCRC: true });
    assert.equal(stored.body.toString(), 'hello');
    assert.equal(stored.tags, 'TagA');
    assert.equal(stored.storeTimestamp, append.storeTimestamp);
    assert.equal(store.lookMessageByOffset(0)?.keys, 'k1 k2');
    assert.equal(store.lookMessageByOffset(7), null);
  });

  it('rolls commit-log and consume-queue segments with consecutive queue offsets and END_OF_FILE fillers', async () => {
    const n = 120;
    for (let i = 0; i < n; i++) {
      const r = await store.putMessage(message('Roll', 1, `m-${i}-${'x'.repeat(i % 50)}`));
      assert.equal(r.appendResult?.logicsOffset, i);
    }
    store.dispatchPending();
    assert.ok(readdirSync(join(dir, 'commitlog')).length > 3);
    assert.ok(readdirSync(join(dir, 'consumequeue', 'Roll', '1')).length >= 12);
    assert.equal(store.getMaxOffsetInQueue('Roll', 1), n);
    const seen: string[] = [];
    for (let offset = 0, guard = 0; offset < n && guard < n; guard++) {
      const got = store.getMessage('g', 'Roll', 1, offset, 7);
      assert.equal(got.status, 'FOUND');
      seen.push(...bodies(got.messageBuffers));
      offset = got.nextBeginOffset;
    }
    assert.deepEqual(seen, Array.from({ length: n }, (_, i) => `m-${i}-${'x'.repeat(i % 50)}`));
    const pos = store.getCommitLogOffsetInQueue('Roll', 1, 77);
    assert.equal(store.lookMessageByOffset(pos)?.queueOffset, 77);
  });

  it('answers every getMessage status with Java\'s nextBeginOffset', () => {
    const st = (offset: number, topic = 'T', q = 0) => {
      const r = store.getMessage('g', topic, q, offset, 32);
      return [r.status, r.nextBeginOffset];
    };
    assert.deepEqual(st(5, 'Nope'), ['NO_MATCHED_LOGIC_QUEUE', 0]);
    assert.deepEqual(st(1), ['OFFSET_OVERFLOW_ONE', 1]);
    assert.deepEqual(st(9), ['OFFSET_OVERFLOW_BADLY', 1]);
    assert.deepEqual(st(-1), ['OFFSET_TOO_SMALL', 0]);
  });

  it('limits a pull to maxMsgNums, to the consume-queue segment (as Java\'s iterator), and to 32 messages / 256 KiB', async () => {
    for (let i = 0; i < 40; i++) await store.putMessage(message('Lim', 0, String(i)));
    assert.equal(store.getMessage('g', 'Lim', 0, 0, 5).messageCount, 5);
    const segment = store.getMessage('g', 'Lim', 0, 3, 100);
    assert.deepEqual([segment.messageCount, segment.nextBeginOffset], [7, 10]);

    const big = await openStore(join(dir, 'big'), { mappedFileSizeConsumeQueue: 20 * 1000, mappedFileSizeCommitLog: 1024 * 1024 });
    try {
      for (let i = 0; i < 40; i++) await big.putMessage(message('Lim', 0, String(i)));
      const r = big.getMessage('g', 'Lim', 0, 0, 100);
      assert.deepEqual([r.messageCount, r.nextBeginOffset], [32, 32]);
      for (let i = 0; i < 4; i++) await big.putMessage(message('Big', 0, 'z'.repeat(100 * 1024)));
      const bytes = big.getMessage('g', 'Big', 0, 0, 100);
      assert.deepEqual([bytes.messageCount, bytes.nextBeginOffset], [2, 2]);
    } finally {
      await big.shutdown();
    }
  });

  it('filters by tag hash, skipping non-matching entries (NO_MATCHED_MESSAGE when none match)', async () => {
    for (let i = 0; i < 6; i++) await store.putMessage(message('Tags', 0, `b${i}`, { tags: i % 2 === 0 ? 'A' : 'B' }));
    const onlyA = { isMatchedByConsumeQueue: (code: number) => code === tagsString2tagsCode('A') };
    const r = store.getMessage('g', 'Tags', 0, 0, 32, onlyA);
    assert.deepEqual([r.status, bodies(r.messageBuffers), r.nextBeginOffset], ['FOUND', ['b0', 'b2', 'b4'], 6]);
    const none = store.getMessage('g', 'Tags', 0, 0, 32, { isMatchedByConsumeQueue: () => false });
    assert.deepEqual([none.status, none.nextBeginOffset, none.messageCount], ['NO_MATCHED_MESSAGE', 6, 0]);
  });

  it('stores a batch as consecutive records with the batch properties appended', async () => {
    const inner = [new Message('B', Buffer.from('one'), new Map([['KEYS', 'ka'], ['UNIQ_KEY', 'U1']])), new Message('B', Buffer.from('two'), new Map([['UNIQ_KEY', 'U2']]))];
    const batch = new MessageExtBatch();
    Object.assign(batch, message('B', 2, ''));
    batch.body = encodeMessages(inner);
    batch.properties = new Map([['WAIT', 'true']]);
    const r = await store.putMessages(batch);
    assert.equal(r.status, 'PUT_OK');
    assert.equal(r.appendResult?.msgNum, 2);
    assert.equal(r.appendResult?.msgId.split(',').length, 2);
    const got = store.getMessage('g', 'B', 2, 0, 32);
    assert.deepEqual(bodies(got.messageBuffers), ['one', 'two']);
    const second = decodeStoredMessage(got.messageBuffers[1]!);
    assert.deepEqual([second.queueOffset, second.getProperty('WAIT'), second.uniqKey], [1, 'true', 'U2']);
    batch.body = Buffer.from([0, 0, 0, 9]);
    assert.equal((await store.putMessages(batch)).status, 'MESSAGE_ILLEGAL');
  });

  it('refuses an oversized body and properties over 32767 bytes', async () => {
    const big = message('T', 0, '');
    big.body = Buffer.alloc(4 * 1024 * 1024 + 1);
    assert.equal((await store.putMessage(big)).status, 'MESSAGE_ILLEGAL');
    const props = message('T', 0, 'x');
    props.putProperty('P', 'v'.repeat(40000));
    assert.equal((await store.putMessage(props)).status, 'PROPERTIES_SIZE_EXCEEDED');
    const wontFit = message('T', 0, 'y'.repeat(5000));
    assert.equal((await store.putMessage(wontFit)).status, 'MESSAGE_ILLEGAL');
    assert.equal(store.getMaxOffsetInQueue('T', 0), 1);
  });

  it('queries by KEYS entry and by UNIQ_KEY through the index, across index files', async () => {
    for (let i = 0; i < 30; i++) await store.putMessage(message('Idx', 0, `i${i}`, { keys: `order-${i % 3} all`, uniqKey: `UNIQ${i}` }));
    const byKey = store.queryMessage('Idx', 'order-1', 32, 0, Number.MAX_SAFE_INTEGER);
    assert.deepEqual(bodies(byKey.messages), ['i1', 'i4', 'i7', 'i10', 'i13', 'i16', 'i19', 'i22', 'i25', 'i28']);
    assert.ok(byKey.indexLastUpdatePhyoffset > 0);
    assert.deepEqual(bodies(store.queryMessage('Idx', 'UNIQ17', 32, 0, Number.MAX_SAFE_INTEGER).messages), ['i17']);
    assert.equal(store.queryMessage('Idx', 'all', 5, 0, Number.MAX_SAFE_INTEGER).messages.length, 5);
    assert.equal(store.queryMessage('Other', 'all', 32, 0, Number.MAX_SAFE_INTEGER).messages.length, 0);
    assert.ok(readdirSync(join(dir, 'index')).length > 1);
  });

  it('calls the arriving listener after each consume-queue append, with the new max offset', async () => {
    const calls: unknown[] = [];
    let arrived!: () => void;
    const bothArrived = new Promise<void>((resolve) => (arrived = resolve));
    store.setMessageArrivingListener((topic, queueId, logicOffset, tagsCode) => {
      calls.push([topic, queueId, logicOffset, tagsCode]);
      if (calls.length === 2) arrived();
    });
    // The dispatch runs in a turn of its own, before or after the put's ack resolves (as Java's reput thread).
    await store.putMessage(message('Arrive', 3, 'a', { tags: 'A' }));
    await store.putMessage(message('Arrive', 3, 'b'));
    await bothArrived;
    assert.deepEqual(calls, [['Arrive', 3, 1, tagsString2tagsCode('A')], ['Arrive', 3, 2, 0]]);
  });

  it('deletes topics: their queues are gone, other topics stay', async () => {
    store.deleteTopics(new Set(['Tags', 'Lim']));
    assert.equal(store.getMaxOffsetInQueue('Tags', 0), 0);
    assert.equal(store.getMessage('g', 'Lim', 0, 0, 32).status, 'NO_MATCHED_LOGIC_QUEUE');
    assert.ok(!readdirSync(join(dir, 'consumequeue')).includes('Tags'));
    assert.equal(store.getMessage('g', 'T', 0, 0, 32).status, 'FOUND');
    const r = await store.putMessage(message('Tags', 0, 'again'));
    assert.equal(r.appendResult?.logicsOffset, 0);
  });
});

describe('DefaultMessageStore: time', () => {
  it('finds offsets by store time (first at or after) and the earliest store time', async () => {
    const { dir, cleanup } = await tempDir();
    let now = 1_000_000;
    const store = await openStore(dir, {}, undefined, () => now);
    try {
      assert.equal(store.getEarliestMessageTime('Time', 0), -1);
      for (let i = 0; i < 10; i++) {
        now = 1_000_000 + Math.floor(i / 2) * 1000;
        await store.putMessage(message('Time', 0, String(i)));
      }
      assert.equal(store.getEarliestMessageTime('Time', 0), 1_000_000);
      assert.equal(store.getOffsetInQueueByTime('Time', 0, 0), 0);
      assert.equal(store.getOffsetInQueueByTime('Time', 0, 1_002_000), 4);
      assert.equal(store.getOffsetInQueueByTime('Time', 0, 1_002_500), 6);
      assert.equal(store.getOffsetInQueueByTime('Time', 0, 9_999_999), 10);
      assert.equal(store.getOffsetInQueueByTime('None', 0, 5), 0);
      assert.equal(store.now(), now);
    } finally {
      await store.shutdown();
      await cleanup();
    }
  });
});
