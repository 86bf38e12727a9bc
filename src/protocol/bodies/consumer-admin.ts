import { RemotingCommandError } from '../../common/errors.js';
import type { LanguageName } from '../language-code.js';
import { JsonMap, toFastjson } from './fastjson-writer.js';
import { subscriptionDataToJson, type ConsumeFromWhere, type ConsumeType, type MessageModel, type SubscriptionData } from './heartbeat-data.js';
import { asObject, optInteger, optObject, parseJsonBody } from './json-fields.js';
import { decodeMessageQueueMap, encodeMessageQueueMap, type MessageQueue } from './message-queue.js';

/**
 * The bodies of the broker's consumer and producer administration codes, as fastjson writes them (bean fields
 * sorted, Map<MessageQueue, ...> with unquoted object keys).
 */

/** OffsetWrapper.java: one queue of GET_CONSUME_STATS. `pullOffset` is 5.x; 4.9 readers skip it. */
export interface OffsetWrapper {
  brokerOffset: number;
  consumerOffset: number;
  pullOffset: number;
  lastTimestamp: number;
}

/** ConsumeStats.java (GET_CONSUME_STATS 208). */
export function encodeConsumeStats(offsetTable: readonly (readonly [MessageQueue, OffsetWrapper])[], consumeTps: number): Buffer {
  return Buffer.from(`{"consumeTps":${javaDouble(consumeTps)},"offsetTable":${encodeMessageQueueMap(offsetTable)}}`, 'utf8');
}

export function decodeConsumeStats(body: Buffer | string | undefined): { consumeTps: number; offsetTable: [MessageQueue, OffsetWrapper][] } {
  const what = 'ConsumeStats';
  const obj = asObject(parseJsonBody(body, what), what);
  const offsetTable = decodeMessageQueueMap(optObject(obj, 'offsetTable', what) ?? {}, `${what}.offsetTable`, (value, where) => {
    const o = asObject(value, where);
    return {
      brokerOffset: optInteger(o, 'brokerOffset', where) ?? 0,
      consumerOffset: optInteger(o, 'consumerOffset', where) ?? 0,
      pullOffset: optInteger(o, 'pullOffset', where) ?? 0,
      lastTimestamp: optInteger(o, 'lastTimestamp', where) ?? 0,
    };
  });
  const tps = obj['consumeTps'];
  return { consumeTps: typeof tps === 'number' ? tps : 0, offsetTable };
}

/** Connection.java: one client connection of a group. */
export interface Connection {
  clientId: string;
  clientAddr: string;
  language: LanguageName;
  version: number;
}

/** ConsumerConnection.java (GET_CONSUMER_CONNECTION_LIST 203). */
export interface ConsumerConnection {
  connectionSet: Connection[];
  subscriptionTable: ReadonlyMap<string, SubscriptionData>;
  consumeType: ConsumeType;
  messageModel: MessageModel;
  consumeFromWhere: ConsumeFromWhere;
}

export function encodeConsumerConnection(c: ConsumerConnection): Buffer {
  return Buffer.from(
    toFastjson({
      connectionSet: c.connectionSet.map(connectionBean),
      consumeFromWhere: c.consumeFromWhere,
      consumeType: c.consumeType,
      messageModel: c.messageModel,
      subscriptionTable: new JsonMap([...c.subscriptionTable].map(([topic, sub]) => [topic, subscriptionDataToJson(sub)] as const)),
    }),
  );
}

/** ProducerConnection.java (GET_PRODUCER_CONNECTION_LIST 204). */
export function encodeProducerConnection(connectionSet: readonly Connection[]): Buffer {
  return Buffer.from(toFastjson({ connectionSet: connectionSet.map(connectionBean) }));
}

/** GroupList.java (QUERY_TOPIC_CONSUME_BY_WHO 300). */
export function encodeGroupList(groupList: Iterable<string>): Buffer {
  return Buffer.from(toFastjson({ groupList: [...groupList] }));
}

/** ResetOffsetBody.java: the body of RESET_CONSUMER_CLIENT_OFFSET (220) and of INVOKE_BROKER_TO_RESET_OFFSET's answer. */
export function encodeResetOffsetBody(offsetTable: Iterable<readonly [MessageQueue, number]>): Buffer {
  return Buffer.from(`{"offsetTable":${encodeMessageQueueMap(offsetTable)}}`, 'utf8');
}

export function decodeResetOffsetBody(body: Buffer | string | undefined): [MessageQueue, number][] {
  const what = 'ResetOffsetBody';
  const obj = asObject(parseJsonBody(body, what), what);
  return decodeMessageQueueMap(optObject(obj, 'offsetTable', what) ?? {}, `${what}.offsetTable`, offsetValue);
}

/** GetConsumerStatusBody.java as a client answers GET_CONSUMER_STATUS_FROM_CLIENT: its messageQueueTable. */
export function decodeConsumerStatusMessageQueueTable(body: Buffer | string | undefined): [MessageQueue, number][] {
  const what = 'GetConsumerStatusBody';
  const obj = asObject(parseJsonBody(body, what), what);
  return decodeMessageQueueMap(optObject(obj, 'messageQueueTable', what) ?? {}, `${what}.messageQueueTable`, offsetValue);
}

/** GetConsumerStatusBody.java as the broker answers INVOKE_BROKER_TO_GET_CONSUMER_STATUS: clientId -> its queues. */
export function encodeGetConsumerStatusBody(consumerTable: ReadonlyMap<string, readonly (readonly [MessageQueue, number])[]>): Buffer {
  const clients = [...consumerTable].map(([clientId, table]) => `${toFastjson(clientId)}:${encodeMessageQueueMap(table)}`);
  return Buffer.from(`{"consumerTable":{${clients.join(',')}},"messageQueueTable":{}}`, 'utf8');
}

function offsetValue(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new RemotingCommandError(`${where} is not an offset`);
  return value;
}

function connectionBean(c: Connection): object {
  return { clientAddr: c.clientAddr, clientId: c.clientId, language: c.language, version: c.version };
}

/** Java's Double.toString for the values a TPS takes: an integral value keeps its ".0". */
function javaDouble(n: number): string {
  return Number.isInteger(n) ? `${n}.0` : String(n);
}
