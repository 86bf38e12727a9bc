import { BoundedExecutor } from '../common/executor.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { dataVersionToJson, type DataVersion } from '../protocol/bodies/data-version.js';
import { toFastjson } from '../protocol/bodies/fastjson-writer.js';
import { RequestCode } from '../protocol/request-code.js';
import type { ChannelEventListener } from '../remoting/channel-event.js';
import { RemotingChannel } from '../remoting/remoting-channel.js';
import type { ClientChannel } from './client/client-channel.js';
import { GrpcEndpoint, type GrpcEndpointOptions } from './grpc-endpoint.js';
import { RemotingServer } from '../remoting/remoting-server.js';
import { prometheusEndpoint, prometheusExporterAddress, type HttpEndpoint } from '../remoting/http-endpoint.js';
import { formatPrometheusText } from '../common/prometheus-text.js';
import { RUNTIME_UPDATABLE_KEYS, applyBrokerProperties, type BrokerConfig } from './broker-config.js';
import type { BrokerMessageStore } from './broker-message-store.js';
import { Broker2Client } from './client/broker2-client.js';
import { ClientHousekeepingService } from './client/client-housekeeping-service.js';
import { ConsumerManager } from './client/consumer-manager.js';
import { ProducerManager } from './client/producer-manager.js';
import { RebalanceLockManager } from './client/rebalance-lock-manager.js';
import { newDataVersion, nextDataVersion } from './config-manager.js';
import type { ConfigStore } from './config-store.js';
import { ConsumerFilterManager, FilterFactory } from './filter/consumer-filter-manager.js';
import { ConsumerOffsetManager } from './offset/consumer-offset-manager.js';
import { BrokerOuterAPI, type BrokerOuterAPIOptions } from './out/broker-outer-api.js';
import { AdminBrokerProcessor } from './processors/admin-broker-processor.js';
import { HAStatusProcessor } from './processors/ha-status-processor.js';
import type { BrokerHA } from './broker-ha.js';
import type { BrokerContext } from './processors/broker-context.js';
import { ClientManageProcessor } from './processors/client-manage-processor.js';
import { ConsumerManageProcessor } from './processors/consumer-manage-processor.js';
import { PullMessageProcessor } from './processors/pull-message-processor.js';
import { QueryMessageProcessor } from './processors/query-message-processor.js';
import { SendMessageProcessor } from './processors/send-message-processor.js';
import { RecallMessageProcessor } from './processors/recall-message-processor.js';
import { ReplyMessageProcessor } from './processors/reply-message-processor.js';
import { EndTransactionProcessor } from './processors/end-transaction-processor.js';
import { MessageClientIDSetter } from './processors/message-client-id-setter.js';
import { TransactionalMessageCheckService } from './transaction/transactional-message-check-service.js';
import { TransactionalMessageService } from './transaction/transactional-message-service.js';
import { CHECK_MAX_TIME_TOPIC, TRANSACTION_CONSUMER_GROUP, OP_TOPIC } from './transaction/transactional-message-util.js';
import { SendThreadPoolQueue } from './latency/send-thread-pool-queue.js';
import { notifyMessageArrivingListener } from './longpolling/notify-message-arriving-listener.js';
import { PullRequestHoldService } from './longpolling/pull-request-hold-service.js';
import { ScheduleMessageService } from './schedule/schedule-message-service.js';
import { handlePutHooks, type PutRefusal, type TimerHookConfig } from './timer/timer-message-hook.js';
import { parseHostAddress, type MessageExtBrokerInner } from '../protocol/message/index.js';
import type { TimerMessageStore } from '../store/timer/timer-message-store.js';
import { SubscriptionGroupManager } from './subscription/subscription-group-manager.js';
import { BrokerStatsManager } from './stats/broker-stats-manager.js';
import { brokerMetricsLabels, collectBrokerMetrics } from './stats/broker-metrics.js';
import { BrokerMetricsManager } from './stats/broker-metrics-manager.js';
import { RemotingMetricsManager } from '../remoting/remoting-metrics.js';
import { PlainAccessValidator } from './acl/plain-access-validator.js';
import { PlainPermissionManager, type AclFileStore } from './acl/plain-permission-manager.js';
import { AclConfigProcessor } from './processors/acl-config-processor.js';
import { PermName } from '../protocol/perm-name.js';
import { TopicConfigManager } from './topic/topic-config-manager.js';
import { AclClientRPCHook } from '../remoting/acl-client-rpc-hook.js';
import type { RPCHook } from '../remoting/rpc-hook.js';
import { defaultAuthConfig, type AuthConfig } from './auth/auth-config.js';
import { AuthPipeline } from './auth/auth-pipeline.js';
import { AuthenticationEvaluator } from './auth/authentication-evaluator.js';
import { AuthenticationMetadataManager } from './auth/authentication-metadata-manager.js';
import { AuthorizationEvaluator } from './auth/authorization-evaluator.js';
import { AuthorizationMetadataManager } from './auth/authorization-metadata-manager.js';
import { AuthAdminProcessor } from './processors/auth-admin-processor.js';
import { migrateAuthFromV1, readV1Accounts } from './auth/auth-migrator.js';
import { MessageConst } from '../protocol/message/message-const.js';
import { ConsumerOrderInfoManager } from './pop/consumer-order-info-manager.js';
import { PopEngine } from './pop/pop-engine.js';
import { PopMessageProcessor } from './processors/pop-message-processor.js';
import { AckMessageProcessor } from './processors/ack-message-processor.js';
import { MessageRequestModeManager } from './loadbalance/message-request-mode-manager.js';
import { QueryAssignmentProcessor } from './processors/query-assignment-processor.js';
import { NotificationProcessor } from './processors/notification-processor.js';
import { checkBrokerRole, isSlave } from './slave/broker-role.js';
import { slaveMessageStore } from './slave/slave-message-store.js';
import { mergeOffsetsFromSlaves } from './slave/master-pre-online.js';
import { SLAVE_SYNC_INITIAL_DELAY_MILLIS, SLAVE_SYNC_INTERVAL_MILLIS, SlaveSynchronize } from './slave/slave-synchronize.js';
import type { RegisterBrokerResult } from './out/broker-outer-api.js';

