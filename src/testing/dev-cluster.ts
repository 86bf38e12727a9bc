import { join } from 'node:path';
import { defaultBrokerConfig, type BrokerConfig } from '../broker/broker-config.js';
import type { BrokerController } from '../broker/broker-controller.js';
import {
  applyMessageStoreProperties,
  createBrokerController,
  grpcConsumerProperties,
  GRPC_SERVER_KEYS,
  splitBrokerProperties,
  type BrokerProperties,
} from '../broker/broker-startup.js';
import type { GrpcEndpointOptions } from '../broker/grpc-endpoint.js';
import { defaultGrpcConsumerConfig, type GrpcConsumerConfig } from '../broker/grpc/consumer-config.js';
import { Admin, type CreateTopicOptions } from '../client/admin/admin.js';
import { createConsoleLogger, silentLogger, type Logger, type LogLevel } from '../common/logger.js';
import { defaultNamesrvConfig } from '../namesrv/config.js';
import { NamesrvController } from '../namesrv/name-server.js';
import { createTempStoreDir, removeTempStoreDir } from '../store/temp-store-dir.js';

/** What a test may ask of its cluster; everything is optional. */
export interface DevClusterOptions {
  /** Where the name server and the broker keep their files; kept after stop(). Default: a new temp dir, removed by stop(). */
  dataDir?: string;
  /**
   * broker.conf keys, Java's names (broker, message store, ACL 2.0, and the proxy's gRPC consumption keys), e.g.
   * `{ maxMessageSize: 1024, defaultTopicQueueNums: 4 }`, read as `rocketmq-ts broker -c` reads them. An unknown key
   * is an error. namesrvAddr and storePathRootDir are the cluster's own; the options below win over these keys.
   */
  brokerConfig?: Readonly<Record<string, string | number | boolean>>;
  /** Serve the RocketMQ 5.x gRPC protocol too (plaintext, on a free loopback port); default false. */
  grpc?: boolean;
  /** Topics are created on first send (autoCreateTopicEnable; gRPC: on QueryRoute, as MIXED); default true. */
  autoCreateTopic?: boolean;
  /**
   * Transaction checks: a half message with no commit or rollback is asked about once it is this old
   * (transactionTimeOut), on a scan every this many ms (transactionCheckInterval). Default Java's 6 s and 30 s.
   */
  transactionCheckIntervalMs?: number;
  /**
   * The longest a caught-up consumer's request is held before an empty answer (a new message still answers it
   * at once here; Java's broker with longPollingEnable=false would wait for its next shortPollingTimeMills scan):
   * remoting pulls (longPollingEnable=false, shortPollingTimeMills) and gRPC ReceiveMessage
   * (grpcClientConsumerMaxLongPollingTimeoutMillis). Default: what clients ask, up to 15 s (pull) or 20 s (gRPC).
   */
  longPollingMaxMs?: number;
  /**
   * messageDelayLevel: the delay of each of the 18 levels, e.g. '100ms 200ms 300ms ...' ("ms" is ours; Java takes
   * s, m, h, d). The levels serve delayed sends and consumer retries (a retry's level is 3 + its reconsume count),
   * so short levels make retry and dead-letter tests fast. Default Java's '1s 5s 10s 30s 1m ... 2h'.
   */
  messageDelayLevel?: string;
  /** timerPrecisionMs: a timer message fires at most this late (never early); default 1000, as Java. */
  timerPrecisionMs?: number;
  /** The servers' log on stdout at this level; default 'silent'. */
  logLevel?: LogLevel | 'silent';
  /** Or a logger of your own (wins over logLevel). */
  logger?: Logger;
}

/** A running name server and broker in this process, on free loopback ports. */
export interface DevCluster extends AsyncDisposable {
  /** 'host:port' of the name server: what clients take as nameServer (or NAMESRV_ADDR). */
  readonly nameServer: string;
  /** 'host:port' of the broker. */
  readonly brokerAddr: string;
  /** 'host:port' of the gRPC endpoint (the 5.x SDKs' `endpoints`), with `grpc: true`. */
  readonly grpcEndpoint: string | undefined;
  /** Where the files are. */
  readonly dataDir: string;
  /** An Admin started against the cluster (mqadmin's calls, typed); shut down by stop(). */
  readonly admin: Admin;
  /** Creates (or updates) a topic on the broker; its route is on the name server when this resolves. */
  createTopic(name: string, options?: DevTopicOptions): Promise<void>;
  /** Shuts the admin, the broker and the name server down and removes the temp dir it made. Idempotent. */
  stop(): Promise<void>;
}

export interface DevTopicOptions extends Pick<CreateTopicOptions, 'perm' | 'order' | 'messageType'> {
  /** Read and write queues; default 8 (mqadmin's). */
  queues?: number;
}

/**
 * Starts a name server and a broker, as `rocketmq-ts dev` runs them, in this process: loopback, free ports, a temp
 * dir (or `dataDir`), quiet. `await using cluster = await startDevCluster()` stops it at the end of the scope.
 */
