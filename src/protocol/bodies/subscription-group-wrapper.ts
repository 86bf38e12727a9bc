import { RemotingCommandError } from '../../common/errors.js';
import type { JsonValue } from '../lenient-json.js';
import { dataVersionFromJson, dataVersionToJson, zeroDataVersion, type DataVersion } from './data-version.js';
import { JsonMap, toFastjson } from './fastjson-writer.js';
import {
  asObject,
  optArray,
  optBoolean,
  optInteger,
  optObject,
  optString,
  optStringMap,
  parseJsonBody,
  type JsonObject,
} from './json-fields.js';

export type GroupRetryPolicyType = 'EXPONENTIAL' | 'CUSTOMIZED';

/** GroupRetryPolicy.java (5.x): which retry schedule a group's failed messages follow. */
export interface GroupRetryPolicy {
  type: GroupRetryPolicyType;
  exponentialRetryPolicy?: { initial: number; max: number; multiplier: number } | undefined;
  customizedRetryPolicy?: { next: number[] } | undefined;
}

/** SimpleSubscriptionData.java (5.x). */
export interface SimpleSubscriptionData {
  topic: string;
  expressionType: string;
  expression: string;
  version: number;
}

/**
 * SubscriptionGroupConfig.java. 4.9 has the fields up to notifyConsumerIdsChangedEnable; the 5.x ones are read
 * with Java's defaults when absent, and a 4.9 reader ignores them when present.
 */
export interface SubscriptionGroupConfig {
  groupName: string;
  consumeEnable: boolean;
  consumeFromMinEnable: boolean;
  consumeBroadcastEnable: boolean;
  consumeMessageOrderly: boolean;
  retryQueueNums: number;
  retryMaxTimes: number;
  groupRetryPolicy: GroupRetryPolicy;
  brokerId: number;
  whichBrokerWhenConsumeSlowly: number;
  notifyConsumerIdsChangedEnable: boolean;
  groupSysFlag: number;
  consumeTimeoutMinute: number;
  subscriptionDataSet?: SimpleSubscriptionData[] | undefined;
  attributes: Map<string, string>;
}

/**
 * SubscriptionGroupWrapper.java, GET_ALL_SUBSCRIPTIONGROUP_CONFIG's body. A 5.x broker answers with its whole
 * SubscriptionGroupManager, which adds `forbiddenTable` (group -> topic -> forbidden bits).
 */
export interface SubscriptionGroupWrapper {
  subscriptionGroupTable: Map<string, SubscriptionGroupConfig>;
  dataVersion: DataVersion;
  forbiddenTable?: Map<string, Map<string, number>> | undefined;
}

/** Java's field initialisers. */
export function defaultSubscriptionGroupConfig(groupName: string): SubscriptionGroupConfig {
  return {
    groupName,
    consumeEnable: true,
    consumeFromMinEnable: true,
    consumeBroadcastEnable: true,
    consumeMessageOrderly: false,
    retryQueueNums: 1,
    retryMaxTimes: 16,
    groupRetryPolicy: { type: 'CUSTOMIZED' },
    brokerId: 0,
    whichBrokerWhenConsumeSlowly: 1,
    notifyConsumerIdsChangedEnable: true,
    groupSysFlag: 0,
    consumeTimeoutMinute: 15,
    attributes: new Map(),
  };
}

export function encodeSubscriptionGroupConfig(config: SubscriptionGroupConfig): Buffer {
  return Buffer.from(toFastjson(configToJson(config)));
}

export function encodeSubscriptionGroupWrapper(wrapper: SubscriptionGroupWrapper): Buffer {
  const bean = {
    dataVersion: dataVersionToJson(wrapper.dataVersion),
    forbiddenTable:
      wrapper.forbiddenTable === undefined
        ? undefined
        : new JsonMap([...wrapper.forbiddenTable].map(([group, topics]) => [group, JsonMap.of(topics)])),
    subscriptionGroupTable: new JsonMap([...wrapper.subscriptionGroupTable].map(([group, config]) => [group, configToJson(config)])),
  };
  return Buffer.from(toFastjson(bean));
}

export function decodeSubscriptionGroupWrapper(body: Buffer | string | undefined): SubscriptionGroupWrapper {
  const what = 'SubscriptionGroupWrapper';
  const obj = asObject(parseJsonBody(body, what), what);
  const subscriptionGroupTable = new Map<string, SubscriptionGroupConfig>();
  for (const [group, config] of Object.entries(optObject(obj, 'subscriptionGroupTable', what) ?? {})) {
    if (config !== null) subscriptionGroupTable.set(group, configFromJson(config, group, `${what}.subscriptionGroupTable[${group}]`));
  }
  const forbidden = optObject(obj, 'forbiddenTable', what);
  const version = optObject(obj, 'dataVersion', what);
  return {
    subscriptionGroupTable,
    dataVersion: version === undefined ? zeroDataVersion() : dataVersionFromJson(version, `${what}.dataVersion`),
    forbiddenTable: forbidden === undefined ? undefined : forbiddenTableFromJson(forbidden, `${what}.forbiddenTable`),
  };
}

function configToJson(config: SubscriptionGroupConfig): object {
  const policy = config.groupRetryPolicy;
  return {
    attributes: JsonMap.of(config.attributes),
    brokerId: config.brokerId,
    consumeBroadcastEnable: config.consumeBroadcastEnable,
    consumeEnable: config.consumeEnable,
    consumeFromMinEnable: config.consumeFromMinEnable,
    consumeMessageOrderly: config.consumeMessageOrderly,
    consumeTimeoutMinute: config.consumeTimeoutMinute,
    groupName: config.groupName,
    groupRetryPolicy: {
      customizedRetryPolicy: policy.customizedRetryPolicy,
      exponentialRetryPolicy: policy.exponentialRetryPolicy,
      type: policy.type,
    },
    groupSysFlag: config.groupSysFlag,
    notifyConsumerIdsChangedEnable: config.notifyConsumerIdsChangedEnable,
    retryMaxTimes: config.retryMaxTimes,
    retryQueueNums: config.retryQueueNums,
    subscriptionDataSet: config.subscriptionDataSet,
    whichBrokerWhenConsumeSlowly: config.whichBrokerWhenConsumeSlowly,
  };
}

