/**
 * `npm run bench:grpc`: a RocketMQ 5.x gRPC SDK against a gRPC endpoint, in three phases on one deployment: a
 * Producer sending --size byte messages with --inflight sends outstanding, then a SimpleConsumer (batches of 16, each
 * message acked) and a PushConsumer draining what was sent. Each phase runs --warmup then --seconds measured seconds;
 * the consumers are measured while a second producer keeps sending at the same concurrency (they first drain what the
 * send phase left: give --warmup the time, or their latency is that backlog's age). Figures per phase: messages per
 * second, latency p50/p99 (send: the send call; consumers: receipt minus the message's born time), the server's CPU
 * (cores, all its processes) and RSS (MiB, all its processes, at the end), failed SDK calls, and the server's ready
 * time. A phase that fails is reported in the table (its error below it) and the run goes on.
 *
 * SDKs (--sdk): `node` = rocketmq-client-nodejs 1.0.8 in this process (grpc-node-sdk.ts), which spends about 0.7 ms
 * of CPU per send of its own, so at 16 in flight it sets the pace; `java` = rocketmq-client-java 5.2.0 in a JVM of
 * its own (interop's GrpcSdkBench, grpc-java-sdk.ts), started once the target is ready, so its start-up is not
 * measured. The bench keeps the clock for both (grpc-load.ts). Each SDK gets fresh deployments of the targets: the
 * other SDK's backlog, groups and RSS do not carry over.
 *
 * Targets (--brokers): `java` = Apache RocketMQ's name server + broker + rocketmq-proxy 5.3.3 in cluster mode, the
 * reference stack of test/interop/grpc-sdk.test.ts, with the proxy's long polling capped at 3 s. `ours` =
 * `rocketmq-ts dev` as `npm start` runs it (console off): our name server and broker in one process, the broker
 * serving gRPC itself, where Java needs three processes. Ready time: from spawning the first process to the last
 * one's ready line, one after the other (ours: dev's banner, printed once its ports listen and the broker
 * registered; Java: the name server's and broker's
 * boot lines and the proxy's "rocketmq-proxy startup successfully"); the topic's creation comes after.
 * Prints a table and a final JSON line (ratios ours/java per SDK and phase).
 */
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { RemotingClient } from '../src/index.js';
import { javaSdkClasspath } from '../test/helpers/grpc-sdk.js';
import { REPO_ROOT, freePort, startJavaBroker, startJavaNameServer, type JavaServer } from '../test/helpers/java.js';
import { createTypedTopic, PROXY_TEST_CONFIG, startJavaProxy, type JavaProxy } from '../test/helpers/java-proxy.js';
import { configureProgress, deployBroker, fmt, machineInfo, ratio, processCpuSeconds, progress, readRss, round2, runBench, sleep } from './deploy.js';
import { startJavaSdkDriver, JAVA_SDK } from './grpc-java-sdk.js';
import { GRPC_PHASES, type GrpcPhase, type LoadOptions, type PhaseLoad, type SdkDriver, type WindowFigures } from './grpc-load.js';
import { nodeSdkDriver, NODE_SDK } from './grpc-node-sdk.js';

const USAGE = `usage: node dist-test/bench/grpc.js [options]
  --sdk <s,...>       the SDKs driving the load, in this order (default node,java): node (rocketmq-client-nodejs
                      1.0.8, in this process), java (rocketmq-client-java 5.2.0, a JVM started after the target)
  --brokers <b,...>   java (name server + broker + proxy 5.3.3), ours (our name server + broker), in this order
                      (default ours,java); each SDK gets fresh deployments
  --seconds <s>       measured seconds per phase (default 10)
  --warmup <s>        unmeasured seconds before each phase's window (default 3)
  --inflight <n>      sends outstanding at once (default 16)
  --size <bytes>      message body size (default 1024)
  --topic <name>      a NORMAL topic, created with mqadmin (default BenchGrpcTopic)
  --ours-main <file>  our CLI (default dist/cli/main.js of this repository), e.g. another build for A/B
  --ours-node-args <a> node options for our broker (space-separated), e.g. heap flags for A/B
  --profile-ours <dir>  run our broker with --cpu-prof, a profile per deployment written to <dir> when it stops
  --json-only         only the final JSON line on stdout
  --quiet             no progress on stderr
  -h, --help          this text`;

