import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeStoredMessage } from '../../../src/protocol/message/index.js';
import type { DefaultMessageStore } from '../../../src/store/index.js';
import { StoreStatsService, humanReadableByteCount, javaDoubleToString } from '../../../src/store/store-stats-service.js';
import { message, openStore, tempDir } from './support.js';

describe('DefaultMessageStore: the broker-facing queries', () => {
  let cleanup: () => Promise<void>;
  let store: DefaultMessageStore;
  let now = 1_700_000_000_000;
  before(async () => {
    let dir: string;
    ({ dir, cleanup } = await tempDir());
    store = await openStore(dir, {}, undefined, () => now);
  });
  after(async () => {
    await store.shutdown();
    await cleanup();
  });

  it('selectOneMessageByOffset returns the stored record byte for byte, and null where no record starts', async () => {
    const put = await store.putMessage(message('View', 0, 'payload', { tags: 'T', keys: 'k' }));
    const offset = put.appendResult!.wroteOffset;
    const record = store.selectOneMessageByOffset(offset);
    assert.ok(record !== null);
    assert.deepEqual(record, store.getMessage('g', 'View', 0, 0, 1).messageBuffers[0]);
    assert.equal(decodeStoredMessage(record, 0, { checkCRC: true }).body.toString(), 'payload');
    assert.equal(store.selectOneMessageByOffset(offset + 7), null);
    assert.equal(store.selectOneMessageByOffset(store.getMaxPhyOffset()), null);
  });

  it('getMessageStoreTimeStamp reads the entry\'s store time; -1 past the end or for an unknown queue', async () => {
    now += 1000;
    await store.putMessage(message('Time', 2, 'a'));
    now += 5000;
    await store.putMessage(message('Time', 2, 'b'));
    assert.equal(store.getMessageStoreTimeStamp('Time', 2, 0), now - 5000);
    assert.equal(store.getMessageStoreTimeStamp('Time', 2, 1), now);
    assert.equal(store.getMessageStoreTimeStamp('Time', 2, 2), -1);
    assert.equal(store.getMessageStoreTimeStamp('Nope', 0, 0), -1);
    assert.equal(store.getEarliestMessageTime('Time', 2), now - 5000);
  });

  it('checkInMemByConsumeOffset: true for stored entries near the log end, false past the end, for unknown queues, or beyond the memory share', async () => {
    for (let i = 0; i < 5; i++) await store.putMessage(message('Hot', 0, `m${i}`));
    assert.equal(store.checkInMemByConsumeOffset('Hot', 0, 0, 1), true);
    assert.equal(store.checkInMemByConsumeOffset('Hot', 0, 1, 3), true);
    assert.equal(store.checkInMemByConsumeOffset('Hot', 0, 4, 32), true);
    assert.equal(store.checkInMemByConsumeOffset('Hot', 0, 5, 1), false);
    assert.equal(store.checkInMemByConsumeOffset('Cold', 0, 0, 1), false);
    // A 0% share of memory: every record starts before the log's end, so none counts as hot.
    store.config.accessMessageInMemoryMaxRatio = 0;
    try {
      assert.equal(store.checkInMemByConsumeOffset('Hot', 0, 4, 1), false);
    } finally {
      store.config.accessMessageInMemoryMaxRatio = 40;
    }
  });

  it('getRuntimeInfo has the keys mqadmin clusterList and brokerStatus read, with real counts', async () => {
    const before = store.getRuntimeInfo();
    const putsBefore = Number(before.get('putMessageTimesTotal'));
    const sizeBefore = Number(before.get('putMessageSizeTotal'));
    const put = await store.putMessage(message('Stats', 0, 'x'.repeat(100)));
    store.getMessage('g', 'Stats', 0, 0, 32);
    store.getMessage('g', 'Stats', 0, 1, 32);
    const info = store.getRuntimeInfo();
    assert.equal(Number(info.get('putMessageTimesTotal')), putsBefore + 1);
    assert.equal(Number(info.get('putMessageSizeTotal')), sizeBefore + put.appendResult!.wroteBytes);
    assert.equal(info.get('putMessageFailedTimes'), '0');
    assert.equal(info.get('commitLogMinOffset'), '0');
    assert.equal(info.get('commitLogMaxOffset'), String(store.getMaxPhyOffset()));
    assert.equal(info.get('dispatchBehindBytes'), '0');
    assert.equal(info.get('earliestMessageTimeStamp'), String(store.lookMessageByOffset(0)!.storeTimestamp));
    assert.equal(info.get('bootTimestamp'), '1700000000000');
    const ratio = Number(info.get('commitLogDiskRatio'));
    assert.ok(ratio >= 0 && ratio <= 1, `commitLogDiskRatio ${ratio}`);
    assert.equal(info.get(`commitLogDiskRatio_${store.config.storePathCommitLog}`), info.get('commitLogDiskRatio'));
    assert.match(info.get('consumeQueueDiskRatio')!, /^\d\.\d+$/);
    assert.match(info.get('remainHowManyDataToFlush')!, /^\d+(\.\d)? (B|KiB|MiB)$/);
    // Less than 10 s sampled: every TPS window is empty, as Java's.
    assert.equal(info.get('putTps'), '  ');
    assert.equal(info.get('getTotalTps'), '0.0 0.0 0.0');
    for (const key of ['putMessageEntireTimeMax', 'getMessageEntireTimeMax', 'putMessageAverageSize', 'putLatency99', 'runtime', 'putMessageDistributeTime']) {
      assert.ok(info.has(key), key);
    }
  });
});

