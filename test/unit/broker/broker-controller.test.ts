import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultBrokerConfig, type BrokerConfig } from '../../../src/broker/broker-config.js';
import { BrokerController } from '../../../src/broker/broker-controller.js';
import { defaultNamesrvConfig } from '../../../src/namesrv/config.js';
import { NamesrvController } from '../../../src/namesrv/name-server.js';
import { decodeConsumerListByGroup } from '../../../src/protocol/bodies/consumer-list-by-group.js';
import { decodeConsumerOffsetSerializeWrapper } from '../../../src/protocol/bodies/consumer-offset-serialize-wrapper.js';
import { encodeHeartbeatData, type HeartbeatData } from '../../../src/protocol/bodies/heartbeat-data.js';
import {
  decodeClusterInfo,
  decodeKVTable,
  decodeSubscriptionGroupWrapper,
  decodeTopicConfigSerializeWrapper,
  decodeTopicRouteData,
  defaultSubscriptionGroupConfig,
  encodeSubscriptionGroupConfig,
} from '../../../src/protocol/bodies/index.js';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode, type CustomHeader, type SerializeTypeName } from '../../../src/index.js';
import { deferred, waitFor } from '../../helpers/wait.js';
import { FakeMessageStore, MemoryConfigStore } from './support.js';

interface Harness {
  namesrv: NamesrvController;
  broker: BrokerController;
  configStore: MemoryConfigStore;
  messageStore: FakeMessageStore;
  client: RemotingClient;
  addr: string;
  call(code: number, header?: CustomHeader, body?: Buffer, addr?: string): Promise<RemotingCommand>;
  namesrvCall(code: number, header?: CustomHeader): Promise<RemotingCommand>;
}

function brokerConfig(namesrvPort: number, over: Partial<BrokerConfig> = {}): BrokerConfig {
  return {
    ...defaultBrokerConfig('/nonexistent'),
    brokerClusterName: 'TestCluster',
    brokerName: 'broker-t',
    brokerIP1: '127.0.0.1',
    brokerIP2: '127.0.0.1',
    bindAddress: '127.0.0.1',
    listenPort: 0,
    namesrvAddr: `127.0.0.1:${namesrvPort}`,
    ...over,
  };
}

async function startHarness(serializeType: SerializeTypeName): Promise<Harness> {
  const namesrv = new NamesrvController({ ...defaultNamesrvConfig('/nonexistent-namesrv'), listenPort: 0, bindAddress: '127.0.0.1' });
  await namesrv.start();
  const configStore = new MemoryConfigStore();
  const messageStore = new FakeMessageStore();
  const broker = new BrokerController(brokerConfig(namesrv.port), { configStore, messageStore });
  await broker.start();
  const client = new RemotingClient({ serializeType });
  await client.start();
  const addr = `127.0.0.1:${broker.port}`;
  return {
    namesrv,
    broker,
    configStore,
    messageStore,
    client,
    addr,
    call: (code, header, body, target = addr) => client.invokeSync(target, RemotingCommand.createRequestCommand(code, header, body), 3000),
    namesrvCall: (code, header) => client.invokeSync(`127.0.0.1:${namesrv.port}`, RemotingCommand.createRequestCommand(code, header), 3000),
  };
}

async function stopHarness(h: Harness): Promise<void> {
  await h.client.shutdown();
  await h.broker.shutdown();
  await h.namesrv.shutdown();
}

function heartbeat(clientID: string, consumerGroups: string[], producerGroups: string[] = []): Buffer {
  const data: HeartbeatData = {
    clientID,
    producerDataSet: producerGroups.map((groupName) => ({ groupName })),
    consumerDataSet: consumerGroups.map((groupName) => ({
      groupName,
      consumeType: 'CONSUME_PASSIVELY',
      messageModel: 'CLUSTERING',
      consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET',
      subscriptionDataSet: [{ topic: 'TopicA', subString: '*', tagsSet: [], codeSet: [], subVersion: 1, expressionType: 'TAG', classFilterMode: false }],
      unitMode: false,
    })),
    heartbeatFingerprint: 0,
    withoutSub: false,
  };
  return encodeHeartbeatData(data);
}

