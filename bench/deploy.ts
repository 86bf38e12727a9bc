/**
 * What the broker-level benches share (`bench:broker`, `bench:transaction`): a name server and a broker under test,
 * ours (`node dist/cli/main.js namesrv|broker -c <conf>`, two processes, so the broker's RSS and CPU are its own) or
 * the Java 5.3.3 ones (test/helpers/java.ts), with the same broker.conf keys on both; a topic created with
 * `mqadmin updateTopic -b <broker>` and its route awaited; the broker's queue offsets; CPU and RSS of processes read
 * from /proc over a measured window; the Java benchmark tools' report clock; progress lines and number formatting.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { decodeTopicRouteData } from '../src/protocol/bodies/index.js';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../src/index.js';
import { Admin, MQClientManager, type SessionCredentials } from '../src/client/index.js';
import { REPO_ROOT, buildInterop, runMqAdmin, startJavaBroker, startJavaNameServer } from '../test/helpers/java.js';
import { loopbackRoundTrips } from './machine-probe.js';

export const JAVA_VERSION = '5.3.3';
export const CLUSTER = 'DefaultCluster';
export const BROKER_NAME = 'broker-a';
const INVOKE_TIMEOUT_MILLIS = 3000;
const START_TIMEOUT_MILLIS = 120_000;
const RSS_SAMPLE_MILLIS = 500;
/** The Java benchmark tools' report with -ri 1000: a snapshot per second, a report over the last 10 (9 s apart). */
export const REPORT_WINDOW_MILLIS = 9000;

export type BrokerKind = 'ours' | 'java';
export type BrokerConfigEntries = Record<string, string | number | boolean>;

/** How the brokers under test are deployed. */
export interface DeployOptions {
  /** Our CLI (dist/cli/main.js of this repository, or another build's). */
  oursMain: string;
  /** Extra Node options for our broker. */
  oursNodeArgs: string[];
  /** Run our broker with --cpu-prof, the profile written to this directory when it stops. */
  profileOurs?: string | undefined;
  /** Keep our store's temp dir (its path is printed). */
  keep: boolean;
  /** mappedFileSizeCommitLog of both brokers, MiB. */
  segmentMib: number;
  queues: number;
  topic: string;
  /** broker.conf keys for both brokers, over the common ones (e.g. transactionCheckInterval). */
  brokerConfig?: BrokerConfigEntries;
  /** Broker log lines to count (Deployment.logCounts): ours' output, the Java broker's logs/rocketmqlogs/broker.log. */
  logPatterns?: Record<string, RegExp>;
  /** The Java broker's heap and MaxDirectMemorySize, MiB (startJavaBroker's default, 512, when unset). */
  javaHeapMb?: number | undefined;
  /** A super user of ACL 2.0: the topic is created by our Admin signing as it (mqadmin would need a tools.yml). */
  adminCredentials?: SessionCredentials;
  /** Ours as one `rocketmq-ts dev` process serving gRPC on this port, rather than a name server and a broker. */
  oursDev?: { grpcPort: number };
}

// ------------------------------------------------------------------------------------------------------------------
// Progress and numbers

let benchName = 'bench';
let quietProgress = false;

/** `[bench:<name> HH:MM:SS] line` on stderr, unless quiet. */
export function configureProgress(name: string, quiet: boolean): void {
  benchName = name;
  quietProgress = quiet;
}

