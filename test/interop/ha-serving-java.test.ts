/**
 * H14 with a real Java master: our slave (brokerRole=SLAVE, brokerId=1) next to a Java 5.3.3 master under our name
 * server learns the master from its registration result and copies topics (21, over the master's fast port),
 * consumer offsets (43), delay offsets (45), subscription groups (201) and message request modes (402) within
 * 10 s, where a Java 5.3.3 slave takes about 60 s. Then a Java 5.3.3 DefaultMQPushConsumer reads everything from
 * our slave while our master is down (the slave's store a copy of the master's until replication lands). One Java
 * broker (the master of the first part) and one consumer JVM.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import type { CustomHeader } from '../../src/protocol/custom-header.js';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/index.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { MQClientManager, Producer } from '../../src/client/index.js';
import { buildInterop, freeBrokerPort, javaAvailable, startJava, startJavaBroker, type JavaServer } from '../helpers/java.js';
import { waitFor } from '../helpers/wait.js';

const availability = await javaAvailable();
if (!availability.ok) {
  if (process.env.CI !== undefined) throw new Error(`java interop tests need java and mvn: ${availability.why}`);
  console.warn(`\n*** SKIPPING Java interop tests: ${availability.why} ***\n`);
}
const skip = availability.ok ? false : `java or mvn missing: ${availability.why}`;

describe('our slave of a Java 5.3.3 master (H14)', { skip, timeout: 5 * 60_000 }, () => {
  let dir: string;
  let namesrv: NamesrvController;
  let master: JavaServer;
  let slave: BrokerController;
  let client: RemotingClient;

  const call = async (code: number, header: CustomHeader = {}, body?: string): Promise<RemotingCommand> =>
    client.invokeSync(master.addr, RemotingCommand.createRequestCommand(code, header, body === undefined ? undefined : Buffer.from(body)), 5000);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-ha-serving-java-'));
    let namesrvAddr: string;
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    master = await startJavaBroker({
      namesrvAddr,
      brokerName: 'ha-java',
      clusterName: 'HaJavaCluster',
      heapMb: 384,
      // The segment size a slave must share; brokerIP2 is the host the registration gives the slave.
      config: { brokerIP2: '127.0.0.1', mappedFileSizeCommitLog: 1024 * 1024 },
    });
    slave = await startTestBroker(dir, namesrvAddr, {
      broker: { brokerClusterName: 'HaJavaCluster', brokerName: 'ha-java', brokerRole: 'SLAVE', brokerId: 1, slaveReadEnable: true },
      store: { mappedFileSizeCommitLog: 1024 * 1024 },
    });
    client = new RemotingClient();
    await client.start();
  });

  after(async () => {
    await client?.shutdown();
    await slave?.shutdown();
    await master?.stop();
    await namesrv?.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it('finds the Java master by its registration and copies 21/43/45/201/402 within 10 s', async () => {
    await waitFor(() => slave.slaveSynchronize?.masterAddr === master.addr, 20_000, 'the master address from the registration result');
    const begin = Date.now();
    const topicHeader = { topic: 'HaJavaTopic', defaultTopic: 'TBW102', readQueueNums: 3, writeQueueNums: 3, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false };
    const topic = await call(RequestCode.UPDATE_AND_CREATE_TOPIC, topicHeader);
    assert.equal(topic.code, ResponseCode.SUCCESS, topic.remark);
    const group = await call(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, {}, '{"groupName":"HaJavaGroup","retryMaxTimes":7,"whichBrokerWhenConsumeSlowly":1}');
    assert.equal(group.code, ResponseCode.SUCCESS, group.remark);
    const offset = await call(RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: 'HaJavaGroup', topic: 'HaJavaTopic', queueId: 2, commitOffset: 9 });
    assert.equal(offset.code, ResponseCode.SUCCESS, offset.remark);
    const mode = await call(RequestCode.SET_MESSAGE_REQUEST_MODE, {}, '{"topic":"HaJavaTopic","consumerGroup":"HaJavaGroup","mode":"POP","popShareQueueNum":1}');
    assert.equal(mode.code, ResponseCode.SUCCESS, mode.remark);

    await waitFor(
      () =>
        slave.topicConfigManager.selectTopicConfig('HaJavaTopic')?.readQueueNums === 3 &&
        slave.subscriptionGroupManager.findSubscriptionGroupConfig('HaJavaGroup')?.retryMaxTimes === 7 &&
        slave.consumerOffsetManager.queryOffset('HaJavaGroup', 'HaJavaTopic', 2) === 9 &&
        slave.messageRequestModeManager.getMessageRequestMode('HaJavaTopic', 'HaJavaGroup')?.mode === 'POP',
      12_000,
      "the Java master's metadata on our slave",
    );
    const took = Date.now() - begin;
    assert.ok(took <= 11_000, `synced in ${took} ms`);

    // The Java tables and versions round-trip: what the master answers now is what the slave holds.
    const topics = await client.invokeSync(master.addr, RemotingCommand.createRequestCommand(RequestCode.GET_ALL_TOPIC_CONFIG), 5000);
    const javaVersion = (JSON.parse(topics.body?.toString('utf8') ?? '{}') as { dataVersion?: { counter?: number; timestamp?: number } }).dataVersion;
    assert.equal(slave.topicConfigManager.getDataVersion().counter, javaVersion?.counter);
    assert.equal(slave.topicConfigManager.getDataVersion().timestamp, javaVersion?.timestamp);
    // 45: the Java master's delay levels (18 with its default messageDelayLevel) are the slave's.
    const delay = await client.invokeSync(master.addr, RemotingCommand.createRequestCommand(RequestCode.GET_ALL_DELAY_OFFSET), 5000);
    const javaLevels = Object.keys((JSON.parse(delay.body?.toString('utf8') ?? '{}') as { offsetTable?: Record<string, number> }).offsetTable ?? {});
    const ourLevels = Object.keys((JSON.parse(slave.scheduleMessageService.encode()) as { offsetTable?: Record<string, number> }).offsetTable ?? {});
    assert.deepEqual(ourLevels.sort(), javaLevels.sort());
  });
});

describe('a Java 5.3.3 push consumer reads from our slave while our master is down', { skip, timeout: 5 * 60_000 }, () => {
  const topic = 'HaJavaReadTopic';
  const count = 30;
  let dir: string;
  let namesrv: NamesrvController;
  let namesrvAddr: string;
  let master: BrokerController;
  let slave: BrokerController;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-ha-serving-java-read-'));
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    const masterPort = await freeBrokerPort();
    const small = { mappedFileSizeCommitLog: 1024 * 1024, mappedFileSizeConsumeQueue: 1000 * 20 };
    const startMaster = (): Promise<BrokerController> => startTestBroker(join(dir, 'master'), namesrvAddr, { broker: { brokerName: 'ha-ts', listenPort: masterPort }, store: small });
    master = await startMaster();
    const client = new RemotingClient();
    await client.start();
    const header = { topic, defaultTopic: 'TBW102', readQueueNums: 4, writeQueueNums: 4, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false };
    assert.equal((await client.invokeSync(master.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.UPDATE_AND_CREATE_TOPIC, header), 3000)).code, ResponseCode.SUCCESS);
    await client.shutdown();
    const producer = new Producer({ nameServer: namesrvAddr, group: 'HaJavaReadPG', clientIP: '127.0.0.1', clientManager: new MQClientManager() });
    await producer.start();
    for (let i = 0; i < count; i++) await producer.send({ topic, body: `j${i}`, keys: [`key-${i}`] });
    await producer.shutdown();
    await master.shutdown();
    await cp(join(dir, 'master', 'broker'), join(dir, 'slave', 'broker'), { recursive: true });
    master = await startMaster();
    slave = await startTestBroker(join(dir, 'slave'), namesrvAddr, { broker: { brokerName: 'ha-ts', brokerRole: 'SLAVE', brokerId: 1 }, store: small });
    // The master goes away; the route keeps the group with its slave.
    await master.shutdown();
  });

  after(async () => {
    await slave?.shutdown();
    await namesrv?.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it('gets every message from the slave (slaveReadEnable=false: served as 4.9 serves it)', async () => {
    const { classpath } = await buildInterop('5.3.3');
    const consumer = await startJava({
      mainClass: 'io.rocketmqts.interop.ConsumerDriver',
      args: ['--namesrv', namesrvAddr, '--topic', topic, '--group', 'HaJavaReadCG', '--expect', String(count), '--timeout-ms', '90000'],
      classpath,
      readyLine: /^READY$/,
    });
    const finished = await consumer.waitForLine(/^(DONE|TIMEOUT) \d+$/, 120_000);
    await consumer.exit;
    const keys = consumer.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => (JSON.parse(line) as { key: string }).key);
    assert.match(finished, /^DONE/);
    assert.equal(new Set(keys).size, count);
    assert.equal(keys.length - new Set(keys).size, 0, 'duplicates');
    assert.ok(slave.brokerStatsManager.getStatsItem('GROUP_GET_NUMS', `${topic}@HaJavaReadCG`) !== undefined, 'the slave served the pulls');
  });
});
