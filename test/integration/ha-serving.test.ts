/**
 * Serving from a slave (roles, SlaveSynchronize, pulls on slaves, the client's broker choice) with our own master
 * and slave in this process. Until replication lands the slave's store is filled honestly by copying: the master
 * is stopped, its data directory copied, and the copy started as brokerId 1 / SLAVE next to the restarted
 * master — a real store with the master's messages, no mock.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import { LitePullConsumer, MQClientManager, Producer, PushConsumer, type PushConsumerOptions } from '../../src/client/index.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import type { CustomHeader } from '../../src/protocol/custom-header.js';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode, decodeTopicRouteData } from '../../src/index.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { freeBrokerPort } from '../helpers/java.js';
import { pollFor, waitFor } from '../helpers/wait.js';

const TOPIC = 'HaServeTopic';
const QUEUES = 4;
const N = 40;
/** Small segments: the copy below is cheap, and master and slave must share the commit-log segment size. */
const SMALL_FILES = { mappedFileSizeCommitLog: 1024 * 1024, mappedFileSizeConsumeQueue: 1000 * 20 };

describe('serving from a slave (our master and slave)', () => {
  let dir: string;
  let namesrv: NamesrvController;
  let namesrvAddr: string;
  let masterPort: number;
  let master: BrokerController;
  let slave: BrokerController;
  let client: RemotingClient;
  let manager: MQClientManager;
  /** Offsets clients committed on the slave (UPDATE_CONSUMER_OFFSET or a pull's commit flag): must stay empty. */
  const slaveCommits: string[] = [];

  const startMaster = (): Promise<BrokerController> =>
    startTestBroker(join(dir, 'master'), namesrvAddr, {
      // A real port: the slave reads topics from the master's fast port, listenPort - 2, as Java's does.
      broker: { brokerName: 'ha-a', listenPort: masterPort, slaveReadEnable: true },
      // Every pull counts as cold data, so the master suggests the group's whichBrokerWhenConsumeSlowly (1).
      store: { ...SMALL_FILES, accessMessageInMemoryMaxRatio: 0 },
    });

  /** What every consumer here shares: its group on this name server, loopback, from the first offset. */
  const consumerOptions = (group: string) =>
    ({ nameServer: namesrvAddr, group, clientIP: '127.0.0.1', clientManager: manager, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' }) as const;

  /** A started PushConsumer of TOPIC counting how often each body arrived. */
  const countingConsumer = async (group: string, options: Partial<PushConsumerOptions> = {}): Promise<{ consumer: PushConsumer; seen: Map<string, number> }> => {
    const seen = new Map<string, number>();
    const consumer = new PushConsumer({ ...consumerOptions(group), persistConsumerOffsetInterval: 200, ...options });
    consumer.subscribe(TOPIC, '*', (msg) => void seen.set(msg.body.toString(), (seen.get(msg.body.toString()) ?? 0) + 1));
    await consumer.start();
    return { consumer, seen };
  };

  const call = async (addr: string, code: number, header: CustomHeader = {}, body?: string): Promise<RemotingCommand> =>
    client.invokeSync(addr, RemotingCommand.createRequestCommand(code, header, body === undefined ? undefined : Buffer.from(body)), 3000);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-ha-serving-'));
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    masterPort = await freeBrokerPort();
    client = new RemotingClient();
    await client.start();
    manager = new MQClientManager();
    master = await startMaster();
    const topicHeader = { topic: TOPIC, defaultTopic: 'TBW102', readQueueNums: QUEUES, writeQueueNums: QUEUES, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false };
    assert.equal((await call(master.brokerAddr, RequestCode.UPDATE_AND_CREATE_TOPIC, topicHeader)).code, ResponseCode.SUCCESS);
    const producer = new Producer({ nameServer: namesrvAddr, group: 'HaServePG', clientIP: '127.0.0.1', clientManager: manager });
    await producer.start();
    for (let i = 0; i < N; i++) await producer.send({ topic: TOPIC, body: `m${i}` });
    await producer.shutdown();
    // The slave's store: a copy of the master's, taken while the master is stopped.
    await master.shutdown();
    await cp(join(dir, 'master', 'broker'), join(dir, 'slave', 'broker'), { recursive: true });
    master = await startMaster();
    slave = await startTestBroker(join(dir, 'slave'), namesrvAddr, {
      broker: { brokerName: 'ha-a', brokerRole: 'SLAVE', brokerId: 1, slaveReadEnable: true },
      store: SMALL_FILES,
    });
    const commit = slave.consumerOffsetManager.commitOffset.bind(slave.consumerOffsetManager);
    slave.consumerOffsetManager.commitOffset = (clientHost, group, topic, queueId, offset) => {
      if (!group.startsWith('CID_RMQ_SYS_')) slaveCommits.push(`${group} ${topic}:${queueId}=${offset}`);
      commit(clientHost, group, topic, queueId, offset);
    };
  });

  after(async () => {
    await client.shutdown();
    await slave.shutdown();
    await master.shutdown();
    await namesrv.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it('a slave refuses sends, admin writes and END_TRANSACTION, and creates nothing', async () => {
    const sendHeader = { a: 'HaServePG', b: 'NewOnSlave', c: 'TBW102', d: 4, e: 0, f: 0, g: Date.now(), h: 0, i: '', j: 0, k: false, m: false };
    const sent = await call(slave.brokerAddr, RequestCode.SEND_MESSAGE_V2, sendHeader, 'refused');
    assert.equal(sent.code, ResponseCode.SERVICE_NOT_AVAILABLE);
    assert.match(sent.remark ?? '', /messages are put to the slave/);
    const created = await call(slave.brokerAddr, RequestCode.UPDATE_AND_CREATE_TOPIC, { topic: 'NewOnSlave', defaultTopic: 'TBW102', readQueueNums: 1, writeQueueNums: 1, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false });
    assert.equal(created.code, ResponseCode.SYSTEM_ERROR);
    assert.equal(created.remark, "Can't modify topic or subscription group from slave broker, please execute it from master broker.");
    assert.equal((await call(slave.brokerAddr, RequestCode.DELETE_TOPIC_IN_BROKER, { topic: TOPIC })).code, ResponseCode.SYSTEM_ERROR);
    assert.equal((await call(slave.brokerAddr, RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, {}, '{"groupName":"NewGroupOnSlave"}')).code, ResponseCode.SYSTEM_ERROR);
    const ended = await call(slave.brokerAddr, RequestCode.END_TRANSACTION, { producerGroup: 'HaServePG', tranStateTableOffset: 0, commitLogOffset: 0, commitOrRollback: 8, msgId: '00' });
    assert.equal(ended.code, ResponseCode.SLAVE_NOT_AVAILABLE);
    assert.equal(slave.topicConfigManager.selectTopicConfig('NewOnSlave'), undefined);
    assert.notEqual(slave.topicConfigManager.selectTopicConfig(TOPIC), undefined);
    assert.equal(slave.subscriptionGroupManager.containsSubscriptionGroup('NewGroupOnSlave'), false);
  });

  it('the slave copies topics, groups, offsets and request modes created on its master within 10 s (P10)', async () => {
    const begin = Date.now();
    const topicHeader = { topic: 'HaSyncTopic', defaultTopic: 'TBW102', readQueueNums: 2, writeQueueNums: 2, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false };
    assert.equal((await call(master.brokerAddr, RequestCode.UPDATE_AND_CREATE_TOPIC, topicHeader)).code, ResponseCode.SUCCESS);
    const group = await call(master.brokerAddr, RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, {}, '{"groupName":"HaSyncGroup","whichBrokerWhenConsumeSlowly":1,"retryMaxTimes":5}');
    assert.equal(group.code, ResponseCode.SUCCESS, group.remark);
    assert.equal((await call(master.brokerAddr, RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: 'HaSyncGroup', topic: 'HaSyncTopic', queueId: 1, commitOffset: 17 })).code, ResponseCode.SUCCESS);
    const mode = await call(master.brokerAddr, RequestCode.SET_MESSAGE_REQUEST_MODE, {}, '{"topic":"HaSyncTopic","consumerGroup":"HaSyncGroup","mode":"POP","popShareQueueNum":1}');
    assert.equal(mode.code, ResponseCode.SUCCESS, mode.remark);
    await waitFor(
      () =>
        slave.topicConfigManager.selectTopicConfig('HaSyncTopic') !== undefined &&
        slave.subscriptionGroupManager.containsSubscriptionGroup('HaSyncGroup') &&
        slave.consumerOffsetManager.queryOffset('HaSyncGroup', 'HaSyncTopic', 1) === 17 &&
        slave.messageRequestModeManager.getMessageRequestMode('HaSyncTopic', 'HaSyncGroup')?.mode === 'POP',
      12_000,
      'the slave to take the master metadata',
    );
    const took = Date.now() - begin;
    assert.ok(took <= 11_000, `synced in ${took} ms`);
    // 21 and 201 round-trip whole: the same table and DataVersion on both.
    assert.equal(slave.topicConfigManager.encode(), master.topicConfigManager.encode());
    assert.equal(slave.subscriptionGroupManager.encode(), master.subscriptionGroupManager.encode());
    assert.equal(slave.subscriptionGroupManager.findSubscriptionGroupConfig('HaSyncGroup')?.retryMaxTimes, 5);
    assert.equal(slave.scheduleMessageService.encode(), master.scheduleMessageService.encode());
    // The slave registers again with the new topic: its route names both replicas.
    const route = await pollFor(
      async () => call(namesrvAddr, RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'HaSyncTopic' }),
      (response) => response.code === ResponseCode.SUCCESS && decodeTopicRouteData(response.body).brokerDatas[0]?.brokerAddrs.size === 2,
      { timeoutMillis: 5000, intervalMillis: 100, what: 'the route of HaSyncTopic with both replicas' },
    );
    assert.equal(decodeTopicRouteData(route.body).brokerDatas[0]?.brokerAddrs.get(1), slave.brokerAddr);
  });

  it('a PushConsumer follows suggestWhichBrokerId to the slave and back, and commits to the master only', async () => {
    const group = 'HaSuggestGroup';
    const { consumer, seen } = await countingConsumer(group, { pullBatchSize: 4 });
    try {
      await waitFor(() => seen.size === N, 20_000, `all ${N} messages`);
      const duplicates = [...seen.values()].reduce((sum, n) => sum + n - 1, 0);
      assert.equal(duplicates, 0);
      // Both replicas served this group's pulls: the master suggested the slave (cold data), the slave the master.
      assert.ok(slave.brokerStatsManager.getStatsItem('GROUP_GET_NUMS', `${TOPIC}@${group}`) !== undefined, 'the slave served pulls');
      assert.ok(master.brokerStatsManager.getStatsItem('GROUP_GET_NUMS', `${TOPIC}@${group}`) !== undefined, 'the master served pulls');
      // Committed: all N on the master; nothing on the slave (pulls to it carry no commit flag).
      await waitFor(
        () => Array.from({ length: QUEUES }, (_, q) => Math.max(0, master.consumerOffsetManager.queryOffset(group, TOPIC, q))).reduce((a, b) => a + b, 0) === N,
        5000,
        'the master to hold all offsets',
      );
      assert.deepEqual(slaveCommits, []);
    } finally {
      await consumer.shutdown();
    }
  });

  it('a LitePullConsumer follows the suggestion too', async () => {
    const group = 'HaLiteGroup';
    const consumer = new LitePullConsumer({ ...consumerOptions(group), pullBatchSize: 4 });
    consumer.subscribe(TOPIC, '*');
    await consumer.start();
    const bodies = new Set<string>();
    try {
      for (let round = 0; round < 200 && bodies.size < N; round++) for (const msg of await consumer.poll(500)) bodies.add(msg.body.toString());
      assert.equal(bodies.size, N);
      assert.ok(slave.brokerStatsManager.getStatsItem('GROUP_GET_NUMS', `${TOPIC}@${group}`) !== undefined, 'the slave served pulls');
    } finally {
      await consumer.shutdown();
    }
    assert.deepEqual(slaveCommits, []);
  });

  it('with the master gone consumers read everything from the slave; offsets wait for the master (H13 on a copied store)', async () => {
    await master.shutdown();
    const group = 'HaFailoverGroup';
    const { consumer, seen } = await countingConsumer(group, { clientManager: new MQClientManager(), pollNameServerInterval: 500 });
    try {
      await waitFor(() => seen.size === N, 20_000, `all ${N} messages from the slave`);
      assert.equal([...seen.values()].reduce((sum, n) => sum + n - 1, 0), 0, 'duplicates');
      assert.ok(slave.brokerStatsManager.getStatsItem('GROUP_GET_NUMS', `${TOPIC}@${group}`) !== undefined);
      assert.deepEqual(slaveCommits, [], 'no commit reaches the slave');
      // The master returns: the offsets held by the consumer reach it.
      master = await startMaster();
      await waitFor(
        () => Array.from({ length: QUEUES }, (_, q) => Math.max(0, master.consumerOffsetManager.queryOffset(group, TOPIC, q))).reduce((a, b) => a + b, 0) === N,
        15_000,
        'the returned master to receive the offsets',
      );
      assert.deepEqual(slaveCommits, []);
    } finally {
      await consumer.shutdown();
    }
  });

  it('a returning master takes the higher offsets its slave got while it was away, where its log reaches them (P7)', async () => {
    await master.shutdown();
    // What a Java 5.3.3 consumer does with the master gone: it commits to the slave.
    const commit = async (queueId: number, commitOffset: number): Promise<void> => {
      const response = await call(slave.brokerAddr, RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: 'HaSyncGroup', topic: TOPIC, queueId, commitOffset });
      assert.equal(response.code, ResponseCode.SUCCESS);
    };
    await commit(0, 3);
    await commit(1, 100_000);
    master = await startMaster();
    assert.equal(master.consumerOffsetManager.queryOffset('HaSyncGroup', TOPIC, 0), 3);
    assert.equal(master.consumerOffsetManager.queryOffset('HaSyncGroup', TOPIC, 1), -1, 'beyond the master log: not taken');
    // The slave's next sync keeps the merged offset instead of rolling it back.
    await slave.slaveSynchronize?.syncAll();
    assert.equal(slave.consumerOffsetManager.queryOffset('HaSyncGroup', TOPIC, 0), 3);
  });
});
