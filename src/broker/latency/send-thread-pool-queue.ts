import { RemotingCommand } from '../../protocol/remoting-command.js';
import { ResponseCode } from '../../protocol/response-code.js';

/**
 * How many sends may be inside the store at once. A put is synchronous up to its write(2), so in ASYNC_FLUSH
 * sends leave at once; in SYNC_FLUSH they wait for the group commit, and all of those waiting share one fsync,
 * so the bound must be large enough not to throttle group commit, and small enough that a stalled disk makes
 * later sends queue here (and fail fast) instead of piling up until the client times out.
 */
export const MAX_SENDS_IN_STORE = 256;

export interface SendThreadPoolQueueOptions {
  maxInFlight?: number;
  /** sendThreadPoolQueueCapacity: beyond this many waiting sends, SYSTEM_BUSY at once. */
  capacity: () => number;
  /** brokerFastFailureEnable and waitTimeMillsInSendQueue, read on every check (runtime-updatable). */
  fastFailureEnable: () => boolean;
  waitTimeMillsInSendQueue: () => number;
}

interface Waiting {
  readonly run: () => Promise<RemotingCommand>;
  readonly resolve: (response: RemotingCommand) => void;
  readonly enqueuedAt: number;
}

/**
 * Java's send thread pool with its sendThreadPoolQueue, cleaned as BrokerFastFailure does: a send that waited
 * waitTimeMillsInSendQueue without reaching the store is answered SYSTEM_BUSY "[TIMEOUT_CLEAN_QUEUE]", a
 * definite "not stored" the producer retries elsewhere (D10), instead of a client-side timeout whose outcome is
 * unknown. Java scans every 10 ms; here a timer is armed for the moment the oldest waiting send expires.
 */
export class SendThreadPoolQueue {
  private inFlight = 0;
  private readonly queue: Waiting[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly maxInFlight: number;

  constructor(private readonly options: SendThreadPoolQueueOptions) {
    this.maxInFlight = options.maxInFlight ?? MAX_SENDS_IN_STORE;
  }

  get size(): number {
    return this.queue.length - this.head;
  }

  /** How long the oldest waiting send has waited, in ms (GET_BROKER_RUNTIME_INFO's sendThreadPoolQueueHeadWaitTimeMills). */
  headWaitMillis(now = Date.now()): number {
    const first = this.queue[this.head];
    return first === undefined ? 0 : now - first.enqueuedAt;
  }

  /** Runs `run` now, or when a slot frees; resolves with its response or with SYSTEM_BUSY. */
  submit(run: () => Promise<RemotingCommand>): Promise<RemotingCommand> {
    if (this.inFlight < this.maxInFlight) return this.start(run);
    if (this.size >= this.options.capacity()) {
      return Promise.resolve(RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_BUSY, '[OVERLOAD]system busy, start flow control for a while'));
    }
    return new Promise<RemotingCommand>((resolve) => {
      this.queue.push({ run, resolve, enqueuedAt: Date.now() });
      this.armTimer();
    });
  }

  /** Answers every waiting send SYSTEM_BUSY (the broker is stopping) and stops the timer. */
  shutdown(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.size > 0) this.take().resolve(RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_BUSY, 'the broker is shutting down'));
  }

  private start(run: () => Promise<RemotingCommand>): Promise<RemotingCommand> {
    this.inFlight++;
    const done = (): void => {
      this.inFlight--;
      this.next();
    };
    const result = run();
    result.then(done, done);
    return result;
  }

  private next(): void {
    if (this.inFlight >= this.maxInFlight || this.size === 0) return;
    const waiting = this.take();
    this.start(waiting.run).then(waiting.resolve, (err: unknown) => {
      waiting.resolve(RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, String(err)));
    });
  }

  private take(): Waiting {
    const waiting = this.queue[this.head] as Waiting;
    this.queue[this.head] = undefined as unknown as Waiting;
    this.head++;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return waiting;
  }

  private armTimer(): void {
    if (this.timer !== undefined || this.size === 0 || !this.options.fastFailureEnable()) return;
    const delay = Math.max(0, this.options.waitTimeMillsInSendQueue() - this.headWaitMillis());
    this.timer = setTimeout(() => this.cleanExpiredRequest(), delay);
    this.timer.unref();
  }

  /** BrokerFastFailure.cleanExpiredRequestInQueue: the oldest sends first, while they are past the limit. */
  private cleanExpiredRequest(): void {
    this.timer = undefined;
    const limit = this.options.waitTimeMillsInSendQueue();
    const now = Date.now();
    while (this.size > 0 && this.options.fastFailureEnable() && this.headWaitMillis(now) >= limit) {
      const behind = this.headWaitMillis(now);
      this.take().resolve(
        RemotingCommand.createResponseCommand(
          ResponseCode.SYSTEM_BUSY,
          `[TIMEOUT_CLEAN_QUEUE]broker busy, start flow control for a while, period in queue: ${behind}ms, size of queue: ${this.size}`,
        ),
      );
    }
    this.armTimer();
  }
}
