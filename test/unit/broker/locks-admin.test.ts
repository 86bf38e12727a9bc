import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultBrokerConfig } from '../../../src/broker/broker-config.js';
import { BrokerController } from '../../../src/broker/broker-controller.js';
import { RebalanceLockManager } from '../../../src/broker/client/rebalance-lock-manager.js';
import {
  RemotingClient,
  RemotingCommand,
  RequestCode,
  ResponseCode,
  decodeConsumeStats,
  decodeLockBatchResponseBody,
  decodeResetOffsetBody,
  encodeHeartbeatData,
  encodeLockBatchRequestBody,
  encodeMessageQueueMap,
  messageProperties2String,
  parseLenientJson,
  type CustomHeader,
  type MessageQueue,
} from '../../../src/index.js';
import { DefaultMessageStore } from '../../../src/store/default-message-store.js';
import { deferred } from '../../helpers/wait.js';
import { MemoryConfigStore } from './support.js';

const mq = (queueId: number, topic = 'T'): MessageQueue => ({ topic, brokerName: 'broker-a', queueId });

describe('RebalanceLockManager', () => {
  it('locks per client, renews, refuses another client until the lock expires, unlocks only for the owner', () => {
    let now = 1_000_000;
    const locks = new RebalanceLockManager({ lockMaxLiveTime: 60_000, clock: () => now });
    assert.equal(locks.isLockAllExpired('G'), true);
    assert.deepEqual(locks.tryLockBatch('G', [mq(0), mq(1)], 'c1'), [mq(0), mq(1)]);
    assert.deepEqual(locks.tryLockBatch('G', [mq(1), mq(2)], 'c2'), [mq(2)], 'queue 1 is c1s');
    assert.equal(locks.isLockAllExpired('G'), false);
    now += 59_000;
    assert.deepEqual(locks.tryLockBatch('G', [mq(0)], 'c1'), [mq(0)], 'renewed');
    now += 2_000;
    // Queue 1 was last renewed 61 s ago: expired, c2 takes it; queue 0 was renewed 2 s ago.
    assert.deepEqual(locks.tryLockBatch('G', [mq(0), mq(1)], 'c2'), [mq(1)]);
    locks.unlockBatch('G', [mq(0), mq(1)], 'c1');
    assert.deepEqual(locks.tryLockBatch('G', [mq(0)], 'c2'), [mq(0)], 'c1 unlocked queue 0');
    assert.deepEqual(locks.tryLockBatch('G', [mq(1)], 'c1'), [], 'c1 could not unlock c2s queue 1');
    now += 61_000;
    assert.equal(locks.isLockAllExpired('G'), true);
    assert.equal(locks.isLockAllExpired('other'), true);
  });
});

/** A consumer client that answers the broker's calls like the Java client, recording what it got. */
interface FakeConsumer {
  client: RemotingClient;
  clientId: string;
  resets: RemotingCommand[];
  directly: RemotingCommand[];
}

async function fakeConsumer(clientId: string, brokerAddr: string, group: string, topic: string): Promise<FakeConsumer> {
  const client = new RemotingClient();
  const consumer: FakeConsumer = { client, clientId, resets: [], directly: [] };
  client.registerProcessor(RequestCode.RESET_CONSUMER_CLIENT_OFFSET, {
    processRequest(_ctx, request) {
      consumer.resets.push(request);
      return null;
    },
  });
  client.registerProcessor(RequestCode.GET_CONSUMER_STATUS_FROM_CLIENT, {
    processRequest() {
      const response = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS);
      response.body = Buffer.from(`{"messageQueueTable":${encodeMessageQueueMap([[mq(0, topic), 7]])}}`);
      return response;
    },
  });
  client.registerProcessor(RequestCode.GET_CONSUMER_RUNNING_INFO, {
    processRequest(_ctx, request) {
      const response = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS);
      response.body = Buffer.from(`{"properties":{"clientId":"${request.extFields?.['clientId'] ?? ''}"}}`);
      return response;
    },
  });
  client.registerProcessor(RequestCode.CONSUME_MESSAGE_DIRECTLY, {
    processRequest(_ctx, request) {
      consumer.directly.push(request);
      const response = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS);
      response.body = Buffer.from('{"consumeResult":"CR_SUCCESS","order":false,"autoCommit":true,"spentTimeMills":1}');
      return response;
    },
  });
  await client.start();
  const heartbeat = encodeHeartbeatData({
    clientID: clientId,
    producerDataSet: [{ groupName: 'PG' }],
    consumerDataSet: [
      {
        groupName: group,
        consumeType: 'CONSUME_PASSIVELY',
        messageModel: 'CLUSTERING',
        consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET',
        subscriptionDataSet: [{ topic, subString: '*', tagsSet: [], codeSet: [], subVersion: 1, expressionType: 'TAG', classFilterMode: false }],
        unitMode: false,
      },
    ],
    heartbeatFingerprint: 0,
    withoutSub: false,
  });
  const response = await client.invokeSync(brokerAddr, RemotingCommand.createRequestCommand(RequestCode.HEART_BEAT, undefined, heartbeat), 3000);
  assert.equal(response.code, ResponseCode.SUCCESS);
  return consumer;
}

