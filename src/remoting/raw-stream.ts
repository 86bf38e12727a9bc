import { connect, createServer, type Socket } from 'node:net';
import type { Logger } from '../common/logger.js';
import { silentLogger } from '../common/logger.js';
import { TcpListener } from './tcp-listener.js';

/**
 * A raw TCP byte stream with backpressure, for protocols that are not remoting commands (the HA link between a
 * master and its slaves). It knows nothing of what flows: the callers' state machines do. TCP_NODELAY is set, as
 * Java's HA sockets do, so a 12-byte heartbeat or an 8-byte ack leaves at once.
 */
export class RawStreamChannel {
  readonly remoteAddress: string;
  private closed = false;
  private readonly closeListeners: (() => void)[] = [];

  constructor(private readonly socket: Socket) {
    this.remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    socket.setNoDelay(true);
    // Errors end the connection: the close listeners say so, the error itself needs no handling here.
    socket.on('error', () => undefined);
    socket.on('close', () => this.onClosed());
  }

  write(data: Buffer | readonly Buffer[]): boolean {
    if (this.closed) return false;
    if (Buffer.isBuffer(data)) return this.socket.write(data);
    // Corked, the buffers go to the kernel in one writev: no copy into one buffer, no system call per frame.
    this.socket.cork();
    let writable = true;
    for (const chunk of data) writable = this.socket.write(chunk);
    this.socket.uncork();
    return writable;
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    this.socket.destroy();
    this.onClosed();
  }

  onData(listener: (chunk: Buffer) => void): void {
    this.socket.on('data', listener);
  }

  onDrain(listener: () => void): void {
    this.socket.on('drain', listener);
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  private onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}

export interface RawStreamServerOptions {
  /** 0: any free port. */
  port: number;
  host: string;
  onChannel: (channel: RawStreamChannel) => void;
  logger?: Logger;
}

/** Accepts raw stream connections; shutdown closes the listener and every connection it accepted. */
export class RawStreamServer extends TcpListener {
  constructor(options: RawStreamServerOptions) {
    super(createServer(), options.host, options.port);
    const logger = options.logger ?? silentLogger;
    this.server.on('connection', (socket: Socket) => {
      try {
        options.onChannel(new RawStreamChannel(socket));
      } catch (err) {
        logger.error(`raw stream connection from ${socket.remoteAddress ?? '?'} failed`, err);
        socket.destroy();
      }
    });
  }
}

/** Opens a raw stream; rejects when the connection fails or takes longer than `timeoutMillis`. */
export function connectRawStream(host: string, port: number, timeoutMillis = 3000): Promise<RawStreamChannel> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMillis} ms`));
    }, timeoutMillis);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(new RawStreamChannel(socket));
    });
  });
}
