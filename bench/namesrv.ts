/**
 * `npm run bench:namesrv`: GET_ROUTEINFO_BY_TOPIC (105) throughput and latency of our name server against the
 * Java 5.3.3 name server, in the same run. Three kinds of process:
 *   - the servers: ours as a child process (`node dist/cli/main.js namesrv --listen-port 0`, the port read from
 *     its boot line) and Java's through test/helpers/java.ts (NamesrvStartup on a free loopback port);
 *   - this driver: registers 10 brokers (broker-0..9 of DefaultCluster, fake addresses 127.0.0.1:20000+i) with
 *     the same 100 topics (8 queues, perm 6) on both servers over one RemotingClient, re-registers them every 30 s
 *     as real brokers do, checks the routes, and reads each process's CPU time from /proc;
 *   - the load generator (bench/namesrv-load.ts), forked once per measured phase: 16 RemotingClients, one
 *     connection each, each with K requests in flight (JSON header, version 479, a random topic among the 100).
 * Phases run one server at a time, alternating ours and Java's; every phase warms up first (and the first phase
 * on each server warms up longer, for Java's JIT). Prints a table, the ratios and one final JSON line.
 *
 * Profiling our name server: `--profile-ours DIR` runs it with `--cpu-prof --cpu-prof-dir DIR`; the profile is
 * written when the driver stops it (SIGTERM, clean exit).
 */
import { spawn, fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { crc32Masked } from '../src/common/crc32.js';
import { decodeTopicRouteData, encodeRegisterBrokerBody, type RegisterBrokerBody, type TopicConfig } from '../src/protocol/bodies/index.js';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode, type CustomHeader } from '../src/index.js';
import { REPO_ROOT, startJavaNameServer, type JavaServer } from '../test/helpers/java.js';
import { machineBusy as machineTimes, processCpuSeconds } from './deploy.js';
import { isLoadMessage, type LoadMessage, type LoadSpec } from './namesrv-protocol.js';

const TOPICS = 100;
const BROKERS = 10;
const QUEUES = 8;
const PERM = 6;
const CLUSTER = 'DefaultCluster';
/** 5.3.3's MQVersion ordinal: both servers answer it with standard JSON. */
const VERSION = 479;
const JAVA_VERSION = '5.3.3';
const INVOKE_TIMEOUT_MILLIS = 3000;
const REREGISTER_MILLIS = 30_000;
const SERVER_START_TIMEOUT_MILLIS = 90_000;

type ServerName = 'ours' | 'java';

const USAGE = `usage: node dist-test/bench/namesrv.js [options]
  --seconds <s>         measured seconds per phase (default 5)
  --warmup <s>          unmeasured warm-up seconds before each phase (default 5)
  --jit-warmup <s>      extra warm-up before the first phase on each server (default 10)
  --inflight <k,...>    requests in flight per connection, one phase per value (default 1,4)
  --connections <n>     load-generator connections (default 16)
  --repeat <n>          measure each phase n times, report the median run by queries/s (default 1)
  --servers <s,...>     ours, java or both (default ours,java)
  --profile-ours <dir>  run our name server with --cpu-prof, profile written to <dir>
  --ours-main <file>    our CLI to run (default dist/cli/main.js of this repository), e.g. another build for A/B
  --json-only           print only the final JSON line on stdout (progress still goes to stderr)
  --quiet               no progress lines on stderr
  -h, --help            this text`;

interface Result {
  server: ServerName;
  connections: number;
  inflight: number;
  seconds: number;
  ops: number;
  qps: number;
  p50_us: number | null;
  p99_us: number | null;
  p999_us: number | null;
  errors: number;
  first_error: string | null;
  /** CPU time over wall time during the measured window: 1.0 is one core busy all the time. */
  server_cpu: number | null;
  /** Queries per second of server CPU time: the server's efficiency, less sensitive to a busy machine than qps. */
  queries_per_cpu_s: number | null;
  loadgen_cpu: number;
  /** The other (idle) name server's CPU over the same window. */
  idle_server_cpu: number | null;
  /** Every core's busy time over wall time (all processes): how much of the machine's 2 cores was in use. */
  machine_cpu: number;
  body_bytes: number;
  runs_qps?: number[];
}

