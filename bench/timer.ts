/**
 * `npm run bench:timer` (issue 15): 5.x timer messages against our broker and the Java 5.3.3 broker in the same run,
 * one broker at a time, each on a fresh deployment (bench/deploy.ts: its own name server, a fresh store, the topic
 * created with mqadmin), both with timerPrecisionMs = --precision-ms (Java's default, 1000) and everything else as
 * in bench:broker. Per broker:
 *   - warm-up, unmeasured: --warmup seconds of timer messages at the same rate, due 1-5 s after their send, all
 *     consumed before the measured sends begin (the JIT of both brokers' timer paths and of the driver);
 *   - the driver sends --messages timer messages, paced evenly over --spread-seconds (or, with --unpaced, as fast as
 *     the broker answers), each with a deliver time (TIMER_DELIVER_MS) drawn uniformly from --min-delay-seconds to
 *     --max-delay-seconds after its send, and a push consumer receives them when the broker delivers them;
 *   - enqueue TPS: sends acknowledged (SEND_OK) per second from the first send to the last answer, against the
 *     target (messages / spread); the send RT;
 *   - lateness: arrival at the consumer minus the deliver time, per message (p50 / p99 / p99.9 / max), and how many
 *     arrived early (must be 0), twice, or never. With precision P a broker fires the slot of a deliver time at the
 *     next multiple of P (Java: TIMER_OUT_MS is rounded down, a slot fires once it is over), so uniform deliver times
 *     are up to P late by design: the bench also reports the lateness past that multiple ("past the slot", the
 *     broker's and the consumer's own delay), and the same for the broker's put of the delivery (the delivered
 *     copy's storeTimestamp), its own delay without the consumer's;
 *   - the broker's RSS every 500 ms (mean, peak, anon/file split at the peak) and at the peak of pending timer
 *     messages (acknowledged, not yet received); CPU of the broker, its name server and the driver from READY to the
 *     driver's end (/proc), and broker CPU per 1000 messages; every second the broker's own timer figures
 *     (GET_BROKER_RUNTIME_INFO: timerOffsetBehind, entries of rmq_sys_wheel_timer not filed yet; timerReadBehind,
 *     seconds the read cursor is behind; timerCongestNum). Java computes timerCongestNum by walking its whole wheel
 *     (1.2 M slots), a few milliseconds of the Java broker's CPU per sample.
 *
 * The driver is interop's TimerBenchDriver (Java, the 5.3.3 client's DefaultMQProducer with asynchronous sends,
 * --threads threads and at most --inflight unanswered, and a DefaultMQPushConsumer, in one JVM), the same program
 * against both brokers, so the ratios compare brokers only. Not Apache's TimerProducer / TimerConsumer
 * (rocketmq-example, org.apache.rocketmq.example.benchmark.timer): their -n takes the value of -t, so they reach no
 * name server but localhost:9876 (here each broker has its own, on a free port); TimerProducer sends 100 slots x
 * 5000 messages per thread, all 2 minutes ahead on whole seconds + 10 ms, not a load spread over time; and
 * TimerConsumer's percentiles are read from a ConcurrentSkipListSet of the latencies, which holds each distinct
 * value once, so they are percentiles of distinct values, not of messages. Not a Node driver on our client: the
 * Java client is the reference the issue names and what users run, and a driver of ours would put our client's
 * costs and bugs into both brokers' figures.
 *
 * Prints a table, the ratios ours/Java and a final JSON line.
 */
import { loadavg } from 'node:os';
import { decodeKVTable } from '../src/protocol/bodies/index.js';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../src/index.js';
import { buildInterop, startJava, type JavaProcess } from '../test/helpers/java.js';
import {
  JAVA_VERSION, benchArgs, configureProgress, deployUsage, cores, deployBroker, fmt, intOption, machineInfo, mean, openWindow, parseBenchArgs,
  processCpuSeconds, progress, ratio, readRss, round2, rssSummary, runBench, runPhases, sleep, storedMessages,
  type BenchArgs, type BrokerKind, type MeasuredWindow, type RssSummary,
} from './deploy.js';

