import { silentLogger, type Logger } from '../../common/logger.js';
import type { ConsumeFromWhere, MessageModel, SubscriptionData } from '../../protocol/bodies/heartbeat-data.js';
import type { MessageQueue } from '../../protocol/bodies/message-queue.js';
import type { MessageExt } from '../../protocol/message/message.js';
import type { MQClientInstance } from '../client-instance.js';
import { MQClientManager } from '../client-manager.js';
import type { ClientOptions } from '../config.js';
import { MQClientError } from '../errors.js';
import {
  ConsumeInstrumentation,
  ConsumerEvents,
  InstrumentationEmitter,
  type ConsumerEventMap,
  type ConsumerEventPayloads,
  type ConsumerEventType,
  type InstrumentationEvent,
  type InstrumentationListener,
  type RemoveInstrumentationListener,
} from '../instrumentation.js';
import { clientNamespace, unwrapPayload, type ClientNamespace } from '../namespace.js';
import { Validators } from '../validators.js';
import { AllocateMessageQueueAveragely, type AllocateMessageQueueStrategy } from './allocate-strategy.js';
import { ConsumeMessageConcurrentlyService } from './consume-concurrently.js';
import { ConsumeMessageOrderlyService } from './consume-orderly.js';
import { createTraceDispatcher, TRACE_TIMEOUT_MILLIS } from '../producer/producer.js';
import type { AsyncTraceDispatcher, TraceOption } from '../trace/async-trace-dispatcher.js';
import { ConsumeMessageTraceHook } from '../trace/consume-message-trace-hook.js';
import { callListener, type ConsumeContext, type ConsumeMessageService, type MessageListener } from './consume-service.js';
import { CoalescedRun } from '../coalesced-run.js';
import { registerConsumer, unregisterConsumer, type ConsumerRegistration } from './consumer-registration.js';
import { ConsumerTimers } from './consumer-timers.js';
import { ConsumerAPI, PullSysFlag, type PullStatus } from './consumer-api.js';
import { processPullBody, resetRetryAndNamespace } from './consumer-message.js';
import type { ConsumeMessageDirectlyResult, MQConsumerInner } from './mq-consumer-inner.js';
import type { OffsetStore } from './offset-store.js';
import { RebalanceImpl, type PullRequest } from './rebalance-impl.js';
import { consumerRunningInfo } from './running-info.js';
import { buildSubscription, buildSubscriptionData, RETRY_GROUP_TOPIC_PREFIX, retryTopic, SUB_ALL, type MessageSelector } from './subscription.js';
import { PullFromWhichNodeTable } from './pull-from-which-node.js';

/** DefaultMQPushConsumer's settings, with Java's names and defaults. */
export interface PushConsumerOptions extends ClientOptions {
  group: string;
  /** Where a group with no committed offset starts; Java's default CONSUME_FROM_LAST_OFFSET. */
  consumeFromWhere?: ConsumeFromWhere;
  /** CONSUME_FROM_TIMESTAMP's point in time (ms since the epoch or a Date); default half an hour before start. */
  consumeTimestamp?: number | Date;
  messageModel?: MessageModel;
  /** How the group's queues are shared; default AllocateMessageQueueAveragely. */
  allocateStrategy?: AllocateMessageQueueStrategy;
  /** Listener calls in progress at once (Java's consumeThreadMax). */
  consumeThreadMax?: number;
  /** Alias of consumeThreadMax. */
  concurrency?: number;
  /** Consume each queue in order, one message at a time, holding the broker's lock (MessageListenerOrderly). */
  orderly?: boolean;
  /** Attempts before the dead-letter queue; default 16, orderly: unlimited. */
  maxReconsumeTimes?: number;
  pullBatchSize?: number;
  /** Flow control: messages held per queue before pulls slow down. */
  pullThresholdForQueue?: number;
  /** Flow control: MiB held per queue before pulls slow down. */
  pullThresholdSizeForQueue?: number;
  /** Flow control (concurrent): offset span held per queue before pulls slow down. */
  consumeConcurrentlyMaxSpan?: number;
  /** Pause between pulls of a queue, ms. */
  pullInterval?: number;
  /** Orderly: the pause before a failed message is consumed again, ms. */
  suspendCurrentQueueTimeMillis?: number;
  persistConsumerOffsetInterval?: number;
  /** How long shutdown waits for listener calls in progress, ms. */
  awaitTerminationMillisWhenShutdown?: number;
  /** Broadcasting: the root of the local offset files (Java's rocketmq.client.localOffsetStoreDir). */
  offsetStoreDir?: string;
  clientManager?: MQClientManager;
  /**
   * Message trace (Java's enableMsgTrace): SubBefore and SubAfter records around every listener call, sent in
   * batches to RMQ_SYS_TRACE_TOPIC (or `topic`) by an inner producer, for the dashboard's message trace.
   */
  trace?: TraceOption;
}

