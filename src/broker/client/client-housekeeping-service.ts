import { silentLogger, type Logger } from '../../common/logger.js';
import type { ChannelEventListener } from '../../remoting/channel-event.js';
import type { RemotingChannel } from '../../remoting/remoting-channel.js';
import type { ClientChannel } from './client-channel.js';
import type { ConsumerManager } from './consumer-manager.js';
import type { ProducerManager } from './producer-manager.js';

/** Java scans for silent clients every 10 s, the first time 10 s after start. */
const SCAN_INTERVAL_MILLIS = 10_000;

/**
 * ClientHousekeepingService.java: a client whose connection closes, fails or goes idle leaves every producer and
 * consumer group at once; one that stops heartbeating is dropped by a periodic scan and its connection closed.
 */
export class ClientHousekeepingService implements ChannelEventListener {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly producerManager: ProducerManager<ClientChannel>,
    private readonly consumerManager: ConsumerManager<ClientChannel>,
    private readonly logger: Logger = silentLogger,
  ) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.scanExceptionChannel(), SCAN_INTERVAL_MILLIS);
    this.timer.unref();
  }

  shutdown(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Drops clients silent past their expiry and closes their connections. */
  scanExceptionChannel(now = Date.now()): void {
    const expired = [...this.producerManager.scanNotActiveChannel(now), ...this.consumerManager.scanNotActiveChannel(now)];
    for (const info of expired) {
      this.logger.warn(`closing the connection of ${info.clientId} (${info.channel.remoteAddr}): no heartbeat for too long`);
      info.channel.close();
    }
  }

  onChannelClose(remoteAddr: string, channel: RemotingChannel): void {
    this.doChannelCloseEvent(remoteAddr, channel);
  }

  onChannelException(remoteAddr: string, channel: RemotingChannel): void {
    this.doChannelCloseEvent(remoteAddr, channel);
  }

  onChannelIdle(remoteAddr: string, channel: RemotingChannel): void {
    this.doChannelCloseEvent(remoteAddr, channel);
  }

  private doChannelCloseEvent(remoteAddr: string, channel: RemotingChannel): void {
    this.producerManager.doChannelCloseEvent(remoteAddr, channel);
    this.consumerManager.doChannelCloseEvent(remoteAddr, channel);
  }
}
