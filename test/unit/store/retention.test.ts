import assert from 'node:assert/strict';
import { readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isTimeToDelete } from '../../../src/store/clean-commit-log-service.js';
import { bodies, faultyIO, message, openStore, tempDir } from './support.js';

describe('retention (CleanCommitLogService)', () => {
  it('deletes segments older than fileReservedTime, then the consume-queue and index files that point below the new min', async () => {
    const { dir, cleanup } = await tempDir();
    const io = faultyIO();
    io.faults.diskUsageRatio = () => 0.1;
    const store = await openStore(dir, { fileReservedTime: 1, deleteWhen: '99' }, io);
    try {
      for (let i = 0; i < 150; i++) await store.putMessage(message('Ret', 0, `r${i}-${'p'.repeat(60)}`, { keys: `k${i}` }));
      store.dispatchPending();
      const segments = readdirSync(join(dir, 'commitlog')).sort();
      const cqFiles = readdirSync(join(dir, 'consumequeue', 'Ret', '0')).length;
      const indexFiles = readdirSync(join(dir, 'index')).length;
      assert.ok(segments.length >= 5);

      assert.equal(store.cleanCommitLogService.run(), 0, 'not the hour, disk not full');
      assert.equal(store.cleanCommitLogService.run(true), 0, 'nothing expired yet');

      const old = (Date.now() - 2 * 3600 * 1000) / 1000;
      for (const name of segments.slice(0, 3)) utimesSync(join(dir, 'commitlog', name), old, old);
      assert.equal(store.cleanCommitLogService.run(true), 3);
      assert.deepEqual(readdirSync(join(dir, 'commitlog')).sort(), segments.slice(3));
      const minPhy = store.getMinPhyOffset();
      assert.equal(minPhy, Number(segments[3]));

      const min = store.getMinOffsetInQueue('Ret', 0);
      assert.ok(min > 0);
      assert.ok(store.lookMessageByOffset(store.getCommitLogOffsetInQueue('Ret', 0, min))!.commitLogOffset >= minPhy);
      const tooSmall = store.getMessage('g', 'Ret', 0, 0, 32);
      assert.deepEqual([tooSmall.status, tooSmall.nextBeginOffset], ['OFFSET_TOO_SMALL', min]);
      assert.deepEqual(bodies(store.getMessage('g', 'Ret', 0, min, 1).messageBuffers), [`r${min}-${'p'.repeat(60)}`]);
      assert.ok(readdirSync(join(dir, 'consumequeue', 'Ret', '0')).length < cqFiles);
      assert.ok(readdirSync(join(dir, 'index')).length < indexFiles);
      assert.equal(store.queryMessage('Ret', 'k0', 32, 0, Number.MAX_SAFE_INTEGER).messages.length, 0);
      assert.equal(store.queryMessage('Ret', 'k149', 32, 0, Number.MAX_SAFE_INTEGER).messages.length, 1);
      assert.equal(store.getEarliestMessageTime('Ret', 0) > 0, true);

      // Above diskSpaceCleanForciblyRatio unexpired segments go too, never the last one.
      io.faults.diskUsageRatio = () => 0.88;
      const remaining = readdirSync(join(dir, 'commitlog')).length;
      assert.equal(store.cleanCommitLogService.run(), remaining - 1);
      assert.equal(readdirSync(join(dir, 'commitlog')).length, 1);
      assert.equal((await store.putMessage(message('Ret', 0, 'still writable'))).status, 'PUT_OK');
    } finally {
      await store.shutdown();
      await cleanup();
    }
  });

  it('knows the deleteWhen hours', () => {
    const at4 = new Date(2024, 0, 1, 4, 30).getTime();
    assert.equal(isTimeToDelete('04', at4), true);
    assert.equal(isTimeToDelete('03;04', at4), true);
    assert.equal(isTimeToDelete('05', at4), false);
  });
});
