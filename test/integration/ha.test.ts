import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import { decodeHARuntimeInfo } from '../../src/protocol/bodies/ha-runtime-info.js';
import { messageProperties2String, RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/index.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import { startBrokerProcess, startSlaveProcess, type RunningBroker } from '../helpers/broker-process.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { firstCommitLogDifference } from '../helpers/commit-log-compare.js';
import { pollFor } from '../helpers/wait.js';

const SEGMENT = 1024 * 1024;
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function cli(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { env: { ...process.env, NAMESRV_ADDR: '' }, timeout: 30_000 }, (err, stdout) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout });
    });
  });
}
const TOPIC = 'HaTopic';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

async function send(client: RemotingClient, addr: string, body: Buffer, queueId = 0): Promise<number> {
  const properties = messageProperties2String(new Map([['WAIT', 'true']]));
  const header = { a: 'PG', b: TOPIC, c: 'TBW102', d: 4, e: queueId, f: 0, g: Date.now(), h: 0, i: properties, j: 0, k: false, m: false };
  const response = await client.invokeSync(addr, RemotingCommand.createRequestCommand(RequestCode.SEND_MESSAGE_V2, header, body), 10_000);
  return response.code;
}

async function runtimeMax(client: RemotingClient, addr: string): Promise<number> {
  const response = await client.invokeSync(addr, RemotingCommand.createRequestCommand(RequestCode.GET_BROKER_RUNTIME_INFO, {}), 3000);
  const table = JSON.parse((response.body as Buffer).toString()) as { table: Record<string, string> };
  return Number(table.table['commitLogMaxOffset']);
}

const store = { mappedFileSizeCommitLog: SEGMENT, haSendHeartbeatInterval: 1000 };