export function progress(line: string): void {
  if (!quietProgress) process.stderr.write(`[bench:${benchName} ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const round1 = (n: number): number => Math.round(n * 10) / 10;
export const round2 = (n: number): number => Math.round(n * 100) / 100;
const mib = (kib: number): number => round1(kib / 1024);

export const mean = (xs: number[]): number | null => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);

export function weighted(values: number[], weights: number[]): number | null {
  let sum = 0;
  let total = 0;
  values.forEach((v, i) => {
    const w = weights[i] ?? 0;
    if (Number.isFinite(v) && w > 0) {
      sum += v * w;
      total += w;
    }
  });
  return total === 0 ? null : sum / total;
}

export function nullableRound(n: number | null, digits: number): number | null {
  if (n === null) return null;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function fmt(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || b === 0) return null;
  return Math.round((a / b) * 1000) / 1000;
}

// ------------------------------------------------------------------------------------------------------------------
// Command line

/** The options every broker bench takes (parseBenchArgs), read by benchArgs. */
const BENCH_ARGS = {
  seconds: { type: 'string' },
  warmup: { type: 'string' },
  threads: { type: 'string' },
  size: { type: 'string' },
  queues: { type: 'string' },
  topic: { type: 'string' },
  'segment-mib': { type: 'string' },
  brokers: { type: 'string' },
  'client-heap-mb': { type: 'string' },
  'profile-ours': { type: 'string' },
  'ours-node-args': { type: 'string' },
  'ours-main': { type: 'string' },
  keep: { type: 'boolean' },
  'json-only': { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type OptionSpecs = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** The command line's values, of BENCH_ARGS and of the bench's own `extra` options (strict: others are an error). */
export function parseBenchArgs<T extends OptionSpecs>(argv: string[], extra: T) {
  return parseArgs({ args: argv, strict: true, options: { ...BENCH_ARGS, ...extra } }).values;
}

/** The usage lines of BENCH_ARGS' deployment and output options, names padded to `width` columns. */
export function deployUsage(width: number, topic: string): string {
  const lines: [string, string][] = [
    ['--queues <n>', 'queues of the topic (default 8)'],
    ['--topic <name>', `topic to create and use (default ${topic})`],
    ['--segment-mib <n>', 'commit-log segment size of both brokers (default 256)'],
    ['--brokers <b,...>', 'ours, java, in this order (default ours,java); repeated ones count with their mean'],
    ['--profile-ours <dir>', 'run our broker with --cpu-prof, the profile written to <dir> when it stops'],
    ['--ours-node-args <a>', 'extra Node options for our broker, space-separated'],
    ['--ours-main <file>', 'our CLI (default dist/cli/main.js of this repository), e.g. another build for A/B'],
    ['--keep', "keep our stores' temp dirs (their paths are printed)"],
    ['--json-only', 'print only the final JSON line on stdout (progress still goes to stderr)'],
    ['--quiet', 'no progress lines on stderr'],
    ['-h, --help', 'this text'],
  ];
  return lines.map(([name, what]) => `  ${name.padEnd(width)} ${what}`).join('\n');
}

export function intOption(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, not '${raw}'`);
  return n;
}

/** What BENCH_ARGS set. */
export interface BenchArgs extends Omit<DeployOptions, 'brokerConfig' | 'profileOurs'> {
  profileOurs: string | undefined;
  seconds: number;
  warmup: number;
  threads: number;
  size: number;
  brokers: BrokerKind[];
  clientHeapMb: number;
  jsonOnly: boolean;
  quiet: boolean;
}

type BenchArgValues = { [K in keyof typeof BENCH_ARGS]?: (typeof BENCH_ARGS)[K]['type'] extends 'string' ? string | undefined : boolean | undefined };

/**
 * The BENCH_ARGS values as options: 30 s measured (at least 10) after a 30 s warm-up, queues 8, 256 MiB segments,
 * brokers ours,java, 512 MiB client heaps; the topic, the threads and the body size (at least `minSize`) are the bench's.
 */
export function benchArgs(values: BenchArgValues, defaults: { topic: string; threads: number; size: number; minSize: number }): BenchArgs {
  const brokers = (values.brokers ?? 'ours,java').split(',').map((b) => b.trim());
  for (const b of brokers) if (b !== 'ours' && b !== 'java') throw new Error(`--brokers: unknown broker '${b}' (ours, java)`);
  return {
    seconds: intOption('seconds', values.seconds, 30, 10),
    warmup: intOption('warmup', values.warmup, 30, 0),
    threads: intOption('threads', values.threads, defaults.threads, 1),
    size: intOption('size', values.size, defaults.size, defaults.minSize),
    queues: intOption('queues', values.queues, 8, 1),
    topic: values.topic ?? defaults.topic,
    segmentMib: intOption('segment-mib', values['segment-mib'], 256, 1),
    brokers: brokers as BrokerKind[],
    clientHeapMb: intOption('client-heap-mb', values['client-heap-mb'], 512, 64),
    profileOurs: values['profile-ours'],
    oursNodeArgs: (values['ours-node-args'] ?? '').split(' ').filter((a) => a !== ''),
    oursMain: path.resolve(values['ours-main'] ?? path.join(REPO_ROOT, 'dist/cli/main.js')),
    keep: values.keep === true,
    jsonOnly: values['json-only'] === true,
    quiet: values.quiet === true,
  };
}

