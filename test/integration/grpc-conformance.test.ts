/**
 * Raw gRPC conformance of the broker's MessagingService endpoint: a grpc-js client with our codec sends exactly what
 * an SDK would (or what it would not) to a real in-process name server + broker, and checks the answers the 5.x
 * SDKs depend on (docs/COMPATIBILITY.md, gRPC section).
 */
import assert from 'node:assert/strict';
import { connect } from 'node:http2';
import { after, before, describe, it } from 'node:test';
import { credentials, status as grpcStatus } from '@grpc/grpc-js';
import { parseAuthConfig } from '../../src/broker/auth/auth-config.js';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import { decode, encode } from '../../src/grpc/codec.js';
import { enums } from '../../src/grpc/schema.js';
import type { MsgInit } from '../../src/grpc/types.js';
import { defaultTopicConfig } from '../../src/protocol/bodies/topic-config.js';
import { Producer } from '../../src/client/index.js';
import { startGrpcTestBroker, testTls, type GrpcTestBroker } from '../helpers/grpc-broker.js';
import { RawMessagingClient } from '../helpers/grpc-client.js';
import { pollFor } from '../helpers/wait.js';

const Code = enums.Code;

function message(topic: string, overrides: MsgInit<'SystemProperties'> = {}, body = Buffer.from('hello')): MsgInit<'Message'> {
  return {
    topic: { name: topic },
    systemProperties: { messageId: `01${Math.random().toString(16).slice(2, 18).toUpperCase().padEnd(32, '0')}`, messageType: enums.MessageType.NORMAL, bornTimestamp: Date.now(), ...overrides },
    body,
  };
}

