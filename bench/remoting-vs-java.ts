/**
 * `npm run bench:remoting -- --vs-java` (or `node dist-test/bench/remoting-vs-java.js`): the remoting workloads of
 * bench/remoting.ts for four client->server pairs in one run on this machine, Java->Java, TS->TS, TS->Java and
 * Java->TS, with the TS/Java ratios.
 *
 * - Java server: interop's RemotingPeerServer (NettyRemotingServer) started with --serialize matching the header
 *   under test, one JVM per header. TS server: bench/remoting-server.ts, forked as by bench/remoting.ts.
 * - Java client: interop's RemotingPeerClient --bench --plan ..., one JVM per (server, header), running the same
 *   workloads with the same echo check, in-flight definition, oneway counting, warm-up and duration as the TS client
 *   (see the bench section of RemotingPeerClient.java). Each client process, Java or TS, first runs a pre-warm spread
 *   over its workloads (JIT warm-up), then each workload --warmup seconds unmeasured and --seconds measured.
 * - Only one server runs at a time; the driver (this process) is idle while a Java client measures.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { RemotingClient, type SerializeTypeName } from '../src/index.js';
import { buildInterop, startJava, type JavaProcess, type RocketMQVersion } from '../test/helpers/java.js';
import {
  allWorkloads,
  HEADERS,
  matchesFilter,
  measure,
  positiveNumber,
  progress,
  runPhase,
  runState,
  ServerProcess,
  type Result,
  type Workload,
} from './remoting-core.js';

const PAIRS = ['java->java', 'ts->ts', 'ts->java', 'java->ts'] as const;
type Pair = (typeof PAIRS)[number];
const JAVA_VERSIONS: readonly RocketMQVersion[] = ['5.3.3', '4.9.8', '5.5.0'];
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const CLK_TCK = 100;

const USAGE = `usage: npm run bench:remoting -- --vs-java [options]
       node dist-test/bench/remoting-vs-java.js [options]
  --seconds <s>        measured seconds per workload and pair (default 3)
  --warmup <s>         unmeasured seconds before each workload (default 1)
  --prewarm <s>        once per client process (JVM or TS) and header, spread over its workloads, before the
                       first one: JIT warm-up (default 10)
  --only <f,...>       workload filter as in bench:remoting (e.g. "sync,async-256/rocketmq/nobody")
  --pairs <p,...>      java-java, ts-ts, ts-java, java-ts (default all four; "->" works too)
  --java-version <v>   RocketMQ release of the Java side: 5.3.3 (default), 4.9.8, 5.5.0
  --heap <mb>          -Xms/-Xmx of each JVM (default 512)
  --json-only          only the final JSON line on stdout
  --quiet              no progress lines on stderr
  -h, --help           this text`;

interface Row {
  id: string;
  workload: Workload['kind'];
  header: SerializeTypeName;
  body: number;
  inflight: number;
  results: Partial<Record<Pair, Result>>;
}

/** CPU time (user + system) of a process in microseconds, from /proc; NaN if unreadable. */
function procCpuMicros(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ", fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLK_TCK;
  } catch {
    return NaN;
  }
}

function parsePairs(text: string | undefined): Pair[] {
  if (text === undefined || text.trim() === '') return [...PAIRS];
  const out: Pair[] = [];
  for (const raw of text.split(',')) {
    const name = raw.trim().toLowerCase().replace('->', '-').replace('-', '->');
    const pair = PAIRS.find((p) => p === name);
    if (pair === undefined) throw new RangeError(`--pairs: unknown pair '${raw}' (java-java, ts-ts, ts-java, java-ts)`);
    if (!out.includes(pair)) out.push(pair);
  }
  return out;
}

function planSpec(w: Workload): string {
  return `${w.kind}:${w.inflight}:${w.bodySize}`;
}

interface JavaBenchLine {
  plan: string;
  ops: number;
  errors: number;
  seconds: number;
  opsPerSec: number;
  p50us: number | null;
  p99us: number | null;
  cpu: number;
}