/**
 * Builds interop/ (Maven, only when needed), then runs `run` for each phase in order with one RemotingClient, under
 * a watchdog that aborts the bench past (warmup + seconds + 240 s) per phase.
 */
export async function runPhases<P, R>(phases: P[], options: { warmup: number; seconds: number }, run: (phase: P, client: RemotingClient) => Promise<R>): Promise<R[]> {
  const watchdog = startWatchdog(phases.length * (options.warmup + options.seconds + 240) * 1000);
  progress('building interop (Maven, only when needed)');
  await buildInterop(JAVA_VERSION);
  const client = new RemotingClient();
  await client.start();
  const results: R[] = [];
  try {
    for (const phase of phases) results.push(await run(phase, client));
  } finally {
    await client.shutdown();
    clearTimeout(watchdog);
  }
  return results;
}

/** Aborts a run that overstays `budgetMs` (exit 3). Every child is killed on exit. */
function startWatchdog(budgetMs: number): NodeJS.Timeout {
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench:${benchName}: watchdog: the run took longer than ${budgetMs} ms, aborting\n`);
    process.exit(3);
  }, budgetMs);
  watchdog.unref();
  return watchdog;
}

/**
 * Runs a bench: `main` with the options `parse` makes of the command line (exit 2 with the usage on a bad one, the
 * usage alone on 'help'); Ctrl-C exits with 130 (every child is killed on exit).
 */
export async function runBench<O>(name: string, usage: string, parse: (argv: string[]) => O | 'help', main: (options: O) => Promise<number>): Promise<void> {
  process.on('SIGINT', () => {
    process.stderr.write(`bench:${name}: interrupted, stopping processes\n`);
    process.exit(130);
  });
  let options: O | 'help';
  try {
    options = parse(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${usage}\n`);
    process.exitCode = 2;
    return;
  }
  if (options === 'help') {
    process.stdout.write(`${usage}\n`);
    process.exitCode = 0;
    return;
  }
  process.exitCode = await main(options);
}

/** The BENCH_ARGS workload as the JSON line's params. */
export function benchParams(options: BenchArgs): Record<string, number | string> {
  const { seconds, warmup, threads, size, queues, topic } = options;
  return { seconds, warmup, threads, size, queues, topic, segment_mib: options.segmentMib, client_heap_mb: options.clientHeapMb };
}

/** The end of every bench's JSON line: Node, cores, the 1-minute load average at the start and now, the date. */
export function machineInfo(load0: number): { node: string; cpus: number; loadavg_1m: number[]; date: string } {
  return { node: process.version, cpus: cpus().length, loadavg_1m: [round2(load0), round2(loadavg()[0] ?? 0)], date: new Date().toISOString() };
}

// ------------------------------------------------------------------------------------------------------------------
// /proc

export interface RssSample {
  rss: number;
  anon: number;
  file: number;
  shmem: number;
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime of a process (all threads) in seconds; NaN when unavailable. */
export async function processCpuSeconds(pid: number | undefined): Promise<number> {
  if (pid === undefined || pid < 0) return NaN;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return NaN;
  }
}

/** VmRSS and its parts in KiB, from /proc/<pid>/status. */
export async function readRss(pid: number): Promise<RssSample | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: field('VmRSS'), anon: field('RssAnon'), file: field('RssFile'), shmem: field('RssShmem') };
  } catch {
    return undefined;
  }
}

/** Busy and total time over every core, in milliseconds. */
export function machineBusy(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const cpu of cpus()) {
    const t = cpu.times;
    const all = t.user + t.nice + t.sys + t.idle + t.irq;
    total += all;
    busy += all - t.idle;
  }
  return { busy, total };
}

/** What a measured window saw: CPU seconds per process (NaN where unknown), the machine's busy cores, RSS samples. */
export interface WindowResult {
  cpuSeconds: number[];
  /** Cores busy on average over the window, all processes (2.00 = both cores of this machine). */
  machine: number;
  rss: RssSample[];
}

export interface MeasuredWindow {
  stop(): Promise<WindowResult>;
  /** Stops the RSS sampling without a result (an error ended the window); idempotent. */
  dispose(): void;
}