const TIMER_TOPIC = 'rmq_sys_wheel_timer';
const DRIVER = 'io.rocketmqts.interop.TimerBenchDriver';
/** Java's MessageStoreConfig.setTimerPrecisionMs takes the largest of these not above the value. */
const JAVA_PRECISIONS = [100, 200, 500, 1000];
const SAMPLE_MILLIS = 1000;

const USAGE = `usage: node dist-test/bench/timer.js [options]
  --messages <n>           timer messages per broker (default 1000000)
  --spread-seconds <s>     the sends are paced evenly over this long (default 60): target messages/s = n / s
  --unpaced                send as fast as the broker answers (at most --inflight unanswered) instead
  --max-delay-seconds <s>  a message's deliver time is its send time plus a uniform draw up to this (default 120)
  --min-delay-seconds <s>  ... and at least this (default 1)
  --precision-ms <ms>      timerPrecisionMs of both brokers: 100, 200, 500 or 1000 (default 1000, Java's)
  --settle-seconds <s>     after the last deliver time, wait this long at most for missing messages (default 30)
  --warmup <s>             first, unmeasured, timer messages at the same rate for this long, due 1-5 s after their
                           send, all consumed before the measured sends begin (default 30; JIT warm-up)
  --threads <n>            sending threads of the driver (default 16)
  --inflight <n>           unanswered asynchronous sends at most (default 1024)
  --consume-threads <n>    the push consumer's consume threads (default 20, Java's)
  --size <bytes>           message body size, >= 16 (default 1024)
  --java-heap-mb <n>       the Java broker's heap and direct memory (default 512, as in bench:broker)
  --client-heap-mb <n>     heap of the driver's JVM (default 512)
${deployUsage(24, 'BenchTimerTopic')}`;

interface Options extends BenchArgs {
  messages: number;
  spreadSeconds: number;
  unpaced: boolean;
  minDelaySeconds: number;
  maxDelaySeconds: number;
  precisionMs: number;
  settleSeconds: number;
  inflight: number;
  consumeThreads: number;
  javaHeapMb: number;
}

function parseOptions(argv: string[]): Options | 'help' {
  const values = parseBenchArgs(argv, {
    messages: { type: 'string' },
    'spread-seconds': { type: 'string' },
    unpaced: { type: 'boolean' },
    'min-delay-seconds': { type: 'string' },
    'max-delay-seconds': { type: 'string' },
    'precision-ms': { type: 'string' },
    'settle-seconds': { type: 'string' },
    inflight: { type: 'string' },
    'consume-threads': { type: 'string' },
    'java-heap-mb': { type: 'string' },
  });
  if (values.help === true) return 'help';
  if (values.seconds !== undefined) throw new Error('--seconds is not an option of bench:timer (see --spread-seconds)');
  const precisionMs = intOption('precision-ms', values['precision-ms'], 1000, 1);
  if (!JAVA_PRECISIONS.includes(precisionMs)) throw new Error(`--precision-ms must be one of ${JAVA_PRECISIONS.join(', ')} (Java rounds anything else down to one of them)`);
  const minDelaySeconds = intOption('min-delay-seconds', values['min-delay-seconds'], 1, 1);
  const maxDelaySeconds = intOption('max-delay-seconds', values['max-delay-seconds'], 120, minDelaySeconds);
  if (maxDelaySeconds > 3 * 24 * 3600) throw new Error('--max-delay-seconds: the brokers refuse deliver times more than 3 days ahead (timerMaxDelaySec)');
  return {
    ...benchArgs(values, { topic: 'BenchTimerTopic', threads: 16, size: 1024, minSize: 16 }),
    messages: intOption('messages', values.messages, 1_000_000, 1),
    spreadSeconds: intOption('spread-seconds', values['spread-seconds'], 60, 1),
    unpaced: values.unpaced === true,
    minDelaySeconds,
    maxDelaySeconds,
    precisionMs,
    settleSeconds: intOption('settle-seconds', values['settle-seconds'], 30, 1),
    inflight: intOption('inflight', values.inflight, 1024, 1),
    consumeThreads: intOption('consume-threads', values['consume-threads'], 20, 1),
    javaHeapMb: intOption('java-heap-mb', values['java-heap-mb'], 512, 256),
  };
}

