import type { HeaderSchema } from '../custom-header.js';

/**
 * Custom headers of the retry path and of the consumer administration codes (remoting/.../protocol/header), keyed
 * by Java field names. A @CFNotNull field is required here; a primitive with a Java default is optional.
 */

/** CONSUMER_SEND_MSG_BACK (36). `maxReconsumeTimes` counts only from clients >= V3_4_9. */
export const ConsumerSendMsgBackRequestHeader = {
  offset: 'long',
  group: 'string',
  delayLevel: 'int',
  originMsgId: 'string?',
  originTopic: 'string?',
  unitMode: 'boolean?',
  maxReconsumeTimes: 'int?',
} as const satisfies HeaderSchema;

/** GET_CONSUME_STATS (208). `topicList` (5.x) is topics joined by ';'. */
export const GetConsumeStatsRequestHeader = {
  consumerGroup: 'string',
  topic: 'string?',
  topicList: 'string?',
} as const satisfies HeaderSchema;

/** GET_CONSUMER_CONNECTION_LIST (203). */
export const GetConsumerConnectionListRequestHeader = {
  consumerGroup: 'string',
} as const satisfies HeaderSchema;

/** GET_PRODUCER_CONNECTION_LIST (204). */
export const GetProducerConnectionListRequestHeader = {
  producerGroup: 'string',
} as const satisfies HeaderSchema;

/** QUERY_TOPIC_CONSUME_BY_WHO (300). */
export const QueryTopicConsumeByWhoRequestHeader = {
  topic: 'string',
} as const satisfies HeaderSchema;

/** DELETE_SUBSCRIPTIONGROUP (207). */
export const DeleteSubscriptionGroupRequestHeader = {
  groupName: 'string',
  cleanOffset: 'boolean?',
} as const satisfies HeaderSchema;

/**
 * INVOKE_BROKER_TO_RESET_OFFSET (222), and RESET_CONSUMER_CLIENT_OFFSET (220) as the broker pushes it. The field is
 * named `isForce` on the wire (Java's field name). `queueId` and `offset` are 5.x (server-side reset).
 */
export const ResetOffsetRequestHeader = {
  topic: 'string',
  group: 'string',
  timestamp: 'long',
  isForce: 'boolean',
  queueId: 'int?',
  offset: 'long?',
} as const satisfies HeaderSchema;

/** INVOKE_BROKER_TO_GET_CONSUMER_STATUS (223), and GET_CONSUMER_STATUS_FROM_CLIENT (221) as forwarded. */
export const GetConsumerStatusRequestHeader = {
  topic: 'string',
  group: 'string',
  clientAddr: 'string?',
} as const satisfies HeaderSchema;

/** GET_CONSUMER_RUNNING_INFO (307), forwarded to the client unchanged. */
export const GetConsumerRunningInfoRequestHeader = {
  consumerGroup: 'string',
  clientId: 'string',
  jstackEnable: 'boolean?',
} as const satisfies HeaderSchema;

/** CONSUME_MESSAGE_DIRECTLY (309), forwarded to the client with the stored message as body. */
export const ConsumeMessageDirectlyResultRequestHeader = {
  consumerGroup: 'string',
  clientId: 'string?',
  msgId: 'string?',
  brokerName: 'string?',
  topic: 'string?',
  topicSysFlag: 'int?',
  groupSysFlag: 'int?',
} as const satisfies HeaderSchema;

/** CLONE_GROUP_OFFSET (314). */
export const CloneGroupOffsetRequestHeader = {
  srcGroup: 'string',
  destGroup: 'string',
  topic: 'string?',
  offline: 'boolean?',
} as const satisfies HeaderSchema;
