import { StatsItemSet } from '../../common/stats/stats-item-set.js';
import type { StatsWindow } from '../../common/stats/stats-item.js';

/**
 * ConsumeStatus.java: what a consumer reports of one subscribed topic in GET_CONSUMER_RUNNING_INFO's statusTable
 * (`mqadmin consumerStatus`, rocketmq-exporter's client families). Rates are per second and times in ms over the
 * last minute; consumeFailedMsgs is the failures of the last hour.
 */
export interface ConsumeStatus {
  pullRT: number;
  pullTPS: number;
  consumeRT: number;
  consumeOKTPS: number;
  consumeFailedTPS: number;
  consumeFailedMsgs: number;
}

/**
 * ConsumerStatsManager.java: pull and consume counters of every consumer of a client instance, by `topic@group`,
 * sampled by the instance's timers into minute, hour and day windows (StatsItemSet, as the broker keeps its own).
 *
 * Cost on the pull and consume paths: two map lookups and two additions per call; nothing is allocated once a
 * topic's items exist (the key string is never built on the hot path).
 */
export class ConsumerStatsManager {
  private readonly consumeOKTPS = new StatsItemSet('CONSUME_OK_TPS');
  private readonly consumeRT = new StatsItemSet('CONSUME_RT');
  private readonly consumeFailedTPS = new StatsItemSet('CONSUME_FAILED_TPS');
  private readonly pullTPS = new StatsItemSet('PULL_TPS');
  private readonly pullRT = new StatsItemSet('PULL_RT');
  private readonly sets = [this.consumeOKTPS, this.consumeRT, this.consumeFailedTPS, this.pullTPS, this.pullRT];

  /** A pull that found messages took `rt` ms (long-polling included, as Java measures it). */
  incPullRT(group: string, topic: string, rt: number): void {
    this.pullRT.pairItem(topic, group).add(rt, 1);
  }

  incPullTPS(group: string, topic: string, msgs: number): void {
    this.pullTPS.pairItem(topic, group).add(msgs, 1);
  }

  /** One listener call (a consume request) took `rt` ms. */
  incConsumeRT(group: string, topic: string, rt: number): void {
    this.consumeRT.pairItem(topic, group).add(rt, 1);
  }

  incConsumeOKTPS(group: string, topic: string, msgs: number): void {
    this.consumeOKTPS.pairItem(topic, group).add(msgs, 1);
  }

  incConsumeFailedTPS(group: string, topic: string, msgs: number): void {
    this.consumeFailedTPS.pairItem(topic, group).add(msgs, 1);
  }

  /** The instance's timers: every 10 s (minute), 10 min (hour) and hour (day), as StatsItemSet.init schedules them. */
  sample(window: StatsWindow, now = Date.now()): void {
    for (const set of this.sets) set.sample(window, now);
  }

  /**
   * consumeStatus: the minute window of each counter; the consume RT of the last hour when nothing was consumed
   * within the minute; the failures of the last hour. Zeros for what was never counted.
   */
  consumeStatus(group: string, topic: string): ConsumeStatus {
    const key = `${topic}@${group}`;
    const minute = (set: StatsItemSet): { sum: number; tps: number; avgpt: number } => set.get(key)?.snapshot('minute') ?? { sum: 0, tps: 0, avgpt: 0 };
    let consumeRT = minute(this.consumeRT);
    if (consumeRT.sum === 0) consumeRT = this.consumeRT.get(key)?.snapshot('hour') ?? consumeRT;
    return {
      pullRT: minute(this.pullRT).avgpt,
      pullTPS: minute(this.pullTPS).tps,
      consumeRT: consumeRT.avgpt,
      consumeOKTPS: minute(this.consumeOKTPS).tps,
      consumeFailedTPS: minute(this.consumeFailedTPS).tps,
      consumeFailedMsgs: this.consumeFailedTPS.get(key)?.snapshot('hour').sum ?? 0,
    };
  }
}
