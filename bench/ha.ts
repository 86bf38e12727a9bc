/**
 * `npm run bench:ha`: master/slave replication, our master + our slave against the Java 5.3.3 master + Java 5.3.3
 * slave, one group at a time on this machine, in the same run (issue 19). For each kind:
 *   1. catch-up: a name server and an ASYNC_MASTER (bench/deploy.ts, 1 GiB segments by default, so that the
 *      `--catchup-mib` of data lie in the master's last segment, where an empty slave starts, as Java's does); the
 *      master filled by our Producer (batches of 32); then an empty slave (brokerId 1, brokerRole SLAVE) started.
 *      Measured: time to first replication (the slave's "boot success" line to its commitLogMaxOffset > 0, read by
 *      GET_BROKER_RUNTIME_INFO 28 every 50 ms), catch-up MB/s (the bytes shipped over the time from the first bytes
 *      to the slave's max offset reaching the master's), and the master's request latency meanwhile (a
 *      GET_MAX_OFFSET every 10 ms: whether serving the slave starves the master's event loop);
 *   2. ASYNC lag: on the same group, our Producer in a process of its own (bench/client-worker.ts: --inflight sends
 *      outstanding, --size bodies, as bench:client) for --warmup + --seconds; every 100 ms both brokers' max offsets
 *      are read at once, and lag = master max - slave max (bytes) over the measured window: p50 / p99 / max; the
 *      producer's TPS and RT p50 / p99;
 *   3. SYNC_MASTER: a fresh group with brokerRole SYNC_MASTER and inSyncReplicas=totalReplicas=2 (Java 5.3.3 waits
 *      for the slave only with those; ha-replication.md §1.8) and an empty slave; once a send is answered SEND_OK,
 *      the same producer as in 2: TPS, RT p50 / p99, and how many sends were stored with another status
 *      (FLUSH_SLAVE_TIMEOUT, SLAVE_NOT_AVAILABLE) — their ratio to phase 2 is the price of SYNC.
 * Prints a table, the ratios ours/Java with the issue's targets (catch-up and SYNC TPS >= 1.2x Java's, ASYNC lag p99
 * <= Java's) and one final JSON line.
 */
import path from 'node:path';
import { loadavg } from 'node:os';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../src/index.js';
import { decodeKVTable } from '../src/protocol/bodies/index.js';
import { Producer } from '../src/client/index.js';
import { REPO_ROOT, freeBrokerPort } from '../test/helpers/java.js';
import {
  configureProgress,
  deployBroker,
  deployUsage,
  fmt,
  intOption,
  machineInfo,
  openWindow,
  parseBenchArgs,
  processCpuSeconds,
  progress,
  ratio,
  round2,
  runBench,
  runPhases,
  sleep,
  startGroupBroker,
  type BenchArgs,
  type BrokerConfigEntries,
  type BrokerKind,
  type DeployOptions,
  type Deployment,
  type GroupBroker,
} from './deploy.js';
import { forkWorker, type ForkedWorker } from './worker-ipc.js';
import type { WorkerReport } from './client-worker.js';

const USAGE = `usage: node dist-test/bench/ha.js [options]
  --catchup-mib <n>     data on the master before its empty slave starts (default 256)
  --seconds <s>         measured seconds of the ASYNC and SYNC load phases (default 20)
  --warmup <s>          the producer runs this long before each measured window (default 10)
  --inflight <n>        our producer's sends outstanding (default 16)
  --size <bytes>        message body size (default 1024)
  --phases <p,...>      catchup, async (the ASYNC lag phase, on the catch-up's group: needs catchup), sync
                        (default catchup,async,sync)
  --profile-ours <dir>  run our master and slave with --cpu-prof, the profiles written to <dir> when they stop
  --segment-mib <n>     commit-log segment size of every broker (default 1024: the catch-up data in one segment)
  --brokers <b,...>     ours, java, in this order (default ours,java)
${deployUsage(21, 'BenchHaTopic')
  .split('\n')
  .filter((line) => !/--segment-mib|--brokers|--profile-ours/.test(line))
  .join('\n')}`;

