/**
 * `npm run bench:transaction`: transactional sends with check-backs, against our broker and the Java 5.3.3 broker in
 * the same run, by Apache RocketMQ's benchmark tool (org.apache.rocketmq.example.benchmark.TransactionProducer, from
 * the rocketmq-example artifact) and by our TransactionProducer doing the same workload (transaction-worker.ts).
 * One phase per broker and producer, each on a fresh deployment (bench/deploy.ts: its own name server, a fresh
 * store, the topic created with mqadmin), so no phase inherits the half messages another left to be checked:
 *   - both brokers run with transactionCheckInterval and transactionTimeOut set short (--check-interval,
 *     --tx-timeout; Java's defaults, 30 s and 6 s, would check once in a 30 s window), everything else default;
 *   - the producer sends from --threads loops (the tool's threads; our concurrent sendMessageInTransaction calls),
 *     --size byte bodies, with the tool's answers drawn from --send-rollback, --send-unknown, --check-rollback and
 *     --check-unknown (its -sr, -su, -cr, -cu; the tool's own defaults are all 0: every transaction committed at
 *     send, nothing ever checked). The warm-up begins with the broker's first half message, then --seconds count;
 *   - the Java tool's figures are its reports (-ri 1000: each over the 9 s before it) that lie inside the window,
 *     and its "unexpected check" lines; ours are counted in our producer's process. Check latency is measured by
 *     ours only (the tool has no figure for it): a first check's arrival minus the message's born time, and the
 *     time between checks of one message;
 *   - the broker's RSS every 500 ms and the CPU time of the broker, its name server and the producer over the
 *     window; the broker's own counts: messages committed into the topic and written to the half queue per second
 *     (the half queue gets every half message and, for every check, the copy put back).
 * Prints a table, the ratios ours/Java and a final JSON line.
 */
import path from 'node:path';
import { loadavg } from 'node:os';
import { RemotingClient } from '../src/index.js';
import { REPO_ROOT, buildInterop, startJava, type JavaProcess } from '../test/helpers/java.js';
import {
  JAVA_VERSION, REPORT_WINDOW_MILLIS, benchArgs, benchParams, configureProgress, cores, deployBroker, fmt, intOption, machineInfo,
  mean, nullableRound, openWindow, parseBenchArgs, parseReports, progress, ratio, reportInWindow, round2, rssSummary, runBench,
  runPhases, sleep, sleepWhileRunning, storedMessages, weighted,
  type BenchArgs, type BrokerKind, type Deployment, type MeasuredWindow, type RssSummary,
} from './deploy.js';
import type { LatencySummary, TxWorkerConfig, TxWorkerResult, TxWorkload } from './transaction-worker.js';
import { forkWorker, type ForkedWorker } from './worker-ipc.js';

const HALF_TOPIC = 'RMQ_SYS_TRANS_HALF_TOPIC';
/** The Java tool's producer group; ours uses the same (every phase has a broker of its own). */
const GROUP = 'benchmark_transaction_producer';

type ProducerKind = 'java' | 'ts';

const USAGE = `usage: node dist-test/bench/transaction.js [options]
  --seconds <s>          measured seconds per phase (default 30)
  --warmup <s>           the producer runs this long first, from the broker's first half message (default 30)
  --threads <n>          sending threads of the Java tool, concurrent sends of ours (default 32, the tool's)
  --size <bytes>         message body size, >= 37 (default 2048, the tool's)
  --send-rollback <p>    local transactions answering ROLLBACK (the tool's -sr; default 0.1)
  --send-unknown <p>     of the others, those answering UNKNOW, left to the check (-su; default 0.1)
  --check-rollback <p>   checks answered ROLLBACK (-cr; default 0.1)
  --check-unknown <p>    of the others, checks answered UNKNOW, checked again (-cu; default 0.5)
  --check-interval <ms>  transactionCheckInterval of both brokers (default 1000; Java's default 30000)
  --tx-timeout <ms>      transactionTimeOut of both brokers: a half message is first checked once this old (default
                         3000; Java's default 6000. Not much below 3000: Java writes commit/rollback records in
                         batches, transactionOpBatchInterval 3000 ms apart when traffic is light)
  --queues <n>           queues of the topic (default 8)
  --topic <name>         topic to create and use (default BenchTxTopic)
  --segment-mib <n>      commit-log segment size of both brokers (default 256)
  --brokers <b,...>      ours, java, in this order (default ours,java); repeated ones count with their mean
  --producers <p,...>    java, ts: the Java tool and ours, in this order on each broker (default java,ts)
  --client-heap-mb <n>   heap of the Java tool's JVM (default 512)
  --cpu-prof <dir>       write a CPU profile of our producer's measured window per broker into <dir>
  --profile-ours <dir>   run our broker with --cpu-prof, the profile written to <dir> when it stops
  --ours-node-args <a>   extra Node options for our broker, space-separated
  --ours-main <file>     our CLI (default dist/cli/main.js of this repository), e.g. another build for A/B
  --keep                 keep our stores' temp dirs (their paths are printed)
  --json-only            print only the final JSON line on stdout (progress still goes to stderr)
  --quiet                no progress lines on stderr
  -h, --help             this text`;