type State = 'created' | 'running' | 'stopping' | 'stopped';

/** How long the broker holds a pull with no message (brokerSuspendMaxTimeMillis) and how long we wait for it. */
const BROKER_SUSPEND_MAX_TIME_MILLIS = 15_000;
const CONSUMER_TIMEOUT_MILLIS_WHEN_SUSPEND = 30_000;
/** DefaultMQPushConsumerImpl's delays before pulling again. */
const PULL_TIME_DELAY_MILLS_WHEN_EXCEPTION = 3000;
const PULL_TIME_DELAY_MILLS_WHEN_FLOW_CONTROL = 50;
const PULL_TIME_DELAY_MILLS_WHEN_SUSPEND = 1000;
/** PULL_OFFSET_MOVED: Java lets consumption in progress finish for 10 s before moving the queue's offset. */
const OFFSET_MOVED_DELAY_MILLIS = 10_000;
/** ConsumeMessageOrderlyService renews locks every 20 s (REBALANCE_LOCK_INTERVAL). */
const LOCK_INTERVAL_MILLIS = 20_000;
const SEND_BACK_TIMEOUT_MILLIS = 5000;
const HALF_AN_HOUR = 30 * 60_000;

/**
 * DefaultMQPushConsumer with DefaultMQPushConsumerImpl: subscribes topics, owns a share of their queues (the
 * client instance rebalances every 20 s and when the broker says the group changed), long-polls each owned
 * queue, and calls the listener of each message — concurrently or, with `orderly`, in queue order.
 */
export class PushConsumer implements MQConsumerInner {
  /** Event types for `on`, kafkajs style: `consumer.on(PushConsumer.events.CONSUME_END, (e) => ...)`. */
  static readonly events = ConsumerEvents;
  readonly events = ConsumerEvents;
  /** The consumer group on the wire: with a namespace, "namespace%group" (Java's getConsumerGroup after start). */
  readonly groupName: string;
  readonly messageModel: MessageModel;
  readonly consumeType = 'CONSUME_PASSIVELY' as const;
  readonly consumeFromWhere: ConsumeFromWhere;
  private readonly options: PushConsumerOptions;
  private readonly ns: ClientNamespace;
  private readonly logger: Logger;
  /** Which replica each queue is pulled from next (the broker's suggestWhichBrokerId). */
  private readonly pullFromWhichNode = new PullFromWhichNodeTable();
  private readonly instrumentation: InstrumentationEmitter<'consumer', ConsumerEventPayloads>;
  private registration: ConsumerRegistration | undefined;
  private readonly settings: {
    concurrency: number;
    orderly: boolean;
    maxReconsumeTimes: number;
    pullBatchSize: number;
    pullThresholdForQueue: number;
    pullThresholdSizeForQueue: number;
    consumeConcurrentlyMaxSpan: number;
    pullInterval: number;
    suspendCurrentQueueTimeMillis: number;
    persistConsumerOffsetInterval: number;
    awaitTerminationMillisWhenShutdown: number;
  };
  /** By topic as on the wire (in the namespace), as the listeners. */
  private readonly subscriptionInner = new Map<string, SubscriptionData>();
  private readonly listeners = new Map<string, MessageListener>();
  private readonly timers: ConsumerTimers;
  private instance: MQClientInstance | undefined;
  private api: ConsumerAPI | undefined;
  private offsetStore: OffsetStore | undefined;
  private rebalanceImpl: RebalanceImpl | undefined;
  private consumeService: ConsumeMessageService | undefined;
  private readonly rebalance = new CoalescedRun(async () => {
    if (this.state !== 'running' || this.rebalanceImpl === undefined) return false;
    await this.rebalanceImpl.doRebalance();
  });
  private readonly traceDispatcher: AsyncTraceDispatcher | undefined;
  private consumeTimestamp = 0;
  private paused = false;
  private state: State = 'created';
  private startTimestamp = 0;

