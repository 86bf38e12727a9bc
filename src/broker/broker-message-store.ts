/**
 * What the broker's managers and processors need of the message store (Java's MessageStore interface, the part
 * used so far). DefaultMessageStore (src/store) implements it; it plugs into BrokerController's constructor, and
 * tests pass a fake. Send, pull and the offset queries add their methods here as their processors arrive.
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
  /** The store's part of GET_BROKER_RUNTIME_INFO (putTps, getTransferredTps, commitLogDiskRatio, ...). */
  getRuntimeInfo(): Map<string, string>;
}
