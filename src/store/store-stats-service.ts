/** StoreStatsService.FREQUENCY_OF_SAMPLING: one snapshot of the counters per second. */
export const FREQUENCY_OF_SAMPLING = 1000;
/** StoreStatsService.MAX_RECORDS_OF_SAMPLING: ten minutes of snapshots, enough for the 600 s TPS. */
const MAX_RECORDS_OF_SAMPLING = 60 * 10;
/** printTPSInterval: the put-latency distribution and percentiles describe the last completed minute. */
const PRINT_TPS_INTERVAL = 60 * 1000;
/** The windows (seconds) of each TPS figure, as Java's "10s 60s 600s" string. */
const TPS_WINDOWS = [10, 60, 600] as const;

const PUT_MESSAGE_ENTIRE_TIME_MAX_DESC = [
  '[<=0ms]', '[0~10ms]', '[10~50ms]', '[50~100ms]', '[100~200ms]', '[200~500ms]', '[500ms~1s]',
  '[1~2s]', '[2~3s]', '[3~4s]', '[4~5s]', '[5~10s]', '[10s~]',
];
/** The upper bounds (ms) of PUT_MESSAGE_ENTIRE_TIME_MAX_DESC's buckets but the last. */
const DISTRIBUTE_TIME_BOUNDS = [0, 10, 50, 100, 200, 500, 1000, 2000, 3000, 4000, 5000, 10000];

/**
 * PUT_MESSAGE_ENTIRE_TIME_BUCKETS: the latency histogram behind putLatency99/999, finer for fast puts
 * (1 ms steps to 20 ms, then 2, 5, 10, 50, 100 and 1000 ms steps to 10 s, then everything slower).
 */
const LATENCY_BUCKET_BOUNDS: readonly number[] = (() => {
  const bounds: number[] = [];
  let bound = 0;
  for (const [step, times] of [[1, 20], [2, 15], [5, 10], [10, 10], [50, 6], [100, 5], [1000, 9]] as const) {
    for (let i = 0; i < times; i++) bounds.push((bound += step));
  }
  bounds.push(Number.MAX_SAFE_INTEGER);
  return bounds;
})();

interface CallSnapshot {
  readonly timestamp: number;
  readonly callTimesTotal: number;
}

/** Counters sampled for one TPS series. */
class SampledCounter {
  private readonly snapshots: CallSnapshot[] = [];

  sample(timestamp: number, total: number): void {
    this.snapshots.push({ timestamp, callTimesTotal: total });
    if (this.snapshots.length > MAX_RECORDS_OF_SAMPLING + 1) this.snapshots.shift();
  }

  /** CallSnapshot.getTPS over the last `seconds` samples; undefined until that many were taken. */
  tps(seconds: number): number | undefined {
    if (this.snapshots.length <= seconds) return undefined;
    const last = this.snapshots.at(-1)!;
    const begin = this.snapshots[this.snapshots.length - (seconds + 1)]!;
    return ((last.callTimesTotal - begin.callTimesTotal) / (last.timestamp - begin.timestamp)) * 1000;
  }

  /** Java's "10s 60s 600s" string; a window not sampled yet is empty, as Java's. */
  tpsString(): string {
    return TPS_WINDOWS.map((seconds) => {
      const tps = this.tps(seconds);
      return tps === undefined ? '' : javaDoubleToString(tps);
    }).join(' ');
  }
}

/**
 * StoreStatsService.java: counts puts and gets and samples them every second for the TPS figures of
 * mqadmin clusterList and brokerStatus (putTps, getTransferredTps, ...). The store drives sampling() from its
 * own timer. Rates use `monotonic` (milliseconds) so a wall-clock step cannot fake one; bootTimestamp and
 * runtime use the store's clock.
 */
export class StoreStatsService {
  putMessageTimesTotal = 0;
  putMessageSizeTotal = 0;
  putMessageFailedTimes = 0;
  getMessageTimesTotalFound = 0;
  getMessageTimesTotalMiss = 0;
  getMessageTransferredMsgCount = 0;
  private putMessageEntireTimeMax = 0;
  private getMessageEntireTimeMax = 0;
  private readonly putTimes = new SampledCounter();
  private readonly getTimesFound = new SampledCounter();
  private readonly getTimesMiss = new SampledCounter();
  private readonly transferredMsgCount = new SampledCounter();
  private putMessageDistributeTime = new Array<number>(PUT_MESSAGE_ENTIRE_TIME_MAX_DESC.length).fill(0);
  /** Java's lastPutMessageDistributeTime: null until the first minute completes. */
  private lastPutMessageDistributeTime: number[] | null = null;
  private latencyBuckets = new Array<number>(LATENCY_BUCKET_BOUNDS.length).fill(0);
  private lastLatencyBuckets: number[] = [];
  private readonly bootTimestamp: number;
  private lastRotation: number;

  constructor(
    private readonly clock: () => number,
    private readonly monotonic: () => number,
  ) {
    this.bootTimestamp = clock();
    this.lastRotation = monotonic();
    this.sampling();
  }

  /** Records one put's duration (ms): the max, the distribution and the latency histogram. */
  setPutMessageEntireTimeMax(value: number): void {
    const bucket = LATENCY_BUCKET_BOUNDS.findIndex((bound) => value <= bound);
    this.latencyBuckets[bucket]!++;
    const slot = DISTRIBUTE_TIME_BOUNDS.findIndex((bound, i) => (i === 0 ? value <= bound : value < bound));
    this.putMessageDistributeTime[slot === -1 ? DISTRIBUTE_TIME_BOUNDS.length : slot]!++;
    this.putMessageEntireTimeMax = Math.max(this.putMessageEntireTimeMax, value);
  }

