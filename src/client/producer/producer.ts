import { randomUUID } from 'node:crypto';
import { MQBrokerError, RemotingShutdownError, RemotingTooMuchRequestError, RocketMQError } from '../../common/errors.js';
import { silentLogger, type Logger } from '../../common/logger.js';
import { Semaphore } from '../../common/semaphore.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { AUTO_CREATE_TOPIC_KEY_TOPIC } from '../client-api.js';
import type { MQClientInstance, TopicTemplate } from '../client-instance.js';
import { MQClientManager } from '../client-manager.js';
import { resolveClientConfig, type ClientOptions } from '../config.js';
import { ClientErrorCode, MQClientError, RequestTimeoutError } from '../errors.js';
import {
  InstrumentationEmitter,
  ProducerEvents,
  type InstrumentationEvent,
  type InstrumentationListener,
  type ProducerEventMap,
  type ProducerEventPayloads,
  type ProducerEventType,
  type RemoveInstrumentationListener,
} from '../instrumentation.js';
import type { MessageQueue } from '../../protocol/bodies/message-queue.js';
import { MQFaultStrategy } from '../route/mq-fault-strategy.js';
import { TopicPublishInfo } from '../route/topic-publish-info.js';
import { clientNamespace, isDLQTopic, isRetryTopic, unwrapPayload, type ClientNamespace } from '../namespace.js';
import { Validators } from '../validators.js';
import { MessageConst } from '../../protocol/message/message-const.js';
import { selectMessageQueueByHash, type MessageQueueSelector } from './message-queue-selector.js';
import type { MQProducerInner } from './mq-producer-inner.js';
import { batchProperties, prepareBatch, prepareMessage, toMessage, type MessageLimits, type PreparedMessage, type ProducerMessage } from './producer-message.js';
import { decodeRecallHandle } from './recall-handle.js';
import type { ReplyMessage } from './reply-message.js';
import type { RequestFailure } from './request-future-holder.js';
import { processSendResponse, type SendResult } from './send-result.js';
import { AsyncTraceDispatcher, traceProducerGroup, traceRecallOf, traceTopicOf, type TraceOption } from '../trace/async-trace-dispatcher.js';
import { RecallMessageTraceHook } from '../trace/recall-message-trace-hook.js';
import { applyTraceContext } from '../trace/propagation.js';
import { SendMessageTraceHook } from '../trace/send-message-trace-hook.js';
import { encodeTraceBatch, type TraceMessageText } from '../trace/trace-batch-encoder.js';

/** DefaultMQProducer's settings, with Java's names and defaults. */
export interface ProducerOptions extends ClientOptions {
  group: string;
  /** One deadline for a whole send, route lookup and retries included (ms). */
  sendMsgTimeout?: number;
  /** Extra attempts of a sync send, each on another broker when there is one. Oneway and ordered sends never retry. */
  retryTimesWhenSendFailed?: number;
  /** Retry when the broker stored the message but flushing or replication timed out (status other than SEND_OK). */
  retryAnotherBrokerWhenNotStoreOK?: boolean;
  /** Bodies of this many bytes or more are zlib-compressed (never batches). */
  compressMsgBodyOverHowmuch?: number;
  /** zlib level, 0-9. */
  compressLevel?: number;
  /** Largest body (batch: largest encoded batch), bytes. */
  maxMessageSize?: number;
  /** The template topic for topics a broker creates on first send. */
  createTopicKey?: string;
  /** Queues per broker of a topic created on first send. */
  defaultTopicQueueNums?: number;
  /**
   * Avoid brokers that failed or answered slowly (MQFaultStrategy). Java's default is false; ours is true, so a
   * dead broker costs one failed attempt per 10 s, not a failed first attempt on every other send until the
   * name server drops it (up to 2 minutes).
   */
  sendLatencyFaultEnable?: boolean;
  /** Latency steps (ms) and how long each makes a broker unavailable (ms); Java's by default. */
  latencyMax?: readonly number[];
  notAvailableDuration?: readonly number[];
  /** Sends in flight at once (Java's backPressureForAsyncSendNum); more wait for a slot within their deadline. */
  maxInFlightSends?: number;
  /** The registry of client instances; default the process-wide one. */
  clientManager?: MQClientManager;
  /**
   * Message trace (Java's enableMsgTrace): a Pub record for every message a broker took, sent in batches to
   * RMQ_SYS_TRACE_TOPIC (or `topic`) by an inner producer, for the dashboard's message trace.
   */
  trace?: TraceOption;
}

export interface SendOptions {
  /** Overrides sendMsgTimeout for this send. */
  timeout?: number;
  /** An ordered send: the selector picks the queue from `arg`. */
  selector?: MessageQueueSelector;
  arg?: unknown;
  /** An ordered send by key: the queue Java's SelectMessageQueueByHash picks for this key. */
  shardingKey?: string;
  /** Send to exactly this queue. */
  messageQueue?: MessageQueue;
}

/** Where a request goes (as for `send`), and a signal to stop waiting for its reply. */
export interface RequestOptions extends Omit<SendOptions, 'timeout'> {
  /**
   * Aborting rejects the request at once with the signal's reason (and skips the send if it has not started); a
   * reply that comes later is dropped.
   */
  signal?: AbortSignal;
}

