/**
 * What bench:grpc's SDK drivers (grpc-node-sdk.ts, grpc-java-sdk.ts) give the bench (grpc.ts): per phase a load that
 * runs until stopped and counts only inside the window the bench opens and closes, so one clock and one measurement
 * (server CPU, RSS, the table) serve every SDK.
 */
import { LatencyReservoir } from './latency.js';

export const GRPC_PHASES = ['send', 'simple', 'push'] as const;
export type GrpcPhase = (typeof GRPC_PHASES)[number];

/** The workload every driver runs. */
export interface LoadOptions {
  /** The gRPC endpoint, host:port, plaintext. */
  endpoint: string;
  /** A NORMAL topic. */
  topic: string;
  /** Message body size, bytes. */
  size: number;
  /** Sends outstanding at once (the send phase's producer, and the consumer phases' feeder). */
  inflight: number;
}

/** What a phase's window counted. */
export interface WindowFigures {
  /** Messages sent (send) or received (consumers) inside the window. */
  count: number;
  /** Latency percentiles in microseconds (send: the send call; consumers: receipt minus born time); null: none. */
  p50Micros: number | null;
  p99Micros: number | null;
  /** SDK calls that failed over the whole phase, warm-up included, and the first one's error. */
  errors: number;
  firstError: string | null;
}

/** A phase's load, running from its driver's start() until stop(); counted between open() and close(). */
export interface PhaseLoad {
  open(): Promise<void>;
  close(): Promise<WindowFigures>;
  /** Stops the load and closes the phase's clients. */
  stop(): Promise<void>;
}

/** An SDK running the phases against one target. */
export interface SdkDriver {
  /** Starts the phase's clients and load; resolves once they are started (the warm-up begins then). */
  start(phase: GrpcPhase): Promise<PhaseLoad>;
  /** Stops whatever still runs (the consumer phases' feeder above all). */
  close(): Promise<void>;
}

/** How long a load loop waits after a failed call, so a refusing server is not asked in a tight loop. */
export const ERROR_PAUSE_MILLIS = 100;

/** A window's counting for an SDK that runs in this process. */
export class CountingWindow {
  private counting = false;
  private count = 0;
  private readonly latency = new LatencyReservoir();
  private errors = 0;
  private firstError: string | null = null;

  open(): void {
    this.counting = true;
  }

  /** A message (or send), with its latency in nanoseconds when known; counted while the window is open. */
  record(nanos: number | undefined): void {
    if (!this.counting) return;
    this.count++;
    if (nanos !== undefined) this.latency.record(nanos);
  }

  failed(error: unknown): void {
    this.errors++;
    this.firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }

  close(): WindowFigures {
    this.counting = false;
    const [p50, p99] = this.latency.percentilesMicros([50, 99]);
    return { count: this.count, p50Micros: p50 ?? null, p99Micros: p99 ?? null, errors: this.errors, firstError: this.firstError };
  }
}
