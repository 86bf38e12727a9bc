import type { Logger } from '../common/logger.js';
import type { GrpcServer, GrpcServerOptions, TlsKeyPair } from '../grpc/transport/grpc-server.js';
import type { MessagingServiceHandlers } from '../grpc/transport/handler.js';
import type { BrokerConfig } from './broker-config.js';
import type { BrokerMessageStore } from './broker-message-store.js';
import type { ClientChannel } from './client/client-channel.js';
import type { ConsumerManager } from './client/consumer-manager.js';
import type { ProducerManager } from './client/producer-manager.js';
import { buildSubscriptionData } from './filter/expression-message-filter.js';
import type { ConsumerFilterManager } from './filter/consumer-filter-manager.js';
import { resolvePullMessageFilter } from './filter/pull-message-filter.js';
import { AckMessageActivity } from './grpc/ack-message-activity.js';
import { ClientActivity } from './grpc/client-activity.js';
import { defaultGrpcSettingsConfig, nextRetryDelay, type GrpcSettingsConfig } from './grpc/client-settings.js';
import { defaultGrpcConsumerConfig, type GrpcConsumerConfig } from './grpc/consumer-config.js';
import { GrpcStatusError, statusOfRemoting } from './grpc/grpc-status.js';
import { ReceiptHandleManager } from './grpc/receipt-handle-manager.js';
import { ReceiveMessageActivity } from './grpc/receive-message-activity.js';
import { GrpcClientChannel } from './grpc/grpc-client-channel.js';
import { DEFAULT_SEND_LIMITS } from './grpc/message-builder.js';
import { messagingServiceHandlers } from './grpc/messaging-service.js';
import { QueueSelector } from './grpc/queue-selector.js';
import { RouteActivity } from './grpc/route-activity.js';
import { SendMessageActivity } from './grpc/send-message-activity.js';
import { TransactionActivity, type OrphanCheck } from './grpc/transaction-activity.js';
import type { PopEngine } from './pop/pop-engine.js';
import { checkPopTarget } from './processors/pop-message-processor.js';
import { consumerSendMsgBack } from './send/consumer-send-back.js';
import { MessageSender, V3_4_9, type SendContext } from './send/message-sender.js';
import type { SendThreadPoolQueue } from './latency/send-thread-pool-queue.js';
import { enums } from '../grpc/schema.js';
import { RemotingCommand } from '../protocol/remoting-command.js';
import { ResponseCode } from '../protocol/response-code.js';
import type { SubscriptionGroupManager } from './subscription/subscription-group-manager.js';
import { recallMessage } from './timer/message-recall.js';
import type { TopicConfigManager } from './topic/topic-config-manager.js';

/** The gRPC endpoint's configuration (Java proxy key names where there is one). */
export interface GrpcEndpointOptions {
  /** grpcServerPort (8081 in Java; 0: any free port). */
  port: number;
  /** Where to listen (loopback unless configured otherwise). */
  bindAddress: string;
  /** PEM key and certificate: TLS next to plaintext on the same port; may still be in the making (GrpcServerOptions.tls). */
  tls?: TlsKeyPair | Promise<TlsKeyPair | undefined> | undefined;
  /** The store's maxMessageSize: the Settings' max body size, and the send check. */
  maxMessageSize: number;
  /** Create unknown topics on QueryRoute, as MIXED (the dev server); off: TOPIC_NOT_FOUND. */
  autoCreateTopics: boolean;
  /** grpcClientConsumerMaxLongPollingTimeoutMillis (20 s). */
  longPollingTimeoutMillis?: number;
  /** The other consumption settings (ProxyConfig names: grpcClientConsumerMinLongPollingTimeoutMillis, renew…). */
  consumer?: Partial<GrpcConsumerConfig>;
  /** Answer every RPC with UNAUTHORIZED and this reason (the broker enforces an ACL the endpoint cannot check yet). */
  refuseAll?: string | undefined;
}

/** How often clients gone quiet are looked for (as the broker's ClientHousekeepingService, 10 s). */
const SCAN_INTERVAL_MILLIS = 10_000;

/** What the endpoint needs of the broker. */
export interface GrpcEndpointBroker extends SendContext {
  readonly config: Readonly<BrokerConfig>;
  readonly topicConfigManager: TopicConfigManager;
  readonly subscriptionGroupManager: SubscriptionGroupManager;
  readonly producerManager: ProducerManager<ClientChannel>;
  readonly consumerManager: ConsumerManager<ClientChannel>;
  readonly messageStore: BrokerMessageStore;
  readonly sendThreadPoolQueue: SendThreadPoolQueue;
  readonly popEngine: PopEngine;
  readonly consumerFilterManager: ConsumerFilterManager;
  registerBrokerAll(): Promise<void>;
}