type CommunicationMode = 'SYNC' | 'ONEWAY';

/** AsyncTraceDispatcher's wait for its sends at shutdown (WAIT_FOR_SHUTDOWN), and its producer's send timeout. */
export const TRACE_TIMEOUT_MILLIS = 5000;
type State = 'created' | 'running' | 'stopping' | 'stopped';

const DEFAULTS = {
  sendMsgTimeout: 3000,
  retryTimesWhenSendFailed: 2,
  compressMsgBodyOverHowmuch: 4096,
  compressLevel: 5,
  maxMessageSize: 4 * 1024 * 1024,
  defaultTopicQueueNums: 4,
  maxInFlightSends: 10_000,
};

/**
 * DefaultMQProducer with DefaultMQProducerImpl: sends through the shared MQClientInstance of its client id.
 * `send` resolves once the broker answered (the promise is the async mode); `sendOneway` once the request is
 * written. Every send validates before any I/O, and meets one deadline (sendMsgTimeout) across route lookup,
 * waiting for a slot, and retries.
 */
export class Producer implements MQProducerInner {
  /** Event types for `on`, kafkajs style: `producer.on(Producer.events.REQUEST, (e) => ...)`. */
  static readonly events = ProducerEvents;
  readonly events = ProducerEvents;
  /** The producer group on the wire: with a namespace, "namespace%group" (Java's getProducerGroup after start). */
  readonly group: string;
  /** Its namespace (option `namespace`), whose prefix its topics and group carry on the wire. */
  protected readonly ns: ClientNamespace;
  protected readonly instrumentation: InstrumentationEmitter<'producer', ProducerEventPayloads>;
  private removeInstrumentation: RemoveInstrumentationListener | undefined;
  private readonly options: ProducerOptions;
  protected readonly logger: Logger;
  private readonly limits: MessageLimits;
  private readonly sendMsgTimeout: number;
  private readonly retryTimesWhenSendFailed: number;
  private readonly template: TopicTemplate;
  private readonly mqFaultStrategy: MQFaultStrategy;
  private readonly inFlightLimit: Semaphore;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly topicPublishInfoTable = new Map<string, TopicPublishInfo>();
  private instance: MQClientInstance | undefined;
  private state: State = 'created';
  /** Where its trace records go (undefined when `trace` is off); a TransactionProducer adds its EndTransaction records. */
  protected readonly traceDispatcher: AsyncTraceDispatcher | undefined;
  private readonly sendTraceHook: SendMessageTraceHook | undefined;
  private readonly recallTraceHook: RecallMessageTraceHook | undefined;

  constructor(options: ProducerOptions) {
    this.ns = clientNamespace(options);
    this.group = this.ns.wrap(options.group);
    // Java checks the group once wrapped (checkConfig in start), so the namespace counts toward its length.
    Validators.checkGroup(this.group);
    this.options = options;
    this.logger = options.logger ?? silentLogger;
    this.instrumentation = new InstrumentationEmitter('producer', ProducerEvents, this.logger, this.ns.active ? (payload) => unwrapPayload(this.ns, payload) : undefined);
    this.sendMsgTimeout = positiveInt(options.sendMsgTimeout, DEFAULTS.sendMsgTimeout, 'sendMsgTimeout');
    this.retryTimesWhenSendFailed = nonNegativeInt(options.retryTimesWhenSendFailed, DEFAULTS.retryTimesWhenSendFailed, 'retryTimesWhenSendFailed');
    this.limits = {
      maxMessageSize: positiveInt(options.maxMessageSize, DEFAULTS.maxMessageSize, 'maxMessageSize'),
      compressMsgBodyOverHowmuch: positiveInt(options.compressMsgBodyOverHowmuch, DEFAULTS.compressMsgBodyOverHowmuch, 'compressMsgBodyOverHowmuch'),
      compressLevel: nonNegativeInt(options.compressLevel, DEFAULTS.compressLevel, 'compressLevel'),
    };
    if (this.limits.compressLevel > 9) throw new RangeError(`compressLevel must be 0-9, not ${this.limits.compressLevel}`);
    const createTopicKey = options.createTopicKey ?? AUTO_CREATE_TOPIC_KEY_TOPIC;
    Validators.checkTopic(createTopicKey);
    this.template = {
      createTopicKey,
      defaultTopicQueueNums: positiveInt(options.defaultTopicQueueNums, DEFAULTS.defaultTopicQueueNums, 'defaultTopicQueueNums'),
    };
    this.mqFaultStrategy = new MQFaultStrategy({
      sendLatencyFaultEnable: options.sendLatencyFaultEnable ?? true,
      latencyMax: options.latencyMax,
      notAvailableDuration: options.notAvailableDuration,
    });
    this.inFlightLimit = new Semaphore(positiveInt(options.maxInFlightSends, DEFAULTS.maxInFlightSends, 'maxInFlightSends'));
    this.traceDispatcher = createTraceDispatcher(options, this.group, 'PRODUCE', this.logger);
    if (this.traceDispatcher !== undefined) this.sendTraceHook = new SendMessageTraceHook(this.traceDispatcher, options.group);
    if (this.traceDispatcher !== undefined && traceRecallOf(options.trace)) this.recallTraceHook = new RecallMessageTraceHook(this.traceDispatcher, options.group);
  }

