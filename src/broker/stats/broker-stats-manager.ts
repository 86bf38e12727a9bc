import { StatsItem, STATS_WINDOWS, type StatsWindow } from '../../common/stats/stats-item.js';
import { StatsItemSet } from '../../common/stats/stats-item-set.js';

/** Stats.java's names, as VIEW_BROKER_STATS_DATA (315) takes them in `statsName`. */
export const StatsName = {
  TOPIC_PUT_NUMS: 'TOPIC_PUT_NUMS',
  TOPIC_PUT_SIZE: 'TOPIC_PUT_SIZE',
  GROUP_GET_NUMS: 'GROUP_GET_NUMS',
  GROUP_GET_SIZE: 'GROUP_GET_SIZE',
  SNDBCK_PUT_NUMS: 'SNDBCK_PUT_NUMS',
  QUEUE_PUT_NUMS: 'QUEUE_PUT_NUMS',
  QUEUE_PUT_SIZE: 'QUEUE_PUT_SIZE',
  QUEUE_GET_NUMS: 'QUEUE_GET_NUMS',
  QUEUE_GET_SIZE: 'QUEUE_GET_SIZE',
  BROKER_PUT_NUMS: 'BROKER_PUT_NUMS',
  BROKER_GET_NUMS: 'BROKER_GET_NUMS',
  BROKER_PUT_NUMS_WITHOUT_SYSTEM_TOPIC: 'BROKER_PUT_NUMS_WITHOUT_SYSTEM_TOPIC',
  BROKER_GET_NUMS_WITHOUT_SYSTEM_TOPIC: 'BROKER_GET_NUMS_WITHOUT_SYSTEM_TOPIC',
} as const;

export type StatsNameKey = (typeof StatsName)[keyof typeof StatsName];

export interface BrokerStatsManagerOptions {
  /** The broker-wide items are kept under the cluster name, as Java's. */
  clusterName: string;
  /** TopicValidator.isSystemTopic (with the names the broker added): their traffic stays out of today's totals. */
  isSystemTopic: (topic: string) => boolean;
  /** Wall clock (ms): window timestamps and the midnight roll-over of the daily totals. */
  now?: () => number;
}

/**
 * BrokerStatsManager.java with BrokerStats.java: per-topic put and per-group get counters (message counts and
 * stored bytes), send-backs, the broker totals, and the daily put/get totals of GET_BROKER_RUNTIME_INFO. One place
 * feeds VIEW_BROKER_STATS_DATA (315), the runtime info (28) and the Prometheus endpoint.
 *
 * Cost on the send and pull paths: per stored batch or served pull, a few map lookups (two for a topic@group
 * item) and additions to numbers; nothing is allocated once a topic's or group's items exist. Timers sample the
 * cumulative numbers every 10 s, 10 min and hour into each item's minute, hour and day windows.
 */
export class BrokerStatsManager {
  private readonly sets = new Map<string, StatsItemSet>();
  private readonly topicPutNums = this.newSet(StatsName.TOPIC_PUT_NUMS);
  private readonly topicPutSize = this.newSet(StatsName.TOPIC_PUT_SIZE);
  private readonly groupGetNums = this.newSet(StatsName.GROUP_GET_NUMS);
  private readonly groupGetSize = this.newSet(StatsName.GROUP_GET_SIZE);
  private readonly sendBackNums = this.newSet(StatsName.SNDBCK_PUT_NUMS);
  private readonly queuePutNums = this.newSet(StatsName.QUEUE_PUT_NUMS);
  private readonly queuePutSize = this.newSet(StatsName.QUEUE_PUT_SIZE);
  private readonly queueGetNums = this.newSet(StatsName.QUEUE_GET_NUMS);
  private readonly queueGetSize = this.newSet(StatsName.QUEUE_GET_SIZE);
  private readonly brokerPut: StatsItem;
  private readonly brokerGet: StatsItem;
  private readonly brokerPutWithoutSystem: StatsItem;
  private readonly brokerGetWithoutSystem: StatsItem;
  private readonly isSystemTopic: (topic: string) => boolean;
  private readonly now: () => number;
  private readonly timers: NodeJS.Timeout[] = [];
  private midnightTimer: NodeJS.Timeout | undefined;
  /** BrokerStats: the without-system-topic totals at the last two midnights. */
  private putTotalYesterdayMorning = 0;
  private putTotalTodayMorning = 0;
  private getTotalYesterdayMorning = 0;
  private getTotalTodayMorning = 0;

  constructor(options: BrokerStatsManagerOptions) {
    this.isSystemTopic = options.isSystemTopic;
    this.now = options.now ?? Date.now;
    // Java adds to these without counting calls; the item exists from the start so 315 always finds it.
    this.brokerPut = this.newSet(StatsName.BROKER_PUT_NUMS).item(options.clusterName);
    this.brokerGet = this.newSet(StatsName.BROKER_GET_NUMS).item(options.clusterName);
    this.brokerPutWithoutSystem = this.newSet(StatsName.BROKER_PUT_NUMS_WITHOUT_SYSTEM_TOPIC).item(options.clusterName);
    this.brokerGetWithoutSystem = this.newSet(StatsName.BROKER_GET_NUMS_WITHOUT_SYSTEM_TOPIC).item(options.clusterName);
  }

  /** Starts sampling (Java's initial delay 0: the first sample is taken now) and the midnight roll-over. */
  start(): void {
    if (this.timers.length > 0) return;
    for (const window of Object.keys(STATS_WINDOWS) as StatsWindow[]) {
      this.sample(window);
      this.timers.push(setInterval(() => this.sample(window), STATS_WINDOWS[window].periodMillis).unref());
    }
    this.scheduleMidnight();
  }