interface Server {
  name: ServerName;
  addr: string;
  pid: number;
  stop(): Promise<void>;
}

let interrupted = false;

function progress(quiet: boolean, line: string): void {
  if (!quiet) process.stderr.write(`${line}\n`);
}

// ------------------------------------------------------------------------------------------------------------------
// CPU accounting

/** utime + stime of a process (all its threads) in microseconds, from /proc; NaN where that is unavailable. */
async function processCpuMicros(pid: number): Promise<number> {
  return (await processCpuSeconds(pid)) * 1e6;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

// ------------------------------------------------------------------------------------------------------------------
// Servers

async function startOurs(main: string, profileDir: string | undefined): Promise<Server> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'rmqts-bench-namesrv-'));
  const nodeArgs = profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', path.resolve(profileDir)];
  const child = spawn(process.execPath, [...nodeArgs, main, 'namesrv', '--listen-port', '0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let tail = '';
  const keepTail = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  };
  child.stderr?.on('data', keepTail);
  const port = await new Promise<number>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => fail(`printed no boot line within ${SERVER_START_TIMEOUT_MILLIS} ms`), SERVER_START_TIMEOUT_MILLIS);
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`our name server ${why}; output:\n${seen}${tail}`));
    };
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString('utf8');
      const match = /The Name Server boot success\..*:(\d+)\s*$/m.exec(seen);
      if (match === null) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stdout?.on('data', keepTail); // keep draining so the pipe never blocks it
      child.off('exit', onExit);
      resolve(Number(match[1]));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => fail(`exited early (code ${code ?? '-'}, signal ${signal ?? '-'})`);
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
  return {
    name: 'ours',
    addr: `127.0.0.1:${port}`,
    pid: child.pid ?? -1,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM'); // a clean exit writes the --cpu-prof profile
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      process.off('exit', killOnExit);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function startJava(): Promise<Server> {
  const java: JavaServer = await startJavaNameServer({ version: JAVA_VERSION });
  return { name: 'java', addr: java.addr, pid: java.process.pid, stop: () => java.stop() };
}

// ------------------------------------------------------------------------------------------------------------------
// Registration

function topicNames(): string[] {
  return Array.from({ length: TOPICS }, (_, i) => `BenchTopic-${String(i).padStart(3, '0')}`);
}

function registerBody(topics: readonly string[]): Buffer {
  const table = new Map<string, TopicConfig>();
  for (const topicName of topics) {
    table.set(topicName, {
      topicName,
      readQueueNums: QUEUES,
      writeQueueNums: QUEUES,
      perm: PERM,
      topicFilterType: 'SINGLE_TAG',
      topicSysFlag: 0,
      order: false,
    });
  }
  const body: RegisterBrokerBody = {
    topicConfigSerializeWrapper: { dataVersion: { counter: 1, stateVersion: 0, timestamp: 1_700_000_000_000 }, topicConfigTable: table },
    filterServerList: [],
  };
  return encodeRegisterBrokerBody(body, { compressed: false, version: VERSION });
}

async function registerBrokers(client: RemotingClient, addr: string, body: Buffer): Promise<void> {
  await Promise.all(
    Array.from({ length: BROKERS }, async (_, i) => {
      const header: CustomHeader = {
        brokerName: `broker-${i}`,
        brokerAddr: `127.0.0.1:${20000 + i}`,
        clusterName: CLUSTER,
        haServerAddr: `127.0.0.1:${30000 + i}`,
        brokerId: 0,
        compressed: false,
        bodyCrc32: crc32Masked(body),
      };
      const request = RemotingCommand.createRequestCommand(RequestCode.REGISTER_BROKER, header, body);
      request.version = VERSION;
      request.serializeTypeCurrentRPC = 'JSON';
      const response = await client.invokeSync(addr, request, INVOKE_TIMEOUT_MILLIS);
      if (response.code !== ResponseCode.SUCCESS) {
        throw new Error(`REGISTER_BROKER broker-${i} at ${addr}: code ${response.code} (${response.remark ?? ''})`);
      }
    }),
  );
}

/** One GET_ROUTEINFO_BY_TOPIC: the route must list all 10 brokers with their queues. Returns the body size. */
async function checkRoute(client: RemotingClient, server: Server, topic: string): Promise<number> {
  const request = RemotingCommand.createRequestCommand(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic });
  request.version = VERSION;
  request.serializeTypeCurrentRPC = 'JSON';
  const response = await client.invokeSync(server.addr, request, INVOKE_TIMEOUT_MILLIS);
  if (response.code !== ResponseCode.SUCCESS || response.body === undefined) {
    throw new Error(`${server.name}: GET_ROUTEINFO_BY_TOPIC ${topic} answered code ${response.code} (${response.remark ?? ''})`);
  }
  const route = decodeTopicRouteData(response.body);
  const brokers = new Set(route.brokerDatas.map((b) => b.brokerName));
  const queues = route.queueDatas.filter((q) => q.readQueueNums === QUEUES && q.writeQueueNums === QUEUES && q.perm === PERM);
  if (brokers.size !== BROKERS || queues.length !== BROKERS) {
    throw new Error(`${server.name}: the route of ${topic} lists ${brokers.size} brokers and ${queues.length} matching queue datas, expected ${BROKERS}`);
  }
  return response.body.length;
}

