import type { SubscriptionData } from '../../protocol/bodies/heartbeat-data.js';
import { subscriptionDataToJson } from '../../protocol/bodies/heartbeat-data.js';
import { encodeMessageQueueMap, messageQueueKey, type MessageQueue } from '../../protocol/bodies/message-queue.js';
import { JsonMap, toFastjson } from '../../protocol/bodies/fastjson-writer.js';
import type { ConsumeStatus, ConsumerStatsManager } from './consumer-stats-manager.js';
import type { ConsumeMessageDirectlyResult, MQConsumerInner } from './mq-consumer-inner.js';
import type { OffsetStore } from './offset-store.js';
import type { ProcessQueue } from './process-queue.js';

/** What every consumer reports of itself in GET_CONSUMER_RUNNING_INFO, whatever its kind. */
export interface RunningInfoSource {
  readonly consumer: Pick<MQConsumerInner, 'groupName' | 'messageModel' | 'consumeType' | 'consumeFromWhere'>;
  readonly orderly: boolean;
  readonly startTimestamp: number;
  readonly nameServers: readonly string[];
  readonly offsetStore: OffsetStore | undefined;
}

/**
 * The consumer's running info body: the properties all consumers share plus `settings` (the kind's own, as
 * strings), each queue read with the offset held for it (-1 when none), and, given the client's `stats` (the push
 * consumer's; Java's lite pull consumer reports none), a ConsumeStatus per subscribed topic.
 */
export function consumerRunningInfo(
  source: RunningInfoSource,
  settings: Record<string, string>,
  subscriptions: readonly SubscriptionData[],
  queues: Iterable<{ mq: MessageQueue; pq: ProcessQueue }>,
  stats?: ConsumerStatsManager,
): Buffer {
  const properties: Record<string, string> = {
    PROP_CONSUME_ORDERLY: String(source.orderly),
    PROP_CONSUME_TYPE: source.consumer.consumeType,
    PROP_CONSUMER_START_TIMESTAMP: String(source.startTimestamp),
    PROP_NAMESERVER_ADDR: source.nameServers.join(';'),
    consumerGroup: source.consumer.groupName,
    messageModel: source.consumer.messageModel,
    consumeFromWhere: source.consumer.consumeFromWhere,
    ...settings,
  };
  const offsets = new Map<string, number>();
  const topicsRead = new Set<string>();
  const withOffsets = [...queues].map(({ mq, pq }) => {
    if (!topicsRead.has(mq.topic)) {
      topicsRead.add(mq.topic);
      for (const [m, offset] of source.offsetStore?.cloneOffsetTable(mq.topic) ?? []) offsets.set(messageQueueKey(m), offset);
    }
    return { mq, pq, commitOffset: offsets.get(messageQueueKey(mq)) ?? -1 };
  });
  // A TreeMap in Java: topics in order.
  const topics = subscriptions.map((sd) => sd.topic).sort();
  const statusTable = stats === undefined ? [] : topics.map((topic) => [topic, stats.consumeStatus(source.consumer.groupName, topic)] as const);
  return encodeConsumerRunningInfo(properties, subscriptions, withOffsets, statusTable);
}

/**
 * ConsumerRunningInfo.java as fastjson writes it (what `mqadmin consumerStatus` prints): properties, the
 * subscriptions, a ProcessQueueInfo per owned queue, and the throughput of each subscribed topic (statusTable).
 */
function encodeConsumerRunningInfo(
  properties: Record<string, string>,
  subscriptions: readonly SubscriptionData[],
  queues: readonly { mq: MessageQueue; pq: ProcessQueue; commitOffset: number }[],
  statusTable: readonly (readonly [string, ConsumeStatus])[],
): Buffer {
  const mqTable = encodeMessageQueueMap(
    queues.map(({ mq, pq, commitOffset }) => [mq, processQueueInfo(pq, commitOffset)] as const),
  );
  const subs = toFastjson(subscriptions.map(subscriptionDataToJson));
  const status = toFastjson(new JsonMap(statusTable));
  return Buffer.from(`{"jstack":"","mqTable":${mqTable},"properties":${toFastjson(properties)},"statusTable":${status},"subscriptionSet":${subs}}`, 'utf8');
}

function processQueueInfo(pq: ProcessQueue, commitOffset: number): object {
  return {
    cachedMsgCount: pq.msgCount,
    cachedMsgMaxOffset: pq.msgCount > 0 ? pq.queueOffsetMax : 0,
    cachedMsgMinOffset: pq.minOffset ?? 0,
    cachedMsgSizeInMiB: Math.floor(pq.msgSize / (1024 * 1024)),
    commitOffset,
    droped: pq.dropped,
    lastConsumeTimestamp: pq.lastConsumeTimestamp,
    lastLockTimestamp: pq.lastLockTimestamp,
    lastPullTimestamp: pq.lastPullTimestamp,
    locked: pq.locked,
    transactionMsgCount: 0,
    transactionMsgMaxOffset: 0,
    transactionMsgMinOffset: 0,
    tryUnlockTimes: 0,
  };
}

/** ConsumeMessageDirectlyResult.java as fastjson writes it. */
export function encodeConsumeMessageDirectlyResult(result: ConsumeMessageDirectlyResult): Buffer {
  return Buffer.from(toFastjson({ ...result }), 'utf8');
}