describe('queue locks and admin codes over loopback (41, 42, 203, 204, 207, 208, 222, 223, 300, 307, 309, 314)', () => {
  let dir: string;
  let broker: BrokerController;
  let store: DefaultMessageStore;
  let admin: RemotingClient;
  let addr: string;
  let c1: FakeConsumer;
  let c2: FakeConsumer;
  let firstMsgId = '';
  const call = (code: number, header?: CustomHeader, body?: Buffer): Promise<RemotingCommand> =>
    admin.invokeSync(addr, RemotingCommand.createRequestCommand(code, header, body), 15_000);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-admin-'));
    store = new DefaultMessageStore({ storePathRootDir: dir, mappedFileSizeCommitLog: 4 * 1024 * 1024, mappedFileSizeConsumeQueue: 20 * 1000 });
    const config = { ...defaultBrokerConfig(dir), brokerName: 'broker-a', brokerIP1: '127.0.0.1', bindAddress: '127.0.0.1', listenPort: 0, namesrvAddr: '', storePathRootDir: dir };
    broker = new BrokerController(config, { configStore: new MemoryConfigStore(), messageStore: store });
    await broker.start();
    addr = `127.0.0.1:${broker.port}`;
    admin = new RemotingClient();
    await admin.start();
    await broker.topicConfigManager.updateTopicConfig({ topicName: 'T', readQueueNums: 2, writeQueueNums: 2, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false });
    for (let i = 0; i < 4; i++) {
      const properties = messageProperties2String(new Map([['KEYS', `key-${i}`]]));
      const header = { a: 'PG', b: 'T', c: 'TBW102', d: 4, e: i % 2, f: 0, g: Date.now(), h: 0, i: properties };
      const sent = await call(RequestCode.SEND_MESSAGE_V2, header, Buffer.from(`m${i}`));
      assert.equal(sent.code, ResponseCode.SUCCESS);
      if (i === 0) firstMsgId = sent.extFields?.['msgId'] ?? '';
    }
    c1 = await fakeConsumer('c1@1', addr, 'G', 'T');
    c2 = await fakeConsumer('c2@2', addr, 'G', 'T');
    broker.consumerOffsetManager.commitOffset('test', 'G', 'T', 0, 2);
    broker.consumerOffsetManager.commitOffset('test', 'G', 'T', 1, 1);
  });
  after(async () => {
    await c1.client.shutdown();
    await c2.client.shutdown();
    await admin.shutdown();
    await broker.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it('LOCK_BATCH_MQ answers the queues locked for the client; UNLOCK_BATCH_MQ frees only its own', async () => {
    const lock = (clientId: string, mqSet: MessageQueue[]): Promise<RemotingCommand> =>
      call(RequestCode.LOCK_BATCH_MQ, undefined, encodeLockBatchRequestBody({ consumerGroup: 'LG', clientId, onlyThisBroker: false, mqSet }));
    const first = await lock('c1', [mq(0), mq(1)]);
    assert.equal(first.code, ResponseCode.SUCCESS);
    assert.deepEqual(decodeLockBatchResponseBody(first.body), [mq(0), mq(1)]);
    assert.deepEqual(decodeLockBatchResponseBody((await lock('c2', [mq(0), mq(1)])).body), []);
    const unlocked = await call(RequestCode.UNLOCK_BATCH_MQ, undefined, encodeLockBatchRequestBody({ consumerGroup: 'LG', clientId: 'c1', onlyThisBroker: false, mqSet: [mq(1)] }));
    assert.equal(unlocked.code, ResponseCode.SUCCESS);
    assert.deepEqual(decodeLockBatchResponseBody((await lock('c2', [mq(0), mq(1)])).body), [mq(1)]);
  });

  it('GET_CONSUMER_CONNECTION_LIST, GET_PRODUCER_CONNECTION_LIST and QUERY_TOPIC_CONSUME_BY_WHO', async () => {
    const consumers = await call(RequestCode.GET_CONSUMER_CONNECTION_LIST, { consumerGroup: 'G' });
    assert.equal(consumers.code, ResponseCode.SUCCESS);
    const body = parseLenientJson(consumers.body!.toString()) as Record<string, unknown>;
    const clientIds = (body['connectionSet'] as { clientId: string; language: string; version: number; clientAddr: string }[]).map((c) => c.clientId).sort();
    assert.deepEqual(clientIds, ['c1@1', 'c2@2']);
    assert.equal(body['consumeType'], 'CONSUME_PASSIVELY');
    assert.equal(body['messageModel'], 'CLUSTERING');
    assert.deepEqual(Object.keys(body['subscriptionTable'] as object), ['T']);
    assert.equal((await call(RequestCode.GET_CONSUMER_CONNECTION_LIST, { consumerGroup: 'nobody' })).code, ResponseCode.CONSUMER_NOT_ONLINE);

    const producers = await call(RequestCode.GET_PRODUCER_CONNECTION_LIST, { producerGroup: 'PG' });
    assert.equal(producers.code, ResponseCode.SUCCESS);
    assert.equal((parseLenientJson(producers.body!.toString()) as { connectionSet: unknown[] }).connectionSet.length, 2);
    assert.equal((await call(RequestCode.GET_PRODUCER_CONNECTION_LIST, { producerGroup: 'none' })).code, ResponseCode.SYSTEM_ERROR);

    broker.consumerOffsetManager.commitOffset('test', 'OfflineGroup', 'T', 0, 1);
    const who = await call(RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, { topic: 'T' });
    assert.deepEqual(((parseLenientJson(who.body!.toString()) as { groupList: string[] }).groupList).sort(), ['G', 'OfflineGroup']);
  });

  it('GET_CONSUME_STATS: broker, consumer and pull offsets and the last consumed store time per queue (fastjson object keys)', async () => {
    const response = await call(RequestCode.GET_CONSUME_STATS, { consumerGroup: 'G' });
    assert.equal(response.code, ResponseCode.SUCCESS);
    assert.match(response.body!.toString(), /^\{"consumeTps":0\.0,"offsetTable":\{\{"brokerName":"broker-a","queueId":0,"topic":"T"\}:\{/);
    const stats = decodeConsumeStats(response.body);
    const byQueue = new Map(stats.offsetTable.map(([q, w]) => [q.queueId, w]));
    assert.equal(byQueue.get(0)?.brokerOffset, 2);
    assert.equal(byQueue.get(0)?.consumerOffset, 2);
    assert.equal(byQueue.get(1)?.consumerOffset, 1);
    assert.ok((byQueue.get(0)?.lastTimestamp ?? 0) > 0);
  });

  it("GET_CONSUME_STATS: consumeTps is the group's pulls per second over the minute window (BrokerStatsManager.tpsGroupGetNums)", async () => {
    const stats = broker.brokerStatsManager;
    // 140 messages pulled by G from T over 70 s of the minute window (its first sample starts from zero one 10 s
    // period back, then one 60 s later): 2 a second.
    stats.incGroupGet('G', 'T', 0, 0);
    const item = stats.getStatsItem('GROUP_GET_NUMS', 'T@G');
    assert.ok(item !== undefined);
    item.sample('minute', 1_000_000);
    item.add(140, 1);
    item.sample('minute', 1_060_000);
    const response = await call(RequestCode.GET_CONSUME_STATS, { consumerGroup: 'G' });
    assert.equal(decodeConsumeStats(response.body).consumeTps, 2);
  });

  it('INVOKE_BROKER_TO_RESET_OFFSET pushes RESET_CONSUMER_CLIENT_OFFSET with a ResetOffsetBody to every member and answers the table', async () => {
    const got = deferred();
    const poll = setInterval(() => c1.resets.length > 0 && c2.resets.length > 0 && got.resolve(), 5);
    const response = await call(RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, { topic: 'T', group: 'G', timestamp: 0, isForce: true });
    assert.equal(response.code, ResponseCode.SUCCESS, response.remark);
    const table = new Map(decodeResetOffsetBody(response.body).map(([q, offset]) => [q.queueId, offset]));
    assert.deepEqual([...table].sort(), [
      [0, 0],
      [1, 0],
    ]);
    await got.promise;
    clearInterval(poll);
    const pushed = c1.resets[0]!;
    assert.equal(pushed.extFields?.['group'], 'G');
    assert.equal(pushed.extFields?.['isForce'], 'true');
    assert.deepEqual(decodeResetOffsetBody(pushed.body).length, 2);
    const offline = await call(RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, { topic: 'T', group: 'OfflineGroup', timestamp: -1, isForce: false });
    assert.equal(offline.code, ResponseCode.SYSTEM_ERROR, 'no offset committed on queue 1');
  });

  it('INVOKE_BROKER_TO_GET_CONSUMER_STATUS collects every member\'s GET_CONSUMER_STATUS_FROM_CLIENT answer by client id', async () => {
    const response = await call(RequestCode.INVOKE_BROKER_TO_GET_CONSUMER_STATUS, { topic: 'T', group: 'G' });
    assert.equal(response.code, ResponseCode.SUCCESS);
    const text = response.body!.toString();
    assert.match(text, /"c1@1":\{\{"brokerName":"broker-a","queueId":0,"topic":"T"\}:7\}/);
    assert.match(text, /"c2@2":/);
  });

  it('GET_CONSUMER_RUNNING_INFO and CONSUME_MESSAGE_DIRECTLY are forwarded to the client; an unknown client is SYSTEM_ERROR', async () => {
    const info = await call(RequestCode.GET_CONSUMER_RUNNING_INFO, { consumerGroup: 'G', clientId: 'c2@2', jstackEnable: false });
    assert.equal(info.code, ResponseCode.SUCCESS);
    assert.equal(info.body?.toString(), '{"properties":{"clientId":"c2@2"}}');
    const missing = await call(RequestCode.GET_CONSUMER_RUNNING_INFO, { consumerGroup: 'G', clientId: 'nope' });
    assert.equal(missing.code, ResponseCode.SYSTEM_ERROR);
    assert.equal(missing.remark, 'The Consumer <G> <nope> not online');

    const direct = await call(RequestCode.CONSUME_MESSAGE_DIRECTLY, { consumerGroup: 'G', clientId: 'c1@1', msgId: firstMsgId, topic: 'T' });
    assert.equal(direct.code, ResponseCode.SUCCESS);
    const forwarded = c1.directly[0]!;
    assert.equal(forwarded.extFields?.['brokerName'], 'broker-a');
    assert.equal(forwarded.extFields?.['topicSysFlag'], '0');
    assert.ok((forwarded.body?.length ?? 0) > 0, 'the stored message travels as body');
  });

  it('CLONE_GROUP_OFFSET copies offsets; DELETE_SUBSCRIPTIONGROUP removes the group and, with cleanOffset, its offsets', async () => {
    assert.equal((await call(RequestCode.CLONE_GROUP_OFFSET, { srcGroup: 'G', destGroup: 'G-copy', topic: 'T', offline: false })).code, ResponseCode.SUCCESS);
    assert.equal(broker.consumerOffsetManager.queryOffset('G-copy', 'T', 0), broker.consumerOffsetManager.queryOffset('G', 'T', 0));
    broker.subscriptionGroupManager.findSubscriptionGroupConfig('G-copy');
    const deleted = await call(RequestCode.DELETE_SUBSCRIPTIONGROUP, { groupName: 'G-copy', cleanOffset: true });
    assert.equal(deleted.code, ResponseCode.SUCCESS);
    assert.equal(broker.subscriptionGroupManager.containsSubscriptionGroup('G-copy'), false);
    assert.equal(broker.consumerOffsetManager.queryOffset('G-copy', 'T', 0), -1);
  });

  it('QUERY_MESSAGE takes mqadmin queryMsgByKey\'s unbounded end (Long.MAX_VALUE)', async () => {
    const response = await call(RequestCode.QUERY_MESSAGE, { topic: 'T', key: 'key-0', maxNum: 32, beginTimestamp: '0', endTimestamp: '9223372036854775807' });
    assert.equal(response.code, ResponseCode.SUCCESS, response.remark);
    const bad = await call(RequestCode.QUERY_MESSAGE, { topic: 'T', key: 'key-0', maxNum: 32, beginTimestamp: 'x', endTimestamp: '1' });
    assert.equal(bad.code, ResponseCode.SYSTEM_ERROR);
  });

  it('codes still not implemented answer REQUEST_CODE_NOT_SUPPORTED naming the code', async () => {
    const response = await call(RequestCode.QUERY_CONSUME_QUEUE, { topic: 'x', queueId: 0, index: 0, count: 1, consumerGroup: 'g' });
    assert.equal(response.code, ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
    assert.equal(response.remark, ` request type ${RequestCode.QUERY_CONSUME_QUEUE} not supported`);
  });
});