describe('gRPC endpoint conformance (raw client, in-process broker)', () => {
  let env: GrpcTestBroker;
  let namesrvAddr: string;
  let broker: BrokerController;
  let address: string;
  let port: number;
  const clients: RawMessagingClient[] = [];
  const client = (id: string | null): RawMessagingClient => {
    const c = new RawMessagingClient(address, id);
    clients.push(c);
    return c;
  };

  before(async () => {
    env = await startGrpcTestBroker({
      broker: { recallMessageEnable: true },
      grpc: { tls: await testTls(), longPollingTimeoutMillis: 3000 },
      topics: { TopicNORMAL: 'NORMAL', TopicFIFO: 'FIFO', TopicDELAY: 'DELAY', TopicTRANSACTION: 'TRANSACTION', TopicMIXED: 'MIXED', TopicUntyped: null },
      groups: { GroupFifo: { consumeMessageOrderly: true } },
    });
    ({ broker, namesrvAddr, port, endpoint: address } = env);
  });

  after(async () => {
    for (const c of clients) c.close();
    await env.stop();
  });

  it('answers a request without x-mq-client-id with CLIENT_ID_REQUIRED (40017) in the response status', async () => {
    const response = await client(null).unary('QueryRoute', { topic: { name: 'TopicNORMAL' } });
    assert.equal(response.status?.code, Code.CLIENT_ID_REQUIRED);
  });

  it('answers Heartbeat and NotifyClientTermination before Settings with UNRECOGNIZED_CLIENT_TYPE (40015)', async () => {
    const c = client('no-settings');
    assert.equal((await c.unary('Heartbeat', { clientType: enums.ClientType.PRODUCER })).status?.code, Code.UNRECOGNIZED_CLIENT_TYPE);
    assert.equal((await c.unary('NotifyClientTermination', {})).status?.code, Code.UNRECOGNIZED_CLIENT_TYPE);
  });

  it('answers a producer’s Settings with the merged Settings, then accepts its heartbeats (producer group = topic)', async () => {
    const c = client('producer-1');
    const t = c.telemetry();
    t.send({ settings: { clientType: enums.ClientType.PRODUCER, requestTimeout: 3000, publishing: { topics: [{ name: 'TopicNORMAL' }, { name: 'TopicFIFO' }] } } });
    const reply = await t.nth(1);
    assert.equal(reply.status?.code, Code.OK);
    const s = reply.settings;
    assert.equal(s?.clientType, enums.ClientType.PRODUCER);
    assert.equal(s?.requestTimeout, 3000);
    assert.deepEqual(s?.backoffPolicy, { maxAttempts: 3, exponentialBackoff: { initial: 10, max: 1000, multiplier: 2 }, customizedBackoff: undefined });
    assert.equal(s?.publishing?.maxBodySize, 4 * 1024 * 1024);
    assert.equal(s?.publishing?.validateMessageType, true);
    assert.deepEqual(s?.publishing?.topics.map((r) => r.name), ['TopicNORMAL', 'TopicFIFO']);
    assert.equal(s?.metric?.on, false);
    assert.equal((await c.unary('Heartbeat', { clientType: enums.ClientType.PRODUCER })).status?.code, Code.OK);
    const members = broker.producerManager.getGroupChannelTable('TopicFIFO');
    assert.deepEqual([...(members?.values() ?? [])].map((i) => i.clientId), ['producer-1']);
    assert.equal((await c.unary('NotifyClientTermination', {})).status?.code, Code.OK);
    assert.equal(broker.producerManager.getGroupChannelTable('TopicFIFO')?.size ?? 0, 0);
    t.call.end();
  });

  it('answers a push consumer’s Settings with its group’s FIFO flag and retry policy, and lists it as a consumer connection', async () => {
    const c = client('consumer-1');
    const t = c.telemetry();
    t.send({
      settings: {
        clientType: enums.ClientType.PUSH_CONSUMER,
        subscription: { group: { name: 'GroupFifo' }, subscriptions: [{ topic: { name: 'TopicFIFO' }, expression: { type: enums.FilterType.TAG, expression: 'TagA' } }] },
      },
    });
    const s = (await t.nth(1)).settings;
    assert.equal(s?.subscription?.fifo, true);
    assert.equal(s?.subscription?.receiveBatchSize, 32);
    assert.equal(s?.subscription?.longPollingTimeout, 3000);
    assert.equal(s?.backoffPolicy?.maxAttempts, 17);
    assert.equal(s?.backoffPolicy?.customizedBackoff?.next.length, 18);
    assert.equal(s?.backoffPolicy?.customizedBackoff?.next[0], 1000);
    const group = broker.consumerManager.getConsumerGroupInfo('GroupFifo');
    assert.deepEqual(group?.getAllClientId(), ['consumer-1']);
    assert.equal(group?.subscriptionTable.get('TopicFIFO')?.subString, 'TagA');
    t.call.end();
  });

  it('refuses Settings with an illegal topic by ending Telemetry with INVALID_ARGUMENT', async () => {
    const t = client('bad-topic').telemetry();
    t.send({ settings: { clientType: enums.ClientType.PRODUCER, publishing: { topics: [{ name: 'bad topic!' }] } } });
    const ended = await t.ended;
    assert.equal(ended.code, grpcStatus.INVALID_ARGUMENT);
    assert.match(ended.details, /^40002 /);
  });

  it('re-sends the Settings shortly after a QueryRoute from a client with an open Telemetry stream (Node SDK race)', async () => {
    const c = client('race');
    const t = c.telemetry();
    t.send({ settings: { clientType: enums.ClientType.PRODUCER, publishing: { topics: [{ name: 'TopicNORMAL' }] } } });
    await t.nth(1);
    await c.unary('QueryRoute', { topic: { name: 'TopicNORMAL' } });
    const again = await t.nth(2, 2000);
    assert.equal(again.status?.code, Code.OK);
    assert.equal(again.settings?.publishing?.maxBodySize, 4 * 1024 * 1024);
    t.call.end();
  });

  it('answers QueryRoute: TOPIC_NOT_FOUND for an unknown topic, the accepted types of a typed one, the dialled endpoint', async () => {
    const c = client('router');
    const unknown = await c.unary('QueryRoute', { topic: { name: 'NoSuchTopic' } });
    assert.equal(unknown.status?.code, Code.TOPIC_NOT_FOUND);
    assert.match(unknown.status?.message ?? '', /rocketmq-ts topic create -t NoSuchTopic/);
    const endpoints = { scheme: enums.AddressScheme.DOMAIN_NAME, addresses: [{ host: 'mq.example', port: 18081 }] };
    const expected: [string, number[]][] = [
      ['TopicNORMAL', [1]],
      ['TopicFIFO', [2]],
      ['TopicDELAY', [3]],
      ['TopicTRANSACTION', [4]],
      ['TopicMIXED', [1, 2, 3, 4]],
      ['TopicUntyped', [1]],
    ];
    for (const [topic, types] of expected) {
      const route = await c.unary('QueryRoute', { topic: { name: topic }, endpoints });
      assert.equal(route.status?.code, Code.OK, topic);
      assert.equal(route.messageQueues.length, 4);
      for (const q of route.messageQueues) {
        assert.deepEqual(q.acceptMessageTypes, types, topic);
        assert.equal(q.permission, enums.Permission.READ_WRITE);
        assert.equal(q.broker?.name, 'broker-a');
        assert.equal(q.broker?.id, 0);
        assert.deepEqual(q.broker?.endpoints?.addresses, [{ host: 'mq.example', port: 18081 }]);
      }
    }
    const illegal = await c.unary('QueryRoute', { topic: { name: 'a b' } });
    assert.equal(illegal.status?.code, Code.ILLEGAL_TOPIC);
  });

  it('maps a namespace to the wire name ns%topic, as the proxy does: routes, sends and producer groups', async () => {
    await broker.topicConfigManager.updateTopicConfig({ ...defaultTopicConfig('ns1%TopicNS'), readQueueNums: 2, writeQueueNums: 2, attributes: new Map([['message.type', 'FIFO']]) });
    const c = client('namespaced');
    const topic = { resourceNamespace: 'ns1', name: 'TopicNS' };
    const route = await c.unary('QueryRoute', { topic });
    assert.equal(route.status?.code, Code.OK, route.status?.message);
    assert.deepEqual(route.messageQueues[0]?.topic, topic);
    assert.deepEqual(route.messageQueues[0]?.acceptMessageTypes, [enums.MessageType.FIFO]);
    assert.equal((await c.unary('QueryRoute', { topic: { resourceNamespace: 'ns2', name: 'TopicNS' } })).status?.code, Code.TOPIC_NOT_FOUND);
    const sent = await c.unary('SendMessage', { messages: [{ ...message('TopicNS', { messageGroup: 'g' }), topic }] });
    assert.equal(sent.status?.code, Code.OK, sent.status?.message);
    const stored = [0, 1].reduce((sum, q) => sum + broker.messageStore.getMaxOffsetInQueue('ns1%TopicNS', q), 0);
    assert.equal(stored, 1);
    const t = c.telemetry();
    t.send({ settings: { clientType: enums.ClientType.PRODUCER, publishing: { topics: [topic] } } });
    await t.nth(1);
    assert.deepEqual([...(broker.producerManager.getGroupChannelTable('ns1%TopicNS')?.values() ?? [])].map((i) => i.clientId), ['namespaced']);
    t.call.end();
  });

  it('answers QueryAssignment: one queue per readable queue for a FIFO group, queue -1 otherwise', async () => {
    const c = client('assign');
    const fifo = await c.unary('QueryAssignment', { topic: { name: 'TopicFIFO' }, group: { name: 'GroupFifo' }, endpoints: { addresses: [{ host: '127.0.0.1', port }] } });
    assert.deepEqual(fifo.assignments.map((a) => a.messageQueue?.id), [0, 1, 2, 3]);
    const normal = await c.unary('QueryAssignment', { topic: { name: 'TopicNORMAL' }, group: { name: 'GroupNormal' } });
    assert.deepEqual(normal.assignments.map((a) => a.messageQueue?.id), [-1]);
  });

  it('refuses what the proxy refuses on SendMessage, with its codes', async () => {
    const c = client('validator');
    const cases: [string, MsgInit<'SendMessageRequest'>, number][] = [
      ['no message', { messages: [] }, Code.MESSAGE_CORRUPTED],
      ['two topics', { messages: [message('TopicNORMAL'), message('TopicMIXED')] }, Code.MESSAGE_CORRUPTED],
      ['wrong type for the topic', { messages: [message('TopicFIFO')] }, Code.MESSAGE_PROPERTY_CONFLICT_WITH_TYPE],
      ['empty body', { messages: [message('TopicNORMAL', {}, Buffer.alloc(0))] }, Code.MESSAGE_BODY_EMPTY],
      ['body too large', { messages: [message('TopicNORMAL', {}, Buffer.alloc(4 * 1024 * 1024 + 1))] }, Code.MESSAGE_BODY_TOO_LARGE],
      ['no message id', { messages: [message('TopicNORMAL', { messageId: ' ' })] }, Code.ILLEGAL_MESSAGE_ID],
      ['tag with |', { messages: [message('TopicNORMAL', { tag: 'a|b' })] }, Code.ILLEGAL_MESSAGE_TAG],
      ['blank key', { messages: [message('TopicNORMAL', { keys: ['  '] })] }, Code.ILLEGAL_MESSAGE_KEY],
      ['system property', { messages: [{ ...message('TopicNORMAL'), userProperties: new Map([['UNIQ_KEY', 'x']]) }] }, Code.ILLEGAL_MESSAGE_PROPERTY_KEY],
      ['delivery beyond 24 h', { messages: [message('TopicDELAY', { deliveryTimestamp: Date.now() + 25 * 3600_000 })] }, Code.ILLEGAL_DELIVERY_TIME],
      ['message group of 64 bytes', { messages: [message('TopicFIFO', { messageGroup: 'g'.repeat(64) })] }, Code.ILLEGAL_MESSAGE_GROUP],
      ['unknown topic', { messages: [message('NoSuchTopic')] }, Code.TOPIC_NOT_FOUND],
      ['illegal topic', { messages: [message('bad topic')] }, Code.ILLEGAL_TOPIC],
    ];
    for (const [what, request, code] of cases) {
      const response = await c.unary('SendMessage', request);
      assert.equal(response.status?.code, code, `${what}: ${response.status?.message ?? ''}`);
    }
    const wrongType = await c.unary('SendMessage', { messages: [message('TopicFIFO')] });
    assert.match(wrongType.status?.message ?? '', /expected type is FIFO, but actual type is NORMAL.*message group/);
  });

  it('stores a NORMAL send and answers its id, offset and OK; a batch gets one entry per message', async () => {
    const c = client('sender');
    const m = message('TopicNORMAL', { tag: 'TagA', keys: ['k1', 'k2'] });
    const response = await c.unary('SendMessage', { messages: [m] });
    assert.equal(response.status?.code, Code.OK);
    const entry = response.entries[0];
    assert.equal(entry?.messageId, m.systemProperties?.messageId);
    assert.equal(entry?.transactionId, m.systemProperties?.messageId);
    assert.ok((entry?.offset ?? -1) >= 0);
    const batch = await c.unary('SendMessage', { messages: [message('TopicNORMAL'), message('TopicNORMAL'), message('TopicNORMAL')] });
    assert.equal(batch.status?.code, Code.OK, batch.status?.message);
    assert.equal(batch.entries.length, 3);
    assert.deepEqual(
      batch.entries.map((e) => e.offset - (batch.entries[0]?.offset ?? 0)),
      [0, 1, 2],
    );
  });

  it('answers a delay send with a recall handle that RecallMessage takes', async () => {
    const c = client('delayer');
    const m = message('TopicDELAY', { messageType: enums.MessageType.DELAY, deliveryTimestamp: Date.now() + 60_000 });
    const sent = await c.unary('SendMessage', { messages: [m] });
    assert.equal(sent.status?.code, Code.OK, sent.status?.message);
    const handle = sent.entries[0]?.recallHandle ?? '';
    assert.notEqual(handle, '');
    const recalled = await c.unary('RecallMessage', { topic: { name: 'TopicDELAY' }, recallHandle: handle });
    assert.equal(recalled.status?.code, Code.OK, recalled.status?.message);
    assert.equal(recalled.messageId, m.systemProperties?.messageId);
    const garbage = await c.unary('RecallMessage', { topic: { name: 'TopicDELAY' }, recallHandle: 'not a handle' });
    assert.equal(garbage.status?.code, Code.INTERNAL_SERVER_ERROR);
    assert.equal(garbage.status?.message, 'recall handle is invalid');
  });

  it('answers EndTransaction without or with an unknown transaction id with INVALID_TRANSACTION_ID (40008)', async () => {
    const c = client('tx');
    const empty = await c.unary('EndTransaction', { topic: { name: 'TopicTRANSACTION' }, messageId: 'x', transactionId: '', resolution: enums.TransactionResolution.COMMIT });
    assert.equal(empty.status?.code, Code.INVALID_TRANSACTION_ID);
    const unknown = await c.unary('EndTransaction', { topic: { name: 'TopicTRANSACTION' }, messageId: 'x', transactionId: 'nope', resolution: enums.TransactionResolution.COMMIT });
    assert.equal(unknown.status?.code, Code.INVALID_TRANSACTION_ID);
  });

  it('answers PullMessage and the offset RPCs with gRPC UNIMPLEMENTED, as the Java proxy', async () => {
    const c = client('consumer-x');
    for (const method of ['UpdateOffset', 'GetOffset', 'QueryOffset', 'SyncLiteSubscription'] as const) {
      await assert.rejects(c.unary(method, {}), (err: { code: number }) => err.code === (grpcStatus.UNIMPLEMENTED as number), method);
    }
    const pull = c.client.makeServerStreamRequest('/apache.rocketmq.v2.MessagingService/PullMessage', (v: Buffer) => v, (v: Buffer) => v, Buffer.alloc(0), c.metadata());
    pull.on('data', () => undefined);
    pull.on('error', () => undefined);
    const pullStatus = await new Promise<number>((resolve) => pull.on('status', (s: { code: number }) => resolve(s.code)));
    assert.equal(pullStatus, grpcStatus.UNIMPLEMENTED);
  });

  it('answers garbage protobuf with INVALID_ARGUMENT and keeps serving gRPC and remoting', async () => {
    const c = client('garbage');
    await assert.rejects(c.rawUnary('SendMessage', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])), (err: { code: number; details: string }) => {
      assert.equal(err.code, grpcStatus.INVALID_ARGUMENT);
      assert.match(err.details, /malformed request: malformed SendMessageRequest/);
      return true;
    });
    assert.equal((await c.unary('QueryRoute', { topic: { name: 'TopicNORMAL' } })).status?.code, Code.OK);
    const producer = new Producer({ group: 'PG_after_garbage', nameServer: namesrvAddr, clientIP: '127.0.0.1' });
    await producer.start();
    try {
      const result = await producer.send({ topic: 'TopicNORMAL', body: 'remoting still works' });
      assert.equal(result.status, 'SEND_OK');
    } finally {
      await producer.shutdown();
    }
  });

  it('ignores unknown fields of every wire type in a request, as protobuf requires', async () => {
    const request = encode('QueryRouteRequest', { topic: { name: 'TopicNORMAL' } });
    // Field 99 varint 1, field 100 length-delimited "abc", field 101 fixed32, field 102 fixed64: none in the schema.
    const unknown = Buffer.from([0x98, 0x06, 0x01, 0xa2, 0x06, 0x03, 0x61, 0x62, 0x63, 0xad, 0x06, 1, 2, 3, 4, 0xb1, 0x06, 1, 2, 3, 4, 5, 6, 7, 8]);
    const response = decode('QueryRouteResponse', await client('unknown-fields').rawUnary('QueryRoute', Buffer.concat([request, unknown])));
    assert.equal(response.status?.code, Code.OK);
    assert.equal(response.messageQueues.length, 4);
  });

  it('answers a gRPC message above the transport limit with RESOURCE_EXHAUSTED, stores nothing, and keeps serving', async () => {
    // The transport takes 4 × maxMessageSize + 1 MiB (a full batch); a body-size refusal below that is MESSAGE_BODY_TOO_LARGE (above).
    const limit = 4 * 4 * 1024 * 1024 + (1 << 20);
    const stored = (): number => [0, 1, 2, 3].reduce((sum, q) => sum + broker.messageStore.getMaxOffsetInQueue('TopicNORMAL', q), 0);
    const before = stored();
    const oversize = encode('SendMessageRequest', { messages: [message('TopicNORMAL', {}, Buffer.alloc(limit + 1, 0x61))] });
    await assert.rejects(client('oversize').rawUnary('SendMessage', oversize), (err: { code: number; details: string }) => {
      assert.equal(err.code, grpcStatus.RESOURCE_EXHAUSTED);
      assert.match(err.details, /larger than max/);
      return true;
    });
    assert.equal(stored(), before);
    assert.equal((await client('after-oversize').unary('QueryRoute', { topic: { name: 'TopicNORMAL' } })).status?.code, Code.OK);
  });

  it('serves TLS (ClientHello) and plaintext on the same port', async () => {
    const tls = new RawMessagingClient(`localhost:${port}`, 'tls-client', credentials.createSsl((await testTls()).cert));
    clients.push(tls);
    assert.equal((await tls.unary('QueryRoute', { topic: { name: 'TopicNORMAL' } })).status?.code, Code.OK);
    assert.equal((await client('plain').unary('QueryRoute', { topic: { name: 'TopicNORMAL' } })).status?.code, Code.OK);
  });
});

