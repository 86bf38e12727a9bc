import type { Logger } from '../common/logger.js';
import { encodeHARuntimeInfo, type HARuntimeInfo } from '../protocol/bodies/ha-runtime-info.js';
import { connectRawStream, RawStreamServer } from '../remoting/raw-stream.js';
import type { DefaultMessageStore } from '../store/default-message-store.js';
import { HAClient } from '../store/ha/ha-client.js';
import type { HAAcceptor } from '../store/ha/ha-link.js';
import { HAService } from '../store/ha/ha-service.js';
import type { RegisterBrokerResult } from './out/broker-outer-api.js';

export interface BrokerHAOptions {
  /** The broker's bindAddress: the HA port binds there unless haBindAddress says otherwise. */
  readonly bindAddress: string;
  readonly logger: Logger;
  /**
   * GET_BROKER_CONFIG of the master's remoting address (P9): a slave compares its master's mappedFileSizeCommitLog
   * with its own before replicating. Absent, or without the master's address (a static haMasterAddress), no check.
   */
  readonly masterConfig?: (masterAddr: string) => Promise<ReadonlyMap<string, string>>;
  /** GET_BROKER_RUNTIME_INFO of the master's remoting address (P8): a slave that gets no data reads its oldest offset. */
  readonly masterRuntimeInfo?: (masterAddr: string) => Promise<ReadonlyMap<string, string>>;
}

/**
 * The broker's side of replication: picks the HA port, gives the store's HA state machines their sockets (a
 * master listens, a slave connects; both through src/remoting's raw stream transport), feeds a slave the master
 * address the name server returns at registration, and answers GET_BROKER_HA_STATUS. The store owns the
 * replication bytes (src/store/ha); the broker owns roles and metadata sync.
 */
export class BrokerHA {
  readonly service: HAService | undefined;
  readonly client: HAClient | undefined;
  private readonly staticMasterAddress: boolean;
  /** The master's remoting address from the last registration answer that had one. */
  private masterAddr: string | undefined;

  constructor(
    private readonly store: DefaultMessageStore,
    private readonly options: BrokerHAOptions,
  ) {
    const config = store.config;
    this.staticMasterAddress = config.haMasterAddress.trim().length >= 6;
    if (config.brokerRole === 'SLAVE') {
      this.client = new HAClient(store, {
        connector: (host, port) => connectRawStream(host, port),
        logger: options.logger,
        checkMaster: () => this.checkMasterSegmentSize(),
        masterMinOffset: () => this.masterMinOffset(),
      });
    } else {
      this.service = new HAService(store, this.acceptor(), options.logger);
    }
  }

  /**
   * The HA port as Java 5.3.3 picks it: haListenPort when set, else listenPort + 1; with listenPort 0 (any free
   * port, tests) any free port too, since listen + 1 means nothing then.
   */
  private haPort(listenPort: number): number {
    const configured = this.store.config.haListenPort;
    if (configured > 0) return configured;
    return listenPort > 0 ? listenPort + 1 : 0;
  }

  private listenPort = 0;

  private acceptor(): HAAcceptor {
    return async (onLink) => {
      const host = this.store.config.haBindAddress.trim() || this.options.bindAddress;
      const server = new RawStreamServer({ port: this.haPort(this.listenPort), host, onChannel: onLink, logger: this.options.logger });
      await server.start();
      return { port: server.port, close: () => server.shutdown() };
    };
  }

  /** Starts listening (master) or replicating (slave); `listenPort` is the broker's configured one. */
  async start(listenPort: number): Promise<void> {
    this.listenPort = listenPort;
    await this.service?.start();
    this.client?.start();
  }

  /** The haServerAddr the broker registers: brokerIP2 and the bound HA port (a slave: the port it would use). */
  haServerAddr(brokerIP2: string, boundListenPort: number): string {
    const port = this.service?.port ?? (this.haPort(this.listenPort) || boundListenPort + 1);
    return `${brokerIP2}:${port}`;
  }

  /**
   * A slave learns its master's HA address from the name servers' answers (the first that has one, as 5.3.3),
   * unless haMasterAddress is set, which then wins as in Java 4.9 (5.3.3 ignores it, its bug #6153).
   */
  onRegisterResults(results: readonly RegisterBrokerResult[]): void {
    if (this.client === undefined) return;
    const master = results.find((r) => r.masterAddr !== undefined && r.masterAddr !== '');
    if (master?.masterAddr !== undefined) this.masterAddr = master.masterAddr;
    if (this.staticMasterAddress) return;
    const found = results.find((r) => r.haServerAddr !== undefined && r.haServerAddr !== '');
    if (found?.haServerAddr !== undefined) this.client.updateHaMasterAddress(found.haServerAddr);
  }

  /**
   * P9: a master with another segment size would wedge a Java slave in a reconnect loop (its frames cross the
   * slave's segment ends); ours refuses before replicating, with the two sizes in the reason. Unknown (no answer,
   * a master that does not report the key): no refusal, the per-frame checks still hold.
   */
  private async checkMasterSegmentSize(): Promise<string | undefined> {
    const masterAddr = this.masterAddr;
    if (masterAddr === undefined || this.options.masterConfig === undefined) return undefined;
    let config: ReadonlyMap<string, string>;
    try {
      config = await this.options.masterConfig(masterAddr);
    } catch (err) {
      this.options.logger.warn(`cannot read the config of master ${masterAddr} to compare segment sizes: ${(err as Error).message}`);
      return undefined;
    }
    const theirs = config.get('mappedFileSizeCommitLog');
    const ours = this.store.config.mappedFileSizeCommitLog;
    if (theirs === undefined || Number(theirs) === ours) return undefined;
    return `master ${masterAddr} has mappedFileSizeCommitLog=${theirs}, this slave ${ours}: they must be equal`;
  }

  /** P8: the master's commitLogMinOffset, unknown without its remoting address (a static haMasterAddress alone). */
  private async masterMinOffset(): Promise<number | undefined> {
    const masterAddr = this.masterAddr;
    if (masterAddr === undefined || this.options.masterRuntimeInfo === undefined) return undefined;
    const min = (await this.options.masterRuntimeInfo(masterAddr)).get('commitLogMinOffset');
    return min === undefined || !/^\d+$/.test(min) ? undefined : Number(min);
  }

  runtimeInfo(): HARuntimeInfo {
    const maxOffset = this.store.getMaxPhyOffset();
    const client = this.client?.runtimeInfo();
    const links = this.service?.connectionInfo() ?? [];
    return {
      master: this.service !== undefined,
      masterCommitLogMaxOffset: this.service !== undefined ? maxOffset : 0,
      inSyncSlaveNums: links.filter((l) => l.inSync).length,
      haConnectionInfo: links,
      // A master answers Java's empty client half.
      haClientRuntimeInfo: client ?? { masterAddr: '', transferredByteInSecond: 0, maxOffset: 0, lastReadTimestamp: 0, lastWriteTimestamp: 0, masterFlushOffset: 0 },
    };
  }

  runtimeInfoBody(): Buffer {
    return encodeHARuntimeInfo(this.runtimeInfo());
  }

  async shutdown(): Promise<void> {
    this.client?.shutdown();
    await this.service?.shutdown();
  }
}
