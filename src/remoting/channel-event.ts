import type { Logger } from '../common/logger.js';
import type { RemotingChannel } from './remoting-channel.js';

export const ChannelEventType = {
  CONNECT: 'CONNECT',
  CLOSE: 'CLOSE',
  IDLE: 'IDLE',
  EXCEPTION: 'EXCEPTION',
} as const;

export type ChannelEventType = (typeof ChannelEventType)[keyof typeof ChannelEventType];

export interface ChannelEvent {
  type: ChannelEventType;
  remoteAddr: string;
  channel: RemotingChannel;
  error?: Error | undefined;
}

/** ChannelEventListener.java. Methods may be async; their errors are logged, never thrown at the caller. */
export interface ChannelEventListener {
  onChannelConnect?(remoteAddr: string, channel: RemotingChannel): void | Promise<void>;
  onChannelClose?(remoteAddr: string, channel: RemotingChannel): void | Promise<void>;
  onChannelException?(remoteAddr: string, channel: RemotingChannel, error?: Error): void | Promise<void>;
  onChannelIdle?(remoteAddr: string, channel: RemotingChannel): void | Promise<void>;
}

export const CHANNEL_EVENT_QUEUE_CAPACITY = 10_000;

/**
 * NettyEventExecutor: delivers channel events to the listener one at a time, off the I/O path, through a
 * bounded queue. When the listener falls 10 000 events behind, new events are dropped with a warning.
 */
export class ChannelEventExecutor {
  private readonly queue: ChannelEvent[] = [];
  private running = false;
  private stopped = false;

  constructor(
    private readonly listener: ChannelEventListener,
    private readonly logger: Logger,
    private readonly capacity = CHANNEL_EVENT_QUEUE_CAPACITY,
  ) {}

  putEvent(event: ChannelEvent): void {
    if (this.stopped) return;
    if (this.queue.length >= this.capacity) {
      this.logger.warn(`channel event queue is full (${this.capacity}), dropping ${event.type} of ${event.remoteAddr}`);
      return;
    }
    this.queue.push(event);
    if (!this.running) {
      this.running = true;
      setImmediate(() => void this.drain());
    }
  }

  /** Stops delivery; events still queued are dropped. */
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
  }

  private async drain(): Promise<void> {
    try {
      let event: ChannelEvent | undefined;
      while (!this.stopped && (event = this.queue.shift()) !== undefined) {
        try {
          await this.deliver(event);
        } catch (err) {
          this.logger.warn(`channel event listener failed on ${event.type} of ${event.remoteAddr}`, err);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private deliver(event: ChannelEvent): void | Promise<void> {
    const { listener } = this;
    switch (event.type) {
      case 'CONNECT':
        return listener.onChannelConnect?.(event.remoteAddr, event.channel);
      case 'CLOSE':
        return listener.onChannelClose?.(event.remoteAddr, event.channel);
      case 'IDLE':
        return listener.onChannelIdle?.(event.remoteAddr, event.channel);
      case 'EXCEPTION':
        return listener.onChannelException?.(event.remoteAddr, event.channel, event.error);
    }
  }
}
