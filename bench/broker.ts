/**
 * `npm run bench:broker`: Apache RocketMQ's own benchmark tools (org.apache.rocketmq.example.benchmark.Producer and
 * Consumer, from the rocketmq-example artifact) against our broker and against the Java 5.3.3 broker, one broker at a
 * time, in the same run. For each broker:
 *   - its name server (ours: `node dist/cli/main.js namesrv`; Java's: NamesrvStartup via test/helpers/java.ts);
 *   - the broker, timed from spawn to its "boot success" line (ours: `node dist/cli/main.js broker -c broker.conf`,
 *     Java's: startJavaBroker), both ASYNC_FLUSH with 256 MiB commit-log segments, stores in temp dirs on one
 *     filesystem;
 *   - a normal topic (BenchTopic, 8 read/write queues) created with `mqadmin updateTopic -b <broker>`, and the route
 *     awaited on the name server;
 *   - the benchmark Consumer (16 consume threads, its own group) started first, then the Producer (16 sending
 *     threads, 1 KiB bodies, sync sends), both with a report every second (`-ri 1000`: each report covers the last
 *     ~9 s); they run concurrently for --warmup + --seconds, and only reports whose window lies inside the measured
 *     seconds count;
 *   - meanwhile the broker's RSS (/proc/<pid>/status, the whole process, JVM included) is sampled every 500 ms, and
 *     CPU time of every process is read from /proc at both ends of the measured window; the broker's queue offsets
 *     (GET_MAX_OFFSET) give an exact broker-side send rate as a cross-check of the Producer's own figure.
 * Prints a table, the ratios ours/Java and one final JSON line.
 *
 * Profiling our broker: `--profile-ours DIR` runs it with `--cpu-prof --cpu-prof-dir DIR`; the profile is written
 * when the bench stops it (SIGTERM, clean exit).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { decodeTopicRouteData } from '../src/protocol/bodies/index.js';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../src/index.js';
import {
  REPO_ROOT,
  buildInterop,
  runMqAdmin,
  startJava,
  startJavaBroker,
  startJavaNameServer,
  type JavaProcess,
} from '../test/helpers/java.js';
import { loopbackRoundTrips } from './machine-probe.js';

const JAVA_VERSION = '5.3.3';
const CLUSTER = 'DefaultCluster';
const BROKER_NAME = 'broker-a';
const INVOKE_TIMEOUT_MILLIS = 3000;
const START_TIMEOUT_MILLIS = 120_000;
const RSS_SAMPLE_MILLIS = 500;
/** The tools' report: a snapshot per second, a report over the last 10 snapshots (9 s apart). */
const REPORT_WINDOW_MILLIS = 9000;

type BrokerKind = 'ours' | 'java';

const USAGE = `usage: node dist-test/bench/broker.js [options]
  --seconds <s>         measured seconds (default 30)
  --warmup <s>          producer and consumer run this long before the measured window (default 30; JIT warm-up)
  --threads <n>         Producer sending threads and Consumer consume threads (default 16)
  --size <bytes>        message body size (default 1024)
  --queues <n>          queues of the topic (default 8)
  --topic <name>        topic to create and use (default BenchTopic)
  --segment-mib <n>     commit-log segment size of both brokers (mappedFileSizeCommitLog, default 256)
  --brokers <b,...>     ours, java, in this order (default ours,java); a broker named twice (ours,java,java,ours)
                        counts with its mean, which cancels the order out
  --client-heap-mb <n>  heap of each benchmark-client JVM (default 512)
  --pin                 once started, pin the broker (all threads) to CPU 0 and its name server, the Producer and
                        the Consumer to the other CPUs (taskset), so the broker gets one core whatever its thread count
  --profile-ours <dir>  run our broker with --cpu-prof, the profile written to <dir> when it stops
  --ours-node-args <a>  extra Node options for our broker, space-separated (e.g. "--max-semi-space-size=32")
  --ours-main <file>    our CLI (default dist/cli/main.js of this repository), e.g. another build for A/B
  --keep                keep the stores' temp dirs (their paths are printed)
  --json-only           print only the final JSON line on stdout (progress still goes to stderr)
  --quiet               no progress lines on stderr
  -h, --help            this text`;

