import {
  MessageConst,
  getTransactionValue,
  readStoredDispatchFields,
  string2messageProperties,
  tagsString2tagsCode,
} from '../protocol/message/index.js';

/** DispatchRequest.java: what the consume queues and the index need to know about one stored record. */
export interface DispatchRequest {
  readonly topic: string;
  readonly queueId: number;
  readonly commitLogOffset: number;
  readonly msgSize: number;
  readonly tagsCode: number;
  readonly storeTimestamp: number;
  readonly consumeQueueOffset: number;
  /** KEYS as stored (space-separated), or undefined. */
  readonly keys: string | undefined;
  readonly uniqKey: string | undefined;
  readonly sysFlag: number;
  /** The message's properties, for the arriving listener (Java's DispatchRequest.propertiesMap). */
  readonly properties?: ReadonlyMap<string, string>;
}

/** DefaultMessageStore.computeDeliverTimestamp: when a message parked at a delay level is due. */
export type DeliverTimestampFn = (delayLevel: number, storeTimestamp: number) => number;

/** The schedule service's topic: a record there with a DELAY property carries its due time as tag code. */
const SCHEDULE_TOPIC = 'SCHEDULE_TOPIC_XXXX';

/**
 * CommitLog.checkMessageAndReturnSize's tag code: the TAGS hash, except for a delayed message parked in
 * SCHEDULE_TOPIC_XXXX, whose tag code is its deliver timestamp, so the schedule service finds what is due in the
 * consume queue alone, without reading the log.
 */
export function consumeQueueTagsCode(
  topic: string,
  properties: ReadonlyMap<string, string>,
  storeTimestamp: number,
  computeDeliverTimestamp: DeliverTimestampFn,
): number {
  const level = topic === SCHEDULE_TOPIC ? Number(properties.get(MessageConst.PROPERTY_DELAY_TIME_LEVEL)) : 0;
  if (Number.isInteger(level) && level > 0) return computeDeliverTimestamp(level, storeTimestamp);
  return tagsString2tagsCode(properties.get(MessageConst.PROPERTY_TAGS));
}

/**
 * The dispatch request of the stored record at `at` of `buf`, read in place (CommitLog.checkMessageAndReturnSize
 * without the body): a reput of many records makes no MessageExt.
 */
export function dispatchRequestAt(buf: Buffer, at: number, computeDeliverTimestamp: DeliverTimestampFn): DispatchRequest {
  const record = readStoredDispatchFields(buf, at);
  const properties = string2messageProperties(record.propertiesString);
  return {
    topic: record.topic,
    queueId: record.queueId,
    commitLogOffset: record.commitLogOffset,
    msgSize: record.storeSize,
    tagsCode: consumeQueueTagsCode(record.topic, properties, record.storeTimestamp, computeDeliverTimestamp),
    storeTimestamp: record.storeTimestamp,
    consumeQueueOffset: record.queueOffset,
    keys: properties.get(MessageConst.PROPERTY_KEYS),
    uniqKey: properties.get(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX),
    sysFlag: record.sysFlag,
    properties,
  };
}

/** Transaction half (PREPARED) and ROLLBACK records stay out of the consume queues, as in CommitLog's dispatch. */
export function isDispatchedToConsumeQueue(sysFlag: number): boolean {
  const type = getTransactionValue(sysFlag);
  return type === 0 || type === 0x8;
}
