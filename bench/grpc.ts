/**
 * `npm run bench:grpc`: the Node 5.x SDK (rocketmq-client-nodejs 1.0.8) against a RocketMQ gRPC endpoint, in three
 * phases on one deployment: a Producer sending --size byte messages with --inflight sends outstanding, then a
 * SimpleConsumer (batches of 16, each message acked) and a PushConsumer draining what was sent. Each phase runs
 * --warmup then --seconds measured seconds; the consumers are measured while a second producer keeps sending at the
 * same concurrency (they first drain what the send phase left: give --warmup the time, or their latency is that
 * backlog's age). Figures per phase: messages per second, latency p50/p99
 * (send: the send call; consumers: receipt minus the message's born time), the server's CPU (cores, all its processes) and RSS
 * (MiB, all its processes, at the end), and the server's ready time.
 *
 * Targets (--brokers): `java` = Apache RocketMQ's name server + broker + rocketmq-proxy 5.3.3 in cluster mode, the
 * reference stack of test/interop/grpc-sdk.test.ts, with the proxy's long polling capped at 3 s. `ours` = our name
 * server and broker (`rocketmq-ts namesrv` / `broker -c`, as bench:broker deploys them), the broker serving gRPC
 * itself (grpcServerPort): one process where Java needs three. Ready time: name server plus broker (plus proxy).
 * Prints a table and a final JSON line.
 */
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { RemotingClient } from '../src/index.js';
import { REPO_ROOT, freePort, startJavaBroker, startJavaNameServer, type JavaServer } from '../test/helpers/java.js';
import { createTypedTopic, PROXY_TEST_CONFIG, startJavaProxy, type JavaProxy } from '../test/helpers/java-proxy.js';
import { configureProgress, deployBroker, fmt, machineInfo, ratio, processCpuSeconds, progress, readRss, round2, runBench, sleep } from './deploy.js';
import { LatencyReservoir } from './latency.js';

const USAGE = `usage: node dist-test/bench/grpc.js [options]
  --brokers <b,...>   java (name server + broker + proxy 5.3.3), ours (our name server + broker), in this order
                      (default ours,java)
  --seconds <s>       measured seconds per phase (default 10)
  --warmup <s>        unmeasured seconds before each phase's window (default 3)
  --inflight <n>      sends outstanding at once (default 16)
  --size <bytes>      message body size (default 1024)
  --topic <name>      a NORMAL topic, created with mqadmin (default BenchGrpcTopic)
  --json-only         only the final JSON line on stdout
  --quiet             no progress on stderr
  -h, --help          this text`;

interface Options {
  brokers: ('ours' | 'java')[];
  seconds: number;
  warmup: number;
  inflight: number;
  size: number;
  topic: string;
  jsonOnly: boolean;
}

function parse(argv: string[]): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      brokers: { type: 'string' },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      inflight: { type: 'string' },
      size: { type: 'string' },
      topic: { type: 'string' },
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
  const brokers = (values.brokers ?? 'ours,java').split(',').map((b) => b.trim());
  for (const b of brokers) {
    if (b !== 'java' && b !== 'ours') throw new Error(`--brokers: unknown target '${b}' (ours, java)`);
  }
  configureProgress('grpc', values.quiet === true);
  return {
    brokers: brokers as ('ours' | 'java')[],
    seconds: positive('seconds', values.seconds, 10),
    warmup: positive('warmup', values.warmup, 3),
    inflight: positive('inflight', values.inflight, 16),
    size: positive('size', values.size, 1024),
    topic: values.topic ?? 'BenchGrpcTopic',
    jsonOnly: values['json-only'] === true,
  };
}

// ------------------------------------------------------------------------------------------------------------------
// The parts of the Node SDK used here. It is loaded at run time (a devDependency), so this file compiles without it.

interface SdkMessageView {
  body: Buffer;
  bornTimestamp?: Date;
}
interface SdkClient {
  startup(): Promise<void>;
  shutdown(): Promise<void>;
}
interface SdkProducer extends SdkClient {
  send(message: { topic: string; body: Buffer }): Promise<unknown>;
}
interface SdkSimpleConsumer extends SdkClient {
  receive(max: number, invisibleMs: number): Promise<SdkMessageView[]>;
  ack(message: SdkMessageView): Promise<void>;
}
interface SdkModule {
  Producer: new (options: object) => SdkProducer;
  SimpleConsumer: new (options: object) => SdkSimpleConsumer;
  PushConsumer: new (options: object) => SdkClient;
  ConsumeResult: { SUCCESS: unknown };
}

