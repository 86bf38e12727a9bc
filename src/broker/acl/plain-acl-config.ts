import { AclException } from './acl-exception.js';
import { parsePermFromString, parseResourcePerms } from './permission.js';
import { remoteAddressStrategy, type RemoteAddressStrategy } from './remote-address-strategy.js';
import type { YamlMap, YamlValue } from './yaml.js';

/** PlainAccessConfig.java: one account as plain_acl.yml and the admin codes (50, 54) carry it. */
export interface PlainAccessConfig {
  accessKey: string;
  secretKey: string;
  whiteRemoteAddress?: string;
  admin: boolean;
  defaultTopicPerm?: string;
  defaultGroupPerm?: string;
  topicPerms?: string[];
  groupPerms?: string[];
}

/** DataVersion of an ACL file as 4.9.8 keeps it in `dataVersion: [{counter, timestamp}]`. */
export interface AclDataVersion {
  counter: number;
  timestamp: number;
}

/** PlainAccessResource.java as built for an account: what its requests are checked against. */
export interface Account {
  readonly accessKey: string;
  readonly secretKey: string;
  readonly admin: boolean;
  readonly defaultTopicPerm: number;
  readonly defaultGroupPerm: number;
  /** Topic (and `%RETRY%group`) -> permission; undefined when the account lists none (an admin then passes all). */
  readonly resourcePerms: ReadonlyMap<string, number> | undefined;
  readonly whiteRemoteAddress: RemoteAddressStrategy;
}

/** One ACL file, parsed and checked. */
export interface AclFileContent {
  readonly globalWhiteAddrs: readonly string[];
  readonly globalWhite: readonly RemoteAddressStrategy[];
  readonly accounts: readonly Account[];
  readonly configs: readonly PlainAccessConfig[];
  /** Undefined for a file without data (Java skips empty files: no version, nothing loaded). */
  readonly dataVersion: AclDataVersion | undefined;
}

export const CONFIG_GLOBAL_WHITE_ADDRS = 'globalWhiteRemoteAddresses';
export const CONFIG_ACCOUNTS = 'accounts';
export const CONFIG_DATA_VERSION = 'dataVersion';
const ACCESS_KEY_MIN_LENGTH = 6;
const SECRET_KEY_MIN_LENGTH = 6;

/** Where secrets would appear in a message: never the value. */
const HIDDEN = '******';

/**
 * PlainPermissionManager.checkPlainAccessConfig. Java's message also prints the secret key; ours says only
 * whether there was one, since the message reaches logs and remarks.
 */
export function checkPlainAccessConfig(config: { accessKey?: string | undefined; secretKey?: string | undefined }): void {
  const { accessKey, secretKey } = config;
  if (accessKey === undefined || secretKey === undefined || accessKey.length <= ACCESS_KEY_MIN_LENGTH || secretKey.length <= SECRET_KEY_MIN_LENGTH) {
    throw new AclException(
      `The accessKey=${accessKey ?? 'null'} and secretKey=${secretKey === undefined ? 'null' : HIDDEN} cannot be null and length should longer than 6`,
    );
  }
}

/** PlainPermissionManager.buildPlainAccessResource: an account from its config, or an AclException. */
export function buildAccount(config: PlainAccessConfig): Account {
  checkPlainAccessConfig(config);
  const perms = new Map<string, number>();
  parseResourcePerms(perms, false, config.groupPerms);
  parseResourcePerms(perms, true, config.topicPerms);
  return {
    accessKey: config.accessKey,
    secretKey: config.secretKey,
    admin: config.admin,
    defaultTopicPerm: parsePermFromString(config.defaultTopicPerm),
    defaultGroupPerm: parsePermFromString(config.defaultGroupPerm),
    resourcePerms: config.topicPerms === undefined && config.groupPerms === undefined ? undefined : perms,
    whiteRemoteAddress: remoteAddressStrategy(config.whiteRemoteAddress),
  };
}

/**
 * A parsed plain_acl.yml document into its whitelist, accounts and version, checked as Java's load() checks it:
 * a bad account, permission or IP pattern fails the whole file. `now` stands for the version of a file without one.
 */
export function readAclFile(doc: YamlValue, path: string, now: number): AclFileContent {
  const data = readPlainAccessData(doc, path);
  if (data === undefined) return { globalWhiteAddrs: [], globalWhite: [], accounts: [], configs: [], dataVersion: undefined };
  const { globalWhiteAddrs, configs } = data;
  return {
    globalWhiteAddrs,
    globalWhite: globalWhiteAddrs.map((pattern) => remoteAddressStrategy(pattern)),
    accounts: configs.map(buildAccount),
    configs,
    dataVersion: dataVersionOf((doc as YamlMap).get(CONFIG_DATA_VERSION), path) ?? { counter: 0, timestamp: now },
  };
}

/**
 * PlainAccessData as a plain_acl.yml document holds it, the accounts as written (not checked as the validator
 * checks them: 5.3.3's AuthMigrator reads them so); undefined for a file without data.
 */
