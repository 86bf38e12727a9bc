import type { HeaderSchema } from '../custom-header.js';

/**
 * ACL 1.0's admin headers (4.9.8 common/.../protocol/header, kept in 5.0-5.3.2). Permission lists travel joined
 * by ',' ("topicA=PUB,topicB=SUB"), the global whitelist too.
 */

/** UPDATE_AND_CREATE_ACL_CONFIG (50). `admin` is a Java primitive: absent means false. */
export const CreateAccessConfigRequestHeader = {
  accessKey: 'string',
  secretKey: 'string?',
  whiteRemoteAddress: 'string?',
  admin: 'boolean?',
  defaultTopicPerm: 'string?',
  defaultGroupPerm: 'string?',
  topicPerms: 'string?',
  groupPerms: 'string?',
} as const satisfies HeaderSchema;

/** DELETE_ACL_CONFIG (51). */
export const DeleteAccessConfigRequestHeader = {
  accessKey: 'string',
} as const satisfies HeaderSchema;

/**
 * GET_BROKER_CLUSTER_ACL_INFO (52)'s response: `version` is the default file's DataVersion JSON,
 * `allAclFileVersion` a JSON map of file path to DataVersion.
 */
export const GetBrokerAclConfigResponseHeader = {
  version: 'string',
  allAclFileVersion: 'string?',
  brokerName: 'string',
  brokerAddr: 'string',
  clusterName: 'string',
} as const satisfies HeaderSchema;

/**
 * UPDATE_GLOBAL_WHITE_ADDRS_CONFIG (53). Java marks aclFileFullPath @CFNotNull; blank means the default file, and
 * we take a missing one the same way (DefaultMQAdminExt.updateGlobalWhiteAddrConfig(addr, addrs) sends none).
 */
export const UpdateGlobalWhiteAddrsConfigRequestHeader = {
  globalWhiteAddrs: 'string',
  aclFileFullPath: 'string?',
} as const satisfies HeaderSchema;

/**
 * The failure codes of 50, 51 and 53 as 4.9.8-5.3.2 define them; 5.3.3 gives 209-211 other meanings
 * (POLLING_FULL, POLLING_TIMEOUT, BROKER_NOT_EXIST), which is why they are not in ResponseCode.
 */
export const AclConfigResponseCode = {
  UPDATE_AND_CREATE_ACL_CONFIG_FAILED: 209,
  DELETE_ACL_CONFIG_FAILED: 210,
  UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED: 211,
} as const;
