import type { MessageExt, MessageExtBatch, MessageExtBrokerInner } from '../protocol/message/index.js';

/** PutMessageStatus.java (the ones our store produces). */
export type PutMessageStatus =
  | 'PUT_OK'
  | 'FLUSH_DISK_TIMEOUT'
  | 'FLUSH_SLAVE_TIMEOUT'
  | 'SLAVE_NOT_AVAILABLE'
  | 'CREATE_MAPPED_FILE_FAILED'
  | 'MESSAGE_ILLEGAL'
  | 'PROPERTIES_SIZE_EXCEEDED'
  | 'SERVICE_NOT_AVAILABLE'
  | 'OS_PAGE_CACHE_BUSY'
  | 'UNKNOWN_ERROR';

/** Java's sendOK: the record is in this broker's log (a disk or replica wait may have run out, it stays). */
export function isStored(status: PutMessageStatus): boolean {
  return status === 'PUT_OK' || status === 'FLUSH_DISK_TIMEOUT' || status === 'FLUSH_SLAVE_TIMEOUT' || status === 'SLAVE_NOT_AVAILABLE';
}

/** AppendMessageResult.java. For a batch, msgId is every record's msgId joined by ',' (as Java). */
export interface AppendMessageResult {
  readonly wroteOffset: number;
  readonly wroteBytes: number;
  readonly msgId: string;
  readonly storeTimestamp: number;
  /** The queue offset of the (first) record. */
  readonly logicsOffset: number;
  readonly msgNum: number;
}

/** DefaultStoreMetricsManager's gauges: used bytes of the store's disk, flush and dispatch backlogs, oldest message. */
export interface StorageMetrics {
  /** Undefined when the store directory is missing or its file system cannot be read. */
  readonly storageSizeBytes: number | undefined;
  readonly flushBehindBytes: number;
  readonly dispatchBehindBytes: number;
  /** Store time of the oldest message kept, 0 when the log is empty. */
  readonly earliestMessageTime: number;
}

export interface PutMessageResult {
  readonly status: PutMessageStatus;
  /** Present whenever the record was written (PUT_OK, FLUSH_DISK_TIMEOUT, and UNKNOWN_ERROR after a failed fsync). */
  readonly appendResult?: AppendMessageResult;
}

/** GetMessageStatus.java. */
export type GetMessageStatus =
  | 'FOUND'
  | 'NO_MATCHED_MESSAGE'
  | 'MESSAGE_WAS_REMOVING'
  | 'OFFSET_FOUND_NULL'
  | 'OFFSET_OVERFLOW_BADLY'
  | 'OFFSET_OVERFLOW_ONE'
  | 'OFFSET_TOO_SMALL'
  | 'NO_MATCHED_LOGIC_QUEUE'
  | 'NO_MESSAGE_IN_QUEUE';

export interface GetMessageResult {
  readonly status: GetMessageStatus;
  readonly nextBeginOffset: number;
  readonly minOffset: number;
  readonly maxOffset: number;
  /** Whole stored records, ready to concatenate into a pull body. */
  readonly messageBuffers: Buffer[];
  readonly messageCount: number;
  readonly bufferTotalSize: number;
  /**
   * The last record read lies further behind the log's end than accessMessageInMemoryMaxRatio percent of physical
   * memory (cold data): the broker then suggests the group's whichBrokerWhenConsumeSlowly replica.
   */
  readonly suggestPullingFromSlave: boolean;
}

/** MessageFilter.java; the broker implements it per subscription. */
export interface MessageFilter {
  /** By the consume-queue entry's tag code (tag subscriptions), before the record is read. */
  isMatchedByConsumeQueue(tagsCode: number): boolean;
  /**
   * By the message itself (property filters): the stored record when a pull reads it, or the properties of a
   * message just dispatched (long polling). Absent for filters that never look at the message.
   */
  isMatchedByCommitLog?(record: Buffer | undefined, properties?: ReadonlyMap<string, string>): boolean;
  /**
   * Set when isMatchedByCommitLog's verdict on a record depends on the record alone (a compiled SQL92 expression):
   * the store may then judge the records of `topic` near a pulled one in one read, and remember the verdicts by
   * commit-log offset under `key` (an object that lives as long as the expression; a new version is a new key).
   */
  readonly verdictScope?: { readonly key: object; readonly topic: string };
}

export interface QueryMessageResult {
  /** Whole stored records, oldest first. */
  readonly messages: Buffer[];
  readonly indexLastUpdateTimestamp: number;
  readonly indexLastUpdatePhyoffset: number;
}

/** Called after each consume-queue append, so long-polling pulls wake at once; `properties` are the message's. */
export type MessageArrivingListener = (
  topic: string,
  queueId: number,
  logicOffset: number,
  tagsCode: number,
  storeTimestamp: number,
  properties: ReadonlyMap<string, string> | undefined,
) => void;

/** MessageStore.java, the part the broker uses. */
export interface MessageStore {
  /** Loads, recovers (refusing to start on mid-log corruption) and starts the flush and clean services. */
  start(): Promise<void>;
  /** Stops accepting puts, flushes everything, writes the checkpoint and removes the abort marker. */
  shutdown(): Promise<void>;
  putMessage(msg: MessageExtBrokerInner): Promise<PutMessageResult>;
  /** One SEND_BATCH_MESSAGE: every record gets a consecutive queue offset, all written in one go. */
  putMessages(batch: MessageExtBatch): Promise<PutMessageResult>;
  getMessage(group: string, topic: string, queueId: number, offset: number, maxMsgNums: number, filter?: MessageFilter): GetMessageResult;
  getMaxOffsetInQueue(topic: string, queueId: number): number;
  getMinOffsetInQueue(topic: string, queueId: number): number;
  getOffsetInQueueByTime(topic: string, queueId: number, timestamp: number): number;
  getEarliestMessageTime(topic: string, queueId: number): number;
  getCommitLogOffsetInQueue(topic: string, queueId: number, consumeQueueOffset: number): number;
  lookMessageByOffset(commitLogOffset: number): MessageExt | null;
  queryMessage(topic: string, key: string, maxNum: number, begin: number, end: number): QueryMessageResult;
  deleteTopics(topics: ReadonlySet<string>): void;
  getMaxPhyOffset(): number;
  getMinPhyOffset(): number;
  now(): number;
  setMessageArrivingListener(listener: MessageArrivingListener): void;
}
