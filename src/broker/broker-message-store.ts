import type { MessageExt, MessageExtBatch, MessageExtBrokerInner } from '../protocol/message/index.js';
import type { CqUnit } from '../store/consume-queue.js';
import type { GetMessageResult, MessageArrivingListener, MessageFilter, PutMessageResult, QueryMessageResult, StorageMetrics } from '../store/message-store.js';

/**
 * What the broker's managers and processors need of the message store (Java's MessageStore interface, the part
 * used so far). DefaultMessageStore (src/store) implements it; it plugs into BrokerController's constructor, and
 * tests pass a fake.
 */
export interface BrokerMessageStore {
  /** Loads and recovers the store; the broker serves only after it resolves. */
  start(): Promise<void>;
  /** Flushes and closes; called after the broker stopped serving, also when start() failed or never ran. */
  shutdown(): Promise<void>;
  /** The first consume-queue offset still stored for the queue (0 for an empty or unknown queue). */
  getMinOffsetInQueue(topic: string, queueId: number): number;
  /**
   * Whether the `batchSize` messages from `consumeOffset` are still in memory (5.x checkInMemByConsumeOffset).
   * QUERY_CONSUMER_OFFSET uses it to start a new group at offset 0 only while the queue's head is hot.
   */
  checkInMemByConsumeOffset(topic: string, queueId: number, consumeOffset: number, batchSize: number): boolean;
  /** Drops the consume queues (and index entries) of deleted topics. */
  deleteTopics(topics: ReadonlySet<string>): void;
  /** The figures of Java's store metrics (rocketmq_storage_*), as numbers. */
  storageMetrics(): StorageMetrics;
  /** The store's part of GET_BROKER_RUNTIME_INFO (putTps, getTransferredTps, commitLogDiskRatio, ...). */
  getRuntimeInfo(): Map<string, string>;
  /**
   * Appends one message. Resolves with PUT_OK only once the record is written (and, in SYNC_FLUSH with WAIT,
   * synced); every other status means the message is not acknowledged.
   */
  putMessage(msg: MessageExtBrokerInner): Promise<PutMessageResult>;
  /** One SEND_BATCH_MESSAGE: consecutive queue offsets, all records written in one go. */
  putMessages(batch: MessageExtBatch): Promise<PutMessageResult>;
  /** A pull: up to `maxMsgNums` whole stored records from `offset`, with Java's statuses and next offset. */
  getMessage(group: string, topic: string, queueId: number, offset: number, maxMsgNums: number, filter?: MessageFilter): GetMessageResult;
  /** One past the last consume-queue offset of the queue (0 for an empty or unknown queue). */
  getMaxOffsetInQueue(topic: string, queueId: number): number;
  /** The first offset whose message was stored at or after `timestamp`. */
  getOffsetInQueueByTime(topic: string, queueId: number, timestamp: number): number;
  /** The store time of the queue's first message, -1 when there is none. */
  getEarliestMessageTime(topic: string, queueId: number): number;
  /** The store time of the message at a consume-queue offset, -1 when there is none (topicStatus's last update). */
  getMessageStoreTimeStamp(topic: string, queueId: number, consumeQueueOffset: number): number;
  /** The commit-log offset of a consume-queue entry (0 when there is none). */
  getCommitLogOffsetInQueue(topic: string, queueId: number, consumeQueueOffset: number): number;
  /** The stored bytes of the record at a commit-log offset (VIEW_MESSAGE_BY_ID's body), or null. */
  selectOneMessageByOffset(commitLogOffset: number): Buffer | null;
  /** Messages of `topic` whose KEYS or UNIQ_KEY is `key`, stored between `begin` and `end`. */
  queryMessage(topic: string, key: string, maxNum: number, begin: number, end: number): QueryMessageResult;
  /** The decoded record at a commit-log offset (CONSUMER_SEND_MSG_BACK, the schedule service), or null. */
  lookMessageByOffset(commitLogOffset: number): MessageExt | null;
  /** Up to `maxCount` consume-queue entries from `startOffset` (the schedule service reads due times from them). */
  iterateConsumeQueue(topic: string, queueId: number, startOffset: number, maxCount: number): CqUnit[];
  /** messageDelayLevel parsed: level (1-based) -> delay in ms. */
  readonly delayLevelTable: ReadonlyMap<number, number>;
  /** Told after each consume-queue append: wakes the long-polling pulls of that queue. */
  setMessageArrivingListener(listener: MessageArrivingListener): void;
}
