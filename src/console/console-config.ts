import type { Logger } from '../common/logger.js';

/*
 * The console's configuration, apart from its server: the CLIs read it on every start, and load the server (with
 * the admin and producer it drives) only when the console is on.
 */

/** broker.conf keys of the console (ours: Java's broker has none), read by `rocketmq-ts broker`. */
export const CONSOLE_CONFIG_KEYS: ReadonlySet<string> = new Set(['consoleEnable', 'consolePort', 'consoleBindAddress', 'consoleToken']);
/** The rocketmq-dashboard's port since 2.1.0. */
export const DEFAULT_CONSOLE_PORT = 8082;
/** Where the token comes from when broker.conf does not say (kept out of files and process listings). */
export const CONSOLE_TOKEN_ENV = 'ROCKETMQ_CONSOLE_TOKEN';

export interface ConsoleServerOptions {
  /** The name servers the console's admin asks, "host:port;host:port". */
  namesrvAddr: string;
  /** The cluster topics are created in. */
  clusterName: string;
  port: number;
  /** Default 127.0.0.1. Any other address needs a token. */
  bindAddress?: string;
  token?: string | undefined;
  logger?: Logger;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/;

/** True when only this machine can reach the address. */
export function isLoopbackAddress(address: string): boolean {
  return LOOPBACK.test(address);
}

/** The console's keys from broker.conf (and the token from the environment); undefined when it is off. */
export function consoleOptionsFromProperties(properties: ReadonlyMap<string, string>, env: NodeJS.ProcessEnv): Omit<ConsoleServerOptions, 'namesrvAddr' | 'clusterName' | 'logger'> | undefined {
  const enable = (properties.get('consoleEnable') ?? 'false').trim().toLowerCase();
  if (enable !== 'true' && enable !== 'false') throw new Error(`consoleEnable must be true or false, not '${enable}'`);
  if (enable === 'false') return undefined;
  const portText = (properties.get('consolePort') ?? String(DEFAULT_CONSOLE_PORT)).trim();
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new Error(`consolePort must be a port number, not '${portText}'`);
  const token = properties.get('consoleToken')?.trim() || env[CONSOLE_TOKEN_ENV] || undefined;
  return { port, bindAddress: properties.get('consoleBindAddress')?.trim() || '127.0.0.1', token };
}
