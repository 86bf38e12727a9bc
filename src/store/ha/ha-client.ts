import type { Logger } from '../../common/logger.js';
import type { HAClientRuntimeInfo } from '../../protocol/bodies/ha-runtime-info.js';
import type { MessageStoreConfig } from '../message-store-config.js';
import { encodeReport, joinFrames, TransferDecoder, type TransferFrame } from './ha-codec.js';
import type { HAConnector, HALink } from './ha-link.js';

/** Bytes appended from one link before the client yields the event loop (reads resume in the next turn). */
const BYTES_PER_TURN = 1024 * 1024;
/** Java's HAClient waits this long after a failed or lost connection before the next attempt. */
const RECONNECT_BACKOFF_MILLIS = 5000;
/** P8: links in a row that brought no data before the slave asks whether its master still keeps its offset. */
const FRUITLESS_LINKS = 3;
/** P8: heartbeat intervals of a link without data before the same question (a master answers heartbeats only). */
const FRUITLESS_HEARTBEATS = 3;

/** What the slave's HA client needs of its store. */
export interface HAClientStore {
  readonly config: MessageStoreConfig;
  getMaxPhyOffset(): number;
  appendToCommitLog(startOffset: number, data: Buffer): void;
  checkReplicatedRecords(from: number, to: number): { validTo: number; error?: string };
  truncateDirtyCommitLog(offset: number): void;
  flushCommitLog(): Promise<number>;
}

export interface HAClientOptions {
  readonly connector: HAConnector;
  readonly logger: Logger;
  /**
   * Asked before each connection (P9): a reason to refuse this master (its segment size differs from ours), or
   * undefined. A refusal stops replication until the master address changes.
   */
  readonly checkMaster?: (haMasterAddress: string) => Promise<string | undefined>;
  /**
   * The master's commitLogMinOffset (P8), asked when links bring no data; undefined when it cannot be known.
   * Without it the slave cannot tell a stuck link from an idle master.
   */
  readonly masterMinOffset?: () => Promise<number | undefined>;
  readonly reconnectBackoffMillis?: number;
  readonly now?: () => number;
}

export type HAClientState = 'READY' | 'CONNECTING' | 'TRANSFER' | 'REFUSED' | 'SHUTDOWN';

/**
 * DefaultHAClient.java, the slave's side, transport-free. It connects to the master's HA address (static
 * haMasterAddress, or the one the name server returns at registration: both work, unlike 5.3.3 which ignores the
 * static one), reports its max offset at once (4.9 waits 5 s), appends each frame whose offset is its own end,
 * and reports once per turn of frames read and every haSendHeartbeatInterval. Beyond Java (P1): it checks every
 * record it completes (magic, size, CRC, the offset the record carries) and acks only whole valid records; a bad
 * stream is cut back to the last good record and replication stops with an error instead of looping. On each
 * (re)connect the unfinished record at its end is cut first, so the master resends it whole. With
 * haAckAfterFlush (P3) it acks only what is synced to its disk. When links bring no data (FRUITLESS_LINKS in a
 * row, or FRUITLESS_HEARTBEATS intervals of heartbeats only) it asks its master's oldest offset once, and a log
 * that ends below it is diagnosed once (P8): a master sends such a slave heartbeats only, forever, and neither
 * Java side says why.
 */
export class HAClient {
  private state: HAClientState = 'READY';
  private masterAddress: string;
  private link: HALink | undefined;
  private decoder = new TransferDecoder();
  /** The end of the last whole record checked (P1); what we ack (or less, with haAckAfterFlush). */
  private validatedOffset = 0;
  private reportedOffset = -1;
  private lastConnectAttempt = Number.NEGATIVE_INFINITY;
  private lastReadTimestamp = 0;
  private lastWriteTimestamp = 0;
  private refusedReason: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private bytesThisTurn = 0;
  private reportScheduled = false;
  private transferred = 0;
  private transferredAtLastSample = 0;
  private transferredByteInSecond = 0;
  /** P8: when the current link started or last brought data; links in a row that brought none. */
  private lastDataTimestamp = 0;
  private linkHadData = false;
  private fruitlessLinks = 0;
  /** P8: the master's oldest offset was asked since data last flowed (asked once per stall). */
  private retentionAsked = false;
  /** P8: the master's oldest offset, when it is above our end. */
  private behindMasterMinOffset: number | undefined;
  private readonly now: () => number;