describe('HA: our master and our slave (real sockets, discovery through the name server)', () => {
  let dir: string;
  let namesrv: NamesrvController;
  let namesrvAddr: string;
  let master: BrokerController;
  let slave: BrokerController | undefined;
  let slaveProcess: RunningBroker | undefined;
  let haPort: number;
  const client = new RemotingClient();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-ha-'));
    await client.start();
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    haPort = await freePort();
    master = await startTestBroker(join(dir, 'master'), namesrvAddr, {
      broker: { brokerClusterName: 'HaCluster' },
      store: { ...store, brokerRole: 'SYNC_MASTER', slaveTimeout: 3000, haListenPort: haPort },
    });
  });
  after(async () => {
    if (slaveProcess !== undefined && slaveProcess.child.exitCode === null) {
      slaveProcess.child.kill('SIGKILL');
      await slaveProcess.exit;
    }
    await slave?.shutdown();
    await master.shutdown();
    await namesrv.shutdown();
    await client.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it('SYNC_MASTER answers SLAVE_NOT_AVAILABLE (11) with no slave; the message is stored', async () => {
    assert.equal(await send(client, master.brokerAddr, Buffer.from('before any slave')), ResponseCode.SLAVE_NOT_AVAILABLE);
    assert.ok((await runtimeMax(client, master.brokerAddr)) > 0);
  });

  it('a slave finds the master through the name server, replicates byte-identically (large messages across segment ends), and SYNC sends answer 0', async () => {
    // Fill past a segment before the slave exists: it starts at the master's last segment.
    for (let i = 0; i < 3; i++) assert.equal(await send(client, master.brokerAddr, Buffer.alloc(700 * 1024, 97 + i)), ResponseCode.SLAVE_NOT_AVAILABLE);
    const lastSegment = master.messageStore.getRuntimeInfo().get('commitLogMaxOffset');
    const expectedStart = Number(lastSegment) - (Number(lastSegment) % SEGMENT);
    slave = await startTestBroker(join(dir, 'slave'), namesrvAddr, {
      broker: { brokerClusterName: 'HaCluster', brokerId: 1 },
      store: { ...store, brokerRole: 'SLAVE' },
    });
    await pollFor(() => runtimeMax(client, slave!.brokerAddr), (max) => max === Number(lastSegment), { timeoutMillis: 10_000, intervalMillis: 50, what: 'slave caught up' });
    const started = Date.now();
    for (let i = 0; i < 40; i++) {
      const body = i % 10 === 9 ? Buffer.alloc(900 * 1024, 48 + (i % 10)) : Buffer.from(`sync message ${i}`);
      assert.equal(await send(client, master.brokerAddr, body, i % 4), ResponseCode.SUCCESS, `send ${i}`);
    }
    assert.ok(Date.now() - started < 20_000);
    const max = await runtimeMax(client, master.brokerAddr);
    const slaveInfo = slave.messageStore.getRuntimeInfo();
    assert.equal(Number(slaveInfo.get('commitLogMinOffset')), expectedStart);
    await pollFor(() => runtimeMax(client, slave!.brokerAddr), (m) => m === max, { timeoutMillis: 10_000, intervalMillis: 50, what: 'slave at the master end' });
    assert.equal(firstCommitLogDifference(join(dir, 'master', 'broker'), join(dir, 'slave', 'broker'), SEGMENT, expectedStart, max), undefined);
    // The slave built its own queues from the log.
    await pollFor(
      () => Promise.resolve(slave!.messageStore.getMaxOffsetInQueue(TOPIC, 1)),
      (n) => n === master.messageStore.getMaxOffsetInQueue(TOPIC, 1),
      { timeoutMillis: 5000, intervalMillis: 50, what: 'slave queue 1' },
    );
  });

  it('GET_BROKER_HA_STATUS (907) shows the link from both ends', async () => {
    const fromMaster = decodeHARuntimeInfo((await client.invokeSync(master.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.GET_BROKER_HA_STATUS, {}), 3000)).body);
    assert.equal(fromMaster.master, true);
    assert.equal(fromMaster.haConnectionInfo.length, 1);
    assert.equal(fromMaster.inSyncSlaveNums, 1);
    assert.equal(fromMaster.haConnectionInfo[0]!.diff, 0);
    const fromSlave = decodeHARuntimeInfo((await client.invokeSync(slave!.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.GET_BROKER_HA_STATUS, {}), 3000)).body);
    assert.equal(fromSlave.master, false);
    assert.equal(fromSlave.haClientRuntimeInfo.masterAddr, `127.0.0.1:${haPort}`);
    assert.equal(fromSlave.haClientRuntimeInfo.state, 'TRANSFER');
    // The CLI over the name server: both brokers of the group.
    const text = await cli(['ha', 'status', '-n', namesrvAddr]);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /master, commit log max offset \d+, 1 slave\(s\) in sync/);
    assert.match(text.stdout, new RegExp(`master HA address\\s+127\\.0\\.0\\.1:${haPort}`));
    const json = JSON.parse((await cli(['ha', 'status', '-b', slave!.brokerAddr, '--json'])).stdout) as Record<string, { master: boolean }>;
    assert.equal(json[slave!.brokerAddr]?.master, false);
  });

  it('a slave killed with -9 mid-stream restarts on its data and resumes without a gap or a duplicate byte', async () => {
    await slave!.shutdown();
    slave = undefined;
    const conf = join(dir, 'slave.conf');
    slaveProcess = await startSlaveProcess(conf, { brokerClusterName: 'HaCluster', namesrvAddr, storePathRootDir: join(dir, 'slave', 'broker'), mappedFileSizeCommitLog: SEGMENT });
    let stop = false;
    let codes: number[] = [];
    const load = (async () => {
      for (let i = 0; !stop && i < 100_000; i++) codes.push(await send(client, master.brokerAddr, Buffer.alloc(4000 + (i % 3000), 65 + (i % 26)), i % 4));
    })();
    await pollFor(() => runtimeMax(client, slaveProcess!.addr), (m) => m > Number(master.messageStore.getRuntimeInfo().get('commitLogMinOffset')) + 2 * SEGMENT, {
      timeoutMillis: 20_000,
      intervalMillis: 50,
      what: 'the slave replicating under load',
    });
    slaveProcess.child.kill('SIGKILL');
    await slaveProcess.exit;
    slaveProcess = await startBrokerProcess(conf);
    await pollFor(() => Promise.resolve(codes.length), (n) => n > 50, { timeoutMillis: 20_000, intervalMillis: 50, what: 'sends after the restart' });
    stop = true;
    await load;
    const max = await runtimeMax(client, master.brokerAddr);
    await pollFor(() => runtimeMax(client, slaveProcess!.addr), (m) => m === max, { timeoutMillis: 20_000, intervalMillis: 50, what: 'slave caught up after kill -9' });
    const runtime = await client.invokeSync(slaveProcess.addr, RemotingCommand.createRequestCommand(RequestCode.GET_BROKER_RUNTIME_INFO, {}), 3000);
    const slaveMin = Number((JSON.parse((runtime.body as Buffer).toString()) as { table: Record<string, string> }).table['commitLogMinOffset']);
    assert.equal(firstCommitLogDifference(join(dir, 'master', 'broker'), join(dir, 'slave', 'broker'), SEGMENT, slaveMin, max), undefined);
    // Every send was stored; while the slave was down, SYNC answered 11, never an error.
    assert.deepEqual([...new Set(codes)].filter((c) => c !== ResponseCode.SUCCESS && c !== ResponseCode.SLAVE_NOT_AVAILABLE && c !== ResponseCode.FLUSH_SLAVE_TIMEOUT), []);
    codes = [];
  });

  it('a restarted master is found again by its slave (same HA port), which resumes from its end', async () => {
    await master.shutdown();
    master = await startTestBroker(join(dir, 'master'), namesrvAddr, {
      broker: { brokerClusterName: 'HaCluster' },
      store: { ...store, brokerRole: 'SYNC_MASTER', slaveTimeout: 3000, haListenPort: haPort },
    });
    await pollFor(() => send(client, master.brokerAddr, Buffer.from('after the master restart')), (code) => code === ResponseCode.SUCCESS, {
      timeoutMillis: 20_000,
      intervalMillis: 200,
      what: 'a replicated send after the restart',
    });
    const max = await runtimeMax(client, master.brokerAddr);
    await pollFor(() => runtimeMax(client, slaveProcess!.addr), (m) => m === max, { timeoutMillis: 10_000, intervalMillis: 50, what: 'slave caught up' });
    assert.equal(firstCommitLogDifference(join(dir, 'master', 'broker'), join(dir, 'slave', 'broker'), SEGMENT, max - 1000, max), undefined);
  });
});
