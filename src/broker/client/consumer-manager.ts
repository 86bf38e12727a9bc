import { silentLogger, type Logger } from '../../common/logger.js';
import type { ConsumeFromWhere, ConsumeType, MessageModel, SubscriptionData } from '../../protocol/bodies/heartbeat-data.js';
import type { ClientChannelInfo } from './client-channel-info.js';
import { ConsumerGroupInfo } from './consumer-group-info.js';

/**
 * Told when a group's members or subscriptions changed, with every channel still in the group (Java's
 * ConsumerIdsChangeListener CHANGE event); the broker answers by sending NOTIFY_CONSUMER_IDS_CHANGED to each.
 */
export type ConsumerIdsChangeListener<C> = (group: string, channels: C[]) => void;

export interface ConsumerManagerOptions<C> {
  onConsumerIdsChanged: ConsumerIdsChangeListener<C>;
  /** A channel without a heartbeat for longer than this is dropped (BrokerConfig.channelExpiredTimeout). */
  channelExpiredTimeout: () => number;
  /** Java's REGISTER event: a heartbeat with subscriptions was registered (the consumer filters follow it). */
  onRegister?: (group: string, subList: readonly SubscriptionData[]) => void;
  /** Java's UNREGISTER event: the group's last member left. */
  onUnregister?: (group: string) => void;
  logger?: Logger;
}

/**
 * ConsumerManager.java: consumer groups -> member channels and subscriptions, fed by heartbeats. It knows nothing
 * about sockets: channels are opaque keys, and expired ones are handed back to the caller to close.
 * Broadcasting groups are never notified (5.x): their members do not share queues, so nothing needs rebalancing.
 */
export class ConsumerManager<C> {
  private readonly consumerTable = new Map<string, ConsumerGroupInfo<C>>();
  private readonly logger: Logger;

  constructor(private readonly options: ConsumerManagerOptions<C>) {
    this.logger = options.logger ?? silentLogger;
  }

  /** Every online group (the connection metrics). */
  groups(): IterableIterator<ConsumerGroupInfo<C>> {
    return this.consumerTable.values();
  }

  getConsumerGroupInfo(group: string): ConsumerGroupInfo<C> | undefined {
    return this.consumerTable.get(group);
  }

  findSubscriptionData(group: string, topic: string): SubscriptionData | undefined {
    return this.consumerTable.get(group)?.subscriptionTable.get(topic);
  }

  /** How many topics the group's members subscribe to (0 for an offline group). */
  findSubscriptionDataCount(group: string): number {
    return this.consumerTable.get(group)?.subscriptionTable.size ?? 0;
  }

  /** The member of `group` with this client id. */
  findChannel(group: string, clientId: string): ClientChannelInfo<C> | undefined {
    for (const info of this.consumerTable.get(group)?.channelInfoTable.values() ?? []) if (info.clientId === clientId) return info;
    return undefined;
  }

  /** The online groups subscribing to `topic`. */
  queryTopicConsumeByWho(topic: string): Set<string> {
    const groups = new Set<string>();
    for (const [group, info] of this.consumerTable) if (info.subscriptionTable.has(topic)) groups.add(group);
    return groups;
  }

  /**
   * Registers a member and its subscriptions from a heartbeat. True when the group's membership or subscribed
   * topics changed; then, if `isNotifyConsumerIdsChangedEnable`, every member is told.
   */
  registerConsumer(
    group: string,
    info: ClientChannelInfo<C>,
    consumeType: ConsumeType,
    messageModel: MessageModel,
    consumeFromWhere: ConsumeFromWhere,
    subList: readonly SubscriptionData[],
    isNotifyConsumerIdsChangedEnable: boolean,
    now = Date.now(),
  ): boolean {
    const groupInfo = this.groupInfoFor(group, consumeType, messageModel, consumeFromWhere, now);
    const added = groupInfo.updateChannel(info, consumeType, messageModel, consumeFromWhere, now);
    if (added) this.logger.info(`new consumer connected, group: ${group} ${consumeType} ${messageModel} client: ${info.clientId}`);
    const subscriptionChanged = groupInfo.updateSubscription(subList, now);
    if (subscriptionChanged) this.logger.info(`subscription changed, group: ${group}, topics: ${[...groupInfo.subscriptionTable.keys()].join(',')}`);
    const changed = added || subscriptionChanged;
    if (changed && isNotifyConsumerIdsChangedEnable) this.notifyChanged(groupInfo);
    this.callListener(() => this.options.onRegister?.(group, subList), group);
    return changed;
  }

