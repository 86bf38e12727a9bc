import { homedir, hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { formatJavaProperties } from '../common/java-properties.js';
import { PermName } from '../protocol/perm-name.js';

/**
 * BrokerConfig.java (with BrokerIdentity) plus the NettyServerConfig keys a broker is configured with, under their
 * Java property names, so a broker.conf written for the Java broker configures this one. Keys of the message store
 * (flushDiskType, mappedFileSizeCommitLog, ...) belong to the store's own configuration.
 */
export interface BrokerConfig {
  rocketmqHome: string;
  brokerClusterName: string;
  brokerName: string;
  brokerId: number;
  /** "host:port;host:port"; empty means not registering anywhere. */
  namesrvAddr: string;
  /** The address advertised to name servers and clients, with listenPort. */
  brokerIP1: string;
  /** The HA address (with listenPort + 1) a slave of this broker would replicate from. */
  brokerIP2: string;
  listenPort: number;
  bindAddress: string;
  serverChannelMaxIdleTimeSeconds: number;
  /** Where the store and the config/ JSON files live (MessageStoreConfig.storePathRootDir, ~/store). */
  storePathRootDir: string;
  /** PermName bits applied to every topic when registering: 6 read-write, 4 read-only, 2 write-only. */
  brokerPermission: number;
  defaultTopicQueueNums: number;
  autoCreateTopicEnable: boolean;
  clusterTopicEnable: boolean;
  brokerTopicEnable: boolean;
  autoCreateSubscriptionGroup: boolean;
  /** Groups named CID_RMQ_SYS_* are created on first use even without autoCreateSubscriptionGroup. */
  enableCreateSysGroup: boolean;
  traceTopicEnable: boolean;
  msgTraceTopicName: string;
  /** How often consumerOffset.json is written, in ms. */
  flushConsumerOffsetInterval: number;
  registerBrokerTimeoutMills: number;
  /** Java clamps the registration period to 10..60 s. */
  registerNameServerPeriod: number;
  /** Register on every period even when no name server saw a DataVersion change. */
  forceRegister: boolean;
  compressedRegister: boolean;
  notifyConsumerIdsChangedEnable: boolean;
  /** A client channel silent (no heartbeat) for longer than this is dropped, in ms. */
  channelExpiredTimeout: number;
  /** UPDATE_AND_CREATE_TOPIC and DELETE_TOPIC_IN_BROKER refuse system topics. */
  validateSystemTopicWhenUpdateTopic: boolean;
  enableSlaveActingMaster: boolean;
  /** Sent as heartbeatTimeoutMillis when registering, with enableSlaveActingMaster. */
  brokerNotActiveTimeoutMillis: number;
  /** Stored in every message's MSG_REGION property and returned with every send. */
  regionId: string;
  /** Stored in every message's TRACE_ON property and returned with every send. */
  traceOn: boolean;
  /** Request-reply: a reply is also stored in `<cluster>_REPLY_TOPIC`, whether or not it reached its requester. */
  storeReplyMessageEnable: boolean;
  /** RECALL_MESSAGE (5.3.x): producers may cancel their timer messages (off by default, as Java). */
  recallMessageEnable: boolean;
  /** A recall is accepted even while the broker is not writeable. */
  allowRecallWhenBrokerNotWriteable: boolean;
  /** Hold caught-up pulls for the time the client asks (true), or for shortPollingTimeMills. */
  longPollingEnable: boolean;
  /** POP: percent of pops that read the group's retry topic first (Java: 20). */
  popFromRetryProbability: number;
  /** POP retry topics are %RETRY%group+topic (true) or %RETRY%group_topic (false, Java's default). */
  enableRetryTopicV2: boolean;
  /** A new POP group starts at offset 0 of a queue whose head is still in memory, else at its newest message. */
  initPopOffsetByCheckMsgInMem: boolean;
  /** Parked POP requests, in all and per (topic, group, queue): beyond them a pop answers POLLING_FULL. */
  maxPopPollingSize: number;
  popPollingSize: number;
  /** How often POP checkpoints whose invisible time passed are revived, in ms. */
  reviveInterval: number;
  /** QUERY_ASSIGNMENT: a group with no mode set consumes by PULL or POP; POP groups share queues by popShareQueueNum. */
  defaultMessageRequestMode: string;
  defaultPopShareQueueNum: number;
  /** QUERY_ASSIGNMENT splits the queues among the group's clients (off: every client gets them all). */
  serverLoadBalancerEnable: boolean;
  shortPollingTimeMills: number;
  /** Answer SYSTEM_BUSY to a send that waited in the send queue for waitTimeMillsInSendQueue ms. */
  brokerFastFailureEnable: boolean;
  waitTimeMillsInSendQueue: number;
  /** Sends allowed to wait for the store; more answer SYSTEM_BUSY at once. */
  sendThreadPoolQueueCapacity: number;
  /** Refuse half messages (NO_PERMISSION), as a broker without transactions. */
  rejectTransactionMessage: boolean;
  /** How often the check looks for half messages to ask their producer about, in ms (5.x: 30 s, 4.9: 60 s). */
  transactionCheckInterval: number;
  /** A half message is asked about once it is this old, in ms (or its CHECK_IMMUNITY_TIME_IN_SECONDS). */
  transactionTimeOut: number;
  /** After this many checks a half message goes to TRANS_CHECK_MAX_TIME_TOPIC and is never delivered. */
  transactionCheckMax: number;
  /** Finished half offsets are written as one op record once their text reaches this many characters... */
  transactionOpMsgMaxSize: number;
  /** ...or this long (ms) after the first of them. */
  transactionOpBatchInterval: number;
  /** Accepted for Java's broker.conf; the open-transaction counts are derived from the topics, not flushed. */
  transactionMetricFlushInterval: number;
  /** Filter by message properties (SQL92 subscriptions); off, they are refused with SYSTEM_ERROR, as in Java. */
  enablePropertyFilter: boolean;
  /** Retry-topic pulls with a SQL92 subscription are filtered by the group's filter of the message's original topic. */
  filterSupportRetry: boolean;
  /** A consumer filter (consumerFilter.json) whose group left is forgotten this long after, in ms (24 h). */
  filterDataCleanTimeSpan: number;
  /**
   * ACL 1.0: every request is validated against $rocketmqHome/conf/plain_acl.yml and conf/acl/*.yml (signature,
   * whitelists, topic and group permissions). Read at startup only.
   */
  aclEnable: boolean;
  /**
   * DISABLE, PROM (Prometheus text on metricsPromExporterHost:metricsPromExporterPort, with /healthz and /readyz),
   * OTLP_GRPC or LOG (accepted for Java's broker.conf; not applied, said once at start).
   */
  metricsExporterType: string;
  /** Empty: loopback (Java binds brokerIP1; we bind nothing beyond loopback unless told). */
  metricsPromExporterHost: string;
  metricsPromExporterPort: number;
  /** `k1:v1,k2:v2`: labels added to every series. */
  metricsLabel: string;
  // Roles and reads from slaves (MessageStoreConfig.brokerRole, BrokerConfig.slaveReadEnable, ...): see slave/broker-role.ts.
  /** ASYNC_MASTER, SYNC_MASTER or SLAVE. A SLAVE needs brokerId > 0; a master's brokerId is forced to 0, as BrokerStartup does. */
  brokerRole: string;
  /** Slaves may be suggested to consumers (suggestWhichBrokerId); off, a slave still serves pulls but suggests the master (4.9). */
  slaveReadEnable: boolean;
  /** A slave answers PULL_OFFSET_MOVED itself instead of PULL_RETRY_IMMEDIATELY with the master suggested. */
  offsetCheckInSlave: boolean;
}

export type BrokerConfigKey = keyof BrokerConfig;

/** Java's defaults; `home` stands in for user.home. BrokerStartup listens on 10911, not BrokerConfig's 6888. */
export function defaultBrokerConfig(home: string = homedir(), rocketmqHome = ''): BrokerConfig {
  const localAddress = localIPv4Address();
  return {
    rocketmqHome,
    brokerClusterName: 'DefaultCluster',
    brokerName: defaultBrokerName(),
    brokerId: 0,
    namesrvAddr: '',
    brokerIP1: localAddress,
    brokerIP2: localAddress,
    listenPort: 10911,
    bindAddress: '0.0.0.0',
    serverChannelMaxIdleTimeSeconds: 120,
    storePathRootDir: join(home, 'store'),
    brokerPermission: PermName.PERM_READ | PermName.PERM_WRITE,
    defaultTopicQueueNums: 8,
    autoCreateTopicEnable: true,
    clusterTopicEnable: true,
    brokerTopicEnable: true,
    autoCreateSubscriptionGroup: true,
    enableCreateSysGroup: true,
    traceTopicEnable: false,
    msgTraceTopicName: 'RMQ_SYS_TRACE_TOPIC',
    flushConsumerOffsetInterval: 5000,
    registerBrokerTimeoutMills: 24000,
    registerNameServerPeriod: 30000,
    forceRegister: true,
    compressedRegister: false,
    notifyConsumerIdsChangedEnable: true,
    channelExpiredTimeout: 120_000,
    validateSystemTopicWhenUpdateTopic: true,
    enableSlaveActingMaster: false,
    brokerNotActiveTimeoutMillis: 10_000,
    regionId: 'DefaultRegion',
    traceOn: true,
    storeReplyMessageEnable: true,
    recallMessageEnable: false,
    allowRecallWhenBrokerNotWriteable: true,
    longPollingEnable: true,
    popFromRetryProbability: 20,
    enableRetryTopicV2: false,
    initPopOffsetByCheckMsgInMem: true,
    maxPopPollingSize: 100_000,
    popPollingSize: 1024,
    reviveInterval: 1000,
    defaultMessageRequestMode: 'PULL',
    defaultPopShareQueueNum: -1,
    serverLoadBalancerEnable: true,
    shortPollingTimeMills: 1000,
    brokerFastFailureEnable: true,
    waitTimeMillsInSendQueue: 200,
    sendThreadPoolQueueCapacity: 10_000,
    rejectTransactionMessage: false,
    transactionCheckInterval: 30_000,
    transactionTimeOut: 6000,
    transactionCheckMax: 15,
    transactionOpMsgMaxSize: 4096,
    transactionOpBatchInterval: 3000,
    transactionMetricFlushInterval: 3000,
    enablePropertyFilter: false,
    filterSupportRetry: false,
    filterDataCleanTimeSpan: 24 * 3600_000,
    aclEnable: false,
    metricsExporterType: 'DISABLE',
    metricsPromExporterHost: '',
    metricsPromExporterPort: 5557,
    metricsLabel: '',
    brokerRole: 'ASYNC_MASTER',
    slaveReadEnable: false,
    offsetCheckInSlave: false,
  };
}

/**
 * What UPDATE_BROKER_CONFIG may change at runtime. An allow-list, not Java's deny-list (brokerConfigPath,
 * rocketmqHome): a remote caller must never rewrite paths, the home directory or the name-server list (where the
 * broker registers, and so who routes clients to it). Keys read only at startup (ports, identity, intervals,
 * system topics) are not here either, since changing them would not take effect.
 */
export const RUNTIME_UPDATABLE_KEYS: ReadonlySet<BrokerConfigKey> = new Set<BrokerConfigKey>([
  'brokerPermission',
  'defaultTopicQueueNums',
  'autoCreateTopicEnable',
  'autoCreateSubscriptionGroup',
  'enableCreateSysGroup',
  'notifyConsumerIdsChangedEnable',
  'channelExpiredTimeout',
  'validateSystemTopicWhenUpdateTopic',
  'registerBrokerTimeoutMills',
  'forceRegister',
  'compressedRegister',
  'longPollingEnable',
  'shortPollingTimeMills',
  'brokerFastFailureEnable',
  'waitTimeMillsInSendQueue',
  'rejectTransactionMessage',
  'transactionCheckInterval',
  'transactionTimeOut',
  'transactionCheckMax',
  'transactionOpMsgMaxSize',
  'transactionOpBatchInterval',
  'storeReplyMessageEnable',
  'recallMessageEnable',
  'allowRecallWhenBrokerNotWriteable',
  // Read on every CHECK_CLIENT_CONFIG and pull, so Java's UPDATE_BROKER_CONFIG changes them at once, as here.
  'enablePropertyFilter',
  'filterSupportRetry',
  'filterDataCleanTimeSpan',
  'popFromRetryProbability',
  'maxPopPollingSize',
  'popPollingSize',
  // Read on every pull, as Java's are.
  'slaveReadEnable',
  'offsetCheckInSlave',
]);

export class BrokerConfigError extends Error {
  /** `forbidden`: the key may not be changed at runtime (NO_PERMISSION); otherwise the value is bad. */
  constructor(
    message: string,
    readonly forbidden = false,
  ) {
    super(message);
    this.name = 'BrokerConfigError';
  }
}

/**
 * Parses property values onto a copy of `base`, all or nothing. Unknown keys are returned (Java ignores them;
 * callers log them). A value of the wrong type is an error, where Java would silently keep the old value. With
 * `allowed`, any other key, known or not, is refused.
 */
export function applyBrokerProperties(
  base: BrokerConfig,
  properties: ReadonlyMap<string, string>,
  allowed?: ReadonlySet<BrokerConfigKey>,
): { config: BrokerConfig; unknown: string[] } {
  const config: BrokerConfig = { ...base };
  const target = config as unknown as Record<string, string | number | boolean>;
  const unknown: string[] = [];
  for (const [key, raw] of properties) {
    if (allowed !== undefined && !allowed.has(key as BrokerConfigKey)) {
      throw new BrokerConfigError(`the broker config '${key}' cannot be updated at runtime`, true);
    }
    if (!Object.hasOwn(base, key)) {
      unknown.push(key);
      continue;
    }
    target[key] = parseValue(key, raw.trim(), base[key as BrokerConfigKey]);
  }
  return { config, unknown };
}

/** GET_BROKER_CONFIG's body: Java's `key=value` lines (sorted here, for a stable answer). */
export function formatBrokerConfig(config: BrokerConfig): string {
  return formatJavaProperties(Object.entries(config).map(([key, value]) => [key, String(value)] as const));
}

function parseValue(key: string, raw: string, current: string | number | boolean): string | number | boolean {
  if (typeof current === 'string') return raw;
  if (typeof current === 'boolean') {
    if (/^(true|false)$/i.test(raw)) return raw.toLowerCase() === 'true';
    throw new BrokerConfigError(`the broker config '${key}' must be true or false, not '${clip(raw)}'`);
  }
  const n = /^[+-]?\d{1,15}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new BrokerConfigError(`the broker config '${key}' must be a non-negative integer, not '${clip(raw)}'`);
  }
  if (key === 'listenPort' && n > 65535) throw new BrokerConfigError(`listenPort ${n} is not a port`);
  if (key === 'brokerPermission' && !PermName.isValid(n)) throw new BrokerConfigError(`brokerPermission ${n} is not a permission (0..7)`);
  return n;
}

function clip(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}...` : text;
}

/** BrokerIdentity.defaultBrokerName: the host name, or DEFAULT_BROKER. */
function defaultBrokerName(): string {
  try {
    return hostname() || 'DEFAULT_BROKER';
  } catch {
    return 'DEFAULT_BROKER';
  }
}

/** NetworkUtil.getLocalAddress, simplified: the first non-internal IPv4 address, else loopback. */
function localIPv4Address(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return '127.0.0.1';
}
