import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { RemotingCommandError } from '../common/errors.js';
import { decodeFrame, encodeFrame } from '../protocol/command-codec.js';
import { FrameDecoder } from '../protocol/frame-decoder.js';
import type { RemotingCommand } from '../protocol/remoting-command.js';
import type { InboundQueue, InboundScheduler } from './inbound-scheduler.js';
import { readKernelChunk, readKernelInput } from './kernel-input.js';

/** What a channel reports to the endpoint that owns it. Handlers must not throw. */
export interface ChannelHandler {
  onCommand(channel: RemotingChannel, command: RemotingCommand): void;
  onIdle(channel: RemotingChannel): void;
  onException(channel: RemotingChannel, error: Error): void;
  onClose(channel: RemotingChannel): void;
}

export interface ChannelOptions {
  maxFrameLength: number;
  /** Close after this long without reads or writes (Netty's ALL_IDLE); 0 disables. */
  idleMillis: number;
  /**
   * Stop reading while our writes are stuck behind a slow reader. Right for servers (a client that does not read
   * its responses stops being served); wrong for clients, where it could deadlock two peers that both wait.
   */
  pauseReadingOnBackpressure: boolean;
  /**
   * Frames written before the current callback's microtasks have run are coalesced into one socket write, up to
   * this many. Servers: no limit, the responses of one turn leave in one write. Clients: a few (measured, our
   * Producer with 16 sends in flight): coalescing them all had client and server take turns (our broker: 38-42 k
   * msg/s), one write per frame cost the Java broker the reads it saves by batching (33-34 k against 36-40 k);
   * four at most gave 49-55 k on ours and 38 k on Java's.
   */
  maxCoalescedFrames: number;
  /**
   * Servers: read frames wait in the channel and run in the scheduler's bounded turns, so that reading never waits
   * for processing. Clients: none, a frame runs as soon as it is read (responses are cheap to settle).
   */
  inbound?: InboundScheduler;
  /**
   * With `inbound`: stop reading while this many bytes of read frames wait (a client that sends faster than we
   * process is held by TCP, not by our memory), and read again once half of them ran.
   */
  maxQueuedInputBytes?: number;
}

/** Default bound of a server channel's queued input. */
export const DEFAULT_MAX_QUEUED_INPUT_BYTES = 4 * 1024 * 1024;

/**
 * While a server channel runs frames, it reads ahead from the kernel (readKernelChunk) once this long has passed
 * since the last read, so that the kernel keeps acknowledging: even a read that finds nothing lets it send the
 * ACK it was delaying. A client writing small pieces stalls after about 15 unacknowledged segments, 0.15 ms of
 * the Go client's writes. Measured with its oneway bursts: 0.05 and 0.2 ms kept 600 of 600 and 300 of 300
 * messages, 0.5 ms lost 2 of 300, none lost 28 of 600; 0.1 ms with the back-off below kept 900 of 900.
 */
export const READ_AHEAD_MILLIS = 0.1;
/**
 * After a read-ahead that finds nothing the gap doubles, up to this: an empty read costs a system call and an
 * exception (3-5 us on the test machine), and clients that wait for their answers (sync sends) send nothing while
 * their requests run. bench:broker without it: 3 % of the broker's CPU in these reads.
 */
const MAX_READ_AHEAD_MILLIS = 1;

type WriteCallback = (error?: Error | null) => void;

/**
 * One TCP (or TLS) connection carrying remoting frames: a streaming decoder on the way in, and on a server a
 * bounded queue of read frames that the inbound scheduler runs (see InboundScheduler); on the way out,
 * writes issued before the current callback's microtasks have run are coalesced into one socket write (up to
 * maxCoalescedFrames), and socket backpressure (write() returning false) holds further output until 'drain'.
 * The flush is a microtask, not an immediate: a response leaves as soon as the code that made it yields, instead
 * of waiting for every other I/O callback of the loop iteration (measured on the broker: about 6 % more sends per
 * second).
 */