// ------------------------------------------------------------------------------------------------------------------
// Load phases

async function runPhase(
  server: Server,
  idle: Server | undefined,
  spec: LoadSpec,
): Promise<Result> {
  const script = fileURLToPath(new URL('./namesrv-load.js', import.meta.url));
  // Own execArgv: a --cpu-prof of the driver must not profile the load generator too.
  const child: ChildProcess = fork(script, [], { stdio: ['ignore', 2, 2, 'ipc'], execArgv: [] });
  let measuring: Promise<{ server: number; idle: number; machine: { busy: number; total: number } }> | undefined;
  const outcome = await new Promise<LoadMessage>((resolve, reject) => {
    const limit = (spec.warmupSeconds + spec.seconds + 30) * 1000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`load generator gave no result within ${limit} ms`));
    }, limit);
    child.on('message', (message: unknown) => {
      if (!isLoadMessage(message)) return;
      if (message.type === 'measuring') {
        const machine = machineTimes();
        measuring = Promise.all([processCpuMicros(server.pid), idle === undefined ? NaN : processCpuMicros(idle.pid)]).then(
          ([s, i]) => ({ server: s, idle: i, machine }),
        );
        return;
      }
      clearTimeout(timer);
      resolve(message);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`load generator exited without a result (code ${code ?? '-'}, signal ${signal ?? '-'})`));
    });
    child.send(spec);
  });
  const [serverCpu1, idleCpu1] = await Promise.all([processCpuMicros(server.pid), idle === undefined ? NaN : processCpuMicros(idle.pid)]);
  const machine1 = machineTimes();
  if (outcome.type !== 'result') throw new Error(`load generator failed: ${outcome.type === 'failed' ? outcome.message : outcome.type}`);
  const start = await (measuring ?? Promise.reject(new Error('the load generator never reported its measured window')));
  const wallMicros = outcome.elapsedNanos / 1000;
  const ratio = (micros: number): number | null => (Number.isFinite(micros) ? round2(micros / wallMicros) : null);
  const totalDelta = machine1.total - start.machine.total;
  const serverCpuMicros = serverCpu1 - start.server;
  return {
    server: server.name,
    connections: spec.connections,
    inflight: spec.inflight,
    seconds: Math.round(outcome.elapsedNanos / 1e6) / 1000,
    ops: outcome.ops,
    qps: Math.round((outcome.ops / outcome.elapsedNanos) * 1e9),
    p50_us: outcome.p50_us,
    p99_us: outcome.p99_us,
    p999_us: outcome.p999_us,
    errors: outcome.errors,
    first_error: outcome.firstError,
    server_cpu: ratio(serverCpuMicros),
    queries_per_cpu_s: Number.isFinite(serverCpuMicros) && serverCpuMicros > 0 ? Math.round(outcome.ops / (serverCpuMicros / 1e6)) : null,
    idle_server_cpu: ratio(idleCpu1 - start.idle),
    loadgen_cpu: round2(outcome.cpuMicros / wallMicros),
    machine_cpu: totalDelta > 0 ? round2(((machine1.busy - start.machine.busy) / totalDelta) * cpus().length) : 0,
    body_bytes: outcome.meanBodyBytes,
  };
}

