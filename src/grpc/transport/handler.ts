/**
 * The seam between the gRPC transport and whoever serves MessagingService: plain interfaces over decoded messages,
 * no grpc-js type. The broker implements them (src/broker/grpc); the transport (server.ts) adapts grpc-js calls to
 * them. A method without a handler answers gRPC UNIMPLEMENTED.
 */
import type { MethodName, messagingService } from '../schema.js';
import type { Msg, MsgInit, RequestOf, ResponseOf } from '../types.js';

/** What a handler knows about the call besides its request. */
export interface CallContext {
  /** Request metadata, lower-case keys, first value of each (x-mq-client-id, x-mq-language, x-mq-namespace…). */
  readonly metadata: ReadonlyMap<string, string>;
  /** `x-mq-client-id`, the key of a client's Settings and Telemetry stream; undefined when absent or empty. */
  readonly clientId: string | undefined;
  /** The client's address, `host:port`. */
  readonly peer: string;
  /** When the client gives up on the call (ms since the epoch), Infinity without a deadline. */
  readonly deadline: number;
}

export type UnaryHandler<M extends MethodName> = (request: RequestOf<M>, context: CallContext) => Promise<ResponseOf<M>>;

/** The responses of a server-streaming call; the stream ends when the handler's promise settles. */
export interface ResponseStream<M extends MethodName> {
  write(message: ResponseOf<M>): void;
  /** The client cancelled or went away: further writes are dropped. */
  readonly cancelled: boolean;
  /** Calls `listener` once when the client cancels or goes away (at once if it already has). */
  onCancel(listener: () => void): void;
}

export type ServerStreamHandler<M extends MethodName> = (request: RequestOf<M>, context: CallContext, stream: ResponseStream<M>) => Promise<void>;

/** gRPC status codes a bidi stream may be failed with (the RocketMQ code goes in the message). */
export type StreamFailure = 'INVALID_ARGUMENT' | 'INTERNAL' | 'UNAVAILABLE';

/** Both directions of a bidi call (Telemetry). */
export interface BidiCall<In, Out> {
  readonly context: CallContext;
  /** Writes a message; ignored once the call is over. */
  write(message: Out): void;
  /** Completes the call with gRPC OK. */
  end(): void;
  /** Completes the call with a gRPC error status. */
  fail(code: StreamFailure, message: string): void;
  onMessage(listener: (message: In) => void): void;
  /** The call is over: the client half-closed, cancelled or disconnected, or the server ended it. Called once. */
  onClose(listener: () => void): void;
}

type Methods = typeof messagingService.methods;
export type BidiHandler<M extends MethodName> = (call: BidiCall<Msg<Methods[M]['request']>, MsgInit<Methods[M]['response']>>) => void;

export type HandlerOf<M extends MethodName> = Methods[M]['kind'] extends 'unary'
  ? UnaryHandler<M>
  : Methods[M]['kind'] extends 'serverStream'
    ? ServerStreamHandler<M>
    : BidiHandler<M>;

/** The methods served; the others answer UNIMPLEMENTED. */
export type MessagingServiceHandlers = { [M in MethodName]?: HandlerOf<M> };
