export { toFastjson, JsonMap, type FastjsonOptions, type JsonMapKey } from './fastjson-writer.js';
export { type DataVersion, dataVersionEquals, zeroDataVersion, encodeDataVersion, decodeDataVersion } from './data-version.js';
export {
  type TopicConfig,
  type TopicFilterType,
  defaultTopicConfig,
  encodeTopicConfigText,
  decodeTopicConfigText,
} from './topic-config.js';
export {
  type RegisterBrokerBody,
  type RegisterBrokerBodyEncoding,
  type TopicConfigSerializeWrapper,
  MAX_INFLATED_REGISTER_BODY,
  emptyRegisterBrokerBody,
  encodeRegisterBrokerBody,
  decodeRegisterBrokerBody,
} from './register-broker-body.js';
export {
  type QueueData,
  type BrokerData,
  type TopicRouteData,
  encodeTopicRouteData,
  decodeTopicRouteData,
} from './topic-route-data.js';
export { type ClusterInfo, encodeClusterInfo, decodeClusterInfo } from './cluster-info.js';
export { type TopicList, encodeTopicList, decodeTopicList } from './topic-list.js';
export { encodeKVTable, decodeKVTable, encodeKVConfigTable, decodeKVConfigTable } from './kv-table.js';
export {
  encodeTopicConfigSerializeWrapper,
  decodeTopicConfigSerializeWrapper,
} from './topic-config-serialize-wrapper.js';
export {
  type ConsumerOffsetSerializeWrapper,
  encodeConsumerOffsetSerializeWrapper,
  decodeConsumerOffsetSerializeWrapper,
} from './consumer-offset-serialize-wrapper.js';
export {
  type DelayOffsetSerializeWrapper,
  encodeDelayOffsetSerializeWrapper,
  decodeDelayOffsetSerializeWrapper,
} from './delay-offset-serialize-wrapper.js';
export {
  type SubscriptionGroupConfig,
  type SubscriptionGroupWrapper,
  type GroupRetryPolicy,
  type GroupRetryPolicyType,
  type SimpleSubscriptionData,
  defaultSubscriptionGroupConfig,
  encodeSubscriptionGroupConfig,
  encodeSubscriptionGroupWrapper,
  decodeSubscriptionGroupWrapper,
} from './subscription-group-wrapper.js';
export {
  encodeHeartbeatData,
  decodeHeartbeatData,
  type HeartbeatData,
  type ConsumerData,
  type ProducerData,
  type SubscriptionData,
  type ConsumeType,
  type MessageModel,
  type ConsumeFromWhere,
} from './heartbeat-data.js';
export { encodeConsumerListByGroup, decodeConsumerListByGroup } from './consumer-list-by-group.js';
export { encodeConsumerOffsetTable } from './consumer-offset-table.js';
export { decodeSubscriptionGroupConfig } from './subscription-group-config.js';
export {
  type MessageQueue,
  messageQueueToJson,
  messageQueueFromJson,
  messageQueueKey,
  encodeMessageQueueMap,
  decodeMessageQueueMap,
} from './message-queue.js';
export {
  type LockBatchRequestBody,
  type UnlockBatchRequestBody,
  decodeLockBatchRequestBody,
  encodeLockBatchRequestBody,
  encodeLockBatchResponseBody,
  decodeLockBatchResponseBody,
} from './lock-batch.js';
export {
  type OffsetWrapper,
  type Connection,
  type ConsumerConnection,
  encodeConsumeStats,
  decodeConsumeStats,
  encodeConsumerConnection,
  encodeProducerConnection,
  encodeGroupList,
  encodeResetOffsetBody,
  decodeResetOffsetBody,
  decodeConsumerStatusMessageQueueTable,
  encodeGetConsumerStatusBody,
} from './consumer-admin.js';
export { type CheckClientRequestBody, encodeCheckClientRequestBody, decodeCheckClientRequestBody } from './check-client-request-body.js';
export { decodeAclInfo, decodeAclInfoList, decodeUserInfo, decodeUserInfoList, encodeAuthBody, type AclInfo, type PolicyEntryInfo, type PolicyInfo, type UserInfo } from './auth.js';
