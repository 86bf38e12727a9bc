import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { silentLogger, type Logger } from '../common/logger.js';
import { TcpListener } from './tcp-listener.js';

/** What a route answers; built by the caller without knowing about HTTP. */
export interface HttpAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** A request as a handler sees it: the body already read (bounded), the query parsed. */
export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Where a Server-Sent Events reply writes; `send` after the client left does nothing. */
export interface HttpEventSink {
  send(event: string, data: string): void;
}

/**
 * A handler's reply: an answer (with extra headers), or an event stream that runs until the client leaves:
 * `open` starts it and returns what stops it.
 */
export type HttpReply = (HttpAnswer & { readonly headers?: Readonly<Record<string, string>> }) | { readonly open: (sink: HttpEventSink) => () => void };

export interface HttpEndpointOptions {
  host: string;
  /** 0: any free port. */
  port: number;
  /** GET routes by path (no query strings are read). */
  routes: ReadonlyMap<string, () => HttpAnswer>;
  /** Every request no GET route takes (any method, any path); without it those are 404 or 405. */
  handler?: (request: HttpRequest) => Promise<HttpReply>;
  /** The largest request body read for the handler (default 1 MiB); a larger one is refused with 413. */
  maxBodyBytes?: number;
  logger?: Logger;
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** Comment lines keep an idle event stream open through proxies and let a closed client be noticed. */
const EVENT_STREAM_KEEPALIVE_MILLIS = 15_000;

/**
 * A small HTTP listener for the operations endpoints (/metrics, /healthz, /readyz) and the web console: the routes
 * and the handler are plain functions, so what they serve is built outside the transport. Without a handler,
 * anything but GET or HEAD of a known path is a 405 or a 404; a route or handler that throws is a 500, logged, and
 * the listener keeps serving.
 */
export class HttpEndpoint extends TcpListener<Server> {
  private readonly logger: Logger;

  constructor(private readonly options: HttpEndpointOptions) {
    super(createServer(), options.host, options.port);
    this.logger = options.logger ?? silentLogger;
    this.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const path = (request.url ?? '/').split('?')[0] ?? '/';
      const route = this.options.routes.get(path);
      const handler = this.options.handler;
      if (handler !== undefined && (route === undefined || (request.method !== 'GET' && request.method !== 'HEAD'))) {
        this.handle(handler, request, response, path);
        return;
      }
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

  private handle(handler: (request: HttpRequest) => Promise<HttpReply>, request: IncomingMessage, response: ServerResponse, path: string): void {
    const limit = this.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    request.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > limit) {
        refused = true;
        writeAnswer(response, request.method, { status: 413, contentType: 'text/plain; charset=utf-8', body: `request body over ${limit} bytes\n` }, { Connection: 'close' });
        return;
      }
      chunks.push(chunk);
    });
    request.on('error', () => response.destroy());
    request.on('end', () => {
      if (refused) return;
      const query = new URL(request.url ?? '/', 'http://localhost').searchParams;
      const incoming: HttpRequest = { method: request.method ?? 'GET', path, query, headers: request.headers, body: Buffer.concat(chunks) };
      handler(incoming).then(
        (reply) => {
          if ('open' in reply) this.stream(reply.open, request, response);
          else writeAnswer(response, request.method, reply, reply.headers);
        },
        (err: unknown) => {
          this.logger.error(`HTTP ${request.method ?? ''} ${path} failed`, err);
          if (!response.headersSent) writeAnswer(response, request.method, { status: 500, contentType: 'text/plain; charset=utf-8', body: 'internal error\n' });
          else response.destroy();
        },
      );
    });
  }

  /** text/event-stream until the client goes away (or the endpoint shuts down). */
  private stream(open: (sink: HttpEventSink) => () => void, request: IncomingMessage, response: ServerResponse): void {
    response.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    response.write(': open\n\n');
    let closed = false;
    const sink: HttpEventSink = {
      send(event, data) {
        if (closed) return;
        response.write(`event: ${event}\n${data.split('\n').map((line) => `data: ${line}`).join('\n')}\n\n`);
      },
    };
    const stop = open(sink);
    const keepalive = setInterval(() => response.write(': keepalive\n\n'), EVENT_STREAM_KEEPALIVE_MILLIS);
    keepalive.unref();
    request.socket.once('close', () => {
      closed = true;
      clearInterval(keepalive);
      stop();
    });
  }

}

function writeAnswer(response: ServerResponse, method: string | undefined, answer: HttpAnswer, headers: Readonly<Record<string, string>> = {}): void {
  response.writeHead(answer.status, { ...headers, 'Content-Type': answer.contentType, 'Content-Length': Buffer.byteLength(answer.body) });
  response.end(method === 'HEAD' ? undefined : answer.body);
}

/** The keys the broker and the name server (which takes the broker's names) read for their exporter. */
export interface MetricsExporterConfig {
  readonly metricsExporterType: string;
  readonly metricsPromExporterHost: string;
  readonly metricsPromExporterPort: number;
}

/**
 * Where metricsExporterType asks for a Prometheus endpoint: PROM on metricsPromExporterHost (loopback when empty),
 * nothing for DISABLE; Java's other types (OTLP_GRPC, LOG) are accepted from its config files and said to
 * be not applied.
 */
export function prometheusExporterAddress(config: MetricsExporterConfig, logger: Logger): { host: string; port: number } | undefined {
  const { metricsExporterType, metricsPromExporterHost, metricsPromExporterPort } = config;
  if (metricsExporterType === 'DISABLE') return undefined;
  if (metricsExporterType !== 'PROM') {
    logger.warn(`metricsExporterType=${metricsExporterType} is not applied: only PROM (and DISABLE) are supported`);
    return undefined;
  }
  return { host: metricsPromExporterHost.trim() === '' ? '127.0.0.1' : metricsPromExporterHost, port: metricsPromExporterPort };
}

/** What a Prometheus endpoint serves: the text exposition, and whether the server is ready for traffic. */
export interface PrometheusEndpointOptions {
  readonly host: string;
  readonly port: number;
  readonly logger?: Logger;
  /** The scrape's body in the text exposition format 0.0.4. */
  readonly metrics: () => string;
  readonly ready: () => boolean;
}

/**
 * The endpoint the broker and the name server serve with metricsExporterType=PROM: /metrics, /healthz (the process
 * answers) and /readyz (it serves clients; 503 before), for Prometheus and container health checks alike.
 */
export function prometheusEndpoint(options: PrometheusEndpointOptions): HttpEndpoint {
  const text = (status: number, body: string): HttpAnswer => ({ status, contentType: 'text/plain; charset=utf-8', body });
  return new HttpEndpoint({
    host: options.host,
    port: options.port,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    routes: new Map([
      ['/metrics', () => ({ status: 200, contentType: 'text/plain; version=0.0.4; charset=utf-8', body: options.metrics() })],
      ['/healthz', () => text(200, 'ok\n')],
      ['/readyz', () => (options.ready() ? text(200, 'ready\n') : text(503, 'not ready\n'))],
    ]),
  });
}
