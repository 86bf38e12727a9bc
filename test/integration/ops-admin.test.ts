import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDev, type DevCluster } from '../../src/cli/dev.js';
import { silentLogger } from '../../src/common/logger.js';
import { MQClientManager, Producer } from '../../src/client/index.js';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode, decodeKVTable, decodeStoredMessages, decodeTopicList, type CustomHeader } from '../../src/index.js';
import { pollFor } from '../helpers/wait.js';

/** The admin codes the Java dashboard and rocketmq-exporter need beyond routing: 28, 305, 315, 328. */
describe('dashboard and exporter admin calls against the dev broker', () => {
  let dir: string;
  let dev: DevCluster;
  let client: RemotingClient;
  let manager: MQClientManager;
  let producer: Producer;
  const topic = 'OpsStatsTopic';
  const group = 'OpsStatsCG';
  const call = (code: number, header?: CustomHeader): Promise<RemotingCommand> =>
    client.invokeSync(dev.broker.brokerAddr, RemotingCommand.createRequestCommand(code, header), 3000);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-ops-'));
    dev = await startDev({ namesrvPort: 0, brokerPort: 0, dataDir: dir, brokerIP: '127.0.0.1', logger: silentLogger });
    client = new RemotingClient();
    await client.start();
    manager = new MQClientManager();
    producer = new Producer({ nameServer: dev.namesrvAddr, group: 'OpsStatsPG', clientIP: '127.0.0.1', clientManager: manager });
    await producer.start();
    for (let i = 0; i < 5; i++) await producer.send({ topic, body: Buffer.from(`m${i}`) });
  });
  after(async () => {
    await producer.shutdown();
    await client.shutdown();
    await dev.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Pulls everything of every queue of the topic as `group` (raw PULL_MESSAGE, as a Java pull consumer sends it). */
  async function pullAll(): Promise<number> {
    let count = 0;
    for (let queueId = 0; queueId < 4; queueId++) {
      const header = { consumerGroup: group, topic, queueId, queueOffset: 0, maxMsgNums: 32, sysFlag: 0x4, commitOffset: 0, suspendTimeoutMillis: 0, subscription: '*', subVersion: 0 };
      const pulled = await call(RequestCode.PULL_MESSAGE, header);
      if (pulled.code === ResponseCode.SUCCESS) count += decodeStoredMessages(pulled.body as Buffer).length;
    }
    return count;
  }

  it('GET_BROKER_RUNTIME_INFO (28) counts today\'s puts and gets and names the store\'s capacity', async () => {
    assert.equal(await pullAll(), 5);
    const info = decodeKVTable((await call(RequestCode.GET_BROKER_RUNTIME_INFO)).body);
    assert.equal(info.get('msgPutTotalTodayNow'), '5');
    assert.equal(info.get('msgGetTotalTodayNow'), '5');
    assert.equal(info.get('msgPutTotalTodayMorning'), '0');
    assert.match(info.get('commitLogDirCapacity') ?? '', /^Total : \d+\.\d [KMGTPE]iB, Free : \d+(\.\d [KMGTPE]iB| B)\.$/);
    assert.equal(info.get('sendThreadPoolQueueCapacity'), '10000');
    assert.equal(info.get('remainTransientStoreBufferNumbs'), '2147483647');
  });

  it('VIEW_BROKER_STATS_DATA (315) answers the topic\'s and the group\'s windows, and SYSTEM_ERROR for an unknown item', async () => {
    // The broker samples every 10 s; take one sample now, as its timer would.
    dev.broker.brokerStatsManager.sample('minute');
    const put = await call(RequestCode.VIEW_BROKER_STATS_DATA, { statsName: 'TOPIC_PUT_NUMS', statsKey: topic });
    assert.equal(put.code, ResponseCode.SUCCESS, put.remark);
    const data = JSON.parse(put.body?.toString() ?? '') as Record<string, { sum: number; tps: number; avgpt: number }>;
    assert.deepEqual(Object.keys(data).sort(), ['statsDay', 'statsHour', 'statsMinute']);
    assert.equal(data['statsMinute']?.sum, 5);
    assert.ok((data['statsMinute']?.tps ?? 0) > 0);
    const get = await call(RequestCode.VIEW_BROKER_STATS_DATA, { statsName: 'GROUP_GET_NUMS', statsKey: `${topic}@${group}` });
    assert.equal(get.code, ResponseCode.SUCCESS, get.remark);
    assert.equal((JSON.parse(get.body?.toString() ?? '') as { statsMinute: { sum: number } }).statsMinute.sum, 5);
    const cluster = await call(RequestCode.VIEW_BROKER_STATS_DATA, { statsName: 'BROKER_PUT_NUMS', statsKey: dev.broker.config.brokerClusterName });
    assert.equal(cluster.code, ResponseCode.SUCCESS);
    const unknown = await call(RequestCode.VIEW_BROKER_STATS_DATA, { statsName: 'TOPIC_PUT_NUMS', statsKey: 'NoSuchTopic' });
    assert.deepEqual([unknown.code, unknown.remark], [ResponseCode.SYSTEM_ERROR, 'The stats <TOPIC_PUT_NUMS> <NoSuchTopic> not exist']);
    const missingKey = await call(RequestCode.VIEW_BROKER_STATS_DATA, { statsName: 'TOPIC_PUT_NUMS' });
    assert.notEqual(missingKey.code, ResponseCode.SUCCESS);
  });

  it('GET_SYSTEM_TOPIC_LIST_FROM_BROKER (305) lists the system topics, the cluster\'s name among them', async () => {
    const response = await call(RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_BROKER);
    assert.equal(response.code, ResponseCode.SUCCESS);
    const topics = decodeTopicList(response.body).topicList;
    for (const expected of ['TBW102', 'SCHEDULE_TOPIC_XXXX', 'RMQ_SYS_TRANS_HALF_TOPIC', dev.broker.config.brokerClusterName]) assert.ok(topics.includes(expected), expected);
    assert.ok(!topics.includes(topic));
  });

  it('GET_ALL_PRODUCER_INFO (328) lists the online producer by group with its address as Netty prints it', async () => {
    type Table = { data: Record<string, { clientId: string; remoteIP: string; language: string; version: number; lastUpdateTimestamp: number }[]> };
    const table = await pollFor(
      async () => {
        const response = await call(RequestCode.GET_ALL_PRODUCER_INFO);
        assert.equal(response.code, ResponseCode.SUCCESS);
        return JSON.parse(response.body?.toString() ?? '') as Table;
      },
      (parsed) => parsed.data['OpsStatsPG'] !== undefined,
      { timeoutMillis: 5000, intervalMillis: 50, what: 'the producer group in GET_ALL_PRODUCER_INFO' },
    );
    const [member] = table.data['OpsStatsPG'] ?? [];
    assert.match(member?.remoteIP ?? '', /^\/127\.0\.0\.1:\d+$/);
    assert.ok((member?.clientId ?? '').length > 0);
    assert.ok((member?.lastUpdateTimestamp ?? 0) > 0);
  });
});