  constructor(options: PushConsumerOptions) {
    this.ns = clientNamespace(options);
    this.groupName = this.ns.wrap(options.group);
    Validators.checkGroup(this.groupName);
    this.options = options;
    this.logger = options.logger ?? silentLogger;
    this.instrumentation = new InstrumentationEmitter('consumer', ConsumerEvents, this.logger, this.ns.active ? (payload) => unwrapPayload(this.ns, payload) : undefined);
    this.timers = new ConsumerTimers(this.logger, () => this.state === 'running', (error, where, queue) =>
      this.instrumentation.emit('crash', { error, where, queue }),
    );
    this.messageModel = options.messageModel ?? 'CLUSTERING';
    this.consumeFromWhere = options.consumeFromWhere ?? 'CONSUME_FROM_LAST_OFFSET';
    const orderly = options.orderly ?? false;
    const maxReconsumeTimes = options.maxReconsumeTimes ?? -1;
    if (!Number.isInteger(maxReconsumeTimes) || maxReconsumeTimes < -1) throw new RangeError(`maxReconsumeTimes must be >= -1, not ${maxReconsumeTimes}`);
    this.settings = {
      concurrency: positiveInt(options.consumeThreadMax ?? options.concurrency, 20, 'consumeThreadMax'),
      orderly,
      // Java's getMaxReconsumeTimes: -1 means 16 for concurrent listeners and Integer.MAX_VALUE for orderly ones.
      maxReconsumeTimes: maxReconsumeTimes === -1 ? (orderly ? 2147483647 : 16) : maxReconsumeTimes,
      pullBatchSize: positiveInt(options.pullBatchSize, 32, 'pullBatchSize'),
      pullThresholdForQueue: positiveInt(options.pullThresholdForQueue, 1000, 'pullThresholdForQueue'),
      pullThresholdSizeForQueue: positiveInt(options.pullThresholdSizeForQueue, 100, 'pullThresholdSizeForQueue'),
      consumeConcurrentlyMaxSpan: positiveInt(options.consumeConcurrentlyMaxSpan, 2000, 'consumeConcurrentlyMaxSpan'),
      pullInterval: nonNegativeInt(options.pullInterval, 0, 'pullInterval'),
      suspendCurrentQueueTimeMillis: positiveInt(options.suspendCurrentQueueTimeMillis, 1000, 'suspendCurrentQueueTimeMillis'),
      persistConsumerOffsetInterval: positiveInt(options.persistConsumerOffsetInterval, 5000, 'persistConsumerOffsetInterval'),
      awaitTerminationMillisWhenShutdown: nonNegativeInt(options.awaitTerminationMillisWhenShutdown, 10_000, 'awaitTerminationMillisWhenShutdown'),
    };
    this.traceDispatcher = createTraceDispatcher(options, this.groupName, 'CONSUME', this.logger);
  }

  /** The client id this consumer runs under (ip@instanceName), once started. */
  get clientId(): string | undefined {
    return this.instance?.clientId;
  }

  /** The namespace its names are wrapped in (the option, or its name-server endpoint's); undefined for none. */
  get namespace(): string | undefined {
    return this.ns.namespace;
  }

  /** Listens to one event type (see README, "Instrumentation events"); returns the remover. */
  on<T extends ConsumerEventType>(
    type: T,
    listener: InstrumentationListener<InstrumentationEvent<T, ConsumerEventMap[T]>>,
  ): RemoveInstrumentationListener {
    return this.instrumentation.on(type, listener);
  }

  /**
   * Subscribes `topic` with a tag expression ("*", or "TagA || TagB") or a selector
   * (`MessageSelector.bySql("a > 5")`, filtered by the broker), and the listener of its messages. Before start, or
   * while running (the next heartbeat and rebalance pick it up).
   */
  subscribe(userTopic: string, subExpression: string | MessageSelector, listener: MessageListener): void {
    const topic = this.ns.wrap(userTopic);
    Validators.checkTopic(topic);
    this.subscriptionInner.set(topic, buildSubscription(topic, subExpression));
    this.listeners.set(topic, listener);
    if (this.state === 'running') {
      const instance = this.instance as MQClientInstance;
      void instance.updateTopicRouteInfoFromNameServer(topic).then(
        () => instance.sendHeartbeatToAllBroker(),
        (err: unknown) => this.logger.warn(`the route of ${topic} could not be fetched`, err),
      );
    }
  }

