import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { RemotingConnectError, RemotingShutdownError } from '../common/errors.js';
import { Semaphore } from '../common/semaphore.js';
import { DEFAULT_MAX_FRAME_LENGTH } from '../protocol/frame-decoder.js';
import type { RemotingCommand } from '../protocol/remoting-command.js';
import type { SerializeTypeName } from '../protocol/serialize-type.js';
import { RemotingAbstract, type RemotingEndpointOptions } from './remoting-abstract.js';
import { RemotingChannel, parseAddr, type ChannelOptions } from './remoting-channel.js';
import type { ClientTlsOptions } from './tls-config.js';

/** A client's requests leave at most this many to a socket write (ChannelOptions.maxCoalescedFrames says why). */
const CLIENT_MAX_COALESCED_FRAMES = 4;

export interface RemotingClientOptions extends RemotingEndpointOptions {
  connectTimeoutMillis?: number;
  /** Close a connection after this many seconds without traffic (clientChannelMaxIdleTimeSeconds). */
  clientChannelMaxIdleTimeSeconds?: number;
  clientAsyncSemaphoreValue?: number;
  clientOnewaySemaphoreValue?: number;
  /** Close the connection when a sync call times out: a peer that stopped answering is likely gone. */
  clientCloseSocketIfTimeout?: boolean;
  useTLS?: boolean;
  tls?: ClientTlsOptions;
  /** Header encoding for every request this client sends; unset keeps each command's own choice. */
  serializeType?: SerializeTypeName;
  /** Name servers, as `updateNameServerAddressList` takes them. */
  namesrvAddrList?: string[];
}

interface ChannelEntry {
  channel: RemotingChannel | undefined;
  connecting: Promise<RemotingChannel> | undefined;
}

type State = 'created' | 'running' | 'stopped';

/**
 * NettyRemotingClient: one connection per address (created on first use, concurrent connects shared), requests
 * to a given address or, with a null address, to a name server chosen round-robin with failover.
 */
export class RemotingClient extends RemotingAbstract {
  private readonly options: RemotingClientOptions;
  private readonly channelOptions: ChannelOptions;
  private readonly channelTable = new Map<string, ChannelEntry>();
  private namesrvAddrList: string[] = [];
  private namesrvAddrChosen: string | undefined;
  private namesrvIndex = Math.floor(Math.random() * 999);
  private state: State = 'created';

  constructor(options: RemotingClientOptions = {}) {
    super(
      options,
      new Semaphore(options.clientAsyncSemaphoreValue ?? 65535),
      new Semaphore(options.clientOnewaySemaphoreValue ?? 65535),
    );
    this.options = options;
    this.channelOptions = {
      maxFrameLength: options.maxFrameLength ?? DEFAULT_MAX_FRAME_LENGTH,
      idleMillis: (options.clientChannelMaxIdleTimeSeconds ?? 120) * 1000,
      pauseReadingOnBackpressure: false,
      maxCoalescedFrames: CLIENT_MAX_COALESCED_FRAMES,
    };
    if (options.namesrvAddrList !== undefined) this.updateNameServerAddressList(options.namesrvAddrList);
  }

  start(): Promise<void> {
    if (this.state === 'created') {
      this.state = 'running';
      this.startResponseTableScan();
    }
    return Promise.resolve();
  }

  /** Idempotent: closes every connection, fails pending calls, clears every timer. */
  shutdown(): Promise<void> {
    if (this.state !== 'stopped') {
      const wasRunning = this.state === 'running';
      this.state = 'stopped';
      for (const entry of this.channelTable.values()) entry.channel?.close();
      this.channelTable.clear();
      if (wasRunning) this.stopRemoting();
    }
    return Promise.resolve();
  }

  /** Replaces the name-server list when it differs (shuffled, as Java does); an unchanged list is kept. */
  updateNameServerAddressList(addrs: readonly string[]): void {
    const unique = [...new Set(addrs.map((a) => a.trim()).filter((a) => a !== ''))];
    for (const addr of unique) parseAddr(addr);
    const current = new Set(this.namesrvAddrList);
    if (unique.length === current.size && unique.every((a) => current.has(a))) return;
    for (let i = unique.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [unique[i], unique[j]] = [unique[j] as string, unique[i] as string];
    }
    this.namesrvAddrList = unique;
    if (this.namesrvAddrChosen !== undefined && !unique.includes(this.namesrvAddrChosen)) {
      this.closeChannel(this.namesrvAddrChosen);
      this.namesrvAddrChosen = undefined;
    }
  }

  getNameServerAddressList(): string[] {
    return [...this.namesrvAddrList];
  }

  /** The name server in use, if one has been chosen. */
  getChosenNameServerAddress(): string | undefined {
    return this.namesrvAddrChosen;
  }

  /** Sends a request and waits up to `timeoutMillis` for its response. A null address means "a name server". */
  async invokeSync(addr: string | null | undefined, request: RemotingCommand, timeoutMillis: number): Promise<RemotingCommand> {
    const found = this.channelFor(addr);
    const channel = found instanceof RemotingChannel ? found : await found;
    this.applySerializeType(request);
    return await this.invokeSyncImpl(channel, request, timeoutMillis);
  }

