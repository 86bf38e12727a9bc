import { MQBrokerError } from '../../common/errors.js';
import { silentLogger, type Logger } from '../../common/logger.js';
import type { ConsumeFromWhere, MessageModel, SubscriptionData } from '../../protocol/bodies/heartbeat-data.js';
import { messageQueueKey, type MessageQueue } from '../../protocol/bodies/message-queue.js';
import type { MessageExt } from '../../protocol/message/message.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { topicRouteData2TopicSubscribeInfo, type MQClientInstance } from '../client-instance.js';
import { MQClientManager } from '../client-manager.js';
import type { ClientOptions } from '../config.js';
import { MQClientError } from '../errors.js';
import {
  consumeStartPayload,
  InstrumentationEmitter,
  LitePullConsumerEvents,
  type InstrumentationEvent,
  type InstrumentationListener,
  type LitePullConsumerEventMap,
  type LitePullConsumerEventPayloads,
  type LitePullConsumerEventType,
  type RemoveInstrumentationListener,
} from '../instrumentation.js';
import { clientNamespace, unwrapPayload, type ClientNamespace } from '../namespace.js';
import { Validators } from '../validators.js';
import { AllocateMessageQueueAveragely, type AllocateMessageQueueStrategy } from './allocate-strategy.js';
import { CoalescedRun } from '../coalesced-run.js';
import { registerConsumer, unregisterConsumer, type ConsumerRegistration } from './consumer-registration.js';
import { ConsumerTimers } from './consumer-timers.js';
import { ConsumerAPI, PullSysFlag, type PullStatus } from './consumer-api.js';
import { processPullBody, resetNamespace, toConsumerMessage, type ConsumerMessage } from './consumer-message.js';
import type { MQConsumerInner } from './mq-consumer-inner.js';
import type { OffsetStore } from './offset-store.js';
import { ProcessQueue } from './process-queue.js';
import { RebalanceImpl, type PullRequest } from './rebalance-impl.js';
import { consumerRunningInfo } from './running-info.js';
import { createTraceDispatcher, TRACE_TIMEOUT_MILLIS } from '../producer/producer.js';
import type { AsyncTraceDispatcher, TraceOption } from '../trace/async-trace-dispatcher.js';
import { ConsumeMessageTraceHook } from '../trace/consume-message-trace-hook.js';
import { buildSubscription, buildSubscriptionData, SUB_ALL, type MessageSelector } from './subscription.js';
import { PullFromWhichNodeTable } from './pull-from-which-node.js';

/** DefaultLitePullConsumer's settings, with Java's names and defaults. */
export interface LitePullConsumerOptions extends ClientOptions {
  group: string;
  /** Where a queue with no committed offset starts; Java's default CONSUME_FROM_LAST_OFFSET. */
  consumeFromWhere?: ConsumeFromWhere;
  /** CONSUME_FROM_TIMESTAMP's point in time (ms since the epoch or a Date); default half an hour before start. */
  consumeTimestamp?: number | Date;
  messageModel?: MessageModel;
  /** How the group's queues are shared in subscribe mode; default AllocateMessageQueueAveragely. */
  allocateStrategy?: AllocateMessageQueueStrategy;
  /** Commit what was polled, at most every autoCommitIntervalMillis, from poll() and at shutdown; default true. */
  autoCommit?: boolean;
  /** Default 5000, at least 1000 (Java's MIN_AUTOCOMMIT_INTERVAL_MILLIS). */
  autoCommitIntervalMillis?: number;
  /** Messages per pull, and so at most per poll(); default 10. */
  pullBatchSize?: number;
  /** Flow control: messages cached for poll() over all queues; default 10000. */
  pullThresholdForAll?: number;
  /** Flow control: messages cached per queue; default 1000. */
  pullThresholdForQueue?: number;
  /** Flow control: MiB cached per queue; default 100. */
  pullThresholdSizeForQueue?: number;
  /** Flow control: offset span cached per queue; default 2000. */
  consumeMaxSpan?: number;
  /**
   * Message trace (DefaultLitePullConsumer's enableMsgTrace): a SubBefore and a SubAfter (success) record for the
   * messages of every poll() that returns some, as Java's poll does, sent in batches to RMQ_SYS_TRACE_TOPIC (or
   * `topic`) by an inner producer.
   */
  trace?: TraceOption;
  /** How long poll() waits without an argument, ms; default 5000. */
  pollTimeoutMillis?: number;
  /** How long the broker holds a pull that finds nothing, ms; default 20000. */
  brokerSuspendMaxTimeMillis?: number;
  /** How long a held pull may take, ms; must outlast brokerSuspendMaxTimeMillis; default 30000. */
  consumerTimeoutMillisWhenSuspend?: number;
  /** Pause before pulling a queue again after a failed pull, ms; default 3000. */
  pullTimeDelayMillsWhenException?: number;
  persistConsumerOffsetInterval?: number;
  /** Broadcasting: the root of the local offset files (Java's rocketmq.client.localOffsetStoreDir). */
  offsetStoreDir?: string;
  clientManager?: MQClientManager;
}