function isJavaBenchLine(value: unknown): value is JavaBenchLine {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.plan === 'string' && typeof v.ops === 'number' && typeof v.opsPerSec === 'number';
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

interface Settings {
  seconds: number;
  warmup: number;
  prewarm: number;
  heapMb: number;
  classpath: string;
  quiet: boolean;
}

/** The TS RemotingClient in this process: pre-warm, then per workload warm-up and measurement. */
async function runTsClient(
  settings: Settings,
  addr: string,
  header: SerializeTypeName,
  workloads: readonly Workload[],
  server: { cpuMicros(): Promise<number> },
  onResult: (w: Workload, r: Result) => void,
): Promise<void> {
  const client = new RemotingClient({ serializeType: header, connectTimeoutMillis: 3000 });
  await client.start();
  try {
    if (settings.prewarm > 0) {
      for (const w of workloads) {
        if (runState.interrupted) return;
        await runPhase(w, client, addr, settings.prewarm / workloads.length, undefined);
      }
    }
    for (const w of workloads) {
      if (runState.interrupted) return;
      if (settings.warmup > 0) await runPhase(w, client, addr, settings.warmup, undefined);
      const result = await measure(w, client, server, addr, settings.seconds);
      if (result === undefined) return;
      onResult(w, result);
    }
  } finally {
    await client.shutdown();
  }
}

/** Java's RemotingPeerClient --bench --plan in its own JVM; the server's CPU is sampled around each measured run. */
async function runJavaClient(
  settings: Settings,
  addr: string,
  header: SerializeTypeName,
  workloads: readonly Workload[],
  server: { cpuMicros(): Promise<number> },
  onResult: (w: Workload, r: Result) => void,
): Promise<void> {
  const java = await startJava({
    mainClass: 'io.rocketmqts.interop.RemotingPeerClient',
    name: `bench-client-${header.toLowerCase()}`,
    classpath: settings.classpath,
    heapMb: settings.heapMb,
    args: [
      '--bench',
      '--addr',
      addr,
      '--serialize',
      header,
      '--plan',
      workloads.map(planSpec).join(','),
      '--seconds',
      String(settings.seconds),
      '--warmup-seconds',
      String(settings.warmup),
      '--prewarm-seconds',
      String(settings.prewarm),
    ],
  });
  try {
    let first = true;
    for (const w of workloads) {
      if (runState.interrupted) return;
      const spec = planSpec(w);
      const slackMs = 30_000 + (first ? 30_000 + settings.prewarm * 1000 : 0);
      first = false;
      await java.waitForLine(new RegExp(`^BEGIN ${spec}$`), settings.warmup * 1000 + slackMs);
      const t0 = process.hrtime.bigint();
      const s0 = await server.cpuMicros();
      const line = await java.waitForLine(new RegExp(`^\\{"plan":"${spec}"`), settings.seconds * 1000 + 30_000);
      const s1 = await server.cpuMicros();
      const wallMicros = Number(process.hrtime.bigint() - t0) / 1000;
      const parsed: unknown = JSON.parse(line);
      if (!isJavaBenchLine(parsed)) throw new Error(`unexpected line from the Java client: ${line}`);
      onResult(w, {
        workload: w.kind,
        header,
        body: w.bodySize,
        inflight: w.inflight,
        seconds: parsed.seconds,
        ops: parsed.ops,
        ops_per_sec: parsed.opsPerSec,
        p50_us: parsed.p50us,
        p99_us: parsed.p99us,
        errors: parsed.errors,
        client_cpu: parsed.cpu,
        server_cpu: round2((s1 - s0) / wallMicros),
      });
    }
    const status = await Promise.race([java.exit, new Promise<string>((r) => setTimeout(() => r('timeout'), 20_000).unref())]);
    if (status !== 0) throw new Error(`Java bench client ended with ${String(status)}`);
  } finally {
    await java.stop();
  }
}

async function startJavaServer(settings: Settings, header: SerializeTypeName): Promise<{ java: JavaProcess; port: number }> {
  const java = await startJava({
    mainClass: 'io.rocketmqts.interop.RemotingPeerServer',
    name: `bench-server-${header.toLowerCase()}`,
    classpath: settings.classpath,
    heapMb: settings.heapMb,
    args: ['--port', '0', '--serialize', header],
    readyLine: /^READY \d+$/,
    readyTimeoutMs: 30_000,
  });
  const line = await java.waitForLine(/^READY \d+$/, 1000);
  return { java, port: Number(line.slice('READY '.length)) };
}

function fmtOps(r: Result | undefined): string {
  return r === undefined ? '-' : Math.round(r.ops_per_sec).toLocaleString('en-US');
}

function fmtLatency(r: Result | undefined): string {
  if (r === undefined) return '-';
  if (r.p50_us === null || r.p99_us === null) return '-';
  return `${r.p50_us}/${r.p99_us}`;
}

function fmtCpu(r: Result | undefined): string {
  return r === undefined ? '-' : `${r.client_cpu.toFixed(2)}/${r.server_cpu.toFixed(2)}`;
}

function ratio(a: Result | undefined, b: Result | undefined): number | null {
  if (a === undefined || b === undefined || b.ops_per_sec <= 0) return null;
  return Math.round((a.ops_per_sec / b.ops_per_sec) * 100) / 100;
}

function table(head: readonly string[], rows: readonly (readonly string[])[], leftColumns: number): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function formatTables(rows: readonly Row[]): string {
  const key = (r: Row): string[] => [r.workload, r.header, r.body === 0 ? '0' : `${r.body / 1024}KiB`, String(r.inflight)];
  const r = (row: Row, p: Pair): Result | undefined => row.results[p];
  const fmtRatio = (x: number | null): string => (x === null ? '-' : x.toFixed(2));
  const throughput = table(
    ['workload', 'header', 'body', 'inflight', 'java->java', 'ts->ts', 'ts->java', 'java->ts', 'TS/Java', 'cli swap', 'srv swap'],
    rows.map((row) => [
      ...key(row),
      ...PAIRS.map((p) => fmtOps(r(row, p))),
      fmtRatio(ratio(r(row, 'ts->ts'), r(row, 'java->java'))),
      fmtRatio(ratio(r(row, 'ts->java'), r(row, 'java->java'))),
      fmtRatio(ratio(r(row, 'java->ts'), r(row, 'java->java'))),
    ]),
    4,
  );
  const latency = table(
    ['workload', 'header', 'body', 'inflight', ...PAIRS.map((p) => `${p} p50/p99 µs`)],
    rows.map((row) => [...key(row), ...PAIRS.map((p) => fmtLatency(r(row, p)))]),
    4,
  );
  const cpu = table(
    ['workload', 'header', 'body', 'inflight', ...PAIRS.map((p) => `${p} cpu cli/srv`)],
    rows.map((row) => [...key(row), ...PAIRS.map((p) => fmtCpu(r(row, p)))]),
    4,
  );
  return [
    'Throughput (ops/s; oneway = delivered/s). TS/Java = ts->ts / java->java; cli swap = ts->java / java->java;',
    'srv swap = java->ts / java->java.',
    throughput,
    '',
    'Latency, p50/p99 in µs (oneway: not timed)',
    latency,
    '',
    'CPU time / wall time per process (1.00 = one core busy), client/server',
    cpu,
  ].join('\n');
}

function javaVersionString(): string {
  const out = spawnSync('java', ['-version'], { encoding: 'utf8', timeout: 30_000 });
  return (out.stderr ?? '').split('\n')[0]?.trim() ?? 'unknown';
}

export async function runVsJava(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '1' },
      prewarm: { type: 'string', default: '10' },
      only: { type: 'string' },
      pairs: { type: 'string' },
      'java-version': { type: 'string', default: '5.3.3' },
      heap: { type: 'string', default: '512' },
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
  const javaVersion = JAVA_VERSIONS.find((v) => v === values['java-version']);
  if (javaVersion === undefined) throw new RangeError(`--java-version must be one of ${JAVA_VERSIONS.join(', ')}`);
  const heapMb = Number(values.heap);
  if (!Number.isInteger(heapMb) || heapMb < 64 || heapMb > 8192) throw new RangeError('--heap must be 64..8192 (MiB)');
  const seconds = positiveNumber('seconds', values.seconds, false);
  const warmup = positiveNumber('warmup', values.warmup, true);
  const prewarm = positiveNumber('prewarm', values.prewarm, true);
  const pairs = parsePairs(values.pairs);
  const quiet = values.quiet;
  const workloads = allWorkloads().filter((w) => matchesFilter(w.id, values.only));
  if (workloads.length === 0) throw new RangeError(`--only '${values.only ?? ''}' matches no workload`);
  const headers = HEADERS.filter((h) => workloads.some((w) => w.header === h));

  progress(quiet, `bench: building interop/ against RocketMQ ${javaVersion} (cached when unchanged)`);
  const { classpath } = await buildInterop(javaVersion);
  const settings: Settings = { seconds, warmup, prewarm, heapMb, classpath, quiet };

  // Budget: per client process a JVM start and the pre-warm, per workload its warm-up, run and slack.
  const perHeader = (h: SerializeTypeName): number => workloads.filter((w) => w.header === h).length;
  const budgetSeconds =
    pairs.length * headers.reduce((sum, h) => sum + 15 + prewarm + perHeader(h) * (warmup + seconds + 3), 0) + 60;
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench: run exceeded its ${budgetSeconds}s budget, aborting\n`);
    process.exit(2); // the exit hooks of test/helpers/java.ts kill the JVMs; the TS server exits on disconnect
  }, budgetSeconds * 1000);
  watchdog.unref();
  const loadAtStart = round2(loadavg()[0] ?? 0);
  progress(
    quiet,
    `bench: ${workloads.length} workloads x ${pairs.length} pairs, ${prewarm}s pre-warm per client and header, ` +
      `${warmup}s warm-up + ${seconds}s each; at most ${budgetSeconds}s`,
  );

  const rows = new Map<string, Row>(
    workloads.map((w) => [w.id, { id: w.id, workload: w.kind, header: w.header, body: w.bodySize, inflight: w.inflight, results: {} }]),
  );
  const record =
    (pair: Pair) =>
    (w: Workload, r: Result): void => {
      const row = rows.get(w.id);
      if (row !== undefined) row.results[pair] = r;
      const lat = r.p50_us === null ? '' : `  p50 ${r.p50_us}µs  p99 ${r.p99_us ?? '-'}µs`;
      progress(quiet, `bench: ${pair.padEnd(10)} ${w.id.padEnd(26)} ${String(r.ops_per_sec).padStart(8)} ops/s${lat}  errors ${r.errors}`);
    };
  const forHeader = (h: SerializeTypeName): Workload[] => workloads.filter((w) => w.header === h);

  try {
    // Java server: one JVM per header (Java 5.x answers in its configured serialize type).
    if (pairs.includes('java->java') || pairs.includes('ts->java')) {
      for (const header of headers) {
        if (runState.interrupted) break;
        const { java, port } = await startJavaServer(settings, header);
        const server = { cpuMicros: (): Promise<number> => Promise.resolve(procCpuMicros(java.pid)) };
        const addr = `127.0.0.1:${port}`;
        progress(quiet, `bench: Java RemotingPeerServer (${header}) on ${addr}, pid ${java.pid}`);
        try {
          if (pairs.includes('java->java')) await runJavaClient(settings, addr, header, forHeader(header), server, record('java->java'));
          if (pairs.includes('ts->java') && !runState.interrupted)
            await runTsClient(settings, addr, header, forHeader(header), server, record('ts->java'));
        } finally {
          await java.stop();
        }
      }
    }
    // TS server: one process for both headers (it answers in the request's serialize type).
    if ((pairs.includes('ts->ts') || pairs.includes('java->ts')) && !runState.interrupted) {
      const server = await ServerProcess.start(budgetSeconds + 10);
      const addr = `127.0.0.1:${server.port}`;
      progress(quiet, `bench: TS bench server on ${addr}`);
      try {
        for (const header of headers) {
          if (runState.interrupted) break;
          if (pairs.includes('java->ts')) await runJavaClient(settings, addr, header, forHeader(header), server, record('java->ts'));
          if (!server.alive) throw new Error('TS server process died');
          if (pairs.includes('ts->ts') && !runState.interrupted)
            await runTsClient(settings, addr, header, forHeader(header), server, record('ts->ts'));
        }
      } finally {
        await server.stop();
      }
    }
  } finally {
    clearTimeout(watchdog);
  }

  const ordered = [...rows.values()];
  if (!values['json-only']) {
    process.stdout.write(`\n${formatTables(ordered)}\n\n`);
    if (runState.interrupted) process.stdout.write('(interrupted: partial results)\n');
  }
  const target = (kind: Workload['kind'], inflight: number, header: SerializeTypeName): number | null => {
    const row = ordered.find((r) => r.workload === kind && r.inflight === inflight && r.header === header && r.body === 0);
    return row === undefined ? null : ratio(row.results['ts->ts'], row.results['java->java']);
  };
  const summary = {
    bench: 'remoting-vs-java',
    /** TS->TS / Java->Java, async with 256 in flight, ROCKETMQ header, no body. */
    ratio_async_256: target('async', 256, 'ROCKETMQ'),
    /** TS->TS / Java->Java, sync round trips, ROCKETMQ header, no body. */
    ratio_sync: target('sync', 1, 'ROCKETMQ'),
    ratio_async_256_json: target('async', 256, 'JSON'),
    ratio_sync_json: target('sync', 1, 'JSON'),
    rows: ordered.map((row) => ({
      id: row.id,
      workload: row.workload,
      header: row.header,
      body: row.body,
      inflight: row.inflight,
      ...row.results,
      ratio_ts_java: ratio(row.results['ts->ts'], row.results['java->java']),
      ratio_client_swap: ratio(row.results['ts->java'], row.results['java->java']),
      ratio_server_swap: ratio(row.results['java->ts'], row.results['java->java']),
    })),
    pairs,
    seconds,
    warmup,
    prewarm,
    heap_mb: heapMb,
    rocketmq: javaVersion,
    java: javaVersionString(),
    node: process.version,
    cpus: cpus().length,
    loadavg_1m: [loadAtStart, round2(loadavg()[0] ?? 0)],
    interrupted: runState.interrupted,
    date: new Date().toISOString(),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return runState.interrupted ? 130 : 0;
}

// Run directly (node dist-test/bench/remoting-vs-java.js); bench/remoting.ts imports it for --vs-java.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.on('SIGINT', () => {
    if (runState.interrupted) process.exit(130);
    runState.interrupted = true;
    process.stderr.write('bench: interrupted, finishing the current workload and stopping the servers\n');
    setTimeout(() => process.exit(130), 15_000).unref();
  });
  runVsJava(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