export async function startDevCluster(options: DevClusterOptions = {}): Promise<DevCluster> {
  const logger = options.logger ?? (options.logLevel === undefined || options.logLevel === 'silent' ? silentLogger : createConsoleLogger('rocketmq-ts/testing', options.logLevel));
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await createTempStoreDir('rocketmq-ts-test-'));
  const namesrv = new NamesrvController({ ...defaultNamesrvConfig(dataDir), listenPort: 0, bindAddress: '127.0.0.1' }, { logger });
  let broker: BrokerController | undefined;
  let admin: Admin | undefined;
  try {
    await namesrv.start();
    const nameServer = `127.0.0.1:${namesrv.port}`;
    const { config, storeProperties, authConfig, grpcProperties } = brokerSetup(options, dataDir, nameServer);
    const storeConfig = applyMessageStoreProperties(config.storePathRootDir, storeProperties);
    const grpc: GrpcEndpointOptions | undefined =
      options.grpc === true
        ? {
            port: 0,
            bindAddress: '127.0.0.1',
            tls: undefined,
            maxMessageSize: storeConfig.maxMessageSize,
            autoCreateTopics: config.autoCreateTopicEnable,
            consumer: grpcConsumer(grpcProperties, options.longPollingMaxMs),
            ...(options.longPollingMaxMs === undefined ? {} : { longPollingTimeoutMillis: options.longPollingMaxMs }),
          }
        : undefined;
    broker = createBrokerController(config, storeConfig, logger, { authConfig, ...(grpc === undefined ? {} : { grpc }) });
    await broker.start();
    admin = new Admin({ nameServer, logger });
    await admin.start();
    return runningCluster(namesrv, broker, admin, nameServer, dataDir, ownDir);
  } catch (err) {
    await admin?.shutdown();
    await broker?.shutdown();
    await namesrv.shutdown();
    if (ownDir) await removeTempStoreDir(dataDir);
    throw err;
  }
}

/** The broker's config: dev's defaults, then `brokerConfig`'s Java keys, then the typed options. */
function brokerSetup(options: DevClusterOptions, dataDir: string, nameServer: string): BrokerProperties {
  const base: BrokerConfig = {
    ...defaultBrokerConfig(dataDir),
    brokerClusterName: 'DefaultCluster',
    brokerName: 'broker-a',
    brokerIP1: '127.0.0.1',
    brokerIP2: '127.0.0.1',
    listenPort: 0,
    bindAddress: '127.0.0.1',
    autoCreateTopicEnable: true,
    // As `dev`: SQL92 subscriptions are filtered (Java's default is off).
    enablePropertyFilter: true,
  };
  const given = new Map(Object.entries(options.brokerConfig ?? {}).map(([key, value]) => [key, String(value)]));
  for (const key of ['namesrvAddr', 'storePathRootDir', ...GRPC_SERVER_KEYS]) {
    if (given.has(key)) throw new Error(`brokerConfig: '${key}' is the test cluster's own (use the dataDir and grpc options)`);
  }
  const typed = new Map<string, string>();
  if (options.autoCreateTopic !== undefined) typed.set('autoCreateTopicEnable', String(options.autoCreateTopic));
  if (options.transactionCheckIntervalMs !== undefined) {
    typed.set('transactionCheckInterval', String(options.transactionCheckIntervalMs));
    typed.set('transactionTimeOut', String(options.transactionCheckIntervalMs));
  }
  if (options.longPollingMaxMs !== undefined) {
    typed.set('longPollingEnable', 'false');
    typed.set('shortPollingTimeMills', String(options.longPollingMaxMs));
  }
  if (options.messageDelayLevel !== undefined) typed.set('messageDelayLevel', options.messageDelayLevel);
  if (options.timerPrecisionMs !== undefined) typed.set('timerPrecisionMs', String(options.timerPrecisionMs));
  const split = splitBrokerProperties(base, new Map([...given, ...typed]));
  if (split.unknown.length > 0) throw new Error(`brokerConfig: unknown keys ${split.unknown.join(', ')} (broker.conf's Java names are expected)`);
  split.config = { ...split.config, namesrvAddr: nameServer, storePathRootDir: join(dataDir, 'broker') };
  return split;
}

/** The proxy's consumption keys, then longPollingMaxMs as the poll's maximum (and the minimum when that is lower). */
function grpcConsumer(properties: ReadonlyMap<string, string>, longPollingMaxMs: number | undefined): Partial<GrpcConsumerConfig> {
  const consumer = grpcConsumerProperties(properties);
  if (longPollingMaxMs === undefined) return consumer;
  const min = Math.min(consumer.minLongPollingTimeoutMillis ?? defaultGrpcConsumerConfig().minLongPollingTimeoutMillis, longPollingMaxMs);
  return { ...consumer, minLongPollingTimeoutMillis: min, maxLongPollingTimeoutMillis: longPollingMaxMs };
}

function runningCluster(namesrv: NamesrvController, broker: BrokerController, admin: Admin, nameServer: string, dataDir: string, ownDir: boolean): DevCluster {
  const grpcPort = broker.grpcEndpoint?.port;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await admin.shutdown();
      await broker.shutdown();
      await namesrv.shutdown();
      if (ownDir) await removeTempStoreDir(dataDir);
    })());
  return {
    nameServer,
    brokerAddr: broker.brokerAddr,
    grpcEndpoint: grpcPort === undefined ? undefined : `${broker.config.brokerIP1}:${grpcPort}`,
    dataDir,
    admin,
    async createTopic(name, topicOptions = {}) {
      const { queues, ...rest } = topicOptions;
      await admin.createTopic({ brokerAddr: broker.brokerAddr }, name, { ...rest, ...(queues === undefined ? {} : { readQueueNums: queues, writeQueueNums: queues }) });
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