type State = 'created' | 'running' | 'stopping' | 'stopped';
type SubscriptionType = 'NONE' | 'SUBSCRIBE' | 'ASSIGN';

/** DefaultLitePullConsumerImpl's delays before pulling a queue again. */
const PULL_TIME_DELAY_MILLS_WHEN_CACHE_FLOW_CONTROL = 50;
const PULL_TIME_DELAY_MILLS_WHEN_BROKER_FLOW_CONTROL = 20;
const PULL_TIME_DELAY_MILLS_WHEN_PAUSE = 1000;
const MIN_AUTOCOMMIT_INTERVAL_MILLIS = 1000;
const HALF_AN_HOUR = 30 * 60_000;

/** A running pull loop of one queue; seek and release cancel it, and a pull it has in flight is then discarded. */
interface PullTask {
  cancelled: boolean;
}

/** AssignedMessageQueue's MessageQueueState: one queue this consumer reads. */
interface QueueState {
  readonly mq: MessageQueue;
  readonly pq: ProcessQueue;
  paused: boolean;
  /** Where the next pull starts; -1 until the start offset is known. */
  pullOffset: number;
  /** One past what poll() handed out (the offset a commit stores); -1 before the first poll. */
  consumeOffset: number;
  task: PullTask | undefined;
}

/** One pull's messages waiting for poll() (Java's ConsumeRequest). */
interface ConsumeRequest {
  readonly state: QueueState;
  readonly msgs: MessageExt[];
}

/**
 * DefaultLitePullConsumer with DefaultLitePullConsumerImpl: the application polls. Each queue read — a share of
 * the subscribed topics, rebalanced like the PushConsumer's, or the queues given to assign() — has a background
 * loop of long-polling pulls filling a bounded cache; poll() hands out one pull's messages at a time and commit()
 * (or autoCommit) stores how far that got.
 */
export class LitePullConsumer implements MQConsumerInner {
  /** Event types for `on`, kafkajs style: `consumer.on(LitePullConsumer.events.POLL, (e) => ...)`. */
  static readonly events = LitePullConsumerEvents;
  readonly events = LitePullConsumerEvents;
  /** The consumer group on the wire: with a namespace, "namespace%group" (Java's getConsumerGroup after start). */
  readonly groupName: string;
  readonly messageModel: MessageModel;
  readonly consumeType = 'CONSUME_ACTIVELY' as const;
  readonly consumeFromWhere: ConsumeFromWhere;
  private readonly options: LitePullConsumerOptions;
  /**
   * Its namespace. Inside, topics and queues are as on the wire (in the namespace); the methods take them as the
   * application knows them (an already wrapped one is left as it is) and give them back so.
   */
  private readonly ns: ClientNamespace;
  private readonly logger: Logger;
  /** Which replica each queue is pulled from next (the broker's suggestWhichBrokerId). */
  private readonly pullFromWhichNode = new PullFromWhichNodeTable();
  private readonly instrumentation: InstrumentationEmitter<'consumer', LitePullConsumerEventPayloads>;
  private registration: ConsumerRegistration | undefined;
  private readonly settings: {
    autoCommit: boolean;
    autoCommitIntervalMillis: number;
    pullBatchSize: number;
    pullThresholdForAll: number;
    pullThresholdForQueue: number;
    pullThresholdSizeForQueue: number;
    consumeMaxSpan: number;
    pollTimeoutMillis: number;
    brokerSuspendMaxTimeMillis: number;
    consumerTimeoutMillisWhenSuspend: number;
    pullTimeDelayMillsWhenException: number;
    persistConsumerOffsetInterval: number;
  };
  private subscriptionType: SubscriptionType = 'NONE';
  private readonly subscriptionInner = new Map<string, SubscriptionData>();
  /** assign(): the queues to read, kept across restarts. */
  private assignedQueues: MessageQueue[] = [];
  private readonly queueStates = new Map<string, QueueState>();
  private consumeRequestCache: ConsumeRequest[] = [];
  /** poll() calls waiting for a request to arrive. */
  private readonly pollWaiters = new Set<() => void>();
  private readonly timers: ConsumerTimers;
  private instance: MQClientInstance | undefined;
  private api: ConsumerAPI | undefined;
  private offsetStore: OffsetStore | undefined;
  private rebalanceImpl: RebalanceImpl | undefined;
  private readonly rebalance = new CoalescedRun(async () => {
    if (this.state !== 'running' || this.rebalanceImpl === undefined) return false;
    await this.rebalanceImpl.doRebalance();
    // Queues of a topic unsubscribed since were dropped without the removal hook.
    for (const state of [...this.queueStates.values()]) if (state.pq.dropped) this.dropQueue(state);
  });
  private consumeTimestamp = 0;
  private nextAutoCommitDeadline = 0;
  private state: State = 'created';
  private startTimestamp = 0;
  private readonly traceDispatcher: AsyncTraceDispatcher | undefined;
  private traceHook: ConsumeMessageTraceHook | undefined;