type Sdk = 'node' | 'java';
type Broker = 'ours' | 'java';

interface Options {
  sdks: Sdk[];
  brokers: Broker[];
  seconds: number;
  warmup: number;
  inflight: number;
  size: number;
  topic: string;
  oursMain: string;
  oursNodeArgs: string[];
  profileOurs: string | undefined;
  jsonOnly: boolean;
}

/** The items of a comma-separated list option, each one of `allowed`. */
function listOption<T extends string>(name: string, raw: string | undefined, fallback: string, allowed: readonly T[]): T[] {
  const items = (raw ?? fallback).split(',').map((item) => item.trim());
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) throw new Error(`--${name}: unknown value '${item}' (${allowed.join(', ')})`);
  }
  return items as T[];
}

function parse(argv: string[]): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      sdk: { type: 'string' },
      brokers: { type: 'string' },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      inflight: { type: 'string' },
      size: { type: 'string' },
      topic: { type: 'string' },
      'ours-main': { type: 'string' },
      'ours-node-args': { type: 'string' },
      'profile-ours': { type: 'string' },
      'json-only': { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';
  const positive = (name: string, raw: string | undefined, fallback: number): number => {
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, not '${raw}'`);
    return n;
  };
  const sdks = listOption<Sdk>('sdk', values.sdk, 'node,java', ['node', 'java']);
  const brokers = listOption<Broker>('brokers', values.brokers, 'ours,java', ['ours', 'java']);
  configureProgress('grpc', values.quiet === true);
  return {
    sdks,
    brokers,
    seconds: positive('seconds', values.seconds, 10),
    warmup: positive('warmup', values.warmup, 3),
    inflight: positive('inflight', values.inflight, 16),
    size: positive('size', values.size, 1024),
    topic: values.topic ?? 'BenchGrpcTopic',
    oursMain: path.resolve(values['ours-main'] ?? path.join(REPO_ROOT, 'dist', 'cli', 'main.js')),
    oursNodeArgs: (values['ours-node-args'] ?? '').split(' ').filter((a) => a !== ''),
    profileOurs: values['profile-ours'],
    jsonOnly: values['json-only'] === true,
  };
}

// ------------------------------------------------------------------------------------------------------------------
// Targets

interface Target {
  endpoint: string;
  pids: number[];
  readyMs: number;
  stop(): Promise<void>;
}

async function deployJava(topic: string): Promise<Target> {
  const started = Date.now();
  let namesrv: JavaServer | undefined;
  let broker: JavaServer | undefined;
  let proxy: JavaProxy | undefined;
  try {
    namesrv = await startJavaNameServer();
    broker = await startJavaBroker({ namesrvAddr: namesrv.addr });
    proxy = await startJavaProxy({ namesrvAddr: namesrv.addr });
  } catch (error) {
    await proxy?.stop();
    await broker?.stop();
    await namesrv?.stop();
    throw error;
  }
  const readyMs = Date.now() - started;
  await createTypedTopic(namesrv.addr, topic, 'NORMAL');
  const [n, b, p] = [namesrv, broker, proxy];
  return {
    endpoint: p.endpoint,
    pids: [n.process.pid, b.process.pid, p.process.pid],
    readyMs,
    stop: async () => {
      await p.stop();
      await b.stop();
      await n.stop();
    },
  };
}

/**
 * The long-polling bounds of test/helpers/java-proxy.ts's proxy, given to our broker too: the SimpleConsumer phase
 * asks for 1 s waits, which a server with Java's default minimum (5 s) refuses once its deadline is short.
 */
const PROXY_POLLING = {
  grpcClientConsumerMinLongPollingTimeoutMillis: PROXY_TEST_CONFIG.grpcClientConsumerMinLongPollingTimeoutMillis,
  grpcClientConsumerMaxLongPollingTimeoutMillis: PROXY_TEST_CONFIG.grpcClientConsumerMaxLongPollingTimeoutMillis,
};

/** `rocketmq-ts dev` (name server and broker in one process, as `npm start` runs them) serving gRPC on a free port. */
async function deployOurs(options: Options): Promise<Target> {
  const { topic, oursMain, oursNodeArgs, profileOurs } = options;
  const grpcPort = await freePort();
  const client = new RemotingClient();
  await client.start();
  try {
    const { deployment } = await deployBroker(
      'ours',
      { oursMain, oursNodeArgs, profileOurs, keep: false, segmentMib: 256, queues: 8, topic, brokerConfig: PROXY_POLLING, oursDev: { grpcPort } },
      client,
      false,
    );
    return {
      endpoint: `127.0.0.1:${grpcPort}`,
      pids: [...new Set([deployment.namesrvPid, deployment.brokerPid])],
      readyMs: Math.round(deployment.namesrvStartupMs + deployment.startupMs),
      stop: () => deployment.stop(),
    };
  } finally {
    await client.shutdown();
  }
}

// ------------------------------------------------------------------------------------------------------------------
// Phases

interface PhaseResult {
  phase: GrpcPhase;
  msgs_per_s: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
  server_cores: number | null;
  server_rss_mib: number | null;
  /** SDK calls that failed over the phase, warm-up included. */
  errors: number;
  /** Why the phase failed, or the first failed call's error; null when nothing failed. */
  error: string | null;
}

/** CPU seconds of all the target's processes; NaN when one is unknown. */
async function serverCpuSeconds(target: Target): Promise<number> {
  const cpu = await Promise.all(target.pids.map((pid) => processCpuSeconds(pid)));
  return cpu.reduce((sum, c) => sum + c, 0);
}

/** The warm-up, then the measured window: what the load counted, its length, and the server's CPU over it. */
async function measure(options: Options, target: Target, load: PhaseLoad): Promise<{ figures: WindowFigures; ms: number; cpuSeconds: number }> {
  await sleep(options.warmup * 1000);
  const cpu0 = await serverCpuSeconds(target);
  await load.open();
  const t0 = Date.now();
  await sleep(options.seconds * 1000);
  const t1 = Date.now();
  const [figures, cpu1] = await Promise.all([load.close(), serverCpuSeconds(target)]);
  return { figures, ms: t1 - t0, cpuSeconds: cpu1 - cpu0 };
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const millis = (micros: number | null): number | null => (micros === null ? null : round2(micros / 1000));

/** One phase: its load started, measured and stopped, and the server's RSS once stopped; a failure is its result. */
async function runPhase(options: Options, target: Target, driver: SdkDriver, phase: GrpcPhase): Promise<PhaseResult> {
  let load: PhaseLoad | undefined;
  let measured: Awaited<ReturnType<typeof measure>> | undefined;
  let failure: string | undefined;
  try {
    load = await driver.start(phase);
    measured = await measure(options, target, load);
  } catch (error) {
    failure = errorText(error);
  }
  try {
    await load?.stop();
  } catch (error) {
    failure ??= `stopping: ${errorText(error)}`;
  }
  const rss = await Promise.all(target.pids.map((pid) => readRss(pid)));
  const rssKib = rss.reduce((sum, r) => sum + (r?.rss ?? NaN), 0);
  const server_rss_mib = Number.isNaN(rssKib) ? null : round2(rssKib / 1024);
  if (measured === undefined) {
    progress(`${phase}: failed: ${failure ?? '?'}`);
    return { phase, msgs_per_s: null, p50_ms: null, p99_ms: null, server_cores: null, server_rss_mib, errors: 0, error: failure ?? null };
  }
  const { figures, ms, cpuSeconds } = measured;
  progress(`${phase}: ${figures.count} messages in ${ms} ms${figures.errors === 0 ? '' : `, ${figures.errors} failed calls (${figures.firstError ?? '?'})`}`);
  return {
    phase,
    msgs_per_s: round2((figures.count * 1000) / ms),
    p50_ms: millis(figures.p50Micros),
    p99_ms: millis(figures.p99Micros),
    server_cores: Number.isNaN(cpuSeconds) ? null : round2(cpuSeconds / (ms / 1000)),
    server_rss_mib,
    errors: figures.errors,
    error: failure ?? figures.firstError,
  };
}

/** The three phases of one SDK against one target; a driver that does not start fails them all. */
async function runTarget(options: Options, sdk: Sdk, broker: Broker, target: Target, classpath: string | undefined): Promise<PhaseResult[]> {
  const load: LoadOptions = { endpoint: target.endpoint, topic: options.topic, size: options.size, inflight: options.inflight };
  let driver: SdkDriver;
  try {
    driver = sdk === 'node' ? nodeSdkDriver(load) : await startJavaSdkDriver(load, classpath ?? '', broker);
  } catch (error) {
    progress(`${sdk} SDK driver failed to start: ${errorText(error)}`);
    return GRPC_PHASES.map((phase) => ({ phase, msgs_per_s: null, p50_ms: null, p99_ms: null, server_cores: null, server_rss_mib: null, errors: 0, error: `the driver did not start: ${errorText(error)}` }));
  }
  const results: PhaseResult[] = [];
  try {
    for (const phase of GRPC_PHASES) results.push(await runPhase(options, target, driver, phase));
  } finally {
    await driver.close();
  }
  return results;
}

type Row = { sdk: Sdk; broker: Broker; ready_ms: number } & PhaseResult;

function printTable(rows: Row[]): void {
  const header = ['sdk', 'broker', 'phase', 'msg/s', 'p50 ms', 'p99 ms', 'server cores', 'server RSS MiB', 'ready ms', 'errors'];
  const lines = rows.map((r) => [r.sdk, r.broker, r.phase, fmt(r.msgs_per_s), fmt(r.p50_ms, 2), fmt(r.p99_ms, 2), fmt(r.server_cores, 2), fmt(r.server_rss_mib), fmt(r.ready_ms), fmt(r.errors)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  for (const line of [header, ...lines]) console.log(line.map((cell, i) => cell.padStart(widths[i] ?? 0)).join('  '));
  for (const r of rows.filter((row) => row.error !== null)) console.log(`${r.sdk} SDK, ${r.broker}, ${r.phase}: ${r.error ?? ''}`);
}

/** ours / java per SDK and phase, where both ran (issue 17's targets: throughput >= 1.5x, RSS <= 15 %, ready < 0.5 s). */
function ratios(rows: Row[], sdks: Sdk[]): Record<string, unknown> {
  const of = (sdk: Sdk, broker: Broker, phase: GrpcPhase): Row | undefined => rows.find((r) => r.sdk === sdk && r.broker === broker && r.phase === phase);
  return Object.fromEntries(
    sdks.map((sdk) => {
      const phases = GRPC_PHASES.map((phase) => {
        const [o, j] = [of(sdk, 'ours', phase), of(sdk, 'java', phase)];
        return [phase, { msgs_per_s: ratio(o?.msgs_per_s, j?.msgs_per_s), server_rss: ratio(o?.server_rss_mib, j?.server_rss_mib), server_cores: ratio(o?.server_cores, j?.server_cores) }];
      });
      const ready = ratio(of(sdk, 'ours', 'send')?.ready_ms, of(sdk, 'java', 'send')?.ready_ms);
      return [sdk, { ...Object.fromEntries(phases), ready_ms: ready }];
    }),
  );
}

async function main(options: Options): Promise<number> {
  const load0 = loadavg()[0] ?? 0;
  if (options.sdks.includes('java')) progress('building interop (Maven, only when needed)');
  const classpath = options.sdks.includes('java') ? await javaSdkClasspath() : undefined;
  const rows: Row[] = [];
  for (const sdk of options.sdks) {
    for (const broker of options.brokers) {
      progress(`${sdk} SDK, ${broker}: starting`);
      const target = broker === 'ours' ? await deployOurs(options) : await deployJava(options.topic);
      try {
        progress(`${sdk} SDK, ${broker}: ready in ${target.readyMs} ms at ${target.endpoint}`);
        for (const result of await runTarget(options, sdk, broker, target, classpath)) rows.push({ sdk, broker, ready_ms: target.readyMs, ...result });
      } finally {
        await target.stop();
      }
    }
  }
  if (!options.jsonOnly) printTable(rows);
  const { seconds, warmup, inflight, size, topic } = options;
  const sdks = Object.fromEntries(options.sdks.map((sdk) => [sdk, sdk === 'node' ? NODE_SDK : JAVA_SDK]));
  console.log(JSON.stringify({ bench: 'grpc', sdks, params: { seconds, warmup, inflight, size, topic }, results: rows, ratios: ratios(rows, options.sdks), ...machineInfo(load0) }));
  return 0;
}

await runBench('grpc', USAGE, parse, main);
// The Node SDK's clients leave gRPC channels and timers behind after shutdown(); the bench is done.
process.exit();
