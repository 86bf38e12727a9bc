import { silentLogger, type Logger } from '../../common/logger.js';
import type { DataVersion } from '../../protocol/bodies/data-version.js';
import {
  decodeDelayOffsetSerializeWrapper,
  encodeDelayOffsetSerializeWrapper,
  type DelayOffsetSerializeWrapper,
} from '../../protocol/bodies/delay-offset-serialize-wrapper.js';
import { MessageConst, MessageExtBrokerInner, MessageSysFlag, getTransactionValue, type MessageExt } from '../../protocol/message/index.js';
import type { BrokerMessageStore } from '../broker-message-store.js';
import { ConfigManager, newDataVersion, nextDataVersion } from '../config-manager.js';
import type { ConfigStore } from '../config-store.js';
import { isStored, type AppendMessageResult } from '../../store/message-store.js';
import type { BrokerStatsManager } from '../stats/broker-stats-manager.js';
import { TopicValidator } from '../topic/topic-validator.js';

/** Java waits this long after a failed re-put before trying the level again. */
const DELAY_FOR_A_PERIOD = 10_000;
/** Consume-queue entries read per look; a level yields to the event loop between batches. */
const BATCH_SIZE = 32;
/** Batches one run delivers before yielding (the level runs again at once): bounds a run's length. */
const MAX_BATCHES_PER_RUN = 64;
/** BrokerConfig.delayOffsetUpdateVersionStep: the DataVersion moves once per this many offset updates. */
const VERSION_STEP = 200;
/** A stored entry of this size is a hole filler (BLANK_UNIT_SIZE), not a message. */
const BLANK_UNIT_SIZE = 0x7fffffff;

const SCHEDULE_TOPIC = TopicValidator.RMQ_SYS_SCHEDULE_TOPIC;
/** MixAll.SCHEDULE_CONSUMER_GROUP: the group the deliveries are counted as reads of. */
const SCHEDULE_CONSUMER_GROUP = 'SCHEDULE_CONSUMER';

export function queueId2DelayLevel(queueId: number): number {
  return queueId + 1;
}

export function delayLevel2QueueId(delayLevel: number): number {
  return delayLevel - 1;
}

/** Message.getDelayTimeLevel: the DELAY property, 0 when absent or not a number. */
export function getDelayTimeLevel(msg: MessageExt): number {
  const level = Number(msg.getProperty(MessageConst.PROPERTY_DELAY_TIME_LEVEL) ?? 0);
  return Number.isInteger(level) ? level : 0;
}

/**
 * HookUtils.handleScheduleMessage / transformDelayLevelMessage (5.x; 4.9's CommitLog.putMessage): a message with a
 * positive DELAY, not a transaction half, is parked in SCHEDULE_TOPIC_XXXX queue level-1, its real topic and queue
 * kept in REAL_TOPIC / REAL_QID. A level past the last counts as the last.
 */
export function handleScheduleMessage(msg: MessageExtBrokerInner, maxDelayLevel: number): void {
  const tranType = getTransactionValue(msg.sysFlag);
  if (tranType !== MessageSysFlag.TRANSACTION_NOT_TYPE && tranType !== MessageSysFlag.TRANSACTION_COMMIT_TYPE) return;
  let level = getDelayTimeLevel(msg);
  if (level <= 0 || maxDelayLevel <= 0) return;
  if (level > maxDelayLevel) {
    level = maxDelayLevel;
    msg.properties.set(MessageConst.PROPERTY_DELAY_TIME_LEVEL, String(level));
  }
  msg.properties.set(MessageConst.PROPERTY_REAL_TOPIC, msg.topic);
  msg.properties.set(MessageConst.PROPERTY_REAL_QUEUE_ID, String(msg.queueId));
  msg.topic = SCHEDULE_TOPIC;
  msg.queueId = delayLevel2QueueId(level);
}