  /** The client id this producer runs under (ip@instanceName), once started. */
  get clientId(): string | undefined {
    return this.instance?.clientId;
  }

  /** Trace records dropped so far because the trace queue was full (Java's discardCount); 0 without `trace`. */
  get traceDiscardCount(): number {
    return this.traceDispatcher?.discardCount ?? 0;
  }

  /** The namespace its names are wrapped in (the option, or its name-server endpoint's); undefined for none. */
  get namespace(): string | undefined {
    return this.ns.namespace;
  }

  /** Listens to one event type (see README, "Instrumentation events"); returns the remover. */
  on<T extends ProducerEventType>(
    type: T,
    listener: InstrumentationListener<InstrumentationEvent<T, ProducerEventMap[T]>>,
  ): RemoveInstrumentationListener {
    return this.instrumentation.on(type, listener);
  }

  /**
   * Joins (or creates and starts) the client instance of its client id. A producer may be started again after
   * shutdown(). Fails when another producer of the same group runs under the same client id.
   */
  async start(): Promise<void> {
    if (this.state === 'running') return;
    if (this.state === 'stopping') throw new MQClientError(`producer ${this.group} is shutting down`);
    const config = resolveClientConfig(this.options);
    const manager = this.options.clientManager ?? MQClientManager.getInstance();
    const instance = manager.getOrCreateMQClientInstance(config);
    if (!instance.registerProducer(this.group, this)) {
      throw new MQClientError(`The producer group[${this.group}] has been created before, specify another name please.`);
    }
    this.instance = instance;
    this.removeInstrumentation = instance.addInstrumentation(this.instrumentation);
    this.state = 'running';
    // Java polls the template topic's route from the start, which also gives heartbeats their brokers.
    this.topicPublishInfoTable.set(this.template.createTopicKey, new TopicPublishInfo());
    try {
      await instance.start();
    } catch (err) {
      this.state = 'stopped';
      this.instance = undefined;
      this.removeInstrumentation?.();
      await instance.unregisterProducer(this.group);
      await instance.shutdown();
      throw err;
    }
    await instance.sendHeartbeatToAllBroker();
    await this.traceDispatcher?.start();
    this.instrumentation.emit('start', { group: this.group, clientId: instance.clientId });
  }

  /**
   * Waits for sends in flight to settle, unregisters the group from the brokers, and stops the client instance
   * unless other clients still use it. Idempotent.
   */
  async shutdown(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    // No reply can reach a producer that is going: its waiting requests fail now rather than at their timeouts.
    this.instance?.requestFutureHolder.failAll(
      (future) => new MQClientError(`the producer ${this.group} was shut down before the reply to request ${future.correlationId} came`),
      this,
    );
    await Promise.allSettled([...this.inFlight]);
    // The settled sends' records are queued by now: they go out before the inner producer stops.
    await this.traceDispatcher?.shutdown(TRACE_TIMEOUT_MILLIS);
    const instance = this.instance as MQClientInstance;
    await instance.unregisterProducer(this.group);
    this.removeInstrumentation?.();
    await instance.shutdown();
    this.instance = undefined;
    this.topicPublishInfoTable.clear();
    this.state = 'stopped';
    this.instrumentation.emit('stop', { group: this.group, clientId: instance.clientId });
  }

  /**
   * Sends a message, or a batch (an array: one topic, stored as consecutive messages of one queue), and resolves
   * once the broker stored it. With `selector`/`shardingKey`/`messageQueue` the send is ordered: one attempt on
   * that queue, since retrying elsewhere would break the order.
   */
  send(message: ProducerMessage | readonly ProducerMessage[], options: SendOptions = {}): Promise<SendResult> {
    return this.track(this.sendImpl(message, 'SYNC', options)) as Promise<SendResult>;
  }

  /** Sends without waiting for the broker: resolves once the request is written. One attempt, no result. */
  async sendOneway(message: ProducerMessage | readonly ProducerMessage[], options: SendOptions = {}): Promise<void> {
    await this.track(this.sendImpl(message, 'ONEWAY', options));
  }

  /**
   * Request-reply (DefaultMQProducer.request): sends `message` with a new CORRELATION_ID (a random UUID), REPLY_TO_CLIENT
   * (this client id) and TTL (`timeout`), and resolves with the reply a replier sent back (a consumer of the topic:
   * `producer.send(createReplyMessage(msg, body))`), which the broker pushes to this client. Rejects with
   * RequestTimeoutError (10006, "request timeout, no reply message.") when no reply came within `timeout` ms; at once
   * with the send's own error when the request could not be sent (a send is an ordinary one, retries included,
   * within the same `timeout`); with an MQClientError when the producer shuts down first; with the signal's reason
   * on abort. `selector`, `shardingKey` or `messageQueue` pick the queue as for `send`. Before the first request to
   * a topic the producer fetches its route and heartbeats its brokers, so that they know this client id.
   */
  async request(message: ProducerMessage, timeout: number, options: RequestOptions = {}): Promise<ReplyMessage> {
    const begin = Date.now();
    const instance = this.makeSureStateOK();
    const ttl = positiveInt(timeout, 0, 'timeout');
    const { signal, ...sendOptions } = options;
    signal?.throwIfAborted();
    if (isBatch(message)) throw new MQClientError('a request is one message, not a batch');
    const correlationId = randomUUID();
    const request = withRequestProperties(message, correlationId, instance.clientId, ttl);
    // Refused before any I/O, as by send (which checks again).
    const wire = this.ns.active ? (this.wrapTopics(request) as ProducerMessage) : request;
    toMessage(wire, this.limits.maxMessageSize);
    this.queueSelection(wire, sendOptions);
    const reply = this.waitForReply(instance, correlationId, wire.topic, begin, ttl, signal);
    void this.sendRequest(instance, request, wire.topic, begin + ttl, sendOptions, correlationId);
    return reply;
  }

