import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseJavaProperties } from '../common/java-properties.js';
import { createConsoleLogger } from '../common/logger.js';
import { applyBrokerProperties, brokerIdForRole, defaultBrokerConfig, type BrokerConfig } from '../broker/broker-config.js';
import { BrokerController, type BrokerControllerOptions } from '../broker/broker-controller.js';
import { BrokerHA } from '../broker/broker-ha.js';
import { ConfigFileStore } from '../broker/config-file-store.js';
import { AUTH_CONFIG_KEYS, defaultAuthConfig, parseAuthConfig, type AuthConfig } from '../broker/auth/auth-config.js';
import type { Logger } from '../common/logger.js';
import type { GrpcEndpointOptions } from '../broker/grpc-endpoint.js';
import type { GrpcConsumerConfig } from '../broker/grpc/consumer-config.js';
import { ensureDevCertificate, readCertificate } from './dev-certificate.js';
import { DefaultMessageStore } from '../store/default-message-store.js';
import { PlainAclFileStore } from '../store/plain-acl-file-store.js';
import { TimerMessageStore } from '../store/timer/timer-message-store.js';
import { BROKER_ROLES, createMessageStoreConfig, type MessageStoreConfig } from '../store/message-store-config.js';
import { waitForSignal } from './signals.js';

export const BROKER_USAGE = `usage: rocketmq-ts broker [-c broker.conf] [-n "host:port;host:port"] [--listen-port 10911] [--data-dir DIR]

  -c FILE              a broker.conf with Java property names (brokerClusterName, brokerName, brokerId,
                       namesrvAddr, brokerIP1, listenPort, storePathRootDir, autoCreateTopicEnable, and the
                       store's flushDiskType, mappedFileSizeCommitLog, fileReservedTime, maxMessageSize, ...,
                       and ACL 2.0's authenticationEnabled, authorizationEnabled, authenticationMetadataProvider,
                       authorizationMetadataProvider, initAuthenticationUser, ... as Java's broker reads them;
                       with grpcServerPort the broker serves the RocketMQ 5.x gRPC protocol too, as the Java
                       proxy's keys say: grpcServerPort, grpcBindAddress (default 127.0.0.1), tlsKeyPath and
                       tlsCertPath, or tlsTestModeEnable (default true: a self-signed certificate made with
                       openssl under storePathRootDir/tls); TLS and plaintext share the port)
  -n ADDRS             name servers to register with, "host:port;host:port" (namesrvAddr)
  --listen-port PORT   port to serve clients on (default 10911; the fast port is PORT - 2; 0 picks free ports)
  --data-dir DIR       the store root: commitlog/, consumequeue/, index/, config/*.json (default ~/store)

Command-line options override the file. Stops cleanly on SIGTERM or SIGINT.`;

interface BrokerArgs {
  'listen-port'?: string;
  'data-dir'?: string;
  config?: string;
  'namesrv-addr'?: string;
  help?: boolean;
}

/** `rocketmq-ts broker`: runs a broker until SIGTERM/SIGINT; resolves to the process exit code. */
export async function runBroker(argv: string[]): Promise<number> {
  let values: BrokerArgs;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        'listen-port': { type: 'string' },
        'data-dir': { type: 'string' },
        config: { type: 'string', short: 'c' },
        'namesrv-addr': { type: 'string', short: 'n' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`rocketmq-ts broker: ${(err as Error).message}\n\n${BROKER_USAGE}\n`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(`${BROKER_USAGE}\n`);
    return 0;
  }

  const logger = createConsoleLogger('broker');
  let config: BrokerConfig;
  let storeConfig: MessageStoreConfig;
  let authConfig: AuthConfig;
  let grpc: GrpcEndpointOptions | undefined;
  try {
    ({ config, storeConfig, authConfig, grpc } = await buildConfig(values, logger));
  } catch (err) {
    process.stderr.write(`rocketmq-ts broker: ${(err as Error).message}\n`);
    return 2;
  }

  const controller = createBrokerController(config, storeConfig, logger, { authConfig, ...(grpc === undefined ? {} : { grpc }) });
  const stop = waitForSignal();
  try {
    await controller.start();
  } catch (err) {
    logger.error('the broker failed to start', err);
    stop.cancel();
    await controller.shutdown();
    return 1;
  }
  // Java prints this line; scripts that start a broker wait for it.
  const namesrv = config.namesrvAddr === '' ? 'null' : config.namesrvAddr;
  process.stdout.write(`The broker[${config.brokerName}, ${controller.brokerAddr}] boot success. serializeType=JSON and name server is ${namesrv}\n`);
  const signal = await stop.promise;
  logger.info(`${signal} received, shutting down`);
  await controller.shutdown();
  return 0;
}