describe('StoreStatsService', () => {
  it('computes TPS over the last 10, 60 and 600 one-second samples', () => {
    let t = 0;
    const stats = new StoreStatsService(() => 1_700_000_000_000, () => t);
    for (let second = 1; second <= 60; second++) {
      t = second * 1000;
      stats.putMessageTimesTotal += second <= 50 ? 10 : 40;
      stats.getMessageTimesTotalFound += 2;
      stats.getMessageTimesTotalMiss += 1;
      stats.getMessageTransferredMsgCount += 5;
      stats.sampling();
    }
    const info = stats.getRuntimeInfo();
    // Last 10 s: 40/s; last 60 s: (50 * 10 + 10 * 40) / 60 = 15/s; 600 s not sampled yet.
    assert.equal(info.get('putTps'), '40.0 15.0 ');
    assert.equal(info.get('getFoundTps'), '2.0 2.0 ');
    assert.equal(info.get('getMissTps'), '1.0 1.0 ');
    assert.equal(info.get('getTotalTps'), '3.0 3.0 0.0');
    assert.equal(info.get('getTransferredTps'), '5.0 5.0 ');
    assert.equal(info.get('putMessageTimesTotal'), String(50 * 10 + 10 * 40));
  });

  it('reports the last minute\'s put-latency distribution and percentiles', () => {
    let t = 0;
    const stats = new StoreStatsService(() => 0, () => t);
    assert.equal(stats.getRuntimeInfo().get('putMessageDistributeTime'), 'null');
    for (let i = 0; i < 99; i++) stats.setPutMessageEntireTimeMax(0);
    stats.setPutMessageEntireTimeMax(300);
    t = 60_000;
    stats.sampling();
    const info = stats.getRuntimeInfo();
    assert.equal(info.get('putMessageEntireTimeMax'), '300');
    assert.match(info.get('putMessageDistributeTime')!, /^\[<=0ms\]:99 \[0~10ms\]:0 .*\[200~500ms\]:1 .*\[10s~\]:0 $/);
    assert.equal(info.get('putLatency99'), '1.00');
    assert.equal(info.get('putLatency999'), '1.00');
  });

  it('formats numbers as Java does', () => {
    assert.deepEqual([0, 12, 0.5, 1234.5, 1e7, 12345678.9, 0.0001].map(javaDoubleToString), ['0.0', '12.0', '0.5', '1234.5', '1.0E7', '1.23456789E7', '1.0E-4']);
    assert.deepEqual([512, 1536, 3 * 1024 ** 3].map(humanReadableByteCount), ['512 B', '1.5 KiB', '3.0 GiB']);
  });
});