/** What the service needs of the store. */
export type ScheduleStore = Pick<
  BrokerMessageStore,
  'delayLevelTable' | 'iterateConsumeQueue' | 'lookMessageByOffset' | 'putMessage' | 'getMinOffsetInQueue' | 'getMaxOffsetInQueue'
>;

export interface ScheduleMessageServiceOptions {
  store: ScheduleStore;
  configStore: ConfigStore;
  /** Counts deliveries as Java does: a get of SCHEDULE_CONSUMER from the level's queue, a put to the real topic. */
  stats?: Pick<BrokerStatsManager, 'incTopicPut' | 'incGroupGet' | 'incQueueGet'>;
  logger?: Logger;
  clock?: () => number;
}

/** What one run of a level ended with. */
type RunOutcome = { kind: 'due'; at: number } | { kind: 'retry'; afterMillis: number } | { kind: 'idle' };

interface LevelState {
  timer: NodeJS.Timeout | undefined;
  /** When the pending timer fires (epoch ms). */
  timerDue: number;
  running: Promise<void> | undefined;
  /** A message arrived while the level was running: run again right after. */
  rerun: boolean;
}

/**
 * ScheduleMessageService.java: delivers the messages parked in SCHEDULE_TOPIC_XXXX back to their real topic and
 * queue when their level's delay has passed. Each level is a queue of that topic whose entries are in due order
 * (every entry of a level has the same delay, and its tag code is its deliver time), so a level only ever waits
 * for its head: instead of Java's 100 ms poll, each level sets one timer for the head's due time, and a level with
 * nothing parked sleeps until the store reports an arrival in its queue. Progress (the next offset of each level)
 * is delayOffset.json, Java's format; GET_ALL_DELAY_OFFSET serves it.
 */
export class ScheduleMessageService extends ConfigManager<DelayOffsetSerializeWrapper> {
  private readonly offsetTable = new Map<number, number>();
  private readonly levels = new Map<number, LevelState>();
  private readonly store: ScheduleStore;
  private readonly stats: ScheduleMessageServiceOptions['stats'];
  private readonly clock: () => number;
  private dataVersion: DataVersion = newDataVersion();
  private versionChangeCounter = 0;
  private started = false;

  constructor(options: ScheduleMessageServiceOptions) {
    super(options.configStore, 'delayOffset.json', options.logger ?? silentLogger);
    this.store = options.store;
    this.stats = options.stats;
    this.clock = options.clock ?? Date.now;
  }

  get maxDelayLevel(): number {
    return this.store.delayLevelTable.size;
  }

  /** After load(): corrects offsets that fell outside their queue and runs every level once. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.correctDelayOffset();
    for (const level of this.store.delayLevelTable.keys()) {
      this.levels.set(level, { timer: undefined, timerDue: 0, running: undefined, rerun: false });
      this.schedule(level, 0);
    }
  }

  /** Stops every timer, waits for deliveries in flight, and persists the offsets. */
  async shutdown(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    for (const state of this.levels.values()) clearTimeout(state.timer);
    await Promise.allSettled([...this.levels.values()].flatMap((state) => (state.running === undefined ? [] : [state.running])));
    await this.persist();
  }

  /**
   * The store's arrival listener: a message parked at a level. Its tag code is its deliver time, so the level's
   * timer moves earlier if needed; a level already waiting for an earlier head is left alone.
   */
  onMessageArriving(topic: string, queueId: number, deliverTimestamp: number): void {
    if (topic !== SCHEDULE_TOPIC || !this.started) return;
    const level = queueId2DelayLevel(queueId);
    const state = this.levels.get(level);
    if (state === undefined) return;
    if (state.running !== undefined) {
      state.rerun = true;
      return;
    }
    if (state.timer !== undefined && state.timerDue <= deliverTimestamp) return;
    this.schedule(level, deliverTimestamp - this.clock());
  }

