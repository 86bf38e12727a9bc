import type { ReplyMessage } from './reply-message.js';

/** Why a request ended without its reply. */
export type RequestFailure = 'timeout' | 'send_failed' | 'aborted' | 'shutdown';

/** A request waiting for its reply (Java's RequestResponseFuture): settled exactly once, by whoever comes first. */
export interface RequestResponseFuture {
  readonly correlationId: string;
  /** The producer that sent the request (its shutdown fails its own requests). */
  readonly owner: object;
  /** The reply came. */
  complete(reply: ReplyMessage): void;
  /** The send failed, the timeout passed, the caller aborted, or the producer shut down. */
  fail(error: unknown, why: RequestFailure): void;
}

/**
 * RequestFutureHolder.java: the requests of one client instance waiting for their replies, by CORRELATION_ID. Java
 * keeps one table per JVM and scans it every second for timeouts; here each client instance has its own (a reply
 * comes back over the connection of the instance whose client id it names) and each request its own timer.
 */
export class RequestFutureHolder {
  private readonly table = new Map<string, RequestResponseFuture>();

  get size(): number {
    return this.table.size;
  }

  register(future: RequestResponseFuture): void {
    if (this.table.has(future.correlationId)) throw new Error(`request ${future.correlationId} is already waiting`);
    this.table.set(future.correlationId, future);
  }

  /** Whether a request still waits for the reply with this CORRELATION_ID. */
  has(correlationId: string): boolean {
    return this.table.has(correlationId);
  }

  /** Hands a reply to its request; false when no request waits for its CORRELATION_ID (late, or not ours). */
  complete(reply: ReplyMessage): boolean {
    const future = this.table.get(reply.correlationId);
    if (future === undefined) return false;
    this.table.delete(reply.correlationId);
    future.complete(reply);
    return true;
  }

  /** Fails one request, if it still waits. */
  fail(correlationId: string, error: unknown, why: RequestFailure): void {
    const future = this.table.get(correlationId);
    if (future === undefined) return;
    this.table.delete(correlationId);
    future.fail(error, why);
  }

  /** Fails every request of `owner` (or every request at all) as shut down, each with the error `error` makes for it. */
  failAll(error: (future: RequestResponseFuture) => unknown, owner?: object): void {
    for (const future of [...this.table.values()]) {
      if (owner !== undefined && future.owner !== owner) continue;
      this.table.delete(future.correlationId);
      future.fail(error(future), 'shutdown');
    }
  }
}
