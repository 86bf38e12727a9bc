import { RemotingCommandError } from '../../common/errors.js';
import { JsonMap, toFastjson } from './fastjson-writer.js';
import { asObject, optBoolean, optInteger, optString, optStringMap, parseJsonBody, type JsonObject } from './json-fields.js';

export type TopicFilterType = 'SINGLE_TAG' | 'MULTI_TAG';

/** TopicConfig.java as it travels in registration bodies. `attributes` is 5.x only. */
export interface TopicConfig {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicFilterType: TopicFilterType;
  topicSysFlag: number;
  order: boolean;
  attributes?: Map<string, string> | undefined;
}

/** Java's field defaults (defaultReadQueueNums/defaultWriteQueueNums = 16, perm = READ|WRITE). */
export function defaultTopicConfig(topicName: string): TopicConfig {
  return {
    topicName,
    readQueueNums: 16,
    writeQueueNums: 16,
    perm: 6,
    topicFilterType: 'SINGLE_TAG',
    topicSysFlag: 0,
    order: false,
  };
}

export function topicConfigToJson(config: TopicConfig): object {
  return {
    attributes: config.attributes === undefined ? undefined : JsonMap.of(config.attributes),
    order: config.order,
    perm: config.perm,
    readQueueNums: config.readQueueNums,
    topicFilterType: config.topicFilterType,
    topicName: config.topicName,
    topicSysFlag: config.topicSysFlag,
    writeQueueNums: config.writeQueueNums,
  };
}

/** `key` is the topicConfigTable key, used when the value has no topicName. */
export function topicConfigFromJson(obj: JsonObject, key: string, what: string): TopicConfig {
  const config = defaultTopicConfig(optString(obj, 'topicName', what) ?? key);
  config.readQueueNums = optInteger(obj, 'readQueueNums', what) ?? config.readQueueNums;
  config.writeQueueNums = optInteger(obj, 'writeQueueNums', what) ?? config.writeQueueNums;
  config.perm = optInteger(obj, 'perm', what) ?? config.perm;
  config.topicFilterType = topicFilterType(optString(obj, 'topicFilterType', what) ?? 'SINGLE_TAG', what);
  config.topicSysFlag = optInteger(obj, 'topicSysFlag', what) ?? 0;
  config.order = optBoolean(obj, 'order', what) ?? false;
  const attributes = optStringMap(obj, 'attributes', what);
  if (attributes !== undefined) config.attributes = attributes;
  return config;
}

/**
 * TopicConfig.encode(): the space-separated form of compressed registrations,
 * `name read write perm filterType [attributesJson]`. topicSysFlag and order do not travel in it.
 */
export function encodeTopicConfigText(config: TopicConfig): string {
  const head = `${config.topicName} ${config.readQueueNums} ${config.writeQueueNums} ${config.perm} ${config.topicFilterType} `;
  return config.attributes === undefined ? head : head + toFastjson(JsonMap.of(config.attributes));
}

/** TopicConfig.decode(): 4.9 writes 5 tokens, 5.x a sixth (attributes JSON); at least 5 are required. */
export function decodeTopicConfigText(text: string): TopicConfig {
  const tokens = text.split(' ');
  while (tokens.length > 0 && tokens[tokens.length - 1] === '') tokens.pop(); // String.split drops trailing empties
  if (tokens.length < 5) throw new RemotingCommandError(`compressed topic config '${clip(text)}' has fewer than 5 fields`);
  const [name, read, write, perm, filter, attributes] = tokens as [string, string, string, string, string, string?];
  const config = defaultTopicConfig(name);
  config.readQueueNums = intToken(read, 'readQueueNums', text);
  config.writeQueueNums = intToken(write, 'writeQueueNums', text);
  config.perm = intToken(perm, 'perm', text);
  config.topicFilterType = topicFilterType(filter, `compressed topic config '${clip(text)}'`);
  if (attributes !== undefined) {
    const parsed = asObject(parseJsonBody(attributes, `attributes of topic ${name}`), `attributes of topic ${name}`);
    config.attributes = optStringMap({ attributes: parsed }, 'attributes', `topic ${name}`);
  }
  return config;
}

function topicFilterType(value: string, what: string): TopicFilterType {
  if (value === 'SINGLE_TAG' || value === 'MULTI_TAG') return value;
  throw new RemotingCommandError(`${what}: unknown topicFilterType '${clip(value)}'`);
}

function intToken(token: string, field: string, text: string): number {
  const n = /^[+-]?\d{1,10}$/.test(token) ? Number(token) : NaN;
  if (!Number.isInteger(n) || n < -2147483648 || n > 2147483647) {
    throw new RemotingCommandError(`compressed topic config '${clip(text)}': ${field} '${clip(token)}' is not an int`);
  }
  return n;
}

function clip(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}...` : text;
}