  setGetMessageEntireTimeMax(value: number): void {
    this.getMessageEntireTimeMax = Math.max(this.getMessageEntireTimeMax, value);
  }

  /** One snapshot of every counter; every minute the latency window rolls over (Java's printTps). */
  sampling(): void {
    const now = this.monotonic();
    this.putTimes.sample(now, this.putMessageTimesTotal);
    this.getTimesFound.sample(now, this.getMessageTimesTotalFound);
    this.getTimesMiss.sample(now, this.getMessageTimesTotalMiss);
    this.transferredMsgCount.sample(now, this.getMessageTransferredMsgCount);
    if (now - this.lastRotation >= PRINT_TPS_INTERVAL) {
      this.lastRotation = now;
      this.lastPutMessageDistributeTime = this.putMessageDistributeTime;
      this.putMessageDistributeTime = new Array<number>(PUT_MESSAGE_ENTIRE_TIME_MAX_DESC.length).fill(0);
      this.lastLatencyBuckets = this.latencyBuckets;
      this.latencyBuckets = new Array<number>(LATENCY_BUCKET_BOUNDS.length).fill(0);
    }
  }

  /** findPutMessageEntireTimePX: the px quantile of last minute's put latency, interpolated in its bucket. */
  findPutMessageEntireTimePX(px: number): number {
    const counts = this.lastLatencyBuckets;
    const pxIndex = Math.floor(counts.reduce((a, b) => a + b, 0) * px);
    let passCount = 0;
    for (const [i, count] of counts.entries()) {
      if (pxIndex <= passCount + count) {
        const relativeIndex = pxIndex - passCount;
        const bound = LATENCY_BUCKET_BOUNDS[i]!;
        if (i === 0) return count === 0 ? 0 : (bound * relativeIndex) / count;
        const lower = LATENCY_BUCKET_BOUNDS[i - 1]!;
        return lower + (count === 0 ? 0 : ((bound - lower) * relativeIndex) / count);
      }
      passCount += count;
    }
    return 0;
  }

  /** StoreStatsService.getRuntimeInfo: the same keys and value formats as Java's. */
  getRuntimeInfo(): Map<string, string> {
    // As Java: the total reads 1 before the first put (it doubles as the divisor of the average).
    const totalTimes = this.putMessageTimesTotal === 0 ? 1 : this.putMessageTimesTotal;
    const getTotalTps = TPS_WINDOWS.map((seconds) => javaDoubleToString((this.getTimesFound.tps(seconds) ?? 0) + (this.getTimesMiss.tps(seconds) ?? 0)));
    return new Map([
      ['bootTimestamp', String(this.bootTimestamp)],
      ['runtime', this.formatRuntime()],
      ['putMessageEntireTimeMax', String(this.putMessageEntireTimeMax)],
      ['putMessageTimesTotal', String(totalTimes)],
      ['putMessageFailedTimes', String(this.putMessageFailedTimes)],
      ['putMessageSizeTotal', String(this.putMessageSizeTotal)],
      ['putMessageDistributeTime', this.putMessageDistributeTimeToString()],
      ['putMessageAverageSize', javaDoubleToString(this.putMessageSizeTotal / totalTimes)],
      // Java's largest dispatch backlog; our dispatch runs inside the put, so there is never a buffer.
      ['dispatchMaxBuffer', '0'],
      ['getMessageEntireTimeMax', String(this.getMessageEntireTimeMax)],
      ['putTps', this.putTimes.tpsString()],
      ['getFoundTps', this.getTimesFound.tpsString()],
      ['getMissTps', this.getTimesMiss.tpsString()],
      ['getTotalTps', getTotalTps.join(' ')],
      ['getTransferredTps', this.transferredMsgCount.tpsString()],
      ['putLatency99', this.findPutMessageEntireTimePX(0.99).toFixed(2)],
      ['putLatency999', this.findPutMessageEntireTimePX(0.999).toFixed(2)],
    ]);
  }

  private formatRuntime(): string {
    const time = Math.max(0, this.clock() - this.bootTimestamp);
    const [second, minute, hour, day] = [1000, 60_000, 3_600_000, 86_400_000];
    const parts = [Math.floor(time / day), Math.floor((time % day) / hour), Math.floor((time % hour) / minute), Math.floor((time % minute) / second)];
    return `[ ${parts[0]} days, ${parts[1]} hours, ${parts[2]} minutes, ${parts[3]} seconds ]`;
  }

  private putMessageDistributeTimeToString(): string {
    const times = this.lastPutMessageDistributeTime;
    if (times === null) return 'null';
    return times.map((value, i) => `${PUT_MESSAGE_ENTIRE_TIME_MAX_DESC[i]}:${value} `).join('');
  }
}

/** Double.toString: "12.0" not "12", and E notation outside [1e-3, 1e7), so Java-side parsers see Java's text. */
export function javaDoubleToString(d: number): string {
  if (Number.isNaN(d)) return 'NaN';
  if (!Number.isFinite(d)) return d > 0 ? 'Infinity' : '-Infinity';
  if (d === 0) return Object.is(d, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(d);
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(d);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mantissa, exponent] = d.toExponential().split('e') as [string, string];
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${exponent.replace('+', '')}`;
}

/** MixAll.humanReadableByteCount(bytes, false): "512 B", "1.5 KiB", "3.0 GiB". */
export function humanReadableByteCount(bytes: number): string {
  const unit = 1024;
  if (bytes < unit) return `${bytes} B`;
  const exp = Math.floor(Math.log(bytes) / Math.log(unit));
  return `${(bytes / unit ** exp).toFixed(1)} ${'KMGTPE'.charAt(exp - 1)}iB`;
}
