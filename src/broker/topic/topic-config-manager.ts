import { silentLogger, type Logger } from '../../common/logger.js';
import { dataVersionEquals, type DataVersion } from '../../protocol/bodies/data-version.js';
import type { TopicConfigSerializeWrapper } from '../../protocol/bodies/register-broker-body.js';
import { defaultTopicConfig, type TopicConfig } from '../../protocol/bodies/topic-config.js';
import {
  decodeTopicConfigSerializeWrapper,
  encodeTopicConfigSerializeWrapper,
} from '../../protocol/bodies/topic-config-serialize-wrapper.js';
import type { BrokerConfig } from '../broker-config.js';
import { ConfigManager, newDataVersion, nextDataVersion } from '../config-manager.js';
import type { ConfigStore } from '../config-store.js';
import { PermName } from '../../protocol/perm-name.js';
import { REPLY_TOPIC_POSTFIX, STATIC_SYSTEM_TOPICS, TopicValidator } from './topic-validator.js';

const SCHEDULE_TOPIC_QUEUE_NUM = 18;

export interface TopicConfigManagerOptions {
  /** The broker's configuration as it is now (some keys change at runtime). */
  brokerConfig: () => Readonly<BrokerConfig>;
  configStore: ConfigStore;
  logger?: Logger;
  /**
   * A topic was created on the send or heartbeat path: Java registers with the name servers at once, so clients
   * can route to it. Admin updates do not call this; their processor registers.
   */
  onTopicCreated?: (topic: TopicConfig) => void;
  /** The store's timerWheelEnable: the timer topic is a system topic then. */
  timerWheelEnable?: boolean;
}

/**
 * TopicConfigManager.java: the broker's topics, persisted as topics.json (TopicConfigSerializeWrapper). Every change
 * moves the DataVersion, which is how name servers tell a changed registration from a repeated one.
 */
export class TopicConfigManager extends ConfigManager<TopicConfigSerializeWrapper> {
  private readonly topicConfigTable = new Map<string, TopicConfig>();
  private readonly systemTopics = new Set<string>(STATIC_SYSTEM_TOPICS);
  private dataVersion: DataVersion = newDataVersion();
  private readonly brokerConfig: () => Readonly<BrokerConfig>;
  private readonly onTopicCreated: (topic: TopicConfig) => void;

  constructor(options: TopicConfigManagerOptions) {
    super(options.configStore, 'topics.json', options.logger ?? silentLogger);
    this.brokerConfig = options.brokerConfig;
    this.onTopicCreated = options.onTopicCreated ?? (() => undefined);
    this.initSystemTopics(options.timerWheelEnable ?? false);
  }

  get topicCount(): number {
    return this.topicConfigTable.size;
  }

  getDataVersion(): DataVersion {
    return { ...this.dataVersion };
  }

  selectTopicConfig(topic: string): TopicConfig | undefined {
    const config = this.topicConfigTable.get(topic);
    return config === undefined ? undefined : copy(config);
  }

  containsTopic(topic: string): boolean {
    return this.topicConfigTable.has(topic);
  }

  /** TopicValidator.isSystemTopic plus the names this broker made system topics (cluster, broker, reply). */
  isSystemTopic(topic: string): boolean {
    return this.systemTopics.has(topic) || topic.startsWith(TopicValidator.SYSTEM_TOPIC_PREFIX);
  }

  /** TopicValidator.getSystemTopicSet: what GET_SYSTEM_TOPIC_LIST_FROM_BROKER (305) lists. */
  systemTopicSet(): ReadonlySet<string> {
    return this.systemTopics;
  }

  isOrderTopic(topic: string): boolean {
    return this.topicConfigTable.get(topic)?.order ?? false;
  }