/** Java registers for the first time (periodically) 10 s after start; the period is clamped to 10..60 s. */
const REGISTER_INITIAL_DELAY_MILLIS = 10_000;
/** MessageStoreConfig.flushDelayOffsetInterval: delayOffset.json is written this often (and at shutdown). */
const FLUSH_DELAY_OFFSET_INTERVAL = 10_000;
/** consumerFilter.json is written this often (when it changed) and at shutdown, as Java does every 10 s. */
const PERSIST_CONSUMER_FILTER_INTERVAL = 10_000;
/** AclFileWatchService.WATCH_INTERVAL: the ACL files are checked for changes this often. */
const ACL_WATCH_INTERVAL = 5000;

export interface BrokerControllerOptions {
  /** Where topics.json, consumerOffset.json and subscriptionGroup.json are kept. */
  configStore: ConfigStore;
  messageStore: BrokerMessageStore;
  logger?: Logger;
  /** How the broker reaches name servers (client options, RPC hook). */
  outerAPI?: BrokerOuterAPIOptions;
  /** Largest frame accepted (default: the remoting default, 16 MiB). */
  maxFrameLength?: number;
  /** How long an orderly consumer's queue lock lives without renewal (Java's rocketmq.broker.rebalance.lockMaxLiveTime, 60 s). */
  rebalanceLockMaxLiveTime?: number;
  /** The store's fileReservedTime, in hours (72): a transaction check discards half messages older than that. */
  fileReservedTime?: number;
  /** The store's timer keys the send hook reads (default: Java's, timers on). */
  timerConfig?: TimerHookConfig;
  /** The timer store over `messageStore` (none: timer messages wait forever; the CLI always makes one when enabled). */
  timerMessageStore?: TimerMessageStore;
  /** ACL 2.0 (authentication, authorization, users and ACLs in the config store); default: off. */
  authConfig?: AuthConfig;
  /** Where plain_acl.yml and conf/acl/ are (required with aclEnable; read by migrateAuthFromV1Enabled). */
  aclFileStore?: AclFileStore;
  /** How often the ACL files are checked for changes, in ms (Java: 5 s). */
  aclWatchIntervalMillis?: number;
  /** Serve the RocketMQ 5.x gRPC MessagingService (grpcServerPort) next to remoting; absent: no gRPC. */
  grpc?: GrpcEndpointOptions;
  /** Master/slave replication of the store (brokerRole); absent: none (a store without HA, or a test's fake). */
  ha?: BrokerHA;
}

type State = 'created' | 'running' | 'stopped';

/**
 * BrokerController.java: wires the managers, the message store and two RemotingServers serving the same
 * processors (listenPort, and the "fast"/VIP port listenPort - 2 that Java slaves fetch topic configs from), and
 * keeps the broker registered with every name server: at start, every registerNameServerPeriod, and at once when
 * topics change. Processors are thin adapters over the managers; only this class knows about timers and servers.
 */
export class BrokerController implements BrokerContext {
  readonly logger: Logger;
  readonly topicConfigManager: TopicConfigManager;
  readonly subscriptionGroupManager: SubscriptionGroupManager;
  readonly consumerOffsetManager: ConsumerOffsetManager;
  readonly consumerManager: ConsumerManager<ClientChannel>;
  readonly producerManager: ProducerManager<ClientChannel>;
  readonly messageStore: BrokerMessageStore;
  readonly brokerOuterAPI: BrokerOuterAPI;
  readonly pullRequestHoldService: PullRequestHoldService;
  readonly sendThreadPoolQueue: SendThreadPoolQueue;
  readonly rebalanceLockManager: RebalanceLockManager;
  readonly filterFactory = new FilterFactory();
  readonly consumerFilterManager: ConsumerFilterManager;
  readonly scheduleMessageService: ScheduleMessageService;
  readonly timerMessageStore: TimerMessageStore | undefined;
  private readonly timerConfig: TimerHookConfig;
  readonly transactionalMessageService: TransactionalMessageService;
  private readonly transactionalMessageCheckService: TransactionalMessageCheckService;
  readonly broker2Client: Broker2Client;
  readonly consumerOrderInfoManager: ConsumerOrderInfoManager;
  readonly popEngine: PopEngine;
  readonly messageRequestModeManager: MessageRequestModeManager;
  readonly brokerStatsManager: BrokerStatsManager;
  readonly brokerMetricsManager = new BrokerMetricsManager();
  /** The rpc latency of both remoting servers; recorded only with metricsExporterType=PROM. */
  private readonly remotingMetrics = new RemotingMetricsManager();
  readonly authConfig: AuthConfig;
  /** ACL 2.0's users and ACLs; undefined when their metadata provider is not configured. */
  readonly authenticationMetadataManager: AuthenticationMetadataManager | undefined;
  readonly authorizationMetadataManager: AuthorizationMetadataManager | undefined;
  /** ACL 1.0's accounts and their validation (aclEnable), undefined otherwise. */
  readonly plainPermissionManager: PlainPermissionManager | undefined;
  private readonly aclWatchIntervalMillis: number;
  private readonly aclFileStore: AclFileStore | undefined;
  startupTimeMillis = 0;
  private currentConfig: BrokerConfig;
  private configDataVersion: DataVersion = newDataVersion();
  private readonly remotingServer: RemotingServer;
  private readonly fastRemotingServer: RemotingServer;
  private readonly clientHousekeepingService: ClientHousekeepingService;
  private readonly pullMessageProcessor: PullMessageProcessor;
  /** The gRPC endpoint, when configured. */
  readonly grpcEndpoint: GrpcEndpoint | undefined;
  /** Replication (HA port or link to the master), when the store has it. */
  readonly ha: BrokerHA | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  /** metricsExporterType=PROM: /metrics, /healthz and /readyz. */
  private metricsEndpoint: HttpEndpoint | undefined;
  /** A name server took a registration (readiness). */
  private registered = false;
  private state: State = 'created';
  private starting: Promise<void> | undefined;
  private registering: Promise<void> | undefined;
  private registerQueued: Promise<void> | undefined;
  /** Roles: a SLAVE copies its master's metadata (and refuses writes); undefined on a master. */
  readonly slaveSynchronize: SlaveSynchronize | undefined;

