import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeMessageId } from '../../../src/protocol/message/index.js';
import { nodeStorageIO, type StorageIO } from '../../../src/store/index.js';
import { bodies, errno, faultyIO, message, openStore, tempDir } from './support.js';

/** A StorageIO counting reads and writes per kind of data file (commitlog, consumequeue, index). */
function syscallCountingIO(): StorageIO & { writes: Map<string, number>; reads: Map<string, number>; reset(): void } {
  const kinds = new Map<number, string>();
  const kindOf = (path: string) => ['commitlog', 'consumequeue', 'index'].find((k) => path.includes(`/${k}/`)) ?? 'other';
  const io = {
    ...nodeStorageIO,
    writes: new Map<string, number>(),
    reads: new Map<string, number>(),
    reset() {
      io.writes.clear();
      io.reads.clear();
    },
    open(path: string, flags: 'r' | 'r+' | 'wx+' | 'w') {
      const fd = nodeStorageIO.open(path, flags);
      kinds.set(fd, kindOf(path));
      return fd;
    },
    write(fd: number, buffer: Uint8Array, offset: number, length: number, position: number) {
      const kind = kinds.get(fd) ?? 'other';
      io.writes.set(kind, (io.writes.get(kind) ?? 0) + 1);
      return nodeStorageIO.write(fd, buffer, offset, length, position);
    },
    read(fd: number, buffer: Uint8Array, offset: number, length: number, position: number) {
      const kind = kinds.get(fd) ?? 'other';
      io.reads.set(kind, (io.reads.get(kind) ?? 0) + 1);
      return nodeStorageIO.read(fd, buffer, offset, length, position);
    },
  };
  return io;
}

const big = { mappedFileSizeCommitLog: 1024 * 1024, mappedFileSizeConsumeQueue: 20 * 1000, maxHashSlotNum: 1000, maxIndexNum: 4000 };

