/**
 * An explicit-bucket histogram as OpenTelemetry aggregates one (Java's brokers export theirs that way): a value
 * falls in the first bucket whose upper bound it does not exceed, or in the overflow bucket. Recording is a short
 * scan of the bounds and three additions; nothing is allocated.
 */
export class Histogram {
  /** Per bucket (not cumulative); the last entry counts values above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  record(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    (this.counts[i] as number)++;
    this.sum += value;
    this.count++;
  }
}