interface Options extends BenchArgs {
  catchupMib: number;
  inflight: number;
  phases: Set<Phase>;
}

type Phase = 'catchup' | 'async' | 'sync';
const PHASES: readonly Phase[] = ['catchup', 'async', 'sync'];

function parseOptions(argv: string[]): Options | 'help' {
  const values = parseBenchArgs(argv, { 'catchup-mib': { type: 'string' }, inflight: { type: 'string' }, phases: { type: 'string' } });
  if (values.help === true) return 'help';
  const brokers = (values.brokers ?? 'ours,java').split(',').map((b) => b.trim());
  for (const b of brokers) if (b !== 'ours' && b !== 'java') throw new Error(`--brokers: unknown broker '${b}' (ours, java)`);
  const phases = new Set((values.phases ?? PHASES.join(',')).split(',').map((p) => p.trim()));
  for (const p of phases) if (!PHASES.includes(p as Phase)) throw new Error(`--phases: unknown phase '${p}' (${PHASES.join(', ')})`);
  if (phases.has('async') && !phases.has('catchup')) throw new Error('--phases: async runs on the catch-up\'s group (add catchup)');
  const segmentMib = intOption('segment-mib', values['segment-mib'], 1024, 1);
  const catchupMib = intOption('catchup-mib', values['catchup-mib'], 256, 1);
  if (catchupMib >= segmentMib) throw new Error(`--catchup-mib (${catchupMib}) must be below --segment-mib (${segmentMib}): an empty slave starts at the master's last segment`);
  return {
    seconds: intOption('seconds', values.seconds, 20, 5),
    warmup: intOption('warmup', values.warmup, 10, 0),
    threads: 1,
    size: intOption('size', values.size, 1024, 1),
    queues: intOption('queues', values.queues, 8, 1),
    topic: values.topic ?? 'BenchHaTopic',
    segmentMib,
    brokers: brokers as BrokerKind[],
    clientHeapMb: 512,
    profileOurs: values['profile-ours'],
    oursNodeArgs: (values['ours-node-args'] ?? '').split(' ').filter((a) => a !== ''),
    oursMain: path.resolve(values['ours-main'] ?? path.join(REPO_ROOT, 'dist/cli/main.js')),
    keep: values.keep === true,
    jsonOnly: values['json-only'] === true,
    quiet: values.quiet === true,
    catchupMib,
    inflight: intOption('inflight', values.inflight, 16, 1),
    phases: phases as Set<Phase>,
  };
}

// ------------------------------------------------------------------------------------------------------------------
// Reading the brokers

const INVOKE_TIMEOUT_MILLIS = 3000;

/** commitLogMaxOffset of GET_BROKER_RUNTIME_INFO (28): what the broker has stored (the slave: received). */
async function commitLogMaxOffset(client: RemotingClient, addr: string): Promise<number> {
  return runtimeInfoNumber(client, addr, 'commitLogMaxOffset');
}

/** A number of GET_BROKER_RUNTIME_INFO (28): commitLogMaxOffset, dispatchBehindBytes (both Java's and ours have them). */
async function runtimeInfoNumber(client: RemotingClient, addr: string, key: string): Promise<number> {
  const response = await client.invokeSync(addr, RemotingCommand.createRequestCommand(RequestCode.GET_BROKER_RUNTIME_INFO, {}), INVOKE_TIMEOUT_MILLIS);
  if (response.code !== ResponseCode.SUCCESS) throw new Error(`GET_BROKER_RUNTIME_INFO ${addr}: code ${response.code} ${response.remark ?? ''}`);
  const value = Number(decodeKVTable(response.body).get(key));
  if (!Number.isFinite(value)) throw new Error(`GET_BROKER_RUNTIME_INFO ${addr}: no ${key}`);
  return value;
}

function percentile(sorted: number[], p: number): number | null {
  return sorted.length === 0 ? null : (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? null);
}