// ------------------------------------------------------------------------------------------------------------------
// Report

function formatTable(results: readonly Result[]): string {
  const head = ['server', 'conns x K', 'queries/s', 'q/cpu-s', 'p50 µs', 'p99 µs', 'p99.9 µs', 'errors', 'cpu srv/gen/idle', 'machine', 'body B'];
  const fmt = (n: number | null): string => (n === null ? '-' : n.toFixed(1));
  const cpu = (n: number | null): string => (n === null ? '-' : n.toFixed(2));
  const rows = results.map((r) => [
    r.server,
    `${r.connections} x ${r.inflight}`,
    r.qps.toLocaleString('en-US'),
    r.queries_per_cpu_s === null ? '-' : r.queries_per_cpu_s.toLocaleString('en-US'),
    fmt(r.p50_us),
    fmt(r.p99_us),
    fmt(r.p999_us),
    String(r.errors),
    `${cpu(r.server_cpu)}/${cpu(r.loadgen_cpu)}/${cpu(r.idle_server_cpu)}`,
    cpu(r.machine_cpu),
    String(r.body_bytes),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

interface Ratio {
  inflight: number;
  ours_qps: number;
  java_qps: number;
  ratio: number;
  ours_p99_us: number | null;
  java_p99_us: number | null;
  /** ours/java in queries per server CPU-second. */
  cpu_efficiency_ratio: number | null;
}

function ratios(results: readonly Result[], inflights: readonly number[]): Ratio[] {
  const out: Ratio[] = [];
  for (const k of inflights) {
    const ours = results.find((r) => r.server === 'ours' && r.inflight === k);
    const java = results.find((r) => r.server === 'java' && r.inflight === k);
    if (ours === undefined || java === undefined || java.qps === 0) continue;
    const efficiency = ours.queries_per_cpu_s !== null && java.queries_per_cpu_s ? round2(ours.queries_per_cpu_s / java.queries_per_cpu_s) : null;
    out.push({
      inflight: k,
      ours_qps: ours.qps,
      java_qps: java.qps,
      ratio: round2(ours.qps / java.qps),
      ours_p99_us: ours.p99_us,
      java_p99_us: java.p99_us,
      cpu_efficiency_ratio: efficiency,
    });
  }
  return out;
}

// ------------------------------------------------------------------------------------------------------------------
// Main

function seconds(name: string, text: string, allowZero: boolean): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0) || n > 3600) {
    throw new RangeError(`--${name} must be a number of seconds${allowZero ? ' >= 0' : ' > 0'} (got '${text}')`);
  }
  return n;
}

