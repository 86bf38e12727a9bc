/**
 * Client namespaces (issue 15) against our broker: a Producer, a PushConsumer and a LitePullConsumer with namespace
 * "ns1" next to a set without one, on the same topic and group names. The broker keeps them apart ("ns1%T" and
 * "T", group "ns1%G", retry topic "%RETRY%ns1%G"); every client shows the names without the namespace (send
 * results, consumed messages, a message redelivered from the retry topic, assignments, instrumentation); a
 * namespaced TransactionProducer gets the broker's check of its half message; a namespaced Admin sees the
 * namespace's topics and groups by their short names.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import {
  Admin,
  LitePullConsumer,
  Producer,
  PushConsumer,
  RemotingCommand,
  RemotingServer,
  RequestCode,
  ResponseCode,
  TransactionProducer,
  TransactionState,
  type ConsumerMessage,
  type MessageQueue,
  type RebalancePayload,
  type SendResult,
} from '../../src/index.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

const NS = 'ns1';
const TOPIC = 'NsTopic';
const GROUP = 'NsGroup';
const PULL_GROUP = 'NsPullGroup';
const PRODUCER_GROUP = 'NsProducer';

describe('client namespaces with our broker', () => {
  let dir: string;
  let namesrv: NamesrvController;
  let namesrvAddr: string;
  let broker: BrokerController;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-ns-'));
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    broker = await startTestBroker(dir, namesrvAddr, {
      broker: { transactionCheckInterval: 200, transactionTimeOut: 1500, transactionOpBatchInterval: 50 },
      store: { messageDelayLevel: '1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s' },
    });
  });

  after(async () => {
    await broker?.shutdown();
    await namesrv?.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps a namespace apart from the same names without one, and shows its names without it', async () => {
    const started: { shutdown(): Promise<void> }[] = [];
    try {
      // Same group names in and out of the namespace: they are different groups on the wire.
      const nsProducer = new Producer({ nameServer: namesrvAddr, group: PRODUCER_GROUP, namespace: NS });
      const plainProducer = new Producer({ nameServer: namesrvAddr, group: PRODUCER_GROUP });
      assert.equal(nsProducer.group, `${NS}%${PRODUCER_GROUP}`);
      assert.equal(nsProducer.namespace, NS);
      const producerGroups: string[] = [];
      nsProducer.on(Producer.events.START, (e) => void producerGroups.push(e.payload.group));
      for (const p of [nsProducer, plainProducer]) {
        await p.start();
        started.push(p);
      }
      assert.deepEqual(producerGroups, [PRODUCER_GROUP], 'instrumentation shows the group without the namespace');

      const nsResults: SendResult[] = [];
      nsResults.push(await nsProducer.send({ topic: TOPIC, body: 'ns single', keys: 'ns-0' }));
      nsResults.push(await nsProducer.send([{ topic: TOPIC, body: 'ns batch a', keys: 'ns-1' }, { topic: TOPIC, body: 'ns batch b', keys: 'ns-2' }]));
      const seenBySelector: MessageQueue[][] = [];
      nsResults.push(
        await nsProducer.send({ topic: TOPIC, body: 'ns ordered', keys: 'ns-3' }, {
          selector: (mqs, msg) => {
            seenBySelector.push([...mqs]);
            assert.equal(msg.topic, TOPIC);
            return mqs[1];
          },
        }),
      );
      const target = { topic: TOPIC, brokerName: 'broker-a', queueId: 2 };
      nsResults.push(await nsProducer.send({ topic: TOPIC, body: 'ns to queue', keys: 'ns-4' }, { messageQueue: target }));
      nsResults.push(await nsProducer.send({ topic: TOPIC, body: 'ns keyed', keys: 'ns-5' }, { shardingKey: 'order-1' }));
      await nsProducer.sendOneway({ topic: TOPIC, body: 'ns oneway', keys: 'ns-6' });
      for (const r of nsResults) assert.equal(r.messageQueue.topic, TOPIC, 'send results name the topic without the namespace');
      assert.ok(seenBySelector[0]!.length > 0 && seenBySelector[0]!.every((mq) => mq.topic === TOPIC), 'the selector sees queues without the namespace');
      assert.equal(nsResults[2]!.messageQueue.queueId, 1);
      assert.equal(nsResults[3]!.messageQueue.queueId, 2);
      for (let i = 0; i < 3; i++) await plainProducer.send({ topic: TOPIC, body: `plain ${i}`, keys: `plain-${i}` });

      assert.ok(broker.topicConfigManager.containsTopic(`${NS}%${TOPIC}`), 'ns1%T on the broker');
      assert.ok(broker.topicConfigManager.containsTopic(TOPIC), 'T on the broker');

      // Push consumers, one per side, same group name; the namespaced one sends one message back once.
      const nsGot: ConsumerMessage[] = [];
      const plainGot: ConsumerMessage[] = [];
      const rebalances: RebalancePayload[] = [];
      const nsConsumer = new PushConsumer({ nameServer: namesrvAddr, group: GROUP, namespace: NS, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
      nsConsumer.on(PushConsumer.events.REBALANCE, (e) => void rebalances.push(e.payload));
      nsConsumer.subscribe(TOPIC, '*', (msg) => {
        nsGot.push(msg);
        return msg.keys[0] === 'ns-0' && msg.reconsumeTimes === 0 ? 'RECONSUME_LATER' : 'CONSUME_SUCCESS';
      });
      const plainConsumer = new PushConsumer({ nameServer: namesrvAddr, group: GROUP, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
      plainConsumer.subscribe(TOPIC, '*', (msg) => void plainGot.push(msg));
      for (const c of [nsConsumer, plainConsumer]) {
        await c.start();
        started.push(c);
      }
      const nsKeys = ['ns-0', 'ns-1', 'ns-2', 'ns-3', 'ns-4', 'ns-5', 'ns-6'];
      await waitFor(() => new Set(nsGot.map((m) => m.keys[0])).size === nsKeys.length, 20_000, 'the namespaced messages');
      await waitFor(() => nsGot.some((m) => m.keys[0] === 'ns-0' && m.reconsumeTimes === 1), 20_000, 'ns-0 back from the retry topic');
      await waitFor(() => plainGot.length === 3, 20_000, 'the plain messages');
      assert.deepEqual([...new Set(nsGot.map((m) => m.keys[0]))].sort(), nsKeys);
      assert.deepEqual(plainGot.map((m) => m.keys[0]).sort(), ['plain-0', 'plain-1', 'plain-2'], 'no namespaced message reaches the plain group');
      for (const m of [...nsGot, ...plainGot]) assert.equal(m.topic, TOPIC, `${m.keys[0]} shows topic ${TOPIC}`);
      for (const m of nsGot) assert.equal(m.properties['INSTANCE_ID'], NS, 'a namespaced producer sends INSTANCE_ID, as Java does');
      for (const m of plainGot) assert.equal(m.properties['INSTANCE_ID'], undefined);
      const redelivered = nsGot.find((m) => m.keys[0] === 'ns-0' && m.reconsumeTimes === 1)!;
      assert.equal(redelivered.properties['RETRY_TOPIC'], `${NS}%${TOPIC}`, 'the property keeps the wire name, as in Java');
      assert.ok(broker.subscriptionGroupManager.containsSubscriptionGroup(`${NS}%${GROUP}`), 'group ns1%G');
      assert.ok(broker.subscriptionGroupManager.containsSubscriptionGroup(GROUP), 'group G');
      assert.ok(broker.topicConfigManager.containsTopic(`%RETRY%${NS}%${GROUP}`), 'retry topic %RETRY%ns1%G');
      assert.ok(broker.consumerManager.getConsumerGroupInfo(`${NS}%${GROUP}`) !== undefined);
      assert.ok(rebalances.some((r) => r.topic === TOPIC && r.queues.every((mq) => mq.topic === TOPIC)), 'rebalance events without the namespace');
      assert.ok(rebalances.some((r) => r.topic === `%RETRY%${GROUP}`), 'the retry topic shown as %RETRY%G');

      // LitePullConsumers, one per side, same group name.
      const nsPull = new LitePullConsumer({ nameServer: namesrvAddr, group: PULL_GROUP, namespace: NS, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', autoCommit: false });
      const plainPull = new LitePullConsumer({ nameServer: namesrvAddr, group: PULL_GROUP, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', autoCommit: false });
      nsPull.subscribe(TOPIC);
      plainPull.subscribe(TOPIC);
      for (const c of [nsPull, plainPull]) {
        await c.start();
        started.push(c);
      }
      const poll = async (c: LitePullConsumer, count: number): Promise<ConsumerMessage[]> => {
        const got: ConsumerMessage[] = [];
        const deadline = Date.now() + 20_000;
        while (got.length < count && Date.now() < deadline) got.push(...(await c.poll(500)));
        return got;
      };
      const nsPolled = await poll(nsPull, nsKeys.length);
      const plainPolled = await poll(plainPull, 3);
      assert.deepEqual(nsPolled.map((m) => m.keys[0]).sort(), nsKeys);
      assert.deepEqual(plainPolled.map((m) => m.keys[0]).sort(), ['plain-0', 'plain-1', 'plain-2']);
      for (const m of [...nsPolled, ...plainPolled]) assert.equal(m.topic, TOPIC);
      const assigned = nsPull.assignment();
      assert.ok(assigned.length > 0 && assigned.every((mq) => mq.topic === TOPIC), 'assignment() without the namespace');
      const queues = await nsPull.fetchMessageQueues(TOPIC);
      assert.ok(queues.every((mq) => mq.topic === TOPIC));
      await nsPull.commit();
      const q2 = { topic: TOPIC, brokerName: 'broker-a', queueId: 2 };
      const inQ2 = nsPolled.filter((m) => m.queueId === 2).sort((a, b) => a.queueOffset - b.queueOffset);
      assert.ok(inQ2.some((m) => m.keys[0] === 'ns-4'), 'the send to a given queue went there');
      assert.equal(await nsPull.committed(q2), inQ2.length, 'committed() takes the short name');
      assert.equal(await nsPull.committed({ ...q2, topic: `${NS}%${TOPIC}` }), inQ2.length, 'and the wire name');
      assert.equal(await nsPull.offsetForTimestamp(q2, 0), 0);
      await nsPull.seek(q2, 0);
      const again = await poll(nsPull, inQ2.length);
      assert.deepEqual(again.map((m) => [m.topic, m.keys[0]]), inQ2.map((m) => [TOPIC, m.keys[0]]), 'seek with the short name');
      await nsPull.commit([[q2, 1]]);
      // UPDATE_CONSUMER_OFFSET is oneway: it lands shortly after.
      await waitFor(() => broker.consumerOffsetManager.queryOffset(`${NS}%${PULL_GROUP}`, `${NS}%${TOPIC}`, 2) === 1, 5000, 'the commit under the wire group and topic');

      // Admin inside and outside the namespace.
      const nsAdmin = new Admin({ nameServer: namesrvAddr, namespace: NS });
      const admin = new Admin({ nameServer: namesrvAddr });
      for (const a of [nsAdmin, admin]) {
        await a.start();
        started.push(a);
      }
      const all = await admin.topicList();
      for (const t of [`${NS}%${TOPIC}`, TOPIC, `%RETRY%${NS}%${GROUP}`]) assert.ok(all.includes(t), `${t} listed`);
      const mine = await nsAdmin.topicList();
      assert.ok(mine.includes(TOPIC) && mine.includes(`%RETRY%${GROUP}`), `the namespace's topics: ${mine.join(', ')}`);
      assert.ok(!mine.some((t) => t.includes('%' + TOPIC) || t === 'TBW102'), 'only the namespace\'s, without it');
      await nsConsumer.persistConsumerOffset();
      let progress = await nsAdmin.consumerProgress(GROUP);
      for (let i = 0; i < 100 && progress.offsetTable.length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        progress = await nsAdmin.consumerProgress(GROUP);
      }
      assert.ok(progress.offsetTable.length > 0, 'the group committed offsets');
      assert.ok(progress.offsetTable.every((q) => q.mq.topic === TOPIC || q.mq.topic === `%RETRY%${GROUP}`), JSON.stringify(progress.offsetTable.map((q) => q.mq)));
      const [found] = await nsAdmin.queryMessage(TOPIC, 'ns-5');
      assert.equal(found?.topic, TOPIC);
      assert.equal((await nsAdmin.topicStats(TOPIC))[0]?.mq.topic, TOPIC);
    } finally {
      for (const c of started.reverse()) await c.shutdown();
    }
  });

  it('sends what fails too often to the dead-letter queue %DLQ%ns1%G', async () => {
    const producer = new Producer({ nameServer: namesrvAddr, group: 'NsDlqProducer', namespace: NS });
    const consumer = new PushConsumer({ nameServer: namesrvAddr, group: 'NsDlqGroup', namespace: NS, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', maxReconsumeTimes: 0 });
    let attempts = 0;
    consumer.subscribe('NsDlqTopic', '*', () => {
      attempts++;
      return 'RECONSUME_LATER';
    });
    const admin = new Admin({ nameServer: namesrvAddr, namespace: NS });
    await producer.start();
    await admin.start();
    try {
      await producer.send({ topic: 'NsDlqTopic', body: 'doomed', keys: 'dlq-1' });
      await consumer.start();
      await waitFor(() => broker.topicConfigManager.containsTopic(`%DLQ%${NS}%NsDlqGroup`), 20_000, 'the dead-letter topic %DLQ%ns1%NsDlqGroup');
      assert.equal(attempts, 1, 'no retry with maxReconsumeTimes 0');
      const [dead] = await admin.queryMessage('%DLQ%NsDlqGroup', 'dlq-1');
      assert.equal(dead?.topic, '%DLQ%NsDlqGroup', 'the namespaced admin finds it by the short dead-letter name');
    } finally {
      await consumer.shutdown();
      await admin.shutdown();
      await producer.shutdown();
    }
  });

  it("answers the broker's check of a namespaced transaction, showing the topic without the namespace", async () => {
    const checkedTopics: string[] = [];
    const producer = new TransactionProducer({
      nameServer: namesrvAddr,
      group: 'NsTxProducer',
      namespace: NS,
      heartbeatBrokerInterval: 1000,
      checkLocalTransaction: (msg) => {
        checkedTopics.push(msg.topic);
        return TransactionState.COMMIT;
      },
    });
    const checkEvents: { topic: string; group: string }[] = [];
    producer.on(TransactionProducer.events.TRANSACTION_CHECK, (e) => void checkEvents.push({ topic: e.payload.topic, group: e.payload.group }));
    const got: ConsumerMessage[] = [];
    const consumer = new PushConsumer({ nameServer: namesrvAddr, group: 'NsTxConsumer', namespace: NS, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    consumer.subscribe('NsTxTopic', '*', (msg) => void got.push(msg));
    await producer.start();
    try {
      const result = await producer.sendMessageInTransaction({ topic: 'NsTxTopic', body: 'tx', keys: 'tx-1' }, (msg) => {
        assert.equal(msg.topic, 'NsTxTopic', 'the local transaction sees the short name');
        return TransactionState.UNKNOWN;
      });
      assert.equal(result.localTransactionState, 'UNKNOW');
      assert.equal(result.messageQueue.topic, 'NsTxTopic');
      await consumer.start();
      await waitFor(() => got.length === 1, 20_000, 'the message committed by the check');
      assert.deepEqual(checkedTopics, ['NsTxTopic']);
      assert.deepEqual(checkEvents, [{ topic: 'NsTxTopic', group: 'NsTxProducer' }]);
      assert.equal(got[0]?.topic, 'NsTxTopic');
      assert.equal(got[0]?.properties['PGROUP'], `${NS}%NsTxProducer`, 'the half message names the wire group');
      assert.ok(broker.topicConfigManager.containsTopic(`${NS}%NsTxTopic`));
    } finally {
      await consumer.shutdown();
      await producer.shutdown();
    }
  });
});

describe('namespaceV2', () => {
  it('names the namespace in ext fields nsd and ns of every request, and wraps no name (NamespaceRpcHook)', async () => {
    const seen: { topic: string | undefined; nsd: string | undefined; ns: string | undefined }[] = [];
    const server = new RemotingServer({ listenPort: 0, bindAddress: '127.0.0.1' });
    server.registerProcessor(RequestCode.GET_ROUTEINFO_BY_TOPIC, {
      processRequest(_ctx, request) {
        const fields = request.extFields ?? {};
        seen.push({ topic: fields['topic'], nsd: fields['nsd'], ns: fields['ns'] });
        return RemotingCommand.createResponseCommand(ResponseCode.TOPIC_NOT_EXIST, 'no route');
      },
    });
    await server.start();
    const producer = new Producer({ nameServer: `127.0.0.1:${server.port}`, group: 'V2Producer', namespaceV2: 'v2ns', sendMsgTimeout: 1000 });
    try {
      await producer.start();
      assert.equal(producer.group, 'V2Producer');
      await assert.rejects(producer.send({ topic: 'V2Topic', body: 'x' }));
      const asked = seen.filter((s) => s.topic === 'V2Topic');
      assert.ok(asked.length > 0, JSON.stringify(seen));
      for (const s of seen) assert.deepEqual([s.nsd, s.ns], ['true', 'v2ns']);
    } finally {
      await producer.shutdown();
      await server.shutdown();
    }
  });
});
