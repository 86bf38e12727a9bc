import type { TopicPublishInfo } from '../route/topic-publish-info.js';

/** MQProducerInner.java: what the client instance needs from a producer registered with it. */
export interface MQProducerInner {
  /** The topics this producer publishes to, whose routes the instance keeps fresh. */
  getPublishTopicList(): string[];
  /** True when this producer has no usable queues for `topic` yet. */
  isPublishTopicNeedUpdate(topic: string): boolean;
  updateTopicPublishInfo(topic: string, info: TopicPublishInfo): void;
}
