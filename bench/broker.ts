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
import { loadavg } from 'node:os';
import { RemotingClient } from '../src/index.js';
import { AclClientRPCHook, Admin, MQClientManager, type SessionCredentials } from '../src/client/index.js';
import { acl2BrokerConfig, buildInterop, startJava, type JavaProcess } from '../test/helpers/java.js';
import {
  BROKER_CPUS,
  JAVA_VERSION,
  configureProgress,
  cores,
  benchArgs,
  benchParams,
  deployBroker,
  fmt,
  machineInfo,
  mean,
  nullableRound,
  openWindow,
  parseBenchArgs,
  otherCpus,
  pin,
  progress,
  ratio,
  reportInWindow,
  parseReports,
  rssSummary,
  runBench,
  sleep,
  sleepWhileRunning,
  runPhases,
  storedMessages,
  weighted,
  type BenchArgs,
  type BrokerKind,
  type MeasuredWindow,
  type RssSummary,
} from './deploy.js';

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
  --acl                 ACL 2.0 on both brokers (authentication and authorization, Java's providers): the Producer
                        and the Consumer sign as a Normal user whose ACL allows the topic and the consumer group
  --pin                 once started, pin the broker (all threads) to CPU 0 and its name server, the Producer and
                        the Consumer to the other CPUs (taskset), so the broker gets one core whatever its thread count
  --profile-ours <dir>  run our broker with --cpu-prof, the profile written to <dir> when it stops
  --ours-node-args <a>  extra Node options for our broker, space-separated (e.g. "--max-semi-space-size=32")
  --ours-main <file>    our CLI (default dist/cli/main.js of this repository), e.g. another build for A/B
  --keep                keep the stores' temp dirs (their paths are printed)
  --json-only           print only the final JSON line on stdout (progress still goes to stderr)
  --quiet               no progress lines on stderr
  -h, --help            this text`;

interface Options extends BenchArgs {
  pin: boolean;
  acl: boolean;
}

/** --acl: the initial (Super) user, which creates the topic and the benchmark's Normal user, and that user. */
const ACL_ROOT: SessionCredentials = { accessKey: 'rocketmq', secretKey: '12345678' };
const ACL_USER: SessionCredentials = { accessKey: 'benchuser', secretKey: 'bench-secret' };
/** The broker.conf keys of ACL 2.0, the same for both brokers (Java 5.3.3's names and providers). */
const ACL_BROKER_CONFIG = acl2BrokerConfig(ACL_ROOT);

/** The benchmark's Normal user and its ACL: everything on the topic and the consumer group, nothing else. */
async function createAclUser(namesrvAddr: string, brokerAddr: string, topic: string, group: string): Promise<void> {
  const admin = new Admin({ nameServer: namesrvAddr, credentials: ACL_ROOT, clientManager: new MQClientManager() });
  await admin.start();
  try {
    await admin.createUser(brokerAddr, { username: ACL_USER.accessKey, password: ACL_USER.secretKey, userType: 'Normal' });
    await admin.createAcl(brokerAddr, {
      subject: `User:${ACL_USER.accessKey}`,
      policies: [
        {
          policyType: 'Custom',
          entries: [
            { resource: `Topic:${topic}`, actions: ['All'], decision: 'Allow' },
            { resource: `Group:${group}`, actions: ['All'], decision: 'Allow' },
          ],
        },
      ],
    });
  } finally {
    await admin.shutdown();
  }
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
  rss_mib: RssSummary;
  /** CPU time over wall time in the measured window (1.0 = one core busy throughout). */
  cpu: { broker: number | null; namesrv: number | null; producer: number | null; consumer: number | null; machine: number };
  /** Messages stored per broker CPU-second (send side; broker-side count). */
  msgs_per_broker_cpu_s: number | null;
  send_tps_series: number[];
  consume_tps_series: number[];
}

function parseOptions(argv: string[]): Options | 'help' {
  const values = parseBenchArgs(argv, { pin: { type: 'boolean' }, acl: { type: 'boolean' } });
  if (values.help === true) return 'help';
  return { ...benchArgs(values, { topic: 'BenchTopic', threads: 16, size: 1024, minSize: 1 }), pin: values.pin === true, acl: values.acl === true };
}

// ------------------------------------------------------------------------------------------------------------------
// The tools' reports

function parseSendReports(stdout: string): SendReport[] {
  const re = /Current Time: (\S+ \S+) \| Send TPS: (\d+) \| Max RT\(ms\): (\d+) \| Average RT\(ms\):\s*([\d.NaN]+) \| Send Failed: (\d+) \| Response Failed: (\d+)/g;
  return parseReports(stdout, re, ['tps', 'maxRt', 'avgRt', 'sendFailed', 'responseFailed']);
}

function parseConsumeReports(stdout: string): ConsumeReport[] {
  const re =
    /Current Time: (\S+ \S+) \| Consume TPS: (\d+) \| AVG\(B2C\) RT\(ms\):\s*([\d.NaN]+) \| AVG\(S2C\) RT\(ms\):\s*([\d.NaN]+) \| MAX\(B2C\) RT\(ms\): (\d+) \| MAX\(S2C\) RT\(ms\): (\d+) \| Consume Fail: (\d+)/g;
  return parseReports(stdout, re, ['tps', 'avgB2c', 'avgS2c', 'maxB2c', 'maxS2c', 'failed']);
}

// ------------------------------------------------------------------------------------------------------------------
// One broker

async function benchBroker(kind: BrokerKind, options: Options, client: RemotingClient): Promise<Result> {
  const deploy = options.acl ? { ...options, brokerConfig: ACL_BROKER_CONFIG, adminCredentials: ACL_ROOT } : options;
  const { deployment, probe, rssReady } = await deployBroker(kind, deploy, client, options.pin);
  const clients: JavaProcess[] = [];
  let window: MeasuredWindow | undefined;
  try {
    progress(`${kind}: topic ${options.topic} (${options.queues} queues) created; starting the Consumer and the Producer`);

    const { classpath } = await buildInterop(JAVA_VERSION);
    const group = `bench_consumer_${kind}`;
    if (options.acl) await createAclUser(deployment.namesrvAddr, deployment.brokerAddr, options.topic, group);
    const signed = options.acl ? ['-a', 'true', '-ak', ACL_USER.accessKey, '-sk', ACL_USER.secretKey] : [];
    const common = ['-n', deployment.namesrvAddr, '-t', options.topic, '-w', String(options.threads), '-ri', '1000', ...signed];
    const consumer = await startJava({
      mainClass: 'org.apache.rocketmq.example.benchmark.Consumer',
      name: `bench-consumer-${kind}`,
      classpath,
      heapMb: options.clientHeapMb,
      args: [...common, '-g', group],
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

    progress(`${kind}: warm-up ${options.warmup} s`);
    await sleepWhileRunning(options.warmup * 1000, clients);
    const t0 = Date.now();
    const stored0 = await storedMessages(client, deployment, options.topic, options.queues);
    window = await openWindow([deployment.brokerPid, deployment.namesrvPid, producer.pid, consumer.pid], deployment.brokerPid);
    progress(`${kind}: measuring ${options.seconds} s`);
    await sleepWhileRunning(options.seconds * 1000, clients);
    const t1 = Date.now();
    const stored1 = await storedMessages(client, deployment, options.topic, options.queues);
    const measured = await window.stop();
    await sleep(1500); // the report printed at t1 arrives
    const wall = (t1 - t0) / 1000;

    const allSends = parseSendReports(producer.stdout);
    const sends = allSends.filter((r) => reportInWindow(r.at, t0, t1));
    const beforeWindow = allSends.filter((r) => r.at < t0);
    const consumes = parseConsumeReports(consumer.stdout).filter((r) => reportInWindow(r.at, t0, t1));
    const lastSend = sends.at(-1);
    const maxBefore = beforeWindow.at(-1)?.maxRt ?? 0;
    const cpu = measured.cpuSeconds.map((c) => cores(c, wall));
    const brokerCpuSeconds = measured.cpuSeconds[0] ?? NaN;
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
      rss_mib: rssSummary(rssReady, measured.rss),
      cpu: {
        broker: cpu[0] ?? null,
        namesrv: cpu[1] ?? null,
        producer: cpu[2] ?? null,
        consumer: cpu[3] ?? null,
        machine: measured.machine,
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
    window?.dispose();
    progress(`${kind}: stopping`);
    await Promise.all(clients.map((c) => c.stop(3000)));
    await deployment.stop();
  }
}

// ------------------------------------------------------------------------------------------------------------------
// Output

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

async function main(options: Options): Promise<number> {
  configureProgress('broker', options.quiet);
  const load0 = loadavg()[0] ?? 0;
  const results = await runPhases(options.brokers, options, (kind, client) => {
    // The window's offset readings (GET_MAX_OFFSET) are signed too, as the initial user.
    if (options.acl) client.registerRPCHook(new AclClientRPCHook(ACL_ROOT));
    return benchBroker(kind, options, client);
  });

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
        `${options.pin ? `, broker pinned to CPU ${BROKER_CPUS}, the rest to ${otherCpus()}` : ''}` +
        `${options.acl ? ', ACL 2.0 on both brokers (the clients sign as a Normal user)' : ''}\n\n`,
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
      params: { ...benchParams(options), pin: options.pin, acl: options.acl, java_version: JAVA_VERSION },
      ...machineInfo(load0),
    })}\n`,
  );
  return 0;
}

await runBench('broker', USAGE, parseOptions, main);