  /** Heartbeat V2 without subscriptions: only membership is refreshed. True when the channel joined. */
  registerConsumerWithoutSub(
    group: string,
    info: ClientChannelInfo<C>,
    consumeType: ConsumeType,
    messageModel: MessageModel,
    consumeFromWhere: ConsumeFromWhere,
    isNotifyConsumerIdsChangedEnable: boolean,
    now = Date.now(),
  ): boolean {
    const groupInfo = this.groupInfoFor(group, consumeType, messageModel, consumeFromWhere, now);
    const added = groupInfo.updateChannel(info, consumeType, messageModel, consumeFromWhere, now);
    if (added && isNotifyConsumerIdsChangedEnable) this.notifyChanged(groupInfo);
    return added;
  }

  /**
   * UNREGISTER_CLIENT: removes the member; the remaining members are told when it was one (Java tells them even
   * when it was not, which only costs them a rebalance for nothing).
   */
  unregisterConsumer(group: string, channel: C, isNotifyConsumerIdsChangedEnable: boolean): boolean {
    const groupInfo = this.consumerTable.get(group);
    if (groupInfo === undefined) return false;
    const removed = groupInfo.unregisterChannel(channel);
    if (removed !== undefined) this.logger.info(`unregister a consumer of group ${group}: ${removed.clientId}`);
    this.dropIfEmpty(groupInfo);
    if (removed !== undefined && isNotifyConsumerIdsChangedEnable) this.notifyChanged(groupInfo);
    return removed !== undefined;
  }

  /** A connection closed, failed or went idle: it leaves every group it was in, whose members are told. */
  doChannelCloseEvent(remoteAddr: string, channel: C): boolean {
    let removed = false;
    for (const groupInfo of [...this.consumerTable.values()]) {
      const info = groupInfo.unregisterChannel(channel);
      if (info === undefined) continue;
      removed = true;
      this.logger.warn(`remove not active channel ${remoteAddr} (${info.clientId}) from consumer group ${groupInfo.groupName}`);
      this.dropIfEmpty(groupInfo);
      this.notifyChanged(groupInfo);
    }
    return removed;
  }

  /**
   * Drops members silent for longer than channelExpiredTimeout and returns them, for the caller to close their
   * connections. As in Java, the remaining members are not told: they rebalance on their own 20 s timer.
   */
  scanNotActiveChannel(now = Date.now()): ClientChannelInfo<C>[] {
    const expired: ClientChannelInfo<C>[] = [];
    const timeout = this.options.channelExpiredTimeout();
    for (const groupInfo of [...this.consumerTable.values()]) {
      for (const [channel, info] of [...groupInfo.channelInfoTable]) {
        if (now - info.lastUpdateTimestamp <= timeout) continue;
        groupInfo.channelInfoTable.delete(channel);
        expired.push(info);
        this.logger.warn(`SCAN: remove expired channel of ${info.clientId} from consumer group ${groupInfo.groupName}`);
      }
      this.dropIfEmpty(groupInfo);
    }
    return expired;
  }

  private groupInfoFor(
    group: string,
    consumeType: ConsumeType,
    messageModel: MessageModel,
    consumeFromWhere: ConsumeFromWhere,
    now: number,
  ): ConsumerGroupInfo<C> {
    let groupInfo = this.consumerTable.get(group);
    if (groupInfo === undefined) {
      groupInfo = new ConsumerGroupInfo<C>(group, consumeType, messageModel, consumeFromWhere, now);
      this.consumerTable.set(group, groupInfo);
    }
    return groupInfo;
  }

  private dropIfEmpty(groupInfo: ConsumerGroupInfo<C>): void {
    if (groupInfo.channelInfoTable.size > 0) return;
    if (this.consumerTable.get(groupInfo.groupName) === groupInfo) {
      this.consumerTable.delete(groupInfo.groupName);
      this.logger.info(`unregister consumer ok, no any connection, and remove consumer group, ${groupInfo.groupName}`);
      this.callListener(() => this.options.onUnregister?.(groupInfo.groupName), groupInfo.groupName);
    }
  }

  private callListener(call: () => void, group: string): void {
    try {
      call();
    } catch (err) {
      this.logger.error(`consumer group listener failed for group ${group}`, err);
    }
  }

  private notifyChanged(groupInfo: ConsumerGroupInfo<C>): void {
    if (groupInfo.messageModel === 'BROADCASTING') return;
    const channels = groupInfo.getAllChannel();
    if (channels.length === 0) return;
    try {
      this.options.onConsumerIdsChanged(groupInfo.groupName, channels);
    } catch (err) {
      this.logger.error(`consumer ids change listener failed for group ${groupInfo.groupName}`, err);
    }
  }
}