/** The Java proxy's keys for the gRPC endpoint, read from broker.conf. */
const GRPC_CONSUMER_KEYS: Readonly<Record<string, keyof GrpcConsumerConfig>> = {
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
const GRPC_CONFIG_KEYS: ReadonlySet<string> = new Set(['grpcServerPort', 'grpcBindAddress', 'tlsTestModeEnable', 'tlsKeyPath', 'tlsCertPath', ...Object.keys(GRPC_CONSUMER_KEYS)]);

async function buildConfig(
  values: BrokerArgs,
  logger: Logger,
): Promise<{ config: BrokerConfig; storeConfig: MessageStoreConfig; authConfig: AuthConfig; grpc: GrpcEndpointOptions | undefined }> {
  const warn = (message: string): void => logger.warn(message);
  let config = defaultBrokerConfig(homedir(), process.env['ROCKETMQ_HOME'] ?? '');
  // Java's broker reads NAMESRV_ADDR when broker.conf does not say.
  const fromEnv = process.env['NAMESRV_ADDR'];
  if (fromEnv !== undefined && fromEnv !== '') config.namesrvAddr = fromEnv;
  const storeProperties = new Map<string, string>();
  let authConfig = defaultAuthConfig();
  const grpcProperties = new Map<string, string>();
  if (values.config !== undefined) {
    const properties = parseJavaProperties(await readFile(values.config, 'utf8'));
    const applied = applyBrokerProperties(config, properties);
    config = applied.config;
    // brokerRole is MessageStoreConfig's in Java (the store replicates by it); the broker reads it too, so the
    // store always gets it, whichever config also declares it.
    const role = properties.get('brokerRole');
    if (role !== undefined) storeProperties.set('brokerRole', role);
    // Java's BrokerStartup fills AuthConfig from the same file.
    authConfig = parseAuthConfig(properties);
    for (const key of applied.unknown) {
      if (AUTH_CONFIG_KEYS.has(key)) continue;
      if (GRPC_CONFIG_KEYS.has(key)) grpcProperties.set(key, (properties.get(key) as string).trim());
      else if (isMessageStoreConfigKey(key)) storeProperties.set(key, properties.get(key) as string);
      // 4.9's name of the in-sync gap; 5.x renamed it (a 5.x name in the same file wins).
      else if (key === 'haSlaveFallbehindMax') {
        if (!properties.has('haMaxGapNotInSync')) storeProperties.set('haMaxGapNotInSync', properties.get(key) as string);
      }
      else warn(`${values.config}: '${key}' is not a broker or store config key, ignored`);
    }
  }
  const overrides = new Map<string, string>();
  if (values['listen-port'] !== undefined) overrides.set('listenPort', values['listen-port']);
  if (values['namesrv-addr'] !== undefined) overrides.set('namesrvAddr', values['namesrv-addr']);
  if (values['data-dir'] !== undefined) overrides.set('storePathRootDir', resolve(values['data-dir']));
  config = applyBrokerProperties(config, overrides).config;
  if (config.aclEnable && config.rocketmqHome === '') {
    throw new Error('aclEnable=true needs ROCKETMQ_HOME (or rocketmqHome in broker.conf): the ACL is read from $ROCKETMQ_HOME/conf/plain_acl.yml');
  }
  const storeConfig = applyMessageStoreProperties(config.storePathRootDir, storeProperties);
  config = brokerIdForRole(config, storeConfig.brokerRole);
  return { config, storeConfig, authConfig, grpc: await grpcOptions(grpcProperties, config, storeConfig, logger) };
}

/** The gRPC endpoint when broker.conf sets grpcServerPort (Java proxy keys), else undefined. */
async function grpcOptions(properties: ReadonlyMap<string, string>, config: BrokerConfig, storeConfig: MessageStoreConfig, logger: Logger): Promise<GrpcEndpointOptions | undefined> {
  const portText = properties.get('grpcServerPort');
  if (portText === undefined) return undefined;
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new Error(`grpcServerPort must be a port number, not '${portText}'`);
  const keyPath = properties.get('tlsKeyPath');
  const certPath = properties.get('tlsCertPath');
  if ((keyPath === undefined) !== (certPath === undefined)) throw new Error('tlsKeyPath and tlsCertPath go together');
  const testMode = (properties.get('tlsTestModeEnable') ?? 'true').toLowerCase() === 'true';
  const tls =
    keyPath !== undefined && certPath !== undefined
      ? await readCertificate(keyPath, certPath)
      : testMode
        ? await ensureDevCertificate(join(config.storePathRootDir, 'tls'), logger)
        : undefined;
  // The proxy's consumption keys (its spelling, "Mills" included), whole non-negative numbers of ms.
  const consumer: Partial<GrpcConsumerConfig> = {};
  for (const [key, field] of Object.entries(GRPC_CONSUMER_KEYS)) {
    const text = properties.get(key);
    if (text === undefined) continue;
    if (!/^\d{1,15}$/.test(text)) throw new Error(`${key} must be a whole number, not '${text}'`);
    consumer[field] = Number(text);
  }
  return {
    port,
    bindAddress: properties.get('grpcBindAddress') ?? '127.0.0.1',
    tls,
    maxMessageSize: storeConfig.maxMessageSize,
    autoCreateTopics: false,
    consumer,
  };
}

/**
 * A BrokerController over a DefaultMessageStore and JSON configs (users and ACLs of ACL 2.0 too), all under
 * storePathRootDir; with aclEnable, the ACL 1.0 files under rocketmqHome (ROCKETMQ_ACL_PLAIN_FILE, a path relative
 * to it, stands for Java's -Drocketmq.acl.plain.file).
 */
export function createBrokerController(
  config: BrokerConfig,
  storeConfig: MessageStoreConfig,
  logger: Logger,
  options: Pick<BrokerControllerOptions, 'authConfig' | 'aclWatchIntervalMillis' | 'grpc'> = {},
): BrokerController {
  const messageStore = new DefaultMessageStore(storeConfig, { logger });
  // The slave's segment-size check (P9) asks the master through the broker's outer API, which exists once it is built.
  const ha = new BrokerHA(messageStore, { bindAddress: config.bindAddress, logger, masterConfig: (addr) => controller.brokerOuterAPI.getBrokerConfig(addr) });
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
