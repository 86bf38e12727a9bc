import type { Logger } from '../../common/logger.js';
import { messageQueueKey, type MessageQueue } from '../../protocol/bodies/message-queue.js';
import type { ConsumerAPI } from './consumer-api.js';

/** ReadOffsetType.java. */
export type ReadOffsetType = 'READ_FROM_MEMORY' | 'READ_FROM_STORE' | 'MEMORY_FIRST_THEN_STORE';

/** OffsetStore.java: where a consumer keeps the next offset to consume of each queue it owns. */
export interface OffsetStore {
  load(): Promise<void>;
  /** `increaseOnly`: never move an offset back (completions arrive out of order). */
  updateOffset(mq: MessageQueue, offset: number, increaseOnly: boolean): void;
  /** The offset, or -1 when there is none. */
  readOffset(mq: MessageQueue, type: ReadOffsetType): Promise<number>;
  /** READ_FROM_MEMORY without a promise, for the pull path that reads it before every pull. */
  readOffsetFromMemory(mq: MessageQueue): number;
  persistAll(mqs: readonly MessageQueue[]): Promise<void>;
  persist(mq: MessageQueue): Promise<void>;
  removeOffset(mq: MessageQueue): void;
  /** Every offset held for `topic`. */
  cloneOffsetTable(topic: string): [MessageQueue, number][];
}

/** The in-memory table both stores share. */
export abstract class OffsetTable {
  protected readonly table = new Map<string, { mq: MessageQueue; offset: number }>();
  /** Each consumed message updates its queue's offset: the queue's key is built once, not per message. */
  private readonly keys = new WeakMap<MessageQueue, { topic: string; brokerName: string; queueId: number; key: string }>();

  updateOffset(mq: MessageQueue, offset: number, increaseOnly: boolean): void {
    const key = this.keyOf(mq);
    const entry = this.table.get(key);
    if (entry === undefined) this.table.set(key, { mq, offset });
    else if (!increaseOnly || offset > entry.offset) entry.offset = offset;
  }

  removeOffset(mq: MessageQueue): void {
    this.table.delete(messageQueueKey(mq));
  }

  cloneOffsetTable(topic: string): [MessageQueue, number][] {
    return [...this.table.values()].filter((e) => e.mq.topic === topic).map((e) => [e.mq, e.offset]);
  }

  readOffsetFromMemory(mq: MessageQueue): number {
    return this.memoryOffset(mq) ?? -1;
  }

  protected memoryOffset(mq: MessageQueue): number | undefined {
    return this.table.get(this.keyOf(mq))?.offset;
  }

  /** messageQueueKey, remembered per queue object while its fields stay as they were. */
  private keyOf(mq: MessageQueue): string {
    const cached = this.keys.get(mq);
    if (cached !== undefined && cached.topic === mq.topic && cached.brokerName === mq.brokerName && cached.queueId === mq.queueId) return cached.key;
    const key = messageQueueKey(mq);
    this.keys.set(mq, { topic: mq.topic, brokerName: mq.brokerName, queueId: mq.queueId, key });
    return key;
  }
}

/**
 * RemoteBrokerOffsetStore.java (clustering): the broker keeps the group's offsets; the client holds the latest
 * in memory and sends them every persistConsumerOffsetInterval, oneway, as Java does. Reads ask the master, else
 * any replica (Java's order); commits go to the master only (Java 4.9 falls back to a slave after a route refresh).
 */
export class RemoteBrokerOffsetStore extends OffsetTable implements OffsetStore {
  constructor(
    private readonly group: string,
    private readonly api: ConsumerAPI,
    /** onlyMaster: the group's master or nothing (commits); else the master, then any replica (reads). */
    private readonly findBrokerAddr: (brokerName: string, onlyMaster: boolean) => Promise<string | undefined>,
    private readonly timeoutMillis: number,
    private readonly logger: Logger,
    /** Told of every persistAll that sent offsets (instrumentation's commit_offsets). */
    private readonly onCommitted?: (offsets: { queue: MessageQueue; offset: number }[]) => void,
  ) {
    super();
  }

  async load(): Promise<void> {
    // Nothing local: the broker is the store.
  }

  async readOffset(mq: MessageQueue, type: ReadOffsetType): Promise<number> {
    const memory = this.memoryOffset(mq);
    if (type === 'READ_FROM_MEMORY' || (type === 'MEMORY_FIRST_THEN_STORE' && memory !== undefined)) return memory ?? -1;
    const addr = await this.requireBroker(mq);
    const offset = await this.api.queryConsumerOffset(addr, { consumerGroup: this.group, topic: mq.topic, queueId: mq.queueId }, this.timeoutMillis);
    if (offset === undefined) return -1;
    this.updateOffset(mq, offset, false);
    return offset;
  }

  async persistAll(mqs: readonly MessageQueue[]): Promise<void> {
    const owned = new Set(mqs.map(messageQueueKey));
    const sends: Promise<{ queue: MessageQueue; offset: number } | undefined>[] = [];
    for (const [key, entry] of this.table) {
      if (owned.has(key)) sends.push(this.send(entry.mq));
      else {
        // Java drops offsets of queues no longer owned, so a later owner's progress is not overwritten.
        this.table.delete(key);
      }
    }
    const committed = (await Promise.all(sends)).filter((c) => c !== undefined);
    if (committed.length > 0) this.onCommitted?.(committed);
  }

  async persist(mq: MessageQueue): Promise<void> {
    await this.send(mq);
  }

  /** The offset sent, if any. Never throws: a lost update is sent again on the next persist. */
  private async send(mq: MessageQueue): Promise<{ queue: MessageQueue; offset: number } | undefined> {
    const offset = this.memoryOffset(mq);
    if (offset === undefined) return undefined;
    try {
      // Offsets are committed to the master only: a slave's copy is overwritten by its master's at the next sync
      // (there is no reverse sync), so while the master is away the offset waits here and goes once it is back.
      const addr = await this.findBrokerAddr(mq.brokerName, true);
      if (addr === undefined) return undefined;
      const header = { consumerGroup: this.group, topic: mq.topic, queueId: mq.queueId, commitOffset: offset };
      await this.api.updateConsumerOffsetOneway(addr, header, this.timeoutMillis);
      return { queue: mq, offset };
    } catch (err) {
      this.logger.warn(`persisting the offset ${offset} of ${mq.topic}:${mq.brokerName}:${mq.queueId} failed`, err);
      return undefined;
    }
  }

  private async requireBroker(mq: MessageQueue): Promise<string> {
    const addr = await this.findBrokerAddr(mq.brokerName, false);
    if (addr === undefined) throw new Error(`the broker ${mq.brokerName} is not in any route`);
    return addr;
  }
}