export class RemotingChannel implements InboundQueue {
  readonly remoteAddr: string;
  readonly localAddr: string;
  private readonly decoder: FrameDecoder;
  private outBuffers: Buffer[] = [];
  private outCallbacks: WriteCallback[] = [];
  private outBytes = 0;
  private outFrames = 0;
  private flushScheduled = false;
  private needDrain = false;
  private closed = false;
  /** The socket's 'close' came: onClose follows once the inbox is empty. */
  private socketClosed = false;
  private closeReported = false;
  /** Read frames not yet run (servers): inbox[inboxHead..inboxTail). The array keeps its capacity. */
  private inbox: Buffer[] = [];
  private inboxHead = 0;
  private inboxTail = 0;
  private inboxBytes = 0;
  /** While onData may run frames as the decoder yields them: the turn's end; 0 once they must be queued. */
  private inlineDeadline = 0;
  /** When (performance.now()) running frames may next read ahead from the kernel; Infinity: never (clients, TLS). */
  private readAheadAt = Infinity;
  private readAheadGap = READ_AHEAD_MILLIS;
  /** Chunks read ahead while the decoder was yielding frames: decoded once it returns. */
  private readonly aheadChunks: Buffer[] = [];
  /** Reading stopped because the inbox reached maxQueuedInputBytes; cleared at half. */
  private inboxFull = false;
  private readingPaused = false;
  scheduled = false;
  private readonly maxQueuedInputBytes: number;
  private readonly flushNow = (): void => this.flush();
  private readonly onWritten = (err?: Error | null): void => {
    if (err !== null && err !== undefined && !this.isTLS) readKernelInput(this.socket, (chunk) => this.onData(chunk));
  };
  /** The decoder's callback on a server: run at once while the turn allows, else queue. */
  private readonly takeFrame = (frame: Buffer): void => {
    if (this.inlineDeadline !== 0) {
      this.runFrame(frame);
      const now = performance.now();
      if (now >= this.readAheadAt) this.readAhead(now);
      if (now >= this.inlineDeadline) {
        this.inlineDeadline = 0;
        this.options.inbound?.turnUsedUp();
      }
      return;
    }
    this.inbox[this.inboxTail++] = frame;
    this.inboxBytes += frame.length;
  };
  private readonly runFrame = (frame: Buffer): void => this.handler.onCommand(this, decodeFrame(frame));

