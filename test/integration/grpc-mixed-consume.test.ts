/**
 * Remoting and gRPC on one topic: our remoting Producer's messages consumed by the Node SDK 1.0.8 SimpleConsumer;
 * a remoting PushConsumer group and a gRPC group each get everything; the gRPC group shows in consumer connection
 * and consumer progress (lag 0 once consumed) as a remoting group does, and a gRPC consumer's runtime info (with its
 * stack, asked over Telemetry) answers as a remoting consumer's does.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { Admin } from '../../src/client/admin/admin.js';
import { Producer, PushConsumer } from '../../src/client/index.js';
import { startGrpcTestBroker, type GrpcTestBroker } from '../helpers/grpc-broker.js';
import { waitFor } from '../helpers/wait.js';
import { exitAfterNodeSdkTests, quietSdkLogger } from '../helpers/grpc-sdk.js';

const require = createRequire(import.meta.url);
const sdk = require('rocketmq-client-nodejs') as typeof import('rocketmq-client-nodejs');

exitAfterNodeSdkTests(after);
describe('remoting and gRPC consumers on one topic', () => {
  let env: GrpcTestBroker;
  let namesrvAddr: string;
  const stops: (() => Promise<unknown>)[] = [];

  before(async () => {
    env = await startGrpcTestBroker({
      prefix: 'rmq-grpc-mixed-',
      grpc: { longPollingTimeoutMillis: 2000, consumer: { minLongPollingTimeoutMillis: 1000 } },
      topics: { TopicMixed: null, TopicSeen: 'NORMAL' },
    });
    ({ namesrvAddr } = env);
  });

  after(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await env.stop();
  });

  it('a remoting producer’s messages reach a gRPC SimpleConsumer group and a remoting PushConsumer group, each all of them', async () => {
    const remotingGot = new Set<string>();
    const pushConsumer = new PushConsumer({ nameServer: namesrvAddr, group: 'GroupRemoting', clientIP: '127.0.0.1', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    pushConsumer.subscribe('TopicMixed', '*', (msg) => void remotingGot.add(msg.body.toString()));
    await pushConsumer.start();
    stops.push(() => pushConsumer.shutdown());
    const simple = new sdk.SimpleConsumer({ endpoints: env.endpoint, namespace: '', logger: quietSdkLogger, consumerGroup: 'GroupGrpc', subscriptions: new Map([['TopicMixed', '*']]), awaitDuration: 2000 });
    await simple.startup();
    stops.push(() => simple.shutdown());

    const producer = new Producer({ group: 'PG_mixed', nameServer: namesrvAddr, clientIP: '127.0.0.1' });
    await producer.start();
    stops.push(() => producer.shutdown());
    const bodies = Array.from({ length: 5 }, (_, i) => `mixed-${i}`);
    for (const body of bodies) assert.equal((await producer.send({ topic: 'TopicMixed', tags: 'TagM', body })).status, 'SEND_OK');

    const grpcGot = new Set<string>();
    for (let i = 0; i < 10 && grpcGot.size < bodies.length; i++) {
      for (const m of await simple.receive(32, 15_000)) {
        assert.equal(m.tag, 'TagM');
        grpcGot.add(m.body.toString());
        await simple.ack(m);
      }
    }
    assert.deepEqual([...grpcGot].sort(), bodies);
    await waitFor(() => remotingGot.size === bodies.length, 15_000, 'the remoting group');
    assert.deepEqual([...remotingGot].sort(), bodies);

    const admin = new Admin({ nameServer: namesrvAddr, clientIP: '127.0.0.1' });
    await admin.start();
    stops.push(() => admin.shutdown());
    const connection = await admin.consumerConnection('GroupGrpc');
    assert.equal(connection.connectionSet.length, 1);
    assert.equal(connection.consumeType, 'CONSUME_ACTIVELY');
    assert.ok(connection.subscriptionTable.has('TopicMixed'));
    const progress = await admin.consumerProgress('GroupGrpc', 'TopicMixed');
    assert.equal(progress.offsetTable.reduce((sum, q) => sum + q.brokerOffset, 0), bodies.length);
    assert.equal(progress.diffTotal, 0, 'lag 0 once consumed');
  });

  it('a gRPC consumer mid-way: consumer connection, progress with the lag of what it has not received, running info with its stack', async () => {
    const endpoints = env.endpoint;
    const producer = new sdk.Producer({ endpoints, namespace: '', logger: quietSdkLogger, topics: ['TopicSeen'] });
    await producer.startup();
    stops.push(() => producer.shutdown());
    for (let i = 0; i < 10; i++) await producer.send({ topic: 'TopicSeen', tag: 'TagX', body: Buffer.from(`seen-${i}`) });
    const simple = new sdk.SimpleConsumer({ endpoints, namespace: '', logger: quietSdkLogger, consumerGroup: 'GroupSeen', subscriptions: new Map([['TopicSeen', 'TagX || TagY']]), awaitDuration: 2000 });
    await simple.startup();
    stops.push(() => simple.shutdown());
    const got = await simple.receive(3, 30_000);
    assert.ok(got.length > 0 && got.length <= 3);

    const admin = new Admin({ nameServer: env.namesrvAddr, clientIP: '127.0.0.1' });
    await admin.start();
    stops.push(() => admin.shutdown());
    const connection = await admin.consumerConnection('GroupSeen');
    assert.equal(connection.connectionSet.length, 1);
    const clientId = connection.connectionSet[0]?.clientId ?? '';
    assert.equal(connection.subscriptionTable.get('TopicSeen')?.subString, 'TagX || TagY');
    // A pop moves the group's offset past what it received (held messages come back through the retry topic), so
    // the lag is what no receive has taken yet: real figures, not the -1 a console shows for POP groups against Java.
    const progress = await admin.consumerProgress('GroupSeen', 'TopicSeen');
    assert.equal(progress.offsetTable.reduce((sum, q) => sum + q.brokerOffset, 0), 10);
    assert.equal(progress.diffTotal, 10 - got.length);
    assert.ok(progress.offsetTable.every((q) => q.consumerOffset >= 0));

    const info = await admin.consumerRunningInfo('GroupSeen', clientId, { jstack: true });
    assert.equal(info.properties.get('PROP_CONSUME_TYPE'), 'CONSUME_ACTIVELY');
    assert.equal(info.properties.get('messageModel'), 'CLUSTERING');
    assert.equal(info.properties.get('PROP_CLIENT_TYPE'), 'SIMPLE_CONSUMER');
    assert.equal(info.properties.get('consumerGroup'), 'GroupSeen');
    assert.deepEqual(info.subscriptions, ['TopicSeen']);
    // rocketmq-client-nodejs 1.0.8 answers PrintThreadStackTrace with this text.
    assert.equal(info.jstack, 'mock stack');
    assert.equal((await admin.consumerRunningInfo('GroupSeen', clientId)).jstack, '', 'no stack unless asked');
  });
});