  constructor(config: BrokerConfig, options: BrokerControllerOptions) {
    this.currentConfig = checkBrokerRole(config);
    this.logger = options.logger ?? silentLogger;
    this.messageStore = this.slave ? slaveMessageStore(options.messageStore) : options.messageStore;
    this.ha = options.ha;
    this.authConfig = options.authConfig ?? defaultAuthConfig();
    const users = this.authConfig.authenticationMetadataConfigured ? new AuthenticationMetadataManager(options.configStore, this.logger) : undefined;
    this.authenticationMetadataManager = users;
    this.authorizationMetadataManager = this.authConfig.authorizationMetadataConfigured
      ? new AuthorizationMetadataManager(options.configStore, this.logger, (subject) => users?.getUser(subject.slice('User:'.length)) !== undefined)
      : undefined;
    const brokerConfig = (): Readonly<BrokerConfig> => this.currentConfig;
    this.timerConfig = options.timerConfig ?? { timerWheelEnable: true, timerPrecisionMs: 1000, timerMaxDelaySec: 3 * 24 * 3600 };
    this.timerMessageStore = this.timerConfig.timerWheelEnable ? options.timerMessageStore : undefined;
    this.topicConfigManager = new TopicConfigManager({
      brokerConfig,
      configStore: options.configStore,
      logger: this.logger,
      timerWheelEnable: this.timerConfig.timerWheelEnable,
      onTopicCreated: () => void this.registerBrokerAll(),
    });
    this.subscriptionGroupManager = new SubscriptionGroupManager(brokerConfig, options.configStore, this.logger);
    this.consumerOffsetManager = new ConsumerOffsetManager(options.configStore, this.logger);
    this.producerManager = new ProducerManager<ClientChannel>(this.logger);
    this.consumerFilterManager = new ConsumerFilterManager({
      configStore: options.configStore,
      factory: this.filterFactory,
      filterDataCleanTimeSpan: () => this.currentConfig.filterDataCleanTimeSpan,
      logger: this.logger,
    });
    // Heartbeats register the groups' SQL92 filters whatever enablePropertyFilter says, as Java's do.
    this.consumerManager = new ConsumerManager<ClientChannel>({
      onConsumerIdsChanged: (group, channels) => this.onConsumerIdsChanged(group, channels),
      channelExpiredTimeout: () => this.currentConfig.channelExpiredTimeout,
      onRegister: (group, subList) => this.consumerFilterManager.register(group, subList),
      onUnregister: (group) => this.consumerFilterManager.unRegister(group),
      logger: this.logger,
    });
    this.clientHousekeepingService = new ClientHousekeepingService(this.producerManager, this.consumerManager, this.logger);
    this.sendThreadPoolQueue = new SendThreadPoolQueue({
      capacity: () => this.currentConfig.sendThreadPoolQueueCapacity,
      fastFailureEnable: () => this.currentConfig.brokerFastFailureEnable,
      waitTimeMillsInSendQueue: () => this.currentConfig.waitTimeMillsInSendQueue,
    });
    this.pullMessageProcessor = new PullMessageProcessor(this);
    this.pullRequestHoldService = new PullRequestHoldService({
      getMaxOffsetInQueue: (topic, queueId) => this.messageStore.getMaxOffsetInQueue(topic, queueId),
      executeRequestWhenWakeup: (pullRequest) => this.pullMessageProcessor.executeRequestWhenWakeup(pullRequest),
      logger: this.logger,
    });
    this.pullMessageProcessor.holdService = this.pullRequestHoldService;
    this.rebalanceLockManager = new RebalanceLockManager({ lockMaxLiveTime: options.rebalanceLockMaxLiveTime, logger: this.logger });
    this.brokerStatsManager = new BrokerStatsManager({
      clusterName: config.brokerClusterName,
      isSystemTopic: (topic) => this.topicConfigManager.isSystemTopic(topic),
    });
    this.scheduleMessageService = new ScheduleMessageService({
      store: this.messageStore,
      configStore: options.configStore,
      stats: this.brokerStatsManager,
      logger: this.logger,
    });
    const idSetter = new MessageClientIDSetter(this.currentConfig.brokerIP1);
    this.transactionalMessageService = new TransactionalMessageService({
      store: this.messageStore,
      config: brokerConfig,
      storeHost: () => parseHostAddress(this.brokerAddr),
      createUniqID: () => idSetter.createUniqID(),
      beforeCommitPut: (msg) => this.handlePutHooks(msg),
      stats: this.brokerStatsManager,
      metrics: this.brokerMetricsManager,
      logger: this.logger,
    });
    this.transactionalMessageCheckService = new TransactionalMessageCheckService({
      store: this.messageStore,
      queryOffset: (topic, queueId) => this.consumerOffsetManager.queryOffset(TRANSACTION_CONSUMER_GROUP, topic, queueId),
      commitOffset: (topic, queueId, offset) => this.consumerOffsetManager.commitOffset(this.brokerAddr, TRANSACTION_CONSUMER_GROUP, topic, queueId, offset),
      persistOffsets: () => void this.consumerOffsetManager.persistInBackground(),
      transactions: this.transactionalMessageService,
      config: brokerConfig,
      ensureCheckMaxTimeTopic: () => {
        this.topicConfigManager.createTopicInSendMessageBackMethod(CHECK_MAX_TIME_TOPIC, 1, PermName.PERM_READ | PermName.PERM_WRITE, false, 0);
      },
      sendCheck: (group, header, body) => {
        const channel = this.producerManager.getAvailableChannel(group, (c) => c.isActive, (c) => c.isWritable);
        if (channel === undefined) return undefined;
        // A gRPC producer (group = its topic) is asked down its Telemetry stream.
        const check = { tranStateTableOffset: header.tranStateTableOffset, commitLogOffset: header.commitLogOffset, transactionId: header.transactionId ?? header.msgId };
        if (this.grpcEndpoint?.checkTransaction(channel, group, check, body) === true) return Promise.resolve();
        if (!(channel instanceof RemotingChannel)) return undefined;
        return this.broker2Client.checkProducerTransactionState(group, channel, { ...header }, body);
      },
      fileReservedMillis: () => (options.fileReservedTime ?? 72) * 3600_000,
      logger: this.logger,
    });
    this.messageRequestModeManager = new MessageRequestModeManager(options.configStore, this.logger);
    this.consumerOrderInfoManager = new ConsumerOrderInfoManager(options.configStore, Date.now, this.logger);
    this.popEngine = new PopEngine({
      store: this.messageStore,
      broker: {
        queryOffset: (group, topic, queueId) => this.consumerOffsetManager.queryOffset(group, topic, queueId),
        commitOffset: (group, topic, queueId, offset) => this.consumerOffsetManager.commitOffset('PopEngine', group, topic, queueId, offset),
        readQueueNums: (topic) => this.topicConfigManager.selectTopicConfig(topic)?.readQueueNums,
        createTopicIfAbsent: (topic, queueNums) => {
          this.topicConfigManager.createTopicInSendMessageBackMethod(topic, queueNums, PermName.PERM_READ | PermName.PERM_WRITE, false, 0);
        },
      },
      orderInfo: this.consumerOrderInfoManager,
      metrics: this.brokerMetricsManager,
      config: brokerConfig,
      storeHost: () => parseHostAddress(this.brokerAddr),
      logger: this.logger,
    });
    // Arrivals wake parked pulls, and a message parked at a delay level sets its level's timer (its tag code is its due time).
    const wakePulls = notifyMessageArrivingListener(this.pullRequestHoldService);
    this.messageStore.setMessageArrivingListener((topic, queueId, logicOffset, tagsCode, storeTimestamp, properties) => {
      wakePulls(topic, queueId, logicOffset, tagsCode, storeTimestamp, properties);
      this.popEngine.notifyMessageArriving(topic, queueId);
      this.scheduleMessageService.onMessageArriving(topic, queueId, tagsCode);
      this.timerMessageStore?.onMessageArriving(topic);
    });
    // A closed connection leaves its groups and drops its parked pulls, which could never be answered.
    const channelEvents: ChannelEventListener = {
      onChannelClose: (remoteAddr, channel) => {
        this.pullRequestHoldService.onChannelClose(channel);
        this.clientHousekeepingService.onChannelClose(remoteAddr, channel);
      },
      onChannelException: (remoteAddr, channel) => {
        this.pullRequestHoldService.onChannelClose(channel);
        this.clientHousekeepingService.onChannelException(remoteAddr, channel);
      },
      onChannelIdle: (remoteAddr, channel) => this.clientHousekeepingService.onChannelIdle(remoteAddr, channel),
    };
    if (config.aclEnable) {
      if (options.aclFileStore === undefined) throw new Error('aclEnable needs the ACL files (aclFileStore)');
      this.plainPermissionManager = new PlainPermissionManager(options.aclFileStore, this.logger);
    }
    this.aclWatchIntervalMillis = options.aclWatchIntervalMillis ?? ACL_WATCH_INTERVAL;
    this.aclFileStore = options.aclFileStore;
    this.remotingServer = this.createRemotingServer(config.listenPort, channelEvents, options.maxFrameLength);
    // A listenPort of 0 (any free port) gives the fast server its own free port: port - 2 means nothing then.
    const fastPort = config.listenPort > 2 ? config.listenPort - 2 : 0;
    this.fastRemotingServer = this.createRemotingServer(fastPort, channelEvents, options.maxFrameLength);
    this.broker2Client = new Broker2Client(
      this.remotingServer,
      {
        brokerName: () => this.currentConfig.brokerName,
        topicConfigManager: this.topicConfigManager,
        consumerOffsetManager: this.consumerOffsetManager,
        consumerManager: this.consumerManager,
        messageStore: this.messageStore,
      },
      this.logger,
    );
    // The broker signs its own requests (name-server registration) with the inner credentials, as Java's does.
    const inner = this.authConfig.innerClientCredentials;
    const innerHook = inner === undefined ? undefined : new AclClientRPCHook(inner);
    // ACL (1.0 or 2.0) is not checked over gRPC yet: an endpoint that let requests in unchecked would bypass it.
    const aclOn = config.aclEnable || this.authConfig.authenticationEnabled || this.authConfig.authorizationEnabled;
    const grpc = options.grpc === undefined || !aclOn ? options.grpc : { ...options.grpc, refuseAll: 'this broker enforces ACL, which its gRPC endpoint does not check yet: use a remoting client' };
    this.grpcEndpoint = grpc === undefined ? undefined : new GrpcEndpoint(this, grpc, this.timerConfig.timerMaxDelaySec, this.logger);
    this.brokerOuterAPI = new BrokerOuterAPI({ logger: this.logger, ...(innerHook === undefined ? {} : { rpcHook: innerHook }), ...options.outerAPI });
    this.slaveSynchronize = this.slave
      ? new SlaveSynchronize({
          source: this.brokerOuterAPI,
          topicConfigManager: this.topicConfigManager,
          consumerOffsetManager: this.consumerOffsetManager,
          scheduleMessageService: this.scheduleMessageService,
          subscriptionGroupManager: this.subscriptionGroupManager,
          messageRequestModeManager: this.messageRequestModeManager,
          brokerAddr: () => this.brokerAddr,
          onTopicsChanged: () => void this.registerBrokerAll(),
          logger: this.logger,
        })
      : undefined;
  }