/** Polls `read` every `everyMs` until it returns a value, or throws after `timeoutMs` with `what`. */
async function pollUntil<T>(read: () => Promise<T | undefined>, everyMs: number, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const value = await read();
      if (value !== undefined) return value;
    } catch (error) {
      last = String(error);
    }
    await sleep(everyMs);
  }
  throw new Error(`${what} within ${timeoutMs} ms${last === '' ? '' : ` (last error: ${last})`}`);
}

// ------------------------------------------------------------------------------------------------------------------
// Deployment of a group

/** broker.conf keys of every broker here: brokerIP2 is the host a slave is told to replicate from. */
function groupConfig(extra: BrokerConfigEntries): BrokerConfigEntries {
  return { brokerIP2: '127.0.0.1', ...extra };
}

/** Ours: explicit ports (listenPort with listenPort - 2 and + 1 free), so the HA port is Java's listenPort + 1. */
async function oursPorts(kind: BrokerKind): Promise<BrokerConfigEntries> {
  if (kind !== 'ours') return {};
  const port = await freeBrokerPort();
  return { listenPort: port, haListenPort: port + 1 };
}

async function startSlave(deployment: Deployment, options: DeployOptions): Promise<GroupBroker> {
  return startGroupBroker(deployment, options, { ...(await oursPorts(deployment.kind)), brokerId: 1, brokerRole: 'SLAVE', slaveReadEnable: true });
}

/** Fills the master with our Producer (batches of 32 bodies of `size`) until it holds `bytes`. */
async function fill(namesrvAddr: string, client: RemotingClient, masterAddr: string, options: Options, bytes: number): Promise<void> {
  const producer = new Producer({ nameServer: namesrvAddr, group: 'BenchHaFill' });
  await producer.start();
  const body = Buffer.alloc(options.size, 'h');
  const batch = Array.from({ length: 32 }, () => ({ topic: options.topic, body }));
  let stored = await commitLogMaxOffset(client, masterAddr);
  let lastReport = Date.now();
  try {
    const deadline = Date.now() + 600_000;
    while (stored < bytes) {
      if (Date.now() > deadline) throw new Error(`filling the master: ${stored} of ${bytes} bytes after 600 s`);
      await Promise.all(Array.from({ length: 8 }, () => producer.send(batch)));
      stored = await commitLogMaxOffset(client, masterAddr);
      if (Date.now() - lastReport > 5000) {
        progress(`filled ${fmt(stored / 1048576, 1)} of ${fmt(bytes / 1048576)} MiB`);
        lastReport = Date.now();
      }
    }
  } finally {
    await producer.shutdown();
  }
}

// ------------------------------------------------------------------------------------------------------------------
// Load

type ProducerResult = Extract<WorkerReport, { type: 'result' }>;

async function startProducer(namesrvAddr: string, options: Options, group: string): Promise<ForkedWorker<ProducerResult>> {
  return forkWorker<ProducerResult>(
    path.join(REPO_ROOT, 'dist-test/bench/client-worker.js'),
    ['producer', namesrvAddr, options.topic, group, String(options.inflight), String(options.size)],
    'our producer',
  );
}

interface LoadResult {
  send_tps: number | null;
  send_rt_p50_ms: number | null;
  send_rt_p99_ms: number | null;
  failed: number;
  /** Sends stored with a status other than SEND_OK. */
  not_ok: number;
  /** master max - slave max (bytes), sampled every 100 ms: p50 / p99 / max; null without a slave to read. */
  lag_bytes: { p50: number | null; p99: number | null; max: number | null; samples: number } | null;
  cpu: { master: number | null; slave: number | null; producer: number | null; machine: number };
}

