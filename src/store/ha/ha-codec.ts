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
 * views of the received chunks (a socket hands out a new buffer per read); a frame cut across reads is copied
 * once, when its last piece arrives (a large frame arriving in many reads is not copied again with each).
 */
export class TransferDecoder {
  /** The start of a header cut by the end of a read. */
  private headerPart: Buffer = Buffer.alloc(0);
  /** The frame whose body is arriving, and the pieces of it so far. */
  private frame: { offset: number; size: number } | undefined;
  private pieces: Buffer[] = [];
  private received = 0;

  constructor(private readonly maxBodySize = MAX_TRANSFER_BODY_SIZE) {}

  /** Every frame completed by `chunk`; throws HAProtocolError on a size no master sends. */
  push(chunk: Buffer): TransferFrame[] {
    const frames: TransferFrame[] = [];
    let at = 0;
    while (at < chunk.length) {
      let frame = this.frame;
      if (frame === undefined) {
        if (this.headerPart.length === 0 && chunk.length - at >= TRANSFER_HEADER_SIZE) {
          frame = this.header(chunk, at);
          at += TRANSFER_HEADER_SIZE;
        } else {
          const take = Math.min(TRANSFER_HEADER_SIZE - this.headerPart.length, chunk.length - at);
          this.headerPart = Buffer.concat([this.headerPart, chunk.subarray(at, at + take)]);
          at += take;
          if (this.headerPart.length < TRANSFER_HEADER_SIZE) break;
          frame = this.header(this.headerPart, 0);
          this.headerPart = Buffer.alloc(0);
        }
        this.frame = frame;
      }
      const need = frame.size - this.received;
      if (this.pieces.length === 0 && chunk.length - at >= need) {
        frames.push({ offset: frame.offset, body: chunk.subarray(at, at + need) });
        at += need;
        this.frame = undefined;
        continue;
      }
      const take = Math.min(need, chunk.length - at);
      this.pieces.push(chunk.subarray(at, at + take));
      this.received += take;
      at += take;
      if (this.received === frame.size) {
        frames.push({ offset: frame.offset, body: Buffer.concat(this.pieces, frame.size) });
        this.frame = undefined;
        this.pieces = [];
        this.received = 0;
      }
    }
    return frames;
  }

  private header(data: Buffer, at: number): { offset: number; size: number } {
    const offset = readOffset(data, at);
    const size = data.readInt32BE(at + 8);
    if (size < 0 || size > this.maxBodySize) throw new HAProtocolError(`transfer of ${size} bytes at offset ${offset} exceeds ${this.maxBodySize}`);
    return { offset, size };
  }

  /** Bytes received but not yet a whole frame. */
  get pendingBytes(): number {
    return this.headerPart.length + (this.frame === undefined ? 0 : TRANSFER_HEADER_SIZE + this.received);
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