  /** The request's entry in the instance's table: settled by its reply, its timer, its signal, or a failure. */
  private waitForReply(
    instance: MQClientInstance,
    correlationId: string,
    topic: string,
    begin: number,
    timeout: number,
    signal: AbortSignal | undefined,
  ): Promise<ReplyMessage> {
    const holder = instance.requestFutureHolder;
    return new Promise<ReplyMessage>((resolve, reject) => {
      const onAbort = (): void => holder.fail(correlationId, signal?.reason, 'aborted');
      const timer = setTimeout(() => holder.fail(correlationId, new RequestTimeoutError(correlationId, timeout), 'timeout'), Math.max(0, begin + timeout - Date.now()));
      const ended = (outcome: 'reply' | RequestFailure, error?: unknown): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (!this.instrumentation.has('request_end')) return;
        const payload = { group: this.group, topic, correlationId, duration: Date.now() - begin, outcome };
        this.instrumentation.emit('request_end', outcome === 'reply' ? payload : { ...payload, error });
      };
      holder.register({
        correlationId,
        owner: this,
        complete: (reply) => {
          ended('reply');
          resolve(reply);
        },
        fail: (error, why) => {
          ended(why, error);
          // An abort rejects with the signal's reason as given, as fetch does; every other failure is an Error.
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
          reject(error);
        },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * prepareSendRequest and the send: a topic without a route is looked up first, and the brokers serving it are
   * heartbeated when one of them has not heard from this client over its current connection (Java heartbeats only
   * for a topic without a route). A failed send fails the request at once.
   */
  private async sendRequest(
    instance: MQClientInstance,
    request: ProducerMessage,
    wireTopic: string,
    deadline: number,
    options: SendOptions,
    correlationId: string,
  ): Promise<void> {
    const holder = instance.requestFutureHolder;
    try {
      if (!instance.hasTopicRoute(wireTopic)) {
        await this.tryToFindTopicPublishInfo(instance, wireTopic).catch((err: unknown) => this.logger.warn(`looking up the route of ${wireTopic} failed`, err));
      }
      if (instance.needsHeartbeatFor(wireTopic)) await instance.sendFreshHeartbeatToAllBroker();
      const remaining = deadline - Date.now();
      // Timed out or aborted meanwhile: nobody waits for a reply any more.
      if (remaining <= 0 || !holder.has(correlationId)) return;
      await this.send(request, { ...options, timeout: remaining });
    } catch (err) {
      holder.fail(correlationId, err, 'send_failed');
    }
  }

  /**
   * Recalls a timer message before its time (DefaultMQProducer.recallMessage, RECALL_MESSAGE 370): `recallHandle`
   * is its SendResult's. Resolves with the message's msgId once the broker stored the recall; the message is then
   * never delivered. Apache RocketMQ 5.3.x brokers and ours with `recallMessageEnable=true` only (others answer
   * NO_PERMISSION, or "request code not supported"): an MQBrokerError. With `trace: { recall: true }` each recall
   * the broker answered is traced (a Recall record), successful or not. A handle that is no
   * recall handle fails before any I/O; the broker refuses a topic that is not the handle's, and a message due
   * already (ILLEGAL_OPERATION).
   */
  async recallMessage(topic: string, recallHandle: string, options: { timeout?: number } = {}): Promise<string> {
    const instance = this.makeSureStateOK();
    const timeout = options.timeout === undefined ? this.sendMsgTimeout : positiveInt(options.timeout, 0, 'timeout');
    if (typeof topic !== 'string') throw new MQClientError('The specified topic is blank');
    const wireTopic = this.ns.wrap(topic);
    Validators.checkTopic(wireTopic);
    if (isRetryTopic(wireTopic) || isDLQTopic(wireTopic)) throw new MQClientError('topic is not supported');
    const handle = decodeRecallHandle(recallHandle);
    if (handle === undefined) throw new MQClientError('recall handle is invalid');
    await this.tryToFindTopicPublishInfo(instance, wireTopic);
    // Java: the handle's broker, else any broker of the topic (a proxy endpoint may serve it).
    const brokerAddr = instance.findBrokerAddressInPublish(handle.brokerName) ?? instance.findBrokerAddrByTopic(wireTopic);
    if (brokerAddr === undefined) {
      throw new MQClientError('The broker service address not found', { responseCode: ClientErrorCode.BROKER_NOT_EXIST_EXCEPTION });
    }
    // RecallMessageRequestHeader; bname is its RpcRequestHeader's broker name.
    const header = { producerGroup: this.group, topic: wireTopic, recallHandle, bname: handle.brokerName };
    const response = await instance.remotingClient.invokeSync(brokerAddr, RemotingCommand.createRequestCommand(RequestCode.RECALL_MESSAGE, header), timeout);
    const regionId = response.extFields?.[MessageConst.PROPERTY_MSG_REGION];
    if (regionId !== undefined) this.recallTraceHook?.recalled({ topic, msgId: handle.messageId, regionId, success: response.code === ResponseCode.SUCCESS });
    if (response.code !== ResponseCode.SUCCESS) throw new MQBrokerError(response.code, response.remark, brokerAddr);
    return response.decodeCommandCustomHeader({ msgId: 'string' }).msgId;
  }

  // MQProducerInner -------------------------------------------------------------------------------------------

  getPublishTopicList(): string[] {
    return [...this.topicPublishInfoTable.keys()];
  }

  isPublishTopicNeedUpdate(topic: string): boolean {
    return this.topicPublishInfoTable.get(topic)?.ok() !== true;
  }

  updateTopicPublishInfo(topic: string, info: TopicPublishInfo): void {
    this.topicPublishInfoTable.set(topic, info);
  }

  // The send path ------------------------------------------------------------------------------------------------

  private track<T>(send: Promise<T>): Promise<T> {
    this.inFlight.add(send);
    const untrack = (): boolean => this.inFlight.delete(send);
    send.then(untrack, untrack);
    return send;
  }

  private async sendImpl(input: ProducerMessage | readonly ProducerMessage[], mode: CommunicationMode, options: SendOptions): Promise<SendResult | undefined> {
    const begin = Date.now();
    const timeout = options.timeout === undefined ? this.sendMsgTimeout : positiveInt(options.timeout, 0, 'timeout');
    const deadline = begin + timeout;
    const instance = this.makeSureStateOK();
    // A W3C trace context becomes properties first (an OpenTelemetry Context needs its API, imported on first use).
    if (hasTraceContext(input)) input = isBatch(input) ? await Promise.all(input.map(applyTraceContext)) : await applyTraceContext(input);
    // What goes on the wire carries the namespace: the topics (DefaultMQProducer.send's withNamespace) and, for
    // any namespace at all, even "", the INSTANCE_ID property (sendKernelImpl's setInstanceId).
    const wire = this.ns.active ? this.wrapTopics(input) : input;
    const instanceId = this.ns.namespace;
    const selection = this.queueSelection(wire, options);
    let prepared: PreparedMessage | Promise<PreparedMessage>;
    if (isBatch(wire)) {
      prepared = prepareBatch(wire, this.limits, instance.idSetter, instanceId);
    } else {
      const message = toMessage(wire, this.limits.maxMessageSize);
      if (instanceId !== undefined) message.putProperty(MessageConst.PROPERTY_INSTANCE_ID, instanceId);
      prepared = prepareMessage(message, this.limits, instance.idSetter);
    }
    if (prepared instanceof Promise) prepared = await prepared;
    // Awaited, not returned: an async function that returns a promise takes two more microtask turns to settle.
    return await this.sendPrepared(instance, prepared, mode, deadline, begin, selection, input);
  }

  /**
   * A message (or batch) ready to go: within the limit of sends in flight, on the route held (or looked up), to
   * the queue the round robin or the selection picks.
   */
  protected async sendPrepared(
    instance: MQClientInstance,
    prepared: PreparedMessage,
    mode: CommunicationMode,
    deadline: number,
    begin: number,
    selection: { selector: MessageQueueSelector; arg: unknown } | undefined,
    input: ProducerMessage | readonly ProducerMessage[],
  ): Promise<SendResult | undefined> {
    const permit = this.inFlightLimit.tryAcquire(deadline - Date.now());
    const release = permit instanceof Promise ? await permit : permit;
    // A slot that frees up only as the deadline passes is no slot: as Java's invokeAsync, the wait is the failure.
    if (release === undefined || Date.now() >= deadline) {
      release?.();
      throw new RemotingTooMuchRequestError(`send message tryAcquire semaphoreAsyncNum timeout: ${this.inFlightLimit.permits} sends in flight`);
    }
    try {
      // The route is nearly always held already: no deadline timer for a lookup that cannot wait.
      const held = this.topicPublishInfoTable.get(prepared.topic);
      const info = held?.ok() === true ? held : await this.withinDeadline(this.tryToFindTopicPublishInfo(instance, prepared.topic), deadline, prepared.topic, begin);
      if (!info.ok()) {
        instance.mQClientAPIImpl.checkNameServerSetting();
        throw new MQClientError(`No route info of this topic: ${prepared.topic}`, { responseCode: ClientErrorCode.NOT_FOUND_TOPIC_EXCEPTION });
      }
      return selection === undefined
        ? await this.sendDefaultImpl(instance, prepared, info, mode, deadline, begin)
        : await this.sendSelectImpl(instance, prepared, info, mode, selection, input, deadline, begin);
    } finally {
      release();
    }
  }

  /** The messages with their topics in the namespace; what is no message is left for validation to refuse. */
  private wrapTopics(input: ProducerMessage | readonly ProducerMessage[]): ProducerMessage | readonly ProducerMessage[] {
    const wrap = (m: ProducerMessage): ProducerMessage => (typeof m === 'object' && m !== null && typeof m.topic === 'string' ? { ...m, topic: this.ns.wrap(m.topic) } : m);
    return isBatch(input) ? input.map(wrap) : wrap(input);
  }

  /** The selector of an ordered send, checked before any I/O; undefined for a round-robin send. */
  private queueSelection(input: ProducerMessage | readonly ProducerMessage[], options: SendOptions): { selector: MessageQueueSelector; arg: unknown } | undefined {
    const ways = [options.selector, options.shardingKey, options.messageQueue].filter((w) => w !== undefined).length;
    if (ways > 1) throw new MQClientError('give one of selector, shardingKey and messageQueue, not several');
    if (options.shardingKey !== undefined) return { selector: selectMessageQueueByHash, arg: options.shardingKey };
    if (options.selector !== undefined) return { selector: options.selector, arg: options.arg };
    const given = options.messageQueue;
    if (given === undefined) return undefined;
    // queueWithNamespace: the application's queue names its topic as the application knows it.
    const mq = this.ns.wrapQueue(given);
    const topic = isBatch(input) ? input[0]?.topic : (input as ProducerMessage | undefined)?.topic;
    if (mq.topic !== topic) throw new MQClientError(`message's topic not equal mq's topic`);
    return { selector: () => mq, arg: undefined };
  }

  protected makeSureStateOK(): MQClientInstance {
    if (this.state !== 'running' || this.instance === undefined) {
      throw new MQClientError(`The producer service state not OK, ${this.state.toUpperCase()}: start() it first`);
    }
    return this.instance;
  }

  /**
   * tryToFindTopicPublishInfo: the queues held for the topic; else its route from the name server; else, for a
   * topic the name server does not know, the template's route (a broker creates the topic on first send).
   */
  private async tryToFindTopicPublishInfo(instance: MQClientInstance, topic: string): Promise<TopicPublishInfo> {
    let info = this.topicPublishInfoTable.get(topic);
    if (info === undefined || !info.ok()) {
      if (info === undefined) this.topicPublishInfoTable.set(topic, new TopicPublishInfo());
      await instance.updateTopicRouteInfoFromNameServer(topic);
      info = this.topicPublishInfoTable.get(topic) ?? new TopicPublishInfo();
    }
    if (info.haveTopicRouterInfo || info.ok()) return info;
    await instance.updateTopicRouteInfoFromNameServer(topic, this.template);
    return this.topicPublishInfoTable.get(topic) ?? info;
  }

  /** sendDefaultImpl: round-robin with fault avoidance; a sync send retries on another broker within the deadline. */
  private async sendDefaultImpl(
    instance: MQClientInstance,
    prepared: PreparedMessage,
    info: TopicPublishInfo,
    mode: CommunicationMode,
    deadline: number,
    begin: number,
  ): Promise<SendResult | undefined> {
    const timesTotal = mode === 'SYNC' ? 1 + this.retryTimesWhenSendFailed : 1;
    const brokersSent: string[] = [];
    let mq: MessageQueue | undefined;
    let lastError: unknown;
    let notStoredOK: SendResult | undefined;
    let times = 0;
    for (; times < timesTotal; times++) {
      const selected = this.mqFaultStrategy.selectOneMessageQueue(info, mq?.brokerName, times > 0);
      if (selected === undefined) break;
      mq = selected;
      const beginAttempt = Date.now();
      if (beginAttempt >= deadline) throw this.deadlineError(prepared.topic, begin, brokersSent, lastError);
      brokersSent.push(mq.brokerName);
      try {
        const result = await this.sendKernelImpl(instance, prepared, mq, mode, deadline - beginAttempt);
        this.mqFaultStrategy.updateFaultItem(mq.brokerName, Date.now() - beginAttempt, false, true);
        if (result !== undefined && result.status !== 'SEND_OK' && this.options.retryAnotherBrokerWhenNotStoreOK === true) {
          notStoredOK = result;
          continue;
        }
        return result;
      } catch (err) {
        const latency = Date.now() - beginAttempt;
        lastError = err;
        if (err instanceof MQBrokerError) {
          this.mqFaultStrategy.updateFaultItem(mq.brokerName, latency, true, false);
          if (!err.retriable) {
            if (notStoredOK !== undefined) return notStoredOK;
            throw err;
          }
        } else if (err instanceof MQClientError) {
          this.mqFaultStrategy.updateFaultItem(mq.brokerName, latency, false, true);
        } else if (isRemotingFailure(err)) {
          this.mqFaultStrategy.updateFaultItem(mq.brokerName, latency, true, true);
        } else {
          throw err;
        }
        this.logger.warn(`send to ${mq.brokerName} queue ${mq.queueId} failed after ${latency}ms (attempt ${times + 1} of ${timesTotal})`, err);
      }
    }
    if (notStoredOK !== undefined) return notStoredOK;
    if (Date.now() >= deadline) throw this.deadlineError(prepared.topic, begin, brokersSent, lastError);
    throw new MQClientError(
      `Send [${times}] times, still failed, cost [${Date.now() - begin}]ms, Topic: ${prepared.topic}, BrokersSent: [${brokersSent.join(', ')}]`,
      { cause: lastError, responseCode: responseCodeOf(lastError), retriable: true, brokerAddr: brokerAddrOf(lastError) },
    );
  }

  /** sendSelectImpl: one attempt on the queue the selector picks. */
  private async sendSelectImpl(
    instance: MQClientInstance,
    prepared: PreparedMessage,
    info: TopicPublishInfo,
    mode: CommunicationMode,
    selection: { selector: MessageQueueSelector; arg: unknown },
    input: ProducerMessage | readonly ProducerMessage[],
    deadline: number,
    begin: number,
  ): Promise<SendResult | undefined> {
    let mq: MessageQueue | undefined;
    try {
      // As Java: the selector sees the queues and the message as the application knows them (no namespace), and
      // the queue it picks is put back in the namespace.
      const mqs = this.ns.active ? info.messageQueueList.map((q) => this.ns.unwrapQueue(q)) : [...info.messageQueueList];
      mq = selection.selector(mqs, (isBatch(input) ? input[0] : input) as ProducerMessage, selection.arg);
    } catch (err) {
      throw new MQClientError('select message queue threw exception.', { cause: err });
    }
    if (mq === undefined || mq === null) throw new MQClientError('select message queue return null.');
    mq = this.ns.wrapQueue(mq);
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw this.deadlineError(prepared.topic, begin, [], undefined);
    return this.sendKernelImpl(instance, prepared, mq, mode, remaining);
  }

  /** sendKernelImpl: one request to the queue's broker master (SEND_MESSAGE_V2, SEND_BATCH_MESSAGE or SEND_REPLY_MESSAGE_V2). */
  private async sendKernelImpl(
    instance: MQClientInstance,
    prepared: PreparedMessage,
    mq: MessageQueue,
    mode: CommunicationMode,
    timeoutMillis: number,
  ): Promise<SendResult | undefined> {
    let brokerAddr = instance.findBrokerAddressInPublish(mq.brokerName);
    if (brokerAddr === undefined) {
      await this.tryToFindTopicPublishInfo(instance, mq.topic);
      brokerAddr = instance.findBrokerAddressInPublish(mq.brokerName);
    }
    if (brokerAddr === undefined) {
      throw new MQClientError(`The broker[${mq.brokerName}] not exist`, { responseCode: ClientErrorCode.BROKER_NOT_EXIST_EXCEPTION, retriable: true });
    }
    // SendMessageRequestHeaderV2: Java's single-letter fields (§4.2).
    const header = {
      a: this.group,
      b: prepared.topic,
      c: this.template.createTopicKey,
      d: this.template.defaultTopicQueueNums,
      e: mq.queueId,
      f: prepared.sysFlag,
      g: Date.now(),
      h: prepared.flag,
      i: prepared.properties,
      j: 0,
      k: false,
      m: prepared.batch,
      n: mq.brokerName,
    };
    // MQClientAPIImpl.sendMessage: a reply (MSG_TYPE=reply) goes as SEND_REPLY_MESSAGE_V2, the same header.
    const code = prepared.batch ? RequestCode.SEND_BATCH_MESSAGE : prepared.reply ? RequestCode.SEND_REPLY_MESSAGE_V2 : RequestCode.SEND_MESSAGE_V2;
    const request = RemotingCommand.createRequestCommand(code, header, prepared.body);
    if (mode === 'ONEWAY') {
      await instance.remotingClient.invokeOneway(brokerAddr, request, timeoutMillis);
      return undefined;
    }
    const begin = Date.now();
    const response = await instance.remotingClient.invokeSync(brokerAddr, request, timeoutMillis);
    // processSendResponse: the result's queue names the topic without the namespace.
    const result = processSendResponse(mq.brokerName, this.ns.unwrap(prepared.topic), prepared.msgId, response, brokerAddr);
    this.sendTraceHook?.sendMessageAfter({ messages: prepared.messages, batch: prepared.batch, wireBody: prepared.body, brokerAddr, begin }, result);
    return result;
  }

  /** Waits for `work` no later than the deadline (the work itself carries on, its outcome shared or dropped). */
  private async withinDeadline<T>(work: Promise<T>, deadline: number, topic: string, begin: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.deadlineError(topic, begin, [], undefined)), Math.max(0, deadline - Date.now()));
    });
    try {
      return await Promise.race([work, expired]);
    } finally {
      clearTimeout(timer);
      work.catch(() => undefined);
    }
  }