async function runLoad(label: string, client: RemotingClient, deployment: Deployment, slave: GroupBroker, options: Options, group: string): Promise<LoadResult> {
  const producer = await startProducer(deployment.namesrvAddr, options, group);
  try {
    progress(`${label}: producer running; warm-up ${options.warmup} s`);
    await sleep(options.warmup * 1000);
    const window = await openWindow([deployment.brokerPid, slave.pid, producer.pid], deployment.brokerPid);
    producer.measure();
    const begin = performance.now();
    progress(`${label}: measuring ${options.seconds} s`);
    const lags: number[] = [];
    const end = Date.now() + options.seconds * 1000;
    while (Date.now() < end) {
      const tick = sleep(100);
      const [master, slaveMax] = await Promise.all([commitLogMaxOffset(client, deployment.brokerAddr), commitLogMaxOffset(client, slave.addr)]);
      lags.push(Math.max(0, master - slaveMax));
      await tick;
    }
    // The window ends before the producer does: its CPU is read from /proc while it still runs.
    const measured = await window.stop();
    const wall = (performance.now() - begin) / 1000;
    const result = await producer.stop();
    lags.sort((a, b) => a - b);
    const cores = (i: number): number | null => {
      const c = measured.cpuSeconds[i];
      return c === undefined || !Number.isFinite(c) ? null : round2(c / wall);
    };
    return {
      send_tps: result.rtCount === 0 ? null : Math.round(result.rtCount / wall),
      send_rt_p50_ms: result.rtP50 === undefined || !Number.isFinite(result.rtP50) ? null : round2(result.rtP50),
      send_rt_p99_ms: result.rtP99 === undefined || !Number.isFinite(result.rtP99) ? null : round2(result.rtP99),
      failed: result.failed,
      not_ok: result.notOk ?? 0,
      lag_bytes: { p50: percentile(lags, 0.5), p99: percentile(lags, 0.99), max: lags.at(-1) ?? null, samples: lags.length },
      cpu: { master: cores(0), slave: cores(1), producer: cores(2), machine: measured.machine },
    };
  } catch (error) {
    producer.kill();
    throw error;
  }
}

// ------------------------------------------------------------------------------------------------------------------
// The phases

interface CatchupResult {
  bytes: number;
  /** The slave's "boot success" line to its first bytes. */
  first_replication_ms: number | null;
  /** From the slave's first bytes to its max offset reaching the master's. */
  catchup_ms: number | null;
  catchup_mb_per_s: number | null;
  /**
   * From the slave's first bytes to its dispatchBehindBytes reaching 0: its consume queues and index hold all of
   * it (both slaves append and ack first and dispatch behind, Java's on its reput thread).
   */
  dispatched_ms: number | null;
  /** The master's GET_MAX_OFFSET round trips during the catch-up (ms). */
  master_rt_ms: { p50: number | null; p99: number | null; max: number | null; samples: number };
  /**
   * CPU milliseconds per MiB shipped, from the slave's boot line to its catch-up (the slave), and over the same
   * span (the master): what the rate costs, steadier than the rate on a shared machine.
   */
  cpu_ms_per_mib: { master: number | null; slave: number | null };
  slave_startup_ms: number;
}

interface Result {
  broker: BrokerKind;
  version: string;
  probe_round_trips_per_s: number | null;
  catchup: CatchupResult | null;
  async: LoadResult | null;
  sync: LoadResult | null;
}

