/**
 * Remoting and gRPC on one topic: our remoting Producer's messages consumed by the Node SDK 1.0.8 SimpleConsumer;
 * a remoting PushConsumer group and a gRPC group each get everything; the gRPC group shows in consumer connection
 * and consumer progress (lag 0 once consumed) as a remoting group does.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import { Admin } from '../../src/client/admin/admin.js';
import { Producer, PushConsumer } from '../../src/client/index.js';
import { defaultTopicConfig } from '../../src/protocol/bodies/topic-config.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';
import { exitAfterNodeSdkTests } from '../helpers/grpc-sdk.js';

const require = createRequire(import.meta.url);
const sdk = require('rocketmq-client-nodejs') as typeof import('rocketmq-client-nodejs');
const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined, close: () => undefined, error: (...args: unknown[]) => void args };


exitAfterNodeSdkTests(after);
describe('remoting and gRPC consumers on one topic', () => {
  let dir: string;
  let namesrv: NamesrvController;
  let namesrvAddr: string;
  let broker: BrokerController;
  const stops: (() => Promise<unknown>)[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-grpc-mixed-'));
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    broker = await startTestBroker(dir, namesrvAddr, {
      grpc: { port: 0, bindAddress: '127.0.0.1', maxMessageSize: 4 * 1024 * 1024, autoCreateTopics: false, longPollingTimeoutMillis: 2000, consumer: { minLongPollingTimeoutMillis: 1000 } },
    });
    await broker.topicConfigManager.updateTopicConfig({ ...defaultTopicConfig('TopicMixed'), readQueueNums: 4, writeQueueNums: 4 });
    await broker.registerBrokerAll();
  });

  after(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await broker.shutdown();
    await namesrv.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it('a remoting producer’s messages reach a gRPC SimpleConsumer group and a remoting PushConsumer group, each all of them', async () => {
    const remotingGot = new Set<string>();
    const pushConsumer = new PushConsumer({ nameServer: namesrvAddr, group: 'GroupRemoting', clientIP: '127.0.0.1', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    pushConsumer.subscribe('TopicMixed', '*', (msg) => void remotingGot.add(msg.body.toString()));
    await pushConsumer.start();
    stops.push(() => pushConsumer.shutdown());
    const simple = new sdk.SimpleConsumer({ endpoints: `127.0.0.1:${broker.grpcEndpoint?.port ?? 0}`, namespace: '', logger: quiet, consumerGroup: 'GroupGrpc', subscriptions: new Map([['TopicMixed', '*']]), awaitDuration: 2000 });
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
});
