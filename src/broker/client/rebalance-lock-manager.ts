import { silentLogger, type Logger } from '../../common/logger.js';
import { messageQueueKey, type MessageQueue } from '../../protocol/bodies/message-queue.js';

/** Java's rocketmq.broker.rebalance.lockMaxLiveTime default: a lock not renewed for 60 s is free to take. */
export const REBALANCE_LOCK_MAX_LIVE_TIME = 60_000;

interface LockEntry {
  clientId: string;
  lastUpdateTimestamp: number;
}

export interface RebalanceLockManagerOptions {
  /** How long a lock lives without renewal, in ms (REBALANCE_LOCK_MAX_LIVE_TIME). */
  lockMaxLiveTime?: number;
  clock?: () => number;
  logger?: Logger;
}

/**
 * RebalanceLockManager.java: which client of an orderly consumer group owns each queue. A client keeps its lock by
 * locking again (the Java client does every 20 s); a lock not renewed within lockMaxLiveTime may be taken by
 * another client, and only the owner can unlock. Orderly consumers consume a queue only while they hold its lock,
 * so two members never consume one queue at the same time.
 */
export class RebalanceLockManager {
  /** group -> queue key -> owner. */
  private readonly mqLockTable = new Map<string, Map<string, LockEntry>>();
  private readonly lockMaxLiveTime: number;
  private readonly clock: () => number;
  private readonly logger: Logger;

  constructor(options: RebalanceLockManagerOptions = {}) {
    this.lockMaxLiveTime = options.lockMaxLiveTime ?? REBALANCE_LOCK_MAX_LIVE_TIME;
    this.clock = options.clock ?? Date.now;
    this.logger = options.logger ?? silentLogger;
  }

  /**
   * True when no queue of the group is held: SendMessageProcessor sends a retry of a group that holds locks (an
   * orderly group) straight to its DLQ, as Java 5.x does.
   */
  isLockAllExpired(group: string): boolean {
    const now = this.clock();
    for (const entry of this.mqLockTable.get(group)?.values() ?? []) if (!this.isExpired(entry, now)) return false;
    return true;
  }

  /** The queues now held by `clientId`: those it held (renewed) plus free or expired ones (taken). */
  tryLockBatch(group: string, mqs: readonly MessageQueue[], clientId: string): MessageQueue[] {
    const now = this.clock();
    let groupValue = this.mqLockTable.get(group);
    if (groupValue === undefined) this.mqLockTable.set(group, (groupValue = new Map<string, LockEntry>()));
    const locked: MessageQueue[] = [];
    for (const mq of mqs) {
      const key = messageQueueKey(mq);
      const entry = groupValue.get(key);
      if (entry === undefined) {
        groupValue.set(key, { clientId, lastUpdateTimestamp: now });
        this.logger.info(`tryLockBatch: lock a message queue which has not been locked yet, group=${group}, clientId=${clientId}, mq=${describe(mq)}`);
      } else if (entry.clientId !== clientId) {
        if (!this.isExpired(entry, now)) {
          this.logger.warn(`tryLockBatch: message queue has been locked by other client, group=${group}, mq=${describe(mq)}, locked client id=${entry.clientId}, current client id=${clientId}`);
          continue;
        }
        this.logger.warn(`tryLockBatch: try to lock a expired message queue, group=${group}, mq=${describe(mq)}, old client id=${entry.clientId}, new client id=${clientId}`);
        entry.clientId = clientId;
        entry.lastUpdateTimestamp = now;
      } else {
        entry.lastUpdateTimestamp = now;
      }
      locked.push(mq);
    }
    return locked;
  }

  /** Releases the queues `clientId` owns (expired or not); another client's locks stay. */
  unlockBatch(group: string, mqs: readonly MessageQueue[], clientId: string): void {
    const groupValue = this.mqLockTable.get(group);
    if (groupValue === undefined) {
      this.logger.warn(`unlockBatch: group not exist, group=${group}, clientId=${clientId}`);
      return;
    }
    for (const mq of mqs) {
      const key = messageQueueKey(mq);
      const entry = groupValue.get(key);
      if (entry === undefined) {
        this.logger.warn(`unlockBatch: mq not locked, group=${group}, clientId=${clientId}, mq=${describe(mq)}`);
      } else if (entry.clientId === clientId) {
        groupValue.delete(key);
        this.logger.info(`unlockBatch: unlock mq, group=${group}, clientId=${clientId}, mq=${describe(mq)}`);
      } else {
        this.logger.warn(`unlockBatch: mq locked by other client, group=${group}, locked clientId=${entry.clientId}, current clientId=${clientId}, mq=${describe(mq)}`);
      }
    }
    // Java keeps empty group tables forever; dropping them bounds the table by the groups that hold locks.
    if (groupValue.size === 0) this.mqLockTable.delete(group);
  }

  private isExpired(entry: LockEntry, now: number): boolean {
    return now - entry.lastUpdateTimestamp > this.lockMaxLiveTime;
  }
}

function describe(mq: MessageQueue): string {
  return `MessageQueue [topic=${mq.topic}, brokerName=${mq.brokerName}, queueId=${mq.queueId}]`;
}
