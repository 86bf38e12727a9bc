import type { Logger } from '../../common/logger.js';
import type { HAConnectionRuntimeInfo } from '../../protocol/bodies/ha-runtime-info.js';
import type { MessageStoreConfig } from '../message-store-config.js';
import type { ReplicaWaiter } from '../default-message-store.js';
import { HAConnection, type HAConnectionStore } from './ha-connection.js';
import { GroupTransferService } from './group-transfer-service.js';
import type { HAAcceptor, HALink, HAListener } from './ha-link.js';

/** What the master's HA service needs of the store. */
export interface HAMasterStore extends HAConnectionStore {
  readonly config: MessageStoreConfig;
  onCommitLogAppended(listener: (maxOffset: number) => void): () => void;
  setReplicaWaiter(waiter: ReplicaWaiter | undefined): void;
}

/** The host part of `host:port` (IPv4-mapped IPv6 addresses as plain IPv4). */
export function hostOf(address: string): string {
  const at = address.lastIndexOf(':');
  const host = (at < 0 ? address : address.slice(0, at)).replace(/^\[|\]$/g, '');
  return host.startsWith('::ffff:') ? host.slice('::ffff:'.length) : host;
}

/**
 * DefaultHAService.java, the master's side: accepts slaves on the HA port (through the injected acceptor; the
 * store opens no socket), keeps one HAConnection per slave, pushes to them whenever the commit log grows, and for
 * a SYNC_MASTER plugs its GroupTransferService into the store's puts. Beyond Java: slaves can be restricted to an
 * allow-list of hosts (the port is an unauthenticated write path into a slave's store, and its acks decide
 * SYNC_MASTER answers), and an offset once refused as "ahead of us" from a host stays refused for that host even
 * after our log grows past it, since streaming from it would misalign that slave's log (P2).
 */
export class HAService {
  readonly groupTransfer: GroupTransferService;
  private readonly connections = new Set<HAConnection>();
  private readonly allowList: ReadonlySet<string>;
  /** host -> the offset refused as ahead of our log. */
  private readonly divergedSlaves = new Map<string, number>();
  private listener: HAListener | undefined;
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private maxAck = 0;

  constructor(
    private readonly store: HAMasterStore,
    private readonly acceptor: HAAcceptor,
    private readonly logger: Logger,
  ) {
    const config = store.config;
    this.allowList = new Set(config.haSlaveAllowList.split(',').map((h) => h.trim()).filter((h) => h !== ''));
    this.groupTransfer = new GroupTransferService(config, {
      slaveAcks: () => [...this.connections].map((c) => c.slaveAckOffset),
      push2SlaveMaxOffset: () => this.maxAck,
    });
  }

  /** The bound HA port (after start()). */
  get port(): number {
    return this.listener?.port ?? 0;
  }

  /** Java's push2SlaveMaxOffset: the highest offset any slave acked. */
  get push2SlaveMaxOffset(): number {
    return this.maxAck;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  async start(): Promise<void> {
    const config = this.store.config;
    this.listener = await this.acceptor((link) => this.accept(link));
    this.unsubscribe = this.store.onCommitLogAppended(() => {
      for (const connection of this.connections) connection.wakeup();
    });
    const tick = Math.max(10, Math.min(1000, config.haSendHeartbeatInterval / 2, config.haHousekeepingInterval / 2));
    this.timer = setInterval(() => {
      for (const connection of this.connections) connection.tick();
    }, tick);
    this.timer.unref();
    if (config.brokerRole === 'SYNC_MASTER') {
      this.store.setReplicaWaiter((nextOffset) => this.groupTransfer.waitForReplica(nextOffset));
      if (config.syncMasterProfile === '4' && config.inSyncReplicas < 2) {
        this.logger.warn(
          'brokerRole=SYNC_MASTER waits for a slave (syncMasterProfile=4, as RocketMQ 4.9). A Java 5.3.3 broker with ' +
            'inSyncReplicas=1 would not wait at all; set syncMasterProfile=5 for its behaviour.',
        );
      }
    }
    this.logger.info(`HA service listening on ${this.port}${this.allowList.size > 0 ? ` for ${[...this.allowList].join(', ')}` : ''}`);
  }

  private accept(link: HALink): void {
    const host = hostOf(link.remoteAddress);
    if (this.allowList.size > 0 && !this.allowList.has(host)) {
      this.logger.warn(`HA connection from ${link.remoteAddress} refused: not in haSlaveAllowList`);
      link.close();
      return;
    }
    const config = this.store.config;
    const refused = this.divergedSlaves.get(host);
    const connection = new HAConnection(
      link,
      this.store,
      config,
      {
        onAck: (c) => {
          if (c.slaveAckOffset > this.maxAck) this.maxAck = c.slaveAckOffset;
          this.groupTransfer.notifyTransferSome();
        },
        onDiverged: (_c, offset) => this.divergedSlaves.set(host, offset),
        onClose: (c) => {
          this.connections.delete(c);
          if (c.slaveRequestOffset < 0 && c.slaveAckOffset < 0) return;
          this.logger.info(`slave[${c.remoteAddress}] link closed at ack ${c.slaveAckOffset}`);
        },
      },
      this.logger,
      refused,
    );
    this.connections.add(connection);
    this.logger.info(`HA connection from slave ${link.remoteAddress}`);
  }

  /** The master's half of HARuntimeInfo (GET_BROKER_HA_STATUS), with our retention diagnosis (P8). */
  connectionInfo(): HAConnectionRuntimeInfo[] {
    const masterPutWhere = this.store.getMaxPhyOffset();
    return [...this.connections].map((c) => ({
      addr: c.remoteAddress,
      slaveAckOffset: c.slaveAckOffset,
      diff: masterPutWhere - c.slaveAckOffset,
      inSync: c.slaveAckOffset >= 0 && masterPutWhere - c.slaveAckOffset < this.store.config.haMaxGapNotInSync,
      transferredByteInSecond: c.transferredByteInSecond,
      transferFromWhere: c.transferFromWhere,
      behindRetention: c.behindRetention,
    }));
  }

  async shutdown(): Promise<void> {
    this.unsubscribe?.();
    if (this.timer !== undefined) clearInterval(this.timer);
    this.store.setReplicaWaiter(undefined);
    this.groupTransfer.shutdown();
    for (const connection of [...this.connections]) connection.close();
    await this.listener?.close();
  }
}
