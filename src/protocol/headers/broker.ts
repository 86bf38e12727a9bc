import type { HeaderSchema } from '../custom-header.js';

/**
 * Custom header schemas of the broker codes served without the message store, keyed by Java field names
 * (remoting/.../protocol/header). As for the name server, a missing @CFNotNull field is refused up front.
 * 5.x static-topic fields (`lo`, `brokerName`) are accepted and ignored: we serve no static topics.
 */

export const UnregisterClientRequestHeader = {
  clientID: 'string',
  producerGroup: 'string?',
  consumerGroup: 'string?',
} as const satisfies HeaderSchema;

export const GetConsumerListByGroupRequestHeader = {
  consumerGroup: 'string',
} as const satisfies HeaderSchema;

export const NotifyConsumerIdsChangedRequestHeader = {
  consumerGroup: 'string',
} as const satisfies HeaderSchema;

export const QueryConsumerOffsetRequestHeader = {
  consumerGroup: 'string',
  topic: 'string',
  queueId: 'int',
  /** 5.x: false asks for QUERY_NOT_FOUND instead of the offset-0 fallback. */
  setZeroIfNotFound: 'boolean?',
} as const satisfies HeaderSchema;

export const QueryConsumerOffsetResponseHeader = {
  offset: 'long',
} as const satisfies HeaderSchema;

export const UpdateConsumerOffsetRequestHeader = {
  consumerGroup: 'string',
  topic: 'string',
  queueId: 'int',
  commitOffset: 'long',
} as const satisfies HeaderSchema;

export const CreateTopicRequestHeader = {
  topic: 'string',
  defaultTopic: 'string',
  readQueueNums: 'int',
  writeQueueNums: 'int',
  perm: 'int',
  topicFilterType: 'string',
  topicSysFlag: 'int?',
  order: 'boolean',
  /** 5.x: "+key=value,-key" modifications. */
  attributes: 'string?',
  force: 'boolean?',
} as const satisfies HeaderSchema;

export const DeleteTopicRequestHeader = {
  topic: 'string',
} as const satisfies HeaderSchema;

/** GET_BROKER_CONFIG's answer: the configuration's DataVersion as JSON. */
export const GetBrokerConfigResponseHeader = {
  version: 'string',
} as const satisfies HeaderSchema;
