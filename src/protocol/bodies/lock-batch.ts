import { toFastjson } from './fastjson-writer.js';
import { asObject, optArray, optBoolean, optString, parseJsonBody } from './json-fields.js';
import { messageQueueFromJson, type MessageQueue } from './message-queue.js';

/** LockBatchRequestBody.java (LOCK_BATCH_MQ 41) and UnlockBatchRequestBody.java (UNLOCK_BATCH_MQ 42): the same fields. */
export interface LockBatchRequestBody {
  consumerGroup: string;
  clientId: string;
  /** Set by a broker forwarding to its replicas; we have none, so it changes nothing. */
  onlyThisBroker: boolean;
  mqSet: MessageQueue[];
}

export type UnlockBatchRequestBody = LockBatchRequestBody;

export function decodeLockBatchRequestBody(body: Buffer | string | undefined, what = 'LockBatchRequestBody'): LockBatchRequestBody {
  const obj = asObject(parseJsonBody(body, what), what);
  return {
    consumerGroup: optString(obj, 'consumerGroup', what) ?? '',
    clientId: optString(obj, 'clientId', what) ?? '',
    onlyThisBroker: optBoolean(obj, 'onlyThisBroker', what) ?? false,
    mqSet: (optArray(obj, 'mqSet', what) ?? []).map((mq, i) => messageQueueFromJson(mq, `${what}.mqSet[${i}]`)),
  };
}

export function encodeLockBatchRequestBody(body: LockBatchRequestBody): Buffer {
  return Buffer.from(toFastjson({ ...body, mqSet: body.mqSet.map(mqBean) }));
}

/** LockBatchResponseBody.java: `{"lockOKMQSet":[...]}`. */
export function encodeLockBatchResponseBody(lockOKMQSet: readonly MessageQueue[]): Buffer {
  return Buffer.from(toFastjson({ lockOKMQSet: lockOKMQSet.map(mqBean) }));
}

export function decodeLockBatchResponseBody(body: Buffer | string | undefined): MessageQueue[] {
  const what = 'LockBatchResponseBody';
  const obj = asObject(parseJsonBody(body, what), what);
  return (optArray(obj, 'lockOKMQSet', what) ?? []).map((mq, i) => messageQueueFromJson(mq, `${what}.lockOKMQSet[${i}]`));
}

function mqBean(mq: MessageQueue): object {
  return { brokerName: mq.brokerName, queueId: mq.queueId, topic: mq.topic };
}
