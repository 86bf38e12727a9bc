import { Admin } from '../client/admin/admin.js';
import { MQClientManager } from '../client/client-manager.js';
import { Producer } from '../client/producer/producer.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { HttpEndpoint } from '../remoting/http-endpoint.js';
import { ConsoleApi } from './console-api.js';
import { LiveFigures } from './live-figures.js';

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

/**
 * The web console: its API over an Admin and a Producer of its own (clients of the local name server over
 * loopback remoting, so it shows what the CLI shows), served by an HttpEndpoint.
 */
export class ConsoleServer {
  private readonly admin: Admin;
  private readonly producer: Producer;
  private readonly figures: LiveFigures;
  private readonly endpoint: HttpEndpoint;
  private readonly logger: Logger;

  constructor(private readonly options: ConsoleServerOptions) {
    const bindAddress = options.bindAddress ?? '127.0.0.1';
    if (!isLoopbackAddress(bindAddress) && (options.token === undefined || options.token === '')) {
      throw new Error(`the console bound to ${bindAddress} needs a token (consoleToken or ${CONSOLE_TOKEN_ENV}): anyone who reaches it could change the cluster`);
    }
    this.logger = options.logger ?? silentLogger;
    // A client registry of its own: the console's producer group must not clash with an application's clients
    // in the same process (a dev cluster embedded in tests, or a second console).
    const client = { nameServer: options.namesrvAddr, clientIP: '127.0.0.1', instanceName: 'rocketmq-ts-console', clientManager: new MQClientManager() };
    this.admin = new Admin(client);
    this.producer = new Producer({ ...client, group: 'CONSOLE_PRODUCER_GROUP' });
    this.figures = new LiveFigures(this.admin);
    const api = new ConsoleApi({
      admin: this.admin,
      producer: this.producer,
      figures: this.figures,
      clusterName: options.clusterName,
      nameServers: options.namesrvAddr.split(';').filter((a) => a !== ''),
      token: options.token,
    });
    this.endpoint = new HttpEndpoint({ host: bindAddress, port: options.port, routes: new Map(), handler: (request) => api.handle(request), logger: this.logger });
  }

  async start(): Promise<void> {
    await this.admin.start();
    await this.producer.start();
    await this.endpoint.start();
    this.logger.info(`web console on http://${this.url}`);
  }

  /** host:port/ as a browser opens it. */
  get url(): string {
    const host = this.options.bindAddress ?? '127.0.0.1';
    return `${host.includes(':') ? `[${host}]` : host}:${this.endpoint.port}/`;
  }

  get port(): number {
    return this.endpoint.port;
  }

  async shutdown(): Promise<void> {
    this.figures.stop();
    await this.endpoint.shutdown();
    await this.producer.shutdown();
    await this.admin.shutdown();
  }
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