interface Options extends BenchArgs, TxWorkload {
  checkInterval: number;
  txTimeout: number;
  producers: ProducerKind[];
  cpuProf: string | undefined;
}

interface Result {
  broker: BrokerKind;
  producer: ProducerKind;
  version: string;
  probe_round_trips_per_s: number;
  startup_ms: number;
  /** Transactions per second whose half message was stored (SEND_OK). */
  send_tps: number | null;
  send_avg_rt_ms: number | null;
  /** Java tool: the largest of its per-second maxima in the window; ours: the window's. */
  send_max_rt_ms: number | null;
  /** Sends that failed in the window (Java tool: from its 9 s reports' rate, so approximate). */
  send_failed: number | null;
  /** Checks of this run's messages per second, counted by the producer. */
  checks_per_s: number | null;
  unexpected_checks: { window: number | null; run: number | null };
  /** The first few unexpected checks as described by the producer (the tool's own lines for the Java tool). */
  unexpected_samples: string[];
  duplicated_checks: number | null;
  /** Ours only: see transaction-worker.ts. */
  first_check_ms: LatencySummary | null;
  recheck_ms: LatencySummary | null;
  resolved_ms: LatencySummary | null;
  unchecked: number | null;
  checks_without_check_times: number | null;
  /**
   * Checks the broker failed to send, whole phase: its "Check transaction failed" log lines (no producer channel, or
   * the oneway request not sent, e.g. no permit of serverOnewaySemaphoreValue within 10 ms). The half message was
   * put back with its check count raised, so the transaction is asked about again one round later.
   */
  broker_checks_failed: number | null;
  /** Ours only, whole run: checks our producer dropped (its queue of 2000 full), and its other warnings. */
  checks_dropped: number | null;
  producer_warnings: { count: number; samples: string[] } | null;
  max_check_times: number | null;
  /** Ours only: the local transactions' and the checks' answers in the window. */
  states: TxWorkerResult['states'] | null;
  check_answers: TxWorkerResult['checkAnswers'] | null;
  /** The broker's own counts over the window: messages committed into the topic, and written to the half queue. */
  broker_committed_per_s: number;
  broker_half_per_s: number;
  /** Half-queue writes beyond the producer's sends: the copies put back for checks (estimated). */
  broker_checks_per_s_est: number | null;
  cpu: { broker: number | null; namesrv: number | null; producer: number | null; machine: number };
  /** Broker CPU milliseconds per 1000 transactions sent. */
  broker_cpu_ms_per_1k_tx: number | null;
  producer_cpu_ms_per_1k_tx: number | null;
  rss_mib: RssSummary;
  send_tps_series: number[];
}

function probability(name: string, raw: string | undefined, fallback: number): number {
  const p = raw === undefined ? fallback : Number(raw);
  if (!(p >= 0 && p <= 1)) throw new Error(`--${name} must be a number from 0 to 1, not '${raw}'`);
  return p;
}

