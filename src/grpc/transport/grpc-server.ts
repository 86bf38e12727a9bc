/**
 * The gRPC transport of MessagingService: a `@grpc/grpc-js` server (this folder is the only user of grpc-js) with
 * our codec as its serializers (no .proto loading), fed by our own `net.Server` so that one port serves both TLS and
 * plaintext: the first byte of a connection decides (0x16 starts a TLS handshake record, as the Java proxy's
 * ProxyAndTlsProtocolNegotiator does). Handlers are the plain interfaces of handler.ts.
 *
 * Work-arounds around grpc-js 1.14.7, each covered by test/unit/grpc/transport.test.ts:
 * - grpc-js turns `grpc-timeout` into `(value * unit) | 0` ms, so Java's 60-year Telemetry deadline (`525600H`)
 *   overflows and the call dies at once with DEADLINE_EXCEEDED: values above 2^31-1 ms are dropped before grpc-js
 *   reads them (a `stream` listener prepended on the HTTP/2 servers it creates);
 * - its inbound limit defaults to 4 MiB, below a 4 MiB body plus properties: the limit is an option here;
 * - clients' keep-alive pings are always answered (grpc-js enforces no ping policy, unlike grpc-java's 5-minute
 *   default that made the proxy close idle SDK connections).
 */