export function readPlainAccessData(doc: YamlValue, path: string): { globalWhiteAddrs: string[]; configs: PlainAccessConfig[] } | undefined {
  if (doc === null || (doc instanceof Map && doc.size === 0)) return undefined;
  if (!(doc instanceof Map)) throw new AclException(`${path}: an ACL file must be a mapping`);
  const globalWhiteAddrs = stringList(doc.get(CONFIG_GLOBAL_WHITE_ADDRS), `${path}: ${CONFIG_GLOBAL_WHITE_ADDRS}`) ?? [];
  const accountsValue = doc.get(CONFIG_ACCOUNTS);
  if (accountsValue !== undefined && accountsValue !== null && !Array.isArray(accountsValue)) throw new AclException(`${path}: accounts must be a list`);
  const configs = (accountsValue ?? []).map((entry, i) => accessConfigOf(entry, `${path}: accounts[${i}]`));
  return { globalWhiteAddrs, configs };
}

/** The first `dataVersion` entry, as Java reads it. */
export function dataVersionOf(value: YamlValue | undefined, path: string): AclDataVersion | undefined {
  if (value === undefined || value === null) return undefined;
  const first = Array.isArray(value) ? value[0] : undefined;
  if (first === undefined) return undefined;
  if (!(first instanceof Map)) throw new AclException(`${path}: dataVersion must be a list of {counter, timestamp}`);
  return { counter: integerOf(first.get('counter'), `${path}: dataVersion counter`), timestamp: integerOf(first.get('timestamp'), `${path}: dataVersion timestamp`) };
}

function integerOf(value: YamlValue | undefined, what: string): number {
  if (value === undefined || value === null) return 0;
  const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : typeof value === 'bigint' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new AclException(`${what} must be an integer`);
  return n;
}

/** An account entry as fastjson's toJavaList(PlainAccessConfig) reads it: scalars as text, unknown keys ignored. */
export function accessConfigOf(entry: YamlValue, what: string): PlainAccessConfig {
  if (!(entry instanceof Map)) throw new AclException(`${what} must be a mapping`);
  const text = (key: string): string | undefined => scalarText(entry.get(key), `${what}.${key}`);
  const config: PlainAccessConfig = {
    accessKey: text('accessKey') as string,
    secretKey: text('secretKey') as string,
    admin: booleanOf(entry.get('admin'), `${what}.admin`),
  };
  const whiteRemoteAddress = text('whiteRemoteAddress');
  if (whiteRemoteAddress !== undefined) config.whiteRemoteAddress = whiteRemoteAddress;
  const defaultTopicPerm = text('defaultTopicPerm');
  if (defaultTopicPerm !== undefined) config.defaultTopicPerm = defaultTopicPerm;
  const defaultGroupPerm = text('defaultGroupPerm');
  if (defaultGroupPerm !== undefined) config.defaultGroupPerm = defaultGroupPerm;
  const topicPerms = stringList(entry.get('topicPerms'), `${what}.topicPerms`);
  if (topicPerms !== undefined) config.topicPerms = topicPerms;
  const groupPerms = stringList(entry.get('groupPerms'), `${what}.groupPerms`);
  if (groupPerms !== undefined) config.groupPerms = groupPerms;
  return config;
}

function scalarText(value: YamlValue | undefined, what: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Map || Array.isArray(value)) throw new AclException(`${what} must be a scalar`);
  return String(value);
}

function booleanOf(value: YamlValue | undefined, what: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw new AclException(`${what} must be true or false`);
}

function stringList(value: YamlValue | undefined, what: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new AclException(`${what} must be a list`);
  return value.map((item, i) => scalarText(item, `${what}[${i}]`) ?? '');
}

/**
 * PlainPermissionManager.createAclAccessConfigMap: an update merged into the account's entry as the file has it
 * (keys the update does not set are kept, unknown keys too).
 */
export function mergeAccessConfig(existing: YamlMap | undefined, update: PlainAccessConfig): YamlMap {
  const entry: YamlMap = existing ?? new Map<string, YamlValue>();
  entry.set('accessKey', update.accessKey);
  if (update.secretKey !== '') entry.set('secretKey', update.secretKey);
  if (update.whiteRemoteAddress !== undefined) entry.set('whiteRemoteAddress', update.whiteRemoteAddress);
  entry.set('admin', update.admin);
  if (update.defaultTopicPerm !== undefined && update.defaultTopicPerm !== '') entry.set('defaultTopicPerm', update.defaultTopicPerm);
  if (update.defaultGroupPerm !== undefined && update.defaultGroupPerm !== '') entry.set('defaultGroupPerm', update.defaultGroupPerm);
  if (update.topicPerms !== undefined) entry.set('topicPerms', [...update.topicPerms]);
  if (update.groupPerms !== undefined) entry.set('groupPerms', [...update.groupPerms]);
  return entry;
}
