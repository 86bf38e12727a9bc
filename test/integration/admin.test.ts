import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDev, type DevCluster } from '../../src/cli/dev.js';
import { MQBrokerError } from '../../src/common/errors.js';
import { silentLogger } from '../../src/common/logger.js';
import { Admin, MQClientError, MQClientManager, Producer, PushConsumer, type SendResult } from '../../src/client/index.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { pollFor, waitFor } from '../helpers/wait.js';

describe('Admin against the dev cluster', () => {
  let dir: string;
  let dev: DevCluster;
  let manager: MQClientManager;
  let admin: Admin;
  let producer: Producer;
  let brokerAddr: string;
  const topic = 'AdminTestTopic';
  const sent: SendResult[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-admin-'));
    dev = await startDev({ namesrvPort: 0, brokerPort: 0, dataDir: dir, brokerIP: '127.0.0.1', logger: silentLogger });
    brokerAddr = `127.0.0.1:${dev.broker.port}`;
    manager = new MQClientManager();
    admin = new Admin({ nameServer: dev.namesrvAddr, clientIP: '127.0.0.1', clientManager: manager });
    await admin.start();
    producer = new Producer({ nameServer: dev.namesrvAddr, group: 'AdminTestPG', clientIP: '127.0.0.1', clientManager: manager });
    await producer.start();
  });
  after(async () => {
    await producer.shutdown();
    await admin.shutdown();
    await dev.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('clusterInfo names the dev broker as the master of its cluster', async () => {
    const info = await admin.clusterInfo();
    assert.equal(info.clusterAddrTable.size, 1);
    const [cluster, names] = [...info.clusterAddrTable][0] as [string, string[]];
    assert.deepEqual(admin.masters(info, cluster), [brokerAddr]);
    assert.equal(names.length, 1);
  });

  it('createTopic on the cluster, then topicList and topicRoute see it', async () => {
    const info = await admin.clusterInfo();
    const cluster = [...info.clusterAddrTable.keys()][0] as string;
    assert.deepEqual(await admin.createTopic({ cluster }, topic, { readQueueNums: 4, writeQueueNums: 4 }), [brokerAddr]);
    assert.ok((await admin.topicList()).includes(topic));
    const route = await admin.topicRoute(topic);
    assert.deepEqual(route.queueDatas.map((q) => [q.readQueueNums, q.writeQueueNums, q.perm]), [[4, 4, 6]]);
    assert.equal(route.brokerDatas[0]?.brokerAddrs.get(0), brokerAddr);
  });

  it('topicRoute of an unknown topic is TOPIC_NOT_EXIST', async () => {
    await assert.rejects(admin.topicRoute('NoSuchTopicHere'), (err: unknown) => err instanceof MQClientError && err.responseCode === ResponseCode.TOPIC_NOT_EXIST);
  });

  it('topicStats gives min and max offsets of every queue after sends', async () => {
    for (let i = 0; i < 8; i++) sent.push(await producer.send({ topic, body: `m${i}`, keys: [`key-${i}`, 'shared'] }));
    const stats = await admin.topicStats(topic);
    assert.deepEqual(stats.map((s) => s.mq.queueId), [0, 1, 2, 3]);
    assert.equal(stats.reduce((n, s) => n + s.maxOffset - s.minOffset, 0), 8);
    assert.ok(stats.every((s) => s.maxOffset === 0 || s.lastUpdateTimestamp > 0));
  });

  it('viewMessage by offset msgId and by UNIQ_KEY; queryMessage by key', async () => {
    const first = sent[0] as SendResult;
    const byOffset = await admin.viewMessage(first.offsetMsgId);
    assert.equal(byOffset.body.toString(), 'm0');
    assert.equal(byOffset.uniqKey, first.msgId);
    const byUniq = await admin.viewMessage(first.msgId, topic);
    assert.equal(byUniq.body.toString(), 'm0');
    const byKey = await admin.queryMessage(topic, 'key-3');
    assert.deepEqual(byKey.map((m) => m.body.toString()), ['m3']);
    assert.equal((await admin.queryMessage(topic, 'shared')).length, 8);
    await assert.rejects(admin.queryMessage(topic, 'no-such-key'), (err: unknown) => err instanceof MQClientError && err.responseCode === ResponseCode.NO_MESSAGE);
    await assert.rejects(admin.viewMessage(first.msgId), MQClientError);
  });

  it('pull, commit, consumerProgress with lag, consumerConnection, and resetOffsetByTimestamp', async () => {
    const group = 'AdminTestCG';
    await admin.registerConsumer({
      groupName: group,
      consumeType: 'CONSUME_ACTIVELY',
      messageModel: 'CLUSTERING',
      consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
      subscriptionDataSet: [{ topic, subString: '*', tagsSet: [], codeSet: [], subVersion: 0, expressionType: 'TAG', classFilterMode: false }],
      unitMode: false,
    });
    const connection = await admin.consumerConnection(group);
    assert.deepEqual(connection.connectionSet.map((c) => c.clientId), [admin.clientId]);
    assert.equal(connection.subscriptionTable.get(topic)?.subString, '*');
    assert.equal(connection.messageModel, 'CLUSTERING');

    // Consume queue 0 entirely and commit; the other queues stay at 0, so their lag is their message count.
    const mq = { topic, brokerName: sent[0]?.messageQueue.brokerName as string, queueId: 0 };
    const pulled = await admin.pullMessage(brokerAddr, group, mq, 0, 32);
    const max0 = await admin.maxOffset(brokerAddr, mq);
    assert.equal(pulled.messages.length, max0);
    // The pull carries its own subscription, so a group that never sent a heartbeat pulls too.
    assert.equal((await admin.pullMessage(brokerAddr, 'AdminNoHeartbeatCG', mq, 0, 32)).messages.length, max0);
    assert.equal(await admin.minOffset(brokerAddr, mq), 0);
    for (let q = 0; q < 4; q++) await admin.updateConsumerOffset(brokerAddr, group, { ...mq, queueId: q }, q === 0 ? pulled.nextBeginOffset : 0);
    assert.equal(await admin.queryConsumerOffset(brokerAddr, group, mq), max0);
    const progress = await admin.consumerProgress(group);
    assert.deepEqual(progress.offsetTable.map((q) => q.mq.queueId), [0, 1, 2, 3]);
    assert.equal(progress.offsetTable[0]?.diff, 0);
    assert.equal(progress.diffTotal, 8 - max0);

    // Online: the broker pushes the reset and answers the offsets (all back to 0 from timestamp 0).
    const reset = await admin.resetOffsetByTimestamp(topic, group, 0);
    assert.deepEqual(reset.map((r) => r.offset), [0, 0, 0, 0]);
    await admin.unregisterConsumer(group);
    // Offline: committed directly; -1 (the latest) puts every queue at its max offset.
    const latest = await admin.resetOffsetByTimestamp(topic, group, Date.now() + 60_000);
    assert.equal(latest.reduce((n, r) => n + r.offset, 0), 8);
    assert.equal((await admin.consumerProgress(group)).diffTotal, 0);
  });

  it('consumerRunningInfo asks a PushConsumer, through the broker, for its queues', async () => {
    const group = 'AdminRunningInfoCG';
    const consumer = new PushConsumer({ nameServer: dev.namesrvAddr, group, clientIP: '127.0.0.1', clientManager: manager, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    let consumed = 0;
    consumer.subscribe(topic, '*', () => {
      consumed++;
    });
    await consumer.start();
    try {
      await waitFor(() => consumed >= 8, 10_000, 'the 8 messages consumed');
      const clientId = (await admin.consumerConnection(group)).connectionSet[0]?.clientId as string;
      let info = await admin.consumerRunningInfo(group, clientId);
      // The in-memory offsets follow the listener: poll until the last call's offset is in.
      for (let i = 0; i < 100 && info.mqTable.filter((q) => q.mq.topic === topic).reduce((n, q) => n + q.commitOffset, 0) < 8; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        info = await admin.consumerRunningInfo(group, clientId);
      }
      assert.deepEqual(info.mqTable.filter((q) => q.mq.topic === topic).map((q) => q.mq.queueId), [0, 1, 2, 3]);
      assert.equal(info.mqTable.filter((q) => q.mq.topic === topic).reduce((n, q) => n + q.commitOffset, 0), 8);
      assert.equal(info.properties.get('consumerGroup'), group);
      // statusTable (the exporter's client families, mqadmin consumerStatus): the client samples its counters every
      // 10 s, so the consume shows in the minute window after the next sample.
      const status = await pollFor(
        () => admin.consumerRunningInfo(group, clientId),
        (i) => (i.statusTable.get(topic)?.consumeOKTPS ?? 0) > 0,
        { timeoutMillis: 15_000, intervalMillis: 250, what: "the topic's consume TPS in the running info" },
      );
      assert.deepEqual([...status.statusTable.keys()], [`%RETRY%${group}`, topic].sort(), 'one entry per subscribed topic');
      const cs = status.statusTable.get(topic);
      assert.ok(cs !== undefined && cs.pullTPS > 0 && cs.pullRT >= 0 && cs.consumeRT >= 0, JSON.stringify(cs));
      assert.deepEqual([cs.consumeFailedTPS, cs.consumeFailedMsgs], [0, 0]);
    } finally {
      await consumer.shutdown();
    }
  });

  it('deleteTopic removes the topic from the broker and the name server; broker refusals are MQBrokerError', async () => {
    await admin.deleteTopic(topic);
    assert.ok(!(await admin.topicList()).includes(topic));
    await assert.rejects(admin.topicRoute(topic), MQClientError);
    await assert.rejects(admin.createTopic({ brokerAddr: brokerAddr }, 'bad topic name!'), MQBrokerError);
  });
});