  shutdown(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
    clearTimeout(this.midnightTimer);
  }

  /** One sampling pass of every item for a window (the timers call this; tests call it with their own clock). */
  sample(window: StatsWindow): void {
    const now = this.now();
    for (const set of this.sets.values()) set.sample(window, now);
  }

  /** A stored put of `msgNum` messages (one batch) and `wroteBytes` to `topic`: TOPIC_PUT_*, BROKER_PUT_NUMS. */
  incTopicPut(topic: string, msgNum: number, wroteBytes: number): void {
    this.topicPutNums.item(topic).add(msgNum, 1);
    this.topicPutSize.item(topic).add(wroteBytes, 1);
    this.brokerPut.add(msgNum, 0);
    if (!this.isSystemTopic(topic)) this.brokerPutWithoutSystem.add(msgNum, 0);
  }

  /** Java keeps queue puts only for the schedule topic (a delay level's queue), on send and on send-back. */
  incQueuePut(topic: string, queueId: number, msgNum: number, wroteBytes: number): void {
    this.queuePutNums.pairItem(topic, queueId).add(msgNum, 1);
    this.queuePutSize.pairItem(topic, queueId).add(wroteBytes, 1);
  }

  /** A pull that found `msgCount` messages of `bytes` for `group`: GROUP_GET_NUMS and GROUP_GET_SIZE. */
  incGroupGet(group: string, topic: string, msgCount: number, bytes: number): void {
    this.groupGetNums.pairItem(topic, group).add(msgCount, 1);
    this.groupGetSize.pairItem(topic, group).add(bytes, 1);
  }

  /** BROKER_GET_NUMS (a client's pull; Java leaves the schedule service's reads out of it). */
  incBrokerGet(topic: string, msgCount: number): void {
    this.brokerGet.add(msgCount, 0);
    if (!this.isSystemTopic(topic)) this.brokerGetWithoutSystem.add(msgCount, 0);
  }

  /** Java's incQueueGetNums/Size, called only for the schedule service's deliveries (key topic@queueId@group). */
  incQueueGet(group: string, topic: string, queueId: number, msgCount: number, bytes: number): void {
    this.queueGetNums.pairItem(`${topic}@${queueId}`, group).add(msgCount, 1);
    this.queueGetSize.pairItem(`${topic}@${queueId}`, group).add(bytes, 1);
  }

  /** A message given back by `group` (CONSUMER_SEND_MSG_BACK), under its original topic. */
  incSendBackNums(group: string, topic: string): void {
    this.sendBackNums.pairItem(topic, group).add(1, 1);
  }

  /** getStatsItem: what VIEW_BROKER_STATS_DATA reads; undefined when nothing was counted under the key. */
  getStatsItem(statsName: string, statsKey: string): StatsItem | undefined {
    return this.sets.get(statsName)?.get(statsKey);
  }

  /** The items of one statistic (the metrics endpoint reads the cumulative values). */
  statsItemSet(statsName: StatsNameKey): StatsItemSet {
    return this.sets.get(statsName)!;
  }

  /** onTopicDeleted: the topic's items go, so a re-created topic starts from zero. */
  onTopicDeleted(topic: string): void {
    for (const set of [this.topicPutNums, this.topicPutSize, this.groupGetNums, this.groupGetSize, this.sendBackNums, this.queuePutNums, this.queuePutSize]) {
      set.deleteFirst(topic);
    }
  }

  /** onGroupDeleted. */
  onGroupDeleted(group: string): void {
    for (const set of [this.groupGetNums, this.groupGetSize, this.sendBackNums, this.queueGetNums, this.queueGetSize]) set.deleteSecond(group);
  }

  /** BrokerStats: the runtime info's msgPutTotal* / msgGetTotal* keys (messages of non-system topics). */
  dailyTotals(): {
    msgPutTotalYesterdayMorning: number;
    msgPutTotalTodayMorning: number;
    msgPutTotalTodayNow: number;
    msgGetTotalYesterdayMorning: number;
    msgGetTotalTodayMorning: number;
    msgGetTotalTodayNow: number;
  } {
    return {
      msgPutTotalYesterdayMorning: this.putTotalYesterdayMorning,
      msgPutTotalTodayMorning: this.putTotalTodayMorning,
      msgPutTotalTodayNow: this.brokerPutWithoutSystem.value,
      msgGetTotalYesterdayMorning: this.getTotalYesterdayMorning,
      msgGetTotalTodayMorning: this.getTotalTodayMorning,
      msgGetTotalTodayNow: this.brokerGetWithoutSystem.value,
    };
  }

  /** BrokerStats.record, run at each local midnight: today's morning becomes yesterday's. */
  recordMidnight(): void {
    this.putTotalYesterdayMorning = this.putTotalTodayMorning;
    this.getTotalYesterdayMorning = this.getTotalTodayMorning;
    this.putTotalTodayMorning = this.brokerPutWithoutSystem.value;
    this.getTotalTodayMorning = this.brokerGetWithoutSystem.value;
  }

  private scheduleMidnight(): void {
    const now = this.now();
    const next = new Date(now);
    next.setHours(24, 0, 0, 0);
    this.midnightTimer = setTimeout(() => {
      this.recordMidnight();
      this.scheduleMidnight();
    }, next.getTime() - now).unref();
  }

  private newSet(statsName: StatsNameKey): StatsItemSet {
    const set = new StatsItemSet(statsName);
    this.sets.set(statsName, set);
    return set;
  }
}