  /** `addressOf` is the TCP socket itself when `socket` is TLS layered over a stream that has no address. */
  constructor(
    private readonly socket: Socket | TLSSocket,
    private readonly handler: ChannelHandler,
    private readonly options: ChannelOptions,
    addressOf: Socket = socket,
  ) {
    this.remoteAddr = formatAddr(addressOf.remoteAddress, addressOf.remotePort);
    this.localAddr = formatAddr(addressOf.localAddress, addressOf.localPort);
    this.decoder = new FrameDecoder(options.maxFrameLength);
    this.maxQueuedInputBytes = options.maxQueuedInputBytes ?? DEFAULT_MAX_QUEUED_INPUT_BYTES;
    if (options.inbound !== undefined && !this.isTLS) this.readAheadAt = 0;
    addressOf.setNoDelay(true);
    if (options.idleMillis > 0) {
      socket.setTimeout(options.idleMillis, () => this.handler.onIdle(this));
    }
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.onDrain());
    socket.on('error', (err: Error) => this.handler.onException(this, err));
    socket.once('close', () => this.onSocketClose());
  }

  /** True until the connection is closed by either side. */
  get isActive(): boolean {
    return !this.closed && !this.socket.destroyed;
  }

  /** Active, and not holding output back for a peer that does not read (Netty's isWritable). */
  get isWritable(): boolean {
    return this.isActive && !this.needDrain;
  }

  /** Bytes queued in user space plus the socket's own buffer. */
  get pendingWriteBytes(): number {
    return this.outBytes + this.socket.writableLength;
  }

  get isTLS(): boolean {
    return 'encrypted' in this.socket && this.socket.encrypted;
  }

  /**
   * Queues a command for writing. Encoding errors throw here, synchronously, before anything is queued, so a
   * bad command never leaves half a frame on the wire. `callback` runs once the bytes reach the socket (or fail).
   */
  write(command: RemotingCommand, callback?: WriteCallback): void {
    if (!this.isActive) {
      if (callback !== undefined) queueMicrotask(() => callback(new Error(`channel to ${this.remoteAddr} is closed`)));
      return;
    }
    const parts = encodeFrame(command);
    for (const part of parts) {
      this.outBuffers.push(part);
      this.outBytes += part.length;
    }
    if (callback !== undefined) this.outCallbacks.push(callback);
    if (++this.outFrames >= this.options.maxCoalescedFrames) {
      this.flush();
    } else if (!this.flushScheduled && !this.needDrain) {
      this.flushScheduled = true;
      queueMicrotask(this.flushNow);
    }
  }

  /** Bytes of read frames waiting to run (servers). */
  get queuedInputBytes(): number {
    return this.inboxBytes;
  }

  /**
   * Closes the connection at once; frames not yet written are dropped and their callbacks fail. Frames already read
   * still run (their responses go nowhere), and onClose comes after them, as Netty's channelInactive comes after
   * every channelRead.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.needDrain || this.outBuffers.length === 0 || !this.isActive) return;
    const buffers = this.outBuffers;
    const callbacks = this.outCallbacks;
    const bytes = this.outBytes;
    this.outBuffers = [];
    this.outCallbacks = [];
    this.outBytes = 0;
    this.outFrames = 0;
    // Always a callback: a failed write must read what the peer sent before its reset (onWritten).
    const done =
      callbacks.length === 0
        ? this.onWritten
        : (err?: Error | null): void => {
            this.onWritten(err);
            for (const cb of callbacks) cb(err);
          };
    let writable: boolean;
    if (buffers.length === 1) {
      writable = this.socket.write(buffers[0] as Buffer, done);
    } else if (bytes <= 1024 * 1024) {
      writable = this.socket.write(Buffer.concat(buffers, bytes), done);
    } else {
      // Large payloads: hand the parts over without copying; cork makes them one writev.
      this.socket.cork();
      const last = buffers.length - 1;
      writable = true;
      for (let i = 0; i < last; i++) writable = this.socket.write(buffers[i] as Buffer) && writable;
      writable = this.socket.write(buffers[last] as Buffer, done) && writable;
      this.socket.uncork();
    }
    if (!writable) {
      this.needDrain = true;
      this.updateReading();
    }
  }

  private onDrain(): void {
    if (!this.needDrain) return;
    this.needDrain = false;
    this.updateReading();
    this.flush();
    if (this.inboxHead < this.inboxTail) this.options.inbound?.offer(this);
  }

  /**
   * Reading stops while our output waits for a peer that does not read it (pauseReadingOnBackpressure) or while the
   * inbox is full. A client that neither reads nor stops writing is then held by TCP: what it writes meanwhile stays
   * in its own kernel, and is lost if it resets the connection, as with any server that bounds its memory.
   */
  private updateReading(): void {
    const pause = this.inboxFull || (this.needDrain && this.options.pauseReadingOnBackpressure);
    if (pause === this.readingPaused || !this.isActive) return;
    this.readingPaused = pause;
    if (pause) this.socket.pause();
    else this.socket.resume();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    const inbound = this.options.inbound;
    if (inbound === undefined) {
      this.decode(chunk, this.runFrame);
      return;
    }
    if (this.inboxHead === this.inboxTail && !this.needDrain) this.inlineDeadline = inbound.inlineDeadline(this);
    // Frames run inline may read ahead (takeFrame); those chunks follow this one through the decoder.
    if (this.readAheadAt !== Infinity) this.readAheadAt = performance.now() + this.readAheadGap;
    if (this.decode(chunk, this.takeFrame)) this.decodeAhead();
    this.inlineDeadline = 0;
    if (this.inboxHead === this.inboxTail) return;
    this.checkInboxFull();
    inbound.offer(this);
  }

  /** False if the stream broke (the channel is then closing). */
  private decode(chunk: Buffer, onFrame: (frame: Buffer) => void): boolean {
    try {
      this.decoder.push(chunk, onFrame);
      return true;
    } catch (err) {
      // NettyDecoder closes the channel on any decode error; later frames on this stream cannot be trusted.
      this.inlineDeadline = 0;
      this.aheadChunks.length = 0;
      this.fail(err);
      return false;
    }
  }

  private decodeAhead(): void {
    while (this.aheadChunks.length > 0) {
      if (!this.decode(this.aheadChunks.shift() as Buffer, this.takeFrame)) return;
    }
  }

  /**
   * One read of what the kernel holds, between frames (see readKernelChunk): not while the stream holds data of
   * its own (it would come after what we read now), nor while reading is paused or the inbox is full.
   */
  private readAhead(now: number): void {
    // Chunks read ahead wait for the chunk being decoded: they count toward the bound already.
    let waiting = this.inboxBytes;
    for (const chunk of this.aheadChunks) waiting += chunk.length;
    if (!this.closed && !this.readingPaused && this.socket.readableLength === 0 && waiting < this.maxQueuedInputBytes) {
      const read = readKernelChunk(this.socket);
      if (Buffer.isBuffer(read)) {
        this.aheadChunks.push(read);
        this.readAheadGap = READ_AHEAD_MILLIS;
      } else if (read === 'empty') {
        this.readAheadGap = Math.min(this.readAheadGap * 2, MAX_READ_AHEAD_MILLIS);
      } else {
        // The peer's FIN stays for libuv to read; a reset, which the kernel reports once, is reported here.
        this.readAheadAt = Infinity;
        if (read !== 'end') this.socket.destroy(read);
        return;
      }
    }
    this.readAheadAt = now + this.readAheadGap;
  }

  private checkInboxFull(): void {
    if (this.inboxBytes >= this.maxQueuedInputBytes && !this.inboxFull) {
      this.inboxFull = true;
      this.updateReading();
    }
  }

  /**
   * Runs queued frames (InboundQueue) while the turn lasts. Output stuck behind a slow reader stops them until
   * 'drain', as it stops reading: each request could add a response to what the peer does not read. Once the
   * connection is closed they all run, their responses dropped.
   */
  runQueued(deadline: number): boolean {
    while (this.inboxHead < this.inboxTail) {
      if (this.needDrain && !this.closed) return false;
      const frame = this.inbox[this.inboxHead] as Buffer;
      this.inbox[this.inboxHead++] = undefined as unknown as Buffer;
      this.inboxBytes -= frame.length;
      try {
        this.runFrame(frame);
      } catch (err) {
        this.fail(err);
        this.dropQueued();
        return false;
      }
      const now = performance.now();
      if (now >= this.readAheadAt) {
        this.readAhead(now);
        this.decodeAhead(); // inlineDeadline is 0 here: the frames join the inbox
        this.checkInboxFull();
      }
      if (this.inboxHead < this.inboxTail && now >= deadline) break;
    }
    this.compactInbox();
    return this.inboxHead < this.inboxTail;
  }

  dropQueued(): void {
    this.inbox = [];
    this.inboxHead = 0;
    this.inboxTail = 0;
    this.inboxBytes = 0;
    this.compactInbox();
  }

  private compactInbox(): void {
    if (this.inboxHead === this.inboxTail) {
      this.inboxHead = 0;
      this.inboxTail = 0;
      if (this.inbox.length > 4096) this.inbox = []; // a burst's slots are not kept for good
      if (this.socketClosed) this.reportClose();
    } else if (this.inboxHead > 1024 && this.inboxHead * 2 > this.inboxTail) {
      this.inbox.copyWithin(0, this.inboxHead, this.inboxTail);
      this.inbox.fill(undefined as unknown as Buffer, this.inboxTail - this.inboxHead, this.inboxTail);
      this.inboxTail -= this.inboxHead;
      this.inboxHead = 0;
    }
    if (this.inboxFull && this.inboxBytes * 2 <= this.maxQueuedInputBytes) {
      this.inboxFull = false;
      this.updateReading();
    }
  }

  private fail(err: unknown): void {
    const error = err instanceof Error ? err : new RemotingCommandError(String(err));
    this.handler.onException(this, error);
    this.close();
  }

  private onSocketClose(): void {
    this.closed = true;
    this.socketClosed = true;
    const callbacks = this.outCallbacks;
    this.outBuffers = [];
    this.outCallbacks = [];
    this.outBytes = 0;
    this.outFrames = 0;
    if (callbacks.length > 0) {
      const error = new Error(`channel to ${this.remoteAddr} closed before the write`);
      for (const cb of callbacks) cb(error);
    }
    if (this.inboxHead < this.inboxTail) this.options.inbound?.offer(this);
    else this.reportClose();
  }

  private reportClose(): void {
    if (this.closeReported) return;
    this.closeReported = true;
    this.handler.onClose(this);
  }
}

/** "127.0.0.1:9876", or "[::1]:9876" for IPv6, as RocketMQ prints addresses. */
export function formatAddr(host: string | undefined, port: number | undefined): string {
  const h = host ?? 'unknown';
  const shown = h.startsWith('::ffff:') && h.includes('.') ? h.slice(7) : h;
  return shown.includes(':') ? `[${shown}]:${port ?? 0}` : `${shown}:${port ?? 0}`;
}

/** Splits "host:port" or "[v6]:port"; throws on anything else. */
export function parseAddr(addr: string): { host: string; port: number } {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(addr) ?? /^([^:]+):(\d+)$/.exec(addr);
  const port = match === null ? NaN : Number(match[2]);
  if (match === null || !(port > 0 && port < 65536)) throw new RangeError(`bad address '${addr}', expected host:port`);
  return { host: match[1] as string, port };
}
