import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger, type Logger } from '../common/logger.js';

/** What a route answers; built by the caller without knowing about HTTP. */
export interface HttpAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

export interface HttpEndpointOptions {
  host: string;
  /** 0: any free port. */
  port: number;
  /** GET routes by path (no query strings are read). */
  routes: ReadonlyMap<string, () => HttpAnswer>;
  logger?: Logger;
}

/**
 * A small GET-only HTTP listener for the operations endpoints (/metrics, /healthz, /readyz): the routes are
 * plain functions, so what they serve is built outside the transport. Anything but GET or HEAD of a known path is
 * a 405 or a 404; a route that throws is a 500, logged, and the listener keeps serving.
 */
export class HttpEndpoint {
  private readonly server: Server;
  private readonly logger: Logger;

  constructor(private readonly options: HttpEndpointOptions) {
    this.logger = options.logger ?? silentLogger;
    this.server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0] ?? '/';
      const route = this.options.routes.get(path);
      let answer: HttpAnswer;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        answer = { status: 405, contentType: 'text/plain; charset=utf-8', body: 'method not allowed\n' };
        response.setHeader('Allow', 'GET, HEAD');
      } else if (route === undefined) {
        answer = { status: 404, contentType: 'text/plain; charset=utf-8', body: 'not found\n' };
      } else {
        try {
          answer = route();
        } catch (err) {
          this.logger.error(`HTTP ${path} failed`, err);
          answer = { status: 500, contentType: 'text/plain; charset=utf-8', body: 'internal error\n' };
        }
      }
      response.writeHead(answer.status, { 'Content-Type': answer.contentType, 'Content-Length': Buffer.byteLength(answer.body) });
      response.end(request.method === 'HEAD' ? undefined : answer.body);
    });
    // Scrapers keep connections open; closing the endpoint must not wait for them.
    this.server.keepAliveTimeout = 5000;
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /** The bound port (after start()). */
  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? 0;
  }

  shutdown(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