/** Messages per second the driver is asked for; 0 = unpaced. */
const targetRate = (options: Options): number => (options.unpaced ? 0 : options.messages / options.spreadSeconds);

// ------------------------------------------------------------------------------------------------------------------
// The driver's output (TimerBenchDriver.java)

/** The driver's warm-up: timer messages sent, acknowledged, failed and received, and how long it took. */
interface Warmup {
  ms: number;
  sent: number;
  acked: number;
  failed: number;
  received: number;
}

interface Summary {
  count: number;
  mean?: number;
  min?: number;
  p50?: number;
  p90?: number;
  p99?: number;
  p999?: number;
  max?: number;
}

interface DriverStats {
  t: number;
  issued: number;
  acked: number;
  failed: number;
  received: number;
  duplicates: number;
  early: number;
}

interface DriverResult {
  /** The driver's own CPU time from READY to RESULT. */
  cpu_ms: number;
  first_send_ms: number;
  last_answer_ms: number;
  last_deliver_ms: number;
  issued: number;
  acked: number;
  failed: number;
  failure_samples: string[];
  send_rt_us: Summary;
  received: number;
  duplicates: number;
  missing: number;
  arrived_unacked: number;
  early: number;
  store_early: number;
  lateness_ms: Summary;
  store_lateness_ms: Summary;
  slot_lateness_ms: Summary;
  store_slot_lateness_ms: Summary;
  lateness_by_deliver_10s: (Summary & { from_s: number })[];
}

function driverLines<T>(stdout: string, tag: string): T[] {
  return [...stdout.matchAll(new RegExp(`^${tag} (\\{.*\\})\\s*$`, 'gm'))].map((m) => JSON.parse(m[1] as string) as T);
}

function startDriver(namesrvAddr: string, options: Options, classpath: string, label: string): Promise<JavaProcess> {
  return startJava({
    mainClass: DRIVER,
    name: `bench-timer-driver-${label}`,
    classpath,
    heapMb: options.clientHeapMb,
    args: [
      ...['--namesrv', namesrvAddr, '--topic', options.topic, '--queues', String(options.queues), '--messages', String(options.messages)],
      ...['--rate', String(targetRate(options)), '--min-delay-ms', String(options.minDelaySeconds * 1000), '--max-delay-ms', String(options.maxDelaySeconds * 1000)],
      ...['--size', String(options.size), '--threads', String(options.threads), '--inflight', String(options.inflight)],
      ...['--consume-threads', String(options.consumeThreads), '--precision-ms', String(options.precisionMs), '--settle-ms', String(options.settleSeconds * 1000)],
      ...['--warmup-ms', String(options.warmup * 1000)],
      // The Java benchmark tools use the binary header for themselves.
      ...['--serialize', 'ROCKETMQ'],
    ],
    readyLine: /^READY/,
    readyTimeoutMs: (180 + options.warmup + options.settleSeconds) * 1000,
  });
}

// ------------------------------------------------------------------------------------------------------------------
// The broker's figures, every second

interface Sample {
  t: number;
  rssKib: number | null;
  cpuSeconds: number;
  /** GET_BROKER_RUNTIME_INFO's timer keys; null when the request failed. */
  offsetBehind: number | null;
  readBehind: number | null;
  congest: number | null;
}

async function timerRuntimeInfo(client: RemotingClient, brokerAddr: string): Promise<Map<string, string> | undefined> {
  try {
    const response = await client.invokeSync(brokerAddr, RemotingCommand.createRequestCommand(RequestCode.GET_BROKER_RUNTIME_INFO), 3000);
    return response.code === ResponseCode.SUCCESS ? decodeKVTable(response.body) : undefined;
  } catch {
    return undefined;
  }
}

