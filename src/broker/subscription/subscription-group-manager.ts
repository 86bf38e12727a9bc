import { silentLogger, type Logger } from '../../common/logger.js';
import { dataVersionEquals, type DataVersion } from '../../protocol/bodies/data-version.js';
import {
  decodeSubscriptionGroupWrapper,
  defaultSubscriptionGroupConfig,
  encodeSubscriptionGroupWrapper,
  type SubscriptionGroupConfig,
  type SubscriptionGroupWrapper,
} from '../../protocol/bodies/subscription-group-wrapper.js';
import type { BrokerConfig } from '../broker-config.js';
import { ConfigManager, newDataVersion, nextDataVersion } from '../config-manager.js';
import type { ConfigStore } from '../config-store.js';
import { GROUP_MAX_LENGTH, isTopicOrGroupIllegal } from '../topic/topic-validator.js';

/** MixAll's built-in groups; those of the ONS family may consume in broadcasting mode. */
const SYSTEM_GROUPS: readonly (readonly [string, boolean])[] = [
  ['TOOLS_CONSUMER', false],
  ['FILTERSRV_CONSUMER', false],
  ['SELF_TEST_C_GROUP', false],
  ['CID_ONS-HTTP-PROXY', true],
  ['CID_ONSAPI_PULL', true],
  ['CID_ONSAPI_PERMISSION', true],
  ['CID_ONSAPI_OWNER', true],
  ['CID_RMQ_SYS_TRANS', true],
];
/** MixAll.CID_RMQ_SYS_PREFIX. */
const SYS_CONSUMER_GROUP_PREFIX = 'CID_RMQ_SYS_';

/**
 * SubscriptionGroupManager.java: per consumer group settings (retry queues, broadcast, notify on change...),
 * persisted as subscriptionGroup.json. An unknown group is created on first use when autoCreateSubscriptionGroup
 * is on (the default), or when it is a CID_RMQ_SYS_ group and enableCreateSysGroup is on.
 */
export class SubscriptionGroupManager extends ConfigManager<SubscriptionGroupWrapper> {
  private readonly subscriptionGroupTable = new Map<string, SubscriptionGroupConfig>();
  private readonly forbiddenTable = new Map<string, Map<string, number>>();
  private dataVersion: DataVersion = newDataVersion();

  constructor(
    private readonly brokerConfig: () => Readonly<BrokerConfig>,
    configStore: ConfigStore,
    logger: Logger = silentLogger,
  ) {
    super(configStore, 'subscriptionGroup.json', logger);
    for (const [groupName, consumeBroadcastEnable] of SYSTEM_GROUPS) {
      this.subscriptionGroupTable.set(groupName, { ...defaultSubscriptionGroupConfig(groupName), consumeBroadcastEnable });
    }
  }

  getDataVersion(): DataVersion {
    return { ...this.dataVersion };
  }

  /** rocketmq_consumer_group_number. */
  get groupCount(): number {
    return this.subscriptionGroupTable.size;
  }

  containsSubscriptionGroup(group: string): boolean {
    return this.subscriptionGroupTable.has(group);
  }

  /** The group's config, auto-created when allowed; undefined for an unknown group that may not be created. */
  findSubscriptionGroupConfig(group: string): SubscriptionGroupConfig | undefined {
    const existing = this.subscriptionGroupTable.get(group);
    if (existing !== undefined) return existing;
    const config = this.brokerConfig();
    const sysGroup = config.enableCreateSysGroup && group.startsWith(SYS_CONSUMER_GROUP_PREFIX);
    if (!config.autoCreateSubscriptionGroup && !sysGroup) return undefined;
    if (group.length > GROUP_MAX_LENGTH || isTopicOrGroupIllegal(group) || group === '') return undefined;
    const created = defaultSubscriptionGroupConfig(group);
    this.subscriptionGroupTable.set(group, created);
    this.logger.info(`auto create a subscription group ${group}`);
    this.dataVersion = nextDataVersion(this.dataVersion);
    this.persistInBackground();
    return created;
  }

  /** Creates or replaces a group (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP); resolves once the file is written. */
  updateSubscriptionGroupConfig(config: SubscriptionGroupConfig): Promise<void> {
    const old = this.subscriptionGroupTable.get(config.groupName);
    this.subscriptionGroupTable.set(config.groupName, config);
    this.logger.info(old === undefined ? `create new subscription group ${config.groupName}` : `update subscription group config ${config.groupName}`);
    this.dataVersion = nextDataVersion(this.dataVersion);
    return this.persist();
  }

  /** DELETE_SUBSCRIPTIONGROUP: resolves once the file is written; an unknown group is only logged, as in Java. */
  deleteSubscriptionGroupConfig(group: string): Promise<void> {
    if (!this.subscriptionGroupTable.delete(group)) {
      this.logger.warn(`delete subscription group failed, subscription group ${group} not exist`);
      return Promise.resolve();
    }
    this.forbiddenTable.delete(group);
    this.logger.info(`delete subscription group OK, subscription group ${group}`);
    this.dataVersion = nextDataVersion(this.dataVersion);
    return this.persist();
  }

  /** SlaveSynchronize.syncSubscriptionGroupConfig: the master's table and DataVersion, whole, when the version differs. */
  async replaceFromMaster(wrapper: SubscriptionGroupWrapper): Promise<boolean> {
    if (dataVersionEquals(this.dataVersion, wrapper.dataVersion)) return false;
    this.subscriptionGroupTable.clear();
    for (const [group, config] of wrapper.subscriptionGroupTable) this.subscriptionGroupTable.set(group, config);
    this.forbiddenTable.clear();
    for (const [group, topics] of wrapper.forbiddenTable ?? []) this.forbiddenTable.set(group, new Map(topics));
    this.dataVersion = { ...wrapper.dataVersion };
    await this.persist();
    return true;
  }

  encode(): string {
    return encodeSubscriptionGroupWrapper({
      subscriptionGroupTable: this.subscriptionGroupTable,
      dataVersion: this.dataVersion,
      forbiddenTable: this.forbiddenTable,
    }).toString('utf8');
  }

  protected decode(text: string): SubscriptionGroupWrapper {
    return decodeSubscriptionGroupWrapper(text);
  }

  protected apply(wrapper: SubscriptionGroupWrapper): void {
    for (const [group, config] of wrapper.subscriptionGroupTable) this.subscriptionGroupTable.set(group, config);
    for (const [group, topics] of wrapper.forbiddenTable ?? []) this.forbiddenTable.set(group, topics);
    this.dataVersion = wrapper.dataVersion;
  }
}