  unsubscribe(userTopic: string): void {
    const topic = this.ns.wrap(userTopic);
    this.subscriptionInner.delete(topic);
    this.listeners.delete(topic);
  }

  /** Stops pulling (Java's suspend); messages already pulled are still consumed. */
  suspend(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  /** Trace records dropped so far because the trace queue was full (Java's discardCount); 0 without `trace`. */
  get traceDiscardCount(): number {
    return this.traceDispatcher?.discardCount ?? 0;
  }

  async start(): Promise<void> {
    if (this.state === 'running') return;
    if (this.state === 'stopping') throw new MQClientError(`consumer ${this.groupName} is shutting down`);
    if (this.listeners.size === 0) throw new MQClientError('subscribe at least one topic before start()');
    // Java's copySubscription: a clustering group also consumes its retry topic.
    if (this.messageModel === 'CLUSTERING') this.subscriptionInner.set(retryTopic(this.groupName), buildSubscriptionData(retryTopic(this.groupName), SUB_ALL));
    const registration = await registerConsumer(this, this.options, {
      logger: this.logger,
      network: this.instrumentation,
      onCommitted: (offsets) => this.instrumentation.emit('commit_offsets', { offsets }),
      findBrokerAddr: (brokerName, onlyMaster) => this.findBrokerAddr(brokerName, onlyMaster),
    });
    const { instance, api } = registration;
    this.registration = registration;
    this.instance = instance;
    this.api = api;
    this.offsetStore = registration.offsetStore;
    this.consumeTimestamp = this.options.consumeTimestamp === undefined ? Date.now() - HALF_AN_HOUR : Number(this.options.consumeTimestamp);
    this.consumeService = this.createConsumeService();
    this.rebalanceImpl = this.createRebalance(instance, api, registration.timeoutMillis);
    this.state = 'running';
    this.startTimestamp = Date.now();
    try {
      await instance.start();
      for (const topic of this.subscriptionInner.keys()) await instance.updateTopicRouteInfoFromNameServer(topic);
      // A broker that cannot filter a SQL92 subscription fails the start (Java's checkClientInBroker).
      await instance.checkClientInBroker();
    } catch (err) {
      await this.shutdown();
      throw err;
    }
    this.timers.schedule('persistConsumerOffset', () => this.persistConsumerOffset(), this.settings.persistConsumerOffsetInterval);
    if (this.settings.orderly && this.messageModel === 'CLUSTERING') this.timers.schedule('lockAll', () => this.rebalanceImpl?.lockAll(), LOCK_INTERVAL_MILLIS);
    await instance.sendHeartbeatToAllBroker();
    instance.rebalanceImmediately();
    await this.traceDispatcher?.start();
    this.instrumentation.emit('start', { group: this.groupName, clientId: instance.clientId });
  }

  /**
   * Stops pulling, lets listener calls in progress finish (up to awaitTerminationMillisWhenShutdown), persists
   * offsets, releases orderly locks, unregisters the group from the brokers, and stops the client instance unless
   * other clients use it. Idempotent; the consumer may be started again.
   */
  async shutdown(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    this.timers.cancelAll();
    await this.rebalance.running;
    await this.consumeService?.shutdown(this.settings.awaitTerminationMillisWhenShutdown);
    // The finished listener calls' SubAfter records are queued by now: they go out before the inner producer stops.
    await this.traceDispatcher?.shutdown(TRACE_TIMEOUT_MILLIS);
    await this.persistConsumerOffset();
    if (this.settings.orderly && this.messageModel === 'CLUSTERING') await this.rebalanceImpl?.unlockAll();
    for (const { pq } of this.rebalanceImpl?.processQueueTable.values() ?? []) pq.dropped = true;
    this.rebalanceImpl?.processQueueTable.clear();
    const registration = this.registration;
    this.registration = undefined;
    if (registration !== undefined) await unregisterConsumer(this, registration);
    this.subscriptionInner.delete(retryTopic(this.groupName));
    this.instance = undefined;
    this.state = 'stopped';
    if (registration !== undefined) this.instrumentation.emit('stop', { group: this.groupName, clientId: registration.instance.clientId });
  }

  // ---- MQConsumerInner: what the client instance calls ----

  subscriptions(): SubscriptionData[] {
    return [...this.subscriptionInner.values()];
  }

  /** Runs one rebalance; calls while one runs coalesce into one more run after it. */
  doRebalance(): Promise<void> {
    return this.rebalance.request();
  }

  async persistConsumerOffset(): Promise<void> {
    if (this.offsetStore === undefined || this.rebalanceImpl === undefined) return;
    await this.offsetStore.persistAll(this.rebalanceImpl.ownedQueues());
  }

  updateTopicSubscribeInfo(topic: string, mqs: MessageQueue[]): void {
    if (this.subscriptionInner.has(topic)) this.rebalanceImpl?.topicSubscribeInfoTable.set(topic, mqs);
  }

  isSubscribeTopicNeedUpdate(topic: string): boolean {
    return this.subscriptionInner.has(topic) && this.rebalanceImpl?.topicSubscribeInfoTable.has(topic) !== true;
  }

  /** Java's resetOffset: drop the topic's queues, set their offsets, persist, and rebalance from there. */
  async resetOffset(topic: string, offsets: readonly (readonly [MessageQueue, number])[]): Promise<void> {
    const rebalance = this.rebalanceImpl;
    const store = this.offsetStore;
    if (rebalance === undefined || store === undefined) return;
    this.logger.info(`resetting the offsets of ${this.groupName} on ${topic}`);
    for (const [mq, offset] of offsets) {
      if (mq.topic !== topic) continue;
      const entry = [...rebalance.processQueueTable.values()].find((e) => e.mq.brokerName === mq.brokerName && e.mq.queueId === mq.queueId && e.mq.topic === topic);
      if (entry === undefined) continue;
      entry.pq.dropped = true;
      entry.pq.clear();
      store.updateOffset(mq, offset, false);
      await store.persist(mq);
      await rebalance.removeProcessQueue(mq);
    }
    this.instance?.rebalanceImmediately();
  }

  consumerStatus(topic: string): [MessageQueue, number][] {
    return this.offsetStore?.cloneOffsetTable(topic) ?? [];
  }

  consumerRunningInfo(): Buffer {
    const { settings } = this;
    return consumerRunningInfo(
      {
        consumer: this,
        orderly: settings.orderly,
        startTimestamp: this.startTimestamp,
        nameServers: this.instance?.mQClientAPIImpl.getNameServerAddressList() ?? [],
        offsetStore: this.offsetStore,
      },
      {
        PROP_THREADPOOL_CORE_SIZE: String(settings.concurrency),
        maxReconsumeTimes: String(settings.maxReconsumeTimes),
        pullBatchSize: String(settings.pullBatchSize),
        pullThresholdForQueue: String(settings.pullThresholdForQueue),
        pullThresholdSizeForQueue: String(settings.pullThresholdSizeForQueue),
      },
      this.subscriptions(),
      this.rebalanceImpl?.processQueueTable.values() ?? [],
      this.instance?.consumerStatsManager,
    );
  }

  async consumeMessageDirectly(msg: MessageExt, brokerName: string | undefined): Promise<ConsumeMessageDirectlyResult> {
    const begin = Date.now();
    resetRetryAndNamespace([msg], retryTopic(this.groupName), this.ns);
    const ok = (await callListener(this.consumeContext(), msg, brokerName ?? '')) === 'SUCCESS';
    return {
      order: this.settings.orderly,
      autoCommit: true,
      consumeResult: ok ? 'CR_SUCCESS' : 'CR_LATER',
      remark: ok ? 'CONSUME_SUCCESS' : 'RECONSUME_LATER',
      spentTimeMills: Date.now() - begin,
    };
  }

  // ---- internals ----

  private createConsumeService(): ConsumeMessageService {
    const ctx = this.consumeContext();
    const events = new ConsumeInstrumentation(this.instrumentation);
    const idSetter = (this.instance as MQClientInstance).idSetter;
    const trace = this.traceDispatcher === undefined ? undefined : new ConsumeMessageTraceHook(this.traceDispatcher, this.options.group, () => idSetter.createUniqID());
    const stats = (this.instance as MQClientInstance).consumerStatsManager;
    return this.settings.orderly
      ? new ConsumeMessageOrderlyService(ctx, this.messageModel, this.settings.maxReconsumeTimes, this.settings.suspendCurrentQueueTimeMillis, stats, events, trace)
      : new ConsumeMessageConcurrentlyService(ctx, this.messageModel, this.settings.concurrency, stats, events, trace);
  }

  private consumeContext(): ConsumeContext {
    return {
      consumerGroup: this.groupName,
      logger: this.logger,
      // Messages show their topic without the namespace; listeners are held by the topic on the wire.
      listener: (topic) => this.listeners.get(this.ns.wrap(topic)),
      sendMessageBack: (msg, delayLevel, brokerName) => this.sendMessageBack(msg, delayLevel, brokerName),
      updateOffset: (mq, offset, increaseOnly) => this.offsetStore?.updateOffset(mq, offset, increaseOnly),
      later: (delay, task) => this.timers.later(delay, task),
    };
  }

  private createRebalance(instance: MQClientInstance, api: ConsumerAPI, timeoutMillis: number): RebalanceImpl {
    return new RebalanceImpl({
      consumerGroup: this.groupName,
      clientId: instance.clientId,
      messageModel: this.messageModel,
      orderly: this.settings.orderly,
      strategy: this.options.allocateStrategy ?? new AllocateMessageQueueAveragely(),
      api,
      offsetStore: this.offsetStore as OffsetStore,
      timeoutMillis,
      logger: this.logger,
      topics: () => [...this.subscriptionInner.keys()],
      findConsumerIdList: (topic) => instance.findConsumerIdList(topic, this.groupName),
      // Queue locks live on the master (a slave's lock table would let two consumers hold one queue).
      findBrokerAddr: (brokerName) => this.findBrokerAddr(brokerName, true),
      computePullFromWhere: (mq) => this.computePullFromWhere(mq),
      dispatchPullRequest: (request) => this.executePullRequest(request, 0),
      instrumentation: this.instrumentation,
      later: (delay, task) => this.timers.later(delay, task),
    });
  }

  /** The master of `brokerName` (else, unless onlyMaster, any replica), refreshing the subscribed routes once when no route names it yet. */
  private async findBrokerAddr(brokerName: string, onlyMaster = false): Promise<string | undefined> {
    return this.instance?.findBrokerAddressRefreshing(brokerName, this.subscriptionInner.keys(), onlyMaster);
  }

  /** RebalancePushImpl.computePullFromWhereWithException. */
  private async computePullFromWhere(mq: MessageQueue): Promise<number> {
    const store = this.offsetStore as OffsetStore;
    const lastOffset = await store.readOffset(mq, 'READ_FROM_STORE');
    if (lastOffset >= 0) return lastOffset;
    const isRetry = mq.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX);
    const api = this.api as ConsumerAPI;
    const addr = async (): Promise<string> => {
      const found = await this.findBrokerAddr(mq.brokerName);
      if (found === undefined) throw new MQClientError(`the broker ${mq.brokerName} is not in any route`);
      return found;
    };
    const timeout = this.instance?.config.mqClientApiTimeout ?? 3000;
    switch (this.consumeFromWhere) {
      case 'CONSUME_FROM_FIRST_OFFSET':
        // Java starts at 0 and lets PULL_OFFSET_MOVED correct it when the queue's head was deleted.
        return 0;
      case 'CONSUME_FROM_TIMESTAMP':
        return isRetry ? api.getMaxOffset(await addr(), mq, timeout) : api.searchOffset(await addr(), mq, this.consumeTimestamp, timeout);
      default:
        return isRetry ? 0 : api.getMaxOffset(await addr(), mq, timeout);
    }
  }