/** Samples the broker every second until the returned function is called; it resolves with the samples. */
function sampleBroker(client: RemotingClient, brokerAddr: string, brokerPid: number): () => Promise<Sample[]> {
  const samples: Sample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const began = Date.now();
      const [rss, cpuSeconds, info] = await Promise.all([readRss(brokerPid), processCpuSeconds(brokerPid), timerRuntimeInfo(client, brokerAddr)]);
      const num = (key: string): number | null => {
        const n = Number(info?.get(key));
        return info === undefined || !Number.isFinite(n) ? null : n;
      };
      samples.push({ t: began, rssKib: rss?.rss ?? null, cpuSeconds, offsetBehind: num('timerOffsetBehind'), readBehind: num('timerReadBehind'), congest: num('timerCongestNum') });
      await sleep(Math.max(0, SAMPLE_MILLIS - (Date.now() - began)));
    }
  })();
  return async () => {
    running = false;
    await loop;
    return samples;
  };
}

// ------------------------------------------------------------------------------------------------------------------
// One phase: a broker

interface Result {
  broker: BrokerKind;
  version: string;
  probe_round_trips_per_s: number;
  startup_ms: number;
  warmup: Warmup | null;
  target_tps: number | null;
  /** Acknowledged sends per second, first send to last answer. */
  enqueue_tps: number | null;
  send_seconds: number;
  send_rt_ms: { mean: number | null; p50: number | null; p99: number | null; max: number | null };
  acked: number;
  failed: number;
  failure_samples: string[];
  received: number;
  missing: number;
  duplicates: number;
  arrived_unacked: number;
  early: number;
  store_early: number;
  lateness_ms: Summary;
  slot_lateness_ms: Summary;
  store_lateness_ms: Summary;
  /** The broker's put of the delivery (storeTimestamp) past the slot's end: its own delay, without the consumer's. */
  store_slot_lateness_ms: Summary;
  lateness_by_deliver_10s: (Summary & { from_s: number })[];
  /** What the broker stored: timer messages accepted into rmq_sys_wheel_timer, and deliveries into the topic. */
  broker_timer_stored: number | null;
  broker_delivered: number | null;
  /** The driver's view: acknowledged minus received, at its peak, and the broker's RSS then (MiB). */
  pending_peak: number;
  pending_peak_at_s: number | null;
  rss_at_pending_peak_mib: number | null;
  /** The broker's own figures, maxima over the samples. */
  broker_offset_behind_max: number | null;
  broker_read_behind_max_s: number | null;
  broker_congest_max: number | null;
  cpu: { broker: number | null; namesrv: number | null; driver: number | null; machine: number };
  /** Broker CPU milliseconds per 1000 acknowledged timer messages (their enqueue, delivery and consumption). */
  broker_cpu_ms_per_1k: number | null;
  /** Broker CPU as cores while sending, and from the last answer to the end. */
  broker_cpu_sending: number | null;
  broker_cpu_after: number | null;
  window_seconds: number;
  rss_mib: RssSummary;
  /** Every 5 s from READY: seconds, broker RSS MiB, pending (driver), the broker's offset behind and read behind. */
  timeline: { s: number; rss_mib: number | null; pending: number | null; offset_behind: number | null; read_behind: number | null }[];
}

const mibOf = (kib: number | null | undefined): number | null => (kib === null || kib === undefined ? null : Math.round(kib / 102.4) / 10);
const maxOf = (xs: (number | null)[]): number | null => {
  const known = xs.filter((x): x is number => x !== null);
  return known.length === 0 ? null : Math.max(...known);
};

/** The sample closest in time to `t`. */
function nearest(samples: Sample[], t: number): Sample | undefined {
  return samples.reduce<Sample | undefined>((best, s) => (best === undefined || Math.abs(s.t - t) < Math.abs(best.t - t) ? s : best), undefined);
}

/** Broker CPU as cores between two instants, from the samples around them. */
function cpuBetween(samples: Sample[], from: number, to: number): number | null {
  const a = nearest(samples, from);
  const b = nearest(samples, to);
  if (a === undefined || b === undefined || b.t <= a.t) return null;
  return cores(b.cpuSeconds - a.cpuSeconds, (b.t - a.t) / 1000);
}

function pendingAt(stats: DriverStats[], t: number): number | null {
  let last: DriverStats | undefined;
  for (const s of stats) {
    if (s.t > t) break;
    last = s;
  }
  return last === undefined ? null : last.acked - last.received;
}