  private deadlineError(topic: string, begin: number, brokersSent: readonly string[], cause: unknown): MQClientError {
    return new MQClientError(
      `send to topic ${topic} timed out: no success within ${Date.now() - begin}ms, BrokersSent: [${brokersSent.join(', ')}]`,
      { cause, responseCode: ClientErrorCode.ACCESS_BROKER_TIMEOUT, retriable: true, brokerAddr: brokerAddrOf(cause) },
    );
  }
}

/**
 * The dispatcher of a traced client's records (undefined when `trace` is off). It sends with a Producer of its own
 * on the client's options (name servers, credentials, instance name), untraced, in the group
 * "_INNER_TRACE_PRODUCER-<wireGroup>-<type>". As Java's trace producer, it has no namespace of the client's (only
 * one its name-server endpoint names), so a namespaced client's records go to the trace topic the dashboard reads;
 * its group names the client's group as on the wire, as Java's does since 5.x names it at start.
 */
export function createTraceDispatcher(
  options: ClientOptions & { trace?: TraceOption },
  wireGroup: string,
  type: 'PRODUCE' | 'CONSUME',
  logger: Logger,
): AsyncTraceDispatcher | undefined {
  const traceTopic = traceTopicOf(options.trace);
  if (traceTopic === undefined) return undefined;
  const producer = new TraceMessageProducer({
    ...options,
    group: traceProducerGroup(wireGroup, type),
    namespace: undefined,
    trace: false,
    sendMsgTimeout: TRACE_TIMEOUT_MILLIS,
    // Not the client's own limit: a body of 128 000 chars may take more bytes.
    maxMessageSize: DEFAULTS.maxMessageSize,
    // Never compressed: deflating a trace message (4 KB for 20 records, Java's 4 KiB threshold, up to 128 000
    // chars) costs more CPU than making the records; the trace messages of a batch request are not compressed
    // anyway (Java never compresses batches), and readers take both.
    compressMsgBodyOverHowmuch: DEFAULTS.maxMessageSize,
  });
  return new AsyncTraceDispatcher({
    traceTopic,
    producer: {
      start: () => producer.start(),
      // Several trace messages go as one batch request; each is stored, and indexed by its keys, on its own.
      send: (messages) => producer.sendTraceMessages(traceTopic, messages),
      shutdown: () => producer.shutdown(),
    },
    logger,
  });
}

