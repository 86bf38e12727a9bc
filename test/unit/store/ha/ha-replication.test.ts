import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { silentLogger } from '../../../../src/common/logger.js';
import type { DefaultMessageStore } from '../../../../src/store/index.js';
import { encodeReport, TransferDecoder, type TransferFrame } from '../../../../src/store/ha/ha-codec.js';
import { HAClient } from '../../../../src/store/ha/ha-client.js';
import type { HALink } from '../../../../src/store/ha/ha-link.js';
import { HAService } from '../../../../src/store/ha/ha-service.js';
import type { MessageStoreConfig } from '../../../../src/store/message-store-config.js';
import { memoryLinkPair, type MemoryLink } from '../../../helpers/memory-link.js';
import { waitFor } from '../../../helpers/wait.js';
import { message, openStore, tempDir } from '../support.js';

const SEGMENT = 4096;

/** The commit-log bytes of a store's directory over [from, to). */
function logBytes(dir: string, from: number, to: number): Buffer {
  const files = readdirSync(join(dir, 'commitlog')).sort();
  const parts: Buffer[] = [];
  for (const name of files) {
    const start = Number(name);
    const end = start + SEGMENT;
    if (end <= from || start >= to) continue;
    const data = readFileSync(join(dir, 'commitlog', name));
    parts.push(data.subarray(Math.max(0, from - start), Math.min(SEGMENT, to - start)));
  }
  return Buffer.concat(parts);
}

async function fill(store: DefaultMessageStore, n: number, prefix = 'm'): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await store.putMessage(message('HaTopic', i % 2, `${prefix}-${i}-${'x'.repeat(i % 97)}`));
    // Stored, whether or not a SYNC_MASTER's slave has it yet.
    assert.ok(r.appendResult !== undefined, r.status);
  }
}

/** A master HAService whose acceptor hands out the master ends of memory links; `connect` plays the slave's connector. */
function memoryTransport(): { acceptor: ConstructorParameters<typeof HAService>[1]; connect: () => Promise<HALink>; links: MemoryLink[] } {
  let accept: ((link: HALink) => void) | undefined;
  const links: MemoryLink[] = [];
  return {
    acceptor: (onLink) => {
      accept = onLink;
      return Promise.resolve({ port: 10912, close: () => Promise.resolve() });
    },
    connect: () => {
      const [slaveEnd, masterEnd] = memoryLinkPair();
      links.push(slaveEnd, masterEnd);
      accept?.(masterEnd);
      return Promise.resolve(slaveEnd);
    },
    links,
  };
}

const ha: Partial<MessageStoreConfig> = { haSendHeartbeatInterval: 100, haHousekeepingInterval: 2000 };

