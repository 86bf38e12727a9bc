import type { SyncMasterProfile } from '../message-store-config.js';

export type ReplicaStatus = 'PUT_OK' | 'FLUSH_SLAVE_TIMEOUT' | 'SLAVE_NOT_AVAILABLE';

export interface GroupTransferConfig {
  readonly syncMasterProfile: SyncMasterProfile;
  readonly slaveTimeout: number;
  readonly haMaxGapNotInSync: number;
  readonly inSyncReplicas: number;
}

/** What the waiter needs of the master's links. */
export interface GroupTransferSource {
  /** The ack of every connected slave. */
  slaveAcks(): readonly number[];
  /** The highest ack any slave ever sent (Java's push2SlaveMaxOffset; it survives the slave's link). */
  push2SlaveMaxOffset(): number;
}

interface Waiter {
  readonly nextOffset: number;
  readonly resolve: (status: ReplicaStatus) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * GroupTransferService.java as promises: a SYNC_MASTER put waits until enough slaves acked its end offset, or
 * slaveTimeout passes (FLUSH_SLAVE_TIMEOUT; the message stays stored). Each ack settles the waiters it covers at
 * once (Java's thread wakes up on acks too, but sleeps in 1 s / 1 ms steps). What "enough" means is the profile:
 * - `4` (4.9.8): one slave. With no slave connected, or the best one further behind than haMaxGapNotInSync,
 *   SLAVE_NOT_AVAILABLE at once (isSlaveOK).
 * - `5` (5.3.3): inSyncReplicas replicas counting the master, each connection counted on its own ack; 1 (the
 *   default) does not wait; never SLAVE_NOT_AVAILABLE.
 */
export class GroupTransferService {
  /** By ascending nextOffset: an ack settles a prefix. */
  private readonly waiters: Waiter[] = [];

  constructor(
    private readonly config: GroupTransferConfig,
    private readonly source: GroupTransferSource,
  ) {}

  waitForReplica(nextOffset: number): Promise<ReplicaStatus> {
    const { syncMasterProfile, haMaxGapNotInSync, inSyncReplicas } = this.config;
    if (syncMasterProfile === '5' && inSyncReplicas <= 1) return Promise.resolve('PUT_OK');
    if (syncMasterProfile === '4' && (this.source.slaveAcks().length === 0 || nextOffset - this.source.push2SlaveMaxOffset() >= haMaxGapNotInSync)) {
      return Promise.resolve('SLAVE_NOT_AVAILABLE');
    }
    if (this.replicated(nextOffset)) return Promise.resolve('PUT_OK');
    return new Promise((resolve) => {
      const waiter: Waiter = {
        nextOffset,
        resolve,
        timer: setTimeout(() => this.settle(waiter, 'FLUSH_SLAVE_TIMEOUT'), this.config.slaveTimeout),
      };
      let at = this.waiters.length;
      while (at > 0 && this.waiters[at - 1]!.nextOffset > nextOffset) at--;
      this.waiters.splice(at, 0, waiter);
    });
  }

  /** A slave's ack rose: settles every waiter it covers. */
  notifyTransferSome(): void {
    while (this.waiters.length > 0 && this.replicated(this.waiters[0]!.nextOffset)) this.settle(this.waiters[0]!, 'PUT_OK');
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Puts still waiting get FLUSH_SLAVE_TIMEOUT: they are stored, not known to be replicated. */
  shutdown(): void {
    while (this.waiters.length > 0) this.settle(this.waiters[0]!, 'FLUSH_SLAVE_TIMEOUT');
  }

  private replicated(nextOffset: number): boolean {
    if (this.config.syncMasterProfile === '4') return this.source.push2SlaveMaxOffset() >= nextOffset;
    const acked = this.source.slaveAcks().filter((ack) => ack >= nextOffset).length;
    return 1 + acked >= this.config.inSyncReplicas;
  }

  private settle(waiter: Waiter, status: ReplicaStatus): void {
    const at = this.waiters.indexOf(waiter);
    if (at < 0) return;
    this.waiters.splice(at, 1);
    clearTimeout(waiter.timer);
    waiter.resolve(status);
  }
}