  /**
   * Java's executePullRequestImmediately / executePullRequestLater. Immediately means now, not a 0 ms timer: a
   * timer costs at least 1 ms per pull, which bounds a queue to one batch per ms however fast the broker answers.
   */
  private executePullRequest(request: PullRequest, delayMillis: number): void {
    if (delayMillis > 0) this.timers.later(delayMillis, () => this.pullMessage(request), 'pullMessage', request.messageQueue);
    else if (this.state === 'running') this.timers.runNow(() => this.pullMessage(request), 'pullMessage', request.messageQueue);
  }

  private emitPull(mq: MessageQueue, status: PullStatus, messageCount: number, nextOffset: number, begin: number): void {
    if (this.instrumentation.has('pull')) this.instrumentation.emit('pull', { queue: mq, status, messageCount, nextOffset, duration: performance.now() - begin });
  }

  /** DefaultMQPushConsumerImpl.pullMessage: one long-polling pull of one queue, then the next is scheduled. */
  private async pullMessage(request: PullRequest): Promise<void> {
    const { processQueue: pq, messageQueue: mq } = request;
    if (pq.dropped || this.state !== 'running') return;
    pq.lastPullTimestamp = Date.now();
    if (this.paused) return this.executePullRequest(request, PULL_TIME_DELAY_MILLS_WHEN_SUSPEND);
    if (pq.msgCount > this.settings.pullThresholdForQueue || pq.msgSize > this.settings.pullThresholdSizeForQueue * 1024 * 1024) {
      return this.executePullRequest(request, PULL_TIME_DELAY_MILLS_WHEN_FLOW_CONTROL);
    }
    if (!this.settings.orderly && pq.maxSpan > this.settings.consumeConcurrentlyMaxSpan) {
      return this.executePullRequest(request, PULL_TIME_DELAY_MILLS_WHEN_FLOW_CONTROL);
    }
    if (this.settings.orderly && this.messageModel === 'CLUSTERING' && !pq.locked) {
      return this.executePullRequest(request, PULL_TIME_DELAY_MILLS_WHEN_EXCEPTION);
    }
    const subscription = this.subscriptionInner.get(mq.topic);
    // No await on the usual path, so the request is written in this turn, ahead of the consumption it follows.
    // The replica the broker last suggested for this queue (PullAPIWrapper.pullKernelImpl), with Java's fallback.
    const target = this.instance?.findBrokerInSubscribe(mq.brokerName, this.pullFromWhichNode.recalculate(mq), false);
    const addr = target?.brokerAddr ?? (await this.findBrokerAddr(mq.brokerName));
    if (subscription === undefined || addr === undefined) return this.executePullRequest(request, PULL_TIME_DELAY_MILLS_WHEN_EXCEPTION);
    if (pq.dropped || this.state !== 'running') return;
    const store = this.offsetStore as OffsetStore;
    const commitOffset = this.messageModel === 'CLUSTERING' ? store.readOffsetFromMemory(mq) : 0;
    // A slave ignores (4.9) or must not get (5.x) the piggy-backed commit: offsets are the master's.
    const commitFlag = commitOffset > 0 && target?.slave !== true ? PullSysFlag.FLAG_COMMIT_OFFSET : 0;
    const sysFlag = commitFlag | PullSysFlag.FLAG_SUSPEND | PullSysFlag.FLAG_SUBSCRIPTION;
    let result;
    const pullBegin = performance.now();
    try {
      result = await (this.api as ConsumerAPI).pullMessage(
        addr,
        {
          consumerGroup: this.groupName,
          topic: mq.topic,
          queueId: mq.queueId,
          queueOffset: request.nextOffset,
          maxMsgNums: this.settings.pullBatchSize,
          sysFlag,
          commitOffset: Math.max(commitOffset, 0),
          suspendTimeoutMillis: BROKER_SUSPEND_MAX_TIME_MILLIS,
          subscription: subscription.subString,
          subVersion: subscription.subVersion,
          expressionType: subscription.expressionType,
        },
        CONSUMER_TIMEOUT_MILLIS_WHEN_SUSPEND,
      );
    } catch (err) {
      if (this.state !== 'running' || pq.dropped) return;
      this.logger.warn(`pulling ${mq.topic}:${mq.brokerName}:${mq.queueId} failed`, err);
      return this.executePullRequest(request, PULL_TIME_DELAY_MILLS_WHEN_EXCEPTION);
    }
    this.pullFromWhichNode.update(mq, result.suggestWhichBrokerId);
    if (this.state !== 'running' || pq.dropped) return;
    if (result.pullStatus !== 'FOUND') this.emitPull(mq, result.pullStatus, 0, result.nextBeginOffset, pullBegin);
    switch (result.pullStatus) {
      case 'FOUND': {
        request.nextOffset = result.nextBeginOffset;
        const msgs = await processPullBody(result.body ?? Buffer.alloc(0), subscription, result.minOffset, result.maxOffset, (msg, err) =>
          this.logger.warn(`the compressed body of ${msg.msgId} does not inflate; delivered as stored`, err),
        );
        this.emitPull(mq, 'FOUND', msgs.length, result.nextBeginOffset, pullBegin);
        const stats = this.instance?.consumerStatsManager;
        stats?.incPullRT(this.groupName, mq.topic, performance.now() - pullBegin);
        if (msgs.length > 0) stats?.incPullTPS(this.groupName, mq.topic, msgs.length);
        if (msgs.length > 0 && !pq.dropped) {
          resetRetryAndNamespace(msgs, retryTopic(this.groupName), this.ns);
          const dispatch = pq.putMessage(msgs);
          // The next pull first (flow control already counts this batch), so the broker reads the next batch
          // while this one is consumed, as with Java's separate pull and consume threads.
          this.executePullRequest(request, this.settings.pullInterval);
          this.consumeService?.submitConsumeRequest(msgs, pq, mq, dispatch);
          return;
        }
        if (pq.msgCount === 0) store.updateOffset(mq, request.nextOffset, true);
        return this.executePullRequest(request, this.settings.pullInterval);
      }
      case 'NO_NEW_MSG':
      case 'NO_MATCHED_MSG':
        request.nextOffset = result.nextBeginOffset;
        // correctTagsOffset: nothing held, so everything before nextOffset was filtered out or consumed.
        if (pq.msgCount === 0) store.updateOffset(mq, request.nextOffset, true);
        return this.executePullRequest(request, this.settings.pullInterval);
      case 'OFFSET_ILLEGAL': {
        this.logger.warn(`the offset ${request.nextOffset} of ${mq.topic}:${mq.brokerName}:${mq.queueId} is illegal; moving to ${result.nextBeginOffset}`);
        request.nextOffset = result.nextBeginOffset;
        pq.dropped = true;
        this.timers.later(OFFSET_MOVED_DELAY_MILLIS, async () => {
          store.updateOffset(mq, request.nextOffset, false);
          await store.persist(mq);
          await this.rebalanceImpl?.removeProcessQueue(mq);
        });
        return;
      }
    }
  }