function parseOptions(argv: string[]): Options | 'help' {
  const values = parseBenchArgs(argv, {
    'send-rollback': { type: 'string' },
    'send-unknown': { type: 'string' },
    'check-rollback': { type: 'string' },
    'check-unknown': { type: 'string' },
    'check-interval': { type: 'string' },
    'tx-timeout': { type: 'string' },
    producers: { type: 'string' },
    'cpu-prof': { type: 'string' },
  });
  if (values.help === true) return 'help';
  const producers = (values.producers ?? 'java,ts').split(',').map((p) => p.trim());
  for (const p of producers) if (p !== 'java' && p !== 'ts') throw new Error(`--producers: unknown producer '${p}' (java, ts)`);
  return {
    ...benchArgs(values, { topic: 'BenchTxTopic', threads: 32, size: 2048, minSize: 37 }),
    sendRollback: probability('send-rollback', values['send-rollback'], 0.1),
    sendUnknown: probability('send-unknown', values['send-unknown'], 0.1),
    checkRollback: probability('check-rollback', values['check-rollback'], 0.1),
    checkUnknown: probability('check-unknown', values['check-unknown'], 0.5),
    checkInterval: intOption('check-interval', values['check-interval'], 1000, 100),
    txTimeout: intOption('tx-timeout', values['tx-timeout'], 3000, 0),
    producers: producers as ProducerKind[],
    cpuProf: values['cpu-prof'],
  };
}

// ------------------------------------------------------------------------------------------------------------------
// The Java tool's output

interface TxReport {
  at: number;
  tps: number;
  maxRt: number;
  avgRt: number;
  failed: number;
  checks: number;
  unexpected: number;
  duplicated: number;
}

/** "Current Time: … | Send TPS: … | Max RT(ms): … | AVG RT(ms): … | Send Failed: … | Check: … | UnexpectedCheck: … | DuplicatedCheck: …" */
function parseTxReports(stdout: string): TxReport[] {
  const re =
    /Current Time: (\S+ \S+) \| Send TPS:\s*(\d+) \| Max RT\(ms\):\s*(\d+) \| AVG RT\(ms\):\s*([\d.]+|NaN|Infinity) \| Send Failed: (\d+) \| Check: (\d+) \| UnexpectedCheck: (\d+) \| DuplicatedCheck: (\d+)/g;
  return parseReports(stdout, re, ['tps', 'maxRt', 'avgRt', 'failed', 'checks', 'unexpected', 'duplicated']);
}

/** The tool's "HH:mm:ss,SSS unexpected check: …" lines and their times (local time, today, or yesterday past midnight). */
function unexpectedChecks(stdout: string): { at: number; line: string }[] {
  const now = Date.now();
  return [...stdout.matchAll(/^(\d{2}):(\d{2}):(\d{2}),(\d{3}) unexpected check:.*$/gm)].map((m) => {
    const at = new Date(now).setHours(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]));
    return { at: at > now + 3_600_000 ? at - 86_400_000 : at, line: m[0] };
  });
}

// ------------------------------------------------------------------------------------------------------------------
// One phase: a broker, a producer

interface Phase {
  deployment: Deployment;
  probe: number;
  t0: number;
  t1: number;
  /** Committed into the topic and written to the half queue over the window. */
  committed: number;
  halves: number;
  /** The window's CPU seconds of broker, name server, producer. */
  cpuSeconds: number[];
  machine: number;
  rss: RssSummary;
  checksFailed: number | null;
}

async function halfMessages(client: RemotingClient, deployment: Deployment): Promise<number> {
  return storedMessages(client, deployment, HALF_TOPIC, 1).catch(() => 0);
}

/** Waits for the broker's first half message: the producer is sending. */
async function firstHalf(client: RemotingClient, deployment: Deployment, producer: { name: string; exit: Promise<unknown>; stdout?: string }): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await halfMessages(client, deployment)) === 0) {
    if (Date.now() > deadline) throw new Error(`${producer.name} stored no half message within 60 s`);
    await sleepWhileRunning(100, [producer]);
  }
}

function startJavaTool(deployment: Deployment, options: Options, classpath: string, label: string): Promise<JavaProcess> {
  return startJava({
    mainClass: 'org.apache.rocketmq.example.benchmark.TransactionProducer',
    name: `bench-tx-producer-${label.replace('/', '-')}`,
    classpath,
    heapMb: options.clientHeapMb,
    // The tool prints nothing before its first report (10 s in): readiness is the broker's first half message.
    args: [
      ...['-n', deployment.namesrvAddr, '-t', options.topic, '-w', String(options.threads), '-s', String(options.size)],
      ...['-sr', String(options.sendRollback), '-su', String(options.sendUnknown)],
      ...['-cr', String(options.checkRollback), '-cu', String(options.checkUnknown), '-ri', '1000'],
    ],
  });
}