/** Reads the processes' CPU times now and samples `rssPid`'s RSS every 500 ms until stop(). */
export async function openWindow(pids: number[], rssPid: number): Promise<MeasuredWindow> {
  const cpu0 = await Promise.all(pids.map((pid) => processCpuSeconds(pid)));
  const machine0 = machineBusy();
  const rss: RssSample[] = [];
  let sampler: NodeJS.Timeout | undefined = setInterval(() => {
    void readRss(rssPid).then((s) => {
      if (s !== undefined) rss.push(s);
    });
  }, RSS_SAMPLE_MILLIS);
  const dispose = (): void => {
    if (sampler !== undefined) clearInterval(sampler);
    sampler = undefined;
  };
  return {
    dispose,
    stop: async () => {
      const cpu1 = await Promise.all(pids.map((pid) => processCpuSeconds(pid)));
      const machine1 = machineBusy();
      dispose();
      return {
        cpuSeconds: cpu1.map((c, i) => c - (cpu0[i] ?? NaN)),
        machine: round2(((machine1.busy - machine0.busy) / Math.max(1, machine1.total - machine0.total)) * cpus().length),
        rss,
      };
    },
  };
}

/** CPU seconds over wall seconds (1.0 = one core busy throughout); null when unknown. */
export function cores(cpuSeconds: number | undefined, wallSeconds: number): number | null {
  return cpuSeconds !== undefined && Number.isFinite(cpuSeconds) ? round2(cpuSeconds / wallSeconds) : null;
}

export interface RssSummary {
  ready: number | null;
  mean: number | null;
  peak: number | null;
  peak_anon: number | null;
  peak_file: number | null;
  peak_shmem: number | null;
}

/** MiB: at ready, and mean and peak (with the peak's anon/file/shmem split) of the window's samples. */
export function rssSummary(ready: RssSample | undefined, samples: RssSample[]): RssSummary {
  const peak = samples.reduce<RssSample | undefined>((a, s) => (a === undefined || s.rss > a.rss ? s : a), undefined);
  return {
    ready: ready === undefined ? null : mib(ready.rss),
    mean: samples.length === 0 ? null : mib(mean(samples.map((s) => s.rss)) ?? NaN),
    peak: peak === undefined ? null : mib(peak.rss),
    peak_anon: peak === undefined ? null : mib(peak.anon),
    peak_file: peak === undefined ? null : mib(peak.file),
    peak_shmem: peak === undefined ? null : mib(peak.shmem),
  };
}

// ------------------------------------------------------------------------------------------------------------------
// Our processes

interface OurProcess {
  pid: number;
  /** Lines of its output so far that matched each of the patterns it was started with. */
  logCounts: Record<string, number>;
  /** The line that matched the ready pattern, and ms from spawn to it. */
  readyLine: string;
  readyMs: number;
  stop(): Promise<void>;
}

const liveChildren = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of liveChildren) if (child.pid !== undefined) child.kill('SIGKILL');
});

/** Counts the lines of `stream` that match each pattern into `counts`. */
function countLines(stream: NodeJS.ReadableStream | null, patterns: Record<string, RegExp>, counts: Record<string, number>): void {
  let partial = '';
  stream?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) for (const [name, pattern] of Object.entries(patterns)) if (pattern.test(line)) counts[name] = (counts[name] ?? 0) + 1;
  });
}

