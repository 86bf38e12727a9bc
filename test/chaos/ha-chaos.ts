/**
 * The master/slave chaos run of issue 19 (not part of CI: a script with a seed).
 *
 *   npm run chaos:ha -- [--seed N] [--rounds N] [--rate MSG_PER_S] [--segment-kib N]
 *
 * Our name server, a SYNC_MASTER and its SLAVE (processes of `dist/cli/main.js`, stores in a temp dir) under a
 * steady load of our Producer (SYNC sends, each body its sequence number); our PushConsumer reads everything. Each
 * round, at a random point (seeded), the master is killed with SIGKILL; the consumer goes on from the slave while
 * the producer's sends fail; after a random outage the master is restarted on the same store. After each round:
 *   - lost: sequence numbers acknowledged SEND_OK that the consumer has not received within the bounded wait (must
 *     be 0: a SYNC_MASTER answers SEND_OK once the slave holds the message);
 *   - duplicates: receptions beyond the first, at-least-once's price (offsets committed to the slave are not
 *     authoritative, and the master's are behind by up to one persist interval);
 *   - the commit logs of master and slave compared byte for byte over what the slave holds, once both report the
 *     same max offset.
 * Prints a line per round and a final JSON line; exits 1 when a message was lost or the logs differ.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/index.js';
import { decodeKVTable } from '../../src/protocol/bodies/index.js';
import { Producer, PushConsumer } from '../../src/client/index.js';
import { REPO_ROOT, freeBrokerPort, freePort } from '../helpers/java.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    rounds: { type: 'string' },
    rate: { type: 'string' },
    'segment-kib': { type: 'string' },
    keep: { type: 'boolean' },
  },
});
const seed = Number(values.seed ?? Date.now() % 1_000_000);
const rounds = Number(values.rounds ?? 5);
const rate = Number(values.rate ?? 400);
const segmentBytes = Number(values['segment-kib'] ?? 1024) * 1024;
const TOPIC = 'ChaosHaTopic';
const CLUSTER = 'ChaosCluster';
const BROKER = 'chaos-a';
const CLI = path.join(REPO_ROOT, 'dist/cli/main.js');

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with its seed. */
function prng(s: number): () => number {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(seed);
const between = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string): void => void process.stderr.write(`[chaos:ha ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

interface Server {
  child: ChildProcess;
  exited: Promise<void>;
}

/** Spawns our CLI and waits for `ready` on its stdout (60 s at most). */
async function startServer(args: string[], ready: RegExp, name: string): Promise<Server> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let seen = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: no ready line in 60 s:\n${seen.slice(-3000)}`)), 60_000);
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString('utf8');
      if (ready.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (seen += chunk.toString('utf8')));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? '-'}) before its ready line:\n${seen.slice(-3000)}`));
    });
  });
  child.stdout?.resume();
  child.stderr?.resume();
  return { child, exited };
}

async function stopServer(server: Server | undefined, signal: NodeJS.Signals): Promise<void> {
  if (server === undefined || server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill(signal);
  await server.exited;
}

const properties = (entries: Record<string, string | number | boolean>): string => `${Object.entries(entries).map(([k, v]) => `${k}=${String(v)}`).join('\n')}\n`;

async function runtimeInfo(client: RemotingClient, addr: string): Promise<Map<string, string>> {
  const response = await client.invokeSync(addr, RemotingCommand.createRequestCommand(RequestCode.GET_BROKER_RUNTIME_INFO, {}), 3000);
  if (response.code !== ResponseCode.SUCCESS) throw new Error(`runtime info of ${addr}: ${response.code}`);
  return decodeKVTable(response.body);
}

/** Bytes [from, to) of a commit log in `dir` (segment files named by their start offset). */
async function readLog(dir: string, from: number, to: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const start = Number(name);
    if (!Number.isFinite(start)) continue;
    const file = await readFile(path.join(dir, name));
    const lo = Math.max(from, start);
    const hi = Math.min(to, start + file.length);
    if (lo < hi) parts.push(file.subarray(lo - start, hi - start));
  }
  return Buffer.concat(parts);
}

async function main(): Promise<number> {
  const root = await mkdtemp(path.join(tmpdir(), 'rmqts-chaos-ha-'));
  log(`seed ${seed}, ${rounds} rounds, ${rate} msg/s, ${segmentBytes} B segments, stores in ${root}`);
  const client = new RemotingClient();
  await client.start();
  const namesrvPort = await freePort();
  const namesrvAddr = `127.0.0.1:${namesrvPort}`;
  const masterPort = await freeBrokerPort();
  const slavePort = await freeBrokerPort();
  const common = { brokerClusterName: CLUSTER, brokerName: BROKER, namesrvAddr, brokerIP1: '127.0.0.1', brokerIP2: '127.0.0.1', bindAddress: '127.0.0.1', mappedFileSizeCommitLog: segmentBytes, flushDiskType: 'ASYNC_FLUSH', autoCreateTopicEnable: true };
  const masterConf = path.join(root, 'master.conf');
  const slaveConf = path.join(root, 'slave.conf');
  await writeFile(masterConf, properties({ ...common, brokerId: 0, brokerRole: 'SYNC_MASTER', listenPort: masterPort, haListenPort: masterPort + 1, storePathRootDir: path.join(root, 'master') }));
  await writeFile(slaveConf, properties({ ...common, brokerId: 1, brokerRole: 'SLAVE', listenPort: slavePort, haListenPort: slavePort + 1, storePathRootDir: path.join(root, 'slave'), slaveReadEnable: true }));
  await writeFile(path.join(root, 'namesrv.conf'), properties({ listenPort: namesrvPort, bindAddress: '127.0.0.1' }));
  const brokerReady = /boot success/;
  const namesrv = await startServer(['namesrv', '-c', path.join(root, 'namesrv.conf'), '--data-dir', path.join(root, 'namesrv')], /boot success/, 'name server');
  let master: Server | undefined = await startServer(['broker', '-c', masterConf], brokerReady, 'master');
  const slave = await startServer(['broker', '-c', slaveConf], brokerReady, 'slave');
  const masterAddr = `127.0.0.1:${masterPort}`;
  const slaveAddr = `127.0.0.1:${slavePort}`;

  const acked = new Set<number>();
  const received = new Map<number, number>();
  let duplicates = 0;
  let failedSends = 0;
  let notOk = 0;
  const consumer = new PushConsumer({ nameServer: namesrvAddr, group: 'ChaosHaGroup', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', pollNameServerInterval: 1000 });
  consumer.subscribe(TOPIC, '*', (msg) => {
    const seq = Number(msg.body.toString());
    const seen = received.get(seq) ?? 0;
    if (seen > 0) duplicates++;
    received.set(seq, seen + 1);
  });
  const producer = new Producer({ nameServer: namesrvAddr, group: 'ChaosHaProducer', sendMsgTimeout: 3000, pollNameServerInterval: 1000 });
  await producer.start();
  // The first send creates the topic on the master (autoCreateTopicEnable); the slave learns it by metadata sync.
  for (let attempt = 0; ; attempt++) {
    try {
      await producer.send({ topic: TOPIC, body: Buffer.from('-1') });
      break;
    } catch (error) {
      if (attempt > 60) throw error;
      await sleep(500);
    }
  }
  await consumer.start();

  let seq = 0;
  let running = true;
  const sender = async (): Promise<void> => {
    const gap = 1000 / (rate / 4);
    while (running) {
      const begin = performance.now();
      const n = seq++;
      try {
        const result = await producer.send({ topic: TOPIC, body: Buffer.from(String(n)) });
        if (result.status === 'SEND_OK') acked.add(n);
        else notOk++;
      } catch {
        failedSends++;
      }
      await sleep(Math.max(0, gap - (performance.now() - begin)));
    }
  };
  const senders = Array.from({ length: 4 }, sender);

  const report: Record<string, unknown>[] = [];
  let lostTotal = 0;
  let logsDiffer = 0;
  try {
    for (let round = 1; round <= rounds; round++) {
      await sleep(between(3000, 10_000));
      const killedAt = seq;
      log(`round ${round}: kill -9 of the master after seq ${killedAt} (${acked.size} acked so far)`);
      await stopServer(master, 'SIGKILL');
      master = undefined;
      const outage = between(2000, 12_000);
      await sleep(outage);
      master = await startServer(['broker', '-c', masterConf], brokerReady, 'master');
      log(`round ${round}: master back after ${outage} ms`);
      // Every message acknowledged so far must reach the consumer (bounded wait).
      const snapshot = [...acked];
      const deadline = Date.now() + 60_000;
      let missing = snapshot.filter((n) => !received.has(n));
      while (missing.length > 0 && Date.now() < deadline) {
        await sleep(500);
        missing = missing.filter((n) => !received.has(n));
      }
      lostTotal += missing.length;
      report.push({ round, killed_after_seq: killedAt, outage_ms: outage, acked: snapshot.length, lost: missing.length, lost_sample: missing.slice(0, 10), duplicates_so_far: duplicates });
      log(`round ${round}: acked ${snapshot.length}, lost ${missing.length}, duplicates so far ${duplicates}, failed sends ${failedSends}`);
    }
  } finally {
    running = false;
    await Promise.all(senders);
  }
  // Quiescence: the slave holds what the master holds, and the bytes are the same.
  let masterMax = -1;
  let slaveMax = -2;
  const quiet = Date.now() + 60_000;
  while (Date.now() < quiet) {
    [masterMax, slaveMax] = await Promise.all([runtimeInfo(client, masterAddr), runtimeInfo(client, slaveAddr)]).then(([m, s]) => [Number(m.get('commitLogMaxOffset')), Number(s.get('commitLogMaxOffset'))]);
    if (masterMax === slaveMax) break;
    await sleep(500);
  }
  const slaveMin = Number((await runtimeInfo(client, slaveAddr)).get('commitLogMinOffset') ?? 0);
  await consumer.shutdown();
  await producer.shutdown();
  await stopServer(master, 'SIGTERM');
  await stopServer(slave, 'SIGTERM');
  await stopServer(namesrv, 'SIGTERM');
  await client.shutdown();
  if (masterMax !== slaveMax) {
    logsDiffer = 1;
    log(`the slave never reached the master's max offset (${slaveMax} of ${masterMax})`);
  } else {
    const [a, b] = await Promise.all([readLog(path.join(root, 'master', 'commitlog'), slaveMin, masterMax), readLog(path.join(root, 'slave', 'commitlog'), slaveMin, masterMax)]);
    if (!a.equals(b)) logsDiffer = 1;
    log(`commit logs over [${slaveMin}, ${masterMax}): ${a.equals(b) ? 'equal' : `DIFFER (${a.length} / ${b.length} bytes)`}`);
  }
  const summary = { seed, rounds, rate, acked: acked.size, received: received.size, lost: lostTotal, duplicates, failed_sends: failedSends, not_send_ok: notOk, logs_equal: logsDiffer === 0, commit_log_bytes: masterMax, report };
  process.stdout.write(`${JSON.stringify({ chaos: 'ha', ...summary })}\n`);
  if (values.keep !== true) await rm(root, { recursive: true, force: true });
  return lostTotal === 0 && logsDiffer === 0 ? 0 : 1;
}

process.exitCode = await main();
