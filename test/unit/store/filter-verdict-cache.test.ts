import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeStoredMessages, findMessageProperty, readStoredPropertiesString } from '../../../src/protocol/message/index.js';
import { nodeStorageIO, type DefaultMessageStore, type MessageFilter } from '../../../src/store/index.js';
import { faultyIO, message, openStore, tempDir } from './support.js';

const QUEUES = 4;
const PER_QUEUE = 300;

/** Matches the messages whose property n is a multiple of ten; with a scope, the store may judge in bulk. */
function filter(bulk: boolean): MessageFilter & { judged: number } {
  const f = {
    judged: 0,
    isMatchedByConsumeQueue: () => true,
    isMatchedByCommitLog(record: Buffer | undefined): boolean {
      f.judged++;
      return Number(findMessageProperty(readStoredPropertiesString(record!), 'n')) % 10 === 0;
    },
    ...(bulk ? { verdictScope: { key: {}, topic: 'T' } } : {}),
  };
  return f;
}

/** Every message of a queue a filter lets through, pulled 32 at a time from offset 0, as property n values. */
function pullAll(store: DefaultMessageStore, queueId: number, f: MessageFilter): number[] {
  const out: number[] = [];
  let offset = 0;
  for (let pulls = 0; pulls < 1000; pulls++) {
    const got = store.getMessage('g', 'T', queueId, offset, 32, f);
    out.push(...decodeStoredMessages(Buffer.concat(got.messageBuffers)).map((m) => Number(m.getProperty('n'))));
    if (got.nextBeginOffset === offset || got.nextBeginOffset >= got.maxOffset) break;
    offset = got.nextBeginOffset;
  }
  return out;
}

async function putInterleaved(store: DefaultMessageStore, from: number, to: number): Promise<void> {
  for (let n = from; n < to; n++) {
    const msg = message('T', n % QUEUES, `body-${n}`.padEnd(200, '.'));
    msg.putProperty('n', String(n));
    assert.equal((await store.putMessage(msg)).status, 'PUT_OK');
    // Another topic between them: its records are skipped, never judged by T's filter.
    if (n % 3 === 0) assert.equal((await store.putMessage(message('U', 0, 'other'))).status, 'PUT_OK');
  }
}

for (const [name, config] of [
  ['1 MiB segments', { mappedFileSizeCommitLog: 1 << 20, mappedFileSizeConsumeQueue: 20 * 2000 }],
  ['4 KiB segments (runs end at every segment)', {}],
] as const) {
  describe(`FilterVerdictCache: a SQL-like filter judged in bulk, ${name}`, () => {
    let cleanup: () => Promise<void>;
    let store: DefaultMessageStore;
    const io = faultyIO();
    let reads = 0;
    before(async () => {
      let dir: string;
      ({ dir, cleanup } = await tempDir());
      const writer = await openStore(dir, config);
      await putInterleaved(writer, 0, QUEUES * PER_QUEUE);
      await writer.shutdown();
      // Reopened, so that every read comes from the files (a fresh store keeps its latest writes in memory).
      io.faults.read = (...args) => {
        reads++;
        return nodeStorageIO.read(...args);
      };
      store = await openStore(dir, config, io);
    });
    after(async () => {
      await store.shutdown();
      await cleanup();
    });

    it('lets through exactly what judging each record does; one filter shared by the queues judges each record once', () => {
      const expected = (q: number): number[] => Array.from({ length: QUEUES * PER_QUEUE }, (_, n) => n).filter((n) => n % QUEUES === q && n % 10 === 0);
      const bulk = filter(true);
      let readsOneByOne = 0;
      let readsInBulk = 0;
      for (let q = 0; q < QUEUES; q++) {
        const one = filter(false);
        reads = 0;
        assert.deepEqual(pullAll(store, q, one), expected(q));
        readsOneByOne += reads;
        assert.equal(one.judged, PER_QUEUE, 'one by one: every record of the queue judged');
        reads = 0;
        assert.deepEqual(pullAll(store, q, bulk), expected(q));
        readsInBulk += reads;
      }
      assert.equal(bulk.judged, QUEUES * PER_QUEUE, 'in bulk: every record of the topic judged once, whichever queue asked');
      // One by one, a read per record (and per consume-queue file); in bulk, one per run of the log plus one per match.
      assert.ok(readsOneByOne >= QUEUES * PER_QUEUE, `one by one ${readsOneByOne} reads`);
      // With 4 KiB segments a read ends at every segment, about 15 records.
      const factor = config.mappedFileSizeCommitLog === undefined ? 2 : 4;
      assert.ok(readsInBulk * factor < readsOneByOne, `in bulk ${readsInBulk} reads, one by one ${readsOneByOne}`);
    });

    it('judges records written after a judged run when a pull reaches them', async () => {
      const bulk = filter(true);
      const before = pullAll(store, 1, bulk);
      await putInterleaved(store, QUEUES * PER_QUEUE, QUEUES * (PER_QUEUE + 50));
      const after = pullAll(store, 1, bulk);
      assert.deepEqual(after.slice(0, before.length), before);
      assert.deepEqual(
        after.slice(before.length),
        Array.from({ length: QUEUES * 50 }, (_, i) => QUEUES * PER_QUEUE + i).filter((n) => n % QUEUES === 1 && n % 10 === 0),
      );
    });
  });
}
