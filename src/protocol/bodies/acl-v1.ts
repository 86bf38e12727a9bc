import { toFastjson } from './fastjson-writer.js';
import { asObject, asString, optArray, optBoolean, optString, parseJsonBody, type JsonObject } from './json-fields.js';

/** PlainAccessConfig.java as GET_BROKER_CLUSTER_ACL_CONFIG (54) carries it. */
export interface PlainAccessConfigBody {
  accessKey?: string;
  secretKey?: string;
  whiteRemoteAddress?: string;
  admin: boolean;
  defaultTopicPerm?: string;
  defaultGroupPerm?: string;
  topicPerms?: string[];
  groupPerms?: string[];
}

/** GetBrokerClusterAclConfigResponseBody (5.x): every ACL file's global whitelist and accounts. */
export interface BrokerClusterAclConfig {
  globalWhiteAddrs: string[];
  plainAccessConfigs: PlainAccessConfigBody[];
}

/** The DataVersion of an ACL file as 4.9.8 writes it (no stateVersion). */
export interface AclFileVersion {
  counter: number;
  timestamp: number;
}

export function encodeBrokerClusterAclConfig(config: BrokerClusterAclConfig): Buffer {
  return Buffer.from(toFastjson({ globalWhiteAddrs: config.globalWhiteAddrs, plainAccessConfigs: config.plainAccessConfigs.map((c) => ({ ...c })) }), 'utf8');
}

export function decodeBrokerClusterAclConfig(body: Buffer | string | undefined): BrokerClusterAclConfig {
  const what = 'GetBrokerClusterAclConfigResponseBody';
  const obj = asObject(parseJsonBody(body, what), what);
  const strings = (o: JsonObject, field: string, where: string): string[] | undefined => optArray(o, field, where)?.map((v, i) => asString(v, `${where}.${field}[${i}]`));
  return {
    globalWhiteAddrs: strings(obj, 'globalWhiteAddrs', what) ?? [],
    plainAccessConfigs: (optArray(obj, 'plainAccessConfigs', what) ?? []).map((entry, i) => {
      const where = `${what}.plainAccessConfigs[${i}]`;
      const c = asObject(entry, where);
      const config: PlainAccessConfigBody = { admin: optBoolean(c, 'admin', where) ?? false };
      for (const key of ['accessKey', 'secretKey', 'whiteRemoteAddress', 'defaultTopicPerm', 'defaultGroupPerm'] as const) {
        const value = optString(c, key, where);
        if (value !== undefined) config[key] = value;
      }
      const topicPerms = strings(c, 'topicPerms', where);
      if (topicPerms !== undefined) config.topicPerms = topicPerms;
      const groupPerms = strings(c, 'groupPerms', where);
      if (groupPerms !== undefined) config.groupPerms = groupPerms;
      return config;
    }),
  };
}

/** DataVersion as fastjson writes 4.9.8's (counter, timestamp). */
export function aclFileVersionJson(version: AclFileVersion): string {
  return toFastjson({ counter: version.counter, timestamp: version.timestamp });
}
