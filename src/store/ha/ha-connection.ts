import type { Logger } from '../../common/logger.js';
import { encodeTransferHeader, HAProtocolError, MAX_TRANSFER_BODY_SIZE, ReportDecoder } from './ha-codec.js';
import type { HALink } from './ha-link.js';

/**
 * Bytes read from the log in one turn of the event loop: one pread, cut into frames of haTransferBatchSize
 * (views, no copy) that leave in one socket write. The next turn comes after the socket drained, so requests
 * queued meanwhile are served between two such reads.
 */
const BYTES_PER_TURN = 1024 * 1024;

/** What a connection needs of the master's store. */
export interface HAConnectionStore {
  getMaxPhyOffset(): number;
  getMinPhyOffset(): number;
  getCommitLogData(offset: number, maxBytes: number): Buffer | null;
}

export interface HAConnectionConfig {
  readonly mappedFileSizeCommitLog: number;
  readonly haTransferBatchSize: number;
  readonly haSendHeartbeatInterval: number;
  readonly haHousekeepingInterval: number;
  /** P6: an empty slave starts at our oldest byte, not at our last segment. */
  readonly haSyncFromMinOffset: boolean;
}

export interface HAConnectionEvents {
  /** A report raised this slave's ack. */
  onAck(connection: HAConnection): void;
  /** The slave reported `offset`, beyond our log: it holds data we do not. */
  onDiverged(connection: HAConnection, offset: number): void;
  onClose(connection: HAConnection): void;
}

/**
 * HAConnection.java, the master's side of one slave link, transport-free. It waits for the slave's first report
 * (where to start), then streams frames of at most haTransferBatchSize bytes, never across a segment, without
 * waiting for acks (as Java); it pushes as soon as the log grows (`wakeup`, not Java's 100 ms poll), stops when
 * the link's buffer is full until it drains, and ships at most BYTES_PER_TURN per turn of the event loop, so a
 * catch-up of gigabytes leaves room for requests. Differences from Java, each closing the link with an error in the log:
 * a report beyond our log (P2: the slave holds data we do not, streaming would misalign it; 4.9 closes only at
 * the second report, 5.3.3 never); a report below our oldest segment is diagnosed once (P8) and answered with
 * heartbeats, as Java (the slave's store must be wiped).
 */
export class HAConnection {
  /** The first report: where the slave asked to start (-1 before it). */
  slaveRequestOffset = -1;
  /** The last report. */
  slaveAckOffset = -1;
  /** Where the next frame starts (-1 until the first report). */
  transferFromWhere = -1;
  /** Set when the slave's offset is below our oldest segment: it can never catch up (P8). */
  behindRetention = false;
  lastReadTimestamp: number;
  lastWriteTimestamp: number;
  private readonly reports = new ReportDecoder();
  private writable = true;
  private pumpScheduled = false;
  private closed = false;
  /** Bytes shipped, for the per-second rate of GET_BROKER_HA_STATUS. */
  private transferred = 0;
  private transferredAtLastSample = 0;
  transferredByteInSecond = 0;

  constructor(
    readonly link: HALink,
    private readonly store: HAConnectionStore,
    private readonly config: HAConnectionConfig,
    private readonly events: HAConnectionEvents,
    private readonly logger: Logger,
    /** An offset this slave's host was refused at before as ahead of us: asked again, it is refused again. */
    private readonly refusedOffset?: number,
    private readonly now: () => number = Date.now,
  ) {
    this.lastReadTimestamp = this.lastWriteTimestamp = now();
    link.onData((chunk) => this.onData(chunk));
    link.onDrain(() => {
      this.writable = true;
      this.wakeup();
    });
    link.onClose(() => this.onClosed());
  }