  constructor(
    private readonly store: HAClientStore,
    private readonly options: HAClientOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.masterAddress = store.config.haMasterAddress.trim();
  }

  get haMasterAddress(): string {
    return this.masterAddress;
  }

  get currentState(): HAClientState {
    return this.state;
  }

  /** DefaultHAClient.updateHaMasterAddress: a new address drops the current link; a refusal is forgotten. */
  updateHaMasterAddress(address: string): void {
    const next = address.trim();
    if (next === '' || next === this.masterAddress) return;
    this.options.logger.info(`update master HA address from ${this.masterAddress || 'none'} to ${next}`);
    this.masterAddress = next;
    this.lastConnectAttempt = Number.NEGATIVE_INFINITY;
    this.dataFlowed();
    this.fruitlessLinks = 0;
    if (this.state === 'REFUSED') {
      this.state = 'READY';
      this.refusedReason = undefined;
    }
    this.closeLink();
  }

  start(): void {
    // The recovered end (the store starts before us; read at construction it would be 0, and the first link would
    // cut the whole log back to it).
    this.validatedOffset = this.store.getMaxPhyOffset();
    const config = this.store.config;
    const tick = Math.max(10, Math.min(1000, config.haSendHeartbeatInterval / 2, config.haHousekeepingInterval / 2));
    this.timer = setInterval(() => this.tick(), tick);
    this.timer.unref();
    this.tick();
  }

  private tick(): void {
    const now = this.now();
    this.transferredByteInSecond = this.transferred - this.transferredAtLastSample;
    this.transferredAtLastSample = this.transferred;
    const config = this.store.config;
    if (this.state === 'READY') {
      if (this.fruitlessLinks >= FRUITLESS_LINKS) void this.checkRetention();
      const backoff = this.options.reconnectBackoffMillis ?? RECONNECT_BACKOFF_MILLIS;
      if (this.masterAddress !== '' && now - this.lastConnectAttempt >= backoff) void this.connect();
      return;
    }
    if (this.state !== 'TRANSFER') return;
    if (now - this.lastDataTimestamp >= FRUITLESS_HEARTBEATS * config.haSendHeartbeatInterval) void this.checkRetention();
    if (now - this.lastReadTimestamp > config.haHousekeepingInterval) {
      this.options.logger.warn(`HAClient, housekeeping: master ${this.masterAddress} silent for ${now - this.lastReadTimestamp} ms, reconnecting`);
      this.closeLink();
      return;
    }
    if (now - this.lastWriteTimestamp >= config.haSendHeartbeatInterval) this.report(true);
  }

