import {
  RemotingSendRequestError,
  RemotingTimeoutError,
  RocketMQError,
} from '../common/errors.js';
import type { Release } from '../common/semaphore.js';
import type { RemotingCommand } from '../protocol/remoting-command.js';
import type { RemotingChannel } from './remoting-channel.js';

/**
 * Why an invocation failed, without an Error's cost: the public error is built by the awaiting async caller,
 * so its stack shows the caller's frames (V8 async stack traces) instead of a timer's.
 */
export class InvokeFailure {
  constructor(
    readonly kind: 'timeout' | 'send' | 'closed' | 'shutdown',
    readonly addr: string,
    readonly timeoutMillis: number,
    readonly cause?: unknown,
  ) {}

  toError(): RocketMQError {
    switch (this.kind) {
      case 'timeout':
        return new RemotingTimeoutError(this.addr, this.timeoutMillis);
      case 'send':
        return new RemotingSendRequestError(this.addr, `send request to ${this.addr} failed`, { cause: this.cause });
      case 'closed':
        return new RemotingSendRequestError(this.addr, `connection to ${this.addr} closed before the response`);
      case 'shutdown':
        return new RemotingSendRequestError(this.addr, `remoting endpoint shut down before the response from ${this.addr}`);
    }
  }
}

export type InvokeOutcome = RemotingCommand | InvokeFailure;

/** ResponseFuture.java: one request waiting for its response, keyed by opaque in the response table. */
export class ResponseFuture {
  private settled = false;

  constructor(
    readonly opaque: number,
    readonly channel: RemotingChannel,
    readonly timeoutMillis: number,
    readonly beginTimestamp: number,
    private readonly complete: (outcome: InvokeOutcome) => void,
    private readonly release: Release | undefined,
  ) {}

  /** Settles once: the permit is returned and the waiter told, whichever path (response, scan, close) comes first. */
  settle(outcome: InvokeOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.release?.();
    this.complete(outcome);
  }

  isExpired(now: number, graceMillis: number): boolean {
    return this.beginTimestamp + this.timeoutMillis + graceMillis <= now;
  }
}