const createTopicHeader = (topic: string, over: Record<string, string | number | boolean> = {}): CustomHeader => ({
  topic,
  defaultTopic: 'TBW102',
  readQueueNums: 4,
  writeQueueNums: 4,
  perm: 6,
  topicFilterType: 'SINGLE_TAG',
  topicSysFlag: 0,
  order: false,
  ...over,
});

for (const serializeType of ['JSON', 'ROCKETMQ'] as const) {
  describe(`BrokerController over loopback (${serializeType} headers)`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(serializeType);
    });
    after(async () => {
      await stopHarness(h);
    });

    it('registers with the name server at start: the broker is in the cluster and its topics are routed', async () => {
      const info = decodeClusterInfo((await h.namesrvCall(RequestCode.GET_BROKER_CLUSTER_INFO)).body);
      assert.deepEqual([...(info.clusterAddrTable.get('TestCluster') ?? [])], ['broker-t']);
      assert.equal(info.brokerAddrTable.get('broker-t')?.brokerAddrs.get(0), h.broker.brokerAddr);
      const route = await h.namesrvCall(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'TBW102' });
      assert.equal(route.code, ResponseCode.SUCCESS);
      assert.equal(decodeTopicRouteData(route.body).queueDatas[0]?.perm, 7);
    });

    it('UPDATE_AND_CREATE_TOPIC validates as Java, and a created topic is routable when the call returns', async () => {
      const bad = await h.call(RequestCode.UPDATE_AND_CREATE_TOPIC, createTopicHeader('bad topic'));
      assert.deepEqual([bad.code, bad.remark], [ResponseCode.INVALID_PARAMETER, 'The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$']);
      const system = await h.call(RequestCode.UPDATE_AND_CREATE_TOPIC, createTopicHeader('SELF_TEST_TOPIC'));
      assert.deepEqual([system.code, system.remark], [ResponseCode.INVALID_PARAMETER, 'The topic[SELF_TEST_TOPIC] is conflict with system topic.']);
      const missing = await h.call(RequestCode.UPDATE_AND_CREATE_TOPIC, { topic: 'X' });
      assert.equal(missing.code, ResponseCode.SYSTEM_ERROR);
      assert.match(missing.remark ?? '', /'defaultTopic' is missing/);
      const created = await h.call(RequestCode.UPDATE_AND_CREATE_TOPIC, createTopicHeader('NewTopic', { attributes: '+message.type=NORMAL' }));
      assert.equal(created.code, ResponseCode.SUCCESS);
      const route = decodeTopicRouteData((await h.namesrvCall(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'NewTopic' })).body);
      assert.deepEqual([route.queueDatas[0]?.readQueueNums, route.brokerDatas[0]?.brokerAddrs.get(0)], [4, h.broker.brokerAddr]);
      const version = h.broker.topicConfigManager.getDataVersion().counter;
      assert.equal((await h.call(RequestCode.UPDATE_AND_CREATE_TOPIC, createTopicHeader('NewTopic', { attributes: '+message.type=NORMAL' }))).code, ResponseCode.SUCCESS);
      assert.equal(h.broker.topicConfigManager.getDataVersion().counter, version, 'an unchanged topic keeps its DataVersion');
      const all = decodeTopicConfigSerializeWrapper((await h.call(RequestCode.GET_ALL_TOPIC_CONFIG)).body);
      assert.equal(all.topicConfigTable.get('NewTopic')?.attributes?.get('message.type'), 'NORMAL');
      assert.ok(h.configStore.files.get('topics.json')?.includes('"NewTopic"'));
    });

    it('DELETE_TOPIC_IN_BROKER drops the topic, its offsets and its store files; system topics are refused', async () => {
      assert.equal((await h.call(RequestCode.UPDATE_AND_CREATE_TOPIC, createTopicHeader('Doomed'))).code, ResponseCode.SUCCESS);
      h.broker.consumerOffsetManager.commitOffset('x', 'G', 'Doomed', 0, 9);
      assert.equal((await h.call(RequestCode.DELETE_TOPIC_IN_BROKER, { topic: 'Doomed' })).code, ResponseCode.SUCCESS);
      assert.equal(h.broker.topicConfigManager.containsTopic('Doomed'), false);
      assert.equal(h.broker.consumerOffsetManager.queryOffset('G', 'Doomed', 0), -1);
      assert.ok(h.messageStore.deleted.includes('Doomed'));
      const refused = await h.call(RequestCode.DELETE_TOPIC_IN_BROKER, { topic: 'TBW102' });
      assert.equal(refused.code, ResponseCode.INVALID_PARAMETER);
    });

    it('HEART_BEAT registers groups; a second consumer joining sends NOTIFY_CONSUMER_IDS_CHANGED to the first; closing it cleans up', async () => {
      const notified: string[] = [];
      let onNotify = deferred();
      const first = new RemotingClient({ serializeType });
      first.registerProcessor(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, {
        processRequest(_ctx, request) {
          notified.push(request.extFields?.['consumerGroup'] ?? '?');
          onNotify.resolve();
          return null;
        },
      });
      const second = new RemotingClient({ serializeType });
      await first.start();
      await second.start();
      try {
        const beat = (client: RemotingClient, id: string): Promise<RemotingCommand> =>
          client.invokeSync(h.addr, RemotingCommand.createRequestCommand(RequestCode.HEART_BEAT, undefined, heartbeat(id, ['CG'], ['PG'])), 3000);
        const response = await beat(first, '10.0.0.1@1');
        assert.equal(response.code, ResponseCode.SUCCESS);
        assert.deepEqual(response.extFields, { IS_SUPPORT_HEART_BEAT_V2: 'true', IS_SUB_CHANGE: 'true' });
        await onNotify.promise;
        onNotify = deferred();
        assert.deepEqual(decodeConsumerListByGroup((await h.call(RequestCode.GET_CONSUMER_LIST_BY_GROUP, { consumerGroup: 'CG' })).body), ['10.0.0.1@1']);
        assert.ok(h.broker.topicConfigManager.containsTopic('%RETRY%CG'), 'the retry topic is created');
        const groups = decodeSubscriptionGroupWrapper((await h.call(RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG)).body);
        assert.ok(groups.subscriptionGroupTable.has('CG'), 'the group is auto-created');
        assert.ok(h.broker.producerManager.groupOnline('PG'));

        await beat(second, '10.0.0.2@2');
        await onNotify.promise;
        onNotify = deferred();
        assert.deepEqual(notified, ['CG', 'CG']);
        const ids = decodeConsumerListByGroup((await h.call(RequestCode.GET_CONSUMER_LIST_BY_GROUP, { consumerGroup: 'CG' })).body);
        assert.deepEqual(ids.sort(), ['10.0.0.1@1', '10.0.0.2@2']);

        await second.shutdown();
        await onNotify.promise;
        await waitFor(() => h.broker.consumerManager.getConsumerGroupInfo('CG')?.getAllClientId().length === 1, 5000, 'housekeeping');
        const unregister = await first.invokeSync(
          h.addr,
          RemotingCommand.createRequestCommand(RequestCode.UNREGISTER_CLIENT, { clientID: '10.0.0.1@1', consumerGroup: 'CG', producerGroup: 'PG' }),
          3000,
        );
        assert.equal(unregister.code, ResponseCode.SUCCESS);
        const none = await h.call(RequestCode.GET_CONSUMER_LIST_BY_GROUP, { consumerGroup: 'CG' });
        assert.deepEqual([none.code, none.remark], [ResponseCode.SYSTEM_ERROR, 'no consumer for this group, CG']);
        assert.equal(h.broker.producerManager.groupOnline('PG'), false);
      } finally {
        await first.shutdown();
        await second.shutdown();
      }
    });

    it('heartbeat V2: a fingerprint may come without subscriptions; IS_SUB_CHANGE says when it moved', async () => {
      const v2 = (fingerprint: number, withoutSub: boolean): Promise<RemotingCommand> => {
        const body = JSON.parse(heartbeat('10.0.0.9@9', ['V2G']).toString()) as Record<string, unknown>;
        body['heartbeatFingerprint'] = fingerprint;
        body['withoutSub'] = withoutSub;
        return h.call(RequestCode.HEART_BEAT, undefined, Buffer.from(JSON.stringify(body)));
      };
      assert.equal((await v2(11, false)).extFields?.['IS_SUB_CHANGE'], 'false');
      assert.equal((await v2(11, true)).extFields?.['IS_SUB_CHANGE'], 'false');
      assert.ok(h.broker.consumerManager.findSubscriptionData('V2G', 'TopicA'), 'subscriptions kept from the full heartbeat');
      assert.equal((await v2(12, true)).extFields?.['IS_SUB_CHANGE'], 'true', 'asks for a full heartbeat');
      const bad = await h.call(RequestCode.HEART_BEAT, undefined, Buffer.from('{"consumerDataSet":[{"groupName":"G","messageModel":"SIDEWAYS"}]}'));
      assert.equal(bad.code, ResponseCode.SYSTEM_ERROR);
      assert.match(bad.remark ?? '', /messageModel: unknown value/);
    });

    it('QUERY_CONSUMER_OFFSET / UPDATE_CONSUMER_OFFSET / GET_ALL_CONSUMER_OFFSET follow Java, including the offset-0 rule', async () => {
      await h.call(RequestCode.UPDATE_AND_CREATE_TOPIC, createTopicHeader('OffsetTopic'));
      h.broker.subscriptionGroupManager.findSubscriptionGroupConfig('OG');
      const query = (over: Record<string, string | number | boolean> = {}): Promise<RemotingCommand> =>
        h.call(RequestCode.QUERY_CONSUMER_OFFSET, { consumerGroup: 'OG', topic: 'OffsetTopic', queueId: 1, ...over });
      const notFound = await query();
      assert.deepEqual([notFound.code, notFound.remark], [ResponseCode.QUERY_NOT_FOUND, 'Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first']);
      h.messageStore.headInMemory = true;
      const zero = await query();
      assert.deepEqual([zero.code, zero.extFields?.['offset']], [ResponseCode.SUCCESS, '0']);
      assert.equal((await query({ setZeroIfNotFound: false })).code, ResponseCode.QUERY_NOT_FOUND);
      h.messageStore.minOffset = 5;
      assert.equal((await query()).code, ResponseCode.QUERY_NOT_FOUND, 'the queue no longer starts at 0');
      const update = (group: string, topic: string): Promise<RemotingCommand> =>
        h.call(RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: group, topic, queueId: 1, commitOffset: 42 });
      const noGroup = await update('NoSuchGroup', 'OffsetTopic');
      assert.deepEqual([noGroup.code, noGroup.remark], [ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, 'Group NoSuchGroup not exist!']);
      const noTopic = await update('OG', 'NoSuchTopic');
      assert.deepEqual([noTopic.code, noTopic.remark], [ResponseCode.TOPIC_NOT_EXIST, 'Topic NoSuchTopic not exist!']);
      assert.equal((await update('OG', 'OffsetTopic')).code, ResponseCode.SUCCESS);
      const found = await query();
      assert.deepEqual([found.code, found.extFields?.['offset']], [ResponseCode.SUCCESS, '42']);
      const all = await h.call(RequestCode.GET_ALL_CONSUMER_OFFSET);
      assert.match(all.body?.toString() ?? '', /"OffsetTopic@OG":\{1:42\}/);
      assert.equal(decodeConsumerOffsetSerializeWrapper(all.body).offsetTable.get('OffsetTopic@OG')?.get(1), 42);
    });

    it('UPDATE_AND_CREATE_SUBSCRIPTIONGROUP and GET_ALL_SUBSCRIPTIONGROUP_CONFIG', async () => {
      const config = { ...defaultSubscriptionGroupConfig('AdminGroup'), retryMaxTimes: 5, consumeBroadcastEnable: false };
      assert.equal((await h.call(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, undefined, encodeSubscriptionGroupConfig(config))).code, ResponseCode.SUCCESS);
      const all = decodeSubscriptionGroupWrapper((await h.call(RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG)).body);
      assert.deepEqual([all.subscriptionGroupTable.get('AdminGroup')?.retryMaxTimes, all.subscriptionGroupTable.get('AdminGroup')?.consumeBroadcastEnable], [5, false]);
      assert.ok(all.subscriptionGroupTable.has('TOOLS_CONSUMER'));
      const bad = await h.call(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, undefined, Buffer.from('[1]'));
      assert.equal(bad.code, ResponseCode.SYSTEM_ERROR);
    });

    it('GET_SUBSCRIPTIONGROUP_CONFIG answers one group (what the Java proxy reads), SUBSCRIPTION_GROUP_NOT_EXIST for a group that cannot exist', async () => {
      const config = { ...defaultSubscriptionGroupConfig('OneGroup'), retryMaxTimes: 7, consumeMessageOrderly: true };
      assert.equal((await h.call(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, undefined, encodeSubscriptionGroupConfig(config))).code, ResponseCode.SUCCESS);
      const one = await h.call(RequestCode.GET_SUBSCRIPTIONGROUP_CONFIG, { group: 'OneGroup' });
      assert.equal(one.code, ResponseCode.SUCCESS);
      const json = JSON.parse(one.body?.toString() ?? '') as { groupName: string; retryMaxTimes: number; consumeMessageOrderly: boolean };
      assert.deepEqual([json.groupName, json.retryMaxTimes, json.consumeMessageOrderly], ['OneGroup', 7, true]);
      const missing = await h.call(RequestCode.GET_SUBSCRIPTIONGROUP_CONFIG, { group: 'bad group' });
      assert.deepEqual([missing.code, missing.remark], [ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, 'No group in this broker']);
      assert.equal(h.broker.subscriptionGroupManager.containsSubscriptionGroup('bad group'), false);
    });

    it('GET_BROKER_CONFIG / UPDATE_BROKER_CONFIG with the runtime allow-list', async () => {
      const before = await h.call(RequestCode.GET_BROKER_CONFIG);
      assert.match(before.body?.toString() ?? '', /\nbrokerName=broker-t\n/);
      assert.match(before.extFields?.['version'] ?? '', /^\{"counter":0,"stateVersion":0,"timestamp":\d+\}$/);
      const forbidden = await h.call(RequestCode.UPDATE_BROKER_CONFIG, undefined, Buffer.from('storePathRootDir=/tmp/evil\n'));
      assert.equal(forbidden.code, ResponseCode.NO_PERMISSION);
      const bad = await h.call(RequestCode.UPDATE_BROKER_CONFIG, undefined, Buffer.from('defaultTopicQueueNums=many\n'));
      assert.equal(bad.code, ResponseCode.SYSTEM_ERROR);
      const version = h.broker.topicConfigManager.getDataVersion().counter;
      assert.equal((await h.call(RequestCode.UPDATE_BROKER_CONFIG, undefined, Buffer.from('brokerPermission=4\n'))).code, ResponseCode.SUCCESS);
      assert.equal(h.broker.topicConfigManager.getDataVersion().counter, version + 1);
      const route = decodeTopicRouteData((await h.namesrvCall(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'TBW102' })).body);
      assert.equal(route.queueDatas[0]?.perm, 4, 'routes now say read-only');
      await h.call(RequestCode.UPDATE_BROKER_CONFIG, undefined, Buffer.from('brokerPermission=6\n'));
      const after = await h.call(RequestCode.GET_BROKER_CONFIG);
      assert.match(after.body?.toString() ?? '', /\nbrokerPermission=6\n/);
      assert.match(after.extFields?.['version'] ?? '', /^\{"counter":2,/);
    });

    it('GET_BROKER_RUNTIME_INFO answers the keys mqadmin clusterList reads, with the store\'s figures', async () => {
      h.messageStore.runtimeInfo = new Map([['putTps', '1.5 1.5 1.5']]);
      const table = decodeKVTable((await h.call(RequestCode.GET_BROKER_RUNTIME_INFO)).body);
      assert.equal(table.get('brokerVersionDesc'), 'V5_3_3');
      assert.equal(table.get('putTps'), '1.5 1.5 1.5');
      assert.equal(table.get('msgPutTotalTodayNow'), '0');
    });

    it('answers every other code REQUEST_CODE_NOT_SUPPORTED naming it, on both ports', async () => {
      for (const addr of [h.addr, `127.0.0.1:${h.broker.fastPort}`]) {
        const response = await h.call(9999, undefined, undefined, addr);
        assert.deepEqual([response.code, response.remark], [ResponseCode.REQUEST_CODE_NOT_SUPPORTED, ' request type 9999 not supported']);
      }
      const fast = await h.call(RequestCode.GET_ALL_TOPIC_CONFIG, undefined, undefined, `127.0.0.1:${h.broker.fastPort}`);
      assert.ok(decodeTopicConfigSerializeWrapper(fast.body).topicConfigTable.has('TBW102'));
    });
  });
}

