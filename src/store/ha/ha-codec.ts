/**
 * The classic HA wire format (HAConnection / DefaultHAConnection, HAClient / DefaultHAClient), which has no
 * handshake, no version and no framing beyond this; every integer is big-endian:
 * - slave -> master, a "report": the slave's commit-log max offset as an 8-byte long. The first one after a
 *   connect asks where to start; every later one is an ack.
 * - master -> slave, a "transfer": a 12-byte header (8-byte offset of the first body byte, 4-byte body size)
 *   then that many raw commit-log bytes; a size of 0 is a heartbeat.
 * Pure: no I/O, so the byte fixtures test it whole.
 */

export const REPORT_SIZE = 8;
export const TRANSFER_HEADER_SIZE = 12;
/** A Java slave reads into a 4 MiB buffer (READ_MAX_BUFFER_SIZE): a bigger frame could never complete there. */
export const MAX_TRANSFER_BODY_SIZE = 4 * 1024 * 1024 - TRANSFER_HEADER_SIZE;

/** The peer sent bytes that cannot be this protocol: the link is closed. */
export class HAProtocolError extends Error {
  override readonly name = 'HAProtocolError';
}

export function encodeReport(maxPhyOffset: number): Buffer {
  const data = Buffer.allocUnsafe(REPORT_SIZE);
  data.writeBigInt64BE(BigInt(maxPhyOffset), 0);
  return data;
}

export function encodeTransferHeader(offset: number, bodySize: number): Buffer {
  const data = Buffer.allocUnsafe(TRANSFER_HEADER_SIZE);
  data.writeBigInt64BE(BigInt(offset), 0);
  data.writeInt32BE(bodySize, 8);
  return data;
}

function readOffset(data: Buffer, at: number): number {
  const value = data.readBigInt64BE(at);
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) throw new HAProtocolError(`offset ${value} out of range`);
  return Number(value);
}

/**
 * The master's reading of reports. As Java (ReadSocketService.processReadEvent), only the last complete value
 * of what arrived counts: reports queued behind each other collapse into the newest. A partial value waits for
 * its remaining bytes.
 */
export class ReportDecoder {
  private partial: Buffer = Buffer.alloc(0);

  /** The newest complete report in what arrived so far, or undefined when none completed. */
  push(chunk: Buffer): number | undefined {
    const data = this.partial.length === 0 ? chunk : Buffer.concat([this.partial, chunk]);
    const whole = data.length - (data.length % REPORT_SIZE);
    this.partial = Buffer.from(data.subarray(whole));
    return whole === 0 ? undefined : readOffset(data, whole - REPORT_SIZE);
  }
}

export interface TransferFrame {
  /** Offset of the first body byte (for a heartbeat, where the master would continue). */
  readonly offset: number;
  /** Raw commit-log bytes (empty for a heartbeat). */
  readonly body: Buffer;
}

/**
 * The slave's reading of transfers: frames from reads cut anywhere, bodies bounded by `maxBodySize`. Bodies are
 * views of the received chunks (a socket hands out a new buffer per read); only an unfinished frame is copied.
 */
export class TransferDecoder {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly maxBodySize = MAX_TRANSFER_BODY_SIZE) {}

  /** Every frame completed by `chunk`; throws HAProtocolError on a size no master sends. */
  push(chunk: Buffer): TransferFrame[] {
    const data = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const frames: TransferFrame[] = [];
    let at = 0;
    while (data.length - at >= TRANSFER_HEADER_SIZE) {
      const offset = readOffset(data, at);
      const size = data.readInt32BE(at + 8);
      if (size < 0 || size > this.maxBodySize) throw new HAProtocolError(`transfer of ${size} bytes at offset ${offset} exceeds ${this.maxBodySize}`);
      if (data.length - at < TRANSFER_HEADER_SIZE + size) break;
      frames.push({ offset, body: data.subarray(at + TRANSFER_HEADER_SIZE, at + TRANSFER_HEADER_SIZE + size) });
      at += TRANSFER_HEADER_SIZE + size;
    }
    this.buffer = at === data.length ? Buffer.alloc(0) : Buffer.from(data.subarray(at));
    return frames;
  }

  /** Bytes received but not yet a whole frame. */
  get pendingBytes(): number {
    return this.buffer.length;
  }
}

/**
 * The bodies of frames that continue each other within one segment of `segmentSize`, joined: what one socket
 * read brought becomes one append and one check instead of one per frame. Heartbeats (no body) carry nothing to
 * append and are left out. A frame that does not continue the one before stays apart (the slave refuses it).
 */
export function joinFrames(frames: readonly TransferFrame[], segmentSize: number): TransferFrame[] {
  const joined: TransferFrame[] = [];
  let run: TransferFrame[] = [];
  let runEnd = 0;
  const close = (): void => {
    if (run.length === 1) joined.push(run[0]!);
    else if (run.length > 1) joined.push({ offset: run[0]!.offset, body: Buffer.concat(run.map((f) => f.body)) });
    run = [];
  };
  for (const frame of frames) {
    if (frame.body.length === 0) continue;
    const first = run[0];
    const continues = first !== undefined && frame.offset === runEnd && Math.floor(first.offset / segmentSize) === Math.floor((runEnd + frame.body.length - 1) / segmentSize);
    if (!continues) close();
    run.push(frame);
    runEnd = frame.offset + frame.body.length;
  }
  close();
  return joined;
}
