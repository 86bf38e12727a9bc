import { silentLogger, type Logger } from '../../common/logger.js';
import type { PopEngine } from '../pop/pop-engine.js';
import type { GrpcConsumerConfig } from './consumer-config.js';
import { buildReceiptHandle, isExpired, parseReceiptHandle } from './receipt-handle.js';

/** RenewStrategyPolicy.java: the invisible time of the n-th renewal (1 m, 3 m, 5 m, 10 m, 30 m, then 1 h). */
const RENEW_STEPS_MILLIS = [1, 3, 5, 10, 30, 60].map((minutes) => minutes * 60_000);

/** A message handed to a push consumer with auto_renew and not settled yet (MessageReceiptHandle.java). */
export interface HeldMessage {
  readonly group: string;
  readonly topic: string;
  readonly messageId: string;
  /** The latest gRPC receipt handle (renewals replace it). */
  receiptHandle: string;
  readonly reconsumeTimes: number;
}

interface Held extends HeldMessage {
  readonly heldSince: number;
  renewTimes: number;
  renewRetryTimes: number;
}

export interface ReceiptHandleManagerDeps {
  engine: Pick<PopEngine, 'changeInvisibleTime'>;
  config: () => GrpcConsumerConfig;
  /** The group's retry delay after `reconsumeTimes` failed deliveries (its retry policy): a message held too long is given back with it. */
  retryDelayOf: (group: string, reconsumeTimes: number) => number;
  /** The most messages held at once (all clients); past it, new ones are not renewed (they come back after 60 s). */
  maxHeld?: number;
  now?: () => number;
  logger?: Logger;
}

const DEFAULT_MAX_HELD = 200_000;

/**
 * DefaultReceiptHandleManager.java: push consumers send auto_renew and no invisible time, so the server keeps what
 * it handed them invisible until they settle it. Every renewSchedulePeriod, a held message about to become visible
 * (within renewAheadTime) gets the next renew step; after renewMaxTime it is given back with the group's retry
 * delay instead. Ack, nack (ChangeInvisibleDuration) and forward-to-DLQ take the latest handle out first (the
 * client's may be stale). A client that leaves (termination, Telemetry closed, expiry) gives its held messages back
 * visible in invisibleTimeMillisWhenClear (1 s), so another consumer gets them soon. Keyed by (client, group,
 * message id), as Java's (channel, group, msgId); bounded by maxHeld.
 */
export class ReceiptHandleManager {
  private readonly byClient = new Map<string, Map<string, Held>>();
  private size = 0;
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private readonly now: () => number;
  private readonly logger: Logger;

  constructor(private readonly deps: ReceiptHandleManagerDeps) {
    this.now = deps.now ?? Date.now;
    this.logger = deps.logger ?? silentLogger;
  }

  get heldCount(): number {
    return this.size;
  }

  start(): void {
    const schedule = (): void => {
      this.timer = setTimeout(() => {
        this.scanning = this.renewDue().finally(schedule);
      }, this.deps.config().renewSchedulePeriodMillis);
      this.timer.unref();
    };
    schedule();
  }

  async shutdown(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.scanning;
  }

  add(clientId: string, message: HeldMessage): void {
    let held = this.byClient.get(clientId);
    if (held === undefined) {
      held = new Map();
      this.byClient.set(clientId, held);
    }
    const key = keyOf(message.group, message.messageId);
    if (!held.has(key)) {
      if (this.size >= (this.deps.maxHeld ?? DEFAULT_MAX_HELD)) {
        this.logger.warn(`gRPC auto-renew: ${this.size} messages held, ${message.messageId} of ${message.group} is not renewed`);
        return;
      }
      this.size++;
    }
    held.set(key, { ...message, heldSince: this.now(), renewTimes: 0, renewRetryTimes: 0 });
  }

  /** Stops renewing the message; its latest handle, or undefined when it was not held (not auto-renewed, or given up). */
  remove(clientId: string, group: string, messageId: string): string | undefined {
    const held = this.byClient.get(clientId);
    const key = keyOf(group, messageId);
    const message = held?.get(key);
    if (held === undefined || message === undefined) return undefined;
    held.delete(key);
    this.size--;
    if (held.size === 0) this.byClient.delete(clientId);
    return message.receiptHandle;
  }

  /** The client is gone: what it held is visible again shortly (ReceiptHandleManager.clearGroup). */
  async clearClient(clientId: string): Promise<void> {
    const held = this.byClient.get(clientId);
    if (held === undefined) return;
    this.byClient.delete(clientId);
    this.size -= held.size;
    const invisibleTime = this.deps.config().invisibleTimeMillisWhenClear;
    for (const message of held.values()) await this.change(message, invisibleTime);
  }

  /** One renewal round (the scheduled task; tests call it directly). */
  async renewDue(): Promise<void> {
    const config = this.deps.config();
    for (const [clientId, held] of [...this.byClient]) {
      for (const [key, message] of [...held]) {
        const keep = await this.renewOne(message, config);
        if (!keep && held.get(key) === message) {
          held.delete(key);
          this.size--;
        }
      }
      if (held.size === 0 && this.byClient.get(clientId) === held) this.byClient.delete(clientId);
    }
  }

  /** False when the message is no longer held afterwards. */
  private async renewOne(message: Held, config: GrpcConsumerConfig): Promise<boolean> {
    let handle;
    try {
      handle = parseReceiptHandle(message.receiptHandle);
    } catch {
      return false;
    }
    const now = this.now();
    if (isExpired(handle, now)) return false;
    if (handle.info.popTime + handle.info.invisibleTime - now > config.renewAheadTimeMillis) return true;
    if (message.renewRetryTimes >= config.maxRenewRetryTimes) return false;
    if (now - message.heldSince >= config.renewMaxTimeMillis) {
      await this.change(message, this.deps.retryDelayOf(message.group, message.reconsumeTimes));
      return false;
    }
    const step = RENEW_STEPS_MILLIS[Math.min(message.renewTimes, RENEW_STEPS_MILLIS.length - 1)] as number;
    try {
      const changed = await this.deps.engine.changeInvisibleTime({ group: message.group, topic: message.topic, receiptHandle: handle.popHandle, invisibleTime: step });
      if (changed === undefined) return false;
      message.receiptHandle = buildReceiptHandle(changed.receiptHandle, handle.commitLogOffset);
      message.renewTimes++;
      message.renewRetryTimes = 0;
      return true;
    } catch (err) {
      message.renewRetryTimes++;
      this.logger.warn(`gRPC auto-renew of ${message.messageId} (${message.group}) failed: ${String(err)}`);
      return true;
    }
  }

  private async change(message: HeldMessage, invisibleTime: number): Promise<void> {
    try {
      const handle = parseReceiptHandle(message.receiptHandle);
      if (isExpired(handle, this.now())) return;
      await this.deps.engine.changeInvisibleTime({ group: message.group, topic: message.topic, receiptHandle: handle.popHandle, invisibleTime });
    } catch (err) {
      this.logger.warn(`gRPC: giving back ${message.messageId} (${message.group}) failed: ${String(err)}`);
    }
  }
}

function keyOf(group: string, messageId: string): string {
  return `${group}\u0001${messageId}`;
}