  private async connect(): Promise<void> {
    const address = this.masterAddress;
    this.state = 'CONNECTING';
    this.lastConnectAttempt = this.now();
    const at = address.lastIndexOf(':');
    const port = Number(address.slice(at + 1));
    if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
      this.refuse(`the master HA address '${address}' is not host:port`);
      return;
    }
    try {
      const problem = await this.options.checkMaster?.(address);
      if (this.state !== 'CONNECTING' || address !== this.masterAddress) return;
      if (problem !== undefined) {
        this.refuse(problem);
        return;
      }
      const link = await this.options.connector(address.slice(0, at), port);
      if (this.state !== 'CONNECTING' || address !== this.masterAddress) {
        link.close();
        if (this.state === 'CONNECTING') this.state = 'READY';
        return;
      }
      this.attach(link);
    } catch (err) {
      this.options.logger.warn(`HAClient connect to master ${address} failed: ${(err as Error).message}`);
      if (this.state === 'CONNECTING') this.state = 'READY';
    }
  }

  private attach(link: HALink): void {
    this.link = link;
    this.state = 'TRANSFER';
    this.decoder = new TransferDecoder();
    // The unfinished record at our end is asked for again, whole: acks and the start request stay on record ends.
    if (this.store.getMaxPhyOffset() > this.validatedOffset) this.store.truncateDirtyCommitLog(this.validatedOffset);
    this.validatedOffset = this.store.getMaxPhyOffset();
    this.lastReadTimestamp = this.lastDataTimestamp = this.now();
    this.linkHadData = false;
    this.reportedOffset = -1;
    link.onData((chunk) => this.onData(link, chunk));
    link.onClose(() => {
      this.fruitlessLinks = this.linkHadData ? 0 : this.fruitlessLinks + 1;
      if (this.link !== link) return;
      this.link = undefined;
      if (this.state === 'TRANSFER') this.state = 'READY';
    });
    this.options.logger.info(`HAClient connected to master ${this.masterAddress}, requesting offset ${this.store.getMaxPhyOffset()}`);
    // The start request: our end (Java's first report; 4.9 sends it only after 5 s).
    this.send(this.store.getMaxPhyOffset());
  }

  private onData(link: HALink, chunk: Buffer): void {
    if (this.link !== link || this.state !== 'TRANSFER') return;
    this.lastReadTimestamp = this.now();
    let frames: TransferFrame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.options.logger.error(`HAClient: bad transfer from master ${this.masterAddress}: ${(err as Error).message}`);
      this.closeLink();
      return;
    }
    for (const frame of joinFrames(frames, this.store.config.mappedFileSizeCommitLog)) {
      if (!this.apply(frame)) return;
    }
    this.scheduleReport();
    this.bytesThisTurn += chunk.length;
    if (this.bytesThisTurn >= BYTES_PER_TURN) {
      this.bytesThisTurn = 0;
      link.pause();
      setImmediate(() => {
        if (this.link === link) link.resume();
      });
    }
  }

  /** Appends one frame and checks the records it completed; false when the link was closed. */
  private apply(frame: TransferFrame): boolean {
    const maxOffset = this.store.getMaxPhyOffset();
    if (maxOffset !== 0 && frame.offset !== maxOffset) {
      this.options.logger.error(`master pushed offset not equal the max phy offset in slave, SLAVE: ${maxOffset} MASTER: ${frame.offset}`);
      this.closeLink();
      return false;
    }
    try {
      this.store.appendToCommitLog(frame.offset, frame.body);
    } catch (err) {
      this.refuse(`cannot append ${frame.body.length} bytes at offset ${frame.offset}: ${(err as Error).message}`);
      return false;
    }
    if (maxOffset === 0 && this.validatedOffset === 0) this.validatedOffset = frame.offset;
    this.transferred += frame.body.length;
    this.dataFlowed();
    const checked = this.store.checkReplicatedRecords(this.validatedOffset, this.store.getMaxPhyOffset());
    this.validatedOffset = checked.validTo;
    if (checked.error !== undefined) {
      this.store.truncateDirtyCommitLog(checked.validTo);
      this.refuse(`the stream from master ${this.masterAddress} is not a valid commit log (${checked.error}); cut back to ${checked.validTo}`);
      return false;
    }
    return true;
  }

  /**
   * The ack after appends, once per turn of the event loop: the chunks one turn reads (up to BYTES_PER_TURN during a
   * catch-up) are acked together, not with a system call each; a master waiting on an ack gets it in that turn.
   */
  private scheduleReport(): void {
    if (this.reportScheduled) return;
    this.reportScheduled = true;
    setImmediate(() => {
      this.reportScheduled = false;
      this.report(false);
    });
  }

  /** Reports our ack: after appends when it rose, and every heartbeat interval whatever it is. */
  private report(always: boolean): void {
    if (this.store.config.haAckAfterFlush) {
      void this.store.flushCommitLog().then(
        (flushed) => this.send(Math.min(this.validatedOffset, flushed), always),
        (err: unknown) => this.options.logger.error('HAClient: flushing before the ack failed', err),
      );
      return;
    }
    this.send(this.validatedOffset, always);
  }

  private send(offset: number, always = true): void {
    const link = this.link;
    if (link === undefined || this.state !== 'TRANSFER') return;
    if (!always && offset <= this.reportedOffset) return;
    this.reportedOffset = Math.max(this.reportedOffset, offset);
    this.lastWriteTimestamp = this.now();
    link.write(encodeReport(offset));
  }

  private dataFlowed(): void {
    this.linkHadData = true;
    this.lastDataTimestamp = this.now();
    this.retentionAsked = false;
    this.behindMasterMinOffset = undefined;
  }

  /**
   * P8: asks the master's oldest offset once per stall; our log ending below it can never be continued (the
   * bytes between were deleted by the master's retention), which is said once, with the fix.
   */
  private async checkRetention(): Promise<void> {
    if (this.retentionAsked || this.options.masterMinOffset === undefined) return;
    this.retentionAsked = true;
    let masterMin: number | undefined;
    try {
      masterMin = await this.options.masterMinOffset();
    } catch (err) {
      this.options.logger.warn(`HAClient: cannot read the oldest offset of master ${this.masterAddress}: ${(err as Error).message}`);
      return;
    }
    // Data flowed meanwhile: nothing to diagnose. Unknown yet (the master's address comes with a registration): ask again.
    if (!this.retentionAsked) return;
    if (masterMin === undefined) {
      this.retentionAsked = false;
      return;
    }
    const ours = this.store.getMaxPhyOffset();
    // An empty log asks for 0 and is given the master's oldest data: never behind.
    if (ours === 0 || ours >= masterMin || this.behindMasterMinOffset !== undefined) return;
    this.behindMasterMinOffset = masterMin;
    this.options.logger.error(
      `HAClient: this slave's commit log ends at ${ours}, below the oldest data ${masterMin} of master ${this.masterAddress}: ` +
        'it can never catch up (the master sends heartbeats only). Stop this slave, empty its store directory and start it again.',
    );
  }

  /** Replication stops with an error until the master address changes or the broker restarts. */
  private refuse(reason: string): void {
    this.options.logger.error(`HAClient stopped replicating: ${reason}`);
    this.refusedReason = reason;
    this.state = 'REFUSED';
    this.closeLink();
  }

  private closeLink(): void {
    const link = this.link;
    this.link = undefined;
    if (this.state === 'TRANSFER' || this.state === 'CONNECTING') this.state = 'READY';
    link?.close();
  }

  /** HARuntimeInfo.HAClientRuntimeInfo (GET_BROKER_HA_STATUS), plus our state, refusal and retention diagnosis. */
  runtimeInfo(): HAClientRuntimeInfo {
    return {
      masterAddr: this.masterAddress,
      transferredByteInSecond: this.transferredByteInSecond,
      maxOffset: this.store.getMaxPhyOffset(),
      lastReadTimestamp: this.lastReadTimestamp,
      lastWriteTimestamp: this.lastWriteTimestamp,
      // 5.x reads it from the controller's handshake; the classic link does not carry it.
      masterFlushOffset: 0,
      state: this.state,
      ...(this.refusedReason === undefined ? {} : { refusedReason: this.refusedReason }),
      ...(this.behindMasterMinOffset === undefined ? {} : { behindRetention: true, masterMinOffset: this.behindMasterMinOffset }),
    };
  }

  shutdown(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.state = 'SHUTDOWN';
    const link = this.link;
    this.link = undefined;
    link?.close();
  }
}