  /**
   * SlaveSynchronize.syncDelayOffset (5.x loadWhenSyncDelayOffset): the master's delayOffset.json replaces the
   * table and is written as ours, so a slave restarted as master delivers from where its master was.
   */
  async loadWhenSyncDelayOffset(text: string): Promise<void> {
    const wrapper = this.decode(text);
    this.offsetTable.clear();
    this.apply(wrapper);
    await this.persist();
  }

  encode(): string {
    return encodeDelayOffsetSerializeWrapper({ offsetTable: this.offsetTable, dataVersion: this.dataVersion }).toString('utf8');
  }

  protected decode(text: string): DelayOffsetSerializeWrapper {
    return decodeDelayOffsetSerializeWrapper(text);
  }

  protected apply(wrapper: DelayOffsetSerializeWrapper): void {
    for (const [level, offset] of wrapper.offsetTable) this.offsetTable.set(level, offset);
    if (wrapper.dataVersion !== undefined) this.dataVersion = wrapper.dataVersion;
  }

  /** ScheduleMessageService.correctDelayOffset: an offset outside [min, max] of its queue is clamped. */
  private correctDelayOffset(): void {
    for (const [level, offset] of this.offsetTable) {
      const queueId = delayLevel2QueueId(level);
      const min = this.store.getMinOffsetInQueue(SCHEDULE_TOPIC, queueId);
      const max = this.store.getMaxOffsetInQueue(SCHEDULE_TOPIC, queueId);
      const corrected = Math.min(Math.max(offset, min), max);
      if (corrected !== offset) {
        this.logger.error(`correct delay offset [ delayLevel ${level} ] from ${offset} to ${corrected}`);
        this.offsetTable.set(level, corrected);
      }
    }
  }

  private schedule(level: number, delayMillis: number): void {
    const state = this.levels.get(level);
    if (state === undefined || !this.started) return;
    clearTimeout(state.timer);
    const delay = Math.max(0, Math.ceil(delayMillis));
    state.timerDue = this.clock() + delay;
    state.timer = setTimeout(() => {
      state.timer = undefined;
      this.run(level, state);
    }, delay);
  }

  private run(level: number, state: LevelState): void {
    if (state.running !== undefined || !this.started) return;
    state.rerun = false;
    state.running = this.executeOnTimeUp(level)
      .catch((err: unknown): RunOutcome => {
        this.logger.error(`ScheduleMessageService, executeOnTimeUp exception, level ${level}`, err);
        return { kind: 'retry', afterMillis: DELAY_FOR_A_PERIOD };
      })
      .then((outcome) => {
        state.running = undefined;
        if (!this.started) return;
        if (state.rerun && outcome.kind !== 'retry') this.schedule(level, 0);
        else if (outcome.kind === 'due') this.schedule(level, outcome.at - this.clock());
        else if (outcome.kind === 'retry') this.schedule(level, outcome.afterMillis);
      });
  }

