import { RemotingCommandError } from '../../common/errors.js';
import type { JsonValue } from '../lenient-json.js';
import { toFastjson } from './fastjson-writer.js';
import { asObject, asString, optArray, optBoolean, optInteger, optString, parseJsonBody, type JsonObject } from './json-fields.js';

export type ConsumeType = 'CONSUME_ACTIVELY' | 'CONSUME_PASSIVELY' | 'CONSUME_POP';
export type MessageModel = 'BROADCASTING' | 'CLUSTERING';
export type ConsumeFromWhere =
  | 'CONSUME_FROM_LAST_OFFSET'
  | 'CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST'
  | 'CONSUME_FROM_MIN_OFFSET'
  | 'CONSUME_FROM_MAX_OFFSET'
  | 'CONSUME_FROM_FIRST_OFFSET'
  | 'CONSUME_FROM_TIMESTAMP';

/** SubscriptionData.java; `filterClassSource` never travels (serialize=false). */
export interface SubscriptionData {
  topic: string;
  subString: string;
  tagsSet: string[];
  codeSet: number[];
  subVersion: number;
  expressionType: string;
  classFilterMode: boolean;
}

/** ConsumerData.java: one consumer group of a client. */
export interface ConsumerData {
  groupName: string;
  consumeType: ConsumeType;
  messageModel: MessageModel;
  consumeFromWhere: ConsumeFromWhere;
  subscriptionDataSet: SubscriptionData[];
  unitMode: boolean;
}

/** ProducerData.java. */
export interface ProducerData {
  groupName: string;
}

/**
 * HeartbeatData.java, the body of HEART_BEAT (34). `heartbeatFingerprint` and `withoutSub` are 5.x (heartbeat V2):
 * a client that sends a non-zero fingerprint may leave the subscriptions out when nothing changed.
 */
export interface HeartbeatData {
  clientID: string;
  producerDataSet: ProducerData[];
  consumerDataSet: ConsumerData[];
  heartbeatFingerprint: number;
  withoutSub: boolean;
}

const CONSUME_TYPES: readonly ConsumeType[] = ['CONSUME_ACTIVELY', 'CONSUME_PASSIVELY', 'CONSUME_POP'];
const MESSAGE_MODELS: readonly MessageModel[] = ['BROADCASTING', 'CLUSTERING'];
const CONSUME_FROM_WHERE: readonly ConsumeFromWhere[] = [
  'CONSUME_FROM_LAST_OFFSET',
  'CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST',
  'CONSUME_FROM_MIN_OFFSET',
  'CONSUME_FROM_MAX_OFFSET',
  'CONSUME_FROM_FIRST_OFFSET',
  'CONSUME_FROM_TIMESTAMP',
];

export function encodeHeartbeatData(data: HeartbeatData): Buffer {
  return Buffer.from(
    toFastjson({
      clientID: data.clientID,
      consumerDataSet: data.consumerDataSet.map((c) => ({
        consumeFromWhere: c.consumeFromWhere,
        consumeType: c.consumeType,
        groupName: c.groupName,
        messageModel: c.messageModel,
        subscriptionDataSet: c.subscriptionDataSet.map(subscriptionDataToJson),
        unitMode: c.unitMode,
      })),
      heartbeatFingerprint: data.heartbeatFingerprint,
      producerDataSet: data.producerDataSet.map((p) => ({ groupName: p.groupName })),
      withoutSub: data.withoutSub,
    }),
  );
}

export function decodeHeartbeatData(body: Buffer | string | undefined): HeartbeatData {
  const what = 'HeartbeatData';
  const obj = asObject(parseJsonBody(body, what), what);
  return {
    clientID: optString(obj, 'clientID', what) ?? '',
    producerDataSet: (optArray(obj, 'producerDataSet', what) ?? []).map((p, i) => {
      const where = `${what}.producerDataSet[${i}]`;
      return { groupName: optString(asObject(p, where), 'groupName', where) ?? '' };
    }),
    consumerDataSet: (optArray(obj, 'consumerDataSet', what) ?? []).map((c, i) => consumerDataFromJson(c, `${what}.consumerDataSet[${i}]`)),
    heartbeatFingerprint: optInteger(obj, 'heartbeatFingerprint', what) ?? 0,
    withoutSub: optBoolean(obj, 'withoutSub', what) ?? false,
  };
}

export function subscriptionDataToJson(s: SubscriptionData): object {
  return {
    classFilterMode: s.classFilterMode,
    codeSet: s.codeSet,
    expressionType: s.expressionType,
    subString: s.subString,
    subVersion: s.subVersion,
    tagsSet: s.tagsSet,
    topic: s.topic,
  };
}

function consumerDataFromJson(value: JsonValue, what: string): ConsumerData {
  const obj = asObject(value, what);
  return {
    groupName: optString(obj, 'groupName', what) ?? '',
    consumeType: enumField(obj, 'consumeType', CONSUME_TYPES, 'CONSUME_PASSIVELY', what),
    messageModel: enumField(obj, 'messageModel', MESSAGE_MODELS, 'CLUSTERING', what),
    consumeFromWhere: enumField(obj, 'consumeFromWhere', CONSUME_FROM_WHERE, 'CONSUME_FROM_LAST_OFFSET', what),
    subscriptionDataSet: (optArray(obj, 'subscriptionDataSet', what) ?? []).map((s, i) =>
      subscriptionDataFromJson(s, `${what}.subscriptionDataSet[${i}]`),
    ),
    unitMode: optBoolean(obj, 'unitMode', what) ?? false,
  };
}

export function subscriptionDataFromJson(value: JsonValue, what: string): SubscriptionData {
  const obj = asObject(value, what);
  return {
    topic: optString(obj, 'topic', what) ?? '',
    subString: optString(obj, 'subString', what) ?? '',
    tagsSet: (optArray(obj, 'tagsSet', what) ?? []).map((t, i) => asString(t, `${what}.tagsSet[${i}]`)),
    codeSet: (optArray(obj, 'codeSet', what) ?? []).map((c, i) => {
      if (typeof c !== 'number' || !Number.isInteger(c)) throw new RemotingCommandError(`${what}.codeSet[${i}] is not an int`);
      return c;
    }),
    subVersion: optInteger(obj, 'subVersion', what) ?? 0,
    expressionType: optString(obj, 'expressionType', what) ?? 'TAG',
    classFilterMode: optBoolean(obj, 'classFilterMode', what) ?? false,
  };
}

/**
 * fastjson reads a Java enum from its name or its ordinal; anything else fails the body, as it does in Java.
 * A missing value is left at the default the broker falls back to.
 */
function enumField<T extends string>(obj: JsonObject, field: string, values: readonly T[], fallback: T, what: string): T {
  const raw = Object.hasOwn(obj, field) ? obj[field] : undefined;
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 && raw < values.length) return values[raw] as T;
  if (typeof raw === 'string' && (values as readonly string[]).includes(raw)) return raw as T;
  throw new RemotingCommandError(`${what}.${field}: unknown value '${JSON.stringify(raw).slice(0, 64)}'`);
}
