import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { FdCache, type CachedFd } from '../../../src/store/fd-cache.js';
import { nodeStorageIO, type StorageIO } from '../../../src/store/index.js';
import { bodies, message, openStore, tempDir } from './support.js';

/** A StorageIO that tracks which data files are open, and the most open at once. */
function countingIO(): StorageIO & { open: StorageIO['open']; openNow: Map<number, string>; maxOpen: number; opens: string[] } {
  const io = {
    ...nodeStorageIO,
    openNow: new Map<number, string>(),
    maxOpen: 0,
    opens: [] as string[],
    open(path: string, flags: 'r' | 'r+' | 'wx+' | 'w') {
      const fd = nodeStorageIO.open(path, flags);
      io.openNow.set(fd, path);
      io.opens.push(path);
      io.maxOpen = Math.max(io.maxOpen, io.openNow.size);
      return fd;
    },
    close(fd: number) {
      io.openNow.delete(fd);
      nodeStorageIO.close(fd);
    },
  };
  return io;
}

describe('FdCache', () => {
  it('closes the least recently used idle descriptors past the cap, never the one just used nor a busy one', () => {
    const released: string[] = [];
    const file = (name: string, busy = false): CachedFd & { name: string } => ({ name, busy, releaseFd: () => released.push(name) });
    const cache = new FdCache(2);
    const [a, b, c, d] = [file('a'), file('b', true), file('c'), file('d')];
    cache.touch(a);
    cache.touch(b);
    assert.deepEqual(released, []);
    cache.touch(a);
    cache.touch(c);
    // b is the least recently used but busy (an fsync in flight): a goes instead.
    assert.deepEqual(released, ['a']);
    cache.touch(d);
    assert.deepEqual(released, ['a', 'c']);
    assert.equal(cache.openFiles, 2);
    assert.throws(() => new FdCache(0), /maxOpenSegmentFiles/);
  });
});

describe('DefaultMessageStore with many queues and few descriptors', () => {
  const queues = 150;
  const cap = 8;
  let root: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir: root, cleanup } = await tempDir()));
  after(() => cleanup());

  it(`keeps at most ${cap} segment descriptors open across puts, pulls, flushes and a restart, and loses nothing`, async () => {
    const dir = join(root, 'capped');
    const io = countingIO();
    const config = { maxOpenSegmentFiles: cap, mappedFileSizeCommitLog: 64 * 1024 };
    const store = await openStore(dir, config, io);
    const commitLogOpensBefore = io.opens.filter((p) => p.includes('commitlog')).length;
    for (let round = 0; round < 3; round++) {
      for (let q = 0; q < queues; q++) assert.equal((await store.putMessage(message(`T${q % 10}`, q, `m${round}-${q}`))).status, 'PUT_OK');
    }
    // The active commit-log segment keeps its descriptor: one open per segment created, not one per put.
    const commitLogSegments = store.commitLog.mappedFileQueue.files.length;
    assert.equal(io.opens.filter((p) => p.includes('commitlog')).length - commitLogOpensBefore, commitLogSegments);
    assert.ok(await store.flushLogicsAndCheckpoint());
    for (let q = 0; q < queues; q++) assert.deepEqual(bodies(store.getMessage('g', `T${q % 10}`, q, 0, 32).messageBuffers), [`m0-${q}`, `m1-${q}`, `m2-${q}`]);
    await store.shutdown();
    assert.equal(io.openNow.size, 0);

    const again = await openStore(dir, config, io);
    try {
      for (let q = 0; q < queues; q++) {
        assert.equal(again.getMaxOffsetInQueue(`T${q % 10}`, q), 3);
        assert.deepEqual(bodies(again.getMessage('g', `T${q % 10}`, q, 1, 32).messageBuffers), [`m1-${q}`, `m2-${q}`]);
      }
      await again.putMessage(message('T0', 0, 'after restart'));
      assert.deepEqual(bodies(again.getMessage('g', 'T0', 0, 3, 32).messageBuffers), ['after restart']);
    } finally {
      await again.shutdown();
    }
    // Beyond the cap: the active commit-log segment, the index file, the checkpoint, the abort marker while written,
    // and a segment whose fsync is in flight.
    assert.ok(io.maxOpen <= cap + 5, `at most ${io.maxOpen} files open at once`);
  });

  it('without a low cap the same load holds a descriptor per queue (what the cap prevents)', async () => {
    const io = countingIO();
    const store = await openStore(join(root, 'uncapped'), {}, io);
    try {
      for (let q = 0; q < queues; q++) await store.putMessage(message('U', q, 'x'));
      store.dispatchPending();
      assert.ok(io.openNow.size > queues, `${io.openNow.size} files open`);
    } finally {
      await store.shutdown();
    }
  });
});
