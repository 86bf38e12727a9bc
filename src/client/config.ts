import { networkInterfaces } from 'node:os';
import { silentLogger, type Logger } from '../common/logger.js';
import type { SerializeTypeName } from '../protocol/serialize-type.js';
import type { SessionCredentials } from './acl/acl-client-rpc-hook.js';

/** What every client (producer, consumer, admin) is configured with: ClientConfig.java. */
export interface ClientOptions {
  /** Name servers, "host:port" or "host:port;host:port" or a list; default: $NAMESRV_ADDR, else the HTTP lookup. */
  nameServer?: string | readonly string[];
  /**
   * The address server asked for the name-server list when none is given (TopAddressing, Java's
   * rocketmq.namesrv.domain lookup), e.g. "http://jmenv.example:8080/rocketmq/nsaddr".
   */
  nameServerLookupUrl?: string;
  /**
   * Clients of one process with the same instanceName share one MQClientInstance (connections, routes,
   * heartbeats). Default "DEFAULT", which each client replaces by "pid#hrtime" as Java does since 4.9, so two
   * clients share only when asked to.
   */
  instanceName?: string;
  unitName?: string;
  /** The IP in the client id and message ids; default: the first non-loopback address, preferring public IPv4. */
  clientIP?: string;
  /** Route refresh period (pollNameServerInterval), ms. */
  pollNameServerInterval?: number;
  /** Heartbeat period (heartbeatBrokerInterval), ms. */
  heartbeatBrokerInterval?: number;
  /** Timeout of route, heartbeat and unregister calls (mqClientApiTimeout), ms. */
  mqClientApiTimeout?: number;
  /** Header encoding of every request: JSON (Java's default) or ROCKETMQ. */
  serializeType?: SerializeTypeName;
  /**
   * Java's (deprecated, still honoured) ClientConfig.namespace: the client's topics and groups go on the wire as
   * "namespace%name" and come back without the prefix (see src/client/namespace.ts). Default: the instance id of a
   * name-server endpoint "[http://]MQ_INST_xxx_yyy.host...", else none.
   */
  namespace?: string;
  /**
   * Java 5.x's namespaceV2: names are not rewritten; every request carries the ext fields nsd=true and
   * ns=namespaceV2 (NamespaceRpcHook), for a proxy to read (5.3.3's broker and name server ignore them). Per client
   * instance, as in Java: the first client of an instance decides it.
   */
  namespaceV2?: string;
  /**
   * Sign every request (AclClientRPCHook) for a cluster with access control: an ACL 1.0 account (accessKey and
   * secretKey of plain_acl.yml) or an ACL 2.0 user (username and password). Per client instance, as in Java: the
   * first client of an instance decides it.
   */
  credentials?: SessionCredentials;
  logger?: Logger;
}

/** ClientOptions with every default applied. */
export interface ClientConfig {
  namesrvAddrs: string[];
  nameServerLookupUrl: string | undefined;
  instanceName: string;
  unitName: string | undefined;
  clientIP: string;
  pollNameServerInterval: number;
  heartbeatBrokerInterval: number;
  mqClientApiTimeout: number;
  serializeType: SerializeTypeName | undefined;
  namespaceV2: string | undefined;
  credentials: Readonly<SessionCredentials> | undefined;
  logger: Logger;
}

export const DEFAULT_INSTANCE_NAME = 'DEFAULT';

export function resolveClientConfig(options: ClientOptions, env: NodeJS.ProcessEnv = process.env): ClientConfig {
  const given = options.nameServer ?? env.NAMESRV_ADDR ?? [];
  let instanceName = options.instanceName ?? DEFAULT_INSTANCE_NAME;
  // ClientConfig.changeInstanceNameToPID (4.9+): a unique name per client unless one was chosen.
  if (instanceName === DEFAULT_INSTANCE_NAME) instanceName = `${process.pid}#${process.hrtime.bigint()}`;
  return {
    namesrvAddrs: parseNameServers(given),
    nameServerLookupUrl: options.nameServerLookupUrl,
    instanceName,
    unitName: options.unitName,
    clientIP: options.clientIP ?? getLocalAddress(),
    pollNameServerInterval: positive(options.pollNameServerInterval, 30_000, 'pollNameServerInterval'),
    heartbeatBrokerInterval: positive(options.heartbeatBrokerInterval, 30_000, 'heartbeatBrokerInterval'),
    mqClientApiTimeout: positive(options.mqClientApiTimeout, 3000, 'mqClientApiTimeout'),
    serializeType: options.serializeType,
    namespaceV2: options.namespaceV2,
    credentials: options.credentials === undefined ? undefined : { ...options.credentials },
    logger: options.logger ?? silentLogger,
  };
}

/**
 * Java splits the setting on ';'; a list may hold such strings too. Blank entries are dropped. A setting of the form
 * "http://..." is an endpoint whose addresses follow its last '/' (ClientConfig.getNamesrvAddr).
 */
export function parseNameServers(given: string | readonly string[]): string[] {
  const parts = (typeof given === 'string' ? [given] : given).flatMap((s) => {
    const trimmed = s.trim();
    return (trimmed.startsWith('http://') ? s.slice(s.lastIndexOf('/') + 1) : s).split(';');
  });
  return parts.map((s) => s.trim()).filter((s) => s !== '');
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number of ms, not ${value}`);
  return value;
}

/** ClientConfig.buildMQClientId: ip@instanceName[@unitName]. */
export function buildMQClientId(config: Pick<ClientConfig, 'clientIP' | 'instanceName' | 'unitName'>): string {
  const unit = config.unitName !== undefined && config.unitName !== '' ? `@${config.unitName}` : '';
  return `${config.clientIP}@${config.instanceName}${unit}`;
}

/**
 * NetworkUtil.getLocalAddress: skip loopback; prefer IPv4, the first one that is not private (10/8, 172.16/12,
 * 192.168/16), else the last IPv4 met; then IPv6 (neither link- nor site-local first, in brackets); else 127.0.0.1.
 */
export function getLocalAddress(interfaces = networkInterfaces()): string {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const entries of Object.values(interfaces)) {
    for (const entry of entries ?? []) {
      if (entry.internal) continue;
      (entry.family === 'IPv4' ? v4 : v6).push(entry.address);
    }
  }
  if (v4.length > 0) return v4.find((ip) => !isInternalIPv4(ip)) ?? (v4[v4.length - 1] as string);
  if (v6.length > 0) return `[${v6.find((ip) => !/^fe[89a-f]/i.test(ip)) ?? (v6[0])}]`;
  return '127.0.0.1';
}

function isInternalIPv4(ip: string): boolean {
  const [a, b] = ip.split('.').map(Number) as [number, number];
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}
