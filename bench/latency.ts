/**
 * Bounded-memory latency recording: a fixed-size reservoir (Algorithm R) of nanosecond samples. Up to `capacity`
 * samples every one is kept; beyond that each new sample replaces a random slot with probability capacity/count,
 * which keeps a uniform sample of the whole run. Percentiles sort a copy of the reservoir.
 */
export class LatencyReservoir {
  private readonly samples: Float64Array;
  private seen = 0;

  constructor(readonly capacity: number = 1 << 18) {
    this.samples = new Float64Array(capacity);
  }

  /** How many values were recorded (not how many are kept). */
  get count(): number {
    return this.seen;
  }

  record(nanos: number): void {
    const n = this.seen++;
    if (n < this.capacity) {
      this.samples[n] = nanos;
      return;
    }
    const slot = Math.floor(Math.random() * (n + 1));
    if (slot < this.capacity) this.samples[slot] = nanos;
  }

  /** Percentiles (0..100) in microseconds, nearest-rank; null when nothing was recorded. */
  percentilesMicros(ps: readonly number[]): (number | null)[] {
    const kept = Math.min(this.seen, this.capacity);
    if (kept === 0) return ps.map(() => null);
    const sorted = this.samples.slice(0, kept).sort();
    return ps.map((p) => {
      const rank = Math.min(kept - 1, Math.max(0, Math.ceil((p / 100) * kept) - 1));
      return Math.round((sorted[rank] as number) / 100) / 10;
    });
  }
}
