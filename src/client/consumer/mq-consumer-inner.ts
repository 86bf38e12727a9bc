import type { ConsumeFromWhere, ConsumeType, MessageModel, SubscriptionData } from '../../protocol/bodies/heartbeat-data.js';
import type { MessageQueue } from '../../protocol/bodies/message-queue.js';
import type { MessageExt } from '../../protocol/message/message.js';

/** ConsumeMessageDirectlyResult.CMResult. */
export type CMResult = 'CR_SUCCESS' | 'CR_LATER' | 'CR_ROLLBACK' | 'CR_COMMIT' | 'CR_THROW_EXCEPTION' | 'CR_RETURN_NULL';

/** ConsumeMessageDirectlyResult.java. */
export interface ConsumeMessageDirectlyResult {
  order: boolean;
  autoCommit: boolean;
  consumeResult: CMResult;
  remark: string;
  spentTimeMills: number;
}

/** MQConsumerInner.java: what the client instance needs of a consumer (heartbeats, routes, rebalance, admin calls). */
export interface MQConsumerInner {
  readonly groupName: string;
  readonly messageModel: MessageModel;
  readonly consumeType: ConsumeType;
  readonly consumeFromWhere: ConsumeFromWhere;
  subscriptions(): SubscriptionData[];
  doRebalance(): Promise<void>;
  persistConsumerOffset(): Promise<void>;
  updateTopicSubscribeInfo(topic: string, mqs: MessageQueue[]): void;
  isSubscribeTopicNeedUpdate(topic: string): boolean;
  /** RESET_CONSUMER_CLIENT_OFFSET (220). */
  resetOffset(topic: string, offsets: readonly (readonly [MessageQueue, number])[]): Promise<void>;
  /** GET_CONSUMER_STATUS_FROM_CLIENT (221): the offsets held for `topic`. */
  consumerStatus(topic: string): [MessageQueue, number][];
  /** GET_CONSUMER_RUNNING_INFO (307): the body, as Java's ConsumerRunningInfo JSON. */
  consumerRunningInfo(): Buffer;
  /** CONSUME_MESSAGE_DIRECTLY (309); undefined from a consumer without a listener (a pull consumer), as in Java. */
  consumeMessageDirectly(msg: MessageExt, brokerName: string | undefined): Promise<ConsumeMessageDirectlyResult | undefined>;
}
