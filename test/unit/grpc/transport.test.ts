import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect as http2Connect } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { credentials, status as grpcStatus } from '@grpc/grpc-js';
import { silentLogger } from '../../../src/common/logger.js';
import { decode, encode } from '../../../src/grpc/codec.js';
import { GrpcServer, grpcTimeoutMillis } from '../../../src/grpc/transport/grpc-server.js';
import type { CallContext, MessagingServiceHandlers } from '../../../src/grpc/transport/handler.js';
import { RawMessagingClient } from '../../helpers/grpc-client.js';

const fixtures = fileURLToPath(new URL('../../../../test/fixtures/tls/', import.meta.url));
const key = readFileSync(`${fixtures}server.key`);
const cert = readFileSync(`${fixtures}server.crt`);

// Plain numbers: the call errors carry numeric codes, not grpc-js's enum.
const status = { OK: grpcStatus.OK as number, INVALID_ARGUMENT: grpcStatus.INVALID_ARGUMENT as number, INTERNAL: grpcStatus.INTERNAL as number, UNIMPLEMENTED: grpcStatus.UNIMPLEMENTED as number, UNAVAILABLE: grpcStatus.UNAVAILABLE as number, RESOURCE_EXHAUSTED: grpcStatus.RESOURCE_EXHAUSTED as number };
const contexts: CallContext[] = [];
const closedTelemetry: string[] = [];
const handlers: MessagingServiceHandlers = {
  QueryRoute: (request, context) => {
    contexts.push(context);
    return Promise.resolve({ status: { code: 20000, message: request.topic?.name ?? '' }, messageQueues: [{ id: 7 }] });
  },
  SendMessage: (request) => Promise.resolve({ status: { code: 20000, message: String(request.messages[0]?.body.length ?? -1) } }),
  Heartbeat: () => Promise.reject(new Error('boom')),
  ReceiveMessage: (_request, _context, stream) => {
    stream.write({ status: { code: 20000, message: 'OK' } });
    stream.write({ deliveryTimestamp: 1000 });
    return Promise.resolve();
  },
  Telemetry: (call) => {
    call.onMessage((cmd) => {
      if (cmd.threadStackTrace !== undefined) throw new Error('handler bug');
      if (cmd.settings !== undefined) call.write({ status: { code: 20000, message: 'OK' }, settings: cmd.settings });
      else call.fail('INVALID_ARGUMENT', '40000 settings expected');
    });
    call.onClose(() => closedTelemetry.push(call.context.clientId ?? '?'));
  },
};