  /** brokerRole=SLAVE (fixed at start, as in Java's classic mode). */
  get slave(): boolean {
    return isSlave(this.currentConfig);
  }

  /**
   * SlaveSynchronize.setMasterAddr from a registration: the first answer naming a master (5.3.3), none meaning
   * the master is gone (the sync then pauses). A newly found master is synced from at once (P10), not in 10 s.
   */
  private onRegisterResults(results: readonly RegisterBrokerResult[]): void {
    const sync = this.slaveSynchronize;
    if (sync === undefined) return;
    const masterAddr = results.find((result) => result.masterAddr !== undefined && result.masterAddr !== '')?.masterAddr;
    if (sync.setMasterAddr(masterAddr)) void sync.syncAll();
  }

  get config(): Readonly<BrokerConfig> {
    return this.currentConfig;
  }

  get configVersionJson(): string {
    return toFastjson(dataVersionToJson(this.configDataVersion));
  }

  /** The bound port of the main server (after start()). */
  get port(): number {
    return this.remotingServer.port;
  }

  /** BrokerController#registerServerRPCHook: a hook around every request on both remoting ports (audits, tests). */
  registerServerRPCHook(hook: RPCHook): void {
    this.remotingServer.registerRPCHook(hook);
    this.fastRemotingServer.registerRPCHook(hook);
  }

