import { RemotingCommandError } from '../../common/errors.js';
import { toFastjson } from './fastjson-writer.js';
import { asObject, asString, optArray, optBoolean, optInteger, optString, parseJsonBody, type JsonObject } from './json-fields.js';

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

/** A DataVersion JSON (`version`, and each value of `allAclFileVersion`, of GET_BROKER_CLUSTER_ACL_INFO). */
export function decodeAclFileVersion(json: string): AclFileVersion {
  const what = 'DataVersion';
  const obj = asObject(parseJsonBody(json, what), what);
  return { counter: optInteger(obj, 'counter', what) ?? 0, timestamp: optInteger(obj, 'timestamp', what) ?? 0 };
}

/** `allAclFileVersion`: a JSON map of file path to DataVersion. */
export function decodeAllAclFileVersion(json: string | undefined): Map<string, AclFileVersion> {
  const out = new Map<string, AclFileVersion>();
  if (json === undefined || json === '') return out;
  const obj = asObject(parseJsonBody(json, 'allAclFileVersion'), 'allAclFileVersion');
  for (const [path, version] of Object.entries(obj)) {
    if (typeof version !== 'object' || version === null || Array.isArray(version)) throw new RemotingCommandError(`allAclFileVersion: the version of ${path} is not an object`);
    out.set(path, decodeAclFileVersion(JSON.stringify(version)));
  }
  return out;
}
