/**
 * `npm run bench:client`: our Producer against Apache RocketMQ's benchmark Producer
 * (org.apache.rocketmq.example.benchmark.Producer, rocketmq-example 5.3.3), on the Java 5.3.3 broker and on ours, in
 * the same run. For each broker (its own name server, a fresh store in a temp dir, a topic of --queues queues
 * created with our Admin):
 *   - the Java Producer runs with --inflight sending threads (sync sends, so that many requests in flight), then our
 *     Producer with --inflight concurrent sync sends; one client at a time, never both. Each client is a fresh
 *     process (a JVM for Java's, client-worker.ts for ours), so both start cold and neither shares its event loop
 *     or heap with the bench;
 *   - each runs --warmup seconds, then --seconds measured; the rate of both is the broker's own count (the topic's
 *     max offsets, GET_TOPIC_STATS_INFO, at both ends of the window), so both are measured alike. Average latency
 *     is the Java tool's report (weighted by TPS, reports inside the window) and our own per-send timing.
 * Then the consumers, on the backlog the Java Producer left: the Java benchmark Consumer and our PushConsumer, each
 * with --inflight consume threads and its own group whose offsets are first committed at 0, drain it from the
 * start; the rate is read the same way for both (GET_CONSUMER_RUNNING_INFO: the queues' in-memory offsets), from
 * the first message consumed to the last, within --consume-seconds. JIT warm-up is inside that window for both.
 * An unmeasured drain of the backlog by one more consumer comes first, so the broker's pull path is warm for all.
 * Our clients use binary (ROCKETMQ) request headers, as the Java tools set for themselves.
 * Each client's CPU time per 1000 messages is read alike (from /proc), since
 * the clients share the machine's cores with the broker: a client's CPU is CPU the broker does not get.
 * --sql: every message also carries ten user properties and the consumers subscribe with the SQL92 selector
 * SQL_EXPRESSION, which matches one message in ten, on brokers with enablePropertyFilter=true: the backlog the
 * consumers drain is then always our Producer's (its properties make the one in ten exact; the Java benchmark
 * Producer cannot add any: it reads a -p option it never declares), and a consumer's rate is the matching messages it
 * received per second (the offsets it got through, times 1/10); the offsets' own rate is scanned_tps.
 * Prints a table, the ratios ours/Java per broker, and one final JSON line. --clients ts measures ours alone (the
 * consumers then drain what our Producer stored); --cpu-prof <dir> writes a CPU profile of our Producer's and our
 * PushConsumer's measured phases (the client's process, not the broker's) per broker, for Chrome DevTools.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Admin, MQClientManager, Producer } from '../src/client/index.js';
import { REPO_ROOT, buildInterop, startJava, startJavaBroker, startJavaNameServer, type JavaServer } from '../test/helpers/java.js';
import type { WorkerReport, WorkerRole } from './client-worker.js';
import { SQL_EXPRESSION, SQL_MATCH_FRACTION, sqlBenchProperties } from './sql-bench.js';
import { loopbackRoundTrips } from './machine-probe.js';
import { forkWorker } from './worker-ipc.js';

const JAVA_VERSION = '5.3.3';
const RMQ_SYS_TRACE_TOPIC = 'RMQ_SYS_TRACE_TOPIC';
const CLUSTER = 'DefaultCluster';
const START_TIMEOUT_MILLIS = 120_000;
/** The Java tool reports every second over its last 10 snapshots: a report covers the 9 s before it. */
const REPORT_WINDOW_MILLIS = 9000;
/** How often a consumer's progress is read while it drains the backlog. */
const POLL_MILLIS = 250;
/** USER_HZ, the unit of /proc/<pid>/stat times: 100 on every Linux build. */
const CLOCK_TICKS_PER_SECOND = 100;

type BrokerKind = 'ours' | 'java';
type ClientKind = 'ts' | 'java';

