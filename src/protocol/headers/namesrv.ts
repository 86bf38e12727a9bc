import type { HeaderSchema } from '../custom-header.js';

/**
 * Custom header schemas of the name-server codes, keyed by Java field names (remoting/.../header/namesrv).
 * Java leaves a missing @CFNotNull field null and fails later; we require it up front, so a bad request gets a
 * clear remark instead of a NullPointerException.
 */

export const RegisterBrokerRequestHeader = {
  brokerName: 'string',
  brokerAddr: 'string',
  clusterName: 'string',
  haServerAddr: 'string',
  brokerId: 'long',
  heartbeatTimeoutMillis: 'long?',
  enableActingMaster: 'boolean?',
  compressed: 'boolean?',
  bodyCrc32: 'int?',
} as const satisfies HeaderSchema;

/** RegisterBrokerResponseHeader: both empty for a master. */
export const RegisterBrokerResponseHeader = {
  haServerAddr: 'string?',
  masterAddr: 'string?',
} as const satisfies HeaderSchema;

export const UnRegisterBrokerRequestHeader = {
  brokerName: 'string',
  brokerAddr: 'string',
  clusterName: 'string',
  brokerId: 'long',
} as const satisfies HeaderSchema;

export const QueryDataVersionRequestHeader = {
  brokerName: 'string',
  brokerAddr: 'string',
  clusterName: 'string',
  brokerId: 'long',
} as const satisfies HeaderSchema;

export const QueryDataVersionResponseHeader = {
  changed: 'boolean',
} as const satisfies HeaderSchema;

export const BrokerHeartbeatRequestHeader = {
  clusterName: 'string',
  brokerAddr: 'string',
  brokerName: 'string',
  brokerId: 'long?',
  epoch: 'int?',
  maxOffset: 'long?',
  confirmOffset: 'long?',
  heartbeatTimeoutMills: 'long?',
  electionPriority: 'int?',
} as const satisfies HeaderSchema;

export const GetRouteInfoRequestHeader = {
  topic: 'string',
  acceptStandardJsonOnly: 'boolean?',
} as const satisfies HeaderSchema;

export const PutKVConfigRequestHeader = {
  namespace: 'string',
  key: 'string',
  value: 'string',
} as const satisfies HeaderSchema;

export const GetKVConfigRequestHeader = {
  namespace: 'string',
  key: 'string',
} as const satisfies HeaderSchema;

export const GetKVConfigResponseHeader = {
  value: 'string?',
} as const satisfies HeaderSchema;

export const DeleteKVConfigRequestHeader = GetKVConfigRequestHeader;

export const GetKVListByNamespaceRequestHeader = {
  namespace: 'string',
} as const satisfies HeaderSchema;

export const GetTopicsByClusterRequestHeader = {
  cluster: 'string',
} as const satisfies HeaderSchema;

export const WipeWritePermOfBrokerRequestHeader = {
  brokerName: 'string',
} as const satisfies HeaderSchema;

export const WipeWritePermOfBrokerResponseHeader = {
  wipeTopicCount: 'int',
} as const satisfies HeaderSchema;

export const AddWritePermOfBrokerRequestHeader = WipeWritePermOfBrokerRequestHeader;

export const AddWritePermOfBrokerResponseHeader = {
  addTopicCount: 'int',
} as const satisfies HeaderSchema;

export const DeleteTopicFromNamesrvRequestHeader = {
  topic: 'string',
  clusterName: 'string?',
} as const satisfies HeaderSchema;

export const RegisterTopicRequestHeader = {
  topic: 'string',
} as const satisfies HeaderSchema;