describe('gRPC transport', () => {
  let server: GrpcServer;
  let address: string;

  before(async () => {
    server = new GrpcServer(handlers, { port: 0, host: '127.0.0.1', tls: { key, cert }, maxReceiveMessageLength: 8 << 20, logger: silentLogger });
    await server.start();
    address = `127.0.0.1:${server.port}`;
  });
  after(() => server.shutdown());

  it('serves unary calls with our codec, and gives handlers the client id, peer, metadata and deadline', async () => {
    const client = new RawMessagingClient(address, 'cid-1');
    try {
      const before = Date.now();
      const response = await client.unary('QueryRoute', { topic: { name: 'T1' } }, { 'x-mq-namespace': 'ns' });
      assert.equal(response.status?.message, 'T1');
      assert.equal(response.messageQueues[0]?.id, 7);
      const ctx = contexts.at(-1) as CallContext;
      assert.equal(ctx.clientId, 'cid-1');
      assert.equal(ctx.metadata.get('x-mq-namespace'), 'ns');
      assert.match(ctx.peer, /^127\.0\.0\.1:\d+$/);
      assert.ok(ctx.deadline > before && ctx.deadline <= Date.now() + 10_000, `deadline ${ctx.deadline}`);
    } finally {
      client.close();
    }
  });

  it('answers UNIMPLEMENTED for methods without a handler and for unknown paths', async () => {
    const client = new RawMessagingClient(address);
    try {
      await assert.rejects(client.unary('UpdateOffset', {}), (err: { code: number }) => err.code === status.UNIMPLEMENTED);
      await assert.rejects(
        new Promise((resolve, reject) =>
          client.client.makeUnaryRequest('/apache.rocketmq.v2.MessagingService/NoSuchRpc', (v: Buffer) => v, (v: Buffer) => v, Buffer.alloc(0), (e, v) => (e ? reject(e) : resolve(v))),
        ),
        (err: { code: number }) => err.code === status.UNIMPLEMENTED,
      );
    } finally {
      client.close();
    }
  });

  it('answers garbage protobuf with a clear INVALID_ARGUMENT error and keeps serving', async () => {
    const client = new RawMessagingClient(address);
    try {
      await assert.rejects(client.rawUnary('QueryRoute', Buffer.from([0x0a, 0x7f, 0x01])), (err: { code: number; details: string }) => {
        assert.equal(err.code, status.INVALID_ARGUMENT);
        assert.match(err.details, /^malformed request: malformed QueryRouteRequest: length 127 past the end/);
        return true;
      });
      assert.equal((await client.unary('QueryRoute', { topic: { name: 'after' } })).status?.message, 'after');
    } finally {
      client.close();
    }
  });

  it('turns a handler failure into gRPC INTERNAL with its message', async () => {
    const client = new RawMessagingClient(address);
    try {
      await assert.rejects(client.unary('Heartbeat', {}), (err: { code: number; details: string }) => err.code === status.INTERNAL && err.details === 'boom');
    } finally {
      client.close();
    }
  });

  it('streams server responses and ends the stream when the handler is done', async () => {
    const client = new RawMessagingClient(address);
    try {
      const call = client.client.makeServerStreamRequest(
        '/apache.rocketmq.v2.MessagingService/ReceiveMessage',
        (v: object) => encode('ReceiveMessageRequest', v),
        (b: Buffer) => decode('ReceiveMessageResponse', b),
        {},
        client.metadata(),
      );
      const got: unknown[] = [];
      call.on('data', (m: unknown) => got.push(m));
      await new Promise<void>((resolve, reject) => {
        call.on('status', (s: { code: number }) => (s.code === status.OK ? resolve() : reject(new Error(`status ${s.code}`))));
      });
      assert.equal(got.length, 2);
      assert.deepEqual((got[1] as { deliveryTimestamp: number }).deliveryTimestamp, 1000);
    } finally {
      client.close();
    }
  });

  it('accepts messages above grpc-js’s 4 MiB default, up to the configured limit', async () => {
    const client = new RawMessagingClient(address, 'big', credentials.createInsecure(), { 'grpc.max_send_message_length': -1 });
    try {
      const body = Buffer.alloc(5 << 20, 1);
      const response = await client.unary('SendMessage', { messages: [{ topic: { name: 'T' }, body }] });
      assert.equal(response.status?.message, String(5 << 20));
      await assert.rejects(
        client.unary('SendMessage', { messages: [{ topic: { name: 'T' }, body: Buffer.alloc(9 << 20) }] }),
        (err: { code: number }) => err.code === status.RESOURCE_EXHAUSTED,
      );
    } finally {
      client.close();
    }
  });

  it('keeps a Telemetry stream with grpc-timeout 525600H (Java’s 60-year deadline) open', async () => {
    assert.equal(grpcTimeoutMillis('525600H'), 525600 * 3_600_000);
    // A raw HTTP/2 client: grpc-js clients cannot send such a deadline themselves.
    const session = http2Connect(`http://${address}`);
    try {
      const stream = session.request({
        ':method': 'POST',
        ':path': '/apache.rocketmq.v2.MessagingService/Telemetry',
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-timeout': '525600H',
        'x-mq-client-id': 'java-like',
      });
      const trailers: Record<string, unknown>[] = [];
      stream.on('trailers', (t: Record<string, unknown>) => trailers.push(t));
      const frame = (m: Buffer): Buffer => Buffer.concat([Buffer.from([0, ...u32(m.length)]), m]);
      stream.write(frame(encode('TelemetryCommand', { settings: { clientType: 1 } })));
      const first = await new Promise<Buffer>((resolve) => stream.once('data', resolve));
      const reply = decode('TelemetryCommand', first.subarray(5));
      assert.equal(reply.status?.code, 20000);
      // Still open well after the moment an overflowed deadline fires (at once).
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(trailers, []);
      assert.equal(stream.closed, false);
      stream.close();
    } finally {
      session.close();
    }
  });

  it('serves TLS and plaintext on the same port', async () => {
    const tlsClient = new RawMessagingClient(address.replace('127.0.0.1', 'localhost'), 'tls', credentials.createSsl(cert));
    const plainClient = new RawMessagingClient(address, 'plain');
    try {
      assert.equal((await tlsClient.unary('QueryRoute', { topic: { name: 'over-tls' } })).status?.message, 'over-tls');
      assert.equal((await plainClient.unary('QueryRoute', { topic: { name: 'plain' } })).status?.message, 'plain');
    } finally {
      tlsClient.close();
      plainClient.close();
    }
  });

  const failedCertificate = (): Promise<{ key: Buffer; cert: Buffer }> => {
    const failed = Promise.reject(new Error('openssl: not found'));
    failed.catch(() => undefined);
    return failed;
  };
  for (const [when, tls] of [
    ['no certificate is configured', () => undefined],
    ['the pending certificate fails', failedCertificate],
  ] as const) {
    it(`closes TLS connections when ${when}, and still serves plaintext`, async () => {
      const certificate = tls();
      const server = new GrpcServer(handlers, { port: 0, host: '127.0.0.1', ...(certificate === undefined ? {} : { tls: certificate }), maxReceiveMessageLength: 4 << 20, logger: silentLogger });
      await server.start();
      const tlsClient = new RawMessagingClient(`localhost:${server.port}`, 'tls', credentials.createSsl(cert));
      const plainClient = new RawMessagingClient(`127.0.0.1:${server.port}`);
      try {
        await assert.rejects(tlsClient.unary('QueryRoute', {}), (err: { code: number }) => err.code === status.UNAVAILABLE);
        assert.equal((await plainClient.unary('QueryRoute', { topic: { name: 'p' } })).status?.message, 'p');
      } finally {
        tlsClient.close();
        plainClient.close();
        await server.shutdown();
      }
    });
  }

  it('serves plaintext while its certificate is still being made; a TLS handshake waits for it', async () => {
    let resolveCertificate: (pair: { key: Buffer; cert: Buffer }) => void = () => undefined;
    const certificate = new Promise<{ key: Buffer; cert: Buffer }>((resolve) => (resolveCertificate = resolve));
    const pending = new GrpcServer(handlers, { port: 0, host: '127.0.0.1', tls: certificate, maxReceiveMessageLength: 4 << 20, logger: silentLogger });
    await pending.start();
    const tlsClient = new RawMessagingClient(`localhost:${pending.port}`, 'tls', credentials.createSsl(cert));
    const plainClient = new RawMessagingClient(`127.0.0.1:${pending.port}`);
    try {
      let tlsAnswered = false;
      const overTls = tlsClient.unary('QueryRoute', { topic: { name: 'late-tls' } }).finally(() => (tlsAnswered = true));
      assert.equal((await plainClient.unary('QueryRoute', { topic: { name: 'early' } })).status?.message, 'early');
      assert.equal(tlsAnswered, false, 'the TLS call was answered before the certificate existed');
      resolveCertificate({ key, cert });
      assert.equal((await overTls).status?.message, 'late-tls');
    } finally {
      tlsClient.close();
      plainClient.close();
      await pending.shutdown();
    }
  });

  it('answers client keep-alive pings, with and without calls, without dropping the connection', async () => {
    const client = new RawMessagingClient(address, 'ka', credentials.createInsecure(), {
      'grpc.keepalive_time_ms': 100,
      'grpc.keepalive_timeout_ms': 1000,
      'grpc.keepalive_permit_without_calls': 1,
    });
    try {
      await client.unary('QueryRoute', {});
      const firstPeer = (contexts.at(-1) as CallContext).peer;
      // Ten ping periods idle: an unanswered ping would drop the connection after its 1 s timeout.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await client.unary('QueryRoute', {});
      assert.equal((contexts.at(-1) as CallContext).peer, firstPeer, 'the same connection serves the second call');
    } finally {
      client.close();
    }
  });

  it('shuts down cleanly: open Telemetry streams complete with OK and the port closes', async () => {
    const own = new GrpcServer(handlers, { port: 0, host: '127.0.0.1', maxReceiveMessageLength: 4 << 20, logger: silentLogger });
    await own.start();
    const port = own.port;
    const client = new RawMessagingClient(`127.0.0.1:${port}`, 'shutdown-me');
    const t = client.telemetry();
    t.send({ settings: { clientType: 1 } });
    await t.nth(1);
    await own.shutdown();
    assert.equal((await t.ended).code, status.OK);
    assert.ok(closedTelemetry.includes('shutdown-me'));
    client.close();
    await assert.rejects(
      new Promise((resolve, reject) => {
        const socket = netConnect(port, '127.0.0.1', () => resolve(socket));
        socket.on('error', reject);
      }),
      /ECONNREFUSED/,
    );
  });

  it('fails a Telemetry stream with the status its handler chose', async () => {
    const client = new RawMessagingClient(address, 'bad-telemetry');
    try {
      const t = client.telemetry();
      t.send({ verifyMessageResult: { nonce: 'x' } });
      const ended = await t.ended;
      assert.equal(ended.code, status.INVALID_ARGUMENT);
      assert.equal(ended.details, '40000 settings expected');
    } finally {
      client.close();
    }
  });

  it('ends a stream whose handler throws with INTERNAL, and keeps serving', async () => {
    const client = new RawMessagingClient(address, 'buggy-telemetry');
    try {
      const t = client.telemetry();
      t.send({ threadStackTrace: { nonce: 'n' } });
      const ended = await t.ended;
      assert.equal(ended.code, status.INTERNAL);
      assert.equal(ended.details, 'handler bug');
      assert.equal((await client.unary('QueryRoute', { topic: { name: 'still' } })).status?.message, 'still');
    } finally {
      client.close();
    }
  });
});

function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}
