/** One sample of a counter pair: when, how many calls, how much value. */
interface CallSnapshot {
  readonly timestamp: number;
  readonly times: number;
  readonly value: number;
}

/** StatsSnapshot.java: what a window says about a counter. */
export interface StatsSnapshot {
  /** Value added within the window. */
  readonly sum: number;
  /** Value per second over the window. */
  readonly tps: number;
  /** Value per call (messages per batch, bytes per put). */
  readonly avgpt: number;
  /** Calls within the window. */
  readonly times: number;
}

/** The three windows Java keeps: [sampling period, snapshots kept]. A minute is 7 samples 10 s apart, ... */
export const STATS_WINDOWS = {
  minute: { periodMillis: 10_000, keep: 7 },
  hour: { periodMillis: 10 * 60_000, keep: 7 },
  day: { periodMillis: 60 * 60_000, keep: 25 },
} as const;

export type StatsWindow = keyof typeof STATS_WINDOWS;

const EMPTY: StatsSnapshot = { sum: 0, tps: 0, avgpt: 0, times: 0 };

/**
 * StatsItem.java: a cumulative value and call count (the hot path only adds to two numbers), sampled by the
 * owner's timers into a minute, an hour and a day window. A window's figures are the difference between its
 * first and last snapshot, as Java computes them.
 */
export class StatsItem {
  value = 0;
  times = 0;
  private readonly snapshots: Record<StatsWindow, CallSnapshot[]> = { minute: [], hour: [], day: [] };

  add(value: number, times: number): void {
    this.value += value;
    this.times += times;
  }

  /** samplingInSeconds / InMinutes / InHour: the first sample starts from a zero snapshot one period back. */
  sample(window: StatsWindow, now: number): void {
    const list = this.snapshots[window];
    const { periodMillis, keep } = STATS_WINDOWS[window];
    if (list.length === 0) list.push({ timestamp: now - periodMillis, times: 0, value: 0 });
    list.push({ timestamp: now, times: this.times, value: this.value });
    if (list.length > keep) list.shift();
  }

  /** computeStatsData: zeros until the window has a sample. */
  snapshot(window: StatsWindow): StatsSnapshot {
    const list = this.snapshots[window];
    const first = list[0];
    const last = list.at(-1);
    if (first === undefined || last === undefined) return EMPTY;
    const sum = last.value - first.value;
    const elapsed = last.timestamp - first.timestamp;
    const times = last.times - first.times;
    return { sum, tps: elapsed > 0 ? (sum * 1000) / elapsed : 0, avgpt: times > 0 ? sum / times : 0, times };
  }
}