describe('batched dispatch and the in-memory index', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir: root, cleanup } = await tempDir());
  });
  after(() => cleanup());

  it('dispatches the puts of one tick as one batch, in memory: consume queues and index are written at the flush, one write per queue', async () => {
    const io = syscallCountingIO();
    const store = await openStore(join(root, 'batch'), big, io);
    try {
      // Create the queues and the index file first, so the counts below are the steady state.
      await Promise.all([0, 1, 2].map((q) => store.putMessage(message('B', q, 'warm', { uniqKey: `W${q}` }))));
      store.dispatchPending();
      io.reset();
      const puts = Array.from({ length: 30 }, (_, i) => store.putMessage(message('B', i % 3, `b${i}`, { keys: `k${i}`, uniqKey: `U${i}` })));
      const results = await Promise.all(puts);
      assert.deepEqual(
        results.map((r) => [r.status, r.appendResult?.logicsOffset]),
        Array.from({ length: 30 }, (_, i) => ['PUT_OK', 1 + Math.floor(i / 3)]),
      );
      assert.equal(io.writes.get('consumequeue') ?? 0, 0, 'acked before any dispatch');
      assert.equal(store.getMaxOffsetInQueue('B', 2), 11, 'a reader sees every acked message');
      assert.equal(io.writes.get('consumequeue') ?? 0, 0);
      assert.equal(io.writes.get('index') ?? 0, 0);
      assert.equal(io.reads.get('index') ?? 0, 0);
      assert.deepEqual(bodies(store.getMessage('g', 'B', 1, 1, 32).messageBuffers), [1, 4, 7, 10, 13, 16, 19, 22, 25, 28].map((i) => `b${i}`));
      assert.deepEqual(bodies(store.queryMessage('B', 'U17', 32, 0, Number.MAX_SAFE_INTEGER).messages), ['b17']);
      assert.deepEqual(bodies(store.queryMessage('B', 'k5', 32, 0, Number.MAX_SAFE_INTEGER).messages), ['b5']);
      assert.equal(io.reads.get('index') ?? 0, 0, 'queries of the current index file read memory');
      assert.equal(io.reads.get('consumequeue') ?? 0, 0, 'pulls of the fresh tail read memory');
      assert.equal(await store.flushLogicsAndCheckpoint(), true);
      assert.equal(io.writes.get('consumequeue'), 3);
      // The last entries stay in memory after their write: a pull at the tail still reads no file.
      assert.deepEqual(bodies(store.getMessage('g', 'B', 1, 9, 32).messageBuffers), ['b25', 'b28']);
      assert.equal(io.reads.get('consumequeue') ?? 0, 0);
      assert.deepEqual(bodies(store.getMessage('g', 'B', 1, 0, 32).messageBuffers), ['warm', ...[1, 4, 7, 10, 13, 16, 19, 22, 25, 28].map((i) => `b${i}`)]);
      const indexWrites = io.writes.get('index') ?? 0;
      // The new entries in one write, the dirty slot pages (1,000 slots: one page), the header.
      assert.equal(indexWrites, 3);
    } finally {
      await store.shutdown();
    }
  });

  it('wakes the arriving listener once per new entry after the whole batch is written', async () => {
    const store = await openStore(join(root, 'listener'), big);
    try {
      const seen: number[][] = [];
      let done!: () => void;
      const all = new Promise<void>((resolve) => (done = resolve));
      store.setMessageArrivingListener((topic, queueId, logicOffset) => {
        // Every entry of the batch is readable when the first notification arrives.
        seen.push([queueId, logicOffset, store.getMaxOffsetInQueue(topic, 0) + store.getMaxOffsetInQueue(topic, 1)]);
        if (seen.length === 4) done();
      });
      await Promise.all([0, 1, 0, 1].map((q, i) => store.putMessage(message('L', q, `l${i}`))));
      await all;
      assert.deepEqual(seen, [
        [0, 1, 4],
        [0, 2, 4],
        [1, 1, 4],
        [1, 2, 4],
      ]);
    } finally {
      await store.shutdown();
    }
  });

  it('the index kept in memory survives a clean restart and keeps chaining onto the slots written before', async () => {
    const dir = join(root, 'restart');
    const store = await openStore(dir, big);
    for (let i = 0; i < 20; i++) await store.putMessage(message('R', 0, `before-${i}`, { keys: `same k${i}` }));
    await store.shutdown();
    const again = await openStore(dir, big);
    try {
      for (let i = 0; i < 5; i++) await again.putMessage(message('R', 0, `after-${i}`, { keys: 'same' }));
      const all = bodies(again.queryMessage('R', 'same', 64, 0, Number.MAX_SAFE_INTEGER).messages);
      assert.deepEqual(all, [...Array.from({ length: 20 }, (_, i) => `before-${i}`), ...Array.from({ length: 5 }, (_, i) => `after-${i}`)]);
      assert.deepEqual(bodies(again.queryMessage('R', 'k13', 64, 0, Number.MAX_SAFE_INTEGER).messages), ['before-13']);
    } finally {
      await again.shutdown();
    }
  });

  it('after a crash, index entries never flushed are rebuilt from the log past the checkpoint', async () => {
    const dir = join(root, 'crash-src');
    const store = await openStore(dir, { ...big, flushIntervalConsumeQueue: 3_600_000 });
    const crashed = join(root, 'crash');
    try {
      for (let i = 0; i < 10; i++) await store.putMessage(message('C', 0, `flushed-${i}`, { keys: 'key' }));
      assert.equal(await store.flushLogicsAndCheckpoint(), true);
      for (let i = 0; i < 10; i++) await store.putMessage(message('C', 0, `memory-${i}`, { keys: 'key' }));
      store.dispatchPending();
      // What SIGKILL leaves: the commit log written, the last 10 index entries only in memory.
      cpSync(dir, crashed, { recursive: true });
    } finally {
      await store.shutdown();
    }
    const recovered = await openStore(crashed, big);
    try {
      const found = bodies(recovered.queryMessage('C', 'key', 64, 0, Number.MAX_SAFE_INTEGER).messages);
      assert.deepEqual(found, [...Array.from({ length: 10 }, (_, i) => `flushed-${i}`), ...Array.from({ length: 10 }, (_, i) => `memory-${i}`)]);
      assert.equal(recovered.getMaxOffsetInQueue('C', 0), 20);
    } finally {
      await recovered.shutdown();
    }
  });
  it('writes the puts of one turn of the event loop with one commit-log pwrite, each with its own result', async () => {
    const io = syscallCountingIO();
    const store = await openStore(join(root, 'group'), big, io);
    try {
      await store.putMessage(message('G', 0, 'warm'));
      io.reset();
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => store.putMessage(message('G', i % 2, `g${i}`))));
      assert.equal(io.writes.get('commitlog'), 1);
      let offset = results[0]!.appendResult!.wroteOffset;
      for (const [i, r] of results.entries()) {
        const append = r.appendResult!;
        assert.equal(r.status, 'PUT_OK');
        assert.equal(append.wroteOffset, offset, `put ${i} follows the previous one`);
        assert.equal(decodeMessageId(append.msgId).offset, offset);
        assert.equal(append.logicsOffset, i % 2 === 0 ? 1 + i / 2 : (i - 1) / 2);
        assert.equal(store.lookMessageByOffset(offset)?.body.toString(), `g${i}`);
        offset += append.wroteBytes;
      }
      assert.equal(store.getMaxPhyOffset(), offset);
      assert.equal(io.reads.get('commitlog') ?? 0, 0, 'fresh records are read from memory');
    } finally {
      await store.shutdown();
    }
  });

  it('a failed group write fails every put of the group and gives their queue offsets back', async () => {
    const io = faultyIO();
    const store = await openStore(join(root, 'group-fail'), big, io);
    try {
      await store.putMessage(message('F', 0, 'first'));
      const before = store.getMaxPhyOffset();
      io.faults.write = () => {
        throw errno('ENOSPC');
      };
      const failed = await Promise.all([0, 0, 1].map((q, i) => store.putMessage(message('F', q, `lost-${i}`))));
      assert.deepEqual(failed.map((r) => [r.status, r.appendResult]), Array(3).fill(['SERVICE_NOT_AVAILABLE', undefined]));
      assert.equal(store.getMaxPhyOffset(), before);
      delete io.faults.write;
      const [a, b] = await Promise.all([store.putMessage(message('F', 0, 'second')), store.putMessage(message('F', 1, 'other'))]);
      assert.deepEqual([a.appendResult?.wroteOffset, a.appendResult?.logicsOffset, b.appendResult?.logicsOffset], [before, 1, 0]);
      assert.deepEqual(bodies(store.getMessage('g', 'F', 0, 0, 32).messageBuffers), ['first', 'second']);
    } finally {
      await store.shutdown();
    }
  });
  it('a group that reaches the end of a segment is written before the END_OF_FILE record; the rest goes to the next segment', async () => {
    const store = await openStore(join(root, 'group-roll'));
    try {
      // 4 KiB segments: 60 puts of about 250 bytes in one turn span several segments.
      const results = await Promise.all(Array.from({ length: 60 }, (_, i) => store.putMessage(message('Z', 0, `z${i}-${'x'.repeat(120)}`))));
      assert.deepEqual(results.map((r) => r.appendResult?.logicsOffset), Array.from({ length: 60 }, (_, i) => i));
      const segments = new Set(results.map((r) => Math.floor(r.appendResult!.wroteOffset / 4096)));
      assert.ok(segments.size >= 3, `${segments.size} segments`);
      const seen: string[] = [];
      for (let offset = 0, guard = 0; offset < 60 && guard < 60; guard++) {
        const got = store.getMessage('g', 'Z', 0, offset, 32);
        seen.push(...bodies(got.messageBuffers).map((b) => b.split('-')[0]!));
        offset = got.nextBeginOffset;
      }
      assert.deepEqual(seen, Array.from({ length: 60 }, (_, i) => `z${i}`));
    } finally {
      await store.shutdown();
    }
  });
  it('a pull that starts before the consume-queue bytes kept in memory reads the file, then memory', async () => {
    const io = syscallCountingIO();
    const store = await openStore(join(root, 'window'), big, io);
    try {
      for (let i = 0; i < 50; i++) await store.putMessage(message('W', 0, `w${i}`));
      assert.equal(await store.flushLogicsAndCheckpoint(), true);
      for (let i = 50; i < 60; i++) await store.putMessage(message('W', 0, `w${i}`));
      io.reset();
      // After the flush the last 32 entries (18 to 49) stayed in memory, with the 10 added since.
      const got = store.getMessage('g', 'W', 0, 5, 32);
      assert.deepEqual(bodies(got.messageBuffers), Array.from({ length: 32 }, (_, i) => `w${5 + i}`));
      assert.equal(io.reads.get('consumequeue'), 1, 'entries 5 to 17 come from the file');
      io.reset();
      assert.deepEqual(bodies(store.getMessage('g', 'W', 0, 18, 32).messageBuffers), Array.from({ length: 32 }, (_, i) => `w${18 + i}`));
      assert.equal(io.reads.get('consumequeue') ?? 0, 0);
    } finally {
      await store.shutdown();
    }
  });
});