/**
 * The broker's MessagingService endpoint: the activities (src/broker/grpc, transport-free) over the broker's
 * managers, served by the gRPC transport (src/grpc/transport). The broker creates it when grpcServerPort is set.
 */
export class GrpcEndpoint {
  private readonly handlers: MessagingServiceHandlers;
  private readonly serverOptions: GrpcServerOptions;
  /**
   * The transport (and @grpc/grpc-js with it, 50-80 ms to load) is loaded only by a broker that serves gRPC. The load
   * starts at construction rather than in start(), so that it can overlap the broker's own start; a profile of `dev`
   * found about 30 ms of that start idle, which bounds what this can save.
   */
  private readonly transport: Promise<typeof import('../grpc/transport/grpc-server.js')>;
  /** Made in start(). */
  private server: GrpcServer | undefined;
  private readonly clients: ClientActivity;
  private readonly transactions: TransactionActivity;
  private readonly renewals: ReceiptHandleManager;
  private scanTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly broker: GrpcEndpointBroker,
    private readonly options: GrpcEndpointOptions,
    timerMaxDelaySec: number,
    private readonly logger: Logger,
  ) {
    const settings: GrpcSettingsConfig = {
      ...defaultGrpcSettingsConfig(options.maxMessageSize),
      ...(options.longPollingTimeoutMillis === undefined ? {} : { longPollingTimeoutMillis: options.longPollingTimeoutMillis }),
    };
    const consumer: GrpcConsumerConfig = {
      ...defaultGrpcConsumerConfig(),
      ...(options.longPollingTimeoutMillis === undefined ? {} : { maxLongPollingTimeoutMillis: options.longPollingTimeoutMillis }),
      ...options.consumer,
    };
    const groupSettings = (group: string) => broker.subscriptionGroupManager.findSubscriptionGroupConfig(group);
    this.renewals = new ReceiptHandleManager({
      engine: broker.popEngine,
      config: () => consumer,
      retryDelayOf: (group, reconsumeTimes) => nextRetryDelay(groupSettings(group), reconsumeTimes),
      logger,
    });
    this.clients = new ClientActivity({
      producerManager: broker.producerManager,
      consumerManager: broker.consumerManager,
      groupSettings,
      settingsConfig: () => settings,
      onClientGone: (clientId) => void this.renewals.clearClient(clientId),
      logger,
    });
    const routes = new RouteActivity({
      config: () => broker.config,
      topicConfigManager: broker.topicConfigManager,
      subscriptionGroupManager: broker.subscriptionGroupManager,
      autoCreateTopics: () => options.autoCreateTopics,
      announceTopics: () => void broker.registerBrokerAll(),
      defaultEndpoint: () => ({ host: broker.config.brokerIP1, port: this.port }),
    });
    this.transactions = new TransactionActivity(broker.transactionalMessageService, logger);
    const sends = new SendMessageActivity({
      sender: new MessageSender(broker),
      throughSendQueue: (send) => throughSendQueue(broker.sendThreadPoolQueue, send),
      resolveTopic: (name) => routes.resolveTopic(name),
      queueSelector: new QueueSelector(),
      transactions: this.transactions,
      limits: () => ({ ...DEFAULT_SEND_LIMITS, maxMessageSize: options.maxMessageSize }),
      checkMessageType: () => settings.enableTopicMessageTypeCheck,
    });
    this.handlers = messagingServiceHandlers({
      clients: this.clients,
      routes,
      sends,
      transactions: this.transactions,
      receives: new ReceiveMessageActivity({
        settingsOf: (clientId) => this.clients.settingsOf(clientId),
        engine: broker.popEngine,
        checkTarget: (group, topic, peer) => {
          const refused = checkPopTarget(broker, peer, { consumerGroup: group, topic, queueId: -1 });
          return refused === undefined ? undefined : statusOfRemoting(refused.code, refused.remark);
        },
        resolveFilter: (group, topic, type, expression) => resolveFilter(broker, group, topic, type, expression),
        renewals: this.renewals,
        config: () => consumer,
        logger,
      }),
      acks: new AckMessageActivity({
        engine: broker.popEngine,
        renewals: this.renewals,
        sendToDLQ: ({ group, commitLogOffset, originMessageId, originTopic }) =>
          throughSendQueue(broker.sendThreadPoolQueue, () => consumerSendMsgBack(broker, { offset: commitLogOffset, group, delayLevel: -1, originTopic }, V3_4_9)).then((outcome) => {
            logger.debug(`gRPC forward of ${originMessageId} (${originTopic}) to the DLQ of ${group}: ${outcome.code}`);
            return outcome;
          }),
        config: () => consumer,
        logger,
      }),
      recall: (topic, recallHandle, peer) => recallMessage(broker, { topic, recallHandle, producerGroup: topic, remoteAddr: peer }, timerMaxDelaySec),
      refuseAll: options.refuseAll,
      logger,
    });
    this.transport = import('../grpc/transport/grpc-server.js');
    // start() reports a failed load; until then it is not an unhandled rejection.
    this.transport.catch(() => undefined);
    this.serverOptions = {
      port: options.port,
      host: options.bindAddress,
      tls: options.tls,
      // A batch of bodies at the limit plus their properties fits (grpc-js's own default is 4 MiB).
      maxReceiveMessageLength: options.maxMessageSize * 4 + (1 << 20),
      logger,
    };
  }

  get port(): number {
    return this.server?.port ?? 0;
  }

  async start(): Promise<void> {
    const { GrpcServer } = await this.transport;
    this.server = new GrpcServer(this.handlers, this.serverOptions);
    await this.server.start();
    this.renewals.start();
    this.scanTimer = setInterval(() => this.clients.scanNotActiveClients(this.broker.config.channelExpiredTimeout), SCAN_INTERVAL_MILLIS);
    this.scanTimer.unref();
    const tls = this.server.tlsEnabled ? 'TLS and plaintext' : 'plaintext';
    this.logger.info(`gRPC endpoint (RocketMQ 5.x SDKs, ${tls}) listening on ${this.options.bindAddress}:${this.port}`);
  }

  async shutdown(): Promise<void> {
    clearInterval(this.scanTimer);
    await this.renewals.shutdown();
    this.clients.shutdown();
    await this.server?.shutdown();
  }

  /** The broker's transaction check picked this client: true when the channel is a gRPC producer (then it is asked). */
  checkTransaction(channel: ClientChannel, group: string, check: OrphanCheck, body: Buffer): boolean {
    if (!(channel instanceof GrpcClientChannel)) return false;
    this.transactions.checkOrphan(channel, group, check, body);
    return true;
  }
}