/** How long a phase may take once the driver is ready, and with its start and warm-up (the watchdog's budget). */
function phaseBudgetMs(options: Options): number {
  const sending = options.unpaced ? options.messages / 1000 : options.spreadSeconds * 3;
  return (sending + options.maxDelaySeconds + options.settleSeconds + 180) * 1000;
}
const phaseTotalMs = (options: Options): number => phaseBudgetMs(options) + (options.warmup + options.settleSeconds + 300) * 1000;

async function benchPhase(broker: BrokerKind, options: Options, client: RemotingClient): Promise<Result> {
  const brokerConfig = { timerPrecisionMs: options.precisionMs };
  const { deployment, probe, rssReady } = await deployBroker(broker, { ...options, brokerConfig }, client, false);
  let driver: JavaProcess | undefined;
  let window: MeasuredWindow | undefined;
  let stopSampling: (() => Promise<Sample[]>) | undefined;
  try {
    progress(`${broker}: topic ${options.topic} (${options.queues} queues) created; starting the driver (warm-up: 1000 ordinary messages, then ${options.warmup} s of timer messages)`);
    driver = await startDriver(deployment.namesrvAddr, options, (await buildInterop(JAVA_VERSION)).classpath, broker);
    const t0 = Date.now();
    // What the warm-up left in the topic and the timer topic.
    const delivered0 = await storedMessages(client, deployment, options.topic, options.queues);
    const timerStored0 = await storedMessages(client, deployment, TIMER_TOPIC, 1);
    // The driver reports its own CPU time (it has exited when the window closes).
    window = await openWindow([deployment.brokerPid, deployment.namesrvPid], deployment.brokerPid);
    stopSampling = sampleBroker(client, deployment.brokerAddr, deployment.brokerPid);
    progress(`${broker}: sending ${fmt(options.messages)} timer messages ${options.unpaced ? 'unpaced' : `at ${fmt(targetRate(options))}/s`}, delays ${options.minDelaySeconds}-${options.maxDelaySeconds} s`);

    const deadline = Date.now() + phaseBudgetMs(options);
    let exited = false;
    void driver.exit.then(() => (exited = true));
    let nextReport = Date.now() + 10_000;
    while (!exited) {
      if (Date.now() > deadline) throw new Error(`${broker}: the driver did not finish within ${phaseBudgetMs(options)} ms; stdout tail:\n${driver.stdout.slice(-3000)}`);
      await sleep(200);
      if (Date.now() >= nextReport) {
        nextReport += 10_000;
        const last = driverLines<DriverStats>(driver.stdout.slice(-2000), 'STATS').at(-1);
        const rss = await readRss(deployment.brokerPid);
        if (last !== undefined) {
          progress(
            `${broker}: ${Math.round((Date.now() - t0) / 1000)} s: acked ${fmt(last.acked)} of ${fmt(options.messages)} (failed ${fmt(last.failed)}), ` +
              `received ${fmt(last.received)}, pending ${fmt(last.acked - last.received)}, early ${fmt(last.early)}, broker RSS ${fmt(mibOf(rss?.rss))} MiB`,
          );
        }
      }
    }
    const t1 = Date.now();
    const measured = await window.stop();
    const samples = await stopSampling();
    stopSampling = undefined;
    const delivered = await storedMessages(client, deployment, options.topic, options.queues).catch(() => null);
    const timerStored = await storedMessages(client, deployment, TIMER_TOPIC, 1).catch(() => null);
    const status = await driver.exit;
    const result = driverLines<DriverResult>(driver.stdout, 'RESULT').at(-1);
    if (status !== 0 || result === undefined) throw new Error(`${broker}: the driver exited (${String(status)}) without a result; stdout tail:\n${driver.stdout.slice(-3000)}`);
    const stats = driverLines<DriverStats>(driver.stdout, 'STATS');

    const sendSeconds = Math.max(0.001, (result.last_answer_ms - result.first_send_ms) / 1000);
    const peak = stats.reduce<DriverStats | undefined>((best, s) => (best === undefined || s.acked - s.received > best.acked - best.received ? s : best), undefined);
    const wall = (t1 - t0) / 1000;
    const brokerCpu = measured.cpuSeconds[0];
    const ms = (us: number | undefined): number | null => (us === undefined ? null : round2(us / 1000));
    const r: Result = {
      broker,
      version: deployment.version,
      probe_round_trips_per_s: probe,
      startup_ms: Math.round(deployment.startupMs),
      warmup: driverLines<Warmup>(driver.stdout, 'WARMUP').at(-1) ?? null,
      target_tps: options.unpaced ? null : Math.round(targetRate(options)),
      enqueue_tps: Math.round(result.acked / sendSeconds),
      send_seconds: round2(sendSeconds),
      send_rt_ms: { mean: ms(result.send_rt_us.mean), p50: ms(result.send_rt_us.p50), p99: ms(result.send_rt_us.p99), max: ms(result.send_rt_us.max) },
      acked: result.acked,
      failed: result.failed,
      failure_samples: result.failure_samples,
      received: result.received,
      missing: result.missing,
      duplicates: result.duplicates,
      arrived_unacked: result.arrived_unacked,
      early: result.early,
      store_early: result.store_early,
      lateness_ms: result.lateness_ms,
      slot_lateness_ms: result.slot_lateness_ms,
      store_lateness_ms: result.store_lateness_ms,
      store_slot_lateness_ms: result.store_slot_lateness_ms,
      lateness_by_deliver_10s: result.lateness_by_deliver_10s,
      broker_timer_stored: timerStored === null ? null : timerStored - timerStored0,
      broker_delivered: delivered === null ? null : delivered - delivered0,
      pending_peak: peak === undefined ? 0 : peak.acked - peak.received,
      pending_peak_at_s: peak === undefined ? null : Math.round((peak.t - t0) / 1000),
      rss_at_pending_peak_mib: peak === undefined ? null : mibOf(nearest(samples, peak.t)?.rssKib),
      broker_offset_behind_max: maxOf(samples.map((s) => s.offsetBehind)),
      broker_read_behind_max_s: maxOf(samples.map((s) => s.readBehind)),
      broker_congest_max: maxOf(samples.map((s) => s.congest)),
      cpu: { broker: cores(brokerCpu, wall), namesrv: cores(measured.cpuSeconds[1], wall), driver: cores(result.cpu_ms / 1000, wall), machine: measured.machine },
      broker_cpu_ms_per_1k: brokerCpu === undefined || !Number.isFinite(brokerCpu) || result.acked === 0 ? null : round2((brokerCpu * 1e6) / result.acked),
      broker_cpu_sending: cpuBetween(samples, result.first_send_ms, result.last_answer_ms),
      broker_cpu_after: cpuBetween(samples, result.last_answer_ms, t1),
      window_seconds: Math.round(wall),
      rss_mib: rssSummary(rssReady, measured.rss),
      timeline: samples
        .filter((_, i) => i % 5 === 0)
        .map((s) => ({ s: Math.round((s.t - t0) / 1000), rss_mib: mibOf(s.rssKib), pending: pendingAt(stats, s.t), offset_behind: s.offsetBehind, read_behind: s.readBehind })),
    };
    progress(
      `${broker}: enqueue ${fmt(r.enqueue_tps)}/s, lateness p50 ${fmt(r.lateness_ms.p50)} p99 ${fmt(r.lateness_ms.p99)} max ${fmt(r.lateness_ms.max)} ms, early ${r.early}, ` +
        `missing ${r.missing}, RSS peak ${fmt(r.rss_mib.peak)} MiB (${fmt(r.rss_at_pending_peak_mib)} at ${fmt(r.pending_peak)} pending), broker CPU ${fmt(r.cpu.broker, 2)}`,
    );
    return r;
  } finally {
    window?.dispose();
    if (stopSampling !== undefined) await stopSampling();
    progress(`${broker}: stopping`);
    await driver?.stop(3000);
    await deployment.stop();
  }
}