async function spawnOurs(args: string[], nodeArgs: string[], ready: RegExp, what: string, patterns: Record<string, RegExp> = {}): Promise<OurProcess> {
  const begin = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO_ROOT });
  liveChildren.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => liveChildren.delete(child));
  let tail = '';
  const keepTail = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-6000);
  };
  child.stderr?.on('data', keepTail);
  const logCounts = Object.fromEntries(Object.keys(patterns).map((name) => [name, 0]));
  countLines(child.stdout, patterns, logCounts);
  countLines(child.stderr, patterns, logCounts);
  const { line, ms } = await new Promise<{ line: string; ms: number }>((resolve, reject) => {
    let seen = '';
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${what} ${why}; output:\n${seen}${tail}`));
    };
    const timer = setTimeout(() => fail(`printed no ready line within ${START_TIMEOUT_MILLIS} ms`), START_TIMEOUT_MILLIS);
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString('utf8');
      const match = ready.exec(seen);
      if (match === null) return;
      const at = performance.now() - begin;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stdout?.on('data', keepTail); // keep draining so the pipe never blocks it
      child.off('exit', onExit);
      resolve({ line: match[0], ms: at });
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => fail(`exited early (code ${code ?? '-'}, signal ${signal ?? '-'})`);
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
  return {
    pid: child.pid ?? -1,
    logCounts,
    readyLine: line,
    readyMs: ms,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM'); // a clean exit writes a --cpu-prof profile
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

function properties(entries: BrokerConfigEntries): string {
  return `${Object.entries(entries)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join('\n')}\n`;
}

/** `taskset -a -p -c <cpus> <pid>`: every thread of the process, and the threads they start later. */
export function pin(pid: number, cpuList: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpuList, String(pid)], { stdio: 'ignore' });
}

export const BROKER_CPUS = '0';
export function otherCpus(): string {
  const n = cpus().length;
  return n <= 1 ? '0' : `1-${n - 1}`;
}

// ------------------------------------------------------------------------------------------------------------------
// A broker under test

export interface Deployment {
  kind: BrokerKind;
  version: string;
  namesrvAddr: string;
  brokerAddr: string;
  namesrvPid: number;
  brokerPid: number;
  startupMs: number;
  namesrvStartupMs: number;
  /** How many broker log lines so far matched each of DeployOptions.logPatterns (before stop: Java's logs go with it). */
  logCounts(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

async function deployOurs(options: DeployOptions): Promise<Deployment> {
  const dir = await mkdtemp(path.join(tmpdir(), `rmqts-bench-${benchName}-ours-`));
  const namesrvConf = path.join(dir, 'namesrv.properties');
  await writeFile(namesrvConf, properties({ listenPort: 0, bindAddress: '127.0.0.1' }));
  const namesrv = await spawnOurs(
    [options.oursMain, 'namesrv', '-c', namesrvConf, '--data-dir', path.join(dir, 'namesrv')],
    [],
    /The Name Server boot success\..*:(\d+)\s*$/m,
    'our name server',
  );
  const namesrvAddr = `127.0.0.1:${/:(\d+)\s*$/.exec(namesrv.readyLine)?.[1] ?? '?'}`;
  const brokerConf = path.join(dir, 'broker.conf');
  await writeFile(brokerConf, properties({ ...commonBrokerConfig(options, namesrvAddr, path.join(dir, 'store')), listenPort: 0, ...options.brokerConfig }));
  let broker: OurProcess;
  try {
    broker = await spawnOurs([options.oursMain, 'broker', '-c', brokerConf], ourBrokerNodeArgs(options), /The broker\[.*\] boot success\..*$/m, 'our broker', options.logPatterns);
  } catch (error) {
    await namesrv.stop();
    throw error;
  }
  const brokerAddr = /, ([^\]]+)\] boot success/.exec(broker.readyLine)?.[1] ?? '?';
  return ourDeployment(options, dir, { namesrvAddr, brokerAddr }, namesrv, broker);
}

/** A deployment of ours from its processes (one process serving both for dev); its store dir goes with it unless kept. */
function ourDeployment(options: DeployOptions, dir: string, addrs: { namesrvAddr: string; brokerAddr: string }, namesrv: OurProcess, broker: OurProcess): Deployment {
  if (options.keep) progress(`our store: ${dir}`);
  return {
    kind: 'ours',
    version: 'rocketmq-ts',
    ...addrs,
    namesrvPid: namesrv.pid,
    brokerPid: broker.pid,
    startupMs: broker.readyMs,
    namesrvStartupMs: namesrv === broker ? 0 : namesrv.readyMs,
    logCounts: () => Promise.resolve({ ...broker.logCounts }),
    stop: async () => {
      await broker.stop();
      if (namesrv !== broker) await namesrv.stop();
      if (!options.keep) await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Our name server and broker in one process, as `npm start` runs them (`rocketmq-ts dev`, its console off), the
 * broker serving gRPC on `grpcPort`: what bench:grpc's issue measures against the Java stack. The ready time is
 * the one process's, from spawn to its banner.
 */
async function deployOursDev(options: DeployOptions, grpcPort: number): Promise<Deployment> {
  const dir = await mkdtemp(path.join(tmpdir(), `rmqts-bench-${benchName}-ours-dev-`));
  const conf = path.join(dir, 'broker.conf');
  // dev finds its name server in-process and keeps its store under --data-dir.
  const common = commonBrokerConfig(options, '', '');
  delete common['namesrvAddr'];
  delete common['storePathRootDir'];
  await writeFile(conf, properties({ ...common, ...options.brokerConfig }));
  const args = ['dev', '-c', conf, '--data-dir', path.join(dir, 'data'), '--namesrv-port', '0', '--broker-port', '0', '--grpc-port', String(grpcPort), '--console-port', 'off'];
  const dev = await spawnOurs(
    [options.oursMain, ...args],
    ourBrokerNodeArgs(options),
    /rocketmq-ts dev is ready \(\d+ ms\)\s+name server\s+(\S+)\s+broker\s+(\S+)/,
    'our dev',
    options.logPatterns,
  );
  const [, namesrvAddr = '?', brokerAddr = '?'] = /name server\s+(\S+)\s+broker\s+(\S+)/.exec(dev.readyLine) ?? [];
  return ourDeployment(options, dir, { namesrvAddr, brokerAddr }, dev, dev);
}

/** Node options of our brokers: --ours-node-args, and --cpu-prof with --profile-ours. */
function ourBrokerNodeArgs(options: DeployOptions): string[] {
  return [...options.oursNodeArgs, ...(options.profileOurs === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', path.resolve(options.profileOurs)])];
}

/** broker.conf keys for both brokers beyond what startJavaBroker writes (it adds the same set for Java). */
function commonBrokerConfig(options: DeployOptions, namesrvAddr: string, storePathRootDir: string): BrokerConfigEntries {
  return {
    brokerClusterName: CLUSTER,
    brokerName: BROKER_NAME,
    brokerId: 0,
    brokerRole: 'ASYNC_MASTER',
    flushDiskType: 'ASYNC_FLUSH',
    namesrvAddr,
    brokerIP1: '127.0.0.1',
    bindAddress: '127.0.0.1',
    storePathRootDir,
    autoCreateTopicEnable: true,
    autoCreateSubscriptionGroup: true,
    mappedFileSizeCommitLog: options.segmentMib * 1024 * 1024,
    diskMaxUsedSpaceRatio: 95,
  };
}

async function deployJava(options: DeployOptions): Promise<Deployment> {
  await buildInterop(JAVA_VERSION); // outside the timings
  const namesrvBegin = performance.now();
  const namesrv = await startJavaNameServer({ version: JAVA_VERSION });
  const namesrvStartupMs = performance.now() - namesrvBegin;
  const begin = performance.now();
  let broker;
  try {
    // startJavaBroker's settings (ASYNC_MASTER, ASYNC_FLUSH, 512 MB heap, small index) with 256 MiB segments.
    broker = await startJavaBroker({
      version: JAVA_VERSION,
      namesrvAddr: namesrv.addr,
      clusterName: CLUSTER,
      brokerName: BROKER_NAME,
      config: { mappedFileSizeCommitLog: options.segmentMib * 1024 * 1024, ...options.brokerConfig },
      ...(options.javaHeapMb === undefined ? {} : { heapMb: options.javaHeapMb }),
    });
  } catch (error) {
    await namesrv.stop();
    throw error;
  }
  const startupMs = performance.now() - begin;
  return {
    kind: 'java',
    version: JAVA_VERSION,
    namesrvAddr: namesrv.addr,
    brokerAddr: broker.addr,
    namesrvPid: namesrv.process.pid,
    brokerPid: broker.process.pid,
    startupMs,
    namesrvStartupMs,
    logCounts: async () => {
      const log = await readFile(path.join(broker.process.home, 'logs', 'rocketmqlogs', 'broker.log'), 'utf8').catch(() => '');
      const lines = log.split('\n');
      return Object.fromEntries(Object.entries(options.logPatterns ?? {}).map(([name, pattern]) => [name, lines.filter((line) => pattern.test(line)).length]));
    },
    stop: async () => {
      await broker.stop();
      await namesrv.stop();
    },
  };
}

/** Another broker of the deployed group (a slave: `entries` set brokerId and brokerRole), with the same common keys. */
export interface GroupBroker {
  addr: string;
  pid: number;
  /** Spawn to its "boot success" line. */
  startupMs: number;
  stop(): Promise<void>;
}

/**
 * Starts a broker of `deployment`'s cluster and group on its name server: ours with `broker -c` in a temp dir of its
 * own (broker.conf: the common keys, then options.brokerConfig, then `entries`), Java's with startJavaBroker.
 */
export async function startGroupBroker(deployment: Deployment, options: DeployOptions, entries: BrokerConfigEntries): Promise<GroupBroker> {
  if (deployment.kind === 'java') {
    const begin = performance.now();
    const broker = await startJavaBroker({
      version: JAVA_VERSION,
      namesrvAddr: deployment.namesrvAddr,
      clusterName: CLUSTER,
      brokerName: BROKER_NAME,
      config: { mappedFileSizeCommitLog: options.segmentMib * 1024 * 1024, ...options.brokerConfig, ...entries },
      ...(options.javaHeapMb === undefined ? {} : { heapMb: options.javaHeapMb }),
    });
    return { addr: broker.addr, pid: broker.process.pid, startupMs: performance.now() - begin, stop: () => broker.stop() };
  }
  const dir = await mkdtemp(path.join(tmpdir(), `rmqts-bench-${benchName}-ours-group-`));
  const conf = path.join(dir, 'broker.conf');
  await writeFile(conf, properties({ ...commonBrokerConfig(options, deployment.namesrvAddr, path.join(dir, 'store')), listenPort: 0, ...options.brokerConfig, ...entries }));
  const broker = await spawnOurs([options.oursMain, 'broker', '-c', conf], ourBrokerNodeArgs(options), /The broker\[.*\] boot success\..*$/m, 'our group broker');
  if (options.keep) progress(`our group broker's store: ${dir}`);
  return {
    addr: /, ([^\]]+)\] boot success/.exec(broker.readyLine)?.[1] ?? '?',
    pid: broker.pid,
    startupMs: broker.readyMs,
    stop: async () => {
      await broker.stop();
      if (!options.keep) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A broker deployed with its topic routed, the loopback probe taken just before, and its RSS once ready. */
export interface ReadyBroker {
  deployment: Deployment;
  /** Loopback round trips per second just before the phase (machine-probe.ts): low means a slowed machine. */
  probe: number;
  rssReady: RssSample | undefined;
}

/**
 * Flushes the page cache (sync), probes the loopback, starts the name server and the broker (`label` names the
 * phase in the progress lines), optionally pins them, creates the topic and waits for its route. The deployment
 * is stopped if any of that fails; otherwise the caller stops it.
 */
export async function deployBroker(kind: BrokerKind, options: DeployOptions, client: RemotingClient, pinBroker: boolean, label: string = kind): Promise<ReadyBroker> {
  // The previous broker's written pages reach the disk now, not during this broker's measurement: a run that
  // followed Java's (1-2 GiB of dirty pages) otherwise paid for its writeback.
  execFileSync('sync');
  const probe = await loopbackRoundTrips();
  progress(`${label}: loopback probe ${probe} round trips/s; starting the name server and the broker`);
  const deployment = kind === 'java' ? await deployJava(options) : options.oursDev === undefined ? await deployOurs(options) : await deployOursDev(options, options.oursDev.grpcPort);
  try {
    progress(`${label}: broker ${deployment.brokerAddr} (pid ${deployment.brokerPid}) ready in ${Math.round(deployment.startupMs)} ms; name server ${deployment.namesrvAddr}`);
    const rssReady = await readRss(deployment.brokerPid);
    if (pinBroker) {
      pin(deployment.brokerPid, BROKER_CPUS);
      pin(deployment.namesrvPid, otherCpus());
    }
    await createTopic(deployment, options);
    await waitForRoute(client, deployment, options);
    return { deployment, probe, rssReady };
  } catch (error) {
    progress(`${label}: stopping`);
    await deployment.stop();
    throw error;
  }
}

// ------------------------------------------------------------------------------------------------------------------
// Topic and offsets

async function createTopic(deployment: Deployment, options: DeployOptions): Promise<void> {
  if (options.adminCredentials !== undefined) {
    const admin = new Admin({ nameServer: deployment.namesrvAddr, credentials: options.adminCredentials, clientManager: new MQClientManager() });
    await admin.start();
    try {
      await admin.createTopic({ brokerAddr: deployment.brokerAddr }, options.topic, { readQueueNums: options.queues, writeQueueNums: options.queues });
    } finally {
      await admin.shutdown();
    }
    return;
  }
  const q = String(options.queues);
  const result = await runMqAdmin(['updateTopic', '-n', deployment.namesrvAddr, '-b', deployment.brokerAddr, '-t', options.topic, '-r', q, '-w', q], {
    version: JAVA_VERSION,
    timeoutMs: 90_000,
  });
  if (result.code !== 0 || !/create topic to .* success/i.test(result.stdout)) {
    throw new Error(`mqadmin updateTopic against ${deployment.kind} exited ${result.code ?? '-'}:\n${result.stdout}\n${result.stderr}`);
  }
}

async function waitForRoute(client: RemotingClient, deployment: Deployment, options: DeployOptions): Promise<void> {
  const deadline = Date.now() + 30_000;
  let last = '';
  while (Date.now() < deadline) {
    const request = RemotingCommand.createRequestCommand(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: options.topic });
    try {
      const response = await client.invokeSync(deployment.namesrvAddr, request, INVOKE_TIMEOUT_MILLIS);
      if (response.code === ResponseCode.SUCCESS && response.body !== undefined) {
        const route = decodeTopicRouteData(response.body);
        if (route.queueDatas.some((q) => q.writeQueueNums === options.queues && q.readQueueNums === options.queues)) return;
        last = JSON.stringify(route.queueDatas);
      } else {
        last = `code ${response.code} ${response.remark ?? ''}`;
      }
    } catch (error) {
      last = String(error);
    }
    await sleep(200);
  }
  throw new Error(`${deployment.kind}: the route of ${options.topic} never showed ${options.queues} queues (${last})`);
}

/** Sum over queues 0..queues-1 of `topic` of the broker's max offset: messages stored so far. */
export async function storedMessages(client: RemotingClient, deployment: Deployment, topic: string, queues: number): Promise<number> {
  const offsets = await Promise.all(
    Array.from({ length: queues }, async (_, queueId) => {
      const request = RemotingCommand.createRequestCommand(RequestCode.GET_MAX_OFFSET, { topic, queueId });
      const response = await client.invokeSync(deployment.brokerAddr, request, INVOKE_TIMEOUT_MILLIS);
      if (response.code !== ResponseCode.SUCCESS) throw new Error(`GET_MAX_OFFSET ${queueId}: code ${response.code} ${response.remark ?? ''}`);
      return Number(response.extFields?.['offset']);
    }),
  );
  return offsets.reduce((a, b) => a + b, 0);
}

// ------------------------------------------------------------------------------------------------------------------
// The Java tools

/** UtilAll.timeMillisToHumanString2: "yyyy-MM-dd HH:mm:ss,SSS" in local time. */
export function reportTime(text: string): number {
  const m = /(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}),(\d{3})/.exec(text);
  if (m === null) return NaN;
  const [y, mo, d, h, mi, s, ms] = m.slice(1).map(Number) as [number, number, number, number, number, number, number];
  return new Date(y, mo - 1, d, h, mi, s, ms).getTime();
}

