import type { Logger } from '../../common/logger.js';
import type { MessageExtBrokerInner } from '../../protocol/message/index.js';
import type { BrokerConfig } from '../broker-config.js';
import type { BrokerMessageStore } from '../broker-message-store.js';
import type { Broker2Client } from '../client/broker2-client.js';
import type { ClientChannel } from '../client/client-channel.js';
import type { ConsumerManager } from '../client/consumer-manager.js';
import type { ProducerManager } from '../client/producer-manager.js';
import type { RebalanceLockManager } from '../client/rebalance-lock-manager.js';
import type { ConsumerFilterManager, FilterFactory } from '../filter/consumer-filter-manager.js';
import type { ConsumerOffsetManager } from '../offset/consumer-offset-manager.js';
import type { BrokerStatsManager } from '../stats/broker-stats-manager.js';
import type { BrokerMetricsManager } from '../stats/broker-metrics-manager.js';
import type { SendThreadPoolQueue } from '../latency/send-thread-pool-queue.js';
import type { ScheduleMessageService } from '../schedule/schedule-message-service.js';
import type { SubscriptionGroupManager } from '../subscription/subscription-group-manager.js';
import type { PopEngine } from '../pop/pop-engine.js';
import type { MessageRequestModeManager } from '../loadbalance/message-request-mode-manager.js';
import type { TopicConfigManager } from '../topic/topic-config-manager.js';
import type { TimerMessageStore } from '../../store/timer/timer-message-store.js';
import type { PutRefusal } from '../timer/timer-message-hook.js';
import type { TransactionalMessageService } from '../transaction/transactional-message-service.js';

/** What the processors need of the broker: its managers, its store and its (runtime-updatable) configuration. */
export interface BrokerContext {
  readonly config: Readonly<BrokerConfig>;
  readonly logger: Logger;
  readonly topicConfigManager: TopicConfigManager;
  readonly subscriptionGroupManager: SubscriptionGroupManager;
  readonly consumerOffsetManager: ConsumerOffsetManager;
  readonly consumerManager: ConsumerManager<ClientChannel>;
  readonly producerManager: ProducerManager<ClientChannel>;
  readonly messageStore: BrokerMessageStore;
  readonly rebalanceLockManager: RebalanceLockManager;
  /** The groups' compiled SQL92 filters, registered by heartbeats (consumerFilter.json). */
  readonly consumerFilterManager: ConsumerFilterManager;
  /** Compiles filter expressions (SQL92), with a cache. */
  readonly filterFactory: FilterFactory;
  readonly scheduleMessageService: ScheduleMessageService;
  /** Half messages, their commit or rollback, and the check that asks producers about the forgotten ones. */
  readonly transactionalMessageService: TransactionalMessageService;
  /** Timer messages waiting for their time (absent when timerWheelEnable is off). */
  readonly timerMessageStore: TimerMessageStore | undefined;
  /**
   * The put hooks every new, committed or sent-back message goes through before the store (HookUtils): a timer
   * message to rmq_sys_wheel_timer, a DELAY level to the schedule topic. A refusal means: do not store it.
   */
  handlePutHooks(msg: MessageExtBrokerInner): PutRefusal | undefined;
  /** POP consumption (5.x): pops, acks, invisible-time changes and the revive of what was not acked. */
  readonly popEngine: PopEngine;
  /** PULL or POP per (topic, group) (SET_MESSAGE_REQUEST_MODE; GET_ALL_MESSAGE_REQUEST_MODE for slaves). */
  readonly messageRequestModeManager: MessageRequestModeManager;
  /** Sends waiting for the store (the runtime info's sendThreadPoolQueue* keys). */
  readonly sendThreadPoolQueue: SendThreadPoolQueue;
  /** Per-topic and per-group put/get counters (VIEW_BROKER_STATS_DATA, the runtime info, the metrics endpoint). */
  readonly brokerStatsManager: BrokerStatsManager;
  /** The metrics recorded when things happen (message sizes, DLQ sends, transaction ends, creates). */
  readonly brokerMetricsManager: BrokerMetricsManager;
  /** Calls to clients over their own connections (reset offsets, running info, consume directly). */
  readonly broker2Client: Broker2Client;
  /** The DataVersion of the configuration, as JSON (GET_BROKER_CONFIG's `version` header). */
  readonly configVersionJson: string;
  /** brokerIP1:listenPort, the store host written into every message and its offset msgId. */
  readonly brokerAddr: string;
  /** Epoch millis the broker started serving at. */
  readonly startupTimeMillis: number;
  /**
   * Applies an UPDATE_BROKER_CONFIG; throws BrokerConfigError for a key outside the allow-list or a bad value.
   * Resolves once a brokerPermission change has been registered with the name servers.
   */
  updateConfig(properties: ReadonlyMap<string, string>): Promise<void>;
  /** Registers this broker's topics with every name server now; never rejects (failures are logged). */
  registerBrokerAll(): Promise<void>;
}
