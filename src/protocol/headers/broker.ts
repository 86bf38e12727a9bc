import type { HeaderSchema } from '../custom-header.js';

/**
 * Custom header schemas of the broker's request codes, keyed by Java field names
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

/** The message fields of a send header, which the reply push (326) repeats. */
const SEND_MESSAGE_FIELDS = {
  producerGroup: 'string',
  topic: 'string',
  defaultTopic: 'string',
  defaultTopicQueueNums: 'int',
  queueId: 'int',
  sysFlag: 'int',
  bornTimestamp: 'long',
  flag: 'int',
  properties: 'string?',
  reconsumeTimes: 'int?',
  unitMode: 'boolean?',
} as const satisfies HeaderSchema;

/** SendMessageRequestHeader (SEND_MESSAGE 10), Java's V1 field names. */
export const SendMessageRequestHeader = {
  ...SEND_MESSAGE_FIELDS,
  batch: 'boolean?',
  maxReconsumeTimes: 'int?',
} as const satisfies HeaderSchema;

/**
 * SendMessageRequestHeaderV2 (SEND_MESSAGE_V2 310, SEND_BATCH_MESSAGE 320): the same fields under single
 * letters, which Java chose to speed up fastjson. `n` (brokerName) is the 5.x static-topic field, ignored.
 */
export const SendMessageRequestHeaderV2 = {
  a: 'string',
  b: 'string',
  c: 'string',
  d: 'int',
  e: 'int',
  f: 'int',
  g: 'long',
  h: 'int',
  i: 'string?',
  j: 'int?',
  k: 'boolean?',
  l: 'int?',
  m: 'boolean?',
  n: 'string?',
} as const satisfies HeaderSchema;

export const SendMessageResponseHeader = {
  msgId: 'string',
  queueId: 'int',
  queueOffset: 'long',
  transactionId: 'string?',
  batchUniqId: 'string?',
  /** 5.3.x: a timer message's recall handle (RecallMessageHandle.HandleV1, URL-safe Base64). */
  recallHandle: 'string?',
} as const satisfies HeaderSchema;

export const PullMessageRequestHeader = {
  consumerGroup: 'string',
  topic: 'string',
  queueId: 'int',
  queueOffset: 'long',
  maxMsgNums: 'int',
  sysFlag: 'int',
  commitOffset: 'long',
  suspendTimeoutMillis: 'long',
  subscription: 'string?',
  subVersion: 'long',
  expressionType: 'string?',
  /** 5.x pullBatchSizeInBytes. */
  maxMsgBytes: 'int?',
} as const satisfies HeaderSchema;

export const PullMessageResponseHeader = {
  suggestWhichBrokerId: 'long',
  nextBeginOffset: 'long',
  minOffset: 'long',
  maxOffset: 'long',
  topicSysFlag: 'int?',
  groupSysFlag: 'int?',
} as const satisfies HeaderSchema;

/** GET_MAX_OFFSET 30; 5.x `committed` (default true) only matters with a replicated commit log. */
export const GetMaxOffsetRequestHeader = {
  topic: 'string',
  queueId: 'int',
  committed: 'boolean?',
} as const satisfies HeaderSchema;

/** GET_MIN_OFFSET 31 and GET_EARLIEST_MSG_STORETIME 32. */
export const TopicQueueRequestHeader = {
  topic: 'string',
  queueId: 'int',
} as const satisfies HeaderSchema;

/** SEARCH_OFFSET_BY_TIMESTAMP 29; 5.x `boundaryType` is LOWER (default) or UPPER. */
export const SearchOffsetRequestHeader = {
  topic: 'string',
  queueId: 'int',
  timestamp: 'long',
  boundaryType: 'string?',
} as const satisfies HeaderSchema;

/** The answer of 29, 30 and 31. */
export const OffsetResponseHeader = {
  offset: 'long',
} as const satisfies HeaderSchema;

export const GetEarliestMsgStoretimeResponseHeader = {
  timestamp: 'long',
} as const satisfies HeaderSchema;

/** VIEW_MESSAGE_BY_ID 33: the commit-log offset decoded from an offset msgId. */
export const ViewMessageRequestHeader = {
  topic: 'string?',
  offset: 'long',
} as const satisfies HeaderSchema;

export const QueryMessageRequestHeader = {
  topic: 'string',
  key: 'string',
  maxNum: 'int',
  beginTimestamp: 'long',
  endTimestamp: 'long',
} as const satisfies HeaderSchema;

export const QueryMessageResponseHeader = {
  indexLastUpdateTimestamp: 'long',
  indexLastUpdatePhyoffset: 'long',
} as const satisfies HeaderSchema;

export const GetTopicStatsInfoRequestHeader = {
  topic: 'string',
} as const satisfies HeaderSchema;

/** VIEW_BROKER_STATS_DATA 315: a BrokerStatsManager item by its Java name and key (topic, topic@group, cluster). */
export const ViewBrokerStatsDataRequestHeader = {
  statsName: 'string',
  statsKey: 'string',
} as const satisfies HeaderSchema;

/** GET_TOPIC_CONFIG 351 (5.x; mqadmin topicStatus reads the topic's config from each broker first). */
export const GetTopicConfigRequestHeader = {
  topic: 'string',
  lo: 'boolean?',
} as const satisfies HeaderSchema;

/** GET_SUBSCRIPTIONGROUP_CONFIG 352 (5.x; the proxy reads a group's config to validate and time consumption). */
export const GetSubscriptionGroupConfigRequestHeader = {
  group: 'string',
} as const satisfies HeaderSchema;

/** END_TRANSACTION (37, oneway). `commitOrRollback`: 0 unknown, 8 commit, 12 rollback. `topic`: 5.x clients. */
export const EndTransactionRequestHeader = {
  producerGroup: 'string',
  tranStateTableOffset: 'long',
  commitLogOffset: 'long',
  commitOrRollback: 'int',
  fromTransactionCheck: 'boolean?',
  msgId: 'string',
  transactionId: 'string?',
  topic: 'string?',
  bname: 'string?',
} as const satisfies HeaderSchema;

/**
 * CHECK_TRANSACTION_STATE (39, broker to producer, oneway): the offsets of the re-put copy of the half message,
 * which the producer's END_TRANSACTION echoes. 5.x brokers add `topic` (the half topic) and `bname`.
 */
export const CheckTransactionStateRequestHeader = {
  tranStateTableOffset: 'long',
  commitLogOffset: 'long',
  msgId: 'string?',
  transactionId: 'string?',
  offsetMsgId: 'string?',
  topic: 'string?',
  bname: 'string?',
} as const satisfies HeaderSchema;

/**
 * ReplyMessageRequestHeader: PUSH_REPLY_MESSAGE_TO_CLIENT (326), the broker handing a reply to its requester; the
 * reply's send header with the hosts and the store time (the body is the reply's body).
 */
export const ReplyMessageRequestHeader = {
  ...SEND_MESSAGE_FIELDS,
  bornHost: 'string',
  storeHost: 'string',
  storeTimestamp: 'long',
} as const satisfies HeaderSchema;

/** RecallMessageRequestHeader (RECALL_MESSAGE 370, 5.3.x): cancel a timer message by the handle its send returned. */
export const RecallMessageRequestHeader = {
  producerGroup: 'string?',
  topic: 'string',
  recallHandle: 'string',
} as const satisfies HeaderSchema;
