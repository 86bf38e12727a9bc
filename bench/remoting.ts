/**
 * `npm run bench:remoting`: round trips over loopback between two processes. This driver forks the server
 * (bench/remoting-server.ts), waits for its port, runs every workload as the client in this process, prints a
 * table and one final JSON line, and stops the server. Every phase is bounded in time; SIGINT stops early.
 *
 * Profiling: `node --cpu-prof --cpu-prof-dir=prof dist-test/bench/remoting.js ...` profiles both processes (the
 * server inherits execArgv and exits cleanly so its profile is written).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { RemotingClient, RemotingCommand, ResponseCode, type SerializeTypeName } from '../src/index.js';
import { LatencyReservoir } from './latency.js';
import { CODE_COUNT, CODE_ECHO, CODE_SINK, isServerMessage, type DriverMessage } from './remoting-protocol.js';

type Kind = 'sync' | 'async' | 'oneway';
const HEADERS: readonly SerializeTypeName[] = ['JSON', 'ROCKETMQ'];
const BODY_SIZES = [0, 1024] as const;
const ASYNC_INFLIGHT = [1, 16, 256] as const;
/** Oneway calls outstanding (not yet written) at any time. */
const ONEWAY_WINDOW = 256;
const INVOKE_TIMEOUT_MILLIS = 5000;
const SERVER_START_TIMEOUT_MILLIS = 10_000;

interface Workload {
  kind: Kind;
  header: SerializeTypeName;
  bodySize: number;
  inflight: number;
  /** "async-256/rocketmq/nobody", what --only matches against. */
  id: string;
}

interface Result {
  workload: Kind;
  header: SerializeTypeName;
  body: number;
  inflight: number;
  seconds: number;
  ops: number;
  ops_per_sec: number;
  p50_us: number | null;
  p99_us: number | null;
  errors: number;
  /** CPU time over wall time, per process: 1.0 is one core busy all the time. */
  client_cpu: number;
  server_cpu: number;
  /** With --repeat: every run's throughput; the row shows the median run. */
  runs_ops_per_sec?: number[];
}

const USAGE = `usage: node dist-test/bench/remoting.js [options]
  --seconds <s>    measured seconds per workload (default 2)
  --warmup <s>     unmeasured warm-up seconds before each workload (default 1)
  --only <f,...>   run only matching workloads; a filter is kind[/header[/body]] in any order, e.g.
                   "sync", "async-256", "async/rocketmq", "oneway/json/1k", "nobody" (kinds: sync, async-1,
                   async-16, async-256, async (all three), oneway; headers: json, rocketmq; bodies: nobody, 1k)
  --repeat <n>     measure each workload n times and report the median run by ops/s (default 1)
  --json-only      print only the final JSON line on stdout (progress still goes to stderr)
  --quiet          no progress lines on stderr
  -h, --help       this text`;

function workloadId(kind: Kind, inflight: number, header: SerializeTypeName, bodySize: number): string {
  const k = kind === 'async' ? `async-${inflight}` : kind;
  return `${k}/${header.toLowerCase()}/${bodySize === 0 ? 'nobody' : '1k'}`;
}

function allWorkloads(): Workload[] {
  const out: Workload[] = [];
  for (const header of HEADERS) {
    for (const bodySize of BODY_SIZES) {
      const add = (kind: Kind, inflight: number): void => {
        out.push({ kind, header, bodySize, inflight, id: workloadId(kind, inflight, header, bodySize) });
      };
      add('sync', 1);
      for (const n of ASYNC_INFLIGHT) add('async', n);
      add('oneway', ONEWAY_WINDOW);
    }
  }
  return out;
}

/** A term matches when each of its '/'-separated parts names a component of the id ("async" names async-N too). */
function matchesFilter(id: string, filter: string | undefined): boolean {
  if (filter === undefined || filter.trim() === '') return true;
  const components = id.split('/');
  return filter
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '')
    .some((term) =>
      term.split('/').every((part) => components.some((c) => c === part || c.startsWith(`${part}-`))),
    );
}

