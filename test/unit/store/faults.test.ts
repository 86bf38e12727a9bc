import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nodeStorageIO } from '../../../src/store/index.js';
import { bodies, errno, faultyIO, message, openStore, tempDir } from './support.js';

describe('faults through the storage-I/O seam', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir: root, cleanup } = await tempDir());
  });
  after(() => cleanup());

  it('disk full (ENOSPC, even after a partial write): no ack, nothing half-written, reads work, writes resume', async () => {
    const io = faultyIO();
    const dir = join(root, 'enospc');
    const store = await openStore(dir, {}, io);
    try {
      for (let i = 0; i < 5; i++) assert.equal((await store.putMessage(message('D', 0, `ok-${i}`))).status, 'PUT_OK');
      // Dispatched before the disk fills; what is acked but not yet dispatched then waits for room, as in Java.
      store.dispatchPending();
      const before = store.getMaxPhyOffset();
      let failedWrites = 0;
      io.faults.write = (fd, buffer, offset, length, position) => {
        // Half the record lands, then the disk is full; zero-filling the partial region still works.
        if (buffer.some((b) => b !== 0)) {
          failedWrites++;
          nodeStorageIO.write(fd, buffer, offset, Math.floor(length / 2), position);
          throw errno('ENOSPC');
        }
        return nodeStorageIO.write(fd, buffer, offset, length, position);
      };
      const refused = await store.putMessage(message('D', 0, 'lost'));
      assert.equal(refused.status, 'SERVICE_NOT_AVAILABLE');
      assert.equal(refused.appendResult, undefined);
      assert.equal(failedWrites, 1);
      assert.equal(store.getMaxPhyOffset(), before);
      assert.deepEqual(bodies(store.getMessage('g', 'D', 0, 0, 32).messageBuffers), ['ok-0', 'ok-1', 'ok-2', 'ok-3', 'ok-4']);

      // What a crash now would leave: recovery finds the clean end, not a half record.
      const crashed = join(root, 'enospc-crash');
      cpSync(dir, crashed, { recursive: true });
      const recovered = await openStore(crashed);
      assert.equal(recovered.getMaxPhyOffset(), before);
      await recovered.shutdown();

      delete io.faults.write;
      const resumed = await store.putMessage(message('D', 0, 'resumed'));
      assert.deepEqual([resumed.status, resumed.appendResult?.wroteOffset, resumed.appendResult?.logicsOffset], ['PUT_OK', before, 5]);
      assert.deepEqual(bodies(store.getMessage('g', 'D', 0, 5, 32).messageBuffers), ['resumed']);
    } finally {
      await store.shutdown();
    }
  });

  it('refuses puts while the disk-usage probe is above diskSpaceWarningLevelRatio, and accepts them again below', async () => {
    const io = faultyIO();
    const store = await openStore(join(root, 'probe'), {}, io);
    try {
      io.faults.diskUsageRatio = () => 0.95;
      store.cleanCommitLogService.run();
      assert.equal((await store.putMessage(message('P', 0, 'x'))).status, 'SERVICE_NOT_AVAILABLE');
      io.faults.diskUsageRatio = () => 0.5;
      store.cleanCommitLogService.run();
      assert.equal((await store.putMessage(message('P', 0, 'y'))).status, 'PUT_OK');
    } finally {
      await store.shutdown();
    }
  });

  it('a consume-queue write failure fails the flush and holds the checkpoint back; the entries stay readable and are written later', async () => {
    const io = faultyIO();
    const cqFds = new Set<number>();
    io.faults.open = (path, flags) => {
      const fd = nodeStorageIO.open(path, flags);
      if (path.includes('consumequeue')) cqFds.add(fd);
      return fd;
    };
    const dir = join(root, 'cq-fail');
    const store = await openStore(dir, { flushIntervalConsumeQueue: 3_600_000 }, io);
    try {
      await store.putMessage(message('Q', 0, 'first'));
      assert.equal(await store.flushLogicsAndCheckpoint(), true);
      io.faults.write = (fd, ...rest) => {
        if (cqFds.has(fd)) throw errno('ENOSPC');
        return nodeStorageIO.write(fd, ...rest);
      };
      assert.equal((await store.putMessage(message('Q', 0, 'second'))).status, 'PUT_OK');
      assert.equal(store.getMaxOffsetInQueue('Q', 0), 2);
      assert.equal(await store.flushLogicsAndCheckpoint(), false);
      // A crash now: the checkpoint still points before 'second', so recovery dispatches it again.
      const crashed = join(root, 'cq-fail-crash');
      cpSync(dir, crashed, { recursive: true });
      const recovered = await openStore(crashed);
      assert.deepEqual(bodies(recovered.getMessage('g', 'Q', 0, 0, 32).messageBuffers), ['first', 'second']);
      await recovered.shutdown();
      delete io.faults.write;
      await store.putMessage(message('Q', 0, 'third'));
      assert.equal(await store.flushLogicsAndCheckpoint(), true);
      assert.deepEqual(bodies(store.getMessage('g', 'Q', 0, 0, 32).messageBuffers), ['first', 'second', 'third']);
    } finally {
      await store.shutdown();
    }
  });

  it('SYNC_FLUSH: the ack waits for the fsync covering the record; puts during one fsync share the next (group commit)', async () => {
    const io = faultyIO();
    let release!: () => void;
    let gate = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const fsyncStarted = new Promise<void>((resolve) => (started = resolve));
    let commitLogSyncs = 0;
    const store = await openStore(join(root, 'sync'), { flushDiskType: 'SYNC_FLUSH', syncFlushTimeout: 60_000 }, io);
    try {
      io.faults.fdatasync = async (fd) => {
        commitLogSyncs++;
        started();
        await gate;
        return nodeStorageIO.fdatasync(fd);
      };
      let settled = false;
      const first = store.putMessage(message('S', 0, 'one')).then((r) => {
        settled = true;
        return r;
      });
      await fsyncStarted;
      const more = Array.from({ length: 10 }, (_, i) => store.putMessage(message('S', 0, `more-${i}`)));
      assert.equal(store.getMaxOffsetInQueue('S', 0), 11);
      assert.equal(settled, false);
      const noWait = await store.putMessage(message('S', 0, 'nowait', { wait: false }));
      assert.equal(noWait.status, 'PUT_OK');
      const syncsBeforeRelease = commitLogSyncs;
      release();
      gate = Promise.resolve();
      assert.equal((await first).status, 'PUT_OK');
      assert.deepEqual((await Promise.all(more)).map((r) => r.status), Array(10).fill('PUT_OK'));
      assert.equal(syncsBeforeRelease, 1);
      assert.ok(commitLogSyncs <= 3, `${commitLogSyncs} commit-log syncs for 12 puts`);
    } finally {
      release();
      await store.shutdown();
    }
  });

  it('SYNC_FLUSH: a slow fsync answers FLUSH_DISK_TIMEOUT, and the message is still stored', async () => {
    const io = faultyIO();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const store = await openStore(join(root, 'slow'), { flushDiskType: 'SYNC_FLUSH', syncFlushTimeout: 100 }, io);
    try {
      io.faults.fdatasync = async (fd) => {
        await gate;
        return nodeStorageIO.fdatasync(fd);
      };
      const r = await store.putMessage(message('S', 0, 'slow'));
      assert.equal(r.status, 'FLUSH_DISK_TIMEOUT');
      assert.ok(r.appendResult !== undefined);
      assert.deepEqual(bodies(store.getMessage('g', 'S', 0, 0, 32).messageBuffers), ['slow']);
    } finally {
      release();
      await store.shutdown();
    }
  });

  it('a failed fsync (EIO) answers UNKNOWN_ERROR, then refuses writes until restart; reads keep working', async () => {
    const io = faultyIO();
    const dir = join(root, 'eio');
    const store = await openStore(dir, { flushDiskType: 'SYNC_FLUSH' }, io);
    await store.putMessage(message('E', 0, 'fine'));
    io.faults.fdatasync = () => Promise.reject(errno('EIO'));
    assert.equal((await store.putMessage(message('E', 0, 'unsure'))).status, 'UNKNOWN_ERROR');
    assert.equal((await store.putMessage(message('E', 0, 'refused'))).status, 'SERVICE_NOT_AVAILABLE');
    assert.deepEqual(bodies(store.getMessage('g', 'E', 0, 0, 32).messageBuffers), ['fine', 'unsure']);
    delete io.faults.fdatasync;
    await store.shutdown();
    const again = await openStore(dir, { flushDiskType: 'SYNC_FLUSH' });
    try {
      assert.equal((await again.putMessage(message('E', 0, 'after restart'))).status, 'PUT_OK');
    } finally {
      await again.shutdown();
    }
  });

  it('ASYNC_FLUSH syncs the commit log in the background within the interval', async () => {
    const io = faultyIO();
    const store = await openStore(join(root, 'async'), { flushIntervalCommitLog: 20 }, io);
    try {
      const r = await store.putMessage(message('A', 0, 'x'));
      assert.equal(r.status, 'PUT_OK');
      const end = r.appendResult!.wroteOffset + r.appendResult!.wroteBytes;
      assert.ok(store.commitLog.mappedFileQueue.flushedWhere < end);
      // The checkpoint is fsynced on every consume-queue tick: look at the flushed offset then.
      await new Promise<void>((resolve) => {
        io.faults.fsync = async (fd) => {
          await nodeStorageIO.fsync(fd);
          if (store.commitLog.mappedFileQueue.flushedWhere >= end) resolve();
        };
      });
    } finally {
      await store.shutdown();
    }
  });
});
