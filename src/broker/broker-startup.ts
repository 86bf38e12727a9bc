/**
 * BrokerStartup's share that every way of starting a broker uses (`rocketmq-ts broker -c`, `dev -c`, the test
 * cluster of rocketmq-ts/testing): a broker.conf's Java keys split between the broker, its store, ACL 2.0 and the
 * gRPC endpoint, and the controller built over a DefaultMessageStore and the JSON config files.
 */
import { join } from 'node:path';
import { advertisedAddressWarning } from './advertised-address.js';
import { AUTH_CONFIG_KEYS, parseAuthConfig, type AuthConfig } from './auth/auth-config.js';
import { applyBrokerProperties, type BrokerConfig } from './broker-config.js';
import { BrokerController, type BrokerControllerOptions } from './broker-controller.js';
import { BrokerHA } from './broker-ha.js';
import { ConfigFileStore } from './config-file-store.js';
import type { GrpcConsumerConfig } from './grpc/consumer-config.js';
import type { Logger } from '../common/logger.js';
import { DefaultMessageStore } from '../store/default-message-store.js';
import { BROKER_ROLES, createMessageStoreConfig, type MessageStoreConfig } from '../store/message-store-config.js';
import { PlainAclFileStore } from '../store/plain-acl-file-store.js';
import { TimerMessageStore } from '../store/timer/timer-message-store.js';

/** The Java proxy's consumption keys of the gRPC endpoint (its spelling, "Mills" included). */
export const GRPC_CONSUMER_KEYS: Readonly<Record<string, keyof GrpcConsumerConfig>> = {
  grpcClientConsumerMinLongPollingTimeoutMillis: 'minLongPollingTimeoutMillis',
  grpcClientConsumerMaxLongPollingTimeoutMillis: 'maxLongPollingTimeoutMillis',
  defaultInvisibleTimeMills: 'defaultInvisibleTimeMillis',
  minInvisibleTimeMillsForRecv: 'minInvisibleTimeMillisForRecv',
  maxInvisibleTimeMills: 'maxInvisibleTimeMillis',
  invisibleTimeMillisWhenClear: 'invisibleTimeMillisWhenClear',
  renewAheadTimeMillis: 'renewAheadTimeMillis',
  renewMaxTimeMillis: 'renewMaxTimeMillis',
  renewSchedulePeriodMillis: 'renewSchedulePeriodMillis',
  maxRenewRetryTimes: 'maxRenewRetryTimes',
};
/** The Java proxy's keys for where and how the gRPC endpoint listens. */
export const GRPC_SERVER_KEYS: ReadonlySet<string> = new Set(['grpcServerPort', 'grpcBindAddress', 'tlsTestModeEnable', 'tlsKeyPath', 'tlsCertPath']);

/** A broker.conf read against a base config: every key went to exactly one of these, or to `unknown`. */
export interface BrokerProperties {
  config: BrokerConfig;
  /** MessageStoreConfig keys, applied with applyMessageStoreProperties once storePathRootDir is final. */
  storeProperties: Map<string, string>;
  authConfig: AuthConfig;
  /** The gRPC endpoint's keys (GRPC_SERVER_KEYS and GRPC_CONSUMER_KEYS), values trimmed. */
  grpcProperties: Map<string, string>;
  unknown: string[];
}

/** Splits broker.conf properties as Java's BrokerStartup fills BrokerConfig, MessageStoreConfig and AuthConfig. */
export function splitBrokerProperties(base: BrokerConfig, properties: ReadonlyMap<string, string>): BrokerProperties {
  const applied = applyBrokerProperties(base, properties);
  const storeProperties = new Map<string, string>();
  const grpcProperties = new Map<string, string>();
  const unknown: string[] = [];
  // Java's BrokerStartup applies the file to BrokerConfig and MessageStoreConfig alike (properties2Object on each):
  // a key both have, such as brokerRole, sets both.
  for (const [key, value] of properties) if (isMessageStoreConfigKey(key)) storeProperties.set(key, value);
  for (const key of applied.unknown) {
    const value = properties.get(key) as string;
    if (AUTH_CONFIG_KEYS.has(key) || storeProperties.has(key)) continue;
    if (GRPC_SERVER_KEYS.has(key) || Object.hasOwn(GRPC_CONSUMER_KEYS, key)) grpcProperties.set(key, value.trim());
    // 4.9's name of the in-sync gap; 5.x renamed it (a 5.x name in the same file wins).
    else if (key === 'haSlaveFallbehindMax') {
      if (!properties.has('haMaxGapNotInSync')) storeProperties.set('haMaxGapNotInSync', value);
    } else unknown.push(key);
  }
  return { config: applied.config, storeProperties, authConfig: parseAuthConfig(properties), grpcProperties, unknown };
}

/** The proxy's consumption keys among `properties`, whole non-negative numbers of ms. */
export function grpcConsumerProperties(properties: ReadonlyMap<string, string>): Partial<GrpcConsumerConfig> {
  const consumer: Partial<GrpcConsumerConfig> = {};
  for (const [key, field] of Object.entries(GRPC_CONSUMER_KEYS)) {
    const text = properties.get(key);
    if (text === undefined) continue;
    if (!/^\d{1,15}$/.test(text)) throw new Error(`${key} must be a whole number, not '${text}'`);
    consumer[field] = Number(text);
  }
  return consumer;
}

