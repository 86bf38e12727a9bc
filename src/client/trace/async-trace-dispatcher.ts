import type { Logger } from '../../common/logger.js';
import { addTraceKeys, encodeTraceData, traceKeysBound } from './trace-data-encoder.js';
import type { TraceMessageText } from './trace-batch-encoder.js';
import type { TraceContext } from './trace-context.js';

/** TopicValidator.RMQ_SYS_TRACE_TOPIC: where Java's clients and the dashboard keep trace records by default. */
export const RMQ_SYS_TRACE_TOPIC = 'RMQ_SYS_TRACE_TOPIC';
/** TraceConstants.GROUP_NAME_PREFIX: the inner producer's group is "_INNER_TRACE_PRODUCER-<group>-<type>". */
const GROUP_NAME_PREFIX = '_INNER_TRACE_PRODUCER';

/**
 * The `trace` option of a producer or push consumer: on, or on with another topic than RMQ_SYS_TRACE_TOPIC.
 * `recall`: a producer also traces its recalls (Java's -Dcom.rocketmq.recall.default.trace.enable, off by default).
 */
export type TraceOption = boolean | { topic?: string; recall?: boolean };

/** Whether a traced producer traces its recalls too. */
export function traceRecallOf(option: TraceOption | undefined): boolean {
  return typeof option === 'object' && option.recall === true;
}

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

/** One trace message: records of up to maxMsgSize characters, keyed by their messages' ids and keys. */
export interface TraceMessage extends TraceMessageText {
  readonly topic: string;
}

/** What the dispatcher sends trace messages with: an untraced Producer of its own. */
export interface TraceProducer {
  start(): Promise<void>;
  /** Sends the messages in one request (a batch when there are several: each is stored as a message of its own). */
  send(messages: readonly TraceMessage[]): Promise<unknown>;
  shutdown(): Promise<void>;
}

export interface AsyncTraceDispatcherOptions {
  traceTopic: string;
  producer: TraceProducer;
  logger: Logger;
  /** Contexts waiting at most; more are dropped (and counted), since tracing must never slow sends or consumption. */
  queueCapacity?: number;
  /** Java's traceMsgBatchNum (at most 20): with no trace request out, a send starts as soon as this many contexts wait. */
  batchSize?: number;
  /** Fewer contexts are sent this long after the last send, ms. */
  flushIntervalMillis?: number;
  /** Longest trace message body in characters; a batch beyond is split into several messages. */
  maxMsgSize?: number;
  /** Trace requests in flight at once; contexts wait (up to queueCapacity) for one to finish. */
  maxRequestsInFlight?: number;
}

/**
 * AsyncTraceDispatcher's limits: 5 s flushes, 128 000 characters per body, batches of 20 contexts
 * (traceMsgBatchNum's maximum; Java's default is 10), and four requests in flight, as Java's trace send pool has
 * four threads at most. Java holds 2048 contexts in its traceContextQueue and, behind its send threads, up to 2048
 * send tasks of traceMsgBatchNum contexts each; ours queues contexts only, so it holds what Java holds at its
 * default traceMsgBatchNum: 2048 + 2048 x 10 contexts (a few MB), which a consumer at 100 k messages a second
 * fills in a tenth of a second of a stalled broker rather than in 10 ms.
 */
const DEFAULTS = { queueCapacity: 2048 + 2048 * 10, batchSize: 20, flushIntervalMillis: 5000, maxMsgSize: 128_000, maxRequestsInFlight: 4 };
/** Java's cap on traceMsgBatchNum. */
const MAX_BATCH_SIZE = 20;
/**
 * Body characters per request at most (four full trace messages, ~3 000 records): enough to make the per-request
 * cost small, and small enough that the broker's write of one request (a few ms) does not hold up the traced
 * client's own requests (its pulls) for long.
 */
const MAX_REQUEST_CHARS = 512_000;
/**
 * While a trace request is out, another starts only once this many contexts wait (about a full trace message of
 * 128 000 characters: records are 110-250 characters): under load the records go in full messages, few requests.
 */