describe('HA replication between two real stores over in-memory links', () => {
  let masterDir: { dir: string; cleanup: () => Promise<void> };
  let slaveDir: { dir: string; cleanup: () => Promise<void> };
  let master: DefaultMessageStore;
  let slave: DefaultMessageStore | undefined;
  let service: HAService | undefined;
  let client: HAClient | undefined;

  beforeEach(async () => {
    masterDir = await tempDir();
    slaveDir = await tempDir();
    master = await openStore(masterDir.dir, { ...ha, brokerRole: 'SYNC_MASTER', slaveTimeout: 300 });
  });
  afterEach(async () => {
    client?.shutdown();
    await service?.shutdown();
    await slave?.shutdown();
    await master.shutdown();
    client = service = slave = undefined;
    await masterDir.cleanup();
    await slaveDir.cleanup();
  });

  async function startMaster(): Promise<ReturnType<typeof memoryTransport>> {
    const transport = memoryTransport();
    service = new HAService(master, transport.acceptor, silentLogger);
    await service.start();
    return transport;
  }

  async function startPair(slaveConfig: Partial<MessageStoreConfig> = {}, running?: ReturnType<typeof memoryTransport>): Promise<ReturnType<typeof memoryTransport>> {
    const transport = running ?? (await startMaster());
    slave = await openStore(slaveDir.dir, { ...ha, brokerRole: 'SLAVE', haMasterAddress: '127.0.0.1:10912', ...slaveConfig });
    client = new HAClient(slave, { connector: () => transport.connect(), logger: silentLogger, reconnectBackoffMillis: 50 });
    client.start();
    return transport;
  }

  it('an empty slave starts at the master last segment, appends byte-identical data and dispatches it', async () => {
    await fill(master, 60);
    const lastSegment = master.getMaxPhyOffset() - (master.getMaxPhyOffset() % SEGMENT);
    assert.ok(lastSegment > 0, 'the master has several segments');
    await startPair();
    await fill(master, 40, 'n');
    await waitFor(() => slave!.getMaxPhyOffset() === master.getMaxPhyOffset(), 5000, 'slave caught up');
    assert.equal(slave!.getMinPhyOffset(), lastSegment);
    assert.ok(logBytes(slaveDir.dir, lastSegment, master.getMaxPhyOffset()).equals(logBytes(masterDir.dir, lastSegment, master.getMaxPhyOffset())));
    // The slave's queues hold the same entries as the master's from where its log starts.
    await waitFor(() => slave!.dispatchBehindBytes() === 0, 5000, 'the slave dispatched');
    assert.equal(slave!.getMaxOffsetInQueue('HaTopic', 0), master.getMaxOffsetInQueue('HaTopic', 0));
    const last = master.getMaxOffsetInQueue('HaTopic', 1) - 1;
    assert.equal(slave!.getCommitLogOffsetInQueue('HaTopic', 1, last), master.getCommitLogOffsetInQueue('HaTopic', 1, last));
    assert.equal(slave!.getMessage('g', 'HaTopic', 1, last, 1).status, 'FOUND');
  });

  it('with haSyncFromMinOffset an empty slave gets the whole log (P6)', async () => {
    await master.shutdown();
    master = await openStore(masterDir.dir, { ...ha, haSyncFromMinOffset: true });
    await fill(master, 60);
    await startPair();
    await waitFor(() => slave!.getMaxPhyOffset() === master.getMaxPhyOffset(), 5000, 'slave caught up');
    assert.equal(slave!.getMinPhyOffset(), 0);
    assert.ok(logBytes(slaveDir.dir, 0, master.getMaxPhyOffset()).equals(logBytes(masterDir.dir, 0, master.getMaxPhyOffset())));
  });

  it('SYNC_MASTER (profile 4): 11 with no slave, then PUT_OK once the slave acked', async () => {
    const transport = await startMaster();
    const alone = await master.putMessage(message('HaTopic', 0, 'alone'));
    assert.equal(alone.status, 'SLAVE_NOT_AVAILABLE');
    assert.ok(alone.appendResult !== undefined, 'stored all the same');
    await startPair({}, transport);
    await waitFor(() => service!.push2SlaveMaxOffset === master.getMaxPhyOffset(), 5000, 'first ack');
    const replicated = await master.putMessage(message('HaTopic', 0, 'replicated'));
    assert.equal(replicated.status, 'PUT_OK');
    assert.ok(slave!.getMaxPhyOffset() >= replicated.appendResult!.wroteOffset + replicated.appendResult!.wroteBytes);
  });

  it('SYNC_MASTER (profile 4): FLUSH_SLAVE_TIMEOUT when the connected slave stops acking', async () => {
    const transport = await startPair();
    await waitFor(() => service!.connectionCount === 1 && service!.push2SlaveMaxOffset >= 0, 5000, 'slave connected');
    // The slave's end stops reading: nothing more reaches it, no ack comes back.
    transport.links[0]!.pause();
    const started = Date.now();
    const stalled = await master.putMessage(message('HaTopic', 0, 'stalled'));
    assert.equal(stalled.status, 'FLUSH_SLAVE_TIMEOUT');
    assert.ok(Date.now() - started >= 250, 'waited about slaveTimeout');
  });

  it('SYNC_MASTER (profile 5): inSyncReplicas=1 does not wait, 2 waits for the slave', async () => {
    await master.shutdown();
    master = await openStore(masterDir.dir, { ...ha, brokerRole: 'SYNC_MASTER', syncMasterProfile: '5', inSyncReplicas: 1, slaveTimeout: 200 });
    service = new HAService(master, memoryTransport().acceptor, silentLogger);
    await service.start();
    assert.equal((await master.putMessage(message('HaTopic', 0, 'isr1'))).status, 'PUT_OK');
    await service.shutdown();
    await master.shutdown();
    master = await openStore(masterDir.dir, { ...ha, brokerRole: 'SYNC_MASTER', syncMasterProfile: '5', inSyncReplicas: 2, slaveTimeout: 200 });
    service = undefined;
    await startPair();
    await waitFor(() => service!.push2SlaveMaxOffset === master.getMaxPhyOffset(), 5000, 'first ack');
    assert.equal((await master.putMessage(message('HaTopic', 0, 'isr2'))).status, 'PUT_OK');
    client!.shutdown();
    await waitFor(() => service!.connectionCount === 0, 5000, 'slave gone');
    const started = Date.now();
    assert.equal((await master.putMessage(message('HaTopic', 0, 'isr2-alone'))).status, 'FLUSH_SLAVE_TIMEOUT', 'never 11 in profile 5');
    assert.ok(Date.now() - started >= 150);
  });

  it('an idle link stays up: heartbeats both ways beat housekeeping (H15, intervals scaled down)', async () => {
    await master.shutdown();
    master = await openStore(masterDir.dir, { haSendHeartbeatInterval: 40, haHousekeepingInterval: 200 });
    const transport = await startPair({ haSendHeartbeatInterval: 40, haHousekeepingInterval: 200 });
    await waitFor(() => service!.connectionCount === 1 && service!.connectionInfo()[0]!.slaveAckOffset >= 0, 5000, 'linked');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(transport.links.length, 2, 'never reconnected');
    assert.equal(service!.connectionCount, 1);
    const heartbeats = transport.links[1]!.written.filter((chunk) => chunk.length === 12 && chunk.readInt32BE(8) === 0).length;
    const reports = transport.links[0]!.written.length;
    assert.ok(heartbeats >= 5 && reports >= 5, `${heartbeats} heartbeats, ${reports} reports in 1 s`);
  });

  it('a slave restarted on its data resumes from its own end (no gap, no duplicate bytes)', async () => {
    await fill(master, 30);
    await startPair();
    await waitFor(() => slave!.getMaxPhyOffset() === master.getMaxPhyOffset(), 5000, 'caught up');
    client!.shutdown();
    await slave!.shutdown();
    await fill(master, 30, 'while-away');
    slave = await openStore(slaveDir.dir, { ...ha, brokerRole: 'SLAVE' });
    const transport = memoryTransport();
    await service!.shutdown();
    service = new HAService(master, transport.acceptor, silentLogger);
    await service.start();
    const resumedAt = slave.getMaxPhyOffset();
    client = new HAClient(slave, { connector: () => transport.connect(), logger: silentLogger, reconnectBackoffMillis: 50 });
    client.updateHaMasterAddress('127.0.0.1:10912');
    client.start();
    await waitFor(() => slave!.getMaxPhyOffset() === master.getMaxPhyOffset(), 5000, 'caught up again');
    const request = transport.links[0]!.written[0]!;
    assert.equal(request.readBigInt64BE(0), BigInt(resumedAt), 'first report is the slave end');
    const from = slave.getMinPhyOffset();
    assert.ok(logBytes(slaveDir.dir, from, master.getMaxPhyOffset()).equals(logBytes(masterDir.dir, from, master.getMaxPhyOffset())));
  });
});

