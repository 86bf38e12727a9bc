import { toFastjson } from './fastjson-writer.js';
import { asObject, optInteger, optString, parseJsonBody } from './json-fields.js';
import type { MessageQueue } from './message-queue.js';

/** MessageRequestMode.java: how a group consumes a topic (PULL: client-side offsets; POP: the broker's pop). */
export type MessageRequestMode = 'PULL' | 'POP';

/** SetMessageRequestModeRequestBody.java (SET_MESSAGE_REQUEST_MODE 401, and messageRequestMode.json's entries). */
export interface SetMessageRequestModeRequestBody {
  topic: string;
  consumerGroup: string;
  mode: MessageRequestMode;
  /** How many queues each POP client shares; <= 0 (Java's default -1): every client pops all of them. */
  popShareQueueNum: number;
}

/** QueryAssignmentRequestBody.java (QUERY_ASSIGNMENT 400). */
export interface QueryAssignmentRequestBody {
  topic: string;
  consumerGroup: string;
  clientId: string;
  strategyName: string;
  messageModel: 'BROADCASTING' | 'CLUSTERING';
}

/** MessageQueueAssignment.java. */
export interface MessageQueueAssignment {
  messageQueue: MessageQueue;
  mode: MessageRequestMode;
}

function mode(value: string | undefined, what: string): MessageRequestMode {
  if (value === undefined || value === 'PULL') return 'PULL';
  if (value === 'POP') return 'POP';
  throw new RangeError(`${what}.mode: unknown message request mode ${value}`);
}

export function decodeSetMessageRequestModeRequestBody(body: Buffer | string | undefined, what = 'SetMessageRequestModeRequestBody'): SetMessageRequestModeRequestBody {
  const obj = asObject(parseJsonBody(body, what), what);
  return {
    topic: optString(obj, 'topic', what) ?? '',
    consumerGroup: optString(obj, 'consumerGroup', what) ?? '',
    mode: mode(optString(obj, 'mode', what), what),
    popShareQueueNum: optInteger(obj, 'popShareQueueNum', what) ?? 0,
  };
}

export function encodeSetMessageRequestModeRequestBody(body: SetMessageRequestModeRequestBody): string {
  return toFastjson({ consumerGroup: body.consumerGroup, mode: body.mode, popShareQueueNum: body.popShareQueueNum, topic: body.topic });
}

export function decodeQueryAssignmentRequestBody(body: Buffer | string | undefined, what = 'QueryAssignmentRequestBody'): QueryAssignmentRequestBody {
  const obj = asObject(parseJsonBody(body, what), what);
  const messageModel = optString(obj, 'messageModel', what) ?? 'CLUSTERING';
  if (messageModel !== 'BROADCASTING' && messageModel !== 'CLUSTERING') throw new RangeError(`${what}.messageModel: unknown ${messageModel}`);
  return {
    topic: optString(obj, 'topic', what) ?? '',
    consumerGroup: optString(obj, 'consumerGroup', what) ?? '',
    clientId: optString(obj, 'clientId', what) ?? '',
    strategyName: optString(obj, 'strategyName', what) ?? '',
    messageModel,
  };
}

/** QueryAssignmentResponseBody.java: `{"messageQueueAssignments":[{"messageQueue":{...},"mode":"POP"}]}` (none: no field). */
export function encodeQueryAssignmentResponseBody(assignments: readonly MessageQueueAssignment[] | undefined): Buffer {
  if (assignments === undefined) return Buffer.from('{}');
  return Buffer.from(
    toFastjson({
      messageQueueAssignments: assignments.map((a) => ({
        messageQueue: { brokerName: a.messageQueue.brokerName, queueId: a.messageQueue.queueId, topic: a.messageQueue.topic },
        mode: a.mode,
      })),
    }),
  );
}
