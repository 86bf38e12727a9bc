import { silentLogger, type Logger } from '../../common/logger.js';
import {
  decodeStoredMessages,
  encodeStoredMessage,
  MessageConst,
  MessageExtBrokerInner,
  type HostAddress,
  type MessageExt,
} from '../../protocol/message/index.js';
import type { BrokerMessageStore } from '../broker-message-store.js';
import type { MessageFilter } from '../../store/message-store.js';
import type { ConsumerOrderInfoManager } from './consumer-order-info-manager.js';
import {
  buildExtraInfo,
  isOrder,
  msgOffsetInfoEntry,
  orderCountInfoEntry,
  parseExtraInfo,
  realTopicOf,
  startOffsetInfoEntry,
  type ExtraInfo,
} from './extra-info.js';
import type { BrokerMetricsManager } from '../stats/broker-metrics-manager.js';
import { ACK_TAG, buildClusterReviveTopic, buildPopRetryTopic, CK_TAG, dlqTopicOf, POP_ORDER_REVIVE_QUEUE, RETRY_GROUP_TOPIC_PREFIX, REVIVE_GROUP } from './key-builder.js';
import { checkPointKey, decodeAck, decodeCheckPoint, encodeAck, encodeCheckPoint, PopCheckPointTable, type PopAck, type PopCheckPoint } from './pop-check-point.js';
import { PopLongPollingService } from './pop-long-polling-service.js';
import { QueueLockManager } from './queue-lock-manager.js';

/** PopMessageProcessor caps a pop at 32 messages. */
export const MAX_POP_MSG_NUMS = 32;
/** ConsumeInitMode: where a group with no offset starts. */
export const ConsumeInitMode = { MIN: 0, MAX: 1 } as const;
/** The revive log has one queue here: the handles' reviveQid is 0 for every non-FIFO pop. */
const REVIVE_QUEUE_ID = 0;
/** How many revive-log records are read at a time when replaying. */
const REPLAY_BATCH = 32;

/** The BrokerConfig keys POP reads (Java's names). */
export interface PopConfig {
  readonly brokerName: string;
  readonly brokerClusterName: string;
  /** Percent of pops that read the retry topic first (Java: 20). */
  readonly popFromRetryProbability: number;
  readonly enableRetryTopicV2: boolean;
  readonly initPopOffsetByCheckMsgInMem: boolean;
  readonly maxPopPollingSize: number;
  readonly popPollingSize: number;
  /** How often due checkpoints are revived, in ms. */
  readonly reviveInterval: number;
}

/** What the engine needs of the broker's offsets and topics. */
export interface PopBrokerPort {
  queryOffset(group: string, topic: string, queueId: number): number;
  commitOffset(group: string, topic: string, queueId: number, offset: number): void;
  /** The topic's read queue count, undefined when the topic does not exist. */
  readQueueNums(topic: string): number | undefined;
  /** Creates a retry or dead-letter topic when missing (createTopicInSendMessageBackMethod). */
  createTopicIfAbsent(topic: string, queueNums: number): void;
}

export interface PopEngineOptions {
  readonly store: BrokerMessageStore;
  readonly broker: PopBrokerPort;
  readonly orderInfo: ConsumerOrderInfoManager;
  readonly config: () => PopConfig;
  readonly storeHost: () => HostAddress;
  readonly now?: () => number;
  /** In [0, 1): chooses retry-topic-first pops and the first queue. */
  readonly random?: () => number;
  readonly logger?: Logger;
  /** PopMetricsManager's revive counters. */
  readonly metrics?: Pick<BrokerMetricsManager, 'recordRevivePut' | 'recordReviveGet' | 'recordReviveRetry'>;
}

export interface PopRequest {
  readonly group: string;
  readonly topic: string;
  /** -1: every readable queue of the topic. */
  readonly queueId: number;
  readonly maxMsgNums: number;
  readonly invisibleTime: number;
  /** How long to wait for a message when none is there, in ms (0: answer at once). */
  readonly pollTime: number;
  /** FIFO: a queue with a batch in flight hands out nothing else. */
  readonly order?: boolean;
  /** A FIFO pop repeating this attempt id is not blocked by its own batch. */
  readonly attemptId?: string;
  /** ConsumeInitMode; MAX unless told. */
  readonly initMode?: number;
  /** Applied to the topic's messages (tag codes or SQL92); none: everything. */
  readonly filter?: MessageFilter;
  /** Applied to the retry topic's messages; the topic's filter when absent. */
  readonly retryFilter?: MessageFilter;
  /** Non-FIFO: a message whose reconsumeTimes reached this goes to %DLQ%<group> instead of being delivered. */
  readonly maxAttempts?: number;
  /** False once the requester is gone: a woken long poll then pops nothing for it (PopLongPollingService.wakeUp). */
  readonly isActive?: () => boolean;
  /** Aborted when the requester leaves (a cancelled gRPC receive): a parked poll leaves the waiters at once. */
  readonly signal?: AbortSignal;
}

export interface PoppedMessage {
  /** Decoded, under the topic asked for (retry copies included), with the POP_CK property set to the handle. */
  readonly message: MessageExt;
  /** The topic it was read from (the group's retry topic for a redelivery). */
  readonly realTopic: string;
  /** The stored record (re-encoded with the asked topic and POP_CK for a retry-topic message, as Java does). */
  readonly record: Buffer;
  /** ExtraInfoUtil's eight-field handle. */
  readonly receiptHandle: string;
  /** How many times it was delivered before (reconsumeTimes; for FIFO the batch's consumed count). */
  readonly reconsumeTimes: number;
}

