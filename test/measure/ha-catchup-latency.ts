/**
 * Measurement, not a benchmark and not part of the test run: request latency on a master while an empty slave
 * catches up a large log (risk 2 of the HA notes: a catch-up of gigabytes must not starve the master's event
 * loop). The master, its name server and the measuring client share this process; the slave is a child process,
 * so its own work does not load the loop measured. Sends of 1 KiB (sequential, one in flight) are timed before the
 * slave starts and during its catch-up.
 *
 *   node dist-test/test/measure/ha-catchup-latency.js [MiB=64]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messageProperties2String, RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/index.js';
import { MessageExtBrokerInner } from '../../src/protocol/message/index.js';
import { startSlaveProcess } from '../helpers/broker-process.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';

const mib = Number(process.argv[2] ?? 64);
const SEGMENT = 64 * 1024 * 1024;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}

function summary(label: string, samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  return `${label}: n=${s.length} p50=${percentile(s, 50).toFixed(2)} ms p99=${percentile(s, 99).toFixed(2)} ms max=${(s.at(-1) ?? NaN).toFixed(2)} ms`;
}

const dir = await mkdtemp(join(tmpdir(), 'rmq-ha-measure-'));
const { namesrv, namesrvAddr } = await startTestNamesrv(dir);
const master = await startTestBroker(join(dir, 'master'), namesrvAddr, { store: { mappedFileSizeCommitLog: SEGMENT, haSyncFromMinOffset: true } });
const client = new RemotingClient();
await client.start();

// The log to ship, written straight into the store (4 KiB records).
const body = Buffer.alloc(4000, 120);
for (let written = 0, i = 0; written < mib * 1024 * 1024; i++) {
  const msg = new MessageExtBrokerInner();
  msg.topic = 'Backlog';
  msg.queueId = i % 8;
  msg.body = body;
  msg.bornTimestamp = Date.now();
  msg.bornHost = { address: '127.0.0.1', port: 1 };
  msg.storeHost = { address: '127.0.0.1', port: 1 };
  const r = await master.messageStore.putMessage(msg);
  written += r.appendResult?.wroteBytes ?? 0;
}

const properties = messageProperties2String(new Map([['WAIT', 'true']]));
async function timedSend(): Promise<number> {
  const header = { a: 'PG', b: 'Probe', c: 'TBW102', d: 4, e: 0, f: 0, g: Date.now(), h: 0, i: properties, j: 0, k: false, m: false };
  const started = performance.now();
  const response = await client.invokeSync(master.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.SEND_MESSAGE_V2, header, Buffer.alloc(1024, 1)), 10_000);
  if (response.code !== ResponseCode.SUCCESS) throw new Error(`send answered ${response.code}`);
  return performance.now() - started;
}

const idle: number[] = [];
for (const end = Date.now() + 3000; Date.now() < end; ) idle.push(await timedSend());

const slave = await startSlaveProcess(join(dir, 'slave.conf'), { namesrvAddr, storePathRootDir: join(dir, 'slave'), mappedFileSizeCommitLog: SEGMENT });
const started = Date.now();
const during: number[] = [];
const slaveMax = async (): Promise<number> => {
  const response = await client.invokeSync(slave.addr, RemotingCommand.createRequestCommand(RequestCode.GET_BROKER_RUNTIME_INFO, {}), 5000);
  return Number((JSON.parse((response.body as Buffer).toString()) as { table: Record<string, string> }).table['commitLogMaxOffset']);
};
let caughtUp = 0;
for (let round = 0; round < 1_000_000 && caughtUp === 0; round++) {
  during.push(await timedSend());
  if (round % 50 === 0 && (await slaveMax()) === Number(master.messageStore.getRuntimeInfo().get('commitLogMaxOffset'))) caughtUp = Date.now() - started;
  if (Date.now() - started > 120_000) break;
}
const shipped = Number(master.messageStore.getRuntimeInfo().get('commitLogMaxOffset'));
process.stdout.write(
  `${summary('sends before the slave', idle)}\n${summary('sends during the catch-up', during)}\n` +
    `catch-up of ${(shipped / 1024 / 1024).toFixed(1)} MiB (slave process start included): ${caughtUp === 0 ? 'not finished in 120 s' : `${caughtUp} ms`}\n`,
);
slave.child.kill('SIGKILL');
await slave.exit;
await client.shutdown();
await master.shutdown();
await namesrv.shutdown();
await rm(dir, { recursive: true, force: true });