const USAGE = `usage: node dist-test/bench/client.js [options]
  --seconds <s>     measured seconds per client (default 20)
  --warmup <s>      seconds each client runs before (default 10)
  --inflight <n>    sends in flight: Java sending threads, our concurrent sends (default 16)
  --size <bytes>    body size (default 1024)
  --queues <n>      queues of the topic (default 8)
  --consume-seconds <s>  at most this long per consumer to drain the backlog (default 60)
  --brokers <b,..>  java, ours, in this order (default java,ours)
  --clients <c,..>  java, ts, in this order (default java,ts); the consumers drain the first one's backlog;
                    a client named twice (java,ts,ts,java) counts with its mean, which cancels the order out
  --sql             ten user properties per message; consumers subscribe with a SQL92 selector matching one in ten
                    (the consumers drain our Producer's backlog, so --clients must name ts)
  --cpu-prof <dir>  write <dir>/<broker>-{producer,consumer}.cpuprofile: our clients' phases, profiled
                    (the profiler's own cost then shows in our CPU figures)
  --trace           our Producer and PushConsumer with message trace on (trace: true): its cost on their figures
  --profile-ours <dir>  run our broker (rocketmq-ts dev) with --cpu-prof, the profile written to <dir> when it stops
  --json-only       only the final JSON line on stdout
  -h, --help        this text`;

interface Options {
  seconds: number;
  warmup: number;
  inflight: number;
  size: number;
  queues: number;
  consumeSeconds: number;
  brokers: BrokerKind[];
  clients: ClientKind[];
  cpuProfDir: string | undefined;
  profileOurs: string | undefined;
  jsonOnly: boolean;
  sql: boolean;
  trace: boolean;
}

interface Result {
  broker: BrokerKind;
  client: ClientKind;
  send_tps: number;
  avg_rt_ms: number | null;
  failed: number;
  /** The client process's CPU time per 1000 messages in the window (null where it cannot be read). */
  cpu_ms_per_1k: number | null;
  /** Loopback round trips per second just before the phase (machine-probe.ts): low means a slowed machine. */
  probe_round_trips_per_s?: number;
  /** --trace: trace records our client dropped, its trace queue full (they are not in the trace topic). */
  trace_discarded?: number;
}

interface ConsumeResult {
  broker: BrokerKind;
  client: ClientKind;
  consume_tps: number | null;
  /** --sql: the offsets the consumer got through per second, matching or not (consume_tps is the matching ones). */
  scanned_tps?: number | null;
  /** Messages left in the topic when the consumer started. */
  backlog: number;
  drained: boolean;
  cpu_ms_per_1k: number | null;
  probe_round_trips_per_s?: number;
  trace_discarded?: number;
}

interface Deployment {
  namesrvAddr: string;
  stop(): Promise<void>;
}

