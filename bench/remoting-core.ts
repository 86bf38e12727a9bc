/**
 * What the remoting benchmarks share: the workloads, the forked TS server (bench/remoting-server.ts), the TS client's
 * closed loops and their measurement. Used by bench/remoting.ts (TS to TS) and bench/remoting-vs-java.ts (the four
 * TS/Java pairs).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RemotingClient, RemotingCommand, ResponseCode, type SerializeTypeName } from '../src/index.js';
import { LatencyReservoir } from './latency.js';
import { CODE_COUNT, CODE_ECHO, CODE_SINK, isServerMessage, type DriverMessage } from './remoting-protocol.js';

export type Kind = 'sync' | 'async' | 'oneway';
export const HEADERS: readonly SerializeTypeName[] = ['JSON', 'ROCKETMQ'];
export const BODY_SIZES = [0, 1024] as const;
export const ASYNC_INFLIGHT = [1, 16, 256] as const;
/** Oneway calls outstanding (not yet written) at any time. */
export const ONEWAY_WINDOW = 256;
export const INVOKE_TIMEOUT_MILLIS = 5000;
const SERVER_START_TIMEOUT_MILLIS = 10_000;

export interface Workload {
  kind: Kind;
  header: SerializeTypeName;
  bodySize: number;
  inflight: number;
  /** "async-256/rocketmq/nobody", what --only matches against. */
  id: string;
}

export interface Result {
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


export function workloadId(kind: Kind, inflight: number, header: SerializeTypeName, bodySize: number): string {
  const k = kind === 'async' ? `async-${inflight}` : kind;
  return `${k}/${header.toLowerCase()}/${bodySize === 0 ? 'nobody' : '1k'}`;
}

export function allWorkloads(): Workload[] {
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
export function matchesFilter(id: string, filter: string | undefined): boolean {
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
export class ServerProcess {
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

/** Set by the entry point's SIGINT handler: loops stop after their current call. */
export const runState = { interrupted: false };

/** Runs `op` in `workers` closed loops until the deadline; each worker keeps one call outstanding. */
export async function closedLoops(
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
    while (!runState.interrupted && now < deadline) {
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

/** How many oneway sink requests the server has seen so far (a running total, as Java's RemotingPeerServer keeps). */
async function countSunk(client: RemotingClient, addr: string): Promise<number> {
  const response = await client.invokeSync(addr, RemotingCommand.createRequestCommand(CODE_COUNT), INVOKE_TIMEOUT_MILLIS);
  if (response.code !== ResponseCode.SUCCESS) throw new Error(`COUNT answered code ${response.code}`);
  const total = Number(response.remark ?? '');
  if (!Number.isSafeInteger(total)) throw new Error(`COUNT answered remark '${response.remark ?? ''}'`);
  return total;
}

/** One phase (warm-up or measured) of a workload; `latency` undefined means nothing is recorded. */
export async function runPhase(
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
      // Delivered, not written: read the server's running total, send, then a sync COUNT on the same connection
      // arrives after every oneway and reports how many the server processed.
      const before = await countSunk(client, addr);
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
      const delivered = (await countSunk(client, addr)) - before;
      const elapsedNanos = Number(process.hrtime.bigint() - start);
      return { ops: delivered, errors: sent.errors + Math.max(0, sent.ops - delivered), elapsedNanos };
    }
  }
}

/** One measured phase of a workload, with both processes' CPU use; undefined when SIGINT cut it short. */
export async function measure(
  w: Workload,
  client: RemotingClient,
  server: { cpuMicros(): Promise<number> },
  addr: string,
  seconds: number,
): Promise<Result | undefined> {
  const latency = w.kind === 'oneway' ? undefined : new LatencyReservoir();
  const serverCpu0 = await server.cpuMicros();
  const clientCpu0 = process.cpuUsage();
  const run = await runPhase(w, client, addr, seconds, latency);
  if (runState.interrupted) return undefined;
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

export function progress(quiet: boolean, line: string): void {
  if (!quiet) process.stderr.write(`${line}\n`);
}

export function formatTable(results: readonly Result[]): string {
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

export function pick(results: readonly Result[], kind: Kind, inflight: number): number | null {
  const r = results.find((x) => x.workload === kind && x.inflight === inflight && x.header === 'ROCKETMQ' && x.body === 0);
  return r === undefined ? null : Math.round(r.ops_per_sec);
}

export function positiveNumber(name: string, text: string, allowZero: boolean): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0) || n > 3600) {
    throw new RangeError(`--${name} must be a number of seconds${allowZero ? ' >= 0' : ' > 0'} (got '${text}')`);
  }
  return n;
}