  constructor(options: LitePullConsumerOptions) {
    this.ns = clientNamespace(options);
    this.groupName = this.ns.wrap(options.group);
    Validators.checkGroup(this.groupName);
    this.options = options;
    this.logger = options.logger ?? silentLogger;
    this.instrumentation = new InstrumentationEmitter('consumer', LitePullConsumerEvents, this.logger, this.ns.active ? (payload) => unwrapPayload(this.ns, payload) : undefined);
    this.timers = new ConsumerTimers(this.logger, () => this.state === 'running', (error, where, queue) =>
      this.instrumentation.emit('crash', { error, where, queue }),
    );
    this.messageModel = options.messageModel ?? 'CLUSTERING';
    this.consumeFromWhere = options.consumeFromWhere ?? 'CONSUME_FROM_LAST_OFFSET';
    const brokerSuspendMaxTimeMillis = intSetting(options.brokerSuspendMaxTimeMillis, 20_000, 1, 'brokerSuspendMaxTimeMillis');
    const consumerTimeoutMillisWhenSuspend = intSetting(options.consumerTimeoutMillisWhenSuspend, 30_000, 1, 'consumerTimeoutMillisWhenSuspend');
    if (consumerTimeoutMillisWhenSuspend <= brokerSuspendMaxTimeMillis) {
      throw new RangeError('consumerTimeoutMillisWhenSuspend must be greater than brokerSuspendMaxTimeMillis');
    }
    this.settings = {
      autoCommit: options.autoCommit ?? true,
      autoCommitIntervalMillis: intSetting(options.autoCommitIntervalMillis, 5000, MIN_AUTOCOMMIT_INTERVAL_MILLIS, 'autoCommitIntervalMillis'),
      pullBatchSize: intSetting(options.pullBatchSize, 10, 1, 'pullBatchSize'),
      pullThresholdForAll: intSetting(options.pullThresholdForAll, 10_000, 1, 'pullThresholdForAll'),
      pullThresholdForQueue: intSetting(options.pullThresholdForQueue, 1000, 1, 'pullThresholdForQueue'),
      pullThresholdSizeForQueue: intSetting(options.pullThresholdSizeForQueue, 100, 1, 'pullThresholdSizeForQueue'),
      consumeMaxSpan: intSetting(options.consumeMaxSpan, 2000, 1, 'consumeMaxSpan'),
      pollTimeoutMillis: intSetting(options.pollTimeoutMillis, 5000, 0, 'pollTimeoutMillis'),
      brokerSuspendMaxTimeMillis,
      consumerTimeoutMillisWhenSuspend,
      pullTimeDelayMillsWhenException: intSetting(options.pullTimeDelayMillsWhenException, 3000, 0, 'pullTimeDelayMillsWhenException'),
      persistConsumerOffsetInterval: intSetting(options.persistConsumerOffsetInterval, 5000, 1, 'persistConsumerOffsetInterval'),
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
  on<T extends LitePullConsumerEventType>(
    type: T,
    listener: InstrumentationListener<InstrumentationEvent<T, LitePullConsumerEventMap[T]>>,
  ): RemoveInstrumentationListener {
    return this.instrumentation.on(type, listener);
  }

  /**
   * The queues read now: the current share in subscribe mode, the assigned ones in assign mode. Their topics are
   * without the namespace (Java's assignment() returns them with it; every method here takes either).
   */
  assignment(): MessageQueue[] {
    return this.ownedQueues().map((mq) => this.ns.unwrapQueue(mq));
  }

  private ownedQueues(): MessageQueue[] {
    return [...this.queueStates.values()].filter((s) => !s.pq.dropped).map((s) => s.mq);
  }

  /**
   * Subscribes `topic` with a tag expression ("*", or "TagA || TagB") or a selector (`MessageSelector.bySql(...)`,
   * filtered by the broker); the group's members share its queues. Before start, or while running (the next
   * heartbeat and rebalance pick it up). Not with assign().
   */
  subscribe(userTopic: string, subExpression: string | MessageSelector = SUB_ALL): void {
    const topic = this.ns.wrap(userTopic);
    Validators.checkTopic(topic);
    this.setSubscriptionType('SUBSCRIBE');
    this.subscriptionInner.set(topic, buildSubscription(topic, subExpression));
    if (this.state === 'running') {
      const instance = this.instance as MQClientInstance;
      void instance.updateTopicRouteInfoFromNameServer(topic).then(
        async () => {
          await instance.sendHeartbeatToAllBroker();
          instance.rebalanceImmediately();
        },
        (err: unknown) => this.logger.warn(`the route of ${topic} could not be fetched`, err),
      );
    }
  }

  /** Stops reading `topic`; its queues are released at once, their offsets (autoCommit: what was polled) persisted. */
  unsubscribe(userTopic: string): void {
    const topic = this.ns.wrap(userTopic);
    this.subscriptionInner.delete(topic);
    for (const state of [...this.queueStates.values()]) {
      if (state.mq.topic !== topic) continue;
      this.releaseQueue(state.mq);
      // Never rejects: both stores log a failed write.
      void this.offsetStore?.persist(state.mq);
    }
    if (this.state === 'running') this.instance?.rebalanceImmediately();
  }

  /**
   * Reads exactly these queues, with no rebalance (each starts at its committed offset, else from
   * consumeFromWhere). Replaces a previous assignment; not with subscribe().
   */
  assign(mqs: readonly MessageQueue[]): void {
    if (mqs.length === 0) throw new MQClientError('Message queues can not be null or empty.');
    const wire = mqs.map((mq) => ({ topic: this.ns.wrap(mq.topic), brokerName: mq.brokerName, queueId: mq.queueId }));
    for (const mq of wire) Validators.checkTopic(mq.topic);
    this.setSubscriptionType('ASSIGN');
    this.assignedQueues = wire;
    if (this.state === 'running') this.updateAssignPullTask();
  }

  /** Stops pulling these queues; what they already cached stays out of poll() until resume(). */
  pause(mqs: readonly MessageQueue[]): void {
    for (const mq of mqs) {
      const state = this.queueStates.get(messageQueueKey(this.ns.wrapQueue(mq)));
      if (state !== undefined) state.paused = true;
    }
  }

  resume(mqs: readonly MessageQueue[]): void {
    for (const mq of mqs) {
      const state = this.queueStates.get(messageQueueKey(this.ns.wrapQueue(mq)));
      if (state !== undefined) state.paused = false;
    }
    this.wakePollers();
  }

  /** Trace records dropped so far because the trace queue was full (Java's discardCount); 0 without `trace`. */
  get traceDiscardCount(): number {
    return this.traceDispatcher?.discardCount ?? 0;
  }

  async start(): Promise<void> {
    if (this.state === 'running') return;
    if (this.state === 'stopping') throw new MQClientError(`consumer ${this.groupName} is shutting down`);
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
    this.rebalanceImpl = this.createRebalance(instance, api, registration.timeoutMillis);
    this.state = 'running';
    this.startTimestamp = Date.now();
    this.nextAutoCommitDeadline = Date.now() + this.settings.autoCommitIntervalMillis;
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
    if (this.subscriptionType === 'ASSIGN') this.updateAssignPullTask();
    await instance.sendHeartbeatToAllBroker();
    if (this.subscriptionType === 'SUBSCRIBE') instance.rebalanceImmediately();
    if (this.traceDispatcher !== undefined) {
      await this.traceDispatcher.start();
      const idSetter = instance.idSetter;
      this.traceHook = new ConsumeMessageTraceHook(this.traceDispatcher, this.options.group, () => idSetter.createUniqID());
    }
    this.instrumentation.emit('start', { group: this.groupName, clientId: instance.clientId });
  }

  /**
   * Stops pulling, ends pending polls with [], commits what was polled (autoCommit), persists the offsets,
   * unregisters the group from the brokers, and stops the client instance unless other clients use it.
   * Idempotent; the consumer may be started again.
   */
  async shutdown(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    this.timers.cancelAll();
    for (const state of this.queueStates.values()) if (state.task !== undefined) state.task.cancelled = true;
    this.wakePollers();
    await this.rebalance.running;
    if (this.settings.autoCommit) this.commitAll();
    await this.persistConsumerOffset();
    // The polls' records are queued by now: they go out before the inner producer stops.
    this.traceHook = undefined;
    await this.traceDispatcher?.shutdown(TRACE_TIMEOUT_MILLIS);
    for (const state of this.queueStates.values()) state.pq.dropped = true;
    this.queueStates.clear();
    this.consumeRequestCache = [];
    this.rebalanceImpl?.processQueueTable.clear();
    const registration = this.registration;
    this.registration = undefined;
    if (registration !== undefined) await unregisterConsumer(this, registration);
    this.instance = undefined;
    this.state = 'stopped';
    if (registration !== undefined) this.instrumentation.emit('stop', { group: this.groupName, clientId: registration.instance.clientId });
  }

  /**
   * The messages of one pull of one queue (at most pullBatchSize), or [] when none arrives within `timeoutMillis`
   * (default pollTimeoutMillis) or the consumer shuts down meanwhile. With autoCommit, first commits what earlier
   * polls returned once autoCommitIntervalMillis has passed.
   */
  async poll(timeoutMillis: number = this.settings.pollTimeoutMillis): Promise<ConsumerMessage[]> {
    this.checkServiceState();
    if (!Number.isFinite(timeoutMillis) || timeoutMillis < 0) throw new RangeError('Timeout must not be negative');
    if (this.settings.autoCommit) this.maybeAutoCommit();
    const begin = performance.now();
    const deadline = Date.now() + timeoutMillis;
    for (;;) {
      // A poll woken by shutdown hands out nothing more: what it took would be committed unprocessed.
      if (this.state !== 'running') return [];
      const request = this.takeConsumeRequest();
      if (request !== undefined) {
        const { state, msgs } = request;
        const offset = state.pq.removeMessage(msgs);
        if (offset >= 0) state.consumeOffset = offset;
        if (this.instrumentation.has('poll')) this.instrumentation.emit('poll', { ...consumeStartPayload(state.mq, msgs), duration: performance.now() - begin });
        resetNamespace(msgs, this.ns);
        // DefaultLitePullConsumerImpl.poll: before and after at once, a success (what the application does next is not seen).
        if (this.traceHook !== undefined) this.traceHook.consumeMessageAfter(this.traceHook.consumeMessageBefore(msgs), msgs.length, 'SUCCESS');
        return msgs.map((msg) => toConsumerMessage(msg, state.mq.brokerName));
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) return [];
      await this.waitForConsumeRequest(remaining);
    }
  }

  /**
   * Without arguments, commits what poll() returned from every queue read (commitSync); with `offsets`, those
   * offsets (the next offset to consume) of queues read now. Then persists them: to the broker (clustering) or
   * the local file (broadcasting).
   */
  async commit(offsets?: Iterable<readonly [MessageQueue, number]>): Promise<void> {
    this.checkServiceState();
    const store = this.offsetStore as OffsetStore;
    if (offsets === undefined) {
      this.commitAll();
    } else {
      for (const [given, offset] of offsets) {
        // Java's commit(Map) takes the queues of assignment() (in the namespace) only; this takes either.
        const mq = this.ns.wrapQueue(given);
        if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`the offset of ${describe(given)} must be a non-negative integer, not ${offset}`);
        const state = this.queueStates.get(messageQueueKey(mq));
        if (state === undefined || state.pq.dropped) {
          this.logger.warn(`commit: ${describe(mq)} is not read by this consumer; its offset ${offset} is ignored`);
          continue;
        }
        store.updateOffset(state.mq, offset, false);
      }
    }
    await this.persistConsumerOffset();
  }

  /**
   * Restarts reading `mq` at `offset`, which must lie between the queue's min and max offsets; what was cached
   * from it is dropped. Java's seek is synchronous; this one asks the broker for the range first.
   */
  async seek(given: MessageQueue, offset: number): Promise<void> {
    this.checkServiceState();
    const mq = this.ns.wrapQueue(given);
    const state = this.requireAssigned(mq);
    const [minOffset, maxOffset] = await Promise.all([this.minOffset(mq), this.maxOffset(mq)]);
    if (!Number.isInteger(offset) || offset < minOffset || offset > maxOffset) {
      throw new MQClientError(`Seek offset illegal, seek offset = ${offset}, min offset = ${minOffset}, max offset = ${maxOffset}`);
    }
    this.repositionQueue(state, offset);
  }

  async seekToBegin(given: MessageQueue): Promise<void> {
    this.checkServiceState();
    const mq = this.ns.wrapQueue(given);
    const state = this.requireAssigned(mq);
    this.repositionQueue(state, await this.minOffset(mq));
  }

  async seekToEnd(given: MessageQueue): Promise<void> {
    this.checkServiceState();
    const mq = this.ns.wrapQueue(given);
    const state = this.requireAssigned(mq);
    this.repositionQueue(state, await this.maxOffset(mq));
  }

  /** The first offset of `mq` stored at or after `timestamp` (SEARCH_OFFSET_BY_TIMESTAMP). */
  async offsetForTimestamp(given: MessageQueue, timestamp: number | Date): Promise<number> {
    this.checkServiceState();
    const mq = this.ns.wrapQueue(given);
    return (this.api as ConsumerAPI).searchOffset(await this.requireBrokerAddr(mq), mq, Number(timestamp), this.apiTimeout());
  }

  /** The group's committed offset of `mq` (this client's latest commit, else the store's), -1 when none. */
  async committed(mq: MessageQueue): Promise<number> {
    this.checkServiceState();
    return (this.offsetStore as OffsetStore).readOffset(this.ns.wrapQueue(mq), 'MEMORY_FIRST_THEN_STORE');
  }

  /** Every readable queue of `topic`, from the name server (their topic without the namespace, as Java's). */
  async fetchMessageQueues(userTopic: string): Promise<MessageQueue[]> {
    this.checkServiceState();
    const topic = this.ns.wrap(userTopic);
    const instance = this.instance as MQClientInstance;
    const route = await instance.mQClientAPIImpl.getTopicRouteInfoFromNameServer(topic, this.apiTimeout());
    const mqs = route === undefined ? [] : topicRouteData2TopicSubscribeInfo(topic, route);
    if (mqs.length === 0) throw new MQClientError(`Can not find Message Queue for this topic, ${topic}`);
    return mqs.map((mq) => this.ns.unwrapQueue(mq));
  }

  // ---- MQConsumerInner: what the client instance calls ----

  subscriptions(): SubscriptionData[] {
    return [...this.subscriptionInner.values()];
  }

  /** Subscribe mode only; calls while one runs coalesce into one more run after it. */
  doRebalance(): Promise<void> {
    return this.subscriptionType === 'SUBSCRIBE' ? this.rebalance.request() : Promise.resolve();
  }

  async persistConsumerOffset(): Promise<void> {
    await this.offsetStore?.persistAll(this.ownedQueues());
  }

  updateTopicSubscribeInfo(topic: string, mqs: MessageQueue[]): void {
    if (this.subscriptionInner.has(topic)) this.rebalanceImpl?.topicSubscribeInfoTable.set(topic, mqs);
  }

  isSubscribeTopicNeedUpdate(topic: string): boolean {
    return this.subscriptionInner.has(topic) && this.rebalanceImpl?.topicSubscribeInfoTable.has(topic) !== true;
  }

  /** RESET_CONSUMER_CLIENT_OFFSET: store and persist the new offsets, and read the queues on from there. */
  async resetOffset(topic: string, offsets: readonly (readonly [MessageQueue, number])[]): Promise<void> {
    const store = this.offsetStore;
    if (store === undefined || this.state !== 'running') return;
    this.logger.info(`resetting the offsets of ${this.groupName} on ${topic}`);
    for (const [mq, offset] of offsets) {
      if (mq.topic !== topic) continue;
      const state = this.queueStates.get(messageQueueKey(mq));
      if (state === undefined || state.pq.dropped) continue;
      store.updateOffset(state.mq, offset, false);
      await store.persist(state.mq);
      this.repositionQueue(state, offset);
    }
  }

  consumerStatus(topic: string): [MessageQueue, number][] {
    return this.offsetStore?.cloneOffsetTable(topic) ?? [];
  }

  consumerRunningInfo(): Buffer {
    const { settings } = this;
    return consumerRunningInfo(
      {
        consumer: this,
        orderly: false,
        startTimestamp: this.startTimestamp,
        nameServers: this.instance?.mQClientAPIImpl.getNameServerAddressList() ?? [],
        offsetStore: this.offsetStore,
      },
      {
        autoCommit: String(settings.autoCommit),
        pullBatchSize: String(settings.pullBatchSize),
        pullThresholdForAll: String(settings.pullThresholdForAll),
        pullThresholdForQueue: String(settings.pullThresholdForQueue),
        pullThresholdSizeForQueue: String(settings.pullThresholdSizeForQueue),
      },
      this.subscriptions(),
      this.queueStates.values(),
    );
  }

  /** Java's client consumes directly for push consumers only: here the application, not a listener, consumes. */
  consumeMessageDirectly(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  // ---- internals ----

  private setSubscriptionType(type: SubscriptionType): void {
    if (this.subscriptionType === 'NONE') this.subscriptionType = type;
    else if (this.subscriptionType !== type) throw new MQClientError('Subscribe and assign are mutually exclusive.');
  }

  private checkServiceState(): void {
    if (this.state !== 'running') throw new MQClientError(`The consumer ${this.groupName} is not running (${this.state})`);
  }

  private apiTimeout(): number {
    return this.instance?.config.mqClientApiTimeout ?? 3000;
  }

  private createRebalance(instance: MQClientInstance, api: ConsumerAPI, timeoutMillis: number): RebalanceImpl {
    return new RebalanceImpl({
      consumerGroup: this.groupName,
      clientId: instance.clientId,
      messageModel: this.messageModel,
      orderly: false,
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
      dispatchPullRequest: (request) => this.addQueue(request),
      removingMessageQueue: (mq) => this.releaseQueue(mq),
      instrumentation: this.instrumentation,
      later: (delay, task) => this.timers.later(delay, task),
    });
  }

  /** Rebalance gained a queue: read it from the offset the rebalance computed. */
  private addQueue(request: PullRequest): void {
    const state: QueueState = { mq: request.messageQueue, pq: request.processQueue, paused: false, pullOffset: request.nextOffset, consumeOffset: -1, task: undefined };
    this.queueStates.set(messageQueueKey(state.mq), state);
    this.startPullTask(state);
  }

  /** Rebalance gives a queue away: with autoCommit, what was polled from it is committed before it is persisted. */
  private releaseQueue(mq: MessageQueue): void {
    const state = this.queueStates.get(messageQueueKey(mq));
    if (state === undefined) return;
    if (this.settings.autoCommit && state.consumeOffset >= 0) this.offsetStore?.updateOffset(state.mq, state.consumeOffset, false);
    this.dropQueue(state);
  }

  private dropQueue(state: QueueState): void {
    state.pq.dropped = true;
    if (state.task !== undefined) state.task.cancelled = true;
    const key = messageQueueKey(state.mq);
    if (this.queueStates.get(key) === state) this.queueStates.delete(key);
    this.consumeRequestCache = this.consumeRequestCache.filter((r) => r.state !== state);
  }

  /** Assign mode: stop the queues no longer assigned, start the new ones. */
  private updateAssignPullTask(): void {
    const wanted = new Map(this.assignedQueues.map((mq) => [messageQueueKey(mq), mq]));
    for (const [key, state] of [...this.queueStates]) if (!wanted.has(key)) this.dropQueue(state);
    for (const [key, mq] of wanted) {
      if (this.queueStates.has(key)) continue;
      const state: QueueState = { mq, pq: new ProcessQueue(), paused: false, pullOffset: -1, consumeOffset: -1, task: undefined };
      this.queueStates.set(key, state);
      this.startPullTask(state);
    }
  }

  private requireAssigned(mq: MessageQueue): QueueState {
    const state = this.queueStates.get(messageQueueKey(mq));
    if (state === undefined || state.pq.dropped) {
      const hint = this.subscriptionType === 'SUBSCRIBE' ? ', may be rebalancing' : '';
      throw new MQClientError(`The message queue is not in assigned list${hint}, message queue: ${describe(mq)}`);
    }
    return state;
  }

  /** Seek and offset reset: forget what was cached and restart the pull loop at `offset`. */
  private repositionQueue(state: QueueState, offset: number): void {
    if (state.task !== undefined) state.task.cancelled = true;
    state.pq.clear();
    this.consumeRequestCache = this.consumeRequestCache.filter((r) => r.state !== state);
    state.pullOffset = offset;
    state.consumeOffset = offset;
    this.startPullTask(state);
  }

  private commitAll(): void {
    const store = this.offsetStore;
    if (store === undefined) return;
    for (const state of this.queueStates.values()) {
      if (state.consumeOffset >= 0 && !state.pq.dropped) store.updateOffset(state.mq, state.consumeOffset, false);
    }
  }

  private maybeAutoCommit(): void {
    const now = Date.now();
    if (now < this.nextAutoCommitDeadline) return;
    this.nextAutoCommitDeadline = now + this.settings.autoCommitIntervalMillis;
    this.commitAll();
    void this.persistConsumerOffset();
  }

  /** The oldest cached request of a queue not paused; requests of dropped queues are discarded on the way. */
  private takeConsumeRequest(): ConsumeRequest | undefined {
    this.consumeRequestCache = this.consumeRequestCache.filter((r) => !r.state.pq.dropped);
    const index = this.consumeRequestCache.findIndex((r) => !r.state.paused);
    if (index < 0) return undefined;
    return this.consumeRequestCache.splice(index, 1)[0];
  }

  private waitForConsumeRequest(timeoutMillis: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.pollWaiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMillis);
      this.pollWaiters.add(wake);
    });
  }

  private wakePollers(): void {
    for (const wake of [...this.pollWaiters]) wake();
  }

  /** The master of `brokerName` (else, unless onlyMaster, any replica), refreshing the routes of the topics read once when no route names it yet. */
  private async findBrokerAddr(brokerName: string, onlyMaster = false): Promise<string | undefined> {
    const topics = new Set([...this.subscriptionInner.keys(), ...this.assignedQueues.map((mq) => mq.topic)]);
    return this.instance?.findBrokerAddressRefreshing(brokerName, topics, onlyMaster);
  }

  private async requireBrokerAddr(mq: MessageQueue): Promise<string> {
    let addr = await this.findBrokerAddr(mq.brokerName);
    if (addr === undefined) {
      await this.instance?.updateTopicRouteInfoFromNameServer(mq.topic).catch(() => false);
      addr = this.instance?.findBrokerAddressInSubscribe(mq.brokerName);
    }
    if (addr === undefined) throw new MQClientError(`The broker[${mq.brokerName}] not exist`);
    return addr;
  }

  private async minOffset(mq: MessageQueue): Promise<number> {
    return (this.api as ConsumerAPI).getMinOffset(await this.requireBrokerAddr(mq), mq, this.apiTimeout());
  }

  private async maxOffset(mq: MessageQueue): Promise<number> {
    return (this.api as ConsumerAPI).getMaxOffset(await this.requireBrokerAddr(mq), mq, this.apiTimeout());
  }

  /** RebalanceLitePullImpl.computePullFromWhereWithException: the committed offset, else by consumeFromWhere. */
  private async computePullFromWhere(mq: MessageQueue): Promise<number> {
    const lastOffset = await (this.offsetStore as OffsetStore).readOffset(mq, 'READ_FROM_STORE');
    if (lastOffset >= 0) return lastOffset;
    switch (this.consumeFromWhere) {
      case 'CONSUME_FROM_FIRST_OFFSET':
        // A head deleted since is corrected by the broker's answer (OFFSET_ILLEGAL with the next offset).
        return 0;
      case 'CONSUME_FROM_TIMESTAMP':
        return (this.api as ConsumerAPI).searchOffset(await this.requireBrokerAddr(mq), mq, this.consumeTimestamp, this.apiTimeout());
      default:
        return this.maxOffset(mq);
    }
  }


  private startPullTask(state: QueueState): void {
    const task: PullTask = { cancelled: false };
    state.task = task;
    this.timers.later(0, () => this.pullOnce(state, task), 'pullMessage', state.mq);
  }

  private schedulePull(state: QueueState, task: PullTask, delayMillis: number): void {
    if (!task.cancelled) this.timers.later(delayMillis, () => this.pullOnce(state, task), 'pullMessage', state.mq);
  }

  /** PullTaskImpl.run: one long-polling pull of one queue into the cache, then the next is scheduled. */
  private async pullOnce(state: QueueState, task: PullTask): Promise<void> {
    const { mq, pq } = state;
    if (task.cancelled || pq.dropped || this.state !== 'running') return;
    if (state.paused) return this.schedulePull(state, task, PULL_TIME_DELAY_MILLS_WHEN_PAUSE);
    pq.lastPullTimestamp = Date.now();
    if (
      this.consumeRequestCache.length * this.settings.pullBatchSize > this.settings.pullThresholdForAll ||
      pq.msgCount > this.settings.pullThresholdForQueue ||
      pq.msgSize > this.settings.pullThresholdSizeForQueue * 1024 * 1024 ||
      pq.maxSpan > this.settings.consumeMaxSpan
    ) {
      return this.schedulePull(state, task, PULL_TIME_DELAY_MILLS_WHEN_CACHE_FLOW_CONTROL);
    }
    let delay = 0;
    try {
      if (state.pullOffset < 0) {
        const start = await this.computePullFromWhere(mq);
        if (task.cancelled) return;
        state.pullOffset = start;
      }
      const subscription = this.subscriptionInner.get(mq.topic) ?? (this.subscriptionType === 'ASSIGN' ? buildSubscriptionData(mq.topic, SUB_ALL) : undefined);
      if (subscription === undefined) return;
      // The replica the broker last suggested for this queue (PullAPIWrapper.pullKernelImpl), with Java's fallback.
      const addr = this.instance?.findBrokerInSubscribe(mq.brokerName, this.pullFromWhichNode.recalculate(mq), false)?.brokerAddr ?? (await this.requireBrokerAddr(mq));
      const pullBegin = performance.now();
      const result = await (this.api as ConsumerAPI).pullMessage(
        addr,
        {
          consumerGroup: this.groupName,
          topic: mq.topic,
          queueId: mq.queueId,
          queueOffset: state.pullOffset,
          maxMsgNums: this.settings.pullBatchSize,
          sysFlag: PullSysFlag.FLAG_SUSPEND | PullSysFlag.FLAG_SUBSCRIPTION,
          commitOffset: 0,
          suspendTimeoutMillis: this.settings.brokerSuspendMaxTimeMillis,
          subscription: subscription.subString,
          subVersion: subscription.subVersion,
          expressionType: subscription.expressionType,
        },
        this.settings.consumerTimeoutMillisWhenSuspend,
      );
      this.pullFromWhichNode.update(mq, result.suggestWhichBrokerId);
      if (task.cancelled || pq.dropped || this.state !== 'running') return;
      if (result.pullStatus !== 'FOUND') this.emitPull(mq, result.pullStatus, 0, result.nextBeginOffset, pullBegin);
      if (result.pullStatus === 'FOUND') {
        const msgs = await processPullBody(result.body ?? Buffer.alloc(0), subscription, result.minOffset, result.maxOffset, (msg, err) =>
          this.logger.warn(`the compressed body of ${msg.msgId} does not inflate; delivered as stored`, err),
        );
        if (task.cancelled || pq.dropped) return;
        this.emitPull(mq, 'FOUND', msgs.length, result.nextBeginOffset, pullBegin);
        if (msgs.length > 0) {
          pq.putMessage(msgs);
          this.consumeRequestCache.push({ state, msgs });
          this.wakePollers();
        }
      } else if (result.pullStatus === 'OFFSET_ILLEGAL') {
        this.logger.warn(`the offset ${state.pullOffset} of ${describe(mq)} is illegal; moving to ${result.nextBeginOffset}`);
      }
      // Nothing held and nothing new to hand out: everything before nextBeginOffset was polled or filtered out.
      if (pq.msgCount === 0 && result.pullStatus !== 'FOUND') state.consumeOffset = result.nextBeginOffset;
      state.pullOffset = result.nextBeginOffset;
    } catch (err) {
      if (task.cancelled || pq.dropped || this.state !== 'running') return;
      const flowControl = err instanceof MQBrokerError && err.responseCode === ResponseCode.FLOW_CONTROL;
      delay = flowControl ? PULL_TIME_DELAY_MILLS_WHEN_BROKER_FLOW_CONTROL : this.settings.pullTimeDelayMillsWhenException;
      this.logger.warn(`pulling ${describe(mq)} failed`, err);
    }
    this.schedulePull(state, task, delay);
  }

  private emitPull(mq: MessageQueue, status: PullStatus, messageCount: number, nextOffset: number, begin: number): void {
    if (this.instrumentation.has('pull')) this.instrumentation.emit('pull', { queue: mq, status, messageCount, nextOffset, duration: performance.now() - begin });
  }

}

function describe(mq: MessageQueue): string {
  return `${mq.topic}:${mq.brokerName}:${mq.queueId}`;
}

function intSetting(value: number | undefined, fallback: number, min: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min}, not ${value}`);
  return value;
}