describe('gRPC endpoint of a broker that enforces ACL', () => {
  it('refuses every RPC with UNAUTHORIZED (ACL is not checked over gRPC yet, so nothing gets in unchecked)', async () => {
    const env = await startGrpcTestBroker({
      prefix: 'rmq-grpc-acl-',
      auth: parseAuthConfig(
        new Map([
          ['authenticationEnabled', 'true'],
          ['authenticationMetadataProvider', 'org.apache.rocketmq.auth.authentication.provider.LocalAuthenticationMetadataProvider'],
          ['initAuthenticationUser', JSON.stringify({ username: 'root', password: 'secret123' })],
          ['innerClientAuthenticationCredentials', JSON.stringify({ accessKey: 'root', secretKey: 'secret123' })],
        ]),
      ),
      grpc: { autoCreateTopics: true },
    });
    const { broker } = env;
    const c = new RawMessagingClient(env.endpoint, 'acl-client');
    try {
      const route = await c.unary('QueryRoute', { topic: { name: 'AnyTopic' } });
      assert.equal(route.status?.code, Code.UNAUTHORIZED);
      assert.match(route.status?.message ?? '', /enforces ACL/);
      assert.equal((await c.unary('SendMessage', { messages: [message('AnyTopic')] })).status?.code, Code.UNAUTHORIZED);
      assert.equal(broker.topicConfigManager.containsTopic('AnyTopic'), false, 'a refused request has no side effect');
      const t = c.telemetry();
      t.send({ settings: { clientType: enums.ClientType.PRODUCER } });
      assert.equal((await t.ended).code, grpcStatus.INVALID_ARGUMENT);
    } finally {
      c.close();
      await env.stop();
    }
  });
});