// ------------------------------------------------------------------------------------------------------------------
// Output

const trio = (s: Summary, keys: (keyof Summary)[]): string => keys.map((k) => fmt(s[k])).join(' / ');
const brokerName = (r: Result): string => (r.broker === 'ours' ? 'ours' : `Java ${r.version}`);

function printTables(results: Result[]): void {
  const rows = [
    "| broker | target msg/s | enqueue TPS | send RT avg / p99 / max ms | acked / failed | received / missing / dup | early (consumer / store) | lateness p50 / p99 / p99.9 / max ms | past the slot p50 / p99 / max ms | the broker's put past the slot p50 / p99 / max ms | probe k/s |",
    '|---|---:|---:|---|---|---|---|---|---|---|---:|',
  ];
  for (const r of results) {
    rows.push(
      `| ${brokerName(r)} | ${r.target_tps === null ? 'unpaced' : fmt(r.target_tps)} | ${fmt(r.enqueue_tps)} | ${fmt(r.send_rt_ms.mean, 2)} / ${fmt(r.send_rt_ms.p99, 1)} / ${fmt(r.send_rt_ms.max)} | ` +
        `${fmt(r.acked)} / ${fmt(r.failed)} | ${fmt(r.received)} / ${fmt(r.missing)} / ${fmt(r.duplicates)} | ${fmt(r.early)} / ${fmt(r.store_early)} | ` +
        `${trio(r.lateness_ms, ['p50', 'p99', 'p999', 'max'])} | ${trio(r.slot_lateness_ms, ['p50', 'p99', 'max'])} | ${trio(r.store_slot_lateness_ms, ['p50', 'p99', 'max'])} | ${fmt(r.probe_round_trips_per_s / 1000, 1)} |`,
    );
  }
  rows.push(
    '',
    '| broker | RSS ready / mean / peak MiB | peak anon / file MiB | pending peak (at s) | RSS at the pending peak MiB | CPU broker / driver / machine | broker CPU sending / after | broker CPU ms per 1k msgs | timer offset behind max | read behind max s |',
    '|---|---|---|---|---:|---|---|---:|---:|---:|',
  );
  for (const r of results) {
    rows.push(
      `| ${brokerName(r)} | ${fmt(r.rss_mib.ready)} / ${fmt(r.rss_mib.mean)} / ${fmt(r.rss_mib.peak)} | ${fmt(r.rss_mib.peak_anon)} / ${fmt(r.rss_mib.peak_file)} | ` +
        `${fmt(r.pending_peak)} (${fmt(r.pending_peak_at_s)}) | ${fmt(r.rss_at_pending_peak_mib)} | ${fmt(r.cpu.broker, 2)} / ${fmt(r.cpu.driver, 2)} / ${fmt(r.cpu.machine, 2)} | ` +
        `${fmt(r.broker_cpu_sending, 2)} / ${fmt(r.broker_cpu_after, 2)} | ${fmt(r.broker_cpu_ms_per_1k)} | ${fmt(r.broker_offset_behind_max)} | ${fmt(r.broker_read_behind_max_s)} |`,
    );
  }
  process.stdout.write(`${rows.join('\n')}\n`);
  for (const r of results) {
    const buckets = r.lateness_by_deliver_10s.map((b) => `${b.from_s}s:${fmt(b.p99)}`).join(' ');
    process.stdout.write(`\n${brokerName(r)}: lateness p99 ms by deliver time (10 s buckets from the first send): ${buckets}\n`);
  }
}

