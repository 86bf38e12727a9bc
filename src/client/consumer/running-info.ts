import type { SubscriptionData } from '../../protocol/bodies/heartbeat-data.js';
import { subscriptionDataToJson } from '../../protocol/bodies/heartbeat-data.js';
import { encodeMessageQueueMap, type MessageQueue } from '../../protocol/bodies/message-queue.js';
import { toFastjson } from '../../protocol/bodies/fastjson-writer.js';
import type { ConsumeMessageDirectlyResult } from './mq-consumer-inner.js';
import type { ProcessQueue } from './process-queue.js';

/**
 * ConsumerRunningInfo.java as fastjson writes it (what `mqadmin consumerStatus` prints): properties, the
 * subscriptions, and a ProcessQueueInfo per owned queue. Throughput statistics are not kept yet, so statusTable
 * is empty.
 */
export function encodeConsumerRunningInfo(
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
