import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { silentLogger } from '../../../../src/common/logger.js';
import type { DefaultMessageStore } from '../../../../src/store/index.js';
import { encodeTransferHeader, ReportDecoder } from '../../../../src/store/ha/ha-codec.js';
import { HAClient } from '../../../../src/store/ha/ha-client.js';
import { memoryLinkPair, type MemoryLink } from '../../../helpers/memory-link.js';
import { waitFor } from '../../../helpers/wait.js';
import { message, openStore, tempDir } from '../support.js';

/** Our slave against a fake master on a memory link: what it reports, and what it does with what it is sent. */
describe('HA slave client with a fake master', () => {
  let source: { dir: string; cleanup: () => Promise<void> };
  let target: { dir: string; cleanup: () => Promise<void> };
  let log: Buffer;
  let recordEnds: number[];
  let slave: DefaultMessageStore;
  let client: HAClient | undefined;
  let master: MemoryLink;
  let reports: number[];
  const errors: string[] = [];

  beforeEach(async () => {
    source = await tempDir();
    target = await tempDir();
    // A real log to serve: 3 records from a real store.
    const store = await openStore(source.dir);
    recordEnds = [];
    for (let i = 0; i < 3; i++) {
      const r = await store.putMessage(message('T', 0, `record-${i}-${'y'.repeat(200)}`));
      recordEnds.push(r.appendResult!.wroteOffset + r.appendResult!.wroteBytes);
    }
    log = store.getCommitLogData(0, 4096)!;
    await store.shutdown();
    await source.cleanup();
    slave = await openStore(target.dir, { brokerRole: 'SLAVE', haSendHeartbeatInterval: 5000 });
    errors.length = 0;
    reports = [];
  });
  afterEach(async () => {
    client?.shutdown();
    client = undefined;
    await slave.shutdown();
    await target.cleanup();
  });

  /** Starts the client (once) against a fresh fake master link; later calls wait for its reconnection. */
  async function connect(): Promise<void> {
    const before = reports.length;
    if (client === undefined) {
      client = new HAClient(slave, {
        connector: () => {
          const [slaveEnd, masterEnd] = memoryLinkPair();
          master = masterEnd;
          const decoder = new ReportDecoder();
          masterEnd.onData((chunk) => {
            const value = decoder.push(chunk);
            if (value !== undefined) reports.push(value);
          });
          return Promise.resolve(slaveEnd);
        },
        logger: { ...silentLogger, error: (m: string) => errors.push(m) },
        reconnectBackoffMillis: 20,
      });
      client.updateHaMasterAddress('127.0.0.1:10912');
      client.start();
    }
    await waitFor(() => reports.length > before, 5000, 'the start request');
  }

  const frame = (offset: number, body: Buffer): Buffer => Buffer.concat([encodeTransferHeader(offset, body.length), body]);

  it('reports its end at once on connect, appends frames and acks only whole records', async () => {
    await connect();
    assert.deepEqual(reports, [0]);
    const cut = recordEnds[0]! + 50;
    master.write(frame(0, log.subarray(0, cut)));
    await waitFor(() => reports.length === 2, 5000, 'an ack');
    assert.equal(reports[1], recordEnds[0], 'the partial second record is not acked');
    assert.equal(slave.getMaxPhyOffset(), cut, 'but it is written');
    // Nor dispatched: the reput stops at the last whole checked record.
    await waitFor(() => slave.dispatchBehindBytes() === cut - recordEnds[0]!, 5000, 'the first record dispatched');
    assert.equal(slave.getMaxOffsetInQueue('T', 0), 1);
    master.write(frame(cut, log.subarray(cut, recordEnds[2])));
    await waitFor(() => reports.at(-1) === recordEnds[2], 5000, 'ack of the rest');
    // The reput dispatches what was acked in later turns of the event loop, as Java's reput thread does.
    await waitFor(() => slave.dispatchBehindBytes() === 0, 5000, 'the dispatch');
    assert.equal(slave.getMaxOffsetInQueue('T', 0), 3);
  });

  it('drops the link when a frame does not continue its log (as Java), and cuts its partial record before asking again', async () => {
    await connect();
    const cut = recordEnds[0]! + 50;
    master.write(frame(0, log.subarray(0, cut)));
    await waitFor(() => reports.length === 2, 5000, 'an ack');
    master.write(frame(cut + 8, log.subarray(cut + 8, recordEnds[1])));
    await waitFor(() => master.closed, 5000, 'link dropped');
    assert.match(errors.join('\n'), /master pushed offset not equal the max phy offset in slave/);
    reports.length = 0;
    await connect();
    assert.deepEqual(reports, [recordEnds[0]], 'the request is the last whole record');
    assert.equal(slave.getMaxPhyOffset(), recordEnds[0]);
  });

  it('refuses a corrupt stream (P1): cuts it back to the last good record, never acks it, stops', async () => {
    await connect();
    const bad = Buffer.from(log.subarray(0, recordEnds[2]));
    bad.writeUInt8(bad.readUInt8(recordEnds[1]! - 10) ^ 0xff, recordEnds[1]! - 10); // a body byte of the second record: its CRC fails
    master.write(frame(0, bad));
    await waitFor(() => client!.currentState === 'REFUSED', 5000, 'refused');
    assert.equal(slave.getMaxPhyOffset(), recordEnds[0]);
    assert.ok(reports.every((r) => r <= recordEnds[0]!), `acks ${reports.join(',')}`);
    assert.match(client!.runtimeInfo().refusedReason ?? '', /not a valid commit log/);
  });

  it('refuses a stream that starts mid-record on an empty slave instead of appending it', async () => {
    await connect();
    master.write(frame(0, Buffer.alloc(0)));
    master.write(frame(4096, log.subarray(100, 300)));
    await waitFor(() => client!.currentState === 'REFUSED', 5000, 'refused');
    assert.equal(slave.getMaxPhyOffset(), 4096, 'nothing kept of the frame');
    assert.deepEqual(reports, [0]);
  });

  it('asks the master oldest offset once when its link brings no data, and says once when its log ends below it (P8)', async () => {
    await slave.shutdown();
    await target.cleanup();
    target = await tempDir();
    slave = await openStore(target.dir, { brokerRole: 'SLAVE', haSendHeartbeatInterval: 50 });
    slave.appendToCommitLog(0, log.subarray(0, recordEnds[1]));
    // Unknown until the test sets it (as before the master address is known).
    let masterMin: number | undefined = undefined;
    let asked = 0;
    client = new HAClient(slave, {
      connector: () => {
        const [slaveEnd, masterEnd] = memoryLinkPair();
        master = masterEnd;
        // A master that answers heartbeats only, as ours and Java's do to a slave below their oldest segment.
        const beat = setInterval(() => master.write(encodeTransferHeader(recordEnds[1]!, 0)), 20);
        masterEnd.onClose(() => clearInterval(beat));
        return Promise.resolve(slaveEnd);
      },
      logger: { ...silentLogger, error: (m: string) => errors.push(m) },
      masterMinOffset: () => {
        asked++;
        return Promise.resolve(masterMin);
      },
    });
    client.updateHaMasterAddress('127.0.0.1:10912');
    client.start();
    // Not known yet (the master's address comes with a registration): asked again.
    await waitFor(() => asked >= 2, 5000, 'asked again after an unknown answer');
    masterMin = 4 * 1024 * 1024;
    await waitFor(() => client!.runtimeInfo().behindRetention === true, 5000, 'the diagnosis');
    assert.equal(client.runtimeInfo().masterMinOffset, masterMin);
    const askedThen = asked;
    // Heartbeats go on; the question is not asked again, the diagnosis not said again.
    const since = client.runtimeInfo().lastReadTimestamp;
    await waitFor(() => client!.runtimeInfo().lastReadTimestamp > since + 300, 5000, 'more heartbeats');
    assert.equal(asked, askedThen);
    assert.equal(errors.filter((m) => /below the oldest data 4194304 .* can never catch up/.test(m)).length, 1, errors.join('\n'));
    // Data flowing again (another master) clears it.
    master.write(frame(recordEnds[1]!, log.subarray(recordEnds[1], recordEnds[2])));
    await waitFor(() => client!.runtimeInfo().behindRetention === undefined, 5000, 'cleared by data');
  });

  it('acks only what is on disk with haAckAfterFlush (P3)', async () => {
    await slave.shutdown();
    await target.cleanup();
    target = await tempDir();
    slave = await openStore(target.dir, { brokerRole: 'SLAVE', haAckAfterFlush: true });
    await connect();
    master.write(frame(0, log.subarray(0, recordEnds[1])));
    await waitFor(() => reports.at(-1) === recordEnds[1], 5000, 'ack after flush');
    assert.ok(slave.getFlushedPhyOffset() >= recordEnds[1]!);
  });
});