import { Server, ServerCredentials, status, type ConnectionInjector, type Metadata, type MethodDefinition, type ServiceDefinition, type UntypedHandleCall, type UntypedServiceImplementation, type ServerDuplexStream, type ServerUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import type { Http2Server, IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { Logger } from '../../common/logger.js';
import { decode, encode } from '../codec.js';
import { messagingService, type MessageName, type MethodName } from '../schema.js';
import type { MsgInit, RequestOf } from '../types.js';
import type { BidiCall, BidiHandler, CallContext, MessagingServiceHandlers, ServerStreamHandler, StreamFailure, UnaryHandler } from './handler.js';

/** A PEM key and certificate. */
export interface TlsKeyPair {
  key: string | Buffer;
  cert: string | Buffer;
}

export interface GrpcServerOptions {
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Address to bind (loopback unless configured otherwise). */
  host: string;
  /**
   * PEM key and certificate: TLS is served next to plaintext on the same port. Without them TLS connections are
   * closed. May still be in the making (a test certificate by openssl): the server listens at once, plaintext is
   * served, and TLS connections wait for it (closed if it comes to nothing).
   */
  tls?: TlsKeyPair | Promise<TlsKeyPair | undefined>;
  /** Largest inbound gRPC message, in bytes (grpc-js defaults to 4 MiB). */
  maxReceiveMessageLength: number;
  logger: Logger;
}

/** The largest delay Node's timers (and grpc-js's deadline timer) take: 2^31-1 ms, about 24.8 days. */
const MAX_TIMER_MILLIS = 2 ** 31 - 1;
const TIMEOUT_UNITS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };
const TLS_HANDSHAKE_RECORD = 0x16;
/** How long shutdown lets calls finish before closing connections. */
const SHUTDOWN_GRACE_MILLIS = 2000;

/** A `grpc-timeout` header value (`<digits><unit>`) in ms, undefined when malformed (grpc-js answers those itself). */
export function grpcTimeoutMillis(value: string): number | undefined {
  const match = /^\s*(\d{1,8})\s*([HMSmun])\s*$/.exec(value);
  if (match === null) return undefined;
  return Number(match[1]) * (TIMEOUT_UNITS[match[2] as string] as number);
}

/** Drops a deadline Node cannot arm: the call then has no deadline, which is what such a client means. */
function dropOverflowingTimeout(_stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
  const value = headers['grpc-timeout'];
  if (typeof value !== 'string') return;
  const millis = grpcTimeoutMillis(value);
  if (millis !== undefined && millis > MAX_TIMER_MILLIS) delete headers['grpc-timeout'];
}

/**
 * A request that did not decode. grpc-js would answer a throwing deserializer with a bare "Error deserializing
 * request" (details only with a debug variable), so the deserializer returns this and the call is answered
 * INVALID_ARGUMENT with the decoder's explanation.
 */
class MalformedRequest {
  constructor(readonly error: unknown) {}

  get details(): string {
    return `malformed request: ${this.error instanceof Error ? this.error.message : String(this.error)}`;
  }
}

function decodeRequest(name: MessageName, bytes: Buffer): unknown {
  try {
    return decode(name, bytes);
  } catch (err) {
    return new MalformedRequest(err);
  }
}

/** grpc-js's server-side HTTP/2 factory: private in its typings, present in the pinned 1.14.7 (see the header comment). */
interface Http2ServerFactory {
  createHttp2Server(credentials: ServerCredentials): Http2Server;
}

function contextOf(call: { metadata: Metadata; getPeer(): string; getDeadline(): Date | number }): CallContext {
  const metadata = new Map<string, string>();
  for (const [key, values] of Object.entries(call.metadata.getMap())) {
    const value = Buffer.isBuffer(values) ? values.toString('utf8') : String(values);
    metadata.set(key.toLowerCase(), value);
  }
  const clientId = metadata.get('x-mq-client-id');
  const deadline = call.getDeadline();
  return {
    metadata,
    clientId: clientId === undefined || clientId === '' ? undefined : clientId,
    peer: call.getPeer(),
    deadline: deadline instanceof Date ? deadline.getTime() : deadline,
  };
}

/** What a failed handler answers: gRPC INTERNAL with the error's text (handlers map expected failures to response statuses themselves). */
function internalError(err: unknown): { code: status; details: string } {
  return { code: status.INTERNAL, details: err instanceof Error ? err.message : String(err) };
}

export class GrpcServer {
  private readonly server: Server;
  private readonly netServer: NetServer;
  private readonly sockets = new Set<Socket>();
  /** Open streaming calls, ended at shutdown so clients see a clean end rather than a reset. */
  private readonly openStreams = new Set<() => void>();
  private boundPort = 0;
  private stopped = false;

  constructor(
    handlers: MessagingServiceHandlers,
    private readonly options: GrpcServerOptions,
  ) {
    this.server = new Server({
      'grpc.max_receive_message_length': options.maxReceiveMessageLength,
      'grpc.max_send_message_length': -1,
    });
    const factory = this.server as unknown as Http2ServerFactory;
    const create = factory.createHttp2Server.bind(this.server);
    factory.createHttp2Server = (credentials) => {
      const http2Server = create(credentials);
      http2Server.prependListener('stream', dropOverflowingTimeout);
      return http2Server;
    };
    this.server.addService(this.serviceDefinition(), this.implementation(handlers));
    const plain = this.server.createConnectionInjector(ServerCredentials.createInsecure());
    // Made at the first TLS connection: its secure context costs start-up time a plaintext-only run never needs.
    let tls: Promise<ConnectionInjector | undefined> | undefined;
    const tlsInjector = (): Promise<ConnectionInjector | undefined> =>
      (tls ??= Promise.resolve(options.tls).then(
        (pair) => (pair === undefined ? undefined : this.server.createConnectionInjector(ServerCredentials.createSsl(null, [{ private_key: toBuffer(pair.key), cert_chain: toBuffer(pair.cert) }], false))),
        (err: unknown) => {
          this.options.logger.warn(`gRPC: TLS off, its certificate failed: ${err instanceof Error ? err.message : String(err)}`);
          return undefined;
        },
      ));
    this.netServer = createNetServer((socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      // Until HTTP/2 owns the socket, a reset must not become an unhandled 'error'.
      const ignore = (): void => undefined;
      socket.on('error', ignore);
      socket.once('readable', () => {
        const first = socket.read(1) as Buffer | null;
        if (first === null) {
          socket.destroy();
          return;
        }
        socket.unshift(first);
        if (first[0] !== TLS_HANDSHAKE_RECORD) {
          socket.off('error', ignore);
          plain.injectConnection(socket);
        } else if (options.tls !== undefined) {
          // The handshake's bytes wait in the socket's buffer while the certificate is still being made.
          void tlsInjector().then((injector) => {
            if (socket.destroyed) return;
            if (injector === undefined || this.stopped) {
              this.options.logger.debug(`gRPC: TLS connection from ${socket.remoteAddress ?? '?'} closed: no certificate`);
              socket.destroy();
              return;
            }
            socket.off('error', ignore);
            injector.injectConnection(socket);
          });
        } else {
          this.options.logger.debug(`gRPC: TLS connection from ${socket.remoteAddress ?? '?'} closed: no certificate configured`);
          socket.destroy();
        }
      });
    });
  }

  /** The bound port (after start()). */
  get port(): number {
    return this.boundPort;
  }

  get tlsEnabled(): boolean {
    return this.options.tls !== undefined;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.netServer.once('error', reject);
      this.netServer.listen({ port: this.options.port, host: this.options.host }, () => {
        this.netServer.off('error', reject);
        resolve();
      });
    });
    this.boundPort = (this.netServer.address() as AddressInfo).port;
  }

  /** Ends open streams, stops accepting, lets calls finish (2 s at most), then closes every connection. Idempotent. */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const end of [...this.openStreams]) end();
    const closed = new Promise<void>((resolve) => this.netServer.close(() => resolve()));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, SHUTDOWN_GRACE_MILLIS);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private serviceDefinition(): ServiceDefinition {
    const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
    for (const [name, method] of Object.entries(messagingService.methods)) {
      definition[name] = {
        path: `/${messagingService.name}/${name}`,
        requestStream: method.kind === 'bidi',
        responseStream: method.kind !== 'unary',
        requestSerialize: (value: unknown) => encode(method.request as MessageName, value as MsgInit<MessageName>),
        requestDeserialize: (bytes: Buffer) => decodeRequest(method.request, bytes),
        responseSerialize: (value: unknown) => encode(method.response as MessageName, value as MsgInit<MessageName>),
        responseDeserialize: (bytes: Buffer) => decode(method.response, bytes),
        originalName: name,
      };
    }
    return definition;
  }

  /** grpc-js handlers for the served methods; grpc-js answers UNIMPLEMENTED for the rest. */
  private implementation(handlers: MessagingServiceHandlers): UntypedServiceImplementation {
    const impl: Record<string, UntypedHandleCall> = {};
    for (const [name, method] of Object.entries(messagingService.methods)) {
      const handler = handlers[name as MethodName];
      if (handler === undefined) continue;
      if (method.kind === 'unary') impl[name] = this.unary(handler as UnaryHandler<MethodName>);
      else if (method.kind === 'serverStream') impl[name] = this.serverStream(handler as ServerStreamHandler<MethodName>);
      else impl[name] = this.bidi(handler as BidiHandler<'Telemetry'>);
    }
    return impl;
  }

  private malformed(request: unknown, path: string): { code: status; details: string } | undefined {
    if (!(request instanceof MalformedRequest)) return undefined;
    this.options.logger.warn(`gRPC ${path}: ${request.details}`);
    return { code: status.INVALID_ARGUMENT, details: request.details };
  }

  private unary(handler: UnaryHandler<MethodName>) {
    return (call: ServerUnaryCall<RequestOf<MethodName>, unknown>, callback: (err: { code: status; details: string } | null, value?: unknown) => void): void => {
      const malformed = this.malformed(call.request, call.getPath());
      if (malformed !== undefined) {
        callback(malformed);
        return;
      }
      handler(call.request, contextOf(call)).then(
        (response) => callback(null, response),
        (err: unknown) => {
          this.options.logger.error(`gRPC ${call.getPath()} failed`, err);
          callback(internalError(err));
        },
      );
    };
  }

  private serverStream(handler: ServerStreamHandler<MethodName>) {
    return (call: ServerWritableStream<RequestOf<MethodName>, unknown>): void => {
      const malformed = this.malformed(call.request, call.getPath());
      if (malformed !== undefined) {
        call.emit('error', malformed);
        return;
      }
      let cancelled = false;
      const cancelListeners: (() => void)[] = [];
      call.on('cancelled', () => {
        cancelled = true;
        for (const listener of cancelListeners.splice(0)) listener();
      });
      const end = (): void => {
        this.openStreams.delete(end);
        cancelListeners.length = 0;
        if (!cancelled) call.end();
        cancelled = true;
      };
      this.openStreams.add(end);
      const stream = {
        write: (message: unknown) => {
          if (!cancelled) call.write(message);
        },
        get cancelled() {
          return cancelled;
        },
        onCancel: (listener: () => void) => {
          if (cancelled) listener();
          else cancelListeners.push(listener);
        },
      };
      handler(call.request, contextOf(call), stream).then(end, (err: unknown) => {
        this.openStreams.delete(end);
        cancelListeners.length = 0;
        this.options.logger.error(`gRPC ${call.getPath()} failed`, err);
        if (!cancelled) call.emit('error', internalError(err));
        cancelled = true;
      });
    };
  }

  private bidi(handler: BidiHandler<'Telemetry'>) {
    return (call: ServerDuplexStream<unknown, unknown>): void => {
      let over = false;
      const closeListeners: (() => void)[] = [];
      const close = (): void => {
        if (over) return;
        over = true;
        this.openStreams.delete(endCall);
        for (const listener of closeListeners) listener();
      };
      const endCall = (): void => {
        if (over) return;
        call.end();
        close();
      };
      this.openStreams.add(endCall);
      const bidiCall: BidiCall<unknown, unknown> = {
        context: contextOf(call),
        write: (message) => {
          if (!over) call.write(message);
        },
        end: endCall,
        fail: (code: StreamFailure, message: string) => {
          if (over) return;
          call.emit('error', { code: status[code], details: message });
          close();
        },
        onMessage: (listener) =>
          call.on('data', (message: unknown) => {
            const malformed = this.malformed(message, call.getPath());
            if (malformed !== undefined) {
              bidiCall.fail('INVALID_ARGUMENT', malformed.details);
              return;
            }
            // A listener's bug ends this call, never the process (it runs inside grpc-js's stream events).
            try {
              listener(message);
            } catch (err) {
              this.options.logger.error(`gRPC ${call.getPath()} failed`, err);
              bidiCall.fail('INTERNAL', internalError(err).details);
            }
          }),
        onClose: (listener) => closeListeners.push(listener),
      };
      // The client half-closing ends our side too (as the proxy does); a cancel or a broken connection just closes.
      call.on('end', endCall);
      call.on('cancelled', close);
      call.on('error', close);
      call.on('close', close);
      try {
        handler(bidiCall as Parameters<BidiHandler<'Telemetry'>>[0]);
      } catch (err) {
        this.options.logger.error(`gRPC ${call.getPath()} failed`, err);
        bidiCall.fail('INTERNAL', internalError(err).details);
      }
    };
  }
}

function toBuffer(pem: string | Buffer): Buffer {
  return typeof pem === 'string' ? Buffer.from(pem) : pem;
}
