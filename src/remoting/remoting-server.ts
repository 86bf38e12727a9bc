import { createServer, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import { RemotingShutdownError } from '../common/errors.js';
import { Semaphore } from '../common/semaphore.js';
import { DEFAULT_MAX_FRAME_LENGTH } from '../protocol/frame-decoder.js';
import type { RemotingCommand } from '../protocol/remoting-command.js';
import { RemotingAbstract, type RemotingEndpointOptions } from './remoting-abstract.js';
import { InboundScheduler } from './inbound-scheduler.js';
import { DEFAULT_MAX_QUEUED_INPUT_BYTES, RemotingChannel, type ChannelOptions } from './remoting-channel.js';
import { TLS_HANDSHAKE_RECORD, type ServerTlsOptions } from './tls-config.js';

export interface RemotingServerOptions extends RemotingEndpointOptions {
  /** 0 picks a free port; read the bound one from `server.port` after start(). */
  listenPort?: number;
  bindAddress?: string;
  /** Close a connection after this many seconds without traffic (serverChannelMaxIdleTimeSeconds). */
  serverChannelMaxIdleTimeSeconds?: number;
  /** Permits for server-to-client async calls (serverAsyncSemaphoreValue). */
  serverAsyncSemaphoreValue?: number;
  /** Permits for server-to-client oneway calls (serverOnewaySemaphoreValue). */
  serverOnewaySemaphoreValue?: number;
  /** Without key material TLS is off; with it the default mode is permissive, as in Java. */
  tls?: ServerTlsOptions;
  serverSocketBacklog?: number;
  /** Stop reading a connection while this many bytes of its requests wait to run (default 4 MiB). */
  maxQueuedInputBytes?: number;
}

type State = 'created' | 'starting' | 'running' | 'stopped';

/**
 * NettyRemotingServer: accepts connections, serves registered processors, and can call its clients back
 * (invokeSync/Async/Oneway on a client's channel). Its connections are read independently of how long their
 * requests take (InboundScheduler), and what a client delivered before it closed or reset is still served.
 */
export class RemotingServer extends RemotingAbstract {
  private readonly options: RemotingServerOptions;
  private readonly channelOptions: ChannelOptions;
  private readonly channels = new Set<RemotingChannel>();
  /** Sockets still being sniffed or handshaking: not yet channels, but shutdown must close them too. */
  private readonly pendingSockets = new Set<Socket>();
  private readonly secureContext: SecureContext | undefined;
  private readonly inbound = new InboundScheduler();
  private server: Server | undefined;
  private state: State = 'created';
  private boundPort = -1;
  protected override readonly hooksOnOutgoing = false;

  constructor(options: RemotingServerOptions = {}) {
    super(
      options,
      new Semaphore(options.serverAsyncSemaphoreValue ?? 64),
      new Semaphore(options.serverOnewaySemaphoreValue ?? 256),
    );
    this.options = options;
    this.channelOptions = {
      maxFrameLength: options.maxFrameLength ?? DEFAULT_MAX_FRAME_LENGTH,
      idleMillis: (options.serverChannelMaxIdleTimeSeconds ?? 120) * 1000,
      pauseReadingOnBackpressure: true,
      maxCoalescedFrames: Infinity,
      inbound: this.inbound,
      maxQueuedInputBytes: options.maxQueuedInputBytes ?? DEFAULT_MAX_QUEUED_INPUT_BYTES,
    };
    const tls = options.tls;
    this.secureContext = tls !== undefined && tls.mode !== 'disabled' ? createSecureContext(tls) : undefined;
  }

  /** The bound port (after start()). */
  get port(): number {
    if (this.boundPort < 0) throw new RemotingShutdownError('server not started');
    return this.boundPort;
  }

  get tlsMode(): ServerTlsOptions['mode'] {
    return this.options.tls?.mode ?? 'disabled';
  }

  /** Live client connections. */
  get channelCount(): number {
    return this.channels.size;
  }

  async start(): Promise<void> {
    if (this.state !== 'created') throw new RemotingShutdownError(`server cannot start: it is ${this.state}`);
    this.state = 'starting';
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(
        { port: this.options.listenPort ?? 0, host: this.options.bindAddress ?? '0.0.0.0', backlog: this.options.serverSocketBacklog ?? 1024 },
        () => {
          server.off('error', reject);
          resolve();
        },
      );
    }).catch((err: unknown) => {
      this.state = 'stopped';
      throw err;
    });
    server.on('error', (err) => this.logger.error('server socket error', err));
    const address = server.address();
    this.boundPort = typeof address === 'object' && address !== null ? address.port : -1;
    this.startResponseTableScan();
    this.state = 'running';
    this.logger.info(`remoting server listening on ${this.options.bindAddress ?? '0.0.0.0'}:${this.boundPort}`);
  }

  /** Idempotent: stops listening, closes every connection, fails pending calls, clears every timer. */
  async shutdown(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'created') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopped';
    const server = this.server;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
    for (const socket of this.pendingSockets) socket.destroy();
    this.pendingSockets.clear();
    // Requests read but not yet run are dropped, as a stopping Java server's executors drop their queues.
    this.inbound.stop();
    for (const channel of this.channels) channel.close();
    this.stopRemoting();
    await closed;
  }

  invokeSync(channel: RemotingChannel, request: RemotingCommand, timeoutMillis: number): Promise<RemotingCommand> {
    return this.invokeSyncImpl(channel, request, timeoutMillis);
  }

  invokeAsync(channel: RemotingChannel, request: RemotingCommand, timeoutMillis: number): Promise<RemotingCommand> {
    return this.invokeAsyncImpl(channel, request, timeoutMillis);
  }

  invokeOneway(channel: RemotingChannel, request: RemotingCommand, timeoutMillis: number): Promise<void> {
    return this.invokeOnewayImpl(channel, request, timeoutMillis);
  }

  protected onChannelClosed(channel: RemotingChannel): void {
    this.channels.delete(channel);
  }

  private accept(socket: Socket): void {
    if (this.state !== 'running') {
      socket.destroy();
      return;
    }
    const mode = this.tlsMode;
    if (mode === 'disabled' && this.secureContext === undefined && this.options.tls === undefined) {
      this.addChannel(socket);
      return;
    }
    // Sniff the first byte to tell a TLS handshake from a plain frame (Java's TlsModeHandler).
    this.pendingSockets.add(socket);
    socket.once('error', () => socket.destroy());
    socket.once('close', () => this.pendingSockets.delete(socket));
    socket.setTimeout(this.channelOptions.idleMillis || 120_000, () => socket.destroy());
    socket.once('data', (first: Buffer) => {
      socket.pause();
      socket.setTimeout(0);
      const isTLS = first[0] === TLS_HANDSHAKE_RECORD;
      if ((isTLS && mode === 'disabled') || (!isTLS && mode === 'enforcing')) {
        this.logger.warn(`closing ${isTLS ? 'TLS' : 'plain'} connection from ${socket.remoteAddress ?? '?'}: TLS mode is ${mode}`);
        socket.destroy();
        return;
      }
      if (!isTLS) {
        this.pendingSockets.delete(socket);
        socket.unshift(first);
        this.addChannel(socket);
        socket.resume();
        return;
      }
      this.startTLS(socket, first);
    });
  }

  /**
   * A TLSSocket built on a net.Socket reads the socket's handle directly and would never see the sniffed
   * ClientHello, so the TLS layer sits on a stream that replays it first.
   */
  private startTLS(socket: Socket, first: Buffer): void {
    const tlsOptions = this.options.tls;
    const secure = new TLSSocket(replayingStream(socket, first), {
      isServer: true,
      secureContext: this.secureContext,
      requestCert: tlsOptions?.requestCert ?? false,
      rejectUnauthorized: tlsOptions?.rejectUnauthorized ?? false,
    });
    secure.once('secure', () => {
      this.pendingSockets.delete(socket);
      if (this.state !== 'running') {
        secure.destroy();
        return;
      }
      this.addChannel(secure, socket);
    });
    secure.once('error', (err: Error) => {
      this.logger.warn(`TLS handshake with ${socket.remoteAddress ?? '?'} failed: ${err.message}`);
      secure.destroy();
      socket.destroy();
    });
  }

  private addChannel(socket: Socket, addressOf: Socket = socket): void {
    const channel = new RemotingChannel(socket, this.channelHandler, this.channelOptions, addressOf);
    this.channels.add(channel);
    this.putChannelEvent('CONNECT', channel);
  }
}

/** A duplex over `socket` whose readable side yields `first` before the socket's own data. */
function replayingStream(socket: Socket, first: Buffer): Duplex {
  const stream = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(error, callback) {
      socket.destroy();
      callback(error);
    },
  });
  stream.push(first);
  socket.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.once('end', () => stream.push(null));
  socket.once('close', () => stream.destroy());
  return stream;
}
