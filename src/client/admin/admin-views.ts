import type { ConsumerConnection } from '../../protocol/bodies/consumer-admin.js';
import type { MessageExt } from '../../protocol/message/message.js';
import { isDLQTopic, isRetryTopic, isSysConsumerGroup, isSystemTopic } from '../../protocol/namespace-util.js';
import type { Admin } from './admin.js';

/**
 * The admin's answers shaped for people and scripts: what the CLI prints with --json and what the web console's
 * JSON API serves, from one place, so both show the same data. Each view is built from Admin calls only (no
 * transport of its own) and holds plain JSON values.
 */

/** MixAll.TOOLS_CONSUMER_GROUP: the group tools pull under, a system group no application owns. */
export const TOOLS_CONSUMER_GROUP = 'TOOLS_CONSUMER';
/** The groups a 5.x broker creates for itself (SubscriptionGroupManager.init, MixAll's names). */
const SYSTEM_GROUPS: ReadonlySet<string> = new Set([
  TOOLS_CONSUMER_GROUP,
  'FILTERSRV_CONSUMER',
  'SELF_TEST_C_GROUP',
  'CID_ONS-HTTP-PROXY',
  'CID_ONSAPI_PULL',
  'CID_ONSAPI_PERMISSION',
  'CID_ONSAPI_OWNER',
  'CID_SYS_RMQ_TRANS',
]);
/** The runtime keys an overview shows of each broker (GET_BROKER_RUNTIME_INFO, Java's names). */
const OVERVIEW_RUNTIME_KEYS = [
  'brokerVersionDesc',
  'bootTimestamp',
  'msgPutTotalTodayNow',
  'msgGetTotalTodayNow',
  'commitLogDiskRatio',
  'commitLogDirCapacity',
  'commitLogMinOffset',
  'commitLogMaxOffset',
  'earliestMessageTimeStamp',
  'transactionHalfMessages',
  'transactionCommits',
  'transactionRollbacks',
  'transactionDiscarded',
  'timerCongestNum',
] as const;

export type TopicKind = 'NORMAL' | 'RETRY' | 'DLQ' | 'SYSTEM';

/** A topic's family, as the dashboard's type filter: retry (%RETRY%), dead-letter (%DLQ%), system, or a user topic. */
export function topicKind(topic: string): TopicKind {
  if (isRetryTopic(topic)) return 'RETRY';
  if (isDLQTopic(topic)) return 'DLQ';
  return isSystemTopic(topic) ? 'SYSTEM' : 'NORMAL';
}

/** A message for scripts: ids, position, times, properties, and the body as UTF-8 (`rocketmq-ts message get --json`). */
export function messageView(msg: MessageExt): Record<string, unknown> {
  return {
    topic: msg.topic,
    msgId: msg.uniqKey ?? msg.msgId,
    offsetMsgId: msg.msgId,
    tags: msg.tags,
    keys: msg.keyList,
    queueId: msg.queueId,
    queueOffset: msg.queueOffset,
    commitLogOffset: msg.commitLogOffset,
    reconsumeTimes: msg.reconsumeTimes,
    bornTimestamp: msg.bornTimestamp,
    storeTimestamp: msg.storeTimestamp,
    bornHost: `${msg.bornHost.address}:${msg.bornHost.port}`,
    storeHost: `${msg.storeHost.address}:${msg.storeHost.port}`,
    sysFlag: msg.sysFlag,
    properties: Object.fromEntries(msg.properties),
    body: msg.body.toString('utf8'),
  };
}

/** A group's online clients and subscriptions (`rocketmq-ts consumer connection --json`). */
export function consumerConnectionView(group: string, c: ConsumerConnection): Record<string, unknown> {
  const subscriptions = [...c.subscriptionTable].map(([topic, sd]) => ({ topic, subString: sd.subString }));
  return { group, connections: c.connectionSet, subscriptions, consumeType: c.consumeType, messageModel: c.messageModel, consumeFromWhere: c.consumeFromWhere };
}

export interface BrokerOverview {
  cluster: string;
  brokerName: string;
  brokerId: number;
  addr: string;
  /** The runtime keys of OVERVIEW_RUNTIME_KEYS the broker answered; `error` when it did not answer. */
  runtime: Record<string, string>;
  error?: string;
}

/** Every broker the name server knows with the runtime figures an overview shows (mqadmin clusterList + brokerStatus). */
export async function clusterOverview(admin: Admin): Promise<{ brokers: BrokerOverview[] }> {
  const info = await admin.clusterInfo();
  const brokers: BrokerOverview[] = [];
  for (const [cluster, names] of [...info.clusterAddrTable].sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (const brokerName of [...names].sort()) {
      const addrs = info.brokerAddrTable.get(brokerName)?.brokerAddrs ?? new Map<number, string>();
      for (const [brokerId, addr] of [...addrs].sort(([a], [b]) => a - b)) {
        const entry: BrokerOverview = { cluster, brokerName, brokerId, addr, runtime: {} };
        try {
          const runtime = await admin.brokerRuntimeInfo(addr);
          for (const key of OVERVIEW_RUNTIME_KEYS) {
            const value = runtime.get(key);
            if (value !== undefined) entry.runtime[key] = value;
          }
        } catch (err) {
          entry.error = (err as Error).message;
        }
        brokers.push(entry);
      }
    }
  }
  return { brokers };
}