/** A fake slave on one end of a memory link: sends reports, collects frames. */
function fakeSlave(link: MemoryLink): { frames: TransferFrame[]; report: (offset: number) => void } {
  const decoder = new TransferDecoder();
  const frames: TransferFrame[] = [];
  link.onData((chunk) => frames.push(...decoder.push(chunk)));
  return { frames, report: (offset) => link.write(encodeReport(offset)) };
}

describe('HA master: the start-offset rows (reference §1.5) with a fake slave', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let master: DefaultMessageStore;
  let service: HAService;
  let accept: (link: HALink) => void;
  const errors: string[] = [];

  beforeEach(async () => {
    tmp = await tempDir();
    master = await openStore(tmp.dir, { haSendHeartbeatInterval: 100, haHousekeepingInterval: 5000, haTransferBatchSize: 1000 });
    await fill(master, 60);
    errors.length = 0;
    service = new HAService(
      master,
      (onLink) => {
        accept = onLink;
        return Promise.resolve({ port: 1, close: () => Promise.resolve() });
      },
      { ...silentLogger, error: (m: string) => errors.push(m) },
    );
    await service.start();
  });
  afterEach(async () => {
    await service.shutdown();
    await master.shutdown();
    await tmp.cleanup();
  });

  function connectFake(): { link: MemoryLink; slave: ReturnType<typeof fakeSlave> } {
    const [slaveEnd, masterEnd] = memoryLinkPair();
    accept(masterEnd);
    return { link: slaveEnd, slave: fakeSlave(slaveEnd) };
  }

  it('report 0: frames from the last segment, each at most haTransferBatchSize and within one segment', async () => {
    const { slave } = connectFake();
    slave.report(0);
    const max = master.getMaxPhyOffset();
    await waitFor(() => slave.frames.some((f) => f.offset + f.body.length === max), 5000, 'all frames');
    const data = slave.frames.filter((f) => f.body.length > 0);
    assert.equal(data[0]!.offset, max - (max % SEGMENT));
    for (const f of data) {
      assert.ok(f.body.length <= 1000);
      assert.equal(Math.floor(f.offset / SEGMENT), Math.floor((f.offset + f.body.length - 1) / SEGMENT), 'never across a segment');
    }
  });

  it('a mid-record offset is streamed from exactly there (a Java slave reports wherever its last chunk ended)', async () => {
    const { slave } = connectFake();
    slave.report(1000);
    await waitFor(() => slave.frames.length > 0, 5000, 'a frame');
    assert.equal(slave.frames[0]!.offset, 1000);
  });

  it('report = max: heartbeats only, carrying the next offset', async () => {
    const { slave } = connectFake();
    const max = master.getMaxPhyOffset();
    slave.report(max);
    await waitFor(() => slave.frames.length >= 2, 5000, 'two heartbeats');
    assert.deepEqual(
      slave.frames.slice(0, 2).map((f) => [f.offset, f.body.length]),
      [
        [max, 0],
        [max, 0],
      ],
    );
  });

  it('a slave ahead of the master is refused at once (P2), and again at that offset after the log grew past it', async () => {
    const first = connectFake();
    const ahead = master.getMaxPhyOffset() + 500;
    first.slave.report(ahead);
    await waitFor(() => first.link.closed, 5000, 'link closed');
    assert.equal(first.slave.frames.length, 0, 'nothing streamed');
    assert.match(errors.join('\n'), /greater than local commitLog offset/);
    await fill(master, 20, 'grow');
    assert.ok(master.getMaxPhyOffset() > ahead);
    const again = connectFake();
    again.slave.report(ahead);
    await waitFor(() => again.link.closed, 5000, 'refused again');
    assert.equal(again.slave.frames.length, 0);
  });

  it('a slave below the oldest segment gets heartbeats and a retention diagnosis (P8)', async () => {
    master.commitLog.mappedFileQueue.deleteFirstFile();
    const { slave } = connectFake();
    slave.report(100);
    await waitFor(() => slave.frames.length >= 1, 5000, 'a heartbeat');
    assert.ok(slave.frames.every((f) => f.body.length === 0));
    assert.match(errors.join('\n'), /below this master's oldest data/);
    assert.equal(service.connectionInfo()[0]?.behindRetention, true);
  });

  it('refuses hosts outside haSlaveAllowList', async () => {
    await service.shutdown();
    await master.shutdown();
    master = await openStore(tmp.dir, { haSlaveAllowList: '10.0.0.9' });
    service = new HAService(
      master,
      (onLink) => {
        accept = onLink;
        return Promise.resolve({ port: 1, close: () => Promise.resolve() });
      },
      silentLogger,
    );
    await service.start();
    const { link } = connectFake();
    await waitFor(() => link.closed, 5000, 'refused');
    assert.equal(service.connectionCount, 0);
  });
});