/**
 * The inner producer of a traced client's dispatcher. Its sends are the dispatcher's trace messages, ours, made
 * within the format's limits: they skip send()'s validation and Message objects, and go as one batch whose body
 * encodeTraceBatch writes straight from their text (the same bytes send() would make of them), since this runs for
 * every few hundred records a traced client consumes or sends, on its event loop.
 */
class TraceMessageProducer extends Producer {
  sendTraceMessages(topic: string, messages: readonly TraceMessageText[]): Promise<SendResult | undefined> {
    const begin = Date.now();
    const instance = this.makeSureStateOK();
    const { body, msgIds } = encodeTraceBatch(messages, () => instance.idSetter.createUniqID());
    const prepared: PreparedMessage = {
      topic: this.ns.active ? this.ns.wrap(topic) : topic,
      flag: 0,
      properties: batchProperties(true, this.ns.namespace),
      body,
      sysFlag: 0,
      batch: true,
      reply: false,
      msgId: msgIds,
      // Read only by a send trace hook, which an inner producer never has.
      messages: [],
    };
    return this.sendPrepared(instance, prepared, 'SYNC', begin + TRACE_TIMEOUT_MILLIS, begin, undefined, []);
  }
}

/** Whether any message of a send has a traceContext to write (messages without cost nothing more). */
function hasTraceContext(input: ProducerMessage | readonly ProducerMessage[]): boolean {
  if (isBatch(input)) return input.some((m) => typeof m === 'object' && m !== null && m.traceContext !== undefined);
  return typeof input === 'object' && input !== null && input.traceContext !== undefined;
}