interface Options {
  seconds: number;
  warmup: number;
  threads: number;
  size: number;
  queues: number;
  topic: string;
  segmentMib: number;
  brokers: BrokerKind[];
  clientHeapMb: number;
  pin: boolean;
  profileOurs: string | undefined;
  oursNodeArgs: string[];
  oursMain: string;
  keep: boolean;
  jsonOnly: boolean;
  quiet: boolean;
}

interface RssSample {
  rss: number;
  anon: number;
  file: number;
  shmem: number;
}

interface SendReport {
  at: number;
  tps: number;
  maxRt: number;
  avgRt: number;
  sendFailed: number;
  responseFailed: number;
}

interface ConsumeReport {
  at: number;
  tps: number;
  avgB2c: number;
  avgS2c: number;
  maxB2c: number;
  maxS2c: number;
  failed: number;
}

interface Result {
  broker: BrokerKind;
  version: string;
  /** Spawn of the broker process to its "boot success" line. */
  startup_ms: number;
  /** Loopback round trips per second just before the phase (machine-probe.ts): low means a slowed machine. */
  probe_round_trips_per_s: number;
  namesrv_startup_ms: number;
  send_tps: number | null;
  /** Messages per second from the broker's queue offsets over the measured window (GET_MAX_OFFSET, all queues). */
  broker_send_tps: number | null;
  consume_tps: number | null;
  /** Producer: mean send RT (ms) over the measured window, weighted by each report's TPS. */
  send_avg_rt_ms: number | null;
  /** Producer: max send RT (ms) since the Producer started (the tool never resets it): warm-up included. */
  send_max_rt_ms: number | null;
  /** Whether that max was reached inside the measured window (it grew after the warm-up). */
  send_max_rt_in_window: boolean | null;
  /** Consumer: born-to-consume and store-to-consume mean and max RT (ms) over the measured window. */
  consume_avg_b2c_ms: number | null;
  consume_max_b2c_ms: number | null;
  consume_avg_s2c_ms: number | null;
  consume_max_s2c_ms: number | null;
  send_failed: number | null;
  response_failed: number | null;
  consume_failed: number | null;
  reports: { send: number; consume: number };
  rss_mib: { ready: number | null; mean: number | null; peak: number | null; peak_anon: number | null; peak_file: number | null; peak_shmem: number | null };
  /** CPU time over wall time in the measured window (1.0 = one core busy throughout). */
  cpu: { broker: number | null; namesrv: number | null; producer: number | null; consumer: number | null; machine: number };
  /** Messages stored per broker CPU-second (send side; broker-side count). */
  msgs_per_broker_cpu_s: number | null;
  send_tps_series: number[];
  consume_tps_series: number[];
}

