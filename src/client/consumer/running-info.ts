import type { SubscriptionData } from '../../protocol/bodies/heartbeat-data.js';
import { subscriptionDataToJson } from '../../protocol/bodies/heartbeat-data.js';
import { encodeMessageQueueMap, messageQueueKey, type MessageQueue } from '../../protocol/bodies/message-queue.js';
import { toFastjson } from '../../protocol/bodies/fastjson-writer.js';
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
 * strings), and each queue read with the offset held for it (-1 when none).
 */
export function consumerRunningInfo(
  source: RunningInfoSource,
  settings: Record<string, string>,
  subscriptions: readonly SubscriptionData[],
  queues: Iterable<{ mq: MessageQueue; pq: ProcessQueue }>,
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
  return encodeConsumerRunningInfo(properties, subscriptions, withOffsets);
}

/**
 * ConsumerRunningInfo.java as fastjson writes it (what `mqadmin consumerStatus` prints): properties, the
 * subscriptions, and a ProcessQueueInfo per owned queue. Throughput statistics are not kept yet, so statusTable
 * is empty.
 */
function encodeConsumerRunningInfo(
  properties: Record<string, string>,
  subscriptions: readonly SubscriptionData[],
  queues: readonly { mq: MessageQueue; pq: ProcessQueue; commitOffset: number }[],
): Buffer {
  const mqTable = encodeMessageQueueMap(
    queues.map(({ mq, pq, commitOffset }) => [mq, processQueueInfo(pq, commitOffset)] as const),
  );
  const subs = toFastjson(subscriptions.map(subscriptionDataToJson));
  return Buffer.from(`{"jstack":"","mqTable":${mqTable},"properties":${toFastjson(properties)},"statusTable":{},"subscriptionSet":${subs}}`, 'utf8');
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