/** The request as sent: the message with CORRELATION_ID, REPLY_TO_CLIENT and TTL (what is no message is left for validation). */
function withRequestProperties(message: ProducerMessage, correlationId: string, clientId: string, ttl: number): ProducerMessage {
  if (typeof message !== 'object' || message === null) return message;
  return {
    ...message,
    properties: {
      ...message.properties,
      [MessageConst.PROPERTY_CORRELATION_ID]: correlationId,
      [MessageConst.PROPERTY_MESSAGE_REPLY_TO_CLIENT]: clientId,
      [MessageConst.PROPERTY_MESSAGE_TTL]: String(ttl),
    },
  };
}

function isBatch(input: ProducerMessage | readonly ProducerMessage[]): input is readonly ProducerMessage[] {
  return Array.isArray(input);
}

/** A failure of the connection or the call (retried elsewhere), not of a client that was shut down. */
function isRemotingFailure(err: unknown): boolean {
  return err instanceof RocketMQError && err.code.startsWith('REMOTING_') && !(err instanceof RemotingShutdownError);
}

/** Java's mapping of the last failure to MQClientException.responseCode. */
function responseCodeOf(err: unknown): number {
  if (err instanceof MQBrokerError) return err.responseCode;
  if (err instanceof MQClientError) return err.responseCode;
  if (err instanceof RocketMQError && err.code === 'REMOTING_CONNECT') return ClientErrorCode.CONNECT_BROKER_EXCEPTION;
  if (err instanceof RocketMQError && err.code === 'REMOTING_TIMEOUT') return ClientErrorCode.ACCESS_BROKER_TIMEOUT;
  return -1;
}

function brokerAddrOf(err: unknown): string | undefined {
  if (err instanceof MQBrokerError) return err.addr;
  if (err instanceof MQClientError) return err.brokerAddr;
  if (err instanceof RocketMQError && 'addr' in err && typeof err.addr === 'string') return err.addr;
  return undefined;
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, not ${value}`);
  return value;
}

function nonNegativeInt(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, not ${value}`);
  return value;
}
