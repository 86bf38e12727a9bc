import type { Logger } from '../../common/logger.js';
import { encodeTraceContext } from './trace-data-encoder.js';
import type { TraceContext } from './trace-context.js';

/** TopicValidator.RMQ_SYS_TRACE_TOPIC: where Java's clients and the dashboard keep trace records by default. */
export const RMQ_SYS_TRACE_TOPIC = 'RMQ_SYS_TRACE_TOPIC';
/** TraceConstants.GROUP_NAME_PREFIX: the inner producer's group is "_INNER_TRACE_PRODUCER-<group>-<type>". */
const GROUP_NAME_PREFIX = '_INNER_TRACE_PRODUCER';

/** The `trace` option of a producer or push consumer: on, or on with another topic than RMQ_SYS_TRACE_TOPIC. */
export type TraceOption = boolean | { topic?: string };

/** The trace topic the option asks for; undefined when tracing is off. */
export function traceTopicOf(option: TraceOption | undefined): string | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return RMQ_SYS_TRACE_TOPIC;
  return option.topic === undefined || option.topic === '' ? RMQ_SYS_TRACE_TOPIC : option.topic;
}

/** The group of the producer that sends a traced client's records (Java's genGroupNameForTrace, without its counter). */
export function traceProducerGroup(group: string, type: 'PRODUCE' | 'CONSUME'): string {
  return `${GROUP_NAME_PREFIX}-${group}-${type}`;
}

/** What the dispatcher sends trace messages with: an untraced Producer of its own. */
export interface TraceProducer {
  start(): Promise<void>;
  send(message: { topic: string; body: string; keys: readonly string[] }): Promise<unknown>;
  shutdown(): Promise<void>;
}

export interface AsyncTraceDispatcherOptions {
  traceTopic: string;
  producer: TraceProducer;
  logger: Logger;
  /** Contexts held at most; more are dropped (and counted), since tracing must never slow sends or consumption. */
  queueCapacity?: number;
  /** Contexts per trace send: a send starts as soon as this many are queued. */
  batchSize?: number;
  /** Fewer contexts are sent this long after the last send, ms. */
  flushIntervalMillis?: number;
  /** Longest trace message body in characters; a batch beyond is split into several messages. */
  maxMsgSize?: number;
}

/** AsyncTraceDispatcher's defaults: traceContextQueue of 2048, batches of 10, 5 s flushes, 128 000 per body. */
const DEFAULTS = { queueCapacity: 2048, batchSize: 10, flushIntervalMillis: 5000, maxMsgSize: 128_000 };

/**
 * AsyncTraceDispatcher.java: traced clients append contexts without waiting; the dispatcher sends them in batches
 * as trace messages, each indexed by the traced messages' ids and keys. Sends are not awaited by anyone but
 * shutdown, and a failed one is logged and forgotten, as Java's callback does.
 */
export class AsyncTraceDispatcher {
  readonly traceTopic: string;
  private readonly producer: TraceProducer;
  private readonly logger: Logger;
  private readonly queueCapacity: number;
  private readonly batchSize: number;
  private readonly flushIntervalMillis: number;
  private readonly maxMsgSize: number;
  private queue: TraceContext[] = [];
  private discarded = 0;
  private lastFlush = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private batchScheduled = false;
  private readonly inFlight = new Set<Promise<void>>();
  private running = false;

  constructor(options: AsyncTraceDispatcherOptions) {
    this.traceTopic = options.traceTopic;
    this.producer = options.producer;
    this.logger = options.logger;
    this.queueCapacity = options.queueCapacity ?? DEFAULTS.queueCapacity;
    this.batchSize = options.batchSize ?? DEFAULTS.batchSize;
    this.flushIntervalMillis = options.flushIntervalMillis ?? DEFAULTS.flushIntervalMillis;
    this.maxMsgSize = options.maxMsgSize ?? DEFAULTS.maxMsgSize;
  }

  /** Contexts dropped because the queue was full (or the dispatcher not running). */
  get discardCount(): number {
    return this.discarded;
  }

  /** Starts the inner producer. A failure is logged, not thrown: as Java's, a client runs on untraced then. */
  async start(): Promise<void> {
    if (this.running) return;
    try {
      await this.producer.start();
      this.running = true;
      this.lastFlush = Date.now();
    } catch (err) {
      this.logger.warn(`the trace producer for ${this.traceTopic} did not start; tracing is off`, err);
    }
  }

  /** Queues a context; false when it was dropped. Never blocks and never throws. */
  append(ctx: TraceContext): boolean {
    if (!this.running || this.queue.length >= this.queueCapacity) {
      this.discarded++;
      if (this.running) this.logger.info(`trace buffer full, ${this.discarded} contexts dropped so far`);
      return false;
    }
    this.queue.push(ctx);
    if (this.queue.length >= this.batchSize) this.scheduleBatches();
    else this.armTimer();
    return true;
  }

  /**
   * Sends what is queued, waits up to `timeoutMillis` for the trace sends in flight, and stops the inner producer
   * (which lets its own sends settle, within their timeout). Idempotent.
   */
  async shutdown(timeoutMillis: number): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flush();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMillis)));
    await Promise.race([Promise.allSettled([...this.inFlight]), timeout]);
    clearTimeout(timer);
    await this.producer.shutdown();
  }

  /** Full batches go out on the next turn of the event loop, so that the traced send or listener call returns first. */
  private scheduleBatches(): void {
    if (this.batchScheduled) return;
    this.batchScheduled = true;
    setImmediate(() => {
      this.batchScheduled = false;
      while (this.queue.length >= this.batchSize) this.sendBatch(this.queue.splice(0, this.batchSize));
      if (this.queue.length > 0) this.armTimer();
    });
  }

  /** A remainder smaller than a batch goes out flushIntervalMillis after the last send. */
  private armTimer(): void {
    if (this.timer !== undefined || !this.running) return;
    const delay = Math.max(0, this.lastFlush + this.flushIntervalMillis - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, delay);
    // A client that has nothing else to do must not be kept alive by its tracing.
    this.timer.unref();
  }

  /** Sends everything queued, a batch at a time. */
  private flush(): void {
    while (this.queue.length > 0) this.sendBatch(this.queue.splice(0, this.batchSize));
  }

  /** One batch: its records concatenated into bodies of at most maxMsgSize characters (a longer record goes alone). */
  private sendBatch(contexts: readonly TraceContext[]): void {
    this.lastFlush = Date.now();
    let body = '';
    let keys = new Set<string>();
    for (const ctx of contexts) {
      const bean = encodeTraceContext(ctx);
      if (body.length > 0 && body.length + bean.transData.length > this.maxMsgSize) {
        this.sendTraceData(body, keys);
        body = '';
        keys = new Set();
      }
      body += bean.transData;
      for (const key of bean.transKeys) keys.add(key);
    }
    if (body.length > 0) this.sendTraceData(body, keys);
  }

  private sendTraceData(body: string, keys: ReadonlySet<string>): void {
    const send = this.producer
      .send({ topic: this.traceTopic, body, keys: [...keys] })
      .then(
        () => undefined,
        (err: unknown) => this.logger.warn(`sending trace data to ${this.traceTopic} failed`, err),
      )
      .finally(() => this.inFlight.delete(send));
    this.inFlight.add(send);
  }
}
