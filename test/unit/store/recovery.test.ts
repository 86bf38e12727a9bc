import assert from 'node:assert/strict';
import { cpSync, existsSync, openSync, closeSync, readdirSync, rmSync, statSync, truncateSync, writeSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StoreCorruptionError, StoreLoadError, type DefaultMessageStore } from '../../../src/store/index.js';
import { bodies, message, openStore, tempDir } from './support.js';

/** A copy of a running store's directory is what a disk holds after the process is killed (all writes were write(2)-n). */
function crashCopy(from: string, to: string): void {
  cpSync(from, to, { recursive: true });
}

function segment(dir: string, index: number): string {
  const names = readdirSync(join(dir, 'commitlog')).sort();
  return join(dir, 'commitlog', names.at(index)!);
}

function patch(file: string, position: number, bytes: Buffer): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, position);
  } finally {
    closeSync(fd);
  }
}

function read(file: string, position: number, length: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    readSync(fd, buf, 0, length, position);
    return buf;
  } finally {
    closeSync(fd);
  }
}

async function fill(store: DefaultMessageStore, topic: string, n: number, queues = 2): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await store.putMessage(message(topic, i % queues, `${topic}-${i}`, { keys: `key-${i}` }));
    assert.equal(r.status, 'PUT_OK');
  }
}

function readAll(store: DefaultMessageStore, topic: string, queueId: number): string[] {
  const out: string[] = [];
  for (let offset = store.getMinOffsetInQueue(topic, queueId), guard = 0; guard < 1000; guard++) {
    const r = store.getMessage('g', topic, queueId, offset, 32);
    if (r.status !== 'FOUND') break;
    out.push(...bodies(r.messageBuffers));
    offset = r.nextBeginOffset;
  }
  return out;
}