  get remoteAddress(): string {
    return this.link.remoteAddress;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let report: number | undefined;
    try {
      report = this.reports.push(chunk);
    } catch (err) {
      this.fail(`bad report from slave ${this.remoteAddress}: ${(err as HAProtocolError).message}`);
      return;
    }
    this.lastReadTimestamp = this.now();
    if (report === undefined) return;
    const maxOffset = this.store.getMaxPhyOffset();
    if (report > maxOffset || (this.slaveRequestOffset < 0 && report === this.refusedOffset)) {
      this.events.onDiverged(this, report);
      this.fail(
        `slave[${this.remoteAddress}] request offset=${report} greater than local commitLog offset=${maxOffset}` +
          `${report <= maxOffset ? ' when it first asked' : ''}: it holds data this master does not (another master, or ` +
          'ours lost data); refusing to stream into a diverged log. Empty the slave\'s store to resynchronise it.',
      );
      return;
    }
    if (this.slaveRequestOffset < 0) this.start(report);
    if (report > this.slaveAckOffset) {
      this.slaveAckOffset = report;
      this.events.onAck(this);
    }
  }

  private start(request: number): void {
    this.slaveRequestOffset = request;
    const maxOffset = this.store.getMaxPhyOffset();
    const size = this.config.mappedFileSizeCommitLog;
    let from = request;
    if (request === 0) from = this.config.haSyncFromMinOffset ? this.store.getMinPhyOffset() : Math.max(0, maxOffset - (maxOffset % size));
    this.transferFromWhere = from;
    this.logger.info(`master transfer data from ${from} to slave[${this.remoteAddress}], and slave request ${request}`);
    if (request !== 0 && request < this.store.getMinPhyOffset()) {
      this.behindRetention = true;
      this.logger.error(
        `slave[${this.remoteAddress}] asks for offset ${request}, below this master's oldest data ${this.store.getMinPhyOffset()}: ` +
          'it can never catch up (heartbeats only). Stop it, empty its store directory and start it again.',
      );
    }
    this.wakeup();
  }

  /** The log grew, or the link drained: ship what is there (once per turn however often it is called). */
  wakeup(): void {
    if (this.pumpScheduled || this.closed || this.transferFromWhere < 0) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (!this.writable || this.closed) return;
    const frameSize = Math.min(this.config.haTransferBatchSize, MAX_TRANSFER_BODY_SIZE);
    // Whole frames per read; getCommitLogData stops at the segment end, so no frame crosses one.
    const data = this.store.getCommitLogData(this.transferFromWhere, Math.max(frameSize, BYTES_PER_TURN - (BYTES_PER_TURN % frameSize)));
    if (data === null || data.length === 0) return;
    const chunks: Buffer[] = [];
    for (let at = 0; at < data.length; at += frameSize) {
      const body = data.subarray(at, Math.min(at + frameSize, data.length));
      chunks.push(encodeTransferHeader(this.transferFromWhere + at, body.length), body);
    }
    this.lastWriteTimestamp = this.now();
    this.writable = this.link.write(chunks);
    this.transferFromWhere += data.length;
    this.transferred += data.length;
    if (this.writable) this.wakeup();
  }

  /** A frame without a body: where the next frame would start. */
  private sendHeartbeat(): void {
    this.lastWriteTimestamp = this.now();
    this.writable = this.link.write(encodeTransferHeader(this.transferFromWhere, 0));
  }

  /**
   * Called about every second: drops a slave silent for haHousekeepingInterval, sends a heartbeat after
   * haSendHeartbeatInterval without a frame, and samples the transfer rate.
   */
  tick(): void {
    if (this.closed) return;
    const now = this.now();
    this.transferredByteInSecond = this.transferred - this.transferredAtLastSample;
    this.transferredAtLastSample = this.transferred;
    if (now - this.lastReadTimestamp > this.config.haHousekeepingInterval) {
      this.fail(`slave[${this.remoteAddress}] sent nothing for ${now - this.lastReadTimestamp} ms: closing the link`);
      return;
    }
    if (this.transferFromWhere >= 0 && this.writable && now - this.lastWriteTimestamp > this.config.haSendHeartbeatInterval) {
      this.sendHeartbeat();
    }
  }

  private fail(message: string): void {
    this.logger.error(message);
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.link.close();
    this.onClosed();
  }

  private onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.events.onClose(this);
  }
}