function parseOptions(argv: string[]): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      threads: { type: 'string' },
      size: { type: 'string' },
      queues: { type: 'string' },
      topic: { type: 'string' },
      'segment-mib': { type: 'string' },
      brokers: { type: 'string' },
      'client-heap-mb': { type: 'string' },
      pin: { type: 'boolean' },
      'profile-ours': { type: 'string' },
      'ours-node-args': { type: 'string' },
      'ours-main': { type: 'string' },
      keep: { type: 'boolean' },
      'json-only': { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';
  const int = (name: string, raw: string | undefined, fallback: number, min: number): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, not '${raw}'`);
    return n;
  };
  const brokers = (values.brokers ?? 'ours,java').split(',').map((b) => b.trim());
  for (const b of brokers) if (b !== 'ours' && b !== 'java') throw new Error(`--brokers: unknown broker '${b}' (ours, java)`);
  return {
    seconds: int('seconds', values.seconds, 30, 10),
    warmup: int('warmup', values.warmup, 30, 0),
    threads: int('threads', values.threads, 16, 1),
    size: int('size', values.size, 1024, 1),
    queues: int('queues', values.queues, 8, 1),
    topic: values.topic ?? 'BenchTopic',
    segmentMib: int('segment-mib', values['segment-mib'], 256, 1),
    brokers: brokers as BrokerKind[],
    clientHeapMb: int('client-heap-mb', values['client-heap-mb'], 512, 64),
    pin: values.pin === true,
    profileOurs: values['profile-ours'],
    oursNodeArgs: (values['ours-node-args'] ?? '').split(' ').filter((a) => a !== ''),
    oursMain: path.resolve(values['ours-main'] ?? path.join(REPO_ROOT, 'dist/cli/main.js')),
    keep: values.keep === true,
    jsonOnly: values['json-only'] === true,
    quiet: values.quiet === true,
  };
}

let quietProgress = false;
function progress(line: string): void {
  if (!quietProgress) process.stderr.write(`[bench:broker ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const round1 = (n: number): number => Math.round(n * 10) / 10;
const round2 = (n: number): number => Math.round(n * 100) / 100;
const mib = (kib: number): number => round1(kib / 1024);

// ------------------------------------------------------------------------------------------------------------------
// /proc

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
async function processCpuSeconds(pid: number | undefined): Promise<number> {
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
async function readRss(pid: number): Promise<RssSample | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: field('VmRSS'), anon: field('RssAnon'), file: field('RssFile'), shmem: field('RssShmem') };
  } catch {
    return undefined;
  }
}

function machineBusy(): { busy: number; total: number } {
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

// ------------------------------------------------------------------------------------------------------------------
// Our processes

interface OurProcess {
  pid: number;
  /** The line that matched the ready pattern, and ms from spawn to it. */
  readyLine: string;
  readyMs: number;
  stop(): Promise<void>;
}

const liveChildren = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of liveChildren) if (child.pid !== undefined) child.kill('SIGKILL');
});

async function spawnOurs(args: string[], nodeArgs: string[], ready: RegExp, what: string): Promise<OurProcess> {
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

function properties(entries: Record<string, string | number | boolean>): string {
  return `${Object.entries(entries)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join('\n')}\n`;
}

/** `taskset -a -p -c <cpus> <pid>`: every thread of the process, and the threads they start later. */
function pin(pid: number, cpuList: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpuList, String(pid)], { stdio: 'ignore' });
}

const BROKER_CPUS = '0';
function otherCpus(): string {
  const n = cpus().length;
  return n <= 1 ? '0' : `1-${n - 1}`;
}

// ------------------------------------------------------------------------------------------------------------------
// A broker under test

interface Deployment {
  kind: BrokerKind;
  version: string;
  namesrvAddr: string;
  brokerAddr: string;
  namesrvPid: number;
  brokerPid: number;
  startupMs: number;
  namesrvStartupMs: number;
  stop(): Promise<void>;
}