function loadSdk(): SdkModule {
  return createRequire(path.join(REPO_ROOT, 'package.json'))('rocketmq-client-nodejs') as SdkModule;
}

const quiet = { info(): void {}, warn(): void {}, debug(): void {}, close(): void {}, error(): void {} };

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

/** Our name server and broker as bench:broker deploys them, the broker serving gRPC on a free port. */
async function deployOurs(topic: string): Promise<Target> {
  const grpcPort = await freePort();
  const client = new RemotingClient();
  await client.start();
  try {
    const { deployment } = await deployBroker(
      'ours',
      { oursMain: path.join(REPO_ROOT, 'dist', 'cli', 'main.js'), oursNodeArgs: [], keep: false, segmentMib: 256, queues: 8, topic, brokerConfig: { grpcServerPort: grpcPort, ...PROXY_POLLING } },
      client,
      false,
    );
    return {
      endpoint: `127.0.0.1:${grpcPort}`,
      pids: [deployment.namesrvPid, deployment.brokerPid],
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
  phase: 'send' | 'simple' | 'push';
  msgs_per_s: number;
  p50_ms: number | null;
  p99_ms: number | null;
  server_cores: number | null;
  server_rss_mib: number | null;
}

/** Runs `work` until `stop()`; measures the server over the window that opens after the warm-up. */
async function measure(
  options: Options,
  target: Target,
  phase: PhaseResult['phase'],
  work: (counting: () => boolean, latency: LatencyReservoir, stopped: () => boolean) => Promise<void>,
): Promise<PhaseResult & { count: number }> {
  const latency = new LatencyReservoir();
  let counting = false;
  let stopped = false;
  let count = 0;
  const running = work(
    () => {
      if (counting) count++;
      return counting;
    },
    latency,
    () => stopped,
  );
  await sleep(options.warmup * 1000);
  const cpu0 = await Promise.all(target.pids.map((pid) => processCpuSeconds(pid)));
  const t0 = Date.now();
  counting = true;
  await sleep(options.seconds * 1000);
  counting = false;
  const t1 = Date.now();
  const cpu1 = await Promise.all(target.pids.map((pid) => processCpuSeconds(pid)));
  stopped = true;
  await running;
  const rss = await Promise.all(target.pids.map((pid) => readRss(pid)));
  const [p50, p99] = latency.percentilesMicros([50, 99]);
  const cpu = cpu1.reduce((sum, c, i) => sum + (c - (cpu0[i] ?? NaN)), 0);
  const rssKib = rss.reduce((sum, r) => sum + (r?.rss ?? NaN), 0);
  progress(`${phase}: ${count} messages in ${t1 - t0} ms`);
  return {
    phase,
    count,
    msgs_per_s: round2((count * 1000) / (t1 - t0)),
    p50_ms: p50 === null || p50 === undefined ? null : round2(p50 / 1000),
    p99_ms: p99 === null || p99 === undefined ? null : round2(p99 / 1000),
    server_cores: Number.isNaN(cpu) ? null : round2(cpu / ((t1 - t0) / 1000)),
    server_rss_mib: Number.isNaN(rssKib) ? null : round2(rssKib / 1024),
  };
}

async function runTarget(options: Options, sdk: SdkModule, target: Target): Promise<PhaseResult[]> {
  const base = { endpoints: target.endpoint, namespace: '', logger: quiet };
  const body = Buffer.alloc(options.size, 'x');
  const results: PhaseResult[] = [];

  const producer = new sdk.Producer(base);
  await producer.startup();
  results.push(
    await measure(options, target, 'send', async (count, latency, stopped) => {
      const loop = async (): Promise<void> => {
        while (!stopped()) {
          const start = process.hrtime.bigint();
          await producer.send({ topic: options.topic, body });
          if (count()) latency.record(Number(process.hrtime.bigint() - start));
        }
      };
      await Promise.all(Array.from({ length: options.inflight }, loop));
    }),
  );
  await producer.shutdown();

  const feeder = new sdk.Producer(base);
  await feeder.startup();
  let feeding = true;
  const feed = Promise.all(
    Array.from({ length: options.inflight }, async () => {
      while (feeding) await feeder.send({ topic: options.topic, body });
    }),
  );
  const e2e = (latency: LatencyReservoir, m: SdkMessageView): void => {
    if (m.bornTimestamp !== undefined) latency.record((Date.now() - m.bornTimestamp.getTime()) * 1e6);
  };
  const simple = new sdk.SimpleConsumer({ ...base, consumerGroup: 'BenchGrpcSimple', subscriptions: new Map([[options.topic, '*']]), awaitDuration: 1000 });
  await simple.startup();
  results.push(
    await measure(options, target, 'simple', async (count, latency, stopped) => {
      const loop = async (): Promise<void> => {
        while (!stopped()) {
          for (const m of await simple.receive(16, 15_000)) {
            await simple.ack(m);
            if (count()) e2e(latency, m);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, Math.floor(options.inflight / 16)) + 1 }, loop));
    }),
  );
  await simple.shutdown();

  let onMessage: (m: SdkMessageView) => void = () => undefined;
  const push = new sdk.PushConsumer({
    ...base,
    consumerGroup: 'BenchGrpcPush',
    subscriptions: new Map([[options.topic, '*']]),
    messageListener: {
      consume: (m: SdkMessageView): Promise<unknown> => {
        onMessage(m);
        return Promise.resolve(sdk.ConsumeResult.SUCCESS);
      },
    },
  });
  results.push(
    await measure(options, target, 'push', async (count, latency, stopped) => {
      onMessage = (m) => {
        if (count()) e2e(latency, m);
      };
      await push.startup();
      while (!stopped()) await sleep(100);
    }),
  );
  await push.shutdown();
  feeding = false;
  await feed;
  await feeder.shutdown();
  return results;
}

async function main(options: Options): Promise<number> {
  const load0 = loadavg()[0] ?? 0;
  const sdk = loadSdk();
  const rows: ({ broker: string; ready_ms: number } & PhaseResult)[] = [];
  for (const broker of options.brokers) {
    progress(`${broker}: starting`);
    const target = broker === 'ours' ? await deployOurs(options.topic) : await deployJava(options.topic);
    try {
      progress(`${broker}: ready in ${target.readyMs} ms at ${target.endpoint}`);
      for (const result of await runTarget(options, sdk, target)) {
        const { phase, msgs_per_s, p50_ms, p99_ms, server_cores, server_rss_mib } = result;
        rows.push({ broker, ready_ms: target.readyMs, phase, msgs_per_s, p50_ms, p99_ms, server_cores, server_rss_mib });
      }
    } finally {
      await target.stop();
    }
  }
  if (!options.jsonOnly) {
    const header = ['broker', 'phase', 'msg/s', 'p50 ms', 'p99 ms', 'server cores', 'server RSS MiB', 'ready ms'];
    const lines = rows.map((r) => [r.broker, r.phase, fmt(r.msgs_per_s), fmt(r.p50_ms, 2), fmt(r.p99_ms, 2), fmt(r.server_cores, 2), fmt(r.server_rss_mib), fmt(r.ready_ms)]);
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
    for (const line of [header, ...lines]) console.log(line.map((cell, i) => cell.padStart(widths[i] ?? 0)).join('  '));
  }
  const { seconds, warmup, inflight, size, topic } = options;
  // ours / java per phase, when both ran (the targets of issue 17: throughput >= 1.5x, RSS <= 15 %).
  const of = (broker: string, phase: string): (typeof rows)[number] | undefined => rows.find((r) => r.broker === broker && r.phase === phase);
  const ratios = Object.fromEntries(
    (['send', 'simple', 'push'] as const).map((phase) => {
      const [o, j] = [of('ours', phase), of('java', phase)];
      return [phase, { msgs_per_s: ratio(o?.msgs_per_s, j?.msgs_per_s), server_rss: ratio(o?.server_rss_mib, j?.server_rss_mib), server_cores: ratio(o?.server_cores, j?.server_cores) }];
    }),
  );
  const ready = ratio(of('ours', 'send')?.ready_ms, of('java', 'send')?.ready_ms);
  console.log(JSON.stringify({ bench: 'grpc', sdk: 'rocketmq-client-nodejs@1.0.8', params: { seconds, warmup, inflight, size, topic }, results: rows, ratios: { ...ratios, ready_ms: ready }, ...machineInfo(load0) }));
  return 0;
}

await runBench('grpc', USAGE, parse, main);
// The SDK's clients leave gRPC channels and timers behind after shutdown(); the bench is done.
process.exit();