describe('recovery', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir: root, cleanup } = await tempDir());
  });
  after(() => cleanup());

  it('after a clean stop: no abort marker, same offsets, puts continue', async () => {
    const dir = join(root, 'clean');
    const store = await openStore(dir);
    assert.ok(existsSync(join(dir, 'abort')));
    await fill(store, 'C', 50);
    const maxPhy = store.getMaxPhyOffset();
    await store.shutdown();
    assert.ok(!existsSync(join(dir, 'abort')));

    const again = await openStore(dir);
    try {
      assert.equal(again.getMaxPhyOffset(), maxPhy);
      assert.deepEqual([again.getMaxOffsetInQueue('C', 0), again.getMaxOffsetInQueue('C', 1)], [25, 25]);
      const r = await again.putMessage(message('C', 0, 'next'));
      assert.deepEqual([r.appendResult?.wroteOffset, r.appendResult?.logicsOffset], [maxPhy, 25]);
      assert.equal(readAll(again, 'C', 0).at(-1), 'next');
      assert.equal(again.queryMessage('C', 'key-7', 32, 0, Number.MAX_SAFE_INTEGER).messages.length, 1);
    } finally {
      await again.shutdown();
    }
  });

  it('after a crash: cuts a torn tail written by hand, drops its consume-queue entry, and keeps going', async () => {
    const dir = join(root, 'crash-src');
    const store = await openStore(dir);
    await fill(store, 'K', 40);
    const lastGood = store.getMaxPhyOffset();
    const lastRecord = store.getCommitLogOffsetInQueue('K', 1, 19);
    const crashed = join(root, 'crash');
    crashCopy(dir, crashed);
    await store.shutdown();

    // A torn write: the first 30 bytes of a record (size and magic valid) past the end...
    const tail = segment(crashed, -1);
    const tailStart = Number(tail.slice(-20));
    patch(tail, lastGood - tailStart, read(tail, lastRecord - tailStart, 30));
    // ...and the last complete record damaged (its body CRC fails): both are cut.
    const body = read(tail, lastRecord - tailStart + 88, 1);
    patch(tail, lastRecord - tailStart + 88, Buffer.from([body[0]! ^ 0xff]));

    const recovered = await openStore(crashed);
    try {
      assert.equal(recovered.getMaxPhyOffset(), lastRecord);
      assert.equal(recovered.getMaxOffsetInQueue('K', 1), 19);
      assert.equal(recovered.getMaxOffsetInQueue('K', 0), 20);
      assert.deepEqual(readAll(recovered, 'K', 1), Array.from({ length: 19 }, (_, i) => `K-${2 * i + 1}`));
      assert.equal(read(tail, lastRecord - tailStart, 40).every((b) => b === 0), true);
      const r = await recovered.putMessage(message('K', 1, 'after'));
      assert.deepEqual([r.appendResult?.wroteOffset, r.appendResult?.logicsOffset], [lastRecord, 19]);
      assert.equal(readAll(recovered, 'K', 1).at(-1), 'after');
    } finally {
      await recovered.shutdown();
    }
  });

  it('after a crash with lost consume queues and no checkpoint: rebuilds queues and index from the commit log', async () => {
    const dir = join(root, 'rebuild-src');
    const store = await openStore(dir);
    await fill(store, 'R', 60, 3);
    store.dispatchPending();
    const crashed = join(root, 'rebuild');
    crashCopy(dir, crashed);
    await store.shutdown();
    rmSync(join(crashed, 'consumequeue'), { recursive: true });
    rmSync(join(crashed, 'index'), { recursive: true });
    rmSync(join(crashed, 'checkpoint'));

    const recovered = await openStore(crashed);
    try {
      assert.deepEqual([0, 1, 2].map((q) => recovered.getMaxOffsetInQueue('R', q)), [20, 20, 20]);
      assert.deepEqual(readAll(recovered, 'R', 2), Array.from({ length: 20 }, (_, i) => `R-${3 * i + 2}`));
      assert.deepEqual(bodies(recovered.queryMessage('R', 'key-44', 32, 0, Number.MAX_SAFE_INTEGER).messages), ['R-44']);
    } finally {
      await recovered.shutdown();
    }
  });

  it('refuses to start on a corrupt record with valid records after it, naming the file and offset (never deletes them)', async () => {
    const dir = join(root, 'corrupt-src');
    const store = await openStore(dir);
    await fill(store, 'X', 60);
    const victim = store.getCommitLogOffsetInQueue('X', 0, 25);
    const crashed = join(root, 'corrupt');
    crashCopy(dir, crashed);
    await store.shutdown();

    const file = join(crashed, 'commitlog', String(victim - (victim % 4096)).padStart(20, '0'));
    const sizeBefore = statSync(file).size;
    const position = victim % 4096;
    patch(file, position + 4, Buffer.from([0, 0, 0, 0]));
    await assert.rejects(openStore(crashed), (err: unknown) => {
      assert.ok(err instanceof StoreCorruptionError);
      assert.ok(err.message.includes(file), err.message);
      assert.ok(err.message.includes(`file position ${position}`), err.message);
      assert.ok(err.message.includes(`offset ${victim}`), err.message);
      return true;
    });
    assert.equal(statSync(file).size, sizeBefore);
    assert.equal(readdirSync(join(crashed, 'commitlog')).length, readdirSync(join(dir, 'commitlog')).length);

    // The same damage in the last segment after a clean stop is refused too.
    const clean = join(root, 'corrupt-clean');
    const store2 = await openStore(clean);
    await fill(store2, 'X', 60);
    const victim2 = store2.getCommitLogOffsetInQueue('X', 1, 28);
    await store2.shutdown();
    patch(segment(clean, -1), victim2 % 4096 + 90, Buffer.from('!!'));
    await assert.rejects(openStore(clean), StoreCorruptionError);
  });

  it('refuses to load a commit-log segment of the wrong size', async () => {
    const dir = join(root, 'short');
    const store = await openStore(dir);
    await fill(store, 'S', 60);
    await store.shutdown();
    truncateSync(segment(dir, 0), 1000);
    await assert.rejects(openStore(dir), (err: unknown) => err instanceof StoreLoadError && err.message.includes('length 1000'));
  });
});