  /** Like invokeSync, but bounded by the async semaphore; the timeout is enforced by the response-table scan. */
  async invokeAsync(addr: string | null | undefined, request: RemotingCommand, timeoutMillis: number): Promise<RemotingCommand> {
    const found = this.channelFor(addr);
    const channel = found instanceof RemotingChannel ? found : await found;
    this.applySerializeType(request);
    return await this.invokeAsyncImpl(channel, request, timeoutMillis);
  }

  /** Resolves once the request is written; no response will come. */
  async invokeOneway(addr: string | null | undefined, request: RemotingCommand, timeoutMillis: number): Promise<void> {
    const found = this.channelFor(addr);
    const channel = found instanceof RemotingChannel ? found : await found;
    this.applySerializeType(request);
    await this.invokeOnewayImpl(channel, request, timeoutMillis);
  }

  /** Closes the connection to `addr` if there is one (the next call reconnects). */
  closeChannel(addr: string): void {
    const entry = this.channelTable.get(addr);
    if (entry === undefined) return;
    this.channelTable.delete(addr);
    entry.channel?.close();
  }

  /** Whether a live connection to `addr` exists right now. */
  isChannelActive(addr: string): boolean {
    return this.channelTable.get(addr)?.channel?.isActive === true;
  }

  protected override onSyncTimeout(channel: RemotingChannel, timeoutMillis: number): void {
    if (this.options.clientCloseSocketIfTimeout ?? true) {
      this.logger.warn(`sync call to ${channel.remoteAddr} timed out after ${timeoutMillis}ms, closing the channel`);
      channel.close();
    }
  }

  protected onChannelClosed(channel: RemotingChannel): void {
    for (const [addr, entry] of this.channelTable) {
      if (entry.channel === channel) this.channelTable.delete(addr);
    }
  }

  private applySerializeType(request: RemotingCommand): void {
    if (this.options.serializeType !== undefined) request.serializeTypeCurrentRPC = this.options.serializeType;
  }

  private channelFor(addr: string | null | undefined): Promise<RemotingChannel> | RemotingChannel {
    if (this.state !== 'running') throw new RemotingShutdownError(`remoting client is ${this.state}`);
    if (addr === null || addr === undefined) return this.getAndCreateNameServerChannel();
    const channel = this.channelTable.get(addr)?.channel;
    return channel !== undefined && channel.isActive ? channel : this.getAndCreateChannel(addr);
  }

  /** Keeps using the chosen name server while it is reachable; otherwise tries the others in turn. */
  private async getAndCreateNameServerChannel(): Promise<RemotingChannel> {
    const chosen = this.namesrvAddrChosen;
    if (chosen !== undefined) {
      const channel = this.channelTable.get(chosen)?.channel;
      if (channel?.isActive === true) return channel;
    }
    const list = this.namesrvAddrList;
    if (list.length === 0) throw new RemotingConnectError('<namesrv>', 'no name server address configured');
    let lastError: unknown;
    for (let i = 0; i < list.length; i++) {
      const addr = list[this.namesrvIndex++ % list.length] as string;
      this.namesrvIndex %= 1 << 30;
      try {
        const channel = await this.getAndCreateChannel(addr);
        this.namesrvAddrChosen = addr;
        return channel;
      } catch (err) {
        lastError = err;
        this.logger.warn(`name server ${addr} unreachable, trying the next one`);
      }
    }
    throw new RemotingConnectError(list.join(';'), `connect to name servers [${list.join(', ')}] failed`, {
      cause: lastError,
    });
  }

  private getAndCreateChannel(addr: string): Promise<RemotingChannel> {
    const entry = this.channelTable.get(addr);
    if (entry?.channel?.isActive === true) return Promise.resolve(entry.channel);
    if (entry?.connecting !== undefined) return entry.connecting;
    const fresh: ChannelEntry = { channel: undefined, connecting: undefined };
    fresh.connecting = this.connect(addr).then(
      (channel) => {
        fresh.connecting = undefined;
        if (this.state !== 'running' || this.channelTable.get(addr) !== fresh) {
          channel.close();
          throw new RemotingConnectError(addr, `connect to ${addr} abandoned: client is ${this.state}`);
        }
        fresh.channel = channel;
        this.putChannelEvent('CONNECT', channel);
        return channel;
      },
      (err: unknown) => {
        if (this.channelTable.get(addr) === fresh) this.channelTable.delete(addr);
        throw err;
      },
    );
    this.channelTable.set(addr, fresh);
    return fresh.connecting;
  }

  private connect(addr: string): Promise<RemotingChannel> {
    const { host, port } = parseAddr(addr);
    const timeoutMillis = this.options.connectTimeoutMillis ?? 3000;
    return new Promise<RemotingChannel>((resolve, reject) => {
      const useTLS = this.options.useTLS ?? false;
      const socket: Socket = useTLS
        ? tlsConnect({ ...this.options.tls, host, port, servername: this.options.tls?.servername ?? servernameFor(host) })
        : netConnect({ host, port, noDelay: true });
      const timer = setTimeout(() => fail(new Error(`connect timeout after ${timeoutMillis}ms`)), timeoutMillis);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(new RemotingConnectError(addr, `connect to ${addr} failed: ${err.message}`, { cause: err }));
      };
      socket.once('error', fail);
      socket.once(useTLS ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.off('error', fail);
        resolve(new RemotingChannel(socket, this.channelHandler, this.channelOptions));
      });
    });
  }
}

/** SNI must be a host name, never an IP literal. */
function servernameFor(host: string): string | undefined {
  return /^[\d.]+$/.test(host) || host.includes(':') ? undefined : host;
}