/** The reports matching `re` (global; group 1 the report's time, then one numeric group per name in `fields`). */
export function parseReports<K extends string>(stdout: string, re: RegExp, fields: readonly K[]): ({ at: number } & Record<K, number>)[] {
  return [...stdout.matchAll(re)].map((m) => {
    const report = { at: reportTime(m[1] as string) } as { at: number } & Record<K, number>;
    fields.forEach((field, i) => {
      (report as Record<K, number>)[field] = Number(m[i + 2]);
    });
    return report;
  });
}

/** Whether a report printed at `at` covers only the measured window [t0, t1] (its 9 s lie inside, ±0.5 s). */
export function reportInWindow(at: number, t0: number, t1: number): boolean {
  return at - REPORT_WINDOW_MILLIS >= t0 - 500 && at <= t1 + 500;
}

/** Sleeps `ms`, but throws as soon as one of `children` exits (with the tails of their stdout). */
export async function sleepWhileRunning(ms: number, children: { name: string; exit: Promise<unknown>; stdout?: string }[]): Promise<void> {
  const exitedEarly = Promise.race(children.map((c) => c.exit.then((status) => `${c.name} exited (${String(status)})`)));
  const outcome = await Promise.race([sleep(ms).then(() => undefined), exitedEarly]);
  if (outcome !== undefined) throw new Error(`${outcome}; stdout tail:\n${children.map((c) => (c.stdout ?? '').slice(-2000)).join('\n')}`);
}