  /** The bound port of the fast (VIP) server (after start()). */
  get fastPort(): number {
    return this.fastRemotingServer.port;
  }

  /** The bound port of the Prometheus endpoint, undefined unless metricsExporterType is PROM (after start()). */
  get metricsPort(): number | undefined {
    return this.metricsEndpoint?.port;
  }

  /** Ready: serving, the store recovered, and registered with a name server when one is configured. */
  get ready(): boolean {
    return this.state === 'running' && (this.registered || this.currentConfig.namesrvAddr.trim() === '');
  }

  /** What name servers and clients are told: brokerIP1 and the bound listen port. */
  get brokerAddr(): string {
    return `${this.currentConfig.brokerIP1}:${this.port}`;
  }

  /**
   * Loads the JSON configs, starts the store, listens on both ports, registers with every name server, and
   * schedules the periodic registration, the offset flush and the client scan. Calling it again is harmless.
   */
  start(): Promise<void> {
    if (this.state === 'stopped') return Promise.reject(new Error('the broker was shut down'));
    this.starting ??= this.doStart();
    return this.starting;
  }

  /**
   * Unregisters from the name servers, stops serving, persists topics, offsets and groups, and shuts the store
   * down. Leaves no timer or socket behind. Idempotent.
   */
  async shutdown(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.length = 0;
    this.clientHousekeepingService.shutdown();
    this.brokerStatsManager.shutdown();
    this.pullRequestHoldService.shutdown();
    this.sendThreadPoolQueue.shutdown();
    await this.starting?.catch(() => undefined);
    await this.registering?.catch(() => undefined);
    await this.metricsEndpoint?.shutdown();
    // Before the store closes: deliveries in flight finish, and delayOffset.json gets the last offsets.
    await this.scheduleMessageService.shutdown().catch((err: unknown) => this.logger.error('stopping the schedule service failed', err));
    await this.timerMessageStore?.shutdown().catch((err: unknown) => this.logger.error('stopping the timer store failed', err));
    await this.transactionalMessageCheckService.stop();
    await this.popEngine.shutdown().catch((err: unknown) => this.logger.error('stopping the POP engine failed', err));
    await this.transactionalMessageService.shutdown().catch((err: unknown) => this.logger.error('writing the pending transaction op records failed', err));
    if (this.startupTimeMillis > 0) {
      const { brokerClusterName, brokerName, brokerId } = this.currentConfig;
      await this.brokerOuterAPI.unregisterBrokerAll(brokerClusterName, this.brokerAddr, brokerName, brokerId);
    }
    await this.grpcEndpoint?.shutdown();
    await this.remotingServer.shutdown();
    await this.fastRemotingServer.shutdown();
    await this.brokerOuterAPI.shutdown();
    const persisted = await Promise.allSettled([
      this.consumerOffsetManager.persist(),
      this.topicConfigManager.persist(),
      this.subscriptionGroupManager.persist(),
      this.consumerFilterManager.persist(),
      this.consumerOrderInfoManager.persist(),
    ]);
    for (const result of persisted) if (result.status === 'rejected') this.logger.error('persisting a config at shutdown failed', result.reason);
    await this.ha?.shutdown();
    await this.messageStore.shutdown();
    this.logger.info(`broker ${this.currentConfig.brokerName} shut down`);
  }

  async updateConfig(properties: ReadonlyMap<string, string>): Promise<void> {
    const { config } = applyBrokerProperties(this.currentConfig, properties, RUNTIME_UPDATABLE_KEYS);
    this.currentConfig = config;
    this.configDataVersion = nextDataVersion(this.configDataVersion);
    this.logger.info(`broker config updated: ${[...properties].map(([k, v]) => `${k}=${v}`).join(', ')}`);
    if (properties.has('brokerPermission')) {
      // Routes carry each topic's perm ANDed with the broker's: name servers must take a new registration.
      this.topicConfigManager.nextDataVersion();
      await this.registerBrokerAll();
    }
  }

  /**
   * REGISTER_BROKER with every name server. Registrations run one at a time, and calls made while one is in
   * flight share a single follow-up, which sends the topics as they are when it starts: a name server never gets
   * an older DataVersion after a newer one. Resolves when a registration begun after the call has finished.
   */
  registerBrokerAll(): Promise<void> {
    if (this.registerQueued !== undefined) return this.registerQueued;
    const previous = this.registering ?? Promise.resolve();
    const next = previous.then(() => {
      this.registerQueued = undefined;
      return this.doRegisterBrokerAll();
    });
    this.registerQueued = next;
    this.registering = next;
    void next.then(() => {
      if (this.registering === next) this.registering = undefined;
    });
    return next;
  }