async function catchUp(label: string, client: RemotingClient, deployment: Deployment, options: Options): Promise<{ slave: GroupBroker; result: CatchupResult }> {
  const target = options.catchupMib * 1048576;
  progress(`${label}: filling the master with ${options.catchupMib} MiB`);
  await fill(deployment.namesrvAddr, client, deployment.brokerAddr, options, target);
  const masterMax = await commitLogMaxOffset(client, deployment.brokerAddr);
  progress(`${label}: master holds ${fmt(masterMax)} bytes; starting an empty slave`);
  const slave = await startSlave(deployment, options);
  const ready = performance.now();
  const cpu0 = await Promise.all([processCpuSeconds(deployment.brokerPid), processCpuSeconds(slave.pid)]);
  progress(`${label}: slave ${slave.addr} (pid ${slave.pid}) ready in ${Math.round(slave.startupMs)} ms`);
  // The master's responsiveness while it ships the log: a cheap request every 10 ms, from the slave's start.
  const rts: number[] = [];
  let probing = true;
  const probe = (async () => {
    while (probing) {
      const begin = performance.now();
      await client.invokeSync(deployment.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.GET_MAX_OFFSET, { topic: options.topic, queueId: 0 }), INVOKE_TIMEOUT_MILLIS);
      rts.push(performance.now() - begin);
      await sleep(10);
    }
  })();
  try {
    let firstAt: number | undefined;
    let firstOffset = 0;
    const doneAt = await pollUntil(
      async () => {
        const offset = await commitLogMaxOffset(client, slave.addr);
        if (offset > 0 && firstAt === undefined) {
          firstAt = performance.now();
          firstOffset = offset;
        }
        return offset >= masterMax ? performance.now() : undefined;
      },
      50,
      600_000,
      `${label}: the slave did not reach the master's ${masterMax} bytes`,
    );
    const cpu1 = await Promise.all([processCpuSeconds(deployment.brokerPid), processCpuSeconds(slave.pid)]);
    const dispatchedAt = await pollUntil(
      async () => ((await runtimeInfoNumber(client, slave.addr, 'dispatchBehindBytes')) === 0 ? performance.now() : undefined),
      50,
      600_000,
      `${label}: the slave did not dispatch what it received`,
    );
    const first = firstAt ?? doneAt;
    const shipped = masterMax - (await slaveMinOffset(client, slave.addr));
    const msPerMib = (cpuSeconds: number): number | null => (Number.isFinite(cpuSeconds) ? round2((cpuSeconds * 1000) / (shipped / 1048576)) : null);
    const catchupMs = doneAt - first;
    progress(`${label}: first bytes ${Math.round(first - ready)} ms after the slave's boot line; caught up ${fmt(shipped)} bytes in ${Math.round(catchupMs)} ms (first read ${fmt(firstOffset)}), dispatched in ${Math.round(dispatchedAt - first)} ms; CPU ms/MiB master ${fmt(msPerMib(cpu1[0] - cpu0[0]), 2)}, slave ${fmt(msPerMib(cpu1[1] - cpu0[1]), 2)}`);
    probing = false;
    await probe;
    rts.sort((a, b) => a - b);
    return {
      slave,
      result: {
        bytes: shipped,
        first_replication_ms: Math.round(first - ready),
        catchup_ms: Math.round(catchupMs),
        dispatched_ms: Math.round(dispatchedAt - first),
        // The first poll that saw bytes may come up to 50 ms after them: a floor of one poll keeps tiny runs finite.
        catchup_mb_per_s: round2(shipped / 1048576 / (Math.max(catchupMs, 50) / 1000)),
        master_rt_ms: { p50: round2(percentile(rts, 0.5) ?? NaN), p99: round2(percentile(rts, 0.99) ?? NaN), max: round2(rts.at(-1) ?? NaN), samples: rts.length },
        cpu_ms_per_mib: { master: msPerMib(cpu1[0] - cpu0[0]), slave: msPerMib(cpu1[1] - cpu0[1]) },
        slave_startup_ms: Math.round(slave.startupMs),
      },
    };
  } catch (error) {
    probing = false;
    await probe.catch(() => undefined);
    await slave.stop();
    throw error;
  }
}

/** commitLogMinOffset of the slave: where its copy begins (Java's and ours: the master's last segment). */
async function slaveMinOffset(client: RemotingClient, addr: string): Promise<number> {
  const response = await client.invokeSync(addr, RemotingCommand.createRequestCommand(RequestCode.GET_BROKER_RUNTIME_INFO, {}), INVOKE_TIMEOUT_MILLIS);
  return Number(decodeKVTable(response.body).get('commitLogMinOffset') ?? 0) || 0;
}