/** The forked server: port, CPU queries, orderly stop with a hard kill as the fallback. */
class ServerProcess {
  private cpuQueries = new Map<number, (micros: number) => void>();
  private nextId = 0;
  private exited = false;
  readonly exitPromise: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.exitPromise = new Promise((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode);
      child.once('exit', (code) => resolve(code));
    });
    child.on('message', (message: unknown) => {
      if (!isServerMessage(message) || message.type !== 'cpu') return;
      const resolve = this.cpuQueries.get(message.id);
      this.cpuQueries.delete(message.id);
      resolve?.(message.userMicros + message.systemMicros);
    });
    child.once('exit', () => {
      this.exited = true;
      for (const resolve of this.cpuQueries.values()) resolve(NaN);
      this.cpuQueries.clear();
    });
  }

  get alive(): boolean {
    return !this.exited;
  }

  static start(maxSeconds: number): Promise<ServerProcess> {
    const script = fileURLToPath(new URL('./remoting-server.js', import.meta.url));
    // The server's stdout goes to our stderr, so that --json-only leaves stdout to the JSON line alone.
    const child = fork(script, [String(maxSeconds)], { stdio: ['ignore', 2, 2, 'ipc'] });
    return new Promise<ServerProcess>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`server did not report its port within ${SERVER_START_TIMEOUT_MILLIS}ms`));
      }, SERVER_START_TIMEOUT_MILLIS);
      const onMessage = (message: unknown): void => {
        if (!isServerMessage(message) || message.type !== 'ready') return;
        cleanup();
        resolve(new ServerProcess(child, message.port));
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
        cleanup();
        reject(new Error(`server exited before it was ready (code ${code ?? '-'}, signal ${signal ?? '-'})`));
      };
      const onError = (err: Error): void => {
        cleanup();
        child.kill('SIGKILL');
        reject(err);
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        child.off('error', onError);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.once('error', onError);
    });
  }

  /** The server's CPU time so far, in microseconds (NaN if it is gone or does not answer within a second). */
  cpuMicros(): Promise<number> {
    if (this.exited) return Promise.resolve(NaN);
    const id = this.nextId++;
    return new Promise<number>((resolve) => {
      const timer = setTimeout(() => {
        this.cpuQueries.delete(id);
        resolve(NaN);
      }, 1000);
      this.cpuQueries.set(id, (micros) => {
        clearTimeout(timer);
        resolve(micros);
      });
      this.post({ type: 'cpu', id });
    });
  }

  /** Asks the server to stop (so a --cpu-prof profile gets written); kills it if it takes longer than 3 s. */
  async stop(): Promise<void> {
    if (this.exited) return;
    this.post({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.exitPromise;
    clearTimeout(timer);
  }

  private post(message: DriverMessage): void {
    if (this.child.connected) this.child.send(message);
  }
}

let interrupted = false;

/** Runs `op` in `workers` closed loops until the deadline; each worker keeps one call outstanding. */
async function closedLoops(
  workers: number,
  seconds: number,
  op: () => Promise<boolean>,
  latency: LatencyReservoir | undefined,
): Promise<{ ops: number; errors: number; elapsedNanos: number }> {
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  let ops = 0;
  let errors = 0;
  const worker = async (): Promise<void> => {
    let now = process.hrtime.bigint();
    while (!interrupted && now < deadline) {
      const t0 = now;
      let ok: boolean;
      try {
        ok = await op();
      } catch {
        ok = false;
      }
      now = process.hrtime.bigint();
      if (ok) {
        ops++;
        latency?.record(Number(now - t0));
      } else {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return { ops, errors, elapsedNanos: Number(process.hrtime.bigint() - start) };
}

async function countSunk(client: RemotingClient, addr: string): Promise<number> {
  const response = await client.invokeSync(addr, RemotingCommand.createRequestCommand(CODE_COUNT), INVOKE_TIMEOUT_MILLIS);
  if (response.code !== ResponseCode.SUCCESS) throw new Error(`COUNT answered code ${response.code}`);
  return Number(response.remark ?? '0');
}

/** One phase (warm-up or measured) of a workload; `latency` undefined means nothing is recorded. */
async function runPhase(
  w: Workload,
  client: RemotingClient,
  addr: string,
  seconds: number,
  latency: LatencyReservoir | undefined,
): Promise<{ ops: number; errors: number; elapsedNanos: number }> {
  const body = w.bodySize === 0 ? undefined : Buffer.alloc(w.bodySize, 0x61);
  const expectedLength = w.bodySize;
  const isEcho = (response: RemotingCommand): boolean =>
    response.code === ResponseCode.SUCCESS && (response.body?.length ?? 0) === expectedLength;
  switch (w.kind) {
    case 'sync':
      return closedLoops(
        1,
        seconds,
        async () => isEcho(await client.invokeSync(addr, RemotingCommand.createRequestCommand(CODE_ECHO, undefined, body), INVOKE_TIMEOUT_MILLIS)),
        latency,
      );
    case 'async':
      return closedLoops(
        w.inflight,
        seconds,
        async () => isEcho(await client.invokeAsync(addr, RemotingCommand.createRequestCommand(CODE_ECHO, undefined, body), INVOKE_TIMEOUT_MILLIS)),
        latency,
      );
    case 'oneway': {
      // Delivered, not written: reset the server's counter, send, then a sync COUNT on the same connection
      // arrives after every oneway and reports how many the server processed.
      await countSunk(client, addr);
      const start = process.hrtime.bigint();
      const sent = await closedLoops(
        w.inflight,
        seconds,
        async () => {
          await client.invokeOneway(addr, RemotingCommand.createRequestCommand(CODE_SINK, undefined, body), INVOKE_TIMEOUT_MILLIS);
          return true;
        },
        undefined,
      );
      const delivered = await countSunk(client, addr);
      const elapsedNanos = Number(process.hrtime.bigint() - start);
      return { ops: delivered, errors: sent.errors + Math.max(0, sent.ops - delivered), elapsedNanos };
    }
  }
}

/** One measured phase of a workload, with both processes' CPU use; undefined when SIGINT cut it short. */
async function measure(
  w: Workload,
  client: RemotingClient,
  server: ServerProcess,
  addr: string,
  seconds: number,
): Promise<Result | undefined> {
  const latency = w.kind === 'oneway' ? undefined : new LatencyReservoir();
  const serverCpu0 = await server.cpuMicros();
  const clientCpu0 = process.cpuUsage();
  const run = await runPhase(w, client, addr, seconds, latency);
  if (interrupted) return undefined;
  const clientCpu = process.cpuUsage(clientCpu0);
  const serverCpu1 = await server.cpuMicros();
  const wallMicros = run.elapsedNanos / 1000;
  const [p50, p99] = latency === undefined ? [null, null] : latency.percentilesMicros([50, 99]);
  const result: Result = {
    workload: w.kind,
    header: w.header,
    body: w.bodySize,
    inflight: w.inflight,
    seconds: Math.round(run.elapsedNanos / 1e6) / 1000,
    ops: run.ops,
    ops_per_sec: Math.round((run.ops / run.elapsedNanos) * 1e9),
    p50_us: p50 ?? null,
    p99_us: p99 ?? null,
    errors: run.errors,
    client_cpu: Math.round(((clientCpu.user + clientCpu.system) / wallMicros) * 100) / 100,
    server_cpu: Math.round(((serverCpu1 - serverCpu0) / wallMicros) * 100) / 100,
  };
  return result;
}

function progress(quiet: boolean, line: string): void {
  if (!quiet) process.stderr.write(`${line}\n`);
}

function formatTable(results: readonly Result[]): string {
  const head = ['workload', 'header', 'body', 'inflight', 'ops/s', 'p50 µs', 'p99 µs', 'errors', 'cpu cli/srv'];
  const rows = results.map((r) => [
    r.workload,
    r.header,
    r.body === 0 ? '0' : `${r.body / 1024}KiB`,
    String(r.inflight),
    Math.round(r.ops_per_sec).toLocaleString('en-US'),
    r.p50_us === null ? '-' : r.p50_us.toFixed(1),
    r.p99_us === null ? '-' : r.p99_us.toFixed(1),
    String(r.errors),
    `${r.client_cpu.toFixed(2)}/${r.server_cpu.toFixed(2)}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i < 4 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function pick(results: readonly Result[], kind: Kind, inflight: number): number | null {
  const r = results.find((x) => x.workload === kind && x.inflight === inflight && x.header === 'ROCKETMQ' && x.body === 0);
  return r === undefined ? null : Math.round(r.ops_per_sec);
}

function positiveNumber(name: string, text: string, allowZero: boolean): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0) || n > 3600) {
    throw new RangeError(`--${name} must be a number of seconds${allowZero ? ' >= 0' : ' > 0'} (got '${text}')`);
  }
  return n;
}

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
      if (interrupted) break;
      if (!server.alive) throw new Error('server process died');
      let client = clients.get(w.header);
      if (client === undefined) {
        client = new RemotingClient({ serializeType: w.header, connectTimeoutMillis: 3000 });
        await client.start();
        clients.set(w.header, client);
      }
      if (warmup > 0) await runPhase(w, client, addr, warmup, undefined);
      if (interrupted) break;
      const runs: Result[] = [];
      for (let i = 0; i < repeat && !interrupted; i++) {
        const result = await measure(w, client, server, addr, seconds);
        if (result === undefined) break;
        runs.push(result);
      }
      if (interrupted || runs.length === 0) break; // a cut-short workload would only mislead
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
    if (interrupted) process.stdout.write('(interrupted: partial results)\n');
  }
  const summary = {
    bench: 'remoting',
    results,
    async_256_rocketmq_nobody: pick(results, 'async', 256),
    sync_rocketmq_nobody: pick(results, 'sync', 1),
    seconds,
    warmup,
    repeat,
    interrupted,
    node: process.version,
    cpus: cpus().length,
    /** 1-minute load average at the start and the end: other work on the machine skews the figures. */
    loadavg_1m: [loadAtStart, Math.round((loadavg()[0] ?? 0) * 100) / 100],
    date: new Date().toISOString(),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return interrupted ? 130 : 0;
}

process.on('SIGINT', () => {
  if (interrupted) process.exit(130); // second Ctrl-C: no more waiting
  interrupted = true;
  process.stderr.write('bench: interrupted, finishing the current call and stopping the server\n');
  setTimeout(() => process.exit(130), INVOKE_TIMEOUT_MILLIS + 5000).unref();
});

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
