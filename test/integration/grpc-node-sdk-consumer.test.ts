/**
 * The official RocketMQ 5.x Node SDK (rocketmq-client-nodejs 1.0.8, from npm, unchanged) consuming from our
 * in-process broker's gRPC endpoint: SimpleConsumer receive / change-invisible / ack and redelivery, PushConsumer
 * retries with the server's backoff, the DLQ after max attempts, FIFO order. A short long-polling range and minimum
 * receive invisible time keep it quick.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import { startGrpcTestBroker, type GrpcTestBroker } from '../helpers/grpc-broker.js';
import { waitFor } from '../helpers/wait.js';
import { exitAfterNodeSdkTests, quietSdkLogger } from '../helpers/grpc-sdk.js';

const require = createRequire(import.meta.url);
const sdk = require('rocketmq-client-nodejs') as typeof import('rocketmq-client-nodejs');
type MessageView = import('rocketmq-client-nodejs').MessageView;

exitAfterNodeSdkTests(after);
describe('Node SDK 1.0.8 consumers against the broker’s gRPC endpoint', () => {
  let env: GrpcTestBroker;
  let broker: BrokerController;
  let endpoints: string;
  let producer: InstanceType<typeof sdk.Producer>;
  const stops: (() => Promise<unknown>)[] = [];
  const topics = { TopicSimple: 'NORMAL', TopicRedeliver: 'NORMAL', TopicPush: 'NORMAL', TopicDead: 'NORMAL', TopicOrdered: 'FIFO', TopicBlocked: 'FIFO', TopicLater: 'DELAY', TopicTx: 'TRANSACTION' } as const;

  before(async () => {
    env = await startGrpcTestBroker({
      prefix: 'rmq-grpc-sdk-consume-',
      grpc: { longPollingTimeoutMillis: 2000, consumer: { minLongPollingTimeoutMillis: 1000, minInvisibleTimeMillisForRecv: 1000 } },
      topics,
      groups: { GroupDead: { retryMaxTimes: 1 }, GroupOrdered: { consumeMessageOrderly: true }, GroupBlocked: { consumeMessageOrderly: true } },
    });
    ({ broker, endpoint: endpoints } = env);
    producer = new sdk.Producer({ endpoints, namespace: '', logger: quietSdkLogger, topics: Object.keys(topics), checker: { check: () => Promise.resolve(1) } });
    await producer.startup();
  });

  after(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await producer.shutdown().catch(() => undefined);
    await env.stop();
  });

  const simpleConsumer = async (group: string, topic: string) => {
    const consumer = new sdk.SimpleConsumer({ endpoints, namespace: '', logger: quietSdkLogger, consumerGroup: group, subscriptions: new Map([[topic, '*']]), awaitDuration: 2000 });
    await consumer.startup();
    stops.push(() => consumer.shutdown());
    return consumer;
  };
  /** Receives until `count` messages arrived (bounded). */
  const receiveAll = async (consumer: InstanceType<typeof sdk.SimpleConsumer>, count: number, invisibleMillis: number): Promise<MessageView[]> => {
    const got: MessageView[] = [];
    for (let i = 0; i < 10 && got.length < count; i++) got.push(...(await consumer.receive(32, invisibleMillis)));
    return got;
  };

  it('SimpleConsumer: receive, change the invisible duration, ack — nothing comes back', async () => {
    const ids = [];
    for (const body of ['s1', 's2']) ids.push((await producer.send({ topic: 'TopicSimple', tag: 'T', body: Buffer.from(body) })).messageId);
    const consumer = await simpleConsumer('GroupSimple', 'TopicSimple');
    const got = await receiveAll(consumer, 2, 15_000);
    assert.deepEqual(got.map((m) => m.messageId).sort(), [...ids].sort());
    assert.deepEqual(got.map((m) => m.deliveryAttempt), [1, 1]);
    assert.equal(got[0]?.tag, 'T');
    const before = got[0]?.receiptHandle;
    await consumer.changeInvisibleDuration(got[0], 10_000);
    assert.notEqual(got[0]?.receiptHandle, before, 'the SDK took the new handle');
    for (const m of got) await consumer.ack(m);
    assert.deepEqual(await consumer.receive(32, 15_000), []);
  });

  it('SimpleConsumer: an unacked message comes back after its invisible time with delivery attempt 2', async () => {
    const { messageId } = await producer.send({ topic: 'TopicRedeliver', body: Buffer.from('again') });
    const consumer = await simpleConsumer('GroupRedeliver', 'TopicRedeliver');
    const [first] = await receiveAll(consumer, 1, 1500);
    assert.equal(first?.messageId, messageId);
    const started = Date.now();
    const [second] = await receiveAll(consumer, 1, 10_000);
    assert.equal(second?.messageId, messageId);
    assert.equal(second?.deliveryAttempt, 2);
    assert.ok(Date.now() - started < 8000, 'redelivered soon after the 1.5 s invisible time');
    await consumer.ack(second);
  });

  const pushConsumer = async (group: string, topic: string, consume: (m: MessageView) => boolean) => {
    const consumer = new sdk.PushConsumer({
      endpoints,
      namespace: '',
      logger: quietSdkLogger,
      consumerGroup: group,
      subscriptions: new Map([[topic, '*']]),
      longPollingTimeout: 2000,
      messageListener: { consume: (m: MessageView) => (consume(m) ? sdk.ConsumeResult.SUCCESS : sdk.ConsumeResult.FAILURE) },
    });
    await consumer.startup();
    stops.push(() => consumer.shutdown());
    return consumer;
  };

  // Node 1.0.8 ignores a customized backoff and reads an exponential one's seconds as milliseconds
  // (PushSubscriptionSettings.js, ExponentialBackoffRetryPolicy.js): its nack asks ~0 ms, so each retry comes after
  // the broker's revive interval (1 s) — not after a 20 s long poll as with the Java proxy.
  it('PushConsumer: FAILURE twice → attempts 1, 2, 3, each within the nack delay plus a revive interval, not a long poll', async () => {
    const attempts: { attempt: number; at: number }[] = [];
    await pushConsumer('GroupPush', 'TopicPush', (m) => {
      attempts.push({ attempt: m.deliveryAttempt ?? 0, at: Date.now() });
      return (m.deliveryAttempt ?? 0) >= 3;
    });
    await producer.send({ topic: 'TopicPush', body: Buffer.from('flaky') });
    await waitFor(() => attempts.length >= 3, 30_000, 'three attempts');
    assert.deepEqual(attempts.map((a) => a.attempt), [1, 2, 3]);
    const gaps = attempts.slice(1).map((a, i) => a.at - (attempts[i]?.at ?? 0));
    for (const gap of gaps) assert.ok(gap < 3000, `a retry after ${gap} ms (nack delay ~0, revive interval 1 s)`);
  });

  it('PushConsumer: after max attempts (retryMaxTimes=1 → 2) the message is in %DLQ%<group> and not redelivered', async () => {
    const attempts: number[] = [];
    await pushConsumer('GroupDead', 'TopicDead', (m) => {
      attempts.push(m.deliveryAttempt ?? 0);
      return false;
    });
    await producer.send({ topic: 'TopicDead', body: Buffer.from('poison') });
    await waitFor(() => broker.messageStore.getMaxOffsetInQueue('%DLQ%GroupDead', 0) === 1, 30_000, 'the message in the DLQ');
    // Another backoff round passes: nothing more is delivered.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.deepEqual(attempts, [1, 2]);
  });

  it('PushConsumer of a FIFO group: 3 messages of one message group in order', async () => {
    const bodies: string[] = [];
    await pushConsumer('GroupOrdered', 'TopicOrdered', (m) => {
      bodies.push(m.body.toString());
      return true;
    });
    for (let i = 0; i < 3; i++) await producer.send({ topic: 'TopicOrdered', messageGroup: 'g1', body: Buffer.from(`o${i}`) });
    await waitFor(() => bodies.length >= 3, 20_000, 'three FIFO messages');
    assert.deepEqual(bodies, ['o0', 'o1', 'o2']);
  });

  it('SimpleConsumer of a FIFO group: the second receive gets nothing while the first message is unacked, the next one after the ack', async () => {
    for (let i = 0; i < 3; i++) await producer.send({ topic: 'TopicBlocked', messageGroup: 'g1', body: Buffer.from(`b${i}`) });
    const consumer = await simpleConsumer('GroupBlocked', 'TopicBlocked');
    const receiveOne = async (): Promise<MessageView[]> => {
      for (let i = 0; i < 5; i++) {
        const got = await consumer.receive(1, 15_000);
        if (got.length > 0) return got;
      }
      return [];
    };
    const [first] = await receiveOne();
    assert.equal(first?.body.toString(), 'b0');
    assert.equal(first?.messageGroup, 'g1');
    assert.deepEqual(await consumer.receive(1, 15_000), [], 'blocked while b0 is in flight');
    await consumer.ack(first);
    const started = Date.now();
    const [next] = await receiveOne();
    assert.equal(next?.body.toString(), 'b1');
    assert.equal(next?.deliveryAttempt, 1);
    assert.ok(Date.now() - started < 3000, 'handed out once b0 was acked, not after an invisible time');
  });

  it('SimpleConsumer: a delay message not before its time, and a committed transactional message', async () => {
    const due = Date.now() + 2000;
    const delayed = await producer.send({ topic: 'TopicLater', deliveryTimestamp: new Date(due), body: Buffer.from('later') });
    const tx = producer.beginTransaction();
    const committed = await producer.send({ topic: 'TopicTx', body: Buffer.from('tx') }, tx);
    await tx.commit();
    const later = await simpleConsumer('GroupLater', 'TopicLater');
    const [d] = await receiveAll(later, 1, 15_000);
    assert.equal(d?.messageId, delayed.messageId);
    assert.ok(Date.now() >= due - 1000, 'not more than a timer slot early');
    assert.equal(d?.deliveryTimestamp?.getTime(), due);
    await later.ack(d);
    const txConsumer = await simpleConsumer('GroupTx', 'TopicTx');
    const [m] = await receiveAll(txConsumer, 1, 15_000);
    assert.equal(m?.messageId, committed.messageId);
    assert.equal(m?.properties.has('__transactionId__'), false);
    await txConsumer.ack(m);
  });
});
