import type { Logger } from '../../common/logger.js';
import type { MessageModel } from '../../protocol/bodies/heartbeat-data.js';
import { messageQueueKey, type MessageQueue } from '../../protocol/bodies/message-queue.js';
import { compareMessageQueue, type AllocateMessageQueueStrategy } from './allocate-strategy.js';
import type { ConsumerEventPayloads, InstrumentationEmitter } from '../instrumentation.js';
import type { ConsumerAPI } from './consumer-api.js';
import type { OffsetStore } from './offset-store.js';
import { ProcessQueue } from './process-queue.js';
import { RETRY_GROUP_TOPIC_PREFIX } from './subscription.js';

/** PullRequest.java: where the next pull of one owned queue starts. */
export interface PullRequest {
  readonly consumerGroup: string;
  readonly messageQueue: MessageQueue;
  readonly processQueue: ProcessQueue;
  nextOffset: number;
}

/** Java unlocks a queue still being consumed in order 20 s later, so the consumer finishes before another takes it. */
const UNLOCK_DELAY_MILLIS = 20_000;

/** What the rebalance needs from the consumer and the client instance. */
export interface RebalanceContext {
  readonly consumerGroup: string;
  readonly clientId: string;
  readonly messageModel: MessageModel;
  readonly orderly: boolean;
  readonly strategy: AllocateMessageQueueStrategy;
  readonly api: ConsumerAPI;
  readonly offsetStore: OffsetStore;
  readonly timeoutMillis: number;
  readonly logger: Logger;
  topics(): string[];
  findConsumerIdList(topic: string): Promise<string[]>;
  findBrokerAddr(brokerName: string): Promise<string | undefined>;
  computePullFromWhere(mq: MessageQueue): Promise<number>;
  dispatchPullRequest(request: PullRequest): void;
  /**
   * Called before a queue given away is persisted and forgotten: a pull consumer commits what was polled from it,
   * so the next owner starts after it.
   */
  removingMessageQueue?(mq: MessageQueue): void;
  /** Timers this module starts (delayed unlocks), so the consumer can cancel them on shutdown. */
  later(delayMillis: number, task: () => Promise<void>): void;
  /** Where `rebalance` events go when the owned queues of a topic change. */
  readonly instrumentation?: InstrumentationEmitter<'consumer', ConsumerEventPayloads>;
}

/**
 * RebalanceImpl + RebalancePushImpl: which queues this client owns. Every rebalance recomputes the share of each
 * subscribed topic with the group's strategy, drops queues given away (persisting their offset first) and starts
 * pulling queues gained from computePullFromWhere. Orderly consumers own a queue only once the broker locked it.
 */
export class RebalanceImpl {
  readonly processQueueTable = new Map<string, { mq: MessageQueue; pq: ProcessQueue }>();
  readonly topicSubscribeInfoTable = new Map<string, MessageQueue[]>();

  constructor(private readonly ctx: RebalanceContext) {}

  async doRebalance(): Promise<void> {
    const topics = this.ctx.topics();
    for (const topic of topics) {
      try {
        await this.rebalanceByTopic(topic);
      } catch (err) {
        if (!topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) this.ctx.logger.warn(`rebalance of ${topic} failed`, err);
      }
    }
    // truncateMessageQueueNotMyTopic: a topic unsubscribed since.
    for (const [key, { mq, pq }] of this.processQueueTable) {
      if (topics.includes(mq.topic)) continue;
      pq.dropped = true;
      this.processQueueTable.delete(key);
    }
  }

  /** The queues this client owns now. */
  ownedQueues(): MessageQueue[] {
    return [...this.processQueueTable.values()].map((e) => e.mq);
  }

  /** Drops a queue outside a rebalance (PULL_OFFSET_MOVED, offset reset); the next rebalance takes it back. */
  async removeProcessQueue(mq: MessageQueue): Promise<void> {
    const entry = this.processQueueTable.get(messageQueueKey(mq));
    if (entry === undefined) return;
    this.processQueueTable.delete(messageQueueKey(mq));
    entry.pq.dropped = true;
    await this.removeUnnecessaryMessageQueue(mq, entry.pq);
  }

  /** RebalanceImpl.lockAll, every 20 s for orderly clustering consumers: renews (or loses) every owned lock. */
  async lockAll(): Promise<void> {
    for (const [brokerName, entries] of this.byBroker()) {
      const addr = await this.ctx.findBrokerAddr(brokerName);
      if (addr === undefined) continue;
      try {
        const locked = new Set((await this.ctx.api.lockBatchMQ(addr, this.lockBody(entries.map((e) => e.mq)), this.ctx.timeoutMillis)).map(messageQueueKey));
        const now = Date.now();
        for (const { mq, pq } of entries) {
          const ok = locked.has(messageQueueKey(mq));
          if (!ok && pq.locked) this.ctx.logger.warn(`the lock of ${mq.topic}:${mq.brokerName}:${mq.queueId} was lost`);
          pq.locked = ok;
          if (ok) pq.lastLockTimestamp = now;
        }
      } catch (err) {
        this.ctx.logger.warn(`locking the queues of ${brokerName} failed`, err);
      }
    }
  }

  /** Releases every broker lock (shutdown). */
  async unlockAll(): Promise<void> {
    for (const [brokerName, entries] of this.byBroker()) {
      const addr = await this.ctx.findBrokerAddr(brokerName);
      if (addr === undefined) continue;
      try {
        await this.ctx.api.unlockBatchMQ(addr, this.lockBody(entries.map((e) => e.mq)), this.ctx.timeoutMillis);
        for (const { pq } of entries) pq.locked = false;
      } catch (err) {
        this.ctx.logger.warn(`unlocking the queues of ${brokerName} failed`, err);
      }
    }
  }