describe('a Telemetry stream cut mid-way (raw HTTP/2, in-process broker)', () => {
  let env: GrpcTestBroker;

  before(async () => {
    // Clients silent for 1 s expire at the next scan (every 10 s), as Java's channelExpiredTimeout does after 120 s.
    env = await startGrpcTestBroker({ prefix: 'rmq-grpc-cut-', broker: { channelExpiredTimeout: 1000 }, topics: { TopicCut: 'NORMAL' } });
  });
  after(() => env.stop());

  it('a client whose connection dies inside a Telemetry frame is dropped from the registry; gRPC and remoting keep serving', { timeout: 30_000 }, async () => {
    const session = connect(`http://${env.endpoint}`);
    const stream = session.request({
      ':method': 'POST',
      ':path': '/apache.rocketmq.v2.MessagingService/Telemetry',
      'content-type': 'application/grpc',
      te: 'trailers',
      'x-mq-client-id': 'cut-client',
      'x-mq-protocol': 'v2',
    });
    const settings = encode('TelemetryCommand', {
      settings: { clientType: enums.ClientType.SIMPLE_CONSUMER, subscription: { group: { name: 'GroupCut' }, subscriptions: [{ topic: { name: 'TopicCut' }, expression: { type: enums.FilterType.TAG, expression: '*' } }] } },
    });
    const frame = (payload: Buffer, declared = payload.length): Buffer => Buffer.concat([Buffer.from([0, declared >>> 24, (declared >>> 16) & 0xff, (declared >>> 8) & 0xff, declared & 0xff]), payload]);
    const answered = new Promise<void>((resolve) => stream.once('data', () => resolve()));
    stream.write(frame(settings));
    await answered;
    assert.deepEqual(env.broker.consumerManager.getConsumerGroupInfo('GroupCut')?.getAllClientId(), ['cut-client']);
    // Half a command: the frame declares 100 bytes, 10 arrive, then the connection is gone.
    await new Promise<void>((resolve) => stream.write(frame(Buffer.alloc(10), 100), () => resolve()));
    session.destroy();

    await pollFor(
      () => Promise.resolve(env.broker.consumerManager.getConsumerGroupInfo('GroupCut')?.getAllClientId() ?? []),
      (ids) => ids.length === 0,
      { timeoutMillis: 20_000, intervalMillis: 100, what: 'the cut client leaving the consumer table' },
    );
    const probe = new RawMessagingClient(env.endpoint, 'after-cut');
    try {
      assert.equal((await probe.unary('QueryRoute', { topic: { name: 'TopicCut' } })).status?.code, Code.OK);
    } finally {
      probe.close();
    }
    const producer = new Producer({ group: 'PG_after_cut', nameServer: env.namesrvAddr, clientIP: '127.0.0.1' });
    await producer.start();
    try {
      assert.equal((await producer.send({ topic: 'TopicCut', body: 'remoting unaffected' })).status, 'SEND_OK');
    } finally {
      await producer.shutdown();
    }
  });
});