const CONTEXTS_FOR_ANOTHER_REQUEST = 512;
/**
 * A trace message's KEYS at most, in bytes: its properties (KEYS, WAIT, UNIQ_KEY) must stay within the int16 length
 * a message record has. Only business keys of many kilobytes come near it.
 */
const MAX_KEYS_BYTES = 32_000;
/** A queue whose consumed head passes this many slots is compacted (when that is at least half of it). */
const QUEUE_COMPACT_AT = 1024;

/**
 * AsyncTraceDispatcher.java: traced clients append contexts without waiting; the dispatcher concatenates their
 * records into trace messages, indexed by the traced messages' ids and keys, as Java does. Java puts the contexts
 * of one batch (traceMsgBatchNum, at most 20) of one traced topic in a message, and sends each message on its own;
 * ours fills a message with whatever waits, up to maxMsgSize characters (Java's 128 000) and the keys a message
 * can hold, and the messages ready at once go out in one request (a batch send; the broker stores and indexes each
 * as a message of its own). The broker's work per record is what tracing costs most on a busy host: storing and
 * indexing a message of 370 records costs it about half as much per record as 37 messages of 20 (bench notes).
 * A request starts once batchSize contexts wait and none is out (so a lightly traced client's records go out at
 * once, as Java's), and another only once a full message's worth waits, up to maxRequestsInFlight: under load the
 * contexts that arrive meanwhile make the next message larger rather than adding messages and requests. Readers
 * (Java's decoder, the dashboard) take any number of records in a message. Sends are not awaited by anyone but
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
  private readonly maxRequestsInFlight: number;
  /** Contexts waiting are queue[head..]: batches are taken from the head without moving the rest. */
  private queue: TraceContext[] = [];
  private head = 0;
  private discarded = 0;
  private lastFlush = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private sendScheduled = false;
  private readonly inFlight = new Set<Promise<void>>();
  private running = false;

  constructor(options: AsyncTraceDispatcherOptions) {
    this.traceTopic = options.traceTopic;
    this.producer = options.producer;
    this.logger = options.logger;
    this.queueCapacity = options.queueCapacity ?? DEFAULTS.queueCapacity;
    this.batchSize = Math.min(options.batchSize ?? DEFAULTS.batchSize, MAX_BATCH_SIZE);
    this.flushIntervalMillis = options.flushIntervalMillis ?? DEFAULTS.flushIntervalMillis;
    this.maxMsgSize = options.maxMsgSize ?? DEFAULTS.maxMsgSize;
    this.maxRequestsInFlight = options.maxRequestsInFlight ?? DEFAULTS.maxRequestsInFlight;
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
    if (!this.running || this.queue.length - this.head >= this.queueCapacity) {
      this.discarded++;
      // Java logs every drop; one line per 1000 says the same without flooding a log at 100 k drops a second.
      if (this.running && this.discarded % 1000 === 1) this.logger.info(`trace buffer full, ${this.discarded} contexts dropped so far`);
      return false;
    }
    this.queue.push(ctx);
    if (this.sendable()) this.scheduleSend();
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
    this.sendQueued(true);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMillis)));
    await Promise.race([Promise.allSettled([...this.inFlight]), timeout]);
    clearTimeout(timer);
    await this.producer.shutdown();
  }

  /** Whether a request is due: batchSize contexts wait and none is out, or a full message's worth and a slot is free. */
  private sendable(): boolean {
    const waiting = this.queue.length - this.head;
    const inFlight = this.inFlight.size;
    return inFlight === 0 ? waiting >= this.batchSize : inFlight < this.maxRequestsInFlight && waiting >= CONTEXTS_FOR_ANOTHER_REQUEST;
  }

  /** Requests go out on the next turn of the event loop, so that the traced send or listener call returns first. */
  private scheduleSend(): void {
    if (this.sendScheduled) return;
    this.sendScheduled = true;
    setImmediate(() => {
      this.sendScheduled = false;
      this.sendQueued(false);
      if (this.queue.length > this.head) this.armTimer();
    });
  }

  /** A remainder smaller than a batch goes out flushIntervalMillis after the last send. */
  private armTimer(): void {
    if (this.timer !== undefined || !this.running) return;
    const delay = Math.max(0, this.lastFlush + this.flushIntervalMillis - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sendQueued(true);
    }, delay);
    // A client that has nothing else to do must not be kept alive by its tracing.
    this.timer.unref();
  }

  /**
   * Sends what is queued in requests of about MAX_REQUEST_CHARS while one is due (sendable); `all` sends
   * everything queued, slots or not (the timed flush and shutdown).
   */
  private sendQueued(all: boolean): void {
    while (all ? this.queue.length > this.head : this.sendable()) this.sendRequest(this.takeRequest());
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head >= QUEUE_COMPACT_AT && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * The trace messages of the next request, taken from the head of the queue: records concatenated into bodies of
   * at most maxMsgSize characters (a longer record goes alone) whose keys fit MAX_KEYS_BYTES, until the request
   * has MAX_REQUEST_CHARS or the queue is empty.
   */
  private takeRequest(): TraceMessage[] {
    const messages: TraceMessage[] = [];
    let chars = 0;
    let body = '';
    let keys = new Set<string>();
    let keyBytes = 0;
    while (this.head < this.queue.length && chars + body.length < MAX_REQUEST_CHARS) {
      const ctx = this.queue[this.head++] as TraceContext;
      const data = encodeTraceData(ctx);
      if (body.length > 0 && (body.length + data.length > this.maxMsgSize || keyBytes + traceKeysBound(ctx) > MAX_KEYS_BYTES)) {
        messages.push({ topic: this.traceTopic, body, keys: joinKeys(keys) });
        chars += body.length;
        body = '';
        keys = new Set();
        keyBytes = 0;
      }
      body += data;
      keyBytes += addTraceKeys(ctx, keys);
    }
    if (body.length > 0) messages.push({ topic: this.traceTopic, body, keys: joinKeys(keys) });
    return messages;
  }

  private sendRequest(messages: readonly TraceMessage[]): void {
    this.lastFlush = Date.now();
    const send = this.producer
      .send(messages)
      .then(
        () => undefined,
        (err: unknown) => this.logger.warn(`sending ${messages.length} trace messages to ${this.traceTopic} failed`, err),
      )
      .finally(() => {
        this.inFlight.delete(send);
        // Contexts that came in meanwhile go out as one request now.
        if (this.running && this.sendable()) this.scheduleSend();
      });
    this.inFlight.add(send);
  }
}

/**
 * Message.setKeys(Collection): the keys joined by spaces, as many as fit MAX_KEYS_BYTES (the first, the msgIds of
 * the earliest records, kept). A message is closed before its keys pass that, so only a context whose own keys do
 * (business keys of many kilobytes) loses some: a message whose properties pass the int16 length is refused whole,
 * and the records are worth storing even when some of their keys cannot be indexed.
 */
function joinKeys(keys: ReadonlySet<string>): string {
  // Joined at once: one flat string, where concatenating would leave a chain of pieces to flatten when it is written.
  const text = Array.from(keys).join(' ');
  // A UTF-16 unit is at most 3 UTF-8 bytes: the usual KEYS (20 ids) need no count.
  if (text.length * 3 <= MAX_KEYS_BYTES || Buffer.byteLength(text, 'utf8') <= MAX_KEYS_BYTES) return text;
  let kept = '';
  let bytes = 0;
  for (const key of keys) {
    bytes += Buffer.byteLength(key, 'utf8') + (kept === '' ? 0 : 1);
    if (bytes > MAX_KEYS_BYTES) break;
    kept = kept === '' ? key : `${kept} ${key}`;
  }
  return kept;
}