  private get lockingNeeded(): boolean {
    return this.ctx.orderly && this.ctx.messageModel === 'CLUSTERING';
  }

  private async rebalanceByTopic(topic: string): Promise<void> {
    const mqSet = this.topicSubscribeInfoTable.get(topic);
    if (mqSet === undefined) {
      if (!topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) this.ctx.logger.warn(`rebalance: no route for ${topic} yet`);
      return;
    }
    if (this.ctx.messageModel === 'BROADCASTING') {
      await this.updateProcessQueueTableInRebalance(topic, mqSet);
      return;
    }
    const cidAll = await this.ctx.findConsumerIdList(topic);
    if (cidAll.length === 0) {
      this.ctx.logger.warn(`rebalance: no consumer of ${this.ctx.consumerGroup} registered on the broker for ${topic} yet`);
      return;
    }
    const mqAll = [...mqSet].sort(compareMessageQueue);
    const cids = [...cidAll].sort();
    const allocated = this.ctx.strategy.allocate(this.ctx.consumerGroup, this.ctx.clientId, mqAll, cids);
    await this.updateProcessQueueTableInRebalance(topic, allocated);
  }

  private async updateProcessQueueTableInRebalance(topic: string, mqSet: readonly MessageQueue[]): Promise<void> {
    const wanted = new Map(mqSet.map((mq) => [messageQueueKey(mq), mq]));
    const added: MessageQueue[] = [];
    const removed: MessageQueue[] = [];
    for (const [key, { mq, pq }] of this.processQueueTable) {
      if (mq.topic !== topic || wanted.has(key)) continue;
      removed.push(mq);
      pq.dropped = true;
      this.processQueueTable.delete(key);
      await this.removeUnnecessaryMessageQueue(mq, pq);
      this.ctx.logger.info(`rebalance: ${this.ctx.consumerGroup} released ${mq.topic}:${mq.brokerName}:${mq.queueId}`);
    }
    for (const [key, mq] of wanted) {
      if (this.processQueueTable.has(key)) continue;
      const pq = new ProcessQueue();
      if (this.lockingNeeded && !(await this.lock(mq, pq))) continue;
      this.ctx.offsetStore.removeOffset(mq);
      let nextOffset: number;
      try {
        nextOffset = await this.ctx.computePullFromWhere(mq);
      } catch (err) {
        this.ctx.logger.warn(`rebalance: no start offset for ${mq.topic}:${mq.brokerName}:${mq.queueId}, trying next time`, err);
        continue;
      }
      // Another rebalance (or shutdown) may have run during the awaits above.
      if (this.processQueueTable.has(key)) continue;
      this.processQueueTable.set(key, { mq, pq });
      added.push(mq);
      this.ctx.logger.info(`rebalance: ${this.ctx.consumerGroup} took ${mq.topic}:${mq.brokerName}:${mq.queueId} from offset ${nextOffset}`);
      this.ctx.dispatchPullRequest({ consumerGroup: this.ctx.consumerGroup, messageQueue: mq, processQueue: pq, nextOffset });
    }
    if ((added.length > 0 || removed.length > 0) && this.ctx.instrumentation?.has('rebalance') === true) {
      const queues = this.ownedQueues().filter((mq) => mq.topic === topic);
      this.ctx.instrumentation.emit('rebalance', { topic, queues, added, removed });
    }
  }

  /** Persist the offset of a queue given away, forget it, and (orderly) release the broker lock. */
  private async removeUnnecessaryMessageQueue(mq: MessageQueue, pq: ProcessQueue): Promise<void> {
    this.ctx.removingMessageQueue?.(mq);
    await this.ctx.offsetStore.persist(mq);
    this.ctx.offsetStore.removeOffset(mq);
    if (!this.lockingNeeded) return;
    const unlock = async (): Promise<void> => {
      const addr = await this.ctx.findBrokerAddr(mq.brokerName);
      if (addr === undefined) return;
      try {
        await this.ctx.api.unlockBatchMQ(addr, this.lockBody([mq]), this.ctx.timeoutMillis);
      } catch (err) {
        this.ctx.logger.warn(`unlocking ${mq.topic}:${mq.brokerName}:${mq.queueId} failed`, err);
      }
    };
    if (pq.consuming) this.ctx.later(UNLOCK_DELAY_MILLIS, unlock);
    else await unlock();
  }

  private async lock(mq: MessageQueue, pq: ProcessQueue): Promise<boolean> {
    const addr = await this.ctx.findBrokerAddr(mq.brokerName);
    if (addr === undefined) return false;
    try {
      const locked = await this.ctx.api.lockBatchMQ(addr, this.lockBody([mq]), this.ctx.timeoutMillis);
      pq.locked = locked.some((m) => messageQueueKey(m) === messageQueueKey(mq));
      pq.lastLockTimestamp = Date.now();
    } catch (err) {
      this.ctx.logger.warn(`locking ${mq.topic}:${mq.brokerName}:${mq.queueId} failed`, err);
      return false;
    }
    return pq.locked;
  }

  private lockBody(mqSet: MessageQueue[]): { consumerGroup: string; clientId: string; onlyThisBroker: boolean; mqSet: MessageQueue[] } {
    return { consumerGroup: this.ctx.consumerGroup, clientId: this.ctx.clientId, onlyThisBroker: false, mqSet };
  }

  private byBroker(): Map<string, { mq: MessageQueue; pq: ProcessQueue }[]> {
    const out = new Map<string, { mq: MessageQueue; pq: ProcessQueue }[]>();
    for (const entry of this.processQueueTable.values()) {
      const list = out.get(entry.mq.brokerName) ?? [];
      list.push(entry);
      out.set(entry.mq.brokerName, list);
    }
    return out;
  }
}