async function deployOurs(options: Options): Promise<Deployment> {
  const dir = await mkdtemp(path.join(tmpdir(), 'rmqts-bench-broker-ours-'));
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
  await writeFile(brokerConf, properties({ ...commonBrokerConfig(options, namesrvAddr, path.join(dir, 'store')), listenPort: 0 }));
  const nodeArgs = [...options.oursNodeArgs, ...(options.profileOurs === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', path.resolve(options.profileOurs)])];
  let broker: OurProcess;
  try {
    broker = await spawnOurs([options.oursMain, 'broker', '-c', brokerConf], nodeArgs, /The broker\[.*\] boot success\..*$/m, 'our broker');
  } catch (error) {
    await namesrv.stop();
    throw error;
  }
  const brokerAddr = /, ([^\]]+)\] boot success/.exec(broker.readyLine)?.[1] ?? '?';
  if (options.keep) progress(`our store: ${dir}`);
  return {
    kind: 'ours',
    version: 'rocketmq-ts',
    namesrvAddr,
    brokerAddr,
    namesrvPid: namesrv.pid,
    brokerPid: broker.pid,
    startupMs: broker.readyMs,
    namesrvStartupMs: namesrv.readyMs,
    stop: async () => {
      await broker.stop();
      await namesrv.stop();
      if (!options.keep) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** broker.conf keys for both brokers beyond what startJavaBroker writes (it adds the same set for Java). */
function commonBrokerConfig(options: Options, namesrvAddr: string, storePathRootDir: string): Record<string, string | number | boolean> {
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

async function deployJava(options: Options): Promise<Deployment> {
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
      config: { mappedFileSizeCommitLog: options.segmentMib * 1024 * 1024 },
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
    stop: async () => {
      await broker.stop();
      await namesrv.stop();
    },
  };
}

// ------------------------------------------------------------------------------------------------------------------
// Topic and offsets

async function createTopic(deployment: Deployment, options: Options): Promise<void> {
  const q = String(options.queues);
  const result = await runMqAdmin(['updateTopic', '-n', deployment.namesrvAddr, '-b', deployment.brokerAddr, '-t', options.topic, '-r', q, '-w', q], {
    version: JAVA_VERSION,
    timeoutMs: 90_000,
  });
  if (result.code !== 0 || !/create topic to .* success/i.test(result.stdout)) {
    throw new Error(`mqadmin updateTopic against ${deployment.kind} exited ${result.code ?? '-'}:\n${result.stdout}\n${result.stderr}`);
  }
}

async function waitForRoute(client: RemotingClient, deployment: Deployment, options: Options): Promise<void> {
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

/** Sum over the topic's queues of the broker's max offset: messages stored so far. */
async function storedMessages(client: RemotingClient, deployment: Deployment, options: Options): Promise<number> {
  const offsets = await Promise.all(
    Array.from({ length: options.queues }, async (_, queueId) => {
      const request = RemotingCommand.createRequestCommand(RequestCode.GET_MAX_OFFSET, { topic: options.topic, queueId });
      const response = await client.invokeSync(deployment.brokerAddr, request, INVOKE_TIMEOUT_MILLIS);
      if (response.code !== ResponseCode.SUCCESS) throw new Error(`GET_MAX_OFFSET ${queueId}: code ${response.code} ${response.remark ?? ''}`);
      return Number(response.extFields?.['offset']);
    }),
  );
  return offsets.reduce((a, b) => a + b, 0);
}

// ------------------------------------------------------------------------------------------------------------------
// The tools' reports

/** UtilAll.timeMillisToHumanString2: "yyyy-MM-dd HH:mm:ss,SSS" in local time. */
function reportTime(text: string): number {
  const m = /(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}),(\d{3})/.exec(text);
  if (m === null) return NaN;
  const [y, mo, d, h, mi, s, ms] = m.slice(1).map(Number) as [number, number, number, number, number, number, number];
  return new Date(y, mo - 1, d, h, mi, s, ms).getTime();
}

function parseSendReports(stdout: string): SendReport[] {
  const re = /Current Time: (\S+ \S+) \| Send TPS: (\d+) \| Max RT\(ms\): (\d+) \| Average RT\(ms\):\s*([\d.NaN]+) \| Send Failed: (\d+) \| Response Failed: (\d+)/g;
  return [...stdout.matchAll(re)].map((m) => ({
    at: reportTime(m[1] as string),
    tps: Number(m[2]),
    maxRt: Number(m[3]),
    avgRt: Number(m[4]),
    sendFailed: Number(m[5]),
    responseFailed: Number(m[6]),
  }));
}

function parseConsumeReports(stdout: string): ConsumeReport[] {
  const re =
    /Current Time: (\S+ \S+) \| Consume TPS: (\d+) \| AVG\(B2C\) RT\(ms\):\s*([\d.NaN]+) \| AVG\(S2C\) RT\(ms\):\s*([\d.NaN]+) \| MAX\(B2C\) RT\(ms\): (\d+) \| MAX\(S2C\) RT\(ms\): (\d+) \| Consume Fail: (\d+)/g;
  return [...stdout.matchAll(re)].map((m) => ({
    at: reportTime(m[1] as string),
    tps: Number(m[2]),
    avgB2c: Number(m[3]),
    avgS2c: Number(m[4]),
    maxB2c: Number(m[5]),
    maxS2c: Number(m[6]),
    failed: Number(m[7]),
  }));
}

const mean = (xs: number[]): number | null => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
function weighted(values: number[], weights: number[]): number | null {
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

// ------------------------------------------------------------------------------------------------------------------
// One broker

async function benchBroker(kind: BrokerKind, options: Options, client: RemotingClient): Promise<Result> {
  // The previous broker's written pages reach the disk now, not during this broker's measurement: a run that
  // followed Java's (1-2 GiB of dirty pages) otherwise paid for its writeback.
  execFileSync('sync');
  const probe = await loopbackRoundTrips();
  progress(`${kind}: loopback probe ${probe} round trips/s; starting the name server and the broker`);
  const deployment = kind === 'ours' ? await deployOurs(options) : await deployJava(options);
  const clients: JavaProcess[] = [];
  let sampler: NodeJS.Timeout | undefined;
  try {
    progress(`${kind}: broker ${deployment.brokerAddr} (pid ${deployment.brokerPid}) ready in ${Math.round(deployment.startupMs)} ms; name server ${deployment.namesrvAddr}`);
    const rssReady = await readRss(deployment.brokerPid);
    if (options.pin) {
      pin(deployment.brokerPid, BROKER_CPUS);
      pin(deployment.namesrvPid, otherCpus());
    }
    await createTopic(deployment, options);
    await waitForRoute(client, deployment, options);
    progress(`${kind}: topic ${options.topic} (${options.queues} queues) created; starting the Consumer and the Producer`);

    const { classpath } = await buildInterop(JAVA_VERSION);
    const common = ['-n', deployment.namesrvAddr, '-t', options.topic, '-w', String(options.threads), '-ri', '1000'];
    const consumer = await startJava({
      mainClass: 'org.apache.rocketmq.example.benchmark.Consumer',
      name: `bench-consumer-${kind}`,
      classpath,
      heapMb: options.clientHeapMb,
      args: [...common, '-g', `bench_consumer_${kind}`],
      readyLine: /Consumer Started/,
      readyTimeoutMs: 60_000,
    });
    clients.push(consumer);
    const producer = await startJava({
      mainClass: 'org.apache.rocketmq.example.benchmark.Producer',
      name: `bench-producer-${kind}`,
      classpath,
      heapMb: options.clientHeapMb,
      args: [...common, '-s', String(options.size)],
      readyLine: /^topic: /,
      readyTimeoutMs: 60_000,
    });
    clients.push(producer);
    if (options.pin) for (const c of clients) pin(c.pid, otherCpus());

    const exitedEarly = Promise.race(clients.map((c) => c.exit.then((status) => `${c.name} exited (${status})`)));
    const race = async (ms: number): Promise<void> => {
      const outcome = await Promise.race([sleep(ms).then(() => undefined), exitedEarly]);
      if (outcome !== undefined) throw new Error(`${outcome}; stdout tail:\n${clients.map((c) => c.stdout.slice(-2000)).join('\n')}`);
    };

    progress(`${kind}: warm-up ${options.warmup} s`);
    await race(options.warmup * 1000);
    const t0 = Date.now();
    const stored0 = await storedMessages(client, deployment, options);
    const cpu0 = await Promise.all([deployment.brokerPid, deployment.namesrvPid, producer.pid, consumer.pid].map((pid) => processCpuSeconds(pid)));
    const machine0 = machineBusy();
    const samples: RssSample[] = [];
    sampler = setInterval(() => {
      void readRss(deployment.brokerPid).then((s) => {
        if (s !== undefined) samples.push(s);
      });
    }, RSS_SAMPLE_MILLIS);
    progress(`${kind}: measuring ${options.seconds} s`);
    await race(options.seconds * 1000);
    const t1 = Date.now();
    const stored1 = await storedMessages(client, deployment, options);
    const cpu1 = await Promise.all([deployment.brokerPid, deployment.namesrvPid, producer.pid, consumer.pid].map((pid) => processCpuSeconds(pid)));
    const machine1 = machineBusy();
    clearInterval(sampler);
    sampler = undefined;
    await sleep(1500); // the report printed at t1 arrives
    const wall = (t1 - t0) / 1000;

    const allSends = parseSendReports(producer.stdout);
    const sends = allSends.filter((r) => r.at - REPORT_WINDOW_MILLIS >= t0 - 500 && r.at <= t1 + 500);
    const beforeWindow = allSends.filter((r) => r.at < t0);
    const consumes = parseConsumeReports(consumer.stdout).filter((r) => r.at - REPORT_WINDOW_MILLIS >= t0 - 500 && r.at <= t1 + 500);
    const lastSend = sends.at(-1);
    const maxBefore = beforeWindow.at(-1)?.maxRt ?? 0;
    const cpu = cpu1.map((c, i) => {
      const delta = c - (cpu0[i] ?? NaN);
      return Number.isFinite(delta) ? round2(delta / wall) : null;
    });
    const brokerCpuSeconds = (cpu1[0] ?? NaN) - (cpu0[0] ?? NaN);
    const peak = samples.reduce<RssSample | undefined>((a, s) => (a === undefined || s.rss > a.rss ? s : a), undefined);
    const sendTps = mean(sends.map((r) => r.tps));
    const consumeTps = mean(consumes.map((r) => r.tps));
    const brokerSendTps = (stored1 - stored0) / wall;
    const result: Result = {
      broker: kind,
      version: deployment.version,
      startup_ms: Math.round(deployment.startupMs),
      probe_round_trips_per_s: probe,
      namesrv_startup_ms: Math.round(deployment.namesrvStartupMs),
      send_tps: sendTps === null ? null : Math.round(sendTps),
      broker_send_tps: Math.round(brokerSendTps),
      consume_tps: consumeTps === null ? null : Math.round(consumeTps),
      send_avg_rt_ms: nullableRound(weighted(sends.map((r) => r.avgRt), sends.map((r) => r.tps)), 3),
      send_max_rt_ms: lastSend?.maxRt ?? null,
      send_max_rt_in_window: lastSend === undefined ? null : lastSend.maxRt > maxBefore,
      consume_avg_b2c_ms: nullableRound(weighted(consumes.map((r) => r.avgB2c), consumes.map((r) => r.tps)), 3),
      consume_max_b2c_ms: consumes.length === 0 ? null : Math.max(...consumes.map((r) => r.maxB2c)),
      consume_avg_s2c_ms: nullableRound(weighted(consumes.map((r) => r.avgS2c), consumes.map((r) => r.tps)), 3),
      consume_max_s2c_ms: consumes.length === 0 ? null : Math.max(...consumes.map((r) => r.maxS2c)),
      send_failed: lastSend?.sendFailed ?? null,
      response_failed: lastSend?.responseFailed ?? null,
      consume_failed: consumes.length === 0 ? null : consumes.reduce((a, r) => Math.max(a, r.failed), 0),
      reports: { send: sends.length, consume: consumes.length },
      rss_mib: {
        ready: rssReady === undefined ? null : mib(rssReady.rss),
        mean: samples.length === 0 ? null : mib(mean(samples.map((s) => s.rss)) ?? NaN),
        peak: peak === undefined ? null : mib(peak.rss),
        peak_anon: peak === undefined ? null : mib(peak.anon),
        peak_file: peak === undefined ? null : mib(peak.file),
        peak_shmem: peak === undefined ? null : mib(peak.shmem),
      },
      cpu: {
        broker: cpu[0] ?? null,
        namesrv: cpu[1] ?? null,
        producer: cpu[2] ?? null,
        consumer: cpu[3] ?? null,
        machine: round2(((machine1.busy - machine0.busy) / Math.max(1, machine1.total - machine0.total)) * cpus().length),
      },
      msgs_per_broker_cpu_s: brokerCpuSeconds > 0 ? Math.round((stored1 - stored0) / brokerCpuSeconds) : null,
      send_tps_series: sends.map((r) => r.tps),
      consume_tps_series: consumes.map((r) => r.tps),
    };
    progress(
      `${kind}: send ${result.send_tps ?? '-'}/s (broker-side ${result.broker_send_tps ?? '-'}/s), consume ${result.consume_tps ?? '-'}/s, ` +
        `RSS peak ${result.rss_mib.peak ?? '-'} MiB, broker CPU ${result.cpu.broker ?? '-'}`,
    );
    return result;
  } finally {
    if (sampler !== undefined) clearInterval(sampler);
    progress(`${kind}: stopping`);
    await Promise.all(clients.map((c) => c.stop(3000)));
    await deployment.stop();
  }
}

function nullableRound(n: number | null, digits: number): number | null {
  if (n === null) return null;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

// ------------------------------------------------------------------------------------------------------------------
// Output

function fmt(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || b === 0) return null;
  return Math.round((a / b) * 1000) / 1000;
}

function printTable(results: Result[]): void {
  const rows = [
    '| broker | send TPS | broker-side TPS | consume TPS | send RT avg / max ms | B2C RT avg / max ms | RSS ready / mean / peak MiB | ready ms | CPU broker / prod / cons | msgs per broker CPU-s | probe k/s |',
    '|---|---:|---:|---:|---|---|---|---:|---|---:|---:|',
  ];
  for (const r of results) {
    const name = r.broker === 'ours' ? 'ours' : `Java ${r.version}`;
    rows.push(
      `| ${name} | ${fmt(r.send_tps)} | ${fmt(r.broker_send_tps)} | ${fmt(r.consume_tps)} | ${fmt(r.send_avg_rt_ms, 2)} / ${fmt(r.send_max_rt_ms)}${r.send_max_rt_in_window === false ? '*' : ''} | ` +
        `${fmt(r.consume_avg_b2c_ms, 1)} / ${fmt(r.consume_max_b2c_ms)} | ${fmt(r.rss_mib.ready)} / ${fmt(r.rss_mib.mean)} / ${fmt(r.rss_mib.peak)} | ${fmt(r.startup_ms)} | ` +
        `${fmt(r.cpu.broker, 2)} / ${fmt(r.cpu.producer, 2)} / ${fmt(r.cpu.consumer, 2)} | ${fmt(r.msgs_per_broker_cpu_s)} | ${fmt(r.probe_round_trips_per_s / 1000, 1)} |`,
    );
  }
  process.stdout.write(`${rows.join('\n')}\n`);
  if (results.some((r) => r.send_max_rt_in_window === false)) process.stdout.write('* max send RT reached during the warm-up (the Producer never resets it)\n');
}

// ------------------------------------------------------------------------------------------------------------------
// Main

async function main(argv: string[]): Promise<number> {
  let options: Options | 'help';
  try {
    options = parseOptions(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  quietProgress = options.quiet;
  const load0 = loadavg()[0] ?? 0;
  const budgetMs = options.brokers.length * (options.warmup + options.seconds + 240) * 1000;
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench:broker: watchdog: the run took longer than ${budgetMs} ms, aborting\n`);
    process.exit(3);
  }, budgetMs);
  watchdog.unref();

  progress('building interop (Maven, only when needed)');
  await buildInterop(JAVA_VERSION);
  const client = new RemotingClient();
  await client.start();
  const results: Result[] = [];
  try {
    for (const kind of options.brokers) results.push(await benchBroker(kind, options, client));
  } finally {
    await client.shutdown();
    clearTimeout(watchdog);
  }

  const ours = results.find((r) => r.broker === 'ours');
  const java = results.find((r) => r.broker === 'java');
  // A broker measured more than once (--brokers ours,java,java,ours, to cancel out the order) counts with its mean.
  const mean = (broker: BrokerKind, field: (r: Result) => number | null): number | undefined => {
    const known = results.filter((r) => r.broker === broker).map(field).filter((v): v is number => v !== null);
    return known.length === 0 ? undefined : known.reduce((a, b) => a + b, 0) / known.length;
  };
  const meanRatio = (field: (r: Result) => number | null): number | null => ratio(mean('ours', field), mean('java', field));
  const ratios = {
    send_tps: meanRatio((r) => r.send_tps),
    broker_send_tps: meanRatio((r) => r.broker_send_tps),
    consume_tps: meanRatio((r) => r.consume_tps),
    send_avg_rt: meanRatio((r) => r.send_avg_rt_ms),
    rss_peak: meanRatio((r) => r.rss_mib.peak),
    startup: meanRatio((r) => r.startup_ms),
    msgs_per_broker_cpu_s: meanRatio((r) => r.msgs_per_broker_cpu_s),
  };
  const targets =
    ours === undefined
      ? null
      : {
          send_tps_ge_1x: ratios.send_tps === null ? null : ratios.send_tps >= 1,
          consume_tps_ge_1x: ratios.consume_tps === null ? null : ratios.consume_tps >= 1,
          rss_le_25pct: ratios.rss_peak === null ? null : ratios.rss_peak <= 0.25,
          ready_le_1s: ours.startup_ms <= 1000,
        };
  if (!options.jsonOnly) {
    process.stdout.write(
      `\nbench:broker: ${options.threads} producer threads (sync send), ${options.threads} consume threads, ${options.size} B bodies, ` +
        `topic ${options.topic} x ${options.queues} queues, ${options.warmup} s warm-up + ${options.seconds} s measured, ASYNC_FLUSH, ${options.segmentMib} MiB segments` +
        `${options.pin ? `, broker pinned to CPU ${BROKER_CPUS}, the rest to ${otherCpus()}` : ''}\n\n`,
    );
    printTable(results);
    if (ours !== undefined && java !== undefined) {
      process.stdout.write(
        `\nours / Java: send TPS ${fmt(ratios.send_tps, 2)}x (broker-side ${fmt(ratios.broker_send_tps, 2)}x), consume TPS ${fmt(ratios.consume_tps, 2)}x, ` +
          `avg send RT ${fmt(ratios.send_avg_rt, 2)}x, peak RSS ${fmt((ratios.rss_peak ?? NaN) * 100, 1)} %, start-up ${fmt(ratios.startup, 2)}x, ` +
          `messages per broker CPU-second ${fmt(ratios.msgs_per_broker_cpu_s, 2)}x\n`,
      );
    }
    if (targets !== null) process.stdout.write(`targets: ${JSON.stringify(targets)}\n`);
  }
  process.stdout.write(
    `${JSON.stringify({
      bench: 'broker',
      ours_send_tps: ours?.send_tps ?? null,
      java_send_tps: java?.send_tps ?? null,
      ours_consume_tps: ours?.consume_tps ?? null,
      java_consume_tps: java?.consume_tps ?? null,
      ours_rss_peak_mib: ours?.rss_mib.peak ?? null,
      java_rss_peak_mib: java?.rss_mib.peak ?? null,
      ours_startup_ms: ours?.startup_ms ?? null,
      java_startup_ms: java?.startup_ms ?? null,
      ratios,
      targets,
      results,
      params: {
        seconds: options.seconds,
        warmup: options.warmup,
        threads: options.threads,
        size: options.size,
        queues: options.queues,
        topic: options.topic,
        segment_mib: options.segmentMib,
        client_heap_mb: options.clientHeapMb,
        pin: options.pin,
        java_version: JAVA_VERSION,
      },
      node: process.version,
      cpus: cpus().length,
      loadavg_1m: [round2(load0), round2(loadavg()[0] ?? 0)],
      date: new Date().toISOString(),
    })}\n`,
  );
  return 0;
}

process.on('SIGINT', () => {
  process.stderr.write('bench:broker: interrupted, stopping processes\n');
  process.exit(130);
});

process.exitCode = await main(process.argv.slice(2));