function startOurProducer(deployment: Deployment, options: Options): Promise<ForkedWorker<TxWorkerResult>> {
  const { threads, size, sendRollback, sendUnknown, checkRollback, checkUnknown } = options;
  const config: TxWorkerConfig = {
    ...{ namesrvAddr: deployment.namesrvAddr, topic: options.topic, group: GROUP },
    ...{ threads, size, sendRollback, sendUnknown, checkRollback, checkUnknown },
    // First checks come transactionTimeOut after the send, at the next check run at the latest.
    overdueMillis: options.txTimeout + 3 * options.checkInterval + 2000,
    ...(options.cpuProf === undefined ? {} : { profileFile: path.resolve(options.cpuProf, `${deployment.kind}-tx-producer.cpuprofile`) }),
  };
  return forkWorker<TxWorkerResult>(path.join(REPO_ROOT, 'dist-test/bench/transaction-worker.js'), [JSON.stringify(config)], 'our TransactionProducer');
}

function perThousand(cpuSeconds: number | undefined, transactions: number | null): number | null {
  return cpuSeconds === undefined || !Number.isFinite(cpuSeconds) || transactions === null || transactions <= 0 ? null : round2((cpuSeconds * 1e6) / transactions);
}

type Shared = Pick<
  Result,
  | 'broker'
  | 'producer'
  | 'version'
  | 'probe_round_trips_per_s'
  | 'startup_ms'
  | 'send_tps'
  | 'broker_committed_per_s'
  | 'broker_half_per_s'
  | 'broker_checks_per_s_est'
  | 'broker_checks_failed'
  | 'cpu'
  | 'broker_cpu_ms_per_1k_tx'
  | 'producer_cpu_ms_per_1k_tx'
  | 'rss_mib'
>;

/** The figures both producers' rows share: the broker's counts, CPU and RSS, given the producer's send TPS. */
function shared(phase: Phase, broker: BrokerKind, producer: ProducerKind, sendTps: number | null): Shared {
  const wall = (phase.t1 - phase.t0) / 1000;
  const transactions = sendTps === null ? null : sendTps * wall;
  const halfPerSecond = phase.halves / wall;
  return {
    broker,
    producer,
    version: phase.deployment.version,
    probe_round_trips_per_s: phase.probe,
    startup_ms: Math.round(phase.deployment.startupMs),
    send_tps: sendTps === null ? null : Math.round(sendTps),
    broker_committed_per_s: Math.round(phase.committed / wall),
    broker_half_per_s: Math.round(halfPerSecond),
    broker_checks_per_s_est: sendTps === null ? null : Math.round(halfPerSecond - sendTps),
    broker_checks_failed: phase.checksFailed,
    cpu: {
      broker: cores(phase.cpuSeconds[0], wall),
      namesrv: cores(phase.cpuSeconds[1], wall),
      producer: cores(phase.cpuSeconds[2], wall),
      machine: phase.machine,
    },
    broker_cpu_ms_per_1k_tx: perThousand(phase.cpuSeconds[0], transactions),
    producer_cpu_ms_per_1k_tx: perThousand(phase.cpuSeconds[2], transactions),
    rss_mib: phase.rss,
  };
}