describe('slave store: a torn tail is a normal tail', () => {
  it('restarts after a crash mid-record at the last whole record, without calling it corruption', async () => {
    const source = await tempDir();
    const target = await tempDir();
    try {
      const store = await openStore(source.dir);
      const ends: number[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await store.putMessage(message('T', 1, `torn-${i}`));
        ends.push(r.appendResult!.wroteOffset + r.appendResult!.wroteBytes);
      }
      const log = store.getCommitLogData(0, 4096)!;
      await store.shutdown();
      const slave = await openStore(target.dir, { brokerRole: 'SLAVE' });
      slave.appendToCommitLog(0, log.subarray(0, ends[1]! + 20));
      // Leaves the abort file (a partial record is never "dispatched"), as a kill -9 would.
      await slave.shutdown();
      const again = await openStore(target.dir, { brokerRole: 'SLAVE' });
      assert.equal(again.getMaxPhyOffset(), ends[1]);
      assert.equal(again.getMaxOffsetInQueue('T', 1), 2);
      await again.shutdown();
    } finally {
      await source.cleanup();
      await target.cleanup();
    }
  });

  it('a slave store refuses puts and appendData refuses bytes that do not continue the log or cross a segment', async () => {
    const target = await tempDir();
    try {
      const slave = await openStore(target.dir, { brokerRole: 'SLAVE' });
      assert.equal((await slave.putMessage(message('T', 0, 'no'))).status, 'SERVICE_NOT_AVAILABLE');
      assert.throws(() => slave.appendToCommitLog(100, Buffer.alloc(10)), /segment start/);
      slave.appendToCommitLog(4096, Buffer.alloc(10));
      assert.throws(() => slave.appendToCommitLog(4096, Buffer.alloc(10)), /log ends at 4106/);
      assert.throws(() => slave.appendToCommitLog(4106, Buffer.alloc(4096)), /cross the end of segment/);
      assert.equal(slave.getMaxPhyOffset(), 4106);
      await slave.shutdown();
    } finally {
      await target.cleanup();
    }
  });
});
