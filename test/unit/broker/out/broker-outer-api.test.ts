/**
 * BrokerOuterAPI over loopback: registration with two of our name servers at once (master, slave, one down,
 * both body encodings, unregister, data-version checks, heartbeats), and the slave-sync calls against a small
 * server answering with the bodies Java brokers send.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { BrokerOuterAPI, brokerVIPChannel, type RegisterBrokerAllRequest } from '../../../../src/broker/out/index.js';
import { MQBrokerError, RemotingConnectError } from '../../../../src/common/errors.js';
import type { Logger } from '../../../../src/common/logger.js';
import { defaultTopicConfig, type DataVersion, type TopicConfigSerializeWrapper } from '../../../../src/protocol/bodies/index.js';
import { NamesrvController, NAMESPACE_ORDER_TOPIC_CONFIG, defaultNamesrvConfig } from '../../../../src/namesrv/index.js';
import { RemotingCommand, RemotingServer, RequestCode, ResponseCode, type RemotingCommandInit } from '../../../../src/index.js';
import { freePort } from '../../../helpers/java.js';
import { waitFor } from '../../../helpers/wait.js';

interface Recorded {
  level: keyof Logger;
  message: string;
}

function recordingLogger(): { logger: Logger; records: Recorded[] } {
  const records: Recorded[] = [];
  const at =
    (level: keyof Logger) =>
    (message: string): void =>
      void records.push({ level, message });
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, records };
}

function wrapper(counter: number, ...topics: string[]): TopicConfigSerializeWrapper {
  return {
    dataVersion: { stateVersion: 0, timestamp: 1_700_000_000_000, counter },
    topicConfigTable: new Map(topics.map((t) => [t, { ...defaultTopicConfig(t), readQueueNums: 4, writeQueueNums: 4 }])),
  };
}

function registration(overrides: Partial<RegisterBrokerAllRequest> = {}): RegisterBrokerAllRequest {
  return {
    clusterName: 'ClusterA',
    brokerAddr: '10.0.0.1:10911',
    brokerName: 'broker-a',
    brokerId: 0,
    haServerAddr: '10.0.0.1:10912',
    topicConfigWrapper: wrapper(1, 'TopicA', 'TopicB'),
    timeoutMills: 3000,
    ...overrides,
  };
}

describe('BrokerOuterAPI with two of our name servers', () => {
  let dir: string;
  let namesrvs: NamesrvController[];
  let addrs: string[];
  let api: BrokerOuterAPI;
  let log: ReturnType<typeof recordingLogger>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-outer-api-'));
    namesrvs = [0, 1].map(
      (i) => new NamesrvController({ ...defaultNamesrvConfig(join(dir, String(i))), listenPort: 0, bindAddress: '127.0.0.1' }),
    );
    await Promise.all(namesrvs.map((n) => n.start()));
    addrs = namesrvs.map((n) => `127.0.0.1:${n.port}`);
  });

  after(async () => {
    await Promise.all(namesrvs.map((n) => n.shutdown()));
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    log = recordingLogger();
    api = new BrokerOuterAPI({ logger: log.logger });
    await api.start();
    api.updateNameServerAddressList(addrs.join(';'));
  });

  afterEach(async () => {
    await api.unregisterBrokerAll('ClusterA', '10.0.0.1:10911', 'broker-a', 0);
    await api.unregisterBrokerAll('ClusterA', '10.0.0.2:10911', 'broker-a', 1);
    await api.shutdown();
  });

  it('takes "host:port;host:port" as Java does', () => {
    assert.deepEqual(api.getNameServerAddressList().sort(), [...addrs].sort());
  });

  for (const compressed of [false, true]) {
    it(`registers a master with every name server (${compressed ? 'compressed' : 'JSON'} body); unregister removes it`, async () => {
      const results = await api.registerBrokerAll(registration({ compressed }));
      assert.equal(results.length, 2);
      for (const result of results) {
        assert.equal(result.masterAddr, undefined);
        assert.equal(result.haServerAddr, undefined);
      }
      for (const namesrv of namesrvs) {
        const route = namesrv.routeInfoManager.pickupTopicRouteData('TopicB');
        assert.ok(route !== null, 'the name server routes the topic');
        assert.deepEqual(route.queueDatas, [{ brokerName: 'broker-a', readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 }]);
        assert.deepEqual([...(route.brokerDatas[0]?.brokerAddrs ?? [])], [[0, '10.0.0.1:10911']]);
        assert.deepEqual(namesrv.routeInfoManager.queryBrokerTopicConfig('ClusterA', '10.0.0.1:10911'), wrapper(1).dataVersion);
      }
      await api.unregisterBrokerAll('ClusterA', '10.0.0.1:10911', 'broker-a', 0);
      for (const namesrv of namesrvs) assert.equal(namesrv.routeInfoManager.pickupTopicRouteData('TopicB'), null);
    });
  }

  it('gives a slave its master and HA addresses, and the order-topic KV table', async () => {
    await namesrvs[0]?.kvConfigManager.putKVConfig(NAMESPACE_ORDER_TOPIC_CONFIG, 'TopicA', 'broker-a:4');
    try {
      await api.registerBrokerAll(registration());
      const results = await api.registerBrokerAll(
        registration({ brokerAddr: '10.0.0.2:10911', brokerId: 1, haServerAddr: '10.0.0.2:10912' }),
      );
      assert.equal(results.length, 2);
      for (const result of results) {
        assert.equal(result.masterAddr, '10.0.0.1:10911');
        assert.equal(result.haServerAddr, '10.0.0.1:10912');
      }
      const kvTables = results.map((r) => r.kvTable?.get('TopicA'));
      assert.deepEqual(kvTables.sort(), ['broker-a:4', undefined]);
      const route = namesrvs[1]?.routeInfoManager.pickupTopicRouteData('TopicA');
      assert.deepEqual([...(route?.brokerDatas[0]?.brokerAddrs ?? [])].sort(), [
        [0, '10.0.0.1:10911'],
        [1, '10.0.0.2:10911'],
      ]);
    } finally {
      await namesrvs[0]?.kvConfigManager.deleteKVConfig(NAMESPACE_ORDER_TOPIC_CONFIG, 'TopicA');
    }
  });

  it('registers with the name servers that are up when one is down, and logs the other', async () => {
    const down = `127.0.0.1:${await freePort()}`;
    api.updateNameServerAddressList(`${addrs[0]};${down}`);
    const results = await api.registerBrokerAll(registration());
    assert.equal(results.length, 1);
    assert.ok(namesrvs[0]?.routeInfoManager.pickupTopicRouteData('TopicA') !== null);
    assert.ok(log.records.some((r) => r.level === 'error' && r.message.includes(down)), 'the failure is logged');
  });

  it('resolves at the deadline with the answers in by then', async () => {
    // A server that reads requests and never answers stands in for a hung name server.
    const silent = new RemotingServer({ listenPort: 0, bindAddress: '127.0.0.1' });
    silent.registerProcessor(RequestCode.REGISTER_BROKER, { processRequest: () => null });
    await silent.start();
    try {
      api.updateNameServerAddressList(`${addrs[0]};127.0.0.1:${silent.port}`);
      const started = Date.now();
      const results = await api.registerBrokerAll(registration({ timeoutMills: 500 }));
      assert.ok(Date.now() - started < 2000);
      assert.equal(results.length, 1);
    } finally {
      await silent.shutdown();
    }
  });

  it('registers oneway: no results, yet every name server learns the broker', async () => {
    const results = await api.registerBrokerAll(registration({ oneway: true }));
    assert.deepEqual(results, []);
    await waitFor(() => namesrvs.every((n) => n.routeInfoManager.pickupTopicRouteData('TopicA') !== null), 3000, 'oneway registration');
  });

  it('needRegister: false while every name server has our DataVersion, true once it differs or one fails', async () => {
    const broker = { clusterName: 'ClusterA', brokerAddr: '10.0.0.1:10911', brokerName: 'broker-a', brokerId: 0 };
    await api.registerBrokerAll(registration());
    const same: DataVersion = wrapper(1).dataVersion;
    assert.equal(await api.needRegister(broker, same, 3000), false);
    assert.equal(await api.needRegister(broker, { ...same, counter: 2 }, 3000), true);
    api.updateNameServerAddressList(`${addrs.join(';')};127.0.0.1:${await freePort()}`);
    assert.equal(await api.needRegister(broker, same, 3000), true, 'an unreachable name server means: register');
  });

  it('keeps the broker alive with heartbeats (BROKER_HEARTBEAT and the DataVersion form)', async () => {
    await api.registerBrokerAll(registration());
    const broker = { clusterName: 'ClusterA', brokerAddr: '10.0.0.1:10911', brokerName: 'broker-a', brokerId: 0 };
    const before = namesrvs.map((n) => n.routeInfoManager.brokerLiveInfo('ClusterA', '10.0.0.1:10911')?.lastUpdateTimestamp ?? 0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await api.sendHeartbeat(broker, 3000);
    await waitFor(
      () => namesrvs.every((n, i) => (n.routeInfoManager.brokerLiveInfo('ClusterA', '10.0.0.1:10911')?.lastUpdateTimestamp ?? 0) > (before[i] ?? 0)),
      3000,
      'BROKER_HEARTBEAT',
    );
    const mid = namesrvs.map((n) => n.routeInfoManager.brokerLiveInfo('ClusterA', '10.0.0.1:10911')?.lastUpdateTimestamp ?? 0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await api.sendHeartbeatViaDataVersion(broker, wrapper(1).dataVersion, 3000);
    await waitFor(
      () => namesrvs.every((n, i) => (n.routeInfoManager.brokerLiveInfo('ClusterA', '10.0.0.1:10911')?.lastUpdateTimestamp ?? 0) > (mid[i] ?? 0)),
      3000,
      'QUERY_DATA_VERSION heartbeat',
    );
  });

  it('unregisters from the name servers that are up, logging the others', async () => {
    await api.registerBrokerAll(registration());
    const down = `127.0.0.1:${await freePort()}`;
    api.updateNameServerAddressList(`${addrs.join(';')};${down}`);
    await api.unregisterBrokerAll('ClusterA', '10.0.0.1:10911', 'broker-a', 0);
    for (const namesrv of namesrvs) assert.equal(namesrv.routeInfoManager.pickupTopicRouteData('TopicA'), null);
    assert.ok(log.records.some((r) => r.level === 'warn' && r.message.includes(down)));
  });

  it('runs the RPC hook it was given around every call (where an ACL hook would sign them)', async () => {
    const codes: number[] = [];
    const hooked = new BrokerOuterAPI({
      rpcHook: { doBeforeRequest: (_addr, request) => void codes.push(request.code), doAfterResponse: () => undefined },
    });
    await hooked.start();
    try {
      hooked.updateNameServerAddressList(addrs.join(';'));
      assert.equal((await hooked.registerBrokerAll(registration())).length, 2);
      assert.deepEqual(codes, [RequestCode.REGISTER_BROKER, RequestCode.REGISTER_BROKER]);
    } finally {
      await hooked.shutdown();
    }
  });

  it('with no name server configured, registers nowhere', async () => {
    const lonely = new BrokerOuterAPI();
    await lonely.start();
    try {
      assert.deepEqual(await lonely.registerBrokerAll(registration()), []);
      assert.equal(await lonely.needRegister({ clusterName: 'C', brokerAddr: 'a:1', brokerName: 'b', brokerId: 0 }, wrapper(1).dataVersion, 100), false);
    } finally {
      await lonely.shutdown();
    }
  });
});

// The bodies a Java master answers with, as captured from Apache RocketMQ brokers (fastjson 1.2.x).
const TOPIC_CONFIG_5_3_3 =
  '{"dataVersion":{"counter":1,"stateVersion":0,"timestamp":1795274601798},' +
  '"mappingDataVersion":{"counter":0,"stateVersion":0,"timestamp":1795274597619},"topicConfigTable":{' +
  '"CapTopic":{"attributes":{},"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"CapTopic","topicSysFlag":0,"writeQueueNums":4},' +
  '"TBW102":{"attributes":{},"order":false,"perm":7,"readQueueNums":8,"topicFilterType":"SINGLE_TAG","topicName":"TBW102","topicSysFlag":0,"writeQueueNums":8}},' +
  '"topicQueueMappingDetailMap":{},"topicQueueMappingInfoMap":{}}';
const CONSUMER_OFFSET_4_9_8 = '{"offsetTable":{"CapTopic@CapGroup":{0:7,1:42}}}';
const DELAY_OFFSET_5_3_3 = '{"dataVersion":{"counter":0,"stateVersion":0,"timestamp":1795274597788},"offsetTable":{3:1}}';
const SUBSCRIPTION_GROUP_5_3_3 =
  '{"dataVersion":{"counter":0,"stateVersion":0,"timestamp":1795274597618},"forbiddenTable":{},"subscriptionGroupTable":{' +
  '"TOOLS_CONSUMER":{"attributes":{},"brokerId":0,"consumeBroadcastEnable":true,"consumeEnable":true,"consumeFromMinEnable":true,' +
  '"consumeMessageOrderly":false,"consumeTimeoutMinute":15,"groupName":"TOOLS_CONSUMER","groupRetryPolicy":{"type":"CUSTOMIZED"},' +
  '"groupSysFlag":0,"notifyConsumerIdsChangedEnable":true,"retryMaxTimes":16,"retryQueueNums":1,"whichBrokerWhenConsumeSlowly":1}}}';

describe('BrokerOuterAPI slave sync against a master', () => {
  let master: RemotingServer;
  let fast: RemotingServer;
  let masterAddr: string;
  let api: BrokerOuterAPI;
  const answers = new Map<number, RemotingCommandInit>();

  function serve(server: RemotingServer): void {
    for (const code of [
      RequestCode.GET_ALL_TOPIC_CONFIG,
      RequestCode.GET_ALL_CONSUMER_OFFSET,
      RequestCode.GET_ALL_DELAY_OFFSET,
      RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG,
    ]) {
      server.registerProcessor(code, {
        processRequest(_ctx, request) {
          const answer = answers.get(request.code);
          const response = RemotingCommand.createResponseCommand(answer?.code ?? ResponseCode.SYSTEM_ERROR, answer?.remark);
          response.body = answer?.body;
          return response;
        },
      });
    }
  }

  before(async () => {
    // The master's ports P (clients) and P-2 (the fast channel the Java slave reads topic configs from).
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      fast = new RemotingServer({ listenPort: port - 2, bindAddress: '127.0.0.1' });
      master = new RemotingServer({ listenPort: port, bindAddress: '127.0.0.1' });
      try {
        await fast.start();
        await master.start();
        break;
      } catch (err) {
        await fast.shutdown();
        await master.shutdown();
        if (attempt > 20) throw err;
      }
    }
    serve(master);
    serve(fast);
    masterAddr = `127.0.0.1:${master.port}`;
    api = new BrokerOuterAPI();
    await api.start();
  });

  after(async () => {
    await api.shutdown();
    await master.shutdown();
    await fast.shutdown();
  });

  beforeEach(() => answers.clear());

  it('getAllTopicConfig reads the 5.x wrapper over the fast port (listenPort - 2), as the Java slave does', async () => {
    answers.set(RequestCode.GET_ALL_TOPIC_CONFIG, { code: ResponseCode.SUCCESS, body: Buffer.from(TOPIC_CONFIG_5_3_3) });
    assert.equal(brokerVIPChannel(masterAddr), `127.0.0.1:${fast.port}`);
    const wrapper = await api.getAllTopicConfig(masterAddr);
    assert.deepEqual(wrapper.dataVersion, { stateVersion: 0, timestamp: 1795274601798, counter: 1 });
    assert.deepEqual([...wrapper.topicConfigTable.keys()], ['CapTopic', 'TBW102']);
    assert.equal(wrapper.topicConfigTable.get('TBW102')?.perm, 7);
    assert.ok(api.remotingClient.isChannelActive(`127.0.0.1:${fast.port}`));
  });

  it('getAllConsumerOffset reads unquoted queue ids', async () => {
    answers.set(RequestCode.GET_ALL_CONSUMER_OFFSET, { code: ResponseCode.SUCCESS, body: Buffer.from(CONSUMER_OFFSET_4_9_8) });
    const offsets = await api.getAllConsumerOffset(masterAddr);
    assert.deepEqual([...(offsets.offsetTable.get('CapTopic@CapGroup') ?? [])], [
      [0, 7],
      [1, 42],
    ]);
    assert.equal(offsets.dataVersion, undefined);
  });

  it('getAllDelayOffset returns the JSON text as sent', async () => {
    answers.set(RequestCode.GET_ALL_DELAY_OFFSET, { code: ResponseCode.SUCCESS, body: Buffer.from(DELAY_OFFSET_5_3_3) });
    assert.equal(await api.getAllDelayOffset(masterAddr), DELAY_OFFSET_5_3_3);
  });

  it('getAllSubscriptionGroupConfig reads the 5.x manager form', async () => {
    answers.set(RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG, { code: ResponseCode.SUCCESS, body: Buffer.from(SUBSCRIPTION_GROUP_5_3_3) });
    const groups = await api.getAllSubscriptionGroupConfig(masterAddr);
    assert.equal(groups.subscriptionGroupTable.get('TOOLS_CONSUMER')?.retryMaxTimes, 16);
    assert.deepEqual(groups.forbiddenTable, new Map());
  });

  it('a non-SUCCESS answer raises MQBrokerError with the code, remark and master address', async () => {
    answers.set(RequestCode.GET_ALL_CONSUMER_OFFSET, { code: ResponseCode.SYSTEM_ERROR, remark: 'No consumer offset in this broker' });
    answers.set(RequestCode.GET_ALL_TOPIC_CONFIG, { code: ResponseCode.NO_PERMISSION, remark: 'denied' });
    await assert.rejects(api.getAllConsumerOffset(masterAddr), (err: unknown) => {
      assert.ok(err instanceof MQBrokerError);
      assert.equal(err.responseCode, ResponseCode.SYSTEM_ERROR);
      assert.equal(err.remark, 'No consumer offset in this broker');
      assert.equal(err.addr, masterAddr);
      assert.equal(err.retriable, true);
      assert.equal(err.message, `CODE: 1  DESC: No consumer offset in this broker BROKER: ${masterAddr}`);
      return true;
    });
    // The address reported is the one asked for, not its fast port.
    await assert.rejects(api.getAllTopicConfig(masterAddr), { name: 'MQBrokerError', responseCode: 16, addr: masterAddr });
    await assert.rejects(api.getAllDelayOffset(masterAddr), { name: 'MQBrokerError', responseCode: ResponseCode.SYSTEM_ERROR });
  });

  it('an unreachable master is a RemotingConnectError', async () => {
    await assert.rejects(api.getAllSubscriptionGroupConfig(`127.0.0.1:${await freePort()}`), RemotingConnectError);
  });

  it('without the VIP channel, topic configs come from the address as given', async () => {
    answers.set(RequestCode.GET_ALL_TOPIC_CONFIG, { code: ResponseCode.SUCCESS, body: Buffer.from(TOPIC_CONFIG_5_3_3) });
    const direct = new BrokerOuterAPI({ vipChannelEnabled: false });
    await direct.start();
    try {
      await direct.getAllTopicConfig(masterAddr);
      assert.ok(direct.remotingClient.isChannelActive(masterAddr));
      assert.ok(!direct.remotingClient.isChannelActive(`127.0.0.1:${fast.port}`));
    } finally {
      await direct.shutdown();
    }
  });
});

describe('MQBrokerError', () => {
  it('is retriable for the codes the Java producer retries, and not for others', () => {
    for (const code of [1, 2, 14, 16, 17, 204, 205, 1500]) assert.equal(new MQBrokerError(code, 'x').retriable, true, String(code));
    for (const code of [3, 13, 15, 26, 208]) assert.equal(new MQBrokerError(code, 'x').retriable, false, String(code));
    const err = new MQBrokerError(2, undefined);
    assert.equal(err.message, 'CODE: 2  DESC: null');
    assert.equal(err.code, 'MQ_BROKER');
    assert.equal(err.addr, undefined);
  });
});
