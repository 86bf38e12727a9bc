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