function integer(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`--${name} must be an integer ${min}..${max} (got '${text}')`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '5' },
      'jit-warmup': { type: 'string', default: '10' },
      inflight: { type: 'string', default: '1,4' },
      connections: { type: 'string', default: '16' },
      repeat: { type: 'string', default: '1' },
      servers: { type: 'string', default: 'ours,java' },
      'profile-ours': { type: 'string' },
      'ours-main': { type: 'string' },
      'json-only': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const measureSeconds = seconds('seconds', values.seconds, false);
  const warmup = seconds('warmup', values.warmup, true);
  const jitWarmup = seconds('jit-warmup', values['jit-warmup'], true);
  const inflights = [...new Set(values.inflight.split(',').map((k) => integer('inflight', k.trim(), 1, 1024)))];
  const connections = integer('connections', values.connections, 1, 256);
  const repeat = integer('repeat', values.repeat, 1, 20);
  const wanted = new Set(values.servers.split(',').map((s) => s.trim()));
  for (const s of wanted) if (s !== 'ours' && s !== 'java') throw new RangeError(`--servers: unknown server '${s}' (ours, java)`);
  const order: ServerName[] = (['ours', 'java'] as const).filter((s) => wanted.has(s));
  if (order.length === 0) throw new RangeError('--servers names no server');
  const quiet = values.quiet;
  const oursMain = path.resolve(values['ours-main'] ?? path.join(REPO_ROOT, 'dist', 'cli', 'main.js'));
  const loadAtStart = round2(loadavg()[0] ?? 0);

  const phases = order.length * inflights.length * repeat;
  const budgetSeconds = phases * (warmup + measureSeconds + 5) + order.length * jitWarmup + 2 * SERVER_START_TIMEOUT_MILLIS / 1000 + 60;
  const servers: Server[] = [];
  const client = new RemotingClient({ serializeType: 'JSON', connectTimeoutMillis: 3000 });
  let refresher: NodeJS.Timeout | undefined;
  const stopAll = async (): Promise<void> => {
    clearInterval(refresher);
    await client.shutdown();
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
  };
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench: run exceeded its ${Math.round(budgetSeconds)}s budget, aborting\n`);
    void stopAll().finally(() => process.exit(2));
  }, budgetSeconds * 1000);
  watchdog.unref();

  const topics = topicNames();
  const results: Result[] = [];
  let routeBytes: Record<string, number> = {};
  try {
    for (const name of order) {
      progress(quiet, `bench: starting ${name === 'ours' ? 'our name server' : `the Java ${JAVA_VERSION} name server`}`);
      servers.push(name === 'ours' ? await startOurs(oursMain, values['profile-ours']) : await startJava());
      if (interrupted) return 130;
    }
    await client.start();
    const body = registerBody(topics);
    const registerAll = (): Promise<void> => Promise.all(servers.map((s) => registerBrokers(client, s.addr, body))).then(() => undefined);
    await registerAll();
    // Brokers re-register every 30 s; that also keeps the connection that owns the registrations from idling out.
    refresher = setInterval(() => {
      registerAll().catch((err: unknown) => process.stderr.write(`bench: re-registration failed: ${(err as Error).message}\n`));
    }, REREGISTER_MILLIS);
    for (const s of servers) {
      const size = await checkRoute(client, s, topics[0] as string);
      routeBytes = { ...routeBytes, [s.name]: size };
      progress(quiet, `bench: ${s.name} on ${s.addr} (pid ${s.pid}): ${BROKERS} brokers x ${TOPICS} topics registered, route of ${topics[0]} is ${size} bytes`);
    }

    const warmed = new Set<ServerName>();
    const runs = new Map<string, Result[]>();
    for (let r = 0; r < repeat && !interrupted; r++) {
      for (const [ki, k] of inflights.entries()) {
        // Alternate which server goes first, so neither always runs on a machine the other just heated up.
        const sequence = (r + ki) % 2 === 0 ? servers : [...servers].reverse();
        for (const server of sequence) {
          if (interrupted) break;
          const extra = warmed.has(server.name) ? 0 : jitWarmup;
          warmed.add(server.name);
          const spec: LoadSpec = { addr: server.addr, connections, inflight: k, warmupSeconds: warmup + extra, seconds: measureSeconds, topics, version: VERSION, timeoutMillis: INVOKE_TIMEOUT_MILLIS };
          const result = await runPhase(server, servers.find((s) => s !== server), spec);
          const key = `${server.name}/${k}`;
          runs.set(key, [...(runs.get(key) ?? []), result]);
          progress(
            quiet,
            `bench: ${server.name.padEnd(4)} ${connections} x ${k}: ${String(result.qps).padStart(7)} q/s  p50 ${result.p50_us ?? '-'}µs  p99 ${result.p99_us ?? '-'}µs  errors ${result.errors}  cpu srv ${result.server_cpu ?? '-'} gen ${result.loadgen_cpu} machine ${result.machine_cpu}`,
          );
          if (result.first_error !== null) progress(quiet, `bench:   first error: ${result.first_error}`);
        }
      }
    }
    for (const k of inflights) {
      for (const server of servers) {
        const list = runs.get(`${server.name}/${k}`) ?? [];
        if (list.length === 0) continue;
        const sorted = [...list].sort((a, b) => a.qps - b.qps);
        const median: Result = { ...(sorted[(sorted.length - 1) >> 1] as Result) };
        if (list.length > 1) median.runs_qps = list.map((x) => x.qps);
        results.push(median);
      }
    }
    // The registrations must have held throughout (no expiry, no idle close).
    for (const s of servers) await checkRoute(client, s, topics[TOPICS - 1] as string);
  } finally {
    await stopAll();
    clearTimeout(watchdog);
  }

  const byK = ratios(results, inflights);
  const headline = byK.at(-1);
  if (!values['json-only']) {
    process.stdout.write(`\nGET_ROUTEINFO_BY_TOPIC, ${TOPICS} topics x ${BROKERS} brokers, ${connections} connections, ${measureSeconds}s per phase (cpu: cores used during the window)\n\n`);
    process.stdout.write(`${formatTable(results)}\n\n`);
    for (const x of byK) {
      process.stdout.write(
        `K=${x.inflight}: ours/java = ${x.ratio.toFixed(2)}x queries/s (${x.ours_qps} vs ${x.java_qps}), ${x.cpu_efficiency_ratio?.toFixed(2) ?? '-'}x queries per server CPU-second; p99 ${x.ours_p99_us ?? '-'}µs vs ${x.java_p99_us ?? '-'}µs\n`,
      );
    }
    if (headline !== undefined) process.stdout.write(`target >= 2x: ${headline.ratio >= 2 ? 'met' : 'NOT met'} at K=${headline.inflight}\n`);
    if (interrupted) process.stdout.write('(interrupted: partial results)\n');
    process.stdout.write('\n');
  }
  const summary = {
    bench: 'namesrv',
    ours_qps: headline?.ours_qps ?? null,
    java_qps: headline?.java_qps ?? null,
    ratio: headline?.ratio ?? null,
    ours_p99_us: headline?.ours_p99_us ?? null,
    java_p99_us: headline?.java_p99_us ?? null,
    inflight: headline?.inflight ?? null,
    by_inflight: byK,
    results,
    topics: TOPICS,
    brokers: BROKERS,
    connections,
    route_bytes: routeBytes,
    java_version: JAVA_VERSION,
    seconds: measureSeconds,
    warmup,
    jit_warmup: jitWarmup,
    repeat,
    interrupted,
    node: process.version,
    cpus: cpus().length,
    loadavg_1m: [loadAtStart, round2(loadavg()[0] ?? 0)],
    date: new Date().toISOString(),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return interrupted ? 130 : 0;
}

process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  process.stderr.write('bench: interrupted, finishing the current phase and stopping the servers\n');
});

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
