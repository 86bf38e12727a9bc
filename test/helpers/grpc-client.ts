import { Client, Metadata, credentials, type ChannelCredentials, type ClientOptions, type ServiceError } from '@grpc/grpc-js';
import { decode, encode } from '../../src/grpc/codec.js';
import { messagingService, type MethodName } from '../../src/grpc/schema.js';
import type { Msg, MsgInit } from '../../src/grpc/types.js';

type Methods = typeof messagingService.methods;
type Req<M extends MethodName> = MsgInit<Methods[M]['request']>;
type Res<M extends MethodName> = Msg<Methods[M]['response']>;

/** What a call ended with when it did not succeed. */
export interface CallFailure {
  code: number;
  details: string;
}

/**
 * A raw MessagingService client for conformance tests: grpc-js with our codec, so a test sends exactly the
 * messages (and metadata) it means to, as an SDK would, and sees the raw responses.
 */
export class RawMessagingClient {
  readonly client: Client;

  constructor(
    address: string,
    /** null: send no x-mq-client-id. */
    readonly clientId: string | null = `test@${process.pid}@0@${Math.random().toString(36).slice(2, 10)}`,
    creds: ChannelCredentials = credentials.createInsecure(),
    options: ClientOptions = {},
  ) {
    this.client = new Client(address, creds, options);
  }

  metadata(extra: Record<string, string> = {}): Metadata {
    const md = new Metadata();
    if (this.clientId !== null) md.set('x-mq-client-id', this.clientId);
    md.set('x-mq-language', 'HTTP');
    md.set('x-mq-protocol', 'v2');
    for (const [k, v] of Object.entries(extra)) md.set(k, v);
    return md;
  }

  unary<M extends MethodName>(method: M, request: Req<M>, extra: Record<string, string> = {}): Promise<Res<M>> {
    const m = messagingService.methods[method];
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        `/${messagingService.name}/${method}`,
        (value: Req<M>) => encode(m.request, value as never),
        (bytes: Buffer) => decode(m.response, bytes) as Res<M>,
        request,
        this.metadata(extra),
        { deadline: Date.now() + 10_000 },
        (err: ServiceError | null, value?: Res<M>) => (err !== null ? reject(err) : resolve(value as Res<M>)),
      );
    });
  }

  /** Sends `bytes` as the raw request body of `method` (for malformed-input tests). */
  rawUnary(method: MethodName, bytes: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        `/${messagingService.name}/${method}`,
        (value: Buffer) => value,
        (value: Buffer) => value,
        bytes,
        this.metadata(),
        { deadline: Date.now() + 10_000 },
        (err: ServiceError | null, value?: Buffer) => (err !== null ? reject(err) : resolve(value as Buffer)),
      );
    });
  }

  /**
   * ReceiveMessage: every element of the response stream, how long the call took and its gRPC status. `deadlineMillis`
   * is the gRPC deadline from now; `cancelAfterMillis` cancels the call then (a client giving up).
   */
  receive(
    request: Req<'ReceiveMessage'>,
    options: { deadlineMillis?: number; cancelAfterMillis?: number; extra?: Record<string, string> } = {},
  ): Promise<{ elements: Res<'ReceiveMessage'>[]; elapsed: number; grpcCode: number }> {
    const m = messagingService.methods.ReceiveMessage;
    const started = Date.now();
    const call = this.client.makeServerStreamRequest(
      `/${messagingService.name}/ReceiveMessage`,
      (value: Req<'ReceiveMessage'>) => encode(m.request, value),
      (bytes: Buffer) => decode(m.response, bytes),
      request,
      this.metadata(options.extra),
      { deadline: started + (options.deadlineMillis ?? 30_000) },
    );
    const elements: Res<'ReceiveMessage'>[] = [];
    call.on('data', (e: Res<'ReceiveMessage'>) => elements.push(e));
    call.on('error', () => undefined);
    if (options.cancelAfterMillis !== undefined) setTimeout(() => call.cancel(), options.cancelAfterMillis).unref();
    return new Promise((resolve) => call.on('status', (s: { code: number }) => resolve({ elements, elapsed: Date.now() - started, grpcCode: s.code })));
  }

  /** Opens Telemetry; `received` collects the server's commands, `ended` settles with the final status. */
  telemetry(extra: Record<string, string> = {}) {
    const call = this.client.makeBidiStreamRequest(
      `/${messagingService.name}/Telemetry`,
      (value: MsgInit<'TelemetryCommand'>) => encode('TelemetryCommand', value),
      (bytes: Buffer) => decode('TelemetryCommand', bytes),
      this.metadata(extra),
      {},
    );
    const received: Msg<'TelemetryCommand'>[] = [];
    const waiters: (() => void)[] = [];
    call.on('data', (cmd: Msg<'TelemetryCommand'>) => {
      received.push(cmd);
      for (const w of waiters.splice(0)) w();
    });
    const ended = new Promise<{ code: number; details: string }>((resolve) => {
      call.on('status', (s: { code: number; details: string }) => resolve({ code: s.code, details: s.details }));
    });
    call.on('error', () => undefined);
    return {
      call,
      received,
      ended,
      send: (cmd: MsgInit<'TelemetryCommand'>) => call.write(cmd),
      /** Resolves with the n-th command (1-based) once it has arrived, or fails after `timeoutMillis`. */
      nth: async (n: number, timeoutMillis = 5000): Promise<Msg<'TelemetryCommand'>> => {
        const deadline = Date.now() + timeoutMillis;
        while (received.length < n) {
          const left = deadline - Date.now();
          if (left <= 0) throw new Error(`telemetry: ${received.length} commands received, waited for ${n}`);
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, left);
            waiters.push(() => {
              clearTimeout(timer);
              resolve();
            });
          });
        }
        return received[n - 1] as Msg<'TelemetryCommand'>;
      },
    };
  }

  close(): void {
    this.client.close();
  }
}