function parseOptions(argv: string[]): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      inflight: { type: 'string' },
      size: { type: 'string' },
      queues: { type: 'string' },
      'consume-seconds': { type: 'string' },
      brokers: { type: 'string' },
      clients: { type: 'string' },
      'cpu-prof': { type: 'string' },
      'profile-ours': { type: 'string' },
      sql: { type: 'boolean' },
      trace: { type: 'boolean' },
      'json-only': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';
  const int = (raw: string | undefined, fallback: number, name: string): number => {
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} must be a whole number >= 1`);
    return n;
  };
  const brokers = (values.brokers ?? 'java,ours').split(',').map((b) => b.trim());
  for (const b of brokers) if (b !== 'ours' && b !== 'java') throw new Error(`unknown broker '${b}'`);
  const clients = (values.clients ?? 'java,ts').split(',').map((c) => c.trim());
  for (const c of clients) if (c !== 'ts' && c !== 'java') throw new Error(`unknown client '${c}'`);
  if (values.sql === true && !clients.includes('ts')) throw new Error('--sql drains our Producer\'s backlog: --clients must name ts');
  return {
    seconds: int(values.seconds, 20, 'seconds'),
    warmup: int(values.warmup, 10, 'warmup'),
    inflight: int(values.inflight, 16, 'inflight'),
    size: int(values.size, 1024, 'size'),
    queues: int(values.queues, 8, 'queues'),
    consumeSeconds: int(values['consume-seconds'], 60, 'consume-seconds'),
    brokers: brokers as BrokerKind[],
    clients: clients as ClientKind[],
    cpuProfDir: values['cpu-prof'],
    profileOurs: values['profile-ours'],
    jsonOnly: values['json-only'] === true,
    sql: values.sql === true,
    trace: values.trace === true,
  };
}

function progress(line: string): void {
  process.stderr.write(`bench:client: ${line}\n`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ------------------------------------------------------------------------------------------------------------------
// Brokers

/** `rocketmq-ts dev` in its own process, so our broker never shares an event loop with the client measured. */
async function deployOurs(profileDir: string | undefined): Promise<Deployment> {
  const dir = await mkdtemp(path.join(tmpdir(), 'rmqts-bench-client-'));
  const profile = profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', path.resolve(profileDir)];
  const child: ChildProcess = spawn(process.execPath, [...profile, path.join(REPO_ROOT, 'dist/cli/main.js'), 'dev', '--namesrv-port', '0', '--broker-port', '0', '--data-dir', dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const namesrvAddr = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('rocketmq-ts dev did not start')), START_TIMEOUT_MILLIS);
      void exited.then(() => reject(new Error('rocketmq-ts dev exited')));
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        const m = /export NAMESRV_ADDR=(\S+)/.exec(line);
        if (m !== null) {
          clearTimeout(timer);
          resolve(m[1] as string);
        }
      });
    });
    return { namesrvAddr, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function deployJava(options: Options): Promise<Deployment> {
  const servers: JavaServer[] = [];
  const stop = async (): Promise<void> => {
    for (const server of servers.reverse()) await server.stop();
  };
  try {
    const namesrv = await startJavaNameServer({ version: JAVA_VERSION });
    servers.push(namesrv);
    const config: Record<string, boolean> = options.sql ? { enablePropertyFilter: true } : {};
    servers.push(await startJavaBroker({ version: JAVA_VERSION, namesrvAddr: namesrv.addr, clusterName: CLUSTER, config }));
    return { namesrvAddr: namesrv.addr, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Creates the topic on every master, once the broker has registered, and waits for its route. */
async function createTopic(admin: Admin, topic: string, queues: number): Promise<void> {
  for (let attempt = 0; admin.masters(await admin.clusterInfo(), CLUSTER).length === 0; attempt++) {
    if (attempt === 600) throw new Error('no broker registered within 60 s');
    await sleep(100);
  }
  await admin.createTopic({ cluster: CLUSTER }, topic, { readQueueNums: queues, writeQueueNums: queues });
  for (let attempt = 0; ; attempt++) {
    try {
      if ((await admin.topicRoute(topic)).queueDatas.length > 0) return;
    } catch (err) {
      if (attempt === 600) throw err;
    }
    await sleep(100);
  }
}

/** Messages the broker holds in the topic: the sum of its queues' max offsets. */
async function stored(admin: Admin, topic: string): Promise<number> {
  return (await admin.topicStats(topic)).reduce((sum, q) => sum + q.maxOffset, 0);
}

// ------------------------------------------------------------------------------------------------------------------
// Clients

async function measureJava(admin: Admin, namesrvAddr: string, topic: string, options: Options, broker: BrokerKind): Promise<Result> {
  const { classpath } = await buildInterop(JAVA_VERSION);
  const producer = await startJava({
    mainClass: 'org.apache.rocketmq.example.benchmark.Producer',
    name: `bench-client-producer-${broker}`,
    classpath,
    heapMb: 512,
    args: ['-n', namesrvAddr, '-t', topic, '-w', String(options.inflight), '-s', String(options.size), '-ri', '1000'],
    readyLine: /^topic: /,
    readyTimeoutMs: 60_000,
  });
  try {
    await sleep(options.warmup * 1000);
    const t0 = Date.now();
    const c0 = await processCpuMillis(producer.pid);
    const n0 = await stored(admin, topic);
    await sleep(options.seconds * 1000);
    const n1 = await stored(admin, topic);
    const c1 = await processCpuMillis(producer.pid);
    const t1 = Date.now();
    await sleep(1500); // the report of t1 arrives
    const reports = parseSendReports(producer.stdout).filter((r) => r.at - REPORT_WINDOW_MILLIS >= t0 - 500 && r.at <= t1 + 500);
    const weight = reports.reduce((sum, r) => sum + r.tps, 0);
    return {
      broker,
      client: 'java',
      send_tps: Math.round(((n1 - n0) * 1000) / (t1 - t0)),
      avg_rt_ms: weight === 0 ? null : round3(reports.reduce((sum, r) => sum + r.avgRt * r.tps, 0) / weight),
      failed: reports.at(-1)?.failed ?? 0,
      cpu_ms_per_1k: perThousand(c0, c1, n1 - n0),
    };
  } finally {
    await producer.stop();
  }
}

/** One of our clients in a fresh process (client-worker.ts), as the Java tools run in a fresh JVM. */
interface OurClient {
  pid: number;
  /** The measured window begins. */
  measure(): void;
  /** Ends the window and the client; resolves with the worker's report once it has shut down and exited. */
  stop(): Promise<Extract<WorkerReport, { type: 'result' }>>;
}

/** `profileName`: the CPU profile's file name in --cpu-prof's directory, if this client is to be profiled. */
async function startOurClient(role: WorkerRole, namesrvAddr: string, topic: string, group: string, options: Options, profileName: string | undefined): Promise<OurClient> {
  const profileFile = options.cpuProfDir === undefined || profileName === undefined ? [] : [path.join(options.cpuProfDir, `${profileName}.cpuprofile`)];
  const worker = await forkWorker<Extract<WorkerReport, { type: 'result' }>>(
    path.join(REPO_ROOT, 'dist-test/bench/client-worker.js'),
    [role, namesrvAddr, topic, group, String(options.inflight), String(options.size), ...profileFile],
    `our ${role}`,
    { ...(options.sql ? { BENCH_SQL: SQL_EXPRESSION, BENCH_PROPERTIES: '1' } : {}), ...(options.trace ? { BENCH_TRACE: '1' } : {}) },
  );
  return {
    pid: worker.pid,
    measure: () => worker.measure(),
    stop: async () => {
      const result = await worker.stop();
      if (profileFile[0] !== undefined) progress(`CPU profile written to ${profileFile[0]}`);
      return result;
    },
  };
}

async function measureOurs(admin: Admin, namesrvAddr: string, topic: string, options: Options, broker: BrokerKind): Promise<Result> {
  const producer = await startOurClient('producer', namesrvAddr, topic, `bench_client_ts_${broker}`, options, `${broker}-producer`);
  let stopped: Promise<Extract<WorkerReport, { type: 'result' }>> | undefined;
  try {
    await sleep(options.warmup * 1000);
    const t0 = Date.now();
    const c0 = await processCpuMillis(producer.pid);
    const n0 = await stored(admin, topic);
    producer.measure();
    await sleep(options.seconds * 1000);
    const n1 = await stored(admin, topic);
    const c1 = await processCpuMillis(producer.pid);
    const t1 = Date.now();
    stopped = producer.stop();
    const { rtSum, rtCount, failed, traceDiscarded } = await stopped;
    return {
      broker,
      client: 'ts',
      send_tps: Math.round(((n1 - n0) * 1000) / (t1 - t0)),
      avg_rt_ms: rtCount === 0 ? null : round3(rtSum / rtCount),
      failed,
      cpu_ms_per_1k: perThousand(c0, c1, n1 - n0),
      ...(options.trace ? { trace_discarded: traceDiscarded } : {}),
    };
  } finally {
    if (stopped === undefined) await producer.stop().catch(() => undefined);
  }
}

/**
 * A group of our own whose committed offsets are 0 on every queue, so a consumer of it drains the topic from the
 * start whatever its consumeFromWhere (the Java tool's is the last offset). The heartbeat creates the group first.
 */
async function groupAtStart(admin: Admin, topic: string, group: string): Promise<void> {
  await admin.registerConsumer({
    groupName: group,
    consumeType: 'CONSUME_PASSIVELY',
    messageModel: 'CLUSTERING',
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
    subscriptionDataSet: [{ topic, subString: '*', tagsSet: [], codeSet: [], subVersion: 0, expressionType: 'TAG', classFilterMode: false }],
    unitMode: false,
  });
  const brokerAddr = admin.masters(await admin.clusterInfo(), CLUSTER)[0] as string;
  for (const { mq } of await admin.topicStats(topic)) await admin.updateConsumerOffset(brokerAddr, group, mq, 0);
  await admin.unregisterConsumer(group);
}

/**
 * Watches a consumer drain the backlog through GET_CONSUMER_RUNNING_INFO (its queues' in-memory offsets, live for
 * the Java client and ours alike) every POLL_MILLIS: the rate is what it consumed from its first message to the end
 * of the backlog, or to --consume-seconds if that comes first.
 */
async function watchDrain(
  admin: Admin,
  group: string,
  topic: string,
  backlog: number,
  options: Options,
  cpuMillis: () => Promise<number | undefined>,
): Promise<{ tps: number | null; drained: boolean; cpu_ms_per_1k: number | null }> {
  let clientId: string | undefined;
  for (let attempt = 0; clientId === undefined; attempt++) {
    if (attempt === 300) throw new Error(`${group} never came online`);
    clientId = (await admin.consumerConnection(group).catch(() => undefined))?.connectionSet[0]?.clientId;
    if (clientId === undefined) await sleep(POLL_MILLIS);
  }
  const consumed = async (): Promise<number> => {
    const info = await admin.consumerRunningInfo(group, clientId);
    return info.mqTable.filter((q) => q.mq.topic === topic).reduce((sum, q) => sum + Math.max(0, q.commitOffset), 0);
  };
  const deadline = Date.now() + options.consumeSeconds * 1000;
  let first: { at: number; n: number; cpu: number | undefined } | undefined;
  let last = { at: performance.now(), n: 0, cpu: await cpuMillis() };
  while (Date.now() < deadline && last.n < backlog) {
    const idle = last;
    await sleep(POLL_MILLIS);
    last = { at: performance.now(), n: await consumed(), cpu: await cpuMillis() };
    // With --sql a consumer gets through the skipped messages faster than it is polled: its rate is counted from
    // the last reading before it moved, not from the first one after.
    first ??= last.n > 0 ? (options.sql ? idle : last) : undefined;
  }
  const tps = first === undefined || last.at === first.at ? null : Math.round(((last.n - first.n) * 1000) / (last.at - first.at));
  // With --sql, CPU per 1000 messages received (the matching ones), not per 1000 offsets.
  const received = options.sql ? (last.n - (first?.n ?? 0)) * SQL_MATCH_FRACTION : last.n - (first?.n ?? 0);
  return { tps, drained: last.n >= backlog, cpu_ms_per_1k: first === undefined ? null : perThousand(first.cpu, last.cpu, received) };
}

async function measureJavaConsumer(admin: Admin, namesrvAddr: string, topic: string, options: Options, broker: BrokerKind): Promise<ConsumeResult> {
  const group = `bench_client_consumer_java_${broker}`;
  const backlog = await stored(admin, topic);
  await groupAtStart(admin, topic, group);
  const { classpath } = await buildInterop(JAVA_VERSION);
  // The benchmark Consumer reads its expression from a file (-f SQL92 -e FILE).
  const expressionDir = options.sql ? await mkdtemp(path.join(tmpdir(), 'rmqts-bench-sql-')) : undefined;
  const sqlArgs: string[] = [];
  if (expressionDir !== undefined) {
    const file = path.join(expressionDir, 'expression');
    await writeFile(file, SQL_EXPRESSION);
    sqlArgs.push('-f', 'SQL92', '-e', file);
  }
  try {
    const consumer = await startJava({
      mainClass: 'org.apache.rocketmq.example.benchmark.Consumer',
      name: `bench-client-consumer-${broker}`,
      classpath,
      heapMb: 512,
      args: ['-n', namesrvAddr, '-t', topic, '-w', String(options.inflight), '-g', group, ...sqlArgs],
      readyLine: /Consumer Started/,
      readyTimeoutMs: 60_000,
    });
    try {
      const { tps, drained, cpu_ms_per_1k } = await watchDrain(admin, group, topic, backlog, options, () => processCpuMillis(consumer.pid));
      return { broker, client: 'java', ...consumeRates(tps, options), backlog, drained, cpu_ms_per_1k };
    } finally {
      await consumer.stop();
    }
  } finally {
    if (expressionDir !== undefined) await rm(expressionDir, { recursive: true, force: true });
  }
}

/** --trace: how many trace records our client dropped. */
function traceNote(result: { trace_discarded?: number }): string {
  return result.trace_discarded === undefined ? '' : `, ${result.trace_discarded} trace records dropped`;
}

async function measureOurConsumer(admin: Admin, namesrvAddr: string, topic: string, options: Options, broker: BrokerKind, role: 'measured' | 'warm-up' = 'measured'): Promise<ConsumeResult> {
  const group = `bench_client_consumer_${role === 'measured' ? 'ts' : 'warmup'}_${broker}`;
  const backlog = await stored(admin, topic);
  await groupAtStart(admin, topic, group);
  const consumer = await startOurClient('consumer', namesrvAddr, topic, group, options, role === 'measured' ? `${broker}-consumer` : undefined);
  let stopped: Promise<Extract<WorkerReport, { type: 'result' }>> | undefined;
  try {
    consumer.measure();
    const { tps, drained, cpu_ms_per_1k } = await watchDrain(admin, group, topic, backlog, options, () => processCpuMillis(consumer.pid));
    stopped = consumer.stop();
    const { traceDiscarded } = await stopped;
    return { broker, client: 'ts', ...consumeRates(tps, options), backlog, drained, cpu_ms_per_1k, ...(options.trace ? { trace_discarded: traceDiscarded } : {}) };
  } finally {
    if (stopped === undefined) await consumer.stop().catch(() => undefined);
  }
}

/**
 * --sql: one matching message more at the end of every queue, so that a consumer's offsets reach the end of the
 * backlog when it consumes that one, not when a pull parked at the end (after skipping what did not match) comes
 * back empty some 15 s later.
 */
async function endQueuesWithAMatch(admin: Admin, namesrvAddr: string, topic: string): Promise<void> {
  const producer = new Producer({ nameServer: namesrvAddr, group: 'bench_client_sql_sentinel', clientManager: new MQClientManager() });
  await producer.start();
  try {
    for (const { mq } of await admin.topicStats(topic)) {
      await producer.send({ topic, body: 'sentinel', properties: sqlBenchProperties(0) }, { messageQueue: mq });
    }
  } finally {
    await producer.shutdown();
  }
}

/** The drain's offsets per second are the consume rate; with --sql one in ten of them is a message received. */
function consumeRates(offsetsPerSecond: number | null, options: Options): { consume_tps: number | null; scanned_tps?: number | null } {
  if (!options.sql) return { consume_tps: offsetsPerSecond };
  return { consume_tps: offsetsPerSecond === null ? null : Math.round(offsetsPerSecond * SQL_MATCH_FRACTION), scanned_tps: offsetsPerSecond };
}

/** CPU time (user + system) a process has used, from /proc (Linux); undefined where that cannot be read. */
async function processCpuMillis(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // After "pid (comm) ", the fields from state (3rd) on: utime and stime are the 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / CLOCK_TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

function perThousand(before: number | undefined, after: number | undefined, messages: number): number | null {
  return before === undefined || after === undefined || messages <= 0 ? null : round3(((after - before) * 1000) / messages);
}

/** UtilAll.timeMillisToHumanString2 ("yyyy-MM-dd HH:mm:ss,SSS", local time), the reports' clock. */
function reportTime(text: string): number {
  const m = /(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}),(\d{3})/.exec(text);
  if (m === null) return NaN;
  const [y, mo, d, h, mi, s, ms] = m.slice(1).map(Number) as [number, number, number, number, number, number, number];
  return new Date(y, mo - 1, d, h, mi, s, ms).getTime();
}

function parseSendReports(stdout: string): { at: number; tps: number; avgRt: number; failed: number }[] {
  const re = /Current Time: (\S+ \S+) \| Send TPS: (\d+) \| Max RT\(ms\): \d+ \| Average RT\(ms\):\s*([\d.]+) \| Send Failed: (\d+)/g;
  return [...stdout.matchAll(re)].map((m) => ({ at: reportTime(m[1] as string), tps: Number(m[2]), avgRt: Number(m[3]), failed: Number(m[4]) }));
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  for (const row of [header, ...rows]) process.stdout.write(`${row.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd()}\n`);
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

// ------------------------------------------------------------------------------------------------------------------

async function benchBroker(broker: BrokerKind, options: Options): Promise<{ sends: Result[]; consumes: ConsumeResult[] }> {
  progress(`${broker}: starting the name server and the broker`);
  const deployment = broker === 'ours' ? await deployOurs(options.profileOurs) : await deployJava(options);
  const admin = new Admin({ nameServer: deployment.namesrvAddr, clientManager: new MQClientManager() });
  try {
    await admin.start();
    const sends: Result[] = [];
    for (const [index, client] of options.clients.entries()) {
      const topic = `BenchClient_${client}_${index}`;
      // The previous phase's written pages reach the disk now, not during this phase's measurement.
      execFileSync('sync');
      await createTopic(admin, topic, options.queues);
      const probe = await loopbackRoundTrips();
      progress(`${broker}: loopback probe ${probe} round trips/s; ${client} Producer, ${options.warmup} s warm-up then ${options.seconds} s measured`);
      const result = client === 'java' ? await measureJava(admin, deployment.namesrvAddr, topic, options, broker) : await measureOurs(admin, deployment.namesrvAddr, topic, options, broker);
      result.probe_round_trips_per_s = probe;
      progress(`${broker}: ${client} Producer ${result.send_tps} msg/s, avg RT ${result.avg_rt_ms ?? '-'} ms, ${result.failed} failed, ${result.cpu_ms_per_1k ?? '-'} CPU ms/1k msgs${traceNote(result)}`);
      sends.push(result);
    }
    // The consumers drain the same backlog, one after the other, after an unmeasured drain of it: the producers
    // warmed the broker's send path, this warms its pull path, which the first measured consumer would pay for.
    // With --sql, our Producer's: its properties make the selector match exactly one message in ten.
    const backlogIndex = options.sql ? options.clients.indexOf('ts') : 0;
    const backlogTopic = `BenchClient_${options.clients[backlogIndex] as ClientKind}_${backlogIndex}`;
    if (options.sql) await endQueuesWithAMatch(admin, deployment.namesrvAddr, backlogTopic);
    progress(`${broker}: an unmeasured consumer drains the backlog first, to warm the broker's pull path`);
    await measureOurConsumer(admin, deployment.namesrvAddr, backlogTopic, options, broker, 'warm-up');
    const consumes: ConsumeResult[] = [];
    for (const client of options.clients) {
      const probe = await loopbackRoundTrips();
      progress(`${broker}: loopback probe ${probe} round trips/s; ${client} consumer draining the backlog (at most ${options.consumeSeconds} s)`);
      const measure = client === 'java' ? measureJavaConsumer : measureOurConsumer;
      const result = await measure(admin, deployment.namesrvAddr, backlogTopic, options, broker);
      result.probe_round_trips_per_s = probe;
      progress(`${broker}: ${client} consumer ${result.consume_tps ?? '-'} msg/s over a backlog of ${result.backlog}${result.drained ? '' : ' (not drained in time)'}, ${result.cpu_ms_per_1k ?? '-'} CPU ms/1k msgs${traceNote(result)}`);
      consumes.push(result);
    }
    // --trace: what reached the trace topic (a trace message holds the records of up to 20 traced events).
    if (options.trace) progress(`${broker}: the trace topic holds ${await stored(admin, RMQ_SYS_TRACE_TOPIC)} trace messages`);
    return { sends, consumes };
  } finally {
    await admin.shutdown();
    await deployment.stop();
  }
}

