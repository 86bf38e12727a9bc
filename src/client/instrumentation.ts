import { RemotingTimeoutError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { MessageQueue } from '../protocol/bodies/message-queue.js';
import { MessageConst } from '../protocol/message/message-const.js';
import type { MessageExt } from '../protocol/message/message.js';
import type { RemotingCommand } from '../protocol/remoting-command.js';
import type { ChannelEventListener } from '../remoting/channel-event.js';
import { RemotingClient, type RemotingClientOptions } from '../remoting/remoting-client.js';
import type { RPCHook } from '../remoting/rpc-hook.js';
import type { PullStatus } from './consumer/consumer-api.js';
import type { RequestFailure } from './producer/request-future-holder.js';

/** Every event a listener receives, as kafkajs shapes them: a process-wide id, the type, when, and what. */
export interface InstrumentationEvent<T extends string = string, P = unknown> {
  readonly id: number;
  readonly type: T;
  /** ms since the epoch. */
  readonly timestamp: number;
  readonly payload: P;
}

/** A listener may be async; a throw or a rejection is logged and never reaches the client. */
export type InstrumentationListener<E extends InstrumentationEvent> = (event: E) => unknown;

/** `on` returns this: removes the listener (idempotent). */
export type RemoveInstrumentationListener = () => void;

// ---- payloads ----

/** A response arrived for a request this client sent (through any of its brokers or name servers). */
export interface RequestPayload {
  address: string;
  /** RequestCode of the request. */
  code: number;
  opaque: number;
  /** ResponseCode the peer answered with. */
  responseCode: number;
  /** From just before the request was written to the response, ms. */
  duration: number;
}

export interface RequestTimeoutPayload {
  address: string;
  code: number;
  opaque: number;
  /** The timeout the call was given, ms. */
  timeout: number;
}

/** A connection of the client instance opened (connect) or closed (disconnect). */
export interface ConnectionPayload {
  address: string;
}

/** A broker accepted the instance's heartbeat. */
export interface HeartbeatPayload {
  brokerName: string;
  address: string;
  /** The broker's version, as its response states it. */
  brokerVersion: number;
}

export interface LifecyclePayload {
  group: string;
  clientId: string;
}

/** A rebalance changed the queues this consumer owns for `topic`. */
export interface RebalancePayload {
  topic: string;
  /** Every queue of the topic owned now. */
  queues: MessageQueue[];
  added: MessageQueue[];
  removed: MessageQueue[];
}

export interface PullPayload {
  queue: MessageQueue;
  status: PullStatus;
  /** Messages handed to the listener (after tag filtering); 0 unless FOUND. */
  messageCount: number;
  nextOffset: number;
  /** Of the pull request, long-polling included, ms. */
  duration: number;
}

export interface ConsumeStartPayload {
  queue: MessageQueue;
  messageCount: number;
  firstOffset: number;
  lastOffset: number;
  /** Messages in the queue after this batch when it was pulled: the queue's max offset - (lastOffset + 1). */
  lag: number;
}

export interface ConsumeEndPayload extends ConsumeStartPayload {
  duration: number;
  /** RECONSUME_LATER also when the listener threw. */
  result: 'CONSUME_SUCCESS' | 'RECONSUME_LATER';
}

/** poll() handed out one pull's messages (the LitePullConsumer's application consumes them after it). */
export interface PollPayload extends ConsumeStartPayload {
  /** Spent in poll(), waiting for the messages included, ms. */
  duration: number;
}

/** Offsets sent to the broker (clustering: UPDATE_CONSUMER_OFFSET), each the next offset to consume. */
export interface CommitOffsetsPayload {
  offsets: { queue: MessageQueue; offset: number }[];
}

/**
 * A background task of the client failed in a way it does not recover from by itself. As in Java, failures the
 * client retries (a pull, a heartbeat, a rebalance, a listener that throws: RECONSUME_LATER, an undecodable pull
 * body: skipped) are no crash. An unexpected error escaping a one-shot task is (Java's PullMessageService logs it
 * and loses the pull request): a pull loop that ends so leaves its queue unpulled until a rebalance drops it.
 */
export interface CrashPayload {
  error: unknown;
  /** The task that failed: "pullMessage" (a pull loop of either consumer), or "delayed task" for the others (offset moves, local retries). */
  where: string;
  /** The queue of a pull loop. */
  queue?: MessageQueue | undefined;
}

/** The events the client instance fans out to every producer and consumer registered on it. */
export interface NetworkEventPayloads {
  'network.request': RequestPayload;
  'network.request_timeout': RequestTimeoutPayload;
  'network.connect': ConnectionPayload;
  'network.disconnect': ConnectionPayload;
  heartbeat: HeartbeatPayload;
}

export interface ProducerEventPayloads extends NetworkEventPayloads {
  start: LifecyclePayload;
  stop: LifecyclePayload;
  transaction_end: TransactionEndPayload;
  transaction_check: TransactionCheckPayload;
  request_end: RequestEndPayload;
}

/** A request (Producer.request) ended: its reply came, or it failed. */
export interface RequestEndPayload {
  group: string;
  topic: string;
  /** The request's CORRELATION_ID, which its reply carries. */
  correlationId: string;
  /** From the call to the reply or the failure, ms. */
  duration: number;
  /**
   * `reply`; `timeout` (no reply within the timeout: RequestTimeoutError), `send_failed` (the request could not be
   * sent), `aborted` (its AbortSignal), `shutdown` (the producer shut down first).
   */
  outcome: 'reply' | RequestFailure;
  /** What the request was rejected with, unless it got its reply. */
  error?: unknown;
}

/** A transactional producer ended a transaction: after its local transaction, or answering a broker's check. */
export interface TransactionEndPayload {
  group: string;
  /** The message's UNIQ_KEY. */
  msgId: string;
  transactionId: string | undefined;
  state: 'COMMIT_MESSAGE' | 'ROLLBACK_MESSAGE' | 'UNKNOW';
  fromTransactionCheck: boolean;
  brokerAddr: string;
  /** What the local transaction or the checker threw (sent to the broker as the remark). */
  error?: string;
}

/** A broker asked a transactional producer about a half message; `state` is the checker's answer. */
export interface TransactionCheckPayload {
  group: string;
  msgId: string;
  transactionId: string | undefined;
  topic: string;
  brokerAddr: string;
  /** TRANSACTION_CHECK_TIMES: how many times the broker has asked, this one included. */
  checkTimes: number;
  state: 'COMMIT_MESSAGE' | 'ROLLBACK_MESSAGE' | 'UNKNOW';
  durationMs: number;
}

export interface ConsumerEventPayloads extends NetworkEventPayloads {
  start: LifecyclePayload;
  stop: LifecyclePayload;
  rebalance: RebalancePayload;
  pull: PullPayload;
  consume_start: ConsumeStartPayload;
  consume_end: ConsumeEndPayload;
  commit_offsets: CommitOffsetsPayload;
  crash: CrashPayload;
}

/**
 * The LitePullConsumer's. The application consumes after poll(), so poll takes the place of consume_start and
 * consume_end; the map still extends the PushConsumer's only so the RebalanceImpl both share can emit into it.
 * LitePullConsumerEvents lists what a LitePullConsumer emits, and its `on` refuses any other type.
 */
export interface LitePullConsumerEventPayloads extends ConsumerEventPayloads {
  poll: PollPayload;
}

// ---- event names ----

export const ProducerEvents = {
  START: 'producer.start',
  STOP: 'producer.stop',
  REQUEST: 'producer.network.request',
  REQUEST_TIMEOUT: 'producer.network.request_timeout',
  CONNECT: 'producer.network.connect',
  DISCONNECT: 'producer.network.disconnect',
  HEARTBEAT: 'producer.heartbeat',
  TRANSACTION_END: 'producer.transaction_end',
  TRANSACTION_CHECK: 'producer.transaction_check',
  REQUEST_END: 'producer.request_end',
} as const;

export const ConsumerEvents = {
  START: 'consumer.start',
  STOP: 'consumer.stop',
  REQUEST: 'consumer.network.request',
  REQUEST_TIMEOUT: 'consumer.network.request_timeout',
  CONNECT: 'consumer.network.connect',
  DISCONNECT: 'consumer.network.disconnect',
  HEARTBEAT: 'consumer.heartbeat',
  REBALANCE: 'consumer.rebalance',
  PULL: 'consumer.pull',
  CONSUME_START: 'consumer.consume_start',
  CONSUME_END: 'consumer.consume_end',
  COMMIT_OFFSETS: 'consumer.commit_offsets',
  CRASH: 'consumer.crash',
} as const;

export const LitePullConsumerEvents = {
  START: 'consumer.start',
  STOP: 'consumer.stop',
  REQUEST: 'consumer.network.request',
  REQUEST_TIMEOUT: 'consumer.network.request_timeout',
  CONNECT: 'consumer.network.connect',
  DISCONNECT: 'consumer.network.disconnect',
  HEARTBEAT: 'consumer.heartbeat',
  REBALANCE: 'consumer.rebalance',
  PULL: 'consumer.pull',
  POLL: 'consumer.poll',
  COMMIT_OFFSETS: 'consumer.commit_offsets',
  CRASH: 'consumer.crash',
} as const;

/** Full event type -> payload, e.g. { 'consumer.pull': PullPayload, ... }. */
export type PrefixedPayloads<Prefix extends string, P> = { [K in keyof P & string as `${Prefix}.${K}`]: P[K] };

export type ProducerEventType = (typeof ProducerEvents)[keyof typeof ProducerEvents];
export type ConsumerEventType = (typeof ConsumerEvents)[keyof typeof ConsumerEvents];
export type LitePullConsumerEventType = (typeof LitePullConsumerEvents)[keyof typeof LitePullConsumerEvents];
/** Event type -> payload of each client; indexing them by the constants also checks the two agree. */
export type ProducerEventMap = PrefixedPayloads<'producer', ProducerEventPayloads>;
export type ConsumerEventMap = PrefixedPayloads<'consumer', ConsumerEventPayloads>;
export type LitePullConsumerEventMap = Pick<PrefixedPayloads<'consumer', LitePullConsumerEventPayloads>, LitePullConsumerEventType>;

let nextEventId = 0;

/**
 * The typed emitter behind a client's `on`: listeners subscribe by full type ("consumer.pull"), the client emits
 * by short name ("pull"). Emitting checks for listeners first, and callers on hot paths call `has` before they
 * build a payload, so a client nobody listens to pays a map lookup per event point and nothing more.
 */
export class InstrumentationEmitter<Prefix extends string, P extends object> {
  private readonly listeners = new Map<string, Set<(event: InstrumentationEvent) => unknown>>();
  private readonly names: ReadonlySet<string>;

  /**
   * @param view what listeners are shown instead of a payload (a namespaced client's names without the namespace);
   * applied only once someone listens.
   */
  constructor(
    readonly prefix: Prefix,
    types: Readonly<Record<string, string>>,
    private readonly logger: Logger,
    private readonly view?: (payload: object) => object,
  ) {
    this.names = new Set(Object.values(types).map((type) => type.slice(prefix.length + 1)));
  }

  /** Subscribes to one event type; throws a TypeError for a type this client never emits (a typo, surely). */
  on<T extends keyof PrefixedPayloads<Prefix, P> & string>(
    type: T,
    listener: InstrumentationListener<InstrumentationEvent<T, PrefixedPayloads<Prefix, P>[T]>>,
  ): RemoveInstrumentationListener {
    const name = type.startsWith(`${this.prefix}.`) ? type.slice(this.prefix.length + 1) : '';
    if (!this.names.has(name)) {
      throw new TypeError(`unknown event ${String(type)}; one of: ${[...this.names].map((n) => `${this.prefix}.${n}`).join(', ')}`);
    }
    let set = this.listeners.get(name);
    if (set === undefined) this.listeners.set(name, (set = new Set()));
    // A wrapper per subscription, so one function subscribed twice is removed once per remover.
    const entry = (event: InstrumentationEvent): unknown => listener(event as InstrumentationEvent<T, PrefixedPayloads<Prefix, P>[T]>);
    set.add(entry);
    return () => {
      set.delete(entry);
      if (set.size === 0 && this.listeners.get(name) === set) this.listeners.delete(name);
    };
  }

  has(name: keyof P & string): boolean {
    return this.listeners.has(name);
  }

  /** Calls every listener of `name` synchronously, in subscription order; none can throw at the caller. */
  emit<N extends keyof P & string>(name: N, payload: P[N]): void {
    const set = this.listeners.get(name);
    if (set === undefined) return;
    const shown = this.view === undefined ? payload : this.view(payload as object);
    const event: InstrumentationEvent = { id: nextEventId++, type: `${this.prefix}.${name}`, timestamp: Date.now(), payload: shown };
    for (const listener of [...set]) {
      try {
        const result = listener(event);
        if (result instanceof Promise) result.catch((err: unknown) => this.listenerFailed(event.type, err));
      } catch (err) {
        this.listenerFailed(event.type, err);
      }
    }
  }

  private listenerFailed(type: string, err: unknown): void {
    this.logger.error(`a listener of ${type} failed`, err);
  }
}

/** What the client instance needs of each client's emitter to fan its events out. */
export interface NetworkEventSink {
  has(name: keyof NetworkEventPayloads): boolean;
  emit<N extends keyof NetworkEventPayloads>(name: N, payload: NetworkEventPayloads[N]): void;
}

/**
 * The client instance's side: one RPC hook (request durations), one channel listener (connects and
 * disconnects) and the timeout reports of its RemotingClient, delivered to every sink (producer, consumer)
 * registered on the instance.
 */
export class NetworkInstrumentation implements RPCHook, ChannelEventListener {
  private readonly sinks = new Set<NetworkEventSink>();
  /** Requests in flight while someone listens: when each was written. Weak, so a lost response leaks nothing. */
  private readonly started = new WeakMap<RemotingCommand, number>();

  /**
   * @param inboundCodes request codes brokers send to the client: their hooks run too (around our processor),
   * but they are not requests of ours.
   */
  constructor(private readonly inboundCodes: ReadonlySet<number>) {}

  add(sink: NetworkEventSink): RemoveInstrumentationListener {
    this.sinks.add(sink);
    return () => void this.sinks.delete(sink);
  }

  has(name: keyof NetworkEventPayloads): boolean {
    for (const sink of this.sinks) if (sink.has(name)) return true;
    return false;
  }

  emit<N extends keyof NetworkEventPayloads>(name: N, payload: NetworkEventPayloads[N]): void {
    for (const sink of this.sinks) sink.emit(name, payload);
  }

  doBeforeRequest(_remoteAddr: string, request: RemotingCommand): void {
    if (this.sinks.size === 0 || !this.has('network.request')) return;
    this.started.set(request, performance.now());
  }

  doAfterResponse(remoteAddr: string, request: RemotingCommand, response: RemotingCommand): void {
    const start = this.started.get(request);
    if (start === undefined || this.inboundCodes.has(request.code)) return;
    this.started.delete(request);
    const duration = performance.now() - start;
    this.emit('network.request', { address: remoteAddr, code: request.code, opaque: request.opaque, responseCode: response.code, duration });
  }

  onChannelConnect(remoteAddr: string): void {
    this.emit('network.connect', { address: remoteAddr });
  }

  onChannelClose(remoteAddr: string): void {
    this.emit('network.disconnect', { address: remoteAddr });
  }

  requestTimedOut(err: unknown, request: RemotingCommand): void {
    if (!(err instanceof RemotingTimeoutError)) return;
    this.emit('network.request_timeout', { address: err.addr, code: request.code, opaque: request.opaque, timeout: err.timeoutMillis });
  }
}

/**
 * The client instance's RemotingClient: RPC hooks never see a request that timed out, so its timeouts are
 * reported from here — and only while someone listens, so the hot path keeps its single promise otherwise.
 */
export class InstrumentedRemotingClient extends RemotingClient {
  constructor(
    options: RemotingClientOptions,
    private readonly instrumentation: NetworkInstrumentation,
  ) {
    super({ ...options, channelEventListener: instrumentation });
    this.registerRPCHook(instrumentation);
  }

  override invokeSync(addr: string | null | undefined, request: RemotingCommand, timeoutMillis: number): Promise<RemotingCommand> {
    return this.watch(super.invokeSync(addr, request, timeoutMillis), request);
  }

  override invokeAsync(addr: string | null | undefined, request: RemotingCommand, timeoutMillis: number): Promise<RemotingCommand> {
    return this.watch(super.invokeAsync(addr, request, timeoutMillis), request);
  }

  override invokeOneway(addr: string | null | undefined, request: RemotingCommand, timeoutMillis: number): Promise<void> {
    return this.watch(super.invokeOneway(addr, request, timeoutMillis), request);
  }

  private watch<T>(call: Promise<T>, request: RemotingCommand): Promise<T> {
    if (!this.instrumentation.has('network.request_timeout')) return call;
    return call.catch((err: unknown) => {
      this.instrumentation.requestTimedOut(err, request);
      throw err;
    });
  }
}

/** Consume services: the payload of a batch about to be (or just) consumed; the caller checks `has` first. */
export function consumeStartPayload(mq: MessageQueue, msgs: readonly MessageExt[]): ConsumeStartPayload {
  const first = msgs[0]?.queueOffset ?? -1;
  const last = msgs[msgs.length - 1];
  const lastOffset = last?.queueOffset ?? -1;
  // Every pulled message carries the queue's max offset at pull time (processPullResult's MAX_OFFSET).
  const maxOffset = Number(last?.getProperty(MessageConst.PROPERTY_MAX_OFFSET) ?? lastOffset + 1);
  return { queue: mq, messageCount: msgs.length, firstOffset: first, lastOffset, lag: Math.max(0, maxOffset - (lastOffset + 1)) };
}

/** The consume hooks of a consumer's services: both guarded, so nothing is computed without listeners. */
export class ConsumeInstrumentation {
  constructor(private readonly emitter: InstrumentationEmitter<'consumer', ConsumerEventPayloads>) {}

  /** Returns the start time to hand to `end`. */
  start(mq: MessageQueue, msgs: readonly MessageExt[]): number {
    if (!this.emitter.has('consume_start') && !this.emitter.has('consume_end')) return 0;
    if (this.emitter.has('consume_start')) this.emitter.emit('consume_start', consumeStartPayload(mq, msgs));
    return performance.now();
  }

  end(mq: MessageQueue, msgs: readonly MessageExt[], ok: boolean, begin: number): void {
    if (!this.emitter.has('consume_end')) return;
    const duration = begin === 0 ? 0 : performance.now() - begin;
    this.emitter.emit('consume_end', { ...consumeStartPayload(mq, msgs), duration, result: ok ? 'CONSUME_SUCCESS' : 'RECONSUME_LATER' });
  }
}
