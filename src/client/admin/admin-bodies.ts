import type { ConsumerConnection, OffsetWrapper } from '../../protocol/bodies/consumer-admin.js';
import type { ConsumeFromWhere, ConsumeType, MessageModel, SubscriptionData } from '../../protocol/bodies/heartbeat-data.js';
import { asObject, asString, optArray, optBoolean, optInteger, optObject, optString, parseJsonBody } from '../../protocol/bodies/json-fields.js';
import { decodeMessageQueueMap, type MessageQueue } from '../../protocol/bodies/message-queue.js';
import type { BrokerStatsData, BrokerStatsItem, ProducerInfo } from '../../protocol/bodies/broker-stats.js';
import { languageFromWire, type LanguageName } from '../../protocol/language-code.js';
import type { ConsumeStatus } from '../consumer/consumer-stats-manager.js';

/**
 * The admin answers the protocol layer only encodes (the broker writes them; only an admin reads them), decoded
 * here as Java's admin reads them with fastjson.
 */

/** TopicOffset.java: one queue of GET_TOPIC_STATS_INFO (202). */
export interface TopicOffset {
  mq: MessageQueue;
  minOffset: number;
  maxOffset: number;
  /** Store time of the queue's last message; 0 for an empty queue. */
  lastUpdateTimestamp: number;
}

/** One queue of a consumer group's progress: OffsetWrapper plus Java's diff (brokerOffset - consumerOffset). */
export interface QueueProgress extends OffsetWrapper {
  mq: MessageQueue;
  diff: number;
}

/** ConsumeStats.java merged over every broker, as mqadmin consumerProgress prints it. */
export interface ConsumeProgress {
  consumeTps: number;
  /** Sorted by topic, broker name, queue id (MessageQueue.compareTo). */
  offsetTable: QueueProgress[];
  /** ConsumeStats.computeTotalDiff. */
  diffTotal: number;
}

/** What ConsumerRunningInfo.java says of one queue a consumer owns (ProcessQueueInfo, the fields read here). */
export interface ProcessQueueInfo {
  mq: MessageQueue;
  /** The consumer's offset in memory: the next message not yet consumed, ahead of what it has committed. */
  commitOffset: number;
  cachedMsgCount: number;
}

/** ConsumerRunningInfo.java (GET_CONSUMER_RUNNING_INFO 307, answered by the client): properties and queues. */
export interface ConsumerRunningInfo {
  properties: Map<string, string>;
  mqTable: ProcessQueueInfo[];
  /** The client's thread stacks when asked for (jstackEnable), else empty. */
  jstack: string;
  /** The topics it subscribes to. */
  subscriptions: string[];
  /** Pull and consume throughput by subscribed topic (ConsumeStatus); empty from a client that keeps none. */
  statusTable: Map<string, ConsumeStatus>;
}

export function decodeConsumerRunningInfo(body: Buffer | undefined): ConsumerRunningInfo {
  const what = 'ConsumerRunningInfo';
  const obj = asObject(parseJsonBody(body, what), what);
  const properties = new Map<string, string>();
  for (const [key, value] of Object.entries(optObject(obj, 'properties', what) ?? {})) if (typeof value === 'string') properties.set(key, value);
  const mqTable = decodeMessageQueueMap(optObject(obj, 'mqTable', what) ?? {}, `${what}.mqTable`, (value, where) => {
    const o = asObject(value, where);
    return { commitOffset: optInteger(o, 'commitOffset', where) ?? -1, cachedMsgCount: optInteger(o, 'cachedMsgCount', where) ?? 0 };
  }).map(([mq, info]) => ({ mq, ...info }));
  const jstack = typeof obj['jstack'] === 'string' ? obj['jstack'] : '';
  const subscriptions = (optArray(obj, 'subscriptionSet', what) ?? []).flatMap((sub) => {
    const topic = typeof sub === 'object' && sub !== null ? (sub as Record<string, unknown>)['topic'] : undefined;
    return typeof topic === 'string' ? [topic] : [];
  });
  const statusTable = new Map<string, ConsumeStatus>();
  for (const [topic, value] of Object.entries(optObject(obj, 'statusTable', what) ?? {})) {
    const where = `${what}.statusTable.${topic}`;
    const o = asObject(value, where);
    const num = (key: string): number => (typeof o[key] === 'number' ? o[key] : 0);
    statusTable.set(topic, {
      pullRT: num('pullRT'),
      pullTPS: num('pullTPS'),
      consumeRT: num('consumeRT'),
      consumeOKTPS: num('consumeOKTPS'),
      consumeFailedTPS: num('consumeFailedTPS'),
      consumeFailedMsgs: optInteger(o, 'consumeFailedMsgs', where) ?? 0,
    });
  }
  return { properties, mqTable: mqTable.sort((a, b) => compareMessageQueue(a.mq, b.mq)), jstack, subscriptions, statusTable };
}