async function main(argv: string[]): Promise<number> {
  let options: Options | 'help';
  try {
    options = parseOptions(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const results: Result[] = [];
  const consumeResults: ConsumeResult[] = [];
  for (const broker of options.brokers) {
    const { sends, consumes } = await benchBroker(broker, options);
    results.push(...sends);
    consumeResults.push(...consumes);
  }
  const ratios: Record<string, number | null> = {};
  // A client measured more than once (--clients java,ts,ts,java, to cancel out the order) counts with its mean.
  const mean = (values: (number | null | undefined)[]): number | undefined => {
    const known = values.filter((v): v is number => typeof v === 'number');
    return known.length === 0 ? undefined : known.reduce((a, b) => a + b, 0) / known.length;
  };
  const ratio = (ts: number | undefined, java: number | undefined): number | null => (ts !== undefined && java !== undefined && java > 0 ? round3(ts / java) : null);
  for (const broker of options.brokers) {
    const sendTps = (client: ClientKind): number | undefined => mean(results.filter((r) => r.broker === broker && r.client === client).map((r) => r.send_tps));
    const consumeTps = (client: ClientKind): number | undefined => mean(consumeResults.filter((r) => r.broker === broker && r.client === client).map((r) => r.consume_tps));
    ratios[`ts_over_java_send_tps_on_${broker}`] = ratio(sendTps('ts'), sendTps('java'));
    ratios[`ts_over_java_consume_tps_on_${broker}`] = ratio(consumeTps('ts'), consumeTps('java'));
  }
  if (!options.jsonOnly) {
    printTable(
      ['broker', 'producer', 'send msg/s', 'avg RT ms', 'failed', 'CPU ms/1k msgs', 'probe/s'],
      results.map((r) => [r.broker, r.client, String(r.send_tps), String(r.avg_rt_ms ?? '-'), String(r.failed), String(r.cpu_ms_per_1k ?? '-'), String(r.probe_round_trips_per_s ?? '-')]),
    );
    printTable(
      ['broker', 'consumer', options.sql ? 'matching msg/s' : 'consume msg/s', ...(options.sql ? ['scanned msg/s'] : []), 'backlog', 'drained', 'CPU ms/1k msgs', 'probe/s'],
      consumeResults.map((r) => [
        r.broker,
        r.client,
        String(r.consume_tps ?? '-'),
        ...(options.sql ? [String(r.scanned_tps ?? '-')] : []),
        String(r.backlog),
        String(r.drained),
        String(r.cpu_ms_per_1k ?? '-'),
        String(r.probe_round_trips_per_s ?? '-'),
      ]),
    );
    for (const [name, ratio] of Object.entries(ratios)) process.stdout.write(`${name}: ${ratio ?? '-'}\n`);
  }
  process.stdout.write(
    `${JSON.stringify({
      bench: 'client',
      results,
      consume_results: consumeResults,
      ratios,
      params: { ...options, ...(options.sql ? { sql_expression: SQL_EXPRESSION } : {}), java_version: JAVA_VERSION },
      node: process.version,
      cpus: cpus().length,
      date: new Date().toISOString(),
    })}\n`,
  );
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