/** Sends until one is answered SEND_OK: the SYNC_MASTER's slave is connected and acknowledging. */
async function awaitSyncSlave(label: string, namesrvAddr: string, topic: string): Promise<void> {
  const producer = new Producer({ nameServer: namesrvAddr, group: 'BenchHaProbe', sendMsgTimeout: 5000 });
  await producer.start();
  try {
    await pollUntil(
      async () => ((await producer.send({ topic, body: Buffer.from('probe') })).status === 'SEND_OK' ? true : undefined),
      500,
      120_000,
      `${label}: no send was answered SEND_OK by the SYNC_MASTER`,
    );
  } finally {
    await producer.shutdown();
  }
}

async function benchKind(kind: BrokerKind, options: Options, client: RemotingClient): Promise<Result> {
  const result: Result = { broker: kind, version: kind === 'ours' ? 'rocketmq-ts' : '5.3.3', probe_round_trips_per_s: null, catchup: null, async: null, sync: null };
  const deployOptions = (role: string, extra: BrokerConfigEntries): DeployOptions => ({ ...options, brokerConfig: groupConfig({ brokerRole: role, ...extra }) });
  if (options.phases.has('catchup')) {
    const label = `${kind}/async`;
    const { deployment, probe } = await deployBroker(kind, deployOptions('ASYNC_MASTER', await oursPorts(kind)), client, false, label);
    result.probe_round_trips_per_s = probe;
    let slave: GroupBroker | undefined;
    try {
      const caught = await catchUp(label, client, deployment, options);
      slave = caught.slave;
      result.catchup = caught.result;
      if (options.phases.has('async')) {
        result.async = await runLoad(label, client, deployment, slave, options, 'BenchHaAsync');
        progress(`${label}: ${fmt(result.async.send_tps)} msg/s, lag p99 ${fmt(result.async.lag_bytes?.p99)} bytes`);
      }
    } finally {
      progress(`${label}: stopping`);
      await slave?.stop();
      await deployment.stop();
    }
  }
  if (options.phases.has('sync')) {
    const label = `${kind}/sync`;
    const { deployment, probe } = await deployBroker(kind, deployOptions('SYNC_MASTER', { inSyncReplicas: 2, totalReplicas: 2, ...(await oursPorts(kind)) }), client, false, label);
    result.probe_round_trips_per_s ??= probe;
    let slave: GroupBroker | undefined;
    try {
      slave = await startSlave(deployment, { ...options, brokerConfig: groupConfig({ inSyncReplicas: 2, totalReplicas: 2 }) });
      progress(`${label}: slave ${slave.addr} ready in ${Math.round(slave.startupMs)} ms; waiting for a SEND_OK`);
      await awaitSyncSlave(label, deployment.namesrvAddr, options.topic);
      result.sync = await runLoad(label, client, deployment, slave, options, 'BenchHaSync');
      progress(`${label}: ${fmt(result.sync.send_tps)} msg/s, p99 ${fmt(result.sync.send_rt_p99_ms, 2)} ms, not SEND_OK ${result.sync.not_ok}`);
    } finally {
      progress(`${label}: stopping`);
      await slave?.stop();
      await deployment.stop();
    }
  }
  return result;
}

// ------------------------------------------------------------------------------------------------------------------
// Output