export interface TopicSummary {
  topic: string;
  kind: TopicKind;
  /** Broker names that hold it, each with its queue counts and perm. */
  brokers: { brokerName: string; readQueueNums: number; writeQueueNums: number; perm: number }[];
  /** The topic attribute message.type, when set. */
  messageType: string | undefined;
  order: boolean;
  /** Messages stored in its queues now (max - min offset, every broker). */
  messageCount: number;
  /** Messages stored per second over the last minute (TOPIC_PUT_NUMS), every broker. */
  tpsIn: number;
}

/**
 * Every topic of every master with its kind, queue counts, type, message count and put TPS (the dashboard's topic
 * list: getAllTopicConfig, then each topic's stats: two calls per topic and broker).
 */
export async function topicSummaries(admin: Admin): Promise<TopicSummary[]> {
  const info = await admin.clusterInfo();
  // The topics a broker makes for itself (TopicConfigManager: its cluster's and its own name, the cluster's reply
  // topic), which Java's brokers add to TopicValidator's system set.
  const brokerTopics = new Set<string>([...info.brokerAddrTable.keys(), ...[...info.clusterAddrTable.keys()].flatMap((c) => [c, `${c}_REPLY_TOPIC`])]);
  const byTopic = new Map<string, TopicSummary>();
  for (const [brokerName, data] of [...info.brokerAddrTable].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const addr = data.brokerAddrs.get(0);
    if (addr === undefined) continue;
    for (const [topic, config] of await admin.allTopicConfig(addr)) {
      let summary = byTopic.get(topic);
      if (summary === undefined) {
        summary = { topic, kind: brokerTopics.has(topic) ? 'SYSTEM' : topicKind(topic), brokers: [], messageType: config.attributes?.get('message.type'), order: config.order, messageCount: 0, tpsIn: 0 };
        byTopic.set(topic, summary);
      }
      summary.brokers.push({ brokerName, readQueueNums: config.readQueueNums, writeQueueNums: config.writeQueueNums, perm: config.perm });
      // A topic nothing was sent to has no stats item: the broker refuses, and its rate is 0.
      summary.tpsIn += await admin.viewBrokerStatsData(addr, 'TOPIC_PUT_NUMS', topic).then((s) => s.statsMinute.tps, () => 0);
    }
  }
  for (const summary of byTopic.values()) {
    const stats = await admin.topicStats(summary.topic).catch(() => []);
    summary.messageCount = stats.reduce((sum, q) => sum + q.maxOffset - q.minOffset, 0);
  }
  return [...byTopic.values()].sort((a, b) => (a.topic < b.topic ? -1 : 1));
}

export interface GroupSummary {
  group: string;
  system: boolean;
  /** Online clients; undefined when no broker answered. */
  clients: number;
  consumeTps: number;
  /** Sum over its queues of broker offset - committed offset. */
  lag: number;
}

/** Every consumer group of every master with its online clients, consume TPS and lag (the dashboard's group list). */
export async function groupSummaries(admin: Admin): Promise<GroupSummary[]> {
  const info = await admin.clusterInfo();
  const groups = new Set<string>();
  for (const addr of admin.masters(info)) for (const group of (await admin.allSubscriptionGroup(addr)).keys()) groups.add(group);
  const summaries: GroupSummary[] = [];
  for (const group of [...groups].sort()) {
    const system = isSysConsumerGroup(group) || SYSTEM_GROUPS.has(group);
    const clients = await admin.consumerConnection(group).then((c) => c.connectionSet.length, () => 0);
    const progress = await admin.consumerProgress(group).catch(() => undefined);
    summaries.push({ group, system, clients, consumeTps: progress?.consumeTps ?? 0, lag: progress?.diffTotal ?? 0 });
  }
  return summaries;
}

/**
 * Up to `count` messages of one queue from `offset` on (mqadmin queryMsgByOffset, the console's browse by queue),
 * pulled under TOOLS_CONSUMER_GROUP without committing anything.
 */
export async function queueMessages(admin: Admin, topic: string, brokerName: string, queueId: number, offset: number, count: number): Promise<{ nextOffset: number; minOffset: number; maxOffset: number; messages: MessageExt[] }> {
  const route = await admin.topicRoute(topic);
  const addr = route.brokerDatas.find((bd) => bd.brokerName === brokerName)?.brokerAddrs.get(0);
  if (addr === undefined) throw new RangeError(`topic ${topic} has no master on broker ${brokerName}`);
  const result = await admin.pullMessage(addr, TOOLS_CONSUMER_GROUP, { topic, brokerName, queueId }, offset, count);
  return { nextOffset: result.nextBeginOffset, minOffset: result.minOffset, maxOffset: result.maxOffset, messages: result.messages };
}

/** Every producer connection of every master, by group (the dashboard's producer page, over GET_ALL_PRODUCER_INFO). */
export async function producerConnections(admin: Admin): Promise<{ group: string; brokerName: string; clientId: string; remoteIP: string; language: string; version: number; lastUpdateTimestamp: number }[]> {
  const info = await admin.clusterInfo();
  const rows = [];
  for (const [brokerName, data] of [...info.brokerAddrTable].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const addr = data.brokerAddrs.get(0);
    if (addr === undefined) continue;
    for (const [group, producers] of await admin.allProducerInfo(addr)) for (const p of producers) rows.push({ group, brokerName, ...p });
  }
  return rows.sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : a.clientId < b.clientId ? -1 : 1));
}