  private createRemotingServer(listenPort: number, housekeeping: ChannelEventListener, maxFrameLength: number | undefined): RemotingServer {
    const config = this.currentConfig;
    const server = new RemotingServer({
      listenPort,
      bindAddress: config.bindAddress,
      serverChannelMaxIdleTimeSeconds: config.serverChannelMaxIdleTimeSeconds,
      maxFrameLength,
      logger: this.logger,
      channelEventListener: housekeeping,
    });
    // Java gives each processor its own thread pool; here executors bound how many requests of a kind queue up.
    const clientManage = new ClientManageProcessor(this);
    const clientExecutor = new BoundedExecutor({ maxConcurrency: 32, queueCapacity: 50_000 });
    server.registerProcessor(RequestCode.HEART_BEAT, clientManage, clientExecutor);
    server.registerProcessor(RequestCode.UNREGISTER_CLIENT, clientManage, clientExecutor);
    server.registerProcessor(RequestCode.CHECK_CLIENT_CONFIG, clientManage, clientExecutor);
    const consumerManage = new ConsumerManageProcessor(this);
    const consumerExecutor = new BoundedExecutor({ maxConcurrency: 32, queueCapacity: 100_000 });
    server.registerProcessor(RequestCode.GET_CONSUMER_LIST_BY_GROUP, consumerManage, consumerExecutor);
    server.registerProcessor(RequestCode.UPDATE_CONSUMER_OFFSET, consumerManage, consumerExecutor);
    server.registerProcessor(RequestCode.QUERY_CONSUMER_OFFSET, consumerManage, consumerExecutor);
    // The send processor queues sends itself (SendThreadPoolQueue, with fast failure), so its executor never does.
    const send = new SendMessageProcessor(this, this.sendThreadPoolQueue);
    const sendExecutor = new BoundedExecutor({ maxConcurrency: Number.MAX_SAFE_INTEGER, queueCapacity: 0 });
    server.registerProcessor(RequestCode.SEND_MESSAGE, send, sendExecutor);
    server.registerProcessor(RequestCode.SEND_MESSAGE_V2, send, sendExecutor);
    server.registerProcessor(RequestCode.SEND_BATCH_MESSAGE, send, sendExecutor);
    server.registerProcessor(RequestCode.CONSUMER_SEND_MSG_BACK, send, sendExecutor);
    // Java's replyMessageExecutor: a reply waits for its push to the requester (up to 10 s), off the send queue.
    const reply = new ReplyMessageProcessor(this);
    const replyExecutor = new BoundedExecutor({ maxConcurrency: 64, queueCapacity: 10_000 });
    server.registerProcessor(RequestCode.SEND_REPLY_MESSAGE, reply, replyExecutor);
    server.registerProcessor(RequestCode.SEND_REPLY_MESSAGE_V2, reply, replyExecutor);
    server.registerProcessor(RequestCode.RECALL_MESSAGE, new RecallMessageProcessor(this, this.timerConfig.timerMaxDelaySec), sendExecutor);
    const pullExecutor = new BoundedExecutor({ maxConcurrency: 64, queueCapacity: 100_000 });
    server.registerProcessor(RequestCode.PULL_MESSAGE, this.pullMessageProcessor, pullExecutor);
    server.registerProcessor(RequestCode.LITE_PULL_MESSAGE, this.pullMessageProcessor, pullExecutor);
    // Pops answer later (long polling), acks once their record is stored.
    const pop = new PopMessageProcessor(this, this.popEngine);
    server.registerProcessor(RequestCode.POP_MESSAGE, pop, pullExecutor);
    const ack = new AckMessageProcessor(this, this.popEngine);
    const ackExecutor = new BoundedExecutor({ maxConcurrency: 64, queueCapacity: 100_000 });
    server.registerProcessor(RequestCode.ACK_MESSAGE, ack, ackExecutor);
    server.registerProcessor(RequestCode.CHANGE_MESSAGE_INVISIBLETIME, ack, ackExecutor);
    server.registerProcessor(RequestCode.BATCH_ACK_MESSAGE, ack, ackExecutor);
    const notification = new NotificationProcessor(this, this.popEngine);
    for (const code of [RequestCode.NOTIFICATION, RequestCode.POLLING_INFO, RequestCode.PEEK_MESSAGE]) server.registerProcessor(code, notification, pullExecutor);
    const assignment = new QueryAssignmentProcessor(this, this.messageRequestModeManager);
    server.registerProcessor(RequestCode.QUERY_ASSIGNMENT, assignment, consumerExecutor);
    server.registerProcessor(RequestCode.SET_MESSAGE_REQUEST_MODE, assignment, consumerExecutor);
    const query = new QueryMessageProcessor(this);
    const queryExecutor = new BoundedExecutor({ maxConcurrency: 8, queueCapacity: 20_000 });
    server.registerProcessor(RequestCode.QUERY_MESSAGE, query, queryExecutor);
    server.registerProcessor(RequestCode.VIEW_MESSAGE_BY_ID, query, queryExecutor);
    const endTransaction = new EndTransactionProcessor(this.transactionalMessageService, () => this.slave);
    server.registerProcessor(RequestCode.END_TRANSACTION, endTransaction, new BoundedExecutor({ maxConcurrency: 64, queueCapacity: 100_000 }));
    const authAdmin = new AuthAdminProcessor({ users: this.authenticationMetadataManager, acls: this.authorizationMetadataManager, logger: this.logger });
    // One at a time, in arrival order: a change is answered once written, and the next request sees it.
    const authAdminExecutor = new BoundedExecutor({ maxConcurrency: 1, queueCapacity: 1_000 });
    for (let code = RequestCode.AUTH_CREATE_USER; code <= RequestCode.AUTH_LIST_ACL; code++) server.registerProcessor(code, authAdmin, authAdminExecutor);
    if (this.authConfig.authenticationEnabled || this.authConfig.authorizationEnabled) server.setRequestPipeline(this.createAuthPipeline());
    // The ACL admin codes write files: one at a time, in arrival order (Java's synchronized handlers).
    const aclConfig = new AclConfigProcessor(this, this.plainPermissionManager);
    const aclExecutor = new BoundedExecutor({ maxConcurrency: 1, queueCapacity: 1000 });
    for (const code of [
      RequestCode.UPDATE_AND_CREATE_ACL_CONFIG,
      RequestCode.DELETE_ACL_CONFIG,
      RequestCode.GET_BROKER_CLUSTER_ACL_INFO,
      RequestCode.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG,
      RequestCode.GET_BROKER_CLUSTER_ACL_CONFIG,
    ]) {
      server.registerProcessor(code, aclConfig, aclExecutor);
    }
    server.registerProcessor(RequestCode.GET_BROKER_HA_STATUS, new HAStatusProcessor(() => this.ha?.runtimeInfoBody()), new BoundedExecutor({ maxConcurrency: 1, queueCapacity: 100 }));
    server.registerDefaultProcessor(new AdminBrokerProcessor(this), new BoundedExecutor({ maxConcurrency: 16, queueCapacity: 10_000 }));
    // BrokerController#initialAcl: the validator runs before every processor, on both ports.
    if (this.plainPermissionManager !== undefined) server.registerRPCHook(new PlainAccessValidator(this.plainPermissionManager));
    return server;
  }