export type PopResult =
  | {
      readonly status: 'FOUND';
      readonly popTime: number;
      readonly invisibleTime: number;
      readonly reviveQid: number;
      readonly restNum: number;
      readonly messages: readonly PoppedMessage[];
      /** The POP_MESSAGE response header's summaries (ExtraInfoUtil formats). */
      readonly startOffsetInfo: string;
      readonly msgOffsetInfo: string;
      readonly orderCountInfo: string;
    }
  | { readonly status: 'POLLING_FULL' | 'POLLING_TIMEOUT'; readonly popTime: number; readonly invisibleTime: number; readonly reviveQid: number; readonly restNum: number };

export interface ChangeInvisibleTimeResult {
  readonly receiptHandle: string;
  readonly popTime: number;
  readonly invisibleTime: number;
  readonly reviveQid: number;
}

/** NOTIFICATION's question: would a pop of these find something? */
export interface NotificationRequest {
  readonly group: string;
  readonly topic: string;
  readonly queueId: number;
  readonly pollTime: number;
  readonly order?: boolean;
  readonly attemptId?: string;
  readonly initMode?: number;
}

/** One handle to ack, with the group and the topic it was popped for. */
export interface AckRequest {
  readonly group: string;
  readonly topic: string;
  readonly receiptHandle: string;
}

/** Acks of one checkpoint waiting for its lock: their offsets, and the offsets their one record acked. */
interface AckBatch {
  readonly offsets: Set<number>;
  readonly written: Promise<ReadonlySet<number>>;
}

/** What one pop of one queue found. */
interface QueuePop {
  readonly messages: PoppedMessage[];
  readonly startOffsetInfo?: string;
  readonly msgOffsetInfo?: string;
  readonly orderCountInfo: string[];
}

/**
 * The POP engine, transport-free (PopMessageProcessor, AckMessageProcessor, ChangeInvisibleTimeProcessor,
 * PopReviveService and PopLongPollingService of the Java broker, over our store):
 *
 * - non-FIFO: a pop reads a queue from the group's consume offset under the queue's lock, writes a checkpoint
 *   record to the revive log (rmq_sys_REVIVE_LOG_<cluster>, in the commit log), then moves the consume offset past
 *   what it read. Acks are records too, written before they are answered. The revive timer copies every message
 *   of a due checkpoint still unacked into the group's POP retry topic (reconsumeTimes + 1) and records that; the
 *   revive progress (the lowest record still needed) is the REVIVE_GROUP's offset on the revive topic. A restart
 *   replays the log from there: what was popped and not acked comes back, what was acked does not.
 * - FIFO: no checkpoints; the queue's order info (ConsumerOrderInfoManager, written to consumerOrderInfo.json
 *   before answering) blocks the queue while its batch is in flight and counts redeliveries.
 */
export class PopEngine {
  private readonly table = new PopCheckPointTable();
  private readonly queueLocks = new QueueLockManager();
  private readonly ckLocks = new QueueLockManager();
  /** Per checkpoint key: the acks waiting for its lock, to be written together (ackOffsets). */
  private readonly ackBatches = new Map<string, AckBatch>();
  readonly popLongPollingService: PopLongPollingService;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly logger: Logger;
  private queueCursor = 0;
  /** Checkpoint and ack writes in flight: the revive progress waits for them (their log offsets are not known). */
  private writesInFlight = 0;
  private reviveTimer: NodeJS.Timeout | undefined;
  private reviving: Promise<unknown> | undefined;
  private stopped = false;
  /** The last popTime handed out: each pop and change gets a later one, so no two checkpoints share a key. */
  private lastPopTime = 0;

  constructor(private readonly options: PopEngineOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.logger = options.logger ?? silentLogger;
    this.popLongPollingService = new PopLongPollingService(() => options.config());
  }

  /** Checkpoints kept in memory until acked or revived (rocketmq_pop_checkpoint_buffer_size). */
  get pendingCheckPoints(): number {
    return this.table.size;
  }

  get reviveTopic(): string {
    return buildClusterReviveTopic(this.options.config().brokerClusterName);
  }

  /**
   * Replays the revive log from the revive progress (after the store recovered, before serving): every
   * checkpoint not finished is pending again, and each queue's consume offset is at least past what those
   * checkpoints handed out.
   */
  load(): void {
    const { store, broker } = this.options;
    const reviveTopic = this.reviveTopic;
    let offset = broker.queryOffset(REVIVE_GROUP, reviveTopic, REVIVE_QUEUE_ID);
    if (offset < 0) offset = store.getMinOffsetInQueue(reviveTopic, REVIVE_QUEUE_ID);
    const maxOffset = store.getMaxOffsetInQueue(reviveTopic, REVIVE_QUEUE_ID);
    const popOffsets = new Map<string, { ck: PopCheckPoint; next: number }>();
    let replayed = 0;
    while (offset < maxOffset) {
      const result = store.getMessage(REVIVE_GROUP, reviveTopic, REVIVE_QUEUE_ID, offset, REPLAY_BATCH);
      if (result.messageCount === 0) {
        if (result.nextBeginOffset <= offset) break;
        offset = result.nextBeginOffset;
        continue;
      }
      for (const record of decodeStoredMessages(Buffer.concat(result.messageBuffers))) {
        replayed++;
        try {
          if (record.tags === CK_TAG) {
            const ck = decodeCheckPoint(record.body.toString('utf8'));
            this.options.metrics?.recordReviveGet(ck.group, ck.topic, REVIVE_QUEUE_ID, 'CK');
            this.table.add(ck, record.queueOffset);
            this.lastPopTime = Math.max(this.lastPopTime, ck.popTime);
            const key = `${ck.topic}@${ck.group}@${ck.queueId}`;
            if ((popOffsets.get(key)?.next ?? -1) < ck.nextBeginOffset) popOffsets.set(key, { ck, next: ck.nextBeginOffset });
          } else if (record.tags === ACK_TAG) {
            const ack = decodeAck(record.body.toString('utf8'));
            this.options.metrics?.recordReviveGet(ack.group, ack.topic, REVIVE_QUEUE_ID, 'ACK');
            this.table.ack(ack);
          }
        } catch (err) {
          this.logger.warn(`skipping a revive-log record at ${record.queueOffset} that does not decode: ${String(err)}`);
        }
      }
      offset = result.nextBeginOffset;
    }
    for (const { ck, next } of popOffsets.values()) {
      if (broker.queryOffset(ck.group, ck.topic, ck.queueId) < next) broker.commitOffset(ck.group, ck.topic, ck.queueId, next);
    }
    if (replayed > 0) this.logger.info(`POP: replayed ${replayed} revive-log records, ${this.table.size} checkpoints pending`);
  }

