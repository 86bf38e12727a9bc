/**
 * `npm run bench:remoting`: round trips over loopback between two processes. This driver forks the server
 * (bench/remoting-server.ts), waits for its port, runs every workload as the client in this process, prints a
 * table and one final JSON line, and stops the server. Every phase is bounded in time; SIGINT stops early.
 * With --vs-java it runs bench/remoting-vs-java.ts instead: the same workloads for Java->Java, TS->TS, TS->Java and
 * Java->TS.
 *
 * Profiling: `node --cpu-prof --cpu-prof-dir=prof dist-test/bench/remoting.js ...` profiles both processes (the
 * server inherits execArgv and exits cleanly so its profile is written).
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { RemotingClient, type SerializeTypeName } from '../src/index.js';
import {
  allWorkloads,
  formatTable,
  INVOKE_TIMEOUT_MILLIS,
  matchesFilter,
  measure,
  pick,
  positiveNumber,
  progress,
  runPhase,
  runState,
  ServerProcess,
  type Result,
} from './remoting-core.js';

const USAGE = `usage: node dist-test/bench/remoting.js [options]
  --seconds <s>    measured seconds per workload (default 2)
  --warmup <s>     unmeasured warm-up seconds before each workload (default 1)
  --only <f,...>   run only matching workloads; a filter is kind[/header[/body]] in any order, e.g.
                   "sync", "async-256", "async/rocketmq", "oneway/json/1k", "nobody" (kinds: sync, async-1,
                   async-16, async-256, async (all three), oneway; headers: json, rocketmq; bodies: nobody, 1k)
  --repeat <n>     measure each workload n times and report the median run by ops/s (default 1)
  --json-only      print only the final JSON line on stdout (progress still goes to stderr)
  --quiet          no progress lines on stderr
  --vs-java        the side-by-side run against Java instead (bench/remoting-vs-java.ts; --vs-java --help)
  -h, --help       this text`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '2' },
      warmup: { type: 'string', default: '1' },
      only: { type: 'string' },
      'json-only': { type: 'boolean', default: false },
      repeat: { type: 'string', default: '1' },
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
  const seconds = positiveNumber('seconds', values.seconds, false);
  const warmup = positiveNumber('warmup', values.warmup, true);
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 20) throw new RangeError(`--repeat must be an integer 1..20 (got '${values.repeat}')`);
  const jsonOnly = values['json-only'];
  const quiet = values.quiet;
  const loadAtStart = Math.round((loadavg()[0] ?? 0) * 100) / 100;
  const workloads = allWorkloads().filter((w) => matchesFilter(w.id, values.only));
  if (workloads.length === 0) throw new RangeError(`--only '${values.only ?? ''}' matches no workload`);

  // Whole-run bound: every phase is time-boxed, plus connect/drain slack; past it we give up loudly.
  const budgetSeconds = workloads.length * (repeat * (seconds + 1) + warmup + 3) + 30;
  const server = await ServerProcess.start(budgetSeconds + 10);
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench: run exceeded its ${budgetSeconds}s budget, aborting\n`);
    void server.stop().finally(() => process.exit(2));
  }, budgetSeconds * 1000);
  watchdog.unref();

  const addr = `127.0.0.1:${server.port}`;
  progress(quiet, `bench: server listening on ${addr}; ${workloads.length} workloads x (${warmup}s warm-up + ${repeat} x ${seconds}s)`);
  const clients = new Map<SerializeTypeName, RemotingClient>();
  const results: Result[] = [];
  try {
    for (const w of workloads) {
      if (runState.interrupted) break;
      if (!server.alive) throw new Error('server process died');
      let client = clients.get(w.header);
      if (client === undefined) {
        client = new RemotingClient({ serializeType: w.header, connectTimeoutMillis: 3000 });
        await client.start();
        clients.set(w.header, client);
      }
      if (warmup > 0) await runPhase(w, client, addr, warmup, undefined);
      if (runState.interrupted) break;
      const runs: Result[] = [];
      for (let i = 0; i < repeat && !runState.interrupted; i++) {
        const result = await measure(w, client, server, addr, seconds);
        if (result === undefined) break;
        runs.push(result);
      }
      if (runState.interrupted || runs.length === 0) break; // a cut-short workload would only mislead
      // The median run by throughput stands for the workload; the others are kept for the record.
      const sorted = [...runs].sort((a, b) => a.ops_per_sec - b.ops_per_sec);
      const result: Result = { ...(sorted[(sorted.length - 1) >> 1] as Result) };
      if (runs.length > 1) result.runs_ops_per_sec = runs.map((r) => r.ops_per_sec);
      results.push(result);
      progress(
        quiet,
        `bench: ${w.id.padEnd(26)} ${String(result.ops_per_sec).padStart(8)} ops/s  p50 ${result.p50_us ?? '-'}µs  p99 ${result.p99_us ?? '-'}µs  errors ${result.errors}`,
      );
    }
  } finally {
    for (const client of clients.values()) await client.shutdown();
    await server.stop();
    clearTimeout(watchdog);
  }

  if (!jsonOnly) {
    process.stdout.write(`\n${formatTable(results)}\n\n`);
    if (runState.interrupted) process.stdout.write('(interrupted: partial results)\n');
  }
  const summary = {
    bench: 'remoting',
    results,
    async_256_rocketmq_nobody: pick(results, 'async', 256),
    sync_rocketmq_nobody: pick(results, 'sync', 1),
    seconds,
    warmup,
    repeat,
    interrupted: runState.interrupted,
    node: process.version,
    cpus: cpus().length,
    /** 1-minute load average at the start and the end: other work on the machine skews the figures. */
    loadavg_1m: [loadAtStart, Math.round((loadavg()[0] ?? 0) * 100) / 100],
    date: new Date().toISOString(),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return runState.interrupted ? 130 : 0;
}

process.on('SIGINT', () => {
  if (runState.interrupted) process.exit(130); // second Ctrl-C: no more waiting
  runState.interrupted = true;
  process.stderr.write('bench: interrupted, finishing the current call and stopping the server\n');
  setTimeout(() => process.exit(130), INVOKE_TIMEOUT_MILLIS + 5000).unref();
});

// `npm run bench:remoting -- --vs-java ...` runs the side-by-side comparison with Java (with its own options).
const vsJava = process.argv.indexOf('--vs-java', 2);
const run =
  vsJava < 0
    ? main()
    : import('./remoting-vs-java.js').then((m) => m.runVsJava(process.argv.filter((_, i) => i >= 2 && i !== vsJava)));
run.then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