  /** ACL 2.0's pipeline: every request is authenticated and authorized before its processor runs. */
  private createAuthPipeline(): AuthPipeline {
    const users = this.authenticationMetadataManager;
    return new AuthPipeline(
      new AuthenticationEvaluator(this.authConfig, users),
      new AuthorizationEvaluator(this.authConfig, users, this.authorizationMetadataManager),
      () => this.currentConfig.brokerClusterName,
      (commitLogOffset) => this.messageStore.lookMessageByOffset(commitLogOffset)?.getProperty(MessageConst.PROPERTY_REAL_TOPIC),
      this.logger,
    );
  }

  /** The request codes with a processor of their own; the admin processor serves the others. */
  requestCodes(): number[] {
    return this.remotingServer.registeredRequestCodes();
  }

  handlePutHooks(msg: MessageExtBrokerInner): PutRefusal | undefined {
    return handlePutHooks(msg, this.timerConfig, this.scheduleMessageService.maxDelayLevel, Date.now());
  }

  private async doStart(): Promise<void> {
    await this.loadAuth();
    // Before anything listens: a broker with aclEnable never serves a request unchecked.
    await this.plainPermissionManager?.load();
    await this.topicConfigManager.load();
    await this.consumerOffsetManager.load();
    await this.subscriptionGroupManager.load();
    await this.consumerFilterManager.load();
    await this.scheduleMessageService.load();
    await this.consumerOrderInfoManager.load();
    await this.messageRequestModeManager.load();
    if (this.stopped) return;
    await this.messageStore.start();
    if (this.stopped) return;
    // Right after the store: a SYNC_MASTER's puts wait for its slaves from the first one served.
    await this.ha?.start(this.currentConfig.listenPort);
    if (this.stopped) return;
    // Before serving: what was popped and not acked before a restart is pending again.
    this.popEngine.load();
    // The op records since the check's progress tell which half messages are already finished.
    this.transactionalMessageService.load(this.consumerOffsetManager.queryOffset(TRANSACTION_CONSUMER_GROUP, OP_TOPIC, 0));
    // Roles: the services that write to the store (POP revive, delay-level and timer delivery, transaction
    // checks) are a master's; a slave's log is filled by replication only (Java shuts them down on a SLAVE).
    if (!this.slave) {
      this.popEngine.start();
      this.scheduleMessageService.start();
      await this.timerMessageStore?.start();
      this.transactionalMessageCheckService.start();
    }
    await this.remotingServer.start();
    await this.fastRemotingServer.start();
    await this.grpcEndpoint?.start();
    await this.brokerOuterAPI.start();
    await this.startMetricsEndpoint();
    if (this.stopped) return;
    if (this.currentConfig.namesrvAddr.trim() !== '') this.brokerOuterAPI.updateNameServerAddressList(this.currentConfig.namesrvAddr);
    this.state = 'running';
    this.startupTimeMillis = Date.now();
    this.clientHousekeepingService.start();
    this.brokerStatsManager.start();
    this.schedule(REGISTER_INITIAL_DELAY_MILLIS, Math.max(10_000, Math.min(this.currentConfig.registerNameServerPeriod, 60_000)), () =>
      this.registerPeriodically(),
    );
    const flushInterval = Math.max(1, this.currentConfig.flushConsumerOffsetInterval);
    this.schedule(flushInterval, flushInterval, () => this.consumerOffsetManager.persistInBackground());
    this.schedule(FLUSH_DELAY_OFFSET_INTERVAL, FLUSH_DELAY_OFFSET_INTERVAL, () => this.scheduleMessageService.persistInBackground());
    this.schedule(PERSIST_CONSUMER_FILTER_INTERVAL, PERSIST_CONSUMER_FILTER_INTERVAL, () => this.consumerFilterManager.persistIfChanged());
    const slaveSync = this.slaveSynchronize;
    if (slaveSync !== undefined) this.schedule(SLAVE_SYNC_INITIAL_DELAY_MILLIS, SLAVE_SYNC_INTERVAL_MILLIS, () => slaveSync.syncAll());
    const acl = this.plainPermissionManager;
    if (acl !== undefined) this.schedule(this.aclWatchIntervalMillis, this.aclWatchIntervalMillis, () => acl.reloadIfChanged());
    this.logger.info(`broker ${this.currentConfig.brokerName} listening on ${this.port} (fast port ${this.fastPort}), advertised as ${this.brokerAddr}`);
    // Roles (P7): a master takes the offsets its slaves got while it was away before it registers (and so before
    // any slave syncs from it again).
    if (!this.slave && this.brokerOuterAPI.getNameServerAddressList().length > 0) {
      await mergeOffsetsFromSlaves({
        source: this.brokerOuterAPI,
        brokerName: this.currentConfig.brokerName,
        brokerAddr: this.brokerAddr,
        consumerOffsetManager: this.consumerOffsetManager,
        maxOffsetInQueue: (topic, queueId) => this.messageStore.getMaxOffsetInQueue(topic, queueId),
        logger: this.logger,
      });
    }
    await this.registerBrokerAll();
  }