function javaToolResult(tool: JavaProcess, phase: Phase, common: (sendTps: number | null) => Shared): Result {
  const { t0, t1 } = phase;
  const reports = parseTxReports(tool.stdout);
  const inWindow = reports.filter((r) => reportInWindow(r.at, t0, t1));
  // The tool resets its max RT at every report (each second): the reports from t0 + 1 s to t1 cover the window.
  const maxReports = reports.filter((r) => r.at >= t0 + 500 && r.at <= t1 + 500);
  const perSecond = (f: (r: TxReport) => number): number | null => {
    const m = mean(inWindow.map(f));
    return m === null ? null : (m * 1000) / REPORT_WINDOW_MILLIS;
  };
  const sendTps = mean(inWindow.map((r) => r.tps));
  const failedPerSecond = perSecond((r) => r.failed);
  const unexpected = unexpectedChecks(tool.stdout);
  return {
    ...common(sendTps),
    send_avg_rt_ms: nullableRound(weighted(inWindow.map((r) => r.avgRt), inWindow.map((r) => r.tps)), 3),
    send_max_rt_ms: maxReports.length === 0 ? null : Math.max(...maxReports.map((r) => r.maxRt)),
    send_failed: failedPerSecond === null ? null : Math.round((failedPerSecond * (t1 - t0)) / 1000),
    checks_per_s: nullableRound(perSecond((r) => r.checks), 1),
    unexpected_checks: { window: unexpected.filter(({ at }) => at >= t0 && at <= t1).length, run: unexpected.length },
    unexpected_samples: unexpected.slice(0, 5).map(({ line }) => line),
    duplicated_checks: inWindow.length === 0 ? null : Math.max(...inWindow.map((r) => r.duplicated)),
    first_check_ms: null,
    recheck_ms: null,
    resolved_ms: null,
    unchecked: null,
    checks_without_check_times: null,
    checks_dropped: null,
    producer_warnings: null,
    max_check_times: null,
    states: null,
    check_answers: null,
    send_tps_series: inWindow.map((r) => r.tps),
  };
}

function ourResult(worker: TxWorkerResult, common: (sendTps: number | null) => Shared): Result {
  return {
    ...common(worker.seconds > 0 ? worker.sent / worker.seconds : null),
    send_avg_rt_ms: worker.rtMeanMs,
    send_max_rt_ms: worker.rtMaxMs,
    send_failed: worker.failed,
    checks_per_s: worker.seconds > 0 ? nullableRound(worker.checks / worker.seconds, 1) : null,
    unexpected_checks: worker.unexpected,
    unexpected_samples: worker.unexpectedSamples,
    duplicated_checks: worker.duplicated.run,
    first_check_ms: worker.firstCheckMs,
    recheck_ms: worker.recheckMs,
    resolved_ms: worker.resolvedMs,
    unchecked: worker.unchecked,
    checks_without_check_times: worker.withoutCheckTimes,
    checks_dropped: worker.checksDropped,
    producer_warnings: { count: worker.warnings, samples: worker.warningSamples },
    max_check_times: worker.maxCheckTimes,
    states: worker.states,
    check_answers: worker.checkAnswers,
    send_tps_series: [],
  };
}

async function benchPhase(broker: BrokerKind, producer: ProducerKind, options: Options, client: RemotingClient): Promise<Result> {
  const label = `${broker}/${producer}`;
  const brokerConfig = { transactionCheckInterval: options.checkInterval, transactionTimeOut: options.txTimeout };
  const logPatterns = { checksFailed: /Check transaction failed/ };
  const { deployment, probe, rssReady } = await deployBroker(broker, { ...options, brokerConfig, logPatterns }, client, false, label);
  let tool: JavaProcess | undefined;
  let worker: ForkedWorker<TxWorkerResult> | undefined;
  let window: MeasuredWindow | undefined;
  try {
    progress(`${label}: topic ${options.topic} (${options.queues} queues) created; starting the ${producer === 'java' ? 'Java tool' : 'TypeScript'} TransactionProducer`);
    if (producer === 'java') tool = await startJavaTool(deployment, options, (await buildInterop(JAVA_VERSION)).classpath, label);
    else worker = await startOurProducer(deployment, options);
    const running = tool ?? { name: 'our TransactionProducer', pid: worker?.pid ?? -1, exit: worker?.exit ?? Promise.resolve(null) };
    await firstHalf(client, deployment, running);
    progress(`${label}: sending; warm-up ${options.warmup} s`);
    await sleepWhileRunning(options.warmup * 1000, [running]);

    const t0 = Date.now();
    const committed0 = await storedMessages(client, deployment, options.topic, options.queues);
    const halves0 = await halfMessages(client, deployment);
    window = await openWindow([deployment.brokerPid, deployment.namesrvPid, running.pid], deployment.brokerPid);
    worker?.measure();
    progress(`${label}: measuring ${options.seconds} s`);
    await sleepWhileRunning(options.seconds * 1000, [running]);
    const t1 = Date.now();
    const committed1 = await storedMessages(client, deployment, options.topic, options.queues);
    const halves1 = await halfMessages(client, deployment);
    const measured = await window.stop();
    const worked = worker === undefined ? undefined : await worker.stop();
    if (worked !== undefined && options.cpuProf !== undefined) progress(`${label}: CPU profile written to ${options.cpuProf}`);
    if (worked === undefined) await sleep(1500); // the report printed at t1 arrives
    const phase: Phase = {
      deployment,
      probe,
      t0,
      t1,
      committed: committed1 - committed0,
      halves: halves1 - halves0,
      cpuSeconds: measured.cpuSeconds,
      machine: measured.machine,
      rss: rssSummary(rssReady, measured.rss),
      checksFailed: (await deployment.logCounts())['checksFailed'] ?? null,
    };
    const common = (sendTps: number | null): Shared => shared(phase, broker, producer, sendTps);
    const result = worked !== undefined ? ourResult(worked, common) : javaToolResult(tool as JavaProcess, phase, common);
    progress(
      `${label}: ${fmt(result.send_tps)} tx/s, avg RT ${fmt(result.send_avg_rt_ms, 2)} ms, ${fmt(result.checks_per_s, 1)} checks/s, ` +
        `unexpected ${fmt(result.unexpected_checks.run)}, lost by the broker ${fmt(result.broker_checks_failed)}, broker CPU ${fmt(result.cpu.broker, 2)}, RSS peak ${fmt(result.rss_mib.peak)} MiB`,
    );
    return result;
  } finally {
    window?.dispose();
    progress(`${label}: stopping`);
    worker?.kill();
    await tool?.stop(3000);
    await deployment.stop();
  }
}

