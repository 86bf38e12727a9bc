import { MessageConst, getTransactionValue, tagsString2tagsCode, type MessageExt } from '../protocol/message/index.js';

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
}

export function dispatchRequestOf(msg: MessageExt): DispatchRequest {
  return {
    topic: msg.topic,
    queueId: msg.queueId,
    commitLogOffset: msg.commitLogOffset,
    msgSize: msg.storeSize,
    tagsCode: tagsString2tagsCode(msg.properties.get(MessageConst.PROPERTY_TAGS)),
    storeTimestamp: msg.storeTimestamp,
    consumeQueueOffset: msg.queueOffset,
    keys: msg.properties.get(MessageConst.PROPERTY_KEYS),
    uniqKey: msg.properties.get(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX),
    sysFlag: msg.sysFlag,
  };
}

/** Transaction half (PREPARED) and ROLLBACK records stay out of the consume queues, as in CommitLog's dispatch. */
export function isDispatchedToConsumeQueue(sysFlag: number): boolean {
  const type = getTransactionValue(sysFlag);
  return type === 0 || type === 0x8;
}