  /**
   * BrokerMetricsManager's Prometheus exporter (metricsExporterType=PROM), with the health checks on the same
   * port. The other exporter types are accepted for Java's broker.conf and said to be not applied.
   */
  private async startMetricsEndpoint(): Promise<void> {
    const address = prometheusExporterAddress(this.currentConfig, this.logger);
    if (address === undefined) return;
    this.remotingServer.setRemotingMetrics(this.remotingMetrics);
    this.fastRemotingServer.setRemotingMetrics(this.remotingMetrics);
    const endpoint = prometheusEndpoint({
      ...address,
      logger: this.logger,
      metrics: () => formatPrometheusText([...collectBrokerMetrics(this), ...this.remotingMetrics.families()], brokerMetricsLabels(this.currentConfig), Date.now()),
      ready: () => this.ready,
    });
    await endpoint.start();
    this.metricsEndpoint = endpoint;
    this.logger.info(`broker metrics (Prometheus) on ${address.host}:${endpoint.port}/metrics`);
  }

  /**
   * Users and ACLs, then the initial and inner users (created as Super users when missing), then, with
   * migrateAuthFromV1Enabled, the ACL 1.0 accounts (Java migrates after initUser too), all before serving.
   */
  private async loadAuth(): Promise<void> {
    await this.authenticationMetadataManager?.load();
    await this.authorizationMetadataManager?.load();
    const { initAuthenticationUser: init, innerClientCredentials: inner } = this.authConfig;
    const initial = [...(init === undefined ? [] : [init]), ...(inner === undefined ? [] : [{ username: inner.accessKey, password: inner.secretKey }])];
    if (initial.length > 0) await this.authenticationMetadataManager?.initUser(initial);
    if (this.authConfig.migrateAuthFromV1Enabled) await this.migrateAuthFromV1();
  }

  private async migrateAuthFromV1(): Promise<void> {
    // Java reads the files under ROCKETMQ_HOME and, without one, migrates nothing.
    if (this.aclFileStore === undefined) {
      this.logger.warn('migrateAuthFromV1Enabled: no rocketmqHome, no ACL 1.0 file to migrate');
      return;
    }
    const accounts = await readV1Accounts(this.aclFileStore);
    const users = this.authenticationMetadataManager;
    if (users === undefined) {
      // Java logs the failure of each account and starts.
      if (accounts.length > 0) this.logger.error('[ACL MIGRATE] The authenticationMetadataProvider is not configured: no ACL 1.0 account migrated');
      return;
    }
    const created = await migrateAuthFromV1(accounts, users, this.authorizationMetadataManager, this.logger);
    this.logger.info(`[ACL MIGRATE] ${created} of ${accounts.length} ACL 1.0 accounts migrated to users and ACLs`);
  }

  /** A getter so the checks after each await are not narrowed away by the compiler. */
  private get stopped(): boolean {
    return this.state === 'stopped';
  }

  private schedule(initialDelayMillis: number, periodMillis: number, task: () => void | Promise<void>): void {
    const slot = this.timers.length;
    const run = (): void => {
      if (this.stopped) return;
      void Promise.resolve(task()).finally(() => {
        if (!this.stopped) this.timers[slot] = setTimeout(run, periodMillis).unref();
      });
    };
    this.timers.push(setTimeout(run, initialDelayMillis).unref());
  }

  /** Unless forceRegister, the periodic registration asks first whether any name server saw a change. */
  private async registerPeriodically(): Promise<void> {
    const config = this.currentConfig;
    if (!config.forceRegister) {
      const { brokerClusterName: clusterName, brokerName, brokerId } = config;
      const identity = { clusterName, brokerAddr: this.brokerAddr, brokerName, brokerId };
      if (!(await this.brokerOuterAPI.needRegister(identity, this.topicConfigManager.getDataVersion(), config.registerBrokerTimeoutMills))) return;
    }
    await this.registerBrokerAll();
  }

  private async doRegisterBrokerAll(): Promise<void> {
    if (this.stopped || this.startupTimeMillis === 0) return;
    const config = this.currentConfig;
    const wrapper = this.topicConfigManager.buildTopicConfigSerializeWrapper();
    // A read-only or write-only broker advertises every topic with its perm ANDed with the broker's.
    if (!PermName.isReadable(config.brokerPermission) || !PermName.isWriteable(config.brokerPermission)) {
      for (const topic of wrapper.topicConfigTable.values()) topic.perm &= config.brokerPermission;
    }
    try {
      const results = await this.brokerOuterAPI.registerBrokerAll({
        clusterName: config.brokerClusterName,
        brokerAddr: this.brokerAddr,
        brokerName: config.brokerName,
        brokerId: config.brokerId,
        haServerAddr: this.ha?.haServerAddr(config.brokerIP2, this.port) ?? `${config.brokerIP2}:${this.port + 1}`,
        topicConfigWrapper: wrapper,
        timeoutMills: config.registerBrokerTimeoutMills,
        enableActingMaster: config.enableSlaveActingMaster,
        compressed: config.compressedRegister,
        heartbeatTimeoutMillis: config.enableSlaveActingMaster ? config.brokerNotActiveTimeoutMillis : undefined,
      });
      // The first answer carries the name servers' order-topic configuration, which sets the order flags.
      if (results.length > 0) this.registered = true;
      this.ha?.onRegisterResults(results);
      this.onRegisterResults(results);
      const first = results[0];
      if (first?.kvTable !== undefined) this.topicConfigManager.updateOrderTopicConfig(first.kvTable);
    } catch (err) {
      this.logger.error('registerBrokerAll failed', err);
    }
  }

  private onConsumerIdsChanged(group: string, channels: ClientChannel[]): void {
    if (!this.currentConfig.notifyConsumerIdsChangedEnable) return;
    // gRPC consumers are not told: the server assigns their queues (QueryAssignment), they do not rebalance.
    for (const channel of channels) if (channel instanceof RemotingChannel) this.broker2Client.notifyConsumerIdsChanged(channel, group);
  }
}