  /**
   * Auto-creation on send: an unknown topic is created from `defaultTopic` (TBW102) when that template exists and
   * may be inherited, with min(client's queue count, template's write queues) queues and the template's perm
   * without INHERIT. Undefined when the topic cannot be created (the caller answers TOPIC_NOT_EXIST).
   */
  createTopicInSendMessageMethod(
    topic: string,
    defaultTopic: string,
    remoteAddress: string,
    clientDefaultTopicQueueNums: number,
    topicSysFlag: number,
  ): TopicConfig | undefined {
    const existing = this.topicConfigTable.get(topic);
    if (existing !== undefined) return copy(existing);
    const template = this.topicConfigTable.get(defaultTopic);
    if (template === undefined) {
      this.logger.warn(`create new topic ${topic} failed: the default topic ${defaultTopic} does not exist (producer ${remoteAddress})`);
      return undefined;
    }
    // autoCreateTopicEnable may have been switched off at runtime: TBW102 then stops being a template.
    if (defaultTopic === TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC && !this.brokerConfig().autoCreateTopicEnable) {
      template.perm = PermName.PERM_READ | PermName.PERM_WRITE;
    }
    if (!PermName.isInherited(template.perm)) {
      this.logger.warn(`create new topic ${topic} failed: the default topic ${defaultTopic} has no inherit perm (${template.perm}, producer ${remoteAddress})`);
      return undefined;
    }
    const queueNums = Math.max(0, Math.min(clientDefaultTopicQueueNums, template.writeQueueNums));
    const created: TopicConfig = {
      ...defaultTopicConfig(topic),
      readQueueNums: queueNums,
      writeQueueNums: queueNums,
      perm: template.perm & ~PermName.PERM_INHERIT,
      topicSysFlag,
      topicFilterType: template.topicFilterType,
    };
    this.logger.info(`create new topic ${topic} from default topic ${defaultTopic} (producer ${remoteAddress})`);
    this.putAndAnnounce(created);
    return copy(created);
  }

  /** A retry (or other internal) topic, created with the given shape when missing; its order flag follows `isOrder`. */
  createTopicInSendMessageBackMethod(topic: string, queueNums: number, perm: number, isOrder: boolean, topicSysFlag: number): TopicConfig {
    const existing = this.topicConfigTable.get(topic);
    if (existing !== undefined) {
      if (existing.order !== isOrder) {
        existing.order = isOrder;
        this.changedInBackground();
      }
      return copy(existing);
    }
    const created: TopicConfig = { ...defaultTopicConfig(topic), readQueueNums: queueNums, writeQueueNums: queueNums, perm, topicSysFlag, order: isOrder };
    this.logger.info(`create new topic ${topic}`);
    this.putAndAnnounce(created);
    return copy(created);
  }

  /** Creates or replaces a topic (UPDATE_AND_CREATE_TOPIC); resolves once topics.json is written. */
  updateTopicConfig(config: TopicConfig): Promise<void> {
    const old = this.topicConfigTable.get(config.topicName);
    this.topicConfigTable.set(config.topicName, copy(config));
    this.logger.info(old === undefined ? `create new topic ${config.topicName}` : `update topic config ${config.topicName}`);
    return this.changed();
  }

  /** False when there was no such topic. */
  async deleteTopicConfig(topic: string): Promise<boolean> {
    if (!this.topicConfigTable.delete(topic)) {
      this.logger.warn(`delete topic config failed, topic ${topic} does not exist`);
      return false;
    }
    this.logger.info(`delete topic config ${topic}`);
    await this.changed();
    return true;
  }

  /** The order flags from the name server's ORDER_TOPIC_CONFIG namespace (answer to registration). */
  updateOrderTopicConfig(orderTopics: ReadonlyMap<string, string>): void {
    let changed = false;
    for (const [topic, config] of this.topicConfigTable) {
      const order = orderTopics.has(topic);
      if (config.order !== order) {
        config.order = order;
        changed = true;
        this.logger.info(`update order topic config, topic=${topic}, order=${order}`);
      }
    }
    if (changed) this.changedInBackground();
  }

  /**
   * SlaveSynchronize.syncTopicConfig: a slave takes its master's table (and DataVersion) whole when the version
   * differs, dropping topics the master no longer has. Resolves to whether anything changed, once written.
   */
  async replaceFromMaster(wrapper: TopicConfigSerializeWrapper): Promise<boolean> {
    if (dataVersionEquals(this.dataVersion, wrapper.dataVersion)) return false;
    this.topicConfigTable.clear();
    for (const [name, config] of wrapper.topicConfigTable) this.topicConfigTable.set(name, copy(config));
    this.dataVersion = { ...wrapper.dataVersion };
    await this.persist();
    return true;
  }

  /** Moves the DataVersion without a topic change (brokerPermission changed: every route must be re-read). */
  nextDataVersion(): void {
    this.dataVersion = nextDataVersion(this.dataVersion);
  }

