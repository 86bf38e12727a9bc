export { BrokerController, type BrokerControllerOptions } from './broker-controller.js';
export {
  BrokerConfigError,
  RUNTIME_UPDATABLE_KEYS as BROKER_RUNTIME_UPDATABLE_KEYS,
  applyBrokerProperties,
  defaultBrokerConfig,
  formatBrokerConfig,
  type BrokerConfig,
  type BrokerConfigKey,
} from './broker-config.js';
export type { BrokerMessageStore } from './broker-message-store.js';
export type { ConfigStore } from './config-store.js';
export { ConfigFileStore } from './config-file-store.js';
export { TopicConfigManager, type TopicConfigManagerOptions } from './topic/topic-config-manager.js';
export { ConsumerOffsetManager } from './offset/consumer-offset-manager.js';
export { SubscriptionGroupManager } from './subscription/subscription-group-manager.js';
export { ConsumerManager, type ConsumerIdsChangeListener, type ConsumerManagerOptions } from './client/consumer-manager.js';
export { ProducerManager } from './client/producer-manager.js';
export { TopicValidator, validateTopic } from './topic/topic-validator.js';
