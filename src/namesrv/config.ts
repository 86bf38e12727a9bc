import { homedir } from 'node:os';
import { join } from 'node:path';
import { formatJavaProperties } from '../common/java-properties.js';

/**
 * NamesrvConfig.java plus the NettyServerConfig keys a name server is configured with, under their Java property
 * names, so a namesrv.properties written for the Java name server works here.
 */
export interface NamesrvConfig {
  rocketmqHome: string;
  kvConfigPath: string;
  configStorePath: string;
  /** Accepted for compatibility with Java configuration files; the cluster-test mode is not implemented. */
  productEnvName: string;
  clusterTest: boolean;
  /** Adds the ORDER_TOPIC_CONFIG KV entry of a topic to its route as orderTopicConf. */
  orderMessageEnable: boolean;
  /** Answers REGISTER_BROKER with the ORDER_TOPIC_CONFIG namespace as a KVTable body. */
  returnOrderTopicConfigToBroker: boolean;
  clientRequestThreadPoolNums: number;
  clientRequestThreadPoolQueueCapacity: number;
  defaultThreadPoolNums: number;
  defaultThreadPoolQueueCapacity: number;
  scanNotActiveBrokerInterval: number;
  enableAllTopicList: boolean;
  enableTopicList: boolean;
  needWaitForService: boolean;
  waitSecondsForService: number;
  deleteTopicWithBrokerRegistration: boolean;
  listenPort: number;
  bindAddress: string;
  serverChannelMaxIdleTimeSeconds: number;
  serverAsyncSemaphoreValue: number;
  serverOnewaySemaphoreValue: number;
  /**
   * Ours (Java 5.3.3's name server has no metrics): DISABLE or PROM, under the broker's key names. PROM serves
   * /metrics (rpc latency, route counts), /healthz and /readyz on metricsPromExporterHost:metricsPromExporterPort.
   */
  metricsExporterType: string;
  /** Empty: loopback. */
  metricsPromExporterHost: string;
  /** 5558: next to the broker's 5557, so both fit on one host. */
  metricsPromExporterPort: number;
}

export type NamesrvConfigKey = keyof NamesrvConfig;

/** Java's defaults; `home` stands in for user.home and `rocketmqHome` for the ROCKETMQ_HOME variable. */
export function defaultNamesrvConfig(home: string = homedir(), rocketmqHome = ''): NamesrvConfig {
  return {
    rocketmqHome,
    kvConfigPath: join(home, 'namesrv', 'kvConfig.json'),
    configStorePath: join(home, 'namesrv', 'namesrv.properties'),
    productEnvName: 'center',
    clusterTest: false,
    orderMessageEnable: false,
    returnOrderTopicConfigToBroker: true,
    clientRequestThreadPoolNums: 8,
    clientRequestThreadPoolQueueCapacity: 50000,
    defaultThreadPoolNums: 16,
    defaultThreadPoolQueueCapacity: 10000,
    scanNotActiveBrokerInterval: 5000,
    enableAllTopicList: true,
    enableTopicList: true,
    needWaitForService: false,
    waitSecondsForService: 45,
    deleteTopicWithBrokerRegistration: false,
    listenPort: 9876,
    bindAddress: '0.0.0.0',
    serverChannelMaxIdleTimeSeconds: 120,
    serverAsyncSemaphoreValue: 64,
    serverOnewaySemaphoreValue: 256,
    metricsExporterType: 'DISABLE',
    metricsPromExporterHost: '',
    metricsPromExporterPort: 5558,
  };
}

/**
 * What UPDATE_NAMESRV_CONFIG may change at runtime. An allow-list, not Java's deny-list: letting a remote caller
 * rewrite paths or the home directory is how CVE-2023-33246 and CVE-2023-37582 happened. Keys that only matter
 * at startup (ports, pools, intervals) are not here either, since changing them would not take effect.
 */
export const RUNTIME_UPDATABLE_KEYS: ReadonlySet<NamesrvConfigKey> = new Set<NamesrvConfigKey>([
  'orderMessageEnable',
  'returnOrderTopicConfigToBroker',
  'enableAllTopicList',
  'enableTopicList',
  'needWaitForService',
  'waitSecondsForService',
  'deleteTopicWithBrokerRegistration',
]);

export class NamesrvConfigError extends Error {
  /** `forbidden`: the key may not be changed at runtime (NO_PERMISSION); otherwise the value is bad. */
  constructor(
    message: string,
    readonly forbidden = false,
  ) {
    super(message);
    this.name = 'NamesrvConfigError';
  }
}

/**
 * Parses property values onto a copy of `base`, all or nothing. Unknown keys are returned (Java ignores them;
 * callers log them). A value of the wrong type is an error, where Java would silently keep the old value. With
 * `allowed`, any other key, known or not, is refused.
 */
export function applyNamesrvProperties(
  base: NamesrvConfig,
  properties: ReadonlyMap<string, string>,
  allowed?: ReadonlySet<NamesrvConfigKey>,
): { config: NamesrvConfig; unknown: string[] } {
  const config: NamesrvConfig = { ...base };
  const target = config as unknown as Record<string, string | number | boolean>;
  const unknown: string[] = [];
  for (const [key, raw] of properties) {
    if (allowed !== undefined && !allowed.has(key as NamesrvConfigKey)) {
      throw new NamesrvConfigError(`the name server config '${key}' cannot be updated at runtime`, true);
    }
    if (!Object.hasOwn(base, key)) {
      unknown.push(key);
      continue;
    }
    target[key] = parseValue(key, raw.trim(), base[key as NamesrvConfigKey]);
  }
  return { config, unknown };
}

/** GET_NAMESRV_CONFIG's body: Java's sorted `key=value` lines. */
export function formatNamesrvConfig(config: NamesrvConfig): string {
  return formatJavaProperties(Object.entries(config).map(([key, value]) => [key, String(value)] as const));
}

function parseValue(key: string, raw: string, current: string | number | boolean): string | number | boolean {
  if (typeof current === 'string') return raw;
  if (typeof current === 'boolean') {
    if (/^(true|false)$/i.test(raw)) return raw.toLowerCase() === 'true';
    throw new NamesrvConfigError(`the name server config '${key}' must be true or false, not '${clip(raw)}'`);
  }
  const n = /^[+-]?\d{1,15}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new NamesrvConfigError(`the name server config '${key}' must be a non-negative integer, not '${clip(raw)}'`);
  }
  if (key === 'listenPort' && n > 65535) throw new NamesrvConfigError(`listenPort ${n} is not a port`);
  return n;
}

function clip(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}...` : text;
}