function table(results: Result[]): string {
  const rows = results.map((r) =>
    [
      r.broker,
      fmt(r.catchup?.first_replication_ms),
      fmt(r.catchup?.catchup_mb_per_s, 1),
      `${fmt(r.catchup?.master_rt_ms.p50, 2)} / ${fmt(r.catchup?.master_rt_ms.p99, 2)}`,
      `${fmt(r.catchup?.cpu_ms_per_mib.master, 2)} / ${fmt(r.catchup?.cpu_ms_per_mib.slave, 2)}`,
      fmt(r.async?.send_tps),
      `${fmt(r.async?.send_rt_p50_ms, 2)} / ${fmt(r.async?.send_rt_p99_ms, 2)}`,
      `${fmt(r.async?.lag_bytes?.p50)} / ${fmt(r.async?.lag_bytes?.p99)} / ${fmt(r.async?.lag_bytes?.max)}`,
      fmt(r.sync?.send_tps),
      `${fmt(r.sync?.send_rt_p50_ms, 2)} / ${fmt(r.sync?.send_rt_p99_ms, 2)}`,
      fmt(r.sync?.not_ok),
      `${fmt(r.async?.cpu.master, 2)} / ${fmt(r.async?.cpu.slave, 2)}`,
      fmt(r.probe_round_trips_per_s),
    ].join(' | '),
  );
  return [
    '| group | first replication ms | catch-up MB/s | master RT during catch-up p50 / p99 ms | catch-up CPU ms/MiB master / slave | ASYNC msg/s | ASYNC RT p50 / p99 ms | ASYNC lag bytes p50 / p99 / max | SYNC msg/s | SYNC RT p50 / p99 ms | SYNC not SEND_OK | CPU master / slave (ASYNC) | probe |',
    '|---|---:|---:|---|---|---:|---|---|---:|---|---:|---|---:|',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}

async function main(options: Options): Promise<number> {
  configureProgress('ha', options.quiet);
  const load0 = loadavg()[0] ?? 0;
  const results = await runPhases(options.brokers, options, (kind, client) => benchKind(kind, options, client));
  const ours = results.find((r) => r.broker === 'ours');
  const java = results.find((r) => r.broker === 'java');
  const ratios = {
    catchup_mb_per_s: ratio(ours?.catchup?.catchup_mb_per_s, java?.catchup?.catchup_mb_per_s),
    first_replication_ms: ratio(ours?.catchup?.first_replication_ms, java?.catchup?.first_replication_ms),
    async_lag_p99: ratio(ours?.async?.lag_bytes?.p99, java?.async?.lag_bytes?.p99),
    async_send_tps: ratio(ours?.async?.send_tps, java?.async?.send_tps),
    sync_send_tps: ratio(ours?.sync?.send_tps, java?.sync?.send_tps),
    sync_rt_p99: ratio(ours?.sync?.send_rt_p99_ms, java?.sync?.send_rt_p99_ms),
  };
  const targets = {
    catchup_ge_1_2x: ratios.catchup_mb_per_s === null ? null : ratios.catchup_mb_per_s >= 1.2,
    sync_tps_ge_1_2x: ratios.sync_send_tps === null ? null : ratios.sync_send_tps >= 1.2,
    // A lag of 0 bytes at p99 on both is "no worse"; ratio() is null when Java's is 0.
    async_lag_p99_no_worse: ours?.async?.lag_bytes?.p99 == null || java?.async?.lag_bytes?.p99 == null ? null : ours.async.lag_bytes.p99 <= java.async.lag_bytes.p99,
  };
  if (!options.jsonOnly) {
    process.stdout.write(
      `\nbench:ha: ${options.catchupMib} MiB catch-up, ${options.segmentMib} MiB segments, our producer ${options.inflight} in flight x ${options.size} B, ${options.warmup} s warm-up + ${options.seconds} s measured per load phase\n\n${table(results)}\n\n`,
    );
    process.stdout.write(`ours / Java: catch-up ${fmt(ratios.catchup_mb_per_s, 2)}x, SYNC TPS ${fmt(ratios.sync_send_tps, 2)}x, ASYNC lag p99 ${fmt(ratios.async_lag_p99, 2)}x, first replication ${fmt(ratios.first_replication_ms, 2)}x\n`);
    process.stdout.write(`targets: ${JSON.stringify(targets)}\n`);
  }
  const params = { catchup_mib: options.catchupMib, segment_mib: options.segmentMib, seconds: options.seconds, warmup: options.warmup, inflight: options.inflight, size: options.size, queues: options.queues };
  process.stdout.write(`${JSON.stringify({ bench: 'ha', ratios, targets, results, params, ...machineInfo(load0) })}\n`);
  return 0;
}

await runBench('ha', USAGE, parseOptions, main);