/**
 * A gRPC send through the broker's send queue (SendThreadPoolQueue speaks RemotingCommand): the outcome when it ran,
 * else the queue's refusal (SYSTEM_BUSY "[OVERLOAD]" or "[TIMEOUT_CLEAN_QUEUE]", which the activity answers
 * TOO_MANY_REQUESTS, and clients retry after their backoff).
 */
async function throughSendQueue<T extends { code: number; remark?: string | undefined }>(queue: SendThreadPoolQueue, send: () => Promise<T>): Promise<T | { code: number; remark: string | undefined }> {
  let outcome: T | undefined;
  const response = await queue.submit(async () => {
    outcome = await send();
    return RemotingCommand.createResponseCommand(outcome.code, outcome.remark);
  });
  return outcome ?? { code: response.code, remark: response.remark };
}

/**
 * ReceiveMessageActivity's filter: FilterAPI.build of the request's expression, compiled as a pop's carried
 * subscription. One that does not parse or compile is ILLEGAL_FILTER_EXPRESSION; SQL92 on a broker without
 * enablePropertyFilter is refused as the broker refuses it.
 */
function resolveFilter(broker: GrpcEndpointBroker, group: string, topic: string, type: 'TAG' | 'SQL92', expression: string) {
  let subscriptionData;
  try {
    subscriptionData = buildSubscriptionData(topic, expression, type);
  } catch (err) {
    throw new GrpcStatusError(enums.Code.ILLEGAL_FILTER_EXPRESSION, (err as Error).message);
  }
  const filter = resolvePullMessageFilter(broker.consumerFilterManager, broker.config, { topic, consumerGroup: group, subVersion: subscriptionData.subVersion, subscriptionData, carried: true });
  if ('messageFilter' in filter) return filter.messageFilter;
  if (filter.code === ResponseCode.SUBSCRIPTION_PARSE_FAILED) throw new GrpcStatusError(enums.Code.ILLEGAL_FILTER_EXPRESSION, `${type} expression '${expression}' does not parse`);
  const answer = statusOfRemoting(filter.code, filter.remark);
  throw new GrpcStatusError(answer.code, answer.message);
}
