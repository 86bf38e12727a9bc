import type { MessageExt } from '../../protocol/message/message.js';
import type { TopicPublishInfo } from '../route/topic-publish-info.js';

/** What a broker's CHECK_TRANSACTION_STATE names: the half message's copy it asks about. */
export interface TransactionCheckRequest {
  /** Where the check came from: the answer goes back over the same connection's address. */
  brokerAddr: string;
  tranStateTableOffset: number;
  commitLogOffset: number;
  msgId?: string;
  transactionId?: string;
  /** 5.x brokers: the half topic, echoed in the answer. */
  topic?: string;
  bname?: string;
}

/** MQProducerInner.java: what the client instance needs from a producer registered with it. */
export interface MQProducerInner {
  /** The topics this producer publishes to, whose routes the instance keeps fresh. */
  getPublishTopicList(): string[];
  /** True when this producer has no usable queues for `topic` yet. */
  isPublishTopicNeedUpdate(topic: string): boolean;
  updateTopicPublishInfo(topic: string, info: TopicPublishInfo): void;
  /** A transactional producer answers a broker's check of `message` (a half message of its group). */
  checkTransactionState?(message: MessageExt, request: TransactionCheckRequest): void;
}
