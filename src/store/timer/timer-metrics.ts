import type { DataVersion } from '../../protocol/bodies/data-version.js';
import { toFastjson } from '../../protocol/bodies/fastjson-writer.js';
import { loadConfigFile, writeFileAtomic } from '../config-file.js';

interface TopicTiming {
  count: number;
  timeStamp: number;
}

/**
 * TimerMetrics.java: pending timer messages per real topic (GET_TIMER_METRICS 61), kept in `config/timermetrics`
 * in Java's JSON shape, written at the timer store's flush when it changed. As in Java the file is written
 * periodically, so after a crash the counts can be off by what changed since the last flush.
 */
export class TimerMetrics {
  private readonly timingCount = new Map<string, TopicTiming>();
  private dataVersion: DataVersion = { stateVersion: 0, timestamp: Date.now(), counter: 0 };
  private dirty = false;

  constructor(private readonly path: string) {}

  async load(): Promise<void> {
    const loaded = await loadConfigFile(this.path, (text) => JSON.parse(text) as { dataVersion?: DataVersion; timingCount?: Record<string, TopicTiming> });
    if (loaded === undefined) return;
    if (loaded.dataVersion !== undefined) this.dataVersion = loaded.dataVersion;
    for (const [topic, timing] of Object.entries(loaded.timingCount ?? {})) {
      if (Number.isSafeInteger(timing.count)) this.timingCount.set(topic, { count: timing.count, timeStamp: Number(timing.timeStamp) || 0 });
    }
  }

  /** One more (or, with -1, one less) timer message pending for `topic`. */
  add(topic: string, delta: number, now: number): void {
    const timing = this.timingCount.get(topic) ?? { count: 0, timeStamp: now };
    timing.count += delta;
    timing.timeStamp = now;
    this.timingCount.set(topic, timing);
    this.dirty = true;
  }

  /** Every topic with its pending count (rocketmq_timing_messages). */
  *counts(): Generator<[string, number]> {
    for (const [topic, timing] of this.timingCount) yield [topic, timing.count];
  }

  count(topic: string): number {
    return this.timingCount.get(topic)?.count ?? 0;
  }

  encode(): string {
    const timingCount: Record<string, TopicTiming> = {};
    for (const [topic, timing] of this.timingCount) timingCount[topic] = { count: timing.count, timeStamp: timing.timeStamp };
    return toFastjson({ dataVersion: this.dataVersion, timingCount });
  }

  async persist(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    await writeFileAtomic(this.path, this.encode());
  }
}
