import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../common/logger.js';
import { silentLogger } from '../common/logger.js';

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

  write(data: Buffer): boolean {
    if (this.closed) return false;
    return this.socket.write(data);
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
export class RawStreamServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly logger: Logger;

  constructor(private readonly options: RawStreamServerOptions) {
    this.logger = options.logger ?? silentLogger;
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      try {
        options.onChannel(new RawStreamChannel(socket));
      } catch (err) {
        this.logger.error(`raw stream connection from ${socket.remoteAddress ?? '?'} failed`, err);
        socket.destroy();
      }
    });
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /** The bound port (after start()). */
  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? 0;
  }

  shutdown(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => this.server.close(() => resolve()));
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