  /** A snapshot for registration and GET_ALL_TOPIC_CONFIG. */
  buildTopicConfigSerializeWrapper(): TopicConfigSerializeWrapper {
    return {
      dataVersion: { ...this.dataVersion },
      topicConfigTable: new Map([...this.topicConfigTable].map(([name, config]) => [name, copy(config)])),
    };
  }

  encode(): string {
    return encodeTopicConfigSerializeWrapper(this.buildTopicConfigSerializeWrapper()).toString('utf8');
  }

  /** Loaded topics override the built-in ones (a persisted TBW102 keeps its queue count), as in Java. */
  protected decode(text: string): TopicConfigSerializeWrapper {
    return decodeTopicConfigSerializeWrapper(text);
  }

  protected apply(wrapper: TopicConfigSerializeWrapper): void {
    for (const [name, config] of wrapper.topicConfigTable) this.topicConfigTable.set(name, config);
    this.dataVersion = wrapper.dataVersion;
  }

  private putAndAnnounce(config: TopicConfig): void {
    this.topicConfigTable.set(config.topicName, config);
    this.changedInBackground();
    this.onTopicCreated(copy(config));
  }

  private changed(): Promise<void> {
    this.dataVersion = nextDataVersion(this.dataVersion);
    return this.persist();
  }

  private changedInBackground(): void {
    this.dataVersion = nextDataVersion(this.dataVersion);
    this.persistInBackground();
  }

  private initSystemTopics(timerWheelEnable: boolean): void {
    const config = this.brokerConfig();
    const add = (topic: string, queueNums: number, perm?: number): void => {
      this.systemTopics.add(topic);
      const topicConfig: TopicConfig = { ...defaultTopicConfig(topic), readQueueNums: queueNums, writeQueueNums: queueNums };
      if (perm !== undefined) topicConfig.perm = perm;
      this.topicConfigTable.set(topic, topicConfig);
    };
    const RW = PermName.PERM_READ | PermName.PERM_WRITE;
    add(TopicValidator.RMQ_SYS_SELF_TEST_TOPIC, 1);
    if (config.autoCreateTopicEnable) {
      add(TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC, config.defaultTopicQueueNums, PermName.PERM_INHERIT | RW);
    }
    add(TopicValidator.RMQ_SYS_BENCHMARK_TOPIC, 1024);
    // The cluster and broker names are topics too, so a client can address "any broker of the cluster" or "this one".
    add(config.brokerClusterName, 16, PermName.PERM_INHERIT | (config.clusterTopicEnable ? RW : 0));
    add(config.brokerName, 1, PermName.PERM_INHERIT | (config.brokerTopicEnable ? RW : 0));
    add(TopicValidator.RMQ_SYS_OFFSET_MOVED_EVENT, 1);
    add(TopicValidator.RMQ_SYS_SCHEDULE_TOPIC, SCHEDULE_TOPIC_QUEUE_NUM);
    if (config.traceTopicEnable) add(config.msgTraceTopicName, 1);
    add(`${config.brokerClusterName}_${REPLY_TOPIC_POSTFIX}`, 1);
    add(TopicValidator.RMQ_SYS_TRANS_HALF_TOPIC, 1);
    add(TopicValidator.RMQ_SYS_TRANS_OP_HALF_TOPIC, 1);
    if (timerWheelEnable) add(TopicValidator.RMQ_SYS_WHEEL_TIMER_TOPIC, 1);
  }
}

export function topicConfigEquals(a: TopicConfig, b: TopicConfig): boolean {
  return (
    a.topicName === b.topicName &&
    a.readQueueNums === b.readQueueNums &&
    a.writeQueueNums === b.writeQueueNums &&
    a.perm === b.perm &&
    a.topicFilterType === b.topicFilterType &&
    a.topicSysFlag === b.topicSysFlag &&
    a.order === b.order &&
    sameAttributes(a.attributes, b.attributes)
  );
}

function sameAttributes(a: ReadonlyMap<string, string> | undefined, b: ReadonlyMap<string, string> | undefined): boolean {
  const left = a ?? new Map<string, string>();
  const right = b ?? new Map<string, string>();
  return left.size === right.size && [...left].every(([k, v]) => right.get(k) === v);
}

/** Callers get copies: the table changes only through the manager, which moves the DataVersion. */
function copy(config: TopicConfig): TopicConfig {
  return { ...config, attributes: config.attributes === undefined ? undefined : new Map(config.attributes) };
}