  /** Starts the revive timer. */
  start(): void {
    this.stopped = false;
    const tick = (): void => {
      if (this.stopped) return;
      this.reviving = this.revive()
        .catch((err: unknown) => this.logger.error('POP revive failed', err))
        .finally(() => {
          this.reviving = undefined;
          if (!this.stopped) this.reviveTimer = setTimeout(tick, this.options.config().reviveInterval).unref();
        });
    };
    this.reviveTimer = setTimeout(tick, this.options.config().reviveInterval).unref();
  }

  /** Stops reviving and answers every parked pop (with what there is). */
  async shutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reviveTimer);
    this.popLongPollingService.wakeAll();
    await this.reviving;
  }

  /** Pops, long-polling up to pollTime when nothing is there. */
  async pop(request: PopRequest): Promise<PopResult> {
    const deadline = this.now() + Math.max(0, request.pollTime);
    const reviveQid = request.order === true ? POP_ORDER_REVIVE_QUEUE : REVIVE_QUEUE_ID;
    const retryTopic = buildPopRetryTopic(request.topic, request.group, this.options.config().enableRetryTopicV2);
    const topics = request.order === true ? [request.topic] : [request.topic, retryTopic];
    for (;;) {
      const result = await this.popOnce(request, reviveQid);
      const left = deadline - this.now();
      if (result.status === 'FOUND' || left <= 0 || this.stopped) return result;
      // A FIFO queue blocked by a batch frees itself when the batch's invisible time passes: look again then.
      const unblock = request.order === true ? this.unblockIn(request) : undefined;
      if (aborted(request.signal)) return result;
      const woken = this.popLongPollingService.polling(topics, request.group, request.queueId, Math.min(left, unblock ?? left), request.signal);
      if (woken === undefined) return { ...result, status: 'POLLING_FULL' };
      await woken;
      // Messages popped for a requester that is gone, or during shutdown, would stay invisible for nothing.
      if (this.stopped || request.isActive?.() === false || aborted(request.signal)) return result;
    }
  }

  /** In how many ms the first of the request's blocked FIFO queues frees itself (undefined: none is blocked). */
  private unblockIn(request: PopRequest): number | undefined {
    const queueNums = this.options.broker.readQueueNums(request.topic) ?? 0;
    const queueIds = request.queueId >= 0 ? [request.queueId] : rotate(queueNums, 0);
    let soonest: number | undefined;
    for (const queueId of queueIds) {
      const at = this.options.orderInfo.unblockTime(request.topic, request.group, queueId);
      if (at !== undefined && at > this.now()) soonest = Math.min(soonest ?? Infinity, at - this.now());
    }
    return soonest;
  }

  /** ACK_MESSAGE: true when the handle's message was pending and is acked now (an unknown one is a no-op, as Java). */
  async ack(request: AckRequest): Promise<boolean> {
    const info = parseExtraInfo(request.receiptHandle);
    const realTopic = realTopicOf(info, request.topic, request.group);
    if (isOrder(info)) return this.ackOrderly(request.group, realTopic, info);
    return this.ackOffsets(request.group, realTopic, info, [info.queueOffset]);
  }

  /** BATCH_ACK_MESSAGE: the handles of one checkpoint are acked with one record. Returns how many were pending. */
  async batchAck(requests: readonly AckRequest[]): Promise<number> {
    const byCheckPoint = new Map<string, { group: string; realTopic: string; info: ExtraInfo; offsets: number[] }>();
    let acked = 0;
    for (const request of requests) {
      const info = parseExtraInfo(request.receiptHandle);
      const realTopic = realTopicOf(info, request.topic, request.group);
      if (isOrder(info)) {
        if (await this.ackOrderly(request.group, realTopic, info)) acked++;
        continue;
      }
      const key = checkPointKey(request.group, realTopic, info.queueId, info.ckQueueOffset, info.popTime);
      const entry = byCheckPoint.get(key);
      if (entry === undefined) byCheckPoint.set(key, { group: request.group, realTopic, info, offsets: [info.queueOffset] });
      else entry.offsets.push(info.queueOffset);
    }
    for (const { group, realTopic, info, offsets } of byCheckPoint.values()) if (await this.ackOffsets(group, realTopic, info, offsets)) acked += offsets.length;
    return acked;
  }

  /**
   * CHANGE_MESSAGE_INVISIBLETIME: the message is invisible for `invisibleTime` ms from now, under a new handle.
   * Non-FIFO: a new one-message checkpoint is written, then the old one acked for that offset (so the old handle
   * acks nothing afterwards). FIFO: the offset's next-visible time moves; the handle keeps its popTime, as Java.
   * undefined: the message is no longer pending (acked, or revived after its invisible time): nothing changes.
   */
  async changeInvisibleTime(request: AckRequest & { readonly invisibleTime: number }): Promise<ChangeInvisibleTimeResult | undefined> {
    const info = parseExtraInfo(request.receiptHandle);
    const realTopic = realTopicOf(info, request.topic, request.group);
    const { brokerName } = this.options.config();
    if (isOrder(info)) {
      const nextVisibleTime = this.now() + request.invisibleTime;
      if (this.options.broker.queryOffset(request.group, realTopic, info.queueId) > info.queueOffset) return undefined;
      if (!this.options.orderInfo.updateNextVisibleTime(realTopic, request.group, info.queueId, info.queueOffset, info.popTime, nextVisibleTime)) return undefined;
      await this.options.orderInfo.persist();
      const invisibleTime = nextVisibleTime - info.popTime;
      const receiptHandle = buildExtraInfo({ ...info, invisibleTime, topic: realTopic, brokerName });
      return { receiptHandle, popTime: info.popTime, invisibleTime, reviveQid: POP_ORDER_REVIVE_QUEUE };
    }
    const oldKey = checkPointKey(request.group, realTopic, info.queueId, info.ckQueueOffset, info.popTime);
    return this.ckLocks.withLock(oldKey, async () => {
      if (!this.table.isUnacked(request.group, realTopic, info.queueId, info.ckQueueOffset, info.popTime, info.queueOffset)) return undefined;
      const popTime = this.nextPopTime();
      const ck: PopCheckPoint = {
        group: request.group,
        topic: realTopic,
        queueId: info.queueId,
        startOffset: info.queueOffset,
        popTime,
        invisibleTime: request.invisibleTime,
        queueOffsets: [info.queueOffset],
        nextBeginOffset: info.queueOffset + 1,
      };
      const ack: PopAck = { group: request.group, topic: realTopic, queueId: info.queueId, startOffset: info.ckQueueOffset, popTime: info.popTime, offsets: [info.queueOffset] };
      await this.appendReviveRecord(CK_TAG, encodeCheckPoint(ck), ck, (reviveOffset) => this.table.add(ck, reviveOffset));
      await this.appendReviveRecord(ACK_TAG, encodeAck(ack), ack, () => this.table.ack(ack));
      const receiptHandle = buildExtraInfo({
        ckQueueOffset: info.queueOffset,
        popTime,
        invisibleTime: request.invisibleTime,
        reviveQid: REVIVE_QUEUE_ID,
        topic: realTopic,
        brokerName,
        queueId: info.queueId,
        queueOffset: info.queueOffset,
      });
      return { receiptHandle, popTime, invisibleTime: request.invisibleTime, reviveQid: REVIVE_QUEUE_ID };
    });
  }

  /**
   * NOTIFICATION (NotificationProcessor): whether a pop would find something (filters aside, as Java), waiting up
   * to pollTime for a message to arrive. pollingFull: the wait was refused by the long-polling limits.
   */
  async notification(request: NotificationRequest): Promise<{ hasMsg: boolean; pollingFull: boolean }> {
    const deadline = this.now() + Math.max(0, request.pollTime);
    const topics = request.order === true ? [request.topic] : [request.topic, buildPopRetryTopic(request.topic, request.group, this.options.config().enableRetryTopicV2)];
    for (;;) {
      if (this.hasMessage(request, topics)) return { hasMsg: true, pollingFull: false };
      const left = deadline - this.now();
      if (left <= 0 || this.stopped) return { hasMsg: false, pollingFull: false };
      const woken = this.popLongPollingService.polling(topics, request.group, request.queueId, left);
      if (woken === undefined) return { hasMsg: false, pollingFull: true };
      await woken;
    }
  }

  /**
   * PEEK_MESSAGE (PeekMessageProcessor): up to maxMsgNums stored records from the pop offsets (the retry topic
   * first one time in five, as Java), changing nothing. restNum: what is left behind them.
   */
  peek(request: { readonly group: string; readonly topic: string; readonly queueId: number; readonly maxMsgNums: number }): { records: Buffer[]; restNum: number } {
    const { broker, store, config } = this.options;
    const retryTopic = buildPopRetryTopic(request.topic, request.group, config().enableRetryTopicV2);
    const max = Math.min(MAX_POP_MSG_NUMS, Math.max(1, request.maxMsgNums));
    const records: Buffer[] = [];
    let restNum = 0;
    const peekTopic = (topic: string, isRetry: boolean): void => {
      const queueNums = broker.readQueueNums(topic);
      if (queueNums === undefined) return;
      const queueIds = !isRetry && request.queueId >= 0 ? [request.queueId] : rotate(queueNums, this.queueCursor++);
      for (const queueId of queueIds) {
        const offset = this.popOffset(request, topic, queueId, false);
        if (records.length < max) {
          const result = store.getMessage(request.group, topic, queueId, offset, max - records.length);
          records.push(...(result.messageCount === 0 ? [] : splitRecords(result.messageBuffers)));
        }
        restNum += Math.max(0, store.getMaxOffsetInQueue(topic, queueId) - offset);
      }
    };
    const retryFirst = this.random() * 5 < 1;
    if (retryFirst) peekTopic(retryTopic, true);
    peekTopic(request.topic, false);
    if (!retryFirst && records.length < max) peekTopic(retryTopic, true);
    return { records, restNum: Math.max(0, restNum - records.length) };
  }

  /** POLLING_INFO: how many pops of the group wait on (topic, queueId). */
  pollingNum(topic: string, group: string, queueId: number): number {
    return this.popLongPollingService.pollingNumOf(topic, group, queueId);
  }

  private hasMessage(request: NotificationRequest, topics: readonly string[]): boolean {
    const { broker, store, orderInfo } = this.options;
    for (const topic of topics) {
      const queueNums = broker.readQueueNums(topic);
      if (queueNums === undefined) continue;
      const queueIds = topic === request.topic && request.queueId >= 0 ? [request.queueId] : rotate(queueNums, 0);
      for (const queueId of queueIds) {
        if (request.order === true && orderInfo.checkBlock(request.attemptId, topic, request.group, queueId, 0)) continue;
        if (store.getMaxOffsetInQueue(topic, queueId) > this.popOffset(request, topic, queueId, false)) return true;
      }
    }
    return false;
  }

  /**
   * A popTime later than every one handed out: a checkpoint's key (queue, start offset, popTime) then never
   * names an older one, so a stale handle can never ack a newer checkpoint of the same offset.
   */
  private nextPopTime(): number {
    this.lastPopTime = Math.max(this.now(), this.lastPopTime + 1);
    return this.lastPopTime;
  }

  /** Wakes the parked pops of `topic` (hooked where the store tells of new messages). */
  notifyMessageArriving(topic: string, queueId: number): void {
    this.popLongPollingService.notifyMessageArriving(topic, queueId);
  }

  /** How many popped messages of the queue are not acked yet (PopInflightMessageCounter). */
  inFlightCount(group: string, topic: string, queueId: number): number {
    return this.table.inFlightCount(group, topic, queueId);
  }

  /**
   * One revive round (PopReviveService): each due checkpoint's unacked messages are copied into the group's
   * POP retry topic with reconsumeTimes + 1, then an ack record finishes the checkpoint. A crash in between
   * revives them again after the restart (duplicates, never losses). Then the revive progress moves.
   */
  async revive(): Promise<number> {
    let revived = 0;
    for (const entry of this.table.due(this.now())) {
      const { ck } = entry;
      // Java reads due checkpoints back from the revive topic; ours are in memory: each taken counts as one read.
      this.options.metrics?.recordReviveGet(ck.group, ck.topic, REVIVE_QUEUE_ID, 'CK');
      const key = checkPointKey(ck.group, ck.topic, ck.queueId, ck.startOffset, ck.popTime);
      revived += await this.ckLocks.withLock(key, async () => {
        if (!this.table.has(ck.group, ck.topic, ck.queueId, ck.startOffset, ck.popTime)) return 0;
        const offsets = [...entry.unacked].sort((a, b) => a - b);
        for (const offset of offsets) await this.reviveOne(ck, offset);
        const ack: PopAck = { group: ck.group, topic: ck.topic, queueId: ck.queueId, startOffset: ck.startOffset, popTime: ck.popTime, offsets };
        await this.appendReviveRecord(ACK_TAG, encodeAck(ack), ack, () => this.table.ack(ack));
        return offsets.length;
      });
    }
    this.commitReviveProgress();
    return revived;
  }

  /** The revive progress: the lowest revive-log record a restart still needs. */
  private commitReviveProgress(): void {
    if (this.writesInFlight > 0) return;
    const reviveTopic = this.reviveTopic;
    const progress = this.table.lowestReviveOffset() ?? this.options.store.getMaxOffsetInQueue(reviveTopic, REVIVE_QUEUE_ID);
    if (progress > this.options.broker.queryOffset(REVIVE_GROUP, reviveTopic, REVIVE_QUEUE_ID)) {
      this.options.broker.commitOffset(REVIVE_GROUP, reviveTopic, REVIVE_QUEUE_ID, progress);
    }
  }

  /** PopReviveService.reviveRetry: one message copied into the retry topic (a message gone from the store is skipped). */
  private async reviveOne(ck: PopCheckPoint, offset: number): Promise<void> {
    const { store, broker } = this.options;
    const result = store.getMessage(ck.group, ck.topic, ck.queueId, offset, 1);
    const msg = result.messageCount === 0 ? undefined : decodeStoredMessages(Buffer.concat(result.messageBuffers))[0];
    if (msg === undefined || msg.queueOffset !== offset) {
      this.logger.warn(`POP revive: ${ck.topic}:${ck.queueId}:${offset} of ${ck.group} is no longer stored`);
      return;
    }
    const retryTopic = ck.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX) ? ck.topic : buildPopRetryTopic(ck.topic, ck.group, this.options.config().enableRetryTopicV2);
    broker.createTopicIfAbsent(retryTopic, 1);
    const copy = MessageExtBrokerInner.copyOf(msg);
    copy.topic = retryTopic;
    copy.queueId = 0;
    copy.reconsumeTimes = msg.reconsumeTimes + 1;
    copy.storeHost = this.options.storeHost();
    copy.properties.delete(MessageConst.PROPERTY_POP_CK);
    if (!copy.properties.has(MessageConst.PROPERTY_RETRY_TOPIC)) copy.properties.set(MessageConst.PROPERTY_RETRY_TOPIC, msg.topic);
    if (msg.reconsumeTimes === 0 || !copy.properties.has(MessageConst.PROPERTY_FIRST_POP_TIME)) copy.properties.set(MessageConst.PROPERTY_FIRST_POP_TIME, String(ck.popTime));
    const put = await store.putMessage(copy);
    this.options.metrics?.recordReviveRetry(ck.group, ck.topic, put.status);
    if (put.status !== 'PUT_OK') throw new Error(`POP revive of ${ck.topic}:${ck.queueId}:${offset} into ${retryTopic} failed: ${put.status}`);
  }

  /**
   * Acks of one checkpoint take its lock in turn, and each writes a record: a push consumer acking the 32 messages
   * of a pop one by one would wait for 32 writes in a row. So the acks that arrive while the checkpoint's lock is
   * held join one batch, written as one record (the format of BATCH_ACK_MESSAGE) when its turn comes; each is still
   * answered only once its offset's record is stored. True when one of `offsets` was pending and this call acked it.
   */
  private async ackOffsets(group: string, realTopic: string, info: ExtraInfo, offsets: number[]): Promise<boolean> {
    const key = checkPointKey(group, realTopic, info.queueId, info.ckQueueOffset, info.popTime);
    const batch = this.ackBatches.get(key) ?? this.startAckBatch(key, group, realTopic, info);
    // An offset another ack of this batch already asked for is that one's to report.
    const mine = offsets.filter((o) => !batch.offsets.has(o));
    for (const o of mine) batch.offsets.add(o);
    const acked = await batch.written;
    return mine.some((o) => acked.has(o));
  }

  /** A new batch of acks for the checkpoint `key`, written when its lock is free: one record for its pending offsets. */
  private startAckBatch(key: string, group: string, realTopic: string, info: ExtraInfo): AckBatch {
    const offsets = new Set<number>();
    const written = this.ckLocks.withLock(key, async () => {
      // From here on, later acks of the checkpoint form the next batch.
      this.ackBatches.delete(key);
      const pending = [...offsets].filter((o) => this.table.isUnacked(group, realTopic, info.queueId, info.ckQueueOffset, info.popTime, o));
      if (pending.length === 0) return new Set<number>();
      const ack: PopAck = { group, topic: realTopic, queueId: info.queueId, startOffset: info.ckQueueOffset, popTime: info.popTime, offsets: pending };
      await this.appendReviveRecord(ACK_TAG, encodeAck(ack), ack, () => this.table.ack(ack));
      return new Set(pending);
    });
    const batch: AckBatch = { offsets, written };
    this.ackBatches.set(key, batch);
    return batch;
  }

  /** AckMessageProcessor.ackOrderly: the offset is committed in the batch, the consume offset moves, the queue's polls wake. */
  private async ackOrderly(group: string, realTopic: string, info: ExtraInfo): Promise<boolean> {
    const { broker, orderInfo } = this.options;
    const lockKey = `${realTopic}@${group}@${info.queueId}`;
    return this.queueLocks.withLock(lockKey, async () => {
      if (broker.queryOffset(group, realTopic, info.queueId) > info.queueOffset) return false;
      const next = orderInfo.commitAndNext(realTopic, group, info.queueId, info.queueOffset, info.popTime);
      if (next < 0) return false;
      if (next > broker.queryOffset(group, realTopic, info.queueId)) broker.commitOffset(group, realTopic, info.queueId, next);
      await orderInfo.persist();
      this.popLongPollingService.notifyMessageArriving(realTopic, info.queueId, group);
      return true;
    });
  }

  private async popOnce(request: PopRequest, reviveQid: number): Promise<PopResult> {
    const { config, broker } = this.options;
    const { popFromRetryProbability, enableRetryTopicV2 } = config();
    const popTime = this.nextPopTime();
    const max = Math.min(MAX_POP_MSG_NUMS, Math.max(1, request.maxMsgNums));
    const order = request.order === true;
    const found: QueuePop[] = [];
    let count = 0;
    let restNum = 0;
    const popTopic = async (topic: string, isRetry: boolean): Promise<void> => {
      const queueNums = broker.readQueueNums(topic);
      if (queueNums === undefined || queueNums <= 0) return;
      const queueIds = !isRetry && request.queueId >= 0 ? [request.queueId] : rotate(queueNums, this.queueCursor++);
      for (const queueId of queueIds) {
        if (count >= max) {
          restNum += this.restOf(request.group, topic, queueId);
          continue;
        }
        const popped = await this.popFromQueue(request, topic, isRetry, queueId, max - count, popTime, reviveQid);
        count += popped.messages.length;
        found.push(popped);
        restNum += this.restOf(request.group, topic, queueId);
      }
    };
    const retryTopic = buildPopRetryTopic(request.topic, request.group, enableRetryTopicV2);
    const retryFirst = !order && this.random() * 100 < popFromRetryProbability;
    if (retryFirst) await popTopic(retryTopic, true);
    await popTopic(request.topic, false);
    if (!retryFirst && !order && count < max) await popTopic(retryTopic, true);

    const base = { popTime, invisibleTime: request.invisibleTime, reviveQid, restNum };
    const messages = found.flatMap((f) => f.messages);
    if (messages.length === 0) return { ...base, status: 'POLLING_TIMEOUT' };
    const joined = (pick: (f: QueuePop) => readonly (string | undefined)[]): string => found.flatMap(pick).filter((s): s is string => s !== undefined).join(';');
    return {
      ...base,
      status: 'FOUND',
      messages,
      startOffsetInfo: joined((f) => [f.startOffsetInfo]),
      msgOffsetInfo: joined((f) => [f.msgOffsetInfo]),
      orderCountInfo: joined((f) => f.orderCountInfo),
    };
  }

  private restOf(group: string, topic: string, queueId: number): number {
    const offset = this.options.broker.queryOffset(group, topic, queueId);
    return Math.max(0, this.options.store.getMaxOffsetInQueue(topic, queueId) - Math.max(0, offset));
  }

  /** PopMessageProcessor.popMsgFromQueue: one queue, under its lock. */
  private popFromQueue(request: PopRequest, topic: string, isRetry: boolean, queueId: number, want: number, popTime: number, reviveQid: number): Promise<QueuePop> {
    const { group } = request;
    const none: QueuePop = { messages: [], orderCountInfo: [] };
    return this.queueLocks.withLock(`${topic}@${group}@${queueId}`, async () => {
      const { store, broker, orderInfo } = this.options;
      const order = request.order === true;
      if (order && orderInfo.checkBlock(request.attemptId, topic, group, queueId, request.invisibleTime)) return none;
      let offset = this.popOffset(request, topic, queueId);
      const filter = isRetry ? (request.retryFilter ?? request.filter) : request.filter;
      let result = store.getMessage(group, topic, queueId, offset, want, filter);
      if (result.status === 'OFFSET_TOO_SMALL' || result.status === 'OFFSET_OVERFLOW_BADLY' || result.status === 'OFFSET_FOUND_NULL') {
        // The stored offset is outside the queue (retention, a reset): start again where the store says.
        offset = result.nextBeginOffset;
        broker.commitOffset(group, topic, queueId, offset);
        result = store.getMessage(group, topic, queueId, offset, want, filter);
      }
      const records = result.messageCount === 0 ? [] : splitRecords(result.messageBuffers);
      if (records.length === 0) {
        // Filtered out or removed: nothing to hand out, but the offset moves past what was looked at.
        if (result.status !== 'FOUND' && result.nextBeginOffset > offset) broker.commitOffset(group, topic, queueId, result.nextBeginOffset);
        return none;
      }
      const decoded = records.map((record) => ({ record, message: decodeStoredMessages(record)[0] as MessageExt }));
      const { brokerName } = this.options.config();
      if (order) {
        const offsets = decoded.map((d) => d.message.queueOffset);
        const batch = orderInfo.update(request.attemptId, topic, group, queueId, popTime, request.invisibleTime, offsets);
        broker.commitOffset(group, topic, queueId, offset);
        await orderInfo.persist();
        const messages = decoded.map(({ record, message }) => {
          const reconsumeTimes = batch.consumedCounts.get(message.queueOffset) ?? 0;
          return this.popped(request, topic, isRetry, record, message, { ckQueueOffset: offset, popTime, reviveQid, brokerName }, reconsumeTimes);
        });
        return {
          messages,
          startOffsetInfo: startOffsetInfoEntry(topic, queueId, offset),
          msgOffsetInfo: msgOffsetInfoEntry(topic, queueId, offsets),
          orderCountInfo: offsets.map((o) => orderCountInfoEntry(topic, queueId, o, batch.consumedCounts.get(o) ?? 0)),
        };
      }
      // PopMessageResultFilterImpl (the proxy's, here so that it is one step with the pop): past maxAttempts, to the DLQ.
      const maxAttempts = request.maxAttempts;
      const toDLQ = maxAttempts === undefined ? [] : decoded.filter((d) => d.message.reconsumeTimes >= maxAttempts);
      for (const { message } of toDLQ) await this.putToDLQ(group, message);
      const deliver = decoded.filter((d) => !toDLQ.includes(d));
      const offsets = deliver.map((d) => d.message.queueOffset);
      if (offsets.length > 0) {
        const ck: PopCheckPoint = { group, topic, queueId, startOffset: offset, popTime, invisibleTime: request.invisibleTime, queueOffsets: offsets, nextBeginOffset: result.nextBeginOffset };
        await this.appendReviveRecord(CK_TAG, encodeCheckPoint(ck), ck, (reviveOffset) => this.table.add(ck, reviveOffset));
      }
      broker.commitOffset(group, topic, queueId, result.nextBeginOffset);
      if (offsets.length === 0) return none;
      return {
        messages: deliver.map(({ record, message }) =>
          this.popped(request, topic, isRetry, record, message, { ckQueueOffset: offset, popTime, reviveQid, brokerName }, message.reconsumeTimes),
        ),
        startOffsetInfo: startOffsetInfoEntry(topic, queueId, offset),
        msgOffsetInfo: msgOffsetInfoEntry(topic, queueId, offsets),
        orderCountInfo: [],
      };
    });
  }

  /**
   * The queue's consume offset, or (none yet) PopMessageProcessor.getInitOffset's, committed at once unless only
   * looked at (`commit` false: NOTIFICATION, PEEK_MESSAGE).
   */
  private popOffset(request: Pick<PopRequest, 'group' | 'initMode' | 'order'>, topic: string, queueId: number, commit = true): number {
    const { store, broker, orderInfo, config } = this.options;
    let offset = broker.queryOffset(request.group, topic, queueId);
    if (offset < 0) {
      if (request.initMode === ConsumeInitMode.MIN || topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) {
        offset = store.getMinOffsetInQueue(topic, queueId);
      } else if (config().initPopOffsetByCheckMsgInMem && store.getMinOffsetInQueue(topic, queueId) <= 0 && store.checkInMemByConsumeOffset(topic, queueId, 0, 1)) {
        offset = 0;
      } else {
        offset = Math.max(0, store.getMaxOffsetInQueue(topic, queueId) - 1);
      }
      if (commit) broker.commitOffset(request.group, topic, queueId, offset);
    }
    if (request.order === true) {
      // consumerOrderInfo.json is written before a FIFO pop or ack is answered; consumerOffset.json only every few seconds.
      const next = orderInfo.nextOffset(topic, request.group, queueId);
      if (next > offset) {
        offset = next;
        if (commit) broker.commitOffset(request.group, topic, queueId, offset);
      }
    }
    return offset;
  }

  private popped(
    request: PopRequest,
    realTopic: string,
    isRetry: boolean,
    record: Buffer,
    message: MessageExt,
    ck: { ckQueueOffset: number; popTime: number; reviveQid: number; brokerName: string },
    reconsumeTimes: number,
  ): PoppedMessage {
    const receiptHandle = buildExtraInfo({
      ...ck,
      invisibleTime: request.invisibleTime,
      topic: realTopic,
      queueId: message.queueId,
      queueOffset: message.queueOffset,
    });
    message.properties.set(MessageConst.PROPERTY_POP_CK, receiptHandle);
    message.reconsumeTimes = reconsumeTimes;
    if (!isRetry) return { message, realTopic, record, receiptHandle, reconsumeTimes };
    // As Java (popResponseReturnActualRetryTopic off): a retry-topic message goes out under the asked topic.
    message.topic = request.topic;
    const inner = MessageExtBrokerInner.copyOf(message);
    inner.topic = request.topic;
    inner.queueId = message.queueId;
    inner.storeTimestamp = message.storeTimestamp;
    inner.storeHost = message.storeHost;
    return { message, realTopic, record: encodeStoredMessage(inner, message.commitLogOffset, message.queueOffset), receiptHandle, reconsumeTimes };
  }

  /** The message goes to %DLQ%<group> (one queue), as CONSUMER_SEND_MSG_BACK with a negative delay level would. */
  private async putToDLQ(group: string, message: MessageExt): Promise<void> {
    const dlqTopic = dlqTopicOf(group);
    this.options.broker.createTopicIfAbsent(dlqTopic, 1);
    const copy = MessageExtBrokerInner.copyOf(message);
    copy.topic = dlqTopic;
    copy.queueId = 0;
    copy.storeHost = this.options.storeHost();
    copy.properties.delete(MessageConst.PROPERTY_POP_CK);
    if (!copy.properties.has(MessageConst.PROPERTY_RETRY_TOPIC)) copy.properties.set(MessageConst.PROPERTY_RETRY_TOPIC, message.topic);
    if ((copy.properties.get(MessageConst.PROPERTY_ORIGIN_MESSAGE_ID) ?? '') === '') copy.properties.set(MessageConst.PROPERTY_ORIGIN_MESSAGE_ID, message.msgId);
    const put = await this.options.store.putMessage(copy);
    if (put.status !== 'PUT_OK') throw new Error(`moving ${message.topic}:${message.queueId}:${message.queueOffset} to ${dlqTopic} failed: ${put.status}`);
    this.logger.info(`POP: ${message.topic}:${message.queueId}:${message.queueOffset} of ${group} reached ${message.reconsumeTimes} attempts, moved to ${dlqTopic}`);
  }

  /**
   * Appends a checkpoint or ack record to the revive log and, once it is stored (PUT_OK), applies it with its
   * queue offset. The record counts as in flight until applied: the revive progress, which must never pass a
   * checkpoint still pending, is not moved in between (a continuation of the caller would come too late).
   */
  private async appendReviveRecord(tag: string, body: string, owner: { group: string; topic: string }, apply: (reviveOffset: number) => void): Promise<void> {
    const msg = new MessageExtBrokerInner();
    msg.topic = this.reviveTopic;
    msg.queueId = REVIVE_QUEUE_ID;
    msg.tags = tag;
    msg.body = Buffer.from(body, 'utf8');
    msg.bornTimestamp = this.now();
    msg.bornHost = this.options.storeHost();
    msg.storeHost = msg.bornHost;
    this.writesInFlight++;
    try {
      const put = await this.options.store.putMessage(msg);
      this.options.metrics?.recordRevivePut(owner.group, owner.topic, tag === CK_TAG ? 'CK' : 'ACK', put.status);
      if (put.status !== 'PUT_OK' || put.appendResult === undefined) throw new Error(`writing a POP ${tag} record failed: ${put.status}`);
      apply(put.appendResult.logicsOffset);
    } finally {
      this.writesInFlight--;
    }
  }
}

/** Queue ids 0..n-1 starting at a rotating one, as Java's randomQ spreads pops over the queues. */
function rotate(n: number, start: number): number[] {
  return Array.from({ length: n }, (_, i) => (start + i) % n);
}

/** The single records of a getMessage result (each buffer may hold one record). */
function splitRecords(buffers: readonly Buffer[]): Buffer[] {
  const records: Buffer[] = [];
  for (const buffer of buffers) {
    let at = 0;
    while (at + 4 <= buffer.length) {
      const size = buffer.readInt32BE(at);
      if (size <= 0 || at + size > buffer.length) break;
      records.push(buffer.subarray(at, at + size));
      at += size;
    }
  }
  return records;
}

/** Whether the requester left (a function: the flag changes while a pop awaits). */
function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}
