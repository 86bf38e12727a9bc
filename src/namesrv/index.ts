export { NamesrvController, type NamesrvControllerOptions } from './name-server.js';
export {
  defaultNamesrvConfig,
  applyNamesrvProperties,
  formatNamesrvConfig,
  NamesrvConfigError,
  RUNTIME_UPDATABLE_KEYS,
  type NamesrvConfig,
  type NamesrvConfigKey,
} from './config.js';
export {
  RouteInfoManager,
  MASTER_ID,
  DEFAULT_BROKER_CHANNEL_EXPIRED_TIME,
  type BrokerChannel,
  type BrokerIdentity,
  type BrokerLiveInfo,
  type RegisterBrokerRequest,
  type RegisterBrokerResult,
} from './route-info-manager.js';
export { KVConfigManager, NAMESPACE_ORDER_TOPIC_CONFIG } from './kv-config-manager.js';
