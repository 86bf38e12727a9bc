import { messageQueueKey, type MessageQueue } from '../../protocol/bodies/message-queue.js';
import { MASTER_ID } from '../route/find-broker.js';

/**
 * PullAPIWrapper.pullFromWhichNodeTable: per queue, the replica the broker suggested in its last pull answer
 * (suggestWhichBrokerId): the master for warm data, a slave when the consumer lags into cold data (or whatever
 * the group's brokerId says). The next pull of that queue goes there; a queue never answered pulls the master.
 */
export class PullFromWhichNodeTable {
  private readonly table = new Map<string, number>();

  update(mq: MessageQueue, suggestWhichBrokerId: number): void {
    this.table.set(messageQueueKey(mq), suggestWhichBrokerId);
  }

  /** recalculatePullFromWhichNode (without connectBrokerByUser). */
  recalculate(mq: MessageQueue): number {
    return this.table.get(messageQueueKey(mq)) ?? MASTER_ID;
  }
}