// ------------------------------------------------------------------------------------------------------------------
// Output

const latency = (s: LatencySummary | null): string => (s === null ? '-' : `${fmt(s.p50)} / ${fmt(s.p99)}`);

function printTable(results: Result[]): void {
  const rows = [
    '| broker | producer | send TPS | RT avg / max ms | failed | checks/s (producer / broker est.) | unexpected window / run | dup | first check ms p50 / p99 | re-check ms p50 / p99 | resolved ms p50 / p99 | unchecked | checks lost by the broker | committed/s | CPU broker / producer | broker CPU ms / 1k tx | RSS mean / peak MiB | probe k/s |',
    '|---|---|---:|---|---:|---|---|---:|---|---|---|---:|---:|---:|---|---:|---|---:|',
  ];
  for (const r of results) {
    rows.push(
      `| ${r.broker === 'ours' ? 'ours' : `Java ${r.version}`} | ${r.producer === 'java' ? 'Java tool' : 'ours (TS)'} | ${fmt(r.send_tps)} | ${fmt(r.send_avg_rt_ms, 2)} / ${fmt(r.send_max_rt_ms)} | ${fmt(r.send_failed)} | ` +
        `${fmt(r.checks_per_s)} / ${fmt(r.broker_checks_per_s_est)} | ${fmt(r.unexpected_checks.window)} / ${fmt(r.unexpected_checks.run)} | ${fmt(r.duplicated_checks)} | ` +
        `${latency(r.first_check_ms)} | ${latency(r.recheck_ms)} | ${latency(r.resolved_ms)} | ${fmt(r.unchecked)} | ${fmt(r.broker_checks_failed)} | ${fmt(r.broker_committed_per_s)} | ` +
        `${fmt(r.cpu.broker, 2)} / ${fmt(r.cpu.producer, 2)} | ${fmt(r.broker_cpu_ms_per_1k_tx)} | ${fmt(r.rss_mib.mean)} / ${fmt(r.rss_mib.peak)} | ${fmt(r.probe_round_trips_per_s / 1000, 1)} |`,
    );
  }
  process.stdout.write(`${rows.join('\n')}\n`);
}

// ------------------------------------------------------------------------------------------------------------------
// Main