  /** CONSUMER_SEND_MSG_BACK to the broker the message was pulled from; false (logged) when that failed. */
  private async sendMessageBack(msg: MessageExt, delayLevel: number, brokerName: string): Promise<boolean> {
    // Java's findBrokerAddressInPublish: the master only (a slave refuses the send-back anyway).
    const addr = await this.findBrokerAddr(brokerName, true);
    if (addr === undefined || this.api === undefined) return false;
    try {
      await this.api.consumerSendMessageBack(
        addr,
        {
          offset: msg.commitLogOffset,
          group: this.groupName,
          delayLevel,
          originMsgId: msg.uniqKey ?? msg.msgId,
          // ConsumeMessageConcurrentlyService.sendMessageBack: the topic is put back in the namespace.
          originTopic: this.ns.wrap(msg.topic),
          maxReconsumeTimes: this.settings.maxReconsumeTimes,
        },
        SEND_BACK_TIMEOUT_MILLIS,
      );
      this.watchRetryTopic();
      return true;
    } catch (err) {
      this.logger.warn(`sending ${msg.msgId} back to ${brokerName} failed; retrying it here`, err);
      return false;
    }
  }

  /**
   * The first message sent back creates the group's retry topic; fetch its route now rather than at the next
   * 30-second poll, so the first retry is not late by up to half a minute.
   */
  private watchRetryTopic(): void {
    const topic = retryTopic(this.groupName);
    const instance = this.instance;
    if (instance === undefined || !this.isSubscribeTopicNeedUpdate(topic)) return;
    instance.updateTopicRouteInfoFromNameServer(topic).then(
      (changed) => changed && instance.rebalanceImmediately(),
      (err: unknown) => this.logger.warn(`the route of ${topic} could not be fetched`, err),
    );
  }

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
