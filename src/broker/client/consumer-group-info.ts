import type { ConsumeFromWhere, ConsumeType, MessageModel, SubscriptionData } from '../../protocol/bodies/heartbeat-data.js';
import type { ClientChannelInfo } from './client-channel-info.js';

/** ConsumerGroupInfo.java: the members of one consumer group and what they subscribe to. */
export class ConsumerGroupInfo<C> {
  readonly subscriptionTable = new Map<string, SubscriptionData>();
  readonly channelInfoTable = new Map<C, ClientChannelInfo<C>>();
  lastUpdateTimestamp: number;

  constructor(
    readonly groupName: string,
    public consumeType: ConsumeType,
    public messageModel: MessageModel,
    public consumeFromWhere: ConsumeFromWhere,
    now = Date.now(),
  ) {
    this.lastUpdateTimestamp = now;
  }

  getAllChannel(): C[] {
    return [...this.channelInfoTable.keys()];
  }

  getAllClientId(): string[] {
    return [...this.channelInfoTable.values()].map((info) => info.clientId);
  }

  /** The member's info, or undefined when the channel was not a member. */
  unregisterChannel(channel: C): ClientChannelInfo<C> | undefined {
    const old = this.channelInfoTable.get(channel);
    this.channelInfoTable.delete(channel);
    return old;
  }

  /**
   * Adds or refreshes a member; true when the channel is new to the group. The group takes the latest member's
   * consume type, model and start position, as in Java. A known channel announcing another client id is replaced.
   */
  updateChannel(info: ClientChannelInfo<C>, consumeType: ConsumeType, messageModel: MessageModel, consumeFromWhere: ConsumeFromWhere, now = Date.now()): boolean {
    this.consumeType = consumeType;
    this.messageModel = messageModel;
    this.consumeFromWhere = consumeFromWhere;
    let current = this.channelInfoTable.get(info.channel);
    let added = false;
    if (current === undefined) {
      this.channelInfoTable.set(info.channel, info);
      current = info;
      added = true;
    } else if (current.clientId !== info.clientId) {
      this.channelInfoTable.set(info.channel, info);
      current = info;
    }
    this.lastUpdateTimestamp = now;
    current.lastUpdateTimestamp = now;
    return added;
  }

  /**
   * Replaces the subscriptions with `subList`: true when a topic was added or removed. A newer subVersion of a known
   * topic replaces the old subscription without counting as a change, as in Java (members rebalance by topic).
   */
  updateSubscription(subList: readonly SubscriptionData[], now = Date.now()): boolean {
    let updated = false;
    const topics = new Set<string>();
    for (const sub of subList) {
      const old = this.subscriptionTable.get(sub.topic);
      if (old === undefined) {
        this.subscriptionTable.set(sub.topic, sub);
        updated = true;
      } else if (sub.subVersion > old.subVersion) {
        this.subscriptionTable.set(sub.topic, sub);
      }
      topics.add(sub.topic);
    }
    for (const topic of [...this.subscriptionTable.keys()]) {
      if (!topics.has(topic)) {
        this.subscriptionTable.delete(topic);
        updated = true;
      }
    }
    this.lastUpdateTimestamp = now;
    return updated;
  }
}