/**
 * A BrokerController over a DefaultMessageStore and JSON configs (users and ACLs of ACL 2.0 too), all under
 * storePathRootDir, after one warning line when brokerIP1 is not where the broker listens; with aclEnable, the ACL 1.0 files under rocketmqHome (ROCKETMQ_ACL_PLAIN_FILE, a path relative
 * to it, stands for Java's -Drocketmq.acl.plain.file).
 */
export function createBrokerController(
  brokerConfig: BrokerConfig,
  messageStoreConfig: MessageStoreConfig,
  logger: Logger,
  options: Pick<BrokerControllerOptions, 'authConfig' | 'aclWatchIntervalMillis' | 'grpc'> = {},
): BrokerController {
  // brokerRole is a key of both configs, as in Java (MessageStoreConfig's drives replication, the broker's the
  // roles): a role other than the default given to either one is the broker's role, so they never disagree.
  const brokerRole = messageStoreConfig.brokerRole !== 'ASYNC_MASTER' ? messageStoreConfig.brokerRole : brokerConfig.brokerRole.trim().toUpperCase();
  const config = { ...brokerConfig, brokerRole };
  const storeConfig = { ...messageStoreConfig, brokerRole: brokerRole as MessageStoreConfig['brokerRole'] };
  const pitfall = advertisedAddressWarning(config.brokerIP1, config.bindAddress);
  if (pitfall !== undefined) logger.warn(pitfall);
  const messageStore = new DefaultMessageStore(storeConfig, { logger });
  // The slave's segment-size (P9) and retention (P8) checks ask the master through the broker's outer API, which
  // exists once it is built.
  const ha = new BrokerHA(messageStore, {
    bindAddress: config.bindAddress,
    logger,
    masterConfig: (addr) => controller.brokerOuterAPI.getBrokerConfig(addr),
    masterRuntimeInfo: (addr) => controller.brokerOuterAPI.getBrokerRuntimeInfo(addr),
  });
  const controller: BrokerController = new BrokerController(config, {
    ha,
    configStore: new ConfigFileStore(join(config.storePathRootDir, 'config')),
    messageStore,
    logger,
    fileReservedTime: storeConfig.fileReservedTime,
    timerConfig: storeConfig,
    timerMessageStore: storeConfig.timerWheelEnable ? new TimerMessageStore({ store: messageStore, config: storeConfig, logger }) : undefined,
    aclFileStore:
      config.aclEnable || (options.authConfig?.migrateAuthFromV1Enabled === true && config.rocketmqHome !== '')
        ? new PlainAclFileStore(config.rocketmqHome, process.env['ROCKETMQ_ACL_PLAIN_FILE'] || undefined)
        : undefined,
    ...options,
  });
  return controller;
}

function isMessageStoreConfigKey(key: string): boolean {
  return Object.hasOwn(createMessageStoreConfig({ storePathRootDir: '' }), key) && key !== 'storePathRootDir';
}

/**
 * MessageStoreConfig keys of broker.conf (Java names) over the defaults; the commit-log path follows
 * storePathRootDir unless set. A value of the wrong type is an error, as for the broker's own keys.
 */
export function applyMessageStoreProperties(storePathRootDir: string, properties: ReadonlyMap<string, string>): MessageStoreConfig {
  const defaults = createMessageStoreConfig({ storePathRootDir });
  const overrides: Record<string, string | number | boolean> = {};
  for (const [key, raw] of properties) {
    const current = defaults[key as keyof MessageStoreConfig];
    const value = raw.trim();
    if (typeof current === 'number') {
      const n = /^\d{1,15}$/.test(value) ? Number(value) : NaN;
      if (!Number.isSafeInteger(n)) throw new Error(`the store config '${key}' must be a non-negative integer, not '${value}'`);
      overrides[key] = n;
    } else if (typeof current === 'boolean') {
      if (!/^(true|false)$/i.test(value)) throw new Error(`the store config '${key}' must be true or false, not '${value}'`);
      overrides[key] = value.toLowerCase() === 'true';
    } else {
      if (key === 'flushDiskType' && value !== 'ASYNC_FLUSH' && value !== 'SYNC_FLUSH') {
        throw new Error(`flushDiskType must be ASYNC_FLUSH or SYNC_FLUSH, not '${value}'`);
      }
      if (key === 'brokerRole' && !(BROKER_ROLES as readonly string[]).includes(value)) {
        throw new Error(`brokerRole must be one of ${BROKER_ROLES.join(', ')}, not '${value}'`);
      }
      if (key === 'syncMasterProfile' && value !== '4' && value !== '5') throw new Error(`syncMasterProfile must be 4 or 5, not '${value}'`);
      overrides[key] = value;
    }
  }
  return createMessageStoreConfig({ ...(overrides as Partial<MessageStoreConfig>), storePathRootDir });
}
