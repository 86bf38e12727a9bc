import { Admin } from '../client/admin/admin.js';
import { MQClientManager } from '../client/client-manager.js';
import { Producer } from '../client/producer/producer.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { HttpEndpoint } from '../remoting/http-endpoint.js';
import { ConsoleApi } from './console-api.js';
import { CONSOLE_TOKEN_ENV, isLoopbackAddress, type ConsoleServerOptions } from './console-config.js';
import { LiveFigures } from './live-figures.js';

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