async function main(options: Options): Promise<number> {
  configureProgress('transaction', options.quiet);
  const load0 = loadavg()[0] ?? 0;
  const phases = options.brokers.flatMap((broker) => options.producers.map((producer) => ({ broker, producer })));
  const results = await runPhases(phases, options, ({ broker, producer }, client) => benchPhase(broker, producer, options, client));

  // A phase run more than once (--brokers ours,java,java,ours) counts with its mean.
  const meanOf = (broker: BrokerKind, producer: ProducerKind, field: (r: Result) => number | null | undefined): number | undefined => {
    const known = results
      .filter((r) => r.broker === broker && r.producer === producer)
      .map(field)
      .filter((v): v is number => typeof v === 'number');
    return mean(known) ?? undefined;
  };
  const brokers = (producer: ProducerKind, field: (r: Result) => number | null | undefined): number | null => ratio(meanOf('ours', producer, field), meanOf('java', producer, field));
  const producers = (broker: BrokerKind): number | null => ratio(meanOf(broker, 'ts', (r) => r.send_tps), meanOf(broker, 'java', (r) => r.send_tps));
  const ratios = {
    broker_send_tps_java_tool: brokers('java', (r) => r.send_tps),
    broker_send_tps_ts_producer: brokers('ts', (r) => r.send_tps),
    broker_first_check_p50: brokers('ts', (r) => r.first_check_ms?.p50),
    broker_first_check_p99: brokers('ts', (r) => r.first_check_ms?.p99),
    broker_recheck_p50: brokers('ts', (r) => r.recheck_ms?.p50),
    broker_rss_peak_java_tool: brokers('java', (r) => r.rss_mib.peak),
    broker_cpu_per_tx_java_tool: brokers('java', (r) => r.broker_cpu_ms_per_1k_tx),
    ts_over_java_producer_on_ours: producers('ours'),
    ts_over_java_producer_on_java: producers('java'),
  };
  const atLeast = (r: number | null, target: number): boolean | null => (r === null ? null : r >= target);
  const targets = {
    broker_send_tps_ge_1_2x: atLeast(ratios.broker_send_tps_java_tool, 1.2),
    check_latency_no_worse: ratios.broker_first_check_p50 === null ? null : ratios.broker_first_check_p50 <= 1,
    ts_producer_ge_1x_on_ours: atLeast(ratios.ts_over_java_producer_on_ours, 1),
    ts_producer_ge_1x_on_java: atLeast(ratios.ts_over_java_producer_on_java, 1),
  };
  if (!options.jsonOnly) {
    process.stdout.write(
      `\nbench:transaction: ${options.threads} threads, ${options.size} B bodies, topic ${options.topic} x ${options.queues} queues, ` +
        `sr ${options.sendRollback} su ${options.sendUnknown} cr ${options.checkRollback} cu ${options.checkUnknown}, ` +
        `transactionCheckInterval ${options.checkInterval} ms, transactionTimeOut ${options.txTimeout} ms, ` +
        `${options.warmup} s warm-up + ${options.seconds} s measured, a fresh broker per phase\n\n`,
    );
    printTable(results);
    process.stdout.write(
      `\nours / Java broker: send TPS ${fmt(ratios.broker_send_tps_java_tool, 2)}x (Java tool), ${fmt(ratios.broker_send_tps_ts_producer, 2)}x (our producer); ` +
        `first check p50 ${fmt(ratios.broker_first_check_p50, 2)}x, p99 ${fmt(ratios.broker_first_check_p99, 2)}x; ` +
        `peak RSS ${fmt((ratios.broker_rss_peak_java_tool ?? NaN) * 100, 1)} %; broker CPU per tx ${fmt(ratios.broker_cpu_per_tx_java_tool, 2)}x\n` +
        `our TransactionProducer / the Java tool: ${fmt(ratios.ts_over_java_producer_on_ours, 2)}x on ours, ${fmt(ratios.ts_over_java_producer_on_java, 2)}x on Java's\n` +
        `targets: ${JSON.stringify(targets)}\n`,
    );
  }
  process.stdout.write(
    `${JSON.stringify({
      bench: 'transaction',
      ratios,
      targets,
      results,
      params: {
        ...benchParams(options),
        send_rollback: options.sendRollback,
        send_unknown: options.sendUnknown,
        check_rollback: options.checkRollback,
        check_unknown: options.checkUnknown,
        transaction_check_interval_ms: options.checkInterval,
        transaction_timeout_ms: options.txTimeout,
        java_version: JAVA_VERSION,
      },
      ...machineInfo(load0),
    })}\n`,
  );
  return 0;
}

await runBench('transaction', USAGE, parseOptions, main);
