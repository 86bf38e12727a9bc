import { RemotingCommandError } from '../common/errors.js';

/** Java's default `com.rocketmq.remoting.frameMaxLength`: 16 MiB including the length word. */
export const DEFAULT_MAX_FRAME_LENGTH = 16 * 1024 * 1024;

/**
 * Streaming frame splitter (Netty's LengthFieldBasedFrameDecoder as NettyDecoder configures it): chunks in, whole
 * frames out without their totalLength word, whatever the chunk boundaries. A frame longer than the limit or with
 * a negative length is an error, raised before any of it is buffered, after which the decoder refuses more input.
 * Frames inside one chunk are views, not copies; a frame split across chunks is assembled with one copy.
 */
export class FrameDecoder {
  private readonly pending: Buffer[] = [];
  private pendingLength = 0;
  /** Length of the frame being assembled (including its length word), once known. */
  private expected = -1;
  private failed = false;

  constructor(readonly maxFrameLength: number = DEFAULT_MAX_FRAME_LENGTH) {}

  /** Bytes held for an incomplete frame. */
  get bufferedBytes(): number {
    return this.pendingLength;
  }

  push(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    if (this.failed) throw new RemotingCommandError('frame decoder already failed');
    if (this.pendingLength === 0) {
      this.splitFrames(chunk, onFrame);
      return;
    }
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    if (this.expected < 0) {
      if (this.pendingLength < 4) return;
      this.expected = this.frameLength(this.peekLength());
    }
    if (this.pendingLength < this.expected) return;
    const joined = Buffer.concat(this.pending, this.pendingLength);
    this.pending.length = 0;
    this.pendingLength = 0;
    this.expected = -1;
    this.splitFrames(joined, onFrame);
  }

  private splitFrames(buf: Buffer, onFrame: (frame: Buffer) => void): void {
    let pos = 0;
    while (buf.length - pos >= 4) {
      const length = this.frameLength(buf.readInt32BE(pos));
      if (buf.length - pos < length) {
        this.expected = length;
        break;
      }
      onFrame(buf.subarray(pos + 4, pos + length));
      pos += length;
    }
    if (pos < buf.length) {
      // A small leftover is copied, so that it does not pin a large chunk; one that is most of its chunk stays a
      // view, since the frame it starts is copied once more when assembled (a pull response spans chunks).
      const tail = buf.subarray(pos);
      this.pending.push(tail.length * 2 >= buf.length ? tail : Buffer.from(tail));
      this.pendingLength = tail.length;
    }
  }

  private peekLength(): number {
    const first = this.pending[0] as Buffer;
    if (first.length >= 4) return first.readInt32BE(0);
    return Buffer.concat(this.pending, this.pendingLength).readInt32BE(0);
  }

  private frameLength(totalLength: number): number {
    const frameLength = totalLength + 4;
    if (totalLength < 4 || frameLength > this.maxFrameLength) {
      this.failed = true;
      this.pending.length = 0;
      this.pendingLength = 0;
      throw new RemotingCommandError(
        totalLength < 4
          ? `bad frame length ${totalLength}`
          : `frame length ${frameLength} exceeds the limit of ${this.maxFrameLength} bytes`,
      );
    }
    return frameLength;
  }
}