describe('BrokerController lifecycle', () => {
  it('persists on shutdown, unregisters from the name server, and is idempotent', async () => {
    const namesrv = new NamesrvController({ ...defaultNamesrvConfig('/nonexistent-namesrv'), listenPort: 0, bindAddress: '127.0.0.1' });
    await namesrv.start();
    const configStore = new MemoryConfigStore();
    const messageStore = new FakeMessageStore();
    const client = new RemotingClient();
    await client.start();
    try {
      const broker = new BrokerController(brokerConfig(namesrv.port), { configStore, messageStore });
      await Promise.all([broker.start(), broker.start()]);
      broker.consumerOffsetManager.commitOffset('x', 'G', 'T', 3, 77);
      await broker.shutdown();
      await broker.shutdown();
      assert.match(configStore.files.get('consumerOffset.json') ?? '', /"T@G":\{3:77\}/);
      assert.ok(configStore.files.has('topics.json'));
      assert.ok(configStore.files.has('subscriptionGroup.json'));
      assert.deepEqual([messageStore.started, messageStore.stopped], [1, 1]);
      const info = decodeClusterInfo((await client.invokeSync(`127.0.0.1:${namesrv.port}`, RemotingCommand.createRequestCommand(RequestCode.GET_BROKER_CLUSTER_INFO), 3000)).body);
      assert.equal(info.brokerAddrTable.size, 0, 'unregistered');
      await assert.rejects(broker.start(), /shut down/);

      const restarted = new BrokerController(brokerConfig(namesrv.port), { configStore, messageStore });
      await restarted.start();
      assert.equal(restarted.consumerOffsetManager.queryOffset('G', 'T', 3), 77, 'offsets survive a restart');
      await restarted.shutdown();
    } finally {
      await client.shutdown();
      await namesrv.shutdown();
    }
  });

  it('serves the fast port at listenPort - 2, where BrokerOuterAPI.getAllTopicConfig looks', async () => {
    const { BrokerOuterAPI } = await import('../../../src/broker/out/broker-outer-api.js');
    let broker: BrokerController | undefined;
    for (let attempt = 0; broker === undefined && attempt < 20; attempt++) {
      const port = 20000 + Math.floor(Math.random() * 40000);
      const candidate = new BrokerController({ ...brokerConfig(1, { namesrvAddr: '' }), listenPort: port }, { configStore: new MemoryConfigStore(), messageStore: new FakeMessageStore() });
      try {
        await candidate.start();
        broker = candidate;
      } catch {
        await candidate.shutdown();
      }
    }
    assert.ok(broker, 'found two free ports');
    const api = new BrokerOuterAPI();
    await api.start();
    try {
      assert.equal(broker.fastPort, broker.port - 2);
      const wrapper = await api.getAllTopicConfig(broker.brokerAddr);
      assert.ok(wrapper.topicConfigTable.has('broker-t'));
    } finally {
      await api.shutdown();
      await broker.shutdown();
    }
  });
});
