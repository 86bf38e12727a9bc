import type { HeaderSchema } from '../custom-header.js';

/**
 * The 5.x POP headers (remoting/.../protocol/header/*.java, rocketmq-all-5.3.3). Their codes are above 32767, so
 * they only travel in JSON-serialized headers.
 */

/** POP_MESSAGE 200050. initMode: ConsumeInitMode (0 MIN, 1 MAX); order: a FIFO pop; attemptId: its retry key. */
export const PopMessageRequestHeader = {
  consumerGroup: 'string',
  topic: 'string',
  queueId: 'int',
  maxMsgNums: 'int',
  invisibleTime: 'long',
  pollTime: 'long',
  bornTime: 'long',
  initMode: 'int',
  expType: 'string?',
  exp: 'string?',
  order: 'boolean?',
  attemptId: 'string?',
} as const satisfies HeaderSchema;

export const PopMessageResponseHeader = {
  popTime: 'long',
  invisibleTime: 'long',
  reviveQid: 'int',
  restNum: 'long',
  startOffsetInfo: 'string?',
  msgOffsetInfo: 'string?',
  orderCountInfo: 'string?',
} as const satisfies HeaderSchema;

/** ACK_MESSAGE 200051: extraInfo is the message's POP_CK handle, offset its queue offset. */
export const AckMessageRequestHeader = {
  consumerGroup: 'string',
  topic: 'string',
  queueId: 'int',
  extraInfo: 'string',
  offset: 'long',
} as const satisfies HeaderSchema;

/** CHANGE_MESSAGE_INVISIBLETIME 200053. */
export const ChangeInvisibleTimeRequestHeader = {
  consumerGroup: 'string',
  topic: 'string',
  queueId: 'int',
  extraInfo: 'string',
  offset: 'long',
  invisibleTime: 'long',
} as const satisfies HeaderSchema;

export const ChangeInvisibleTimeResponseHeader = {
  popTime: 'long',
  invisibleTime: 'long',
  reviveQid: 'int',
} as const satisfies HeaderSchema;

/** NOTIFICATION 200054: would a POP find a message (waiting up to pollTime)? */
export const NotificationRequestHeader = {
  consumerGroup: 'string',
  topic: 'string',
  queueId: 'int',
  pollTime: 'long',
  bornTime: 'long',
  order: 'boolean?',
  attemptId: 'string?',
} as const satisfies HeaderSchema;

export const NotificationResponseHeader = {
  hasMsg: 'boolean',
  pollingFull: 'boolean',
} as const satisfies HeaderSchema;

/** POLLING_INFO 200055: how many pops wait on a queue. */
export const PollingInfoRequestHeader = {
  consumerGroup: 'string',
  topic: 'string',
  queueId: 'int',
} as const satisfies HeaderSchema;

/** PEEK_MESSAGE 200052: the messages a POP would read, without popping them. */
export const PeekMessageRequestHeader = {
  consumerGroup: 'string',
  topic: 'string',
  queueId: 'int',
  maxMsgNums: 'int',
} as const satisfies HeaderSchema;