/** `key` is the table key, used when the value has no groupName. */
function configFromJson(value: JsonValue, key: string, what: string): SubscriptionGroupConfig {
  const obj = asObject(value, what);
  const config = defaultSubscriptionGroupConfig(optString(obj, 'groupName', what) ?? key);
  config.consumeEnable = optBoolean(obj, 'consumeEnable', what) ?? config.consumeEnable;
  config.consumeFromMinEnable = optBoolean(obj, 'consumeFromMinEnable', what) ?? config.consumeFromMinEnable;
  config.consumeBroadcastEnable = optBoolean(obj, 'consumeBroadcastEnable', what) ?? config.consumeBroadcastEnable;
  config.consumeMessageOrderly = optBoolean(obj, 'consumeMessageOrderly', what) ?? config.consumeMessageOrderly;
  config.retryQueueNums = optInteger(obj, 'retryQueueNums', what) ?? config.retryQueueNums;
  config.retryMaxTimes = optInteger(obj, 'retryMaxTimes', what) ?? config.retryMaxTimes;
  config.brokerId = optInteger(obj, 'brokerId', what) ?? config.brokerId;
  config.whichBrokerWhenConsumeSlowly = optInteger(obj, 'whichBrokerWhenConsumeSlowly', what) ?? config.whichBrokerWhenConsumeSlowly;
  config.notifyConsumerIdsChangedEnable = optBoolean(obj, 'notifyConsumerIdsChangedEnable', what) ?? config.notifyConsumerIdsChangedEnable;
  config.groupSysFlag = optInteger(obj, 'groupSysFlag', what) ?? config.groupSysFlag;
  config.consumeTimeoutMinute = optInteger(obj, 'consumeTimeoutMinute', what) ?? config.consumeTimeoutMinute;
  config.attributes = optStringMap(obj, 'attributes', what) ?? config.attributes;
  const policy = optObject(obj, 'groupRetryPolicy', what);
  if (policy !== undefined) config.groupRetryPolicy = retryPolicyFromJson(policy, `${what}.groupRetryPolicy`);
  const subscriptions = optArray(obj, 'subscriptionDataSet', what);
  if (subscriptions !== undefined) {
    config.subscriptionDataSet = subscriptions.map((s, i) => subscriptionFromJson(s, `${what}.subscriptionDataSet[${i}]`));
  }
  return config;
}

function retryPolicyFromJson(obj: JsonObject, what: string): GroupRetryPolicy {
  const type = optString(obj, 'type', what) ?? 'CUSTOMIZED';
  if (type !== 'EXPONENTIAL' && type !== 'CUSTOMIZED') throw new RemotingCommandError(`${what}: unknown type '${type.slice(0, 64)}'`);
  const policy: GroupRetryPolicy = { type };
  const exponential = optObject(obj, 'exponentialRetryPolicy', what);
  if (exponential !== undefined) {
    const where = `${what}.exponentialRetryPolicy`;
    // ExponentialRetryPolicy's initialisers: 5 s, 2 h, x2.
    policy.exponentialRetryPolicy = {
      initial: optInteger(exponential, 'initial', where) ?? 5000,
      max: optInteger(exponential, 'max', where) ?? 7_200_000,
      multiplier: optInteger(exponential, 'multiplier', where) ?? 2,
    };
  }
  const customized = optObject(obj, 'customizedRetryPolicy', what);
  if (customized !== undefined) {
    const where = `${what}.customizedRetryPolicy`;
    const next = optArray(customized, 'next', where);
    policy.customizedRetryPolicy = {
      next: next === undefined ? [...DEFAULT_CUSTOMIZED_NEXT] : next.map((n, i) => asLong(n, `${where}.next[${i}]`)),
    };
  }
  return policy;
}

/** CustomizedRetryPolicy's default schedule: 1s 5s 10s 30s 1m..10m 20m 30m 1h 2h, in milliseconds. */
const DEFAULT_CUSTOMIZED_NEXT: readonly number[] = [
  1, 5, 10, 30, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 1200, 1800, 3600, 7200,
].map((seconds) => seconds * 1000);

function subscriptionFromJson(value: JsonValue, what: string): SimpleSubscriptionData {
  const obj = asObject(value, what);
  return {
    topic: optString(obj, 'topic', what) ?? '',
    expressionType: optString(obj, 'expressionType', what) ?? '',
    expression: optString(obj, 'expression', what) ?? '',
    version: optInteger(obj, 'version', what) ?? 0,
  };
}

function forbiddenTableFromJson(obj: JsonObject, what: string): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const [group, topics] of Object.entries(obj)) {
    if (topics === null) continue;
    const where = `${what}[${group}]`;
    const table = asObject(topics, where);
    const forbidden = new Map<string, number>();
    for (const topic of Object.keys(table)) {
      const bits = optInteger(table, topic, where);
      if (bits !== undefined) forbidden.set(topic, bits);
    }
    out.set(group, forbidden);
  }
  return out;
}

function asLong(value: JsonValue, what: string): number {
  const n = typeof value === 'string' && /^[+-]?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new RemotingCommandError(`${what} is not an integer`);
  return n;
}