  /** DeliverDelayedMessageTimerTask.executeOnTimeUp: re-puts every due message of the level, in order. */
  private async executeOnTimeUp(level: number): Promise<RunOutcome> {
    const queueId = delayLevel2QueueId(level);
    let offset = this.offsetTable.get(level) ?? 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
      const units = this.store.iterateConsumeQueue(SCHEDULE_TOPIC, queueId, offset, BATCH_SIZE);
      if (units.length === 0) {
        const min = this.store.getMinOffsetInQueue(SCHEDULE_TOPIC, queueId);
        if (offset < min) {
          this.logger.error(`schedule CQ offset invalid. offset=${offset}, cqMinOffset=${min}, queueId=${queueId}`);
          offset = min;
          this.updateOffset(level, offset);
          continue;
        }
        return { kind: 'idle' };
      }
      for (const unit of units) {
        if (unit.size === BLANK_UNIT_SIZE) {
          offset = unit.queueOffset + 1;
          continue;
        }
        const now = this.clock();
        const deliverTimestamp = this.correctDeliverTimestamp(level, now, unit.tagsCode);
        if (deliverTimestamp > now) {
          this.updateOffset(level, offset);
          return { kind: 'due', at: deliverTimestamp };
        }
        const msgExt = this.store.lookMessageByOffset(unit.pos);
        const msgInner = msgExt === null ? undefined : this.messageTimeUp(msgExt);
        if (msgInner === undefined) {
          this.logger.error(`ScheduleMessageService, a parked message is unreadable or has no real topic, skipped: level ${level}, offset ${unit.queueOffset}, commit-log offset ${unit.pos}`);
        } else {
          const result = await this.store.putMessage(msgInner);
          if (!isStored(result.status)) {
            this.logger.error(`ScheduleMessageService, a message is time up, but reput it failed (${result.status}), topic: ${msgInner.topic} msgId ${msgExt?.msgId ?? ''}`);
            this.updateOffset(level, offset);
            return { kind: 'retry', afterMillis: DELAY_FOR_A_PERIOD };
          }
          this.countDelivery(level, msgInner.topic, result.appendResult);
        }
        offset = unit.queueOffset + 1;
        this.updateOffset(level, offset);
        if (!this.started) return { kind: 'idle' };
      }
    }
    return { kind: 'retry', afterMillis: 0 };
  }

  /** A due time further away than the level's delay (clock moved back, or the level got shorter) is now. */
  private correctDeliverTimestamp(level: number, now: number, deliverTimestamp: number): number {
    const maxTimestamp = now + (this.store.delayLevelTable.get(level) ?? 0);
    return deliverTimestamp > maxTimestamp ? now : deliverTimestamp;
  }

  /**
   * ScheduleMessageService.messageTimeUp: the parked message, back on its real topic and queue. Its properties
   * stay as parked, DELAY, REAL_TOPIC and REAL_QID included: Java stores the properties string it computed before
   * clearing DELAY, so consumers of a Java broker see the same.
   */
  private messageTimeUp(msgExt: MessageExt): MessageExtBrokerInner | undefined {
    const topic = msgExt.properties.get(MessageConst.PROPERTY_REAL_TOPIC);
    const queueId = Number(msgExt.properties.get(MessageConst.PROPERTY_REAL_QUEUE_ID));
    if (topic === undefined || !Number.isInteger(queueId) || queueId < 0) return undefined;
    const msgInner = MessageExtBrokerInner.copyOf(msgExt);
    msgInner.topic = topic;
    msgInner.queueId = queueId;
    return msgInner;
  }

  /** DeliverDelayedMessageTimerTask's stats on a delivered message, under the level's queue and the real topic. */
  private countDelivery(level: number, topic: string, appended: AppendMessageResult | undefined): void {
    if (this.stats === undefined || appended === undefined) return;
    const { msgNum, wroteBytes } = appended;
    this.stats.incQueueGet(SCHEDULE_CONSUMER_GROUP, SCHEDULE_TOPIC, delayLevel2QueueId(level), msgNum, wroteBytes);
    this.stats.incGroupGet(SCHEDULE_CONSUMER_GROUP, SCHEDULE_TOPIC, msgNum, wroteBytes);
    this.stats.incTopicPut(topic, msgNum, wroteBytes);
  }

  /** buildRunningStats: `scheduleMessageOffset_<level>` = "<delivered offset>,<max offset>" for the runtime info. */
  buildRunningStats(): Map<string, string> {
    const stats = new Map<string, string>();
    for (const [level, offset] of this.offsetTable) {
      stats.set(`scheduleMessageOffset_${level}`, `${offset},${this.store.getMaxOffsetInQueue(SCHEDULE_TOPIC, delayLevel2QueueId(level))}`);
    }
    return stats;
  }

  private updateOffset(level: number, offset: number): void {
    if (this.offsetTable.get(level) === offset) return;
    this.offsetTable.set(level, offset);
    if (++this.versionChangeCounter % VERSION_STEP === 0) this.dataVersion = nextDataVersion(this.dataVersion);
  }
}