/** TopicStatsTable.java. */
export function decodeTopicStatsTable(body: Buffer | undefined): TopicOffset[] {
  const what = 'TopicStatsTable';
  const obj = asObject(parseJsonBody(body, what), what);
  return decodeMessageQueueMap(optObject(obj, 'offsetTable', what) ?? {}, `${what}.offsetTable`, (value, where) => {
    const o = asObject(value, where);
    return {
      minOffset: optInteger(o, 'minOffset', where) ?? 0,
      maxOffset: optInteger(o, 'maxOffset', where) ?? 0,
      lastUpdateTimestamp: optInteger(o, 'lastUpdateTimestamp', where) ?? 0,
    };
  }).map(([mq, offset]) => ({ mq, ...offset }));
}

/** ConsumerConnection.java (GET_CONSUMER_CONNECTION_LIST 203). */
export function decodeConsumerConnection(body: Buffer | undefined): ConsumerConnection {
  const what = 'ConsumerConnection';
  const obj = asObject(parseJsonBody(body, what), what);
  const connectionSet = (optArray(obj, 'connectionSet', what) ?? []).map((value, i) => {
    const where = `${what}.connectionSet[${i}]`;
    const c = asObject(value, where);
    return {
      clientId: optString(c, 'clientId', where) ?? '',
      clientAddr: optString(c, 'clientAddr', where) ?? '',
      language: (optString(c, 'language', where) ?? 'JAVA') as LanguageName,
      version: optInteger(c, 'version', where) ?? 0,
    };
  });
  const subscriptionTable = new Map<string, SubscriptionData>();
  for (const [topic, value] of Object.entries(optObject(obj, 'subscriptionTable', what) ?? {})) {
    const where = `${what}.subscriptionTable[${topic}]`;
    const s = asObject(value, where);
    subscriptionTable.set(topic, {
      topic,
      subString: optString(s, 'subString', where) ?? '*',
      tagsSet: (optArray(s, 'tagsSet', where) ?? []).map((t, i) => asString(t, `${where}.tagsSet[${i}]`)),
      codeSet: (optArray(s, 'codeSet', where) ?? []).filter((c): c is number => typeof c === 'number'),
      subVersion: optInteger(s, 'subVersion', where) ?? 0,
      expressionType: optString(s, 'expressionType', where) ?? 'TAG',
      classFilterMode: optBoolean(s, 'classFilterMode', where) ?? false,
    });
  }
  return {
    connectionSet,
    subscriptionTable,
    // fastjson writes enums by name; these are the values an absent field means in Java's bean.
    consumeType: (optString(obj, 'consumeType', what) ?? 'CONSUME_ACTIVELY') as ConsumeType,
    messageModel: (optString(obj, 'messageModel', what) ?? 'CLUSTERING') as MessageModel,
    consumeFromWhere: (optString(obj, 'consumeFromWhere', what) ?? 'CONSUME_FROM_LAST_OFFSET') as ConsumeFromWhere,
  };
}

/** MessageQueue.compareTo: topic, then broker name, then queue id. */
export function compareMessageQueue(a: MessageQueue, b: MessageQueue): number {
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  if (a.brokerName !== b.brokerName) return a.brokerName < b.brokerName ? -1 : 1;
  return a.queueId - b.queueId;
}

/** ProducerTableInfo.java (GET_ALL_PRODUCER_INFO 328): every producer connection of the broker, by group. */
export function decodeProducerTableInfo(body: Buffer | undefined): Map<string, ProducerInfo[]> {
  const what = 'ProducerTableInfo';
  const obj = asObject(parseJsonBody(body, what), what);
  const table = new Map<string, ProducerInfo[]>();
  for (const [group, list] of Object.entries(optObject(obj, 'data', what) ?? {})) {
    const where = `${what}.data[${group}]`;
    if (!Array.isArray(list)) continue;
    table.set(
      group,
      list.map((value, i) => {
        const p = asObject(value, `${where}[${i}]`);
        return {
          clientId: optString(p, 'clientId', where) ?? '',
          remoteIP: optString(p, 'remoteIP', where) ?? '',
          language: languageFromWire(p['language']),
          version: optInteger(p, 'version', where) ?? 0,
          lastUpdateTimestamp: optInteger(p, 'lastUpdateTimestamp', where) ?? 0,
        };
      }),
    );
  }
  return table;
}

/** BrokerStatsData.java (VIEW_BROKER_STATS_DATA 315): the minute, hour and day windows of one stats item. */
export function decodeBrokerStatsData(body: Buffer | undefined): BrokerStatsData {
  const what = 'BrokerStatsData';
  const obj = asObject(parseJsonBody(body, what), what);
  const item = (field: string): BrokerStatsItem => {
    const o = optObject(obj, field, what) ?? {};
    const num = (key: string): number => (typeof o[key] === 'number' ? o[key] : 0);
    return { sum: num('sum'), tps: num('tps'), avgpt: num('avgpt') };
  };
  return { statsMinute: item('statsMinute'), statsHour: item('statsHour'), statsDay: item('statsDay') };
}