// ------------------------------------------------------------------------------------------------------------------
// Main

async function main(options: Options): Promise<number> {
  configureProgress('timer', options.quiet);
  const load0 = loadavg()[0] ?? 0;
  const budget = { warmup: 0, seconds: Math.ceil(phaseTotalMs(options) / 1000) };
  const results = await runPhases(options.brokers, budget, (broker, client) => benchPhase(broker, options, client));

  // A broker run more than once (--brokers ours,java,java,ours) counts with its mean.
  const of = (broker: BrokerKind, field: (r: Result) => number | null | undefined): number | undefined =>
    mean(results.filter((r) => r.broker === broker).map(field).filter((v): v is number => typeof v === 'number')) ?? undefined;
  const oursOverJava = (field: (r: Result) => number | null | undefined): number | null => ratio(of('ours', field), of('java', field));
  const ratios = {
    enqueue_tps: oursOverJava((r) => r.enqueue_tps),
    lateness_p50: oursOverJava((r) => r.lateness_ms.p50),
    lateness_p99: oursOverJava((r) => r.lateness_ms.p99),
    lateness_max: oursOverJava((r) => r.lateness_ms.max),
    slot_lateness_p99: oursOverJava((r) => r.slot_lateness_ms.p99),
    store_slot_lateness_p99: oursOverJava((r) => r.store_slot_lateness_ms.p99),
    rss_peak: oursOverJava((r) => r.rss_mib.peak),
    rss_at_pending_peak: oursOverJava((r) => r.rss_at_pending_peak_mib),
    broker_cpu_per_msg: oursOverJava((r) => r.broker_cpu_ms_per_1k),
  };
  const oursP99 = of('ours', (r) => r.lateness_ms.p99);
  const javaP99 = of('java', (r) => r.lateness_ms.p99);
  const oursResults = results.filter((r) => r.broker === 'ours');
  const targets = {
    lateness_p99_le_java: oursP99 === undefined || javaP99 === undefined ? null : oursP99 <= javaP99,
    lateness_p99_lt_1s: oursP99 === undefined ? null : oursP99 < 1000,
    enqueue_tps_ge_1_2x: ratios.enqueue_tps === null ? null : ratios.enqueue_tps >= 1.2,
    no_early: oursResults.length === 0 ? null : oursResults.every((r) => r.early === 0 && r.store_early === 0),
    none_missing: oursResults.length === 0 ? null : oursResults.every((r) => r.missing === 0 && r.duplicates === 0),
  };
  if (!options.jsonOnly) {
    process.stdout.write(
      `\nbench:timer: ${fmt(options.messages)} timer messages per broker, ${options.unpaced ? 'unpaced' : `paced over ${options.spreadSeconds} s (${fmt(targetRate(options))}/s)`}, ` +
        `deliver times ${options.minDelaySeconds}-${options.maxDelaySeconds} s after the send (uniform), after a ${options.warmup} s warm-up, timerPrecisionMs ${options.precisionMs}, ${options.size} B bodies, ` +
        `topic ${options.topic} x ${options.queues} queues, driver: ${options.threads} threads, ${options.inflight} in flight, Java 5.3.3 client\n\n`,
    );
    printTables(results);
    process.stdout.write(
      `\nours / Java: enqueue TPS ${fmt(ratios.enqueue_tps, 2)}x; lateness p50 ${fmt(ratios.lateness_p50, 2)}x, p99 ${fmt(ratios.lateness_p99, 2)}x, max ${fmt(ratios.lateness_max, 2)}x, ` +
        `past the slot p99 ${fmt(ratios.slot_lateness_p99, 2)}x (the broker's put: ${fmt(ratios.store_slot_lateness_p99, 2)}x); peak RSS ${fmt((ratios.rss_peak ?? NaN) * 100, 1)} %; broker CPU per message ${fmt(ratios.broker_cpu_per_msg, 2)}x\n` +
        `targets: ${JSON.stringify(targets)}\n`,
    );
  }
  process.stdout.write(
    `${JSON.stringify({
      bench: 'timer',
      ours_enqueue_tps: of('ours', (r) => r.enqueue_tps) ?? null,
      java_enqueue_tps: of('java', (r) => r.enqueue_tps) ?? null,
      ours_lateness_p99_ms: oursP99 ?? null,
      java_lateness_p99_ms: javaP99 ?? null,
      ratios,
      targets,
      results,
      params: {
        messages: options.messages,
        spread_seconds: options.spreadSeconds,
        unpaced: options.unpaced,
        target_tps: options.unpaced ? null : round2(targetRate(options)),
        min_delay_seconds: options.minDelaySeconds,
        max_delay_seconds: options.maxDelaySeconds,
        precision_ms: options.precisionMs,
        settle_seconds: options.settleSeconds,
        warmup_seconds: options.warmup,
        threads: options.threads,
        inflight: options.inflight,
        consume_threads: options.consumeThreads,
        size: options.size,
        queues: options.queues,
        topic: options.topic,
        segment_mib: options.segmentMib,
        java_heap_mb: options.javaHeapMb,
        client_heap_mb: options.clientHeapMb,
        java_version: JAVA_VERSION,
        driver: DRIVER,
      },
      ...machineInfo(load0),
    })}\n`,
  );
  return 0;
}

await runBench('timer', USAGE, parseOptions, main);

