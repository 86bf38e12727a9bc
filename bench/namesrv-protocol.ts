/**
 * IPC between the `npm run bench:namesrv` driver (bench/namesrv.ts) and its load generator
 * (bench/namesrv-load.ts): the driver forks one load generator per measured phase with a LoadSpec; the generator
 * reports when its measured window opens and, at the end, its counts, latencies and CPU time.
 */

/** What one load-generator run does: `connections` clients, each with `inflight` closed loops of GET_ROUTEINFO_BY_TOPIC. */
export interface LoadSpec {
  /** host:port of the name server under load. */
  addr: string;
  connections: number;
  inflight: number;
  warmupSeconds: number;
  seconds: number;
  /** Topics to ask for, one chosen at random per request. */
  topics: string[];
  /** RemotingCommand version of every request (479 = 5.3.3: standard JSON routes). */
  version: number;
  timeoutMillis: number;
}

export type LoadMessage =
  | { type: 'measuring' }
  | {
      type: 'result';
      ops: number;
      errors: number;
      /** First error seen, for the report. */
      firstError: string | null;
      elapsedNanos: number;
      p50_us: number | null;
      p99_us: number | null;
      p999_us: number | null;
      /** The load generator's own CPU time (user + system) over the measured window. */
      cpuMicros: number;
      /** Mean response body size, to show both servers answer with routes of the same size. */
      meanBodyBytes: number;
    }
  | { type: 'failed'; message: string };

export function isLoadMessage(value: unknown): value is LoadMessage {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'measuring' || type === 'result' || type === 'failed';
}

export function isLoadSpec(value: unknown): value is LoadSpec {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<LoadSpec>;
  return (
    typeof v.addr === 'string' &&
    typeof v.connections === 'number' &&
    typeof v.inflight === 'number' &&
    typeof v.warmupSeconds === 'number' &&
    typeof v.seconds === 'number' &&
    Array.isArray(v.topics) &&
    typeof v.version === 'number' &&
    typeof v.timeoutMillis === 'number'
  );
}
