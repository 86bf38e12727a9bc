import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyBrokerProperties, BrokerConfigError, defaultBrokerConfig, formatBrokerConfig, RUNTIME_UPDATABLE_KEYS, type BrokerConfig } from '../../../src/broker/broker-config.js';
import { newClientChannelInfo } from '../../../src/broker/client/client-channel-info.js';
import { ConsumerManager } from '../../../src/broker/client/consumer-manager.js';
import { ProducerManager } from '../../../src/broker/client/producer-manager.js';
import { ConsumerOffsetManager } from '../../../src/broker/offset/consumer-offset-manager.js';
import { SubscriptionGroupManager } from '../../../src/broker/subscription/subscription-group-manager.js';
import { TopicConfigManager } from '../../../src/broker/topic/topic-config-manager.js';
import { validateTopic } from '../../../src/broker/topic/topic-validator.js';
import { decodeHeartbeatData } from '../../../src/protocol/bodies/heartbeat-data.js';
import { decodeConsumerOffsetSerializeWrapper } from '../../../src/protocol/bodies/consumer-offset-serialize-wrapper.js';
import type { SubscriptionData } from '../../../src/protocol/bodies/heartbeat-data.js';
import { decodeSubscriptionGroupWrapper } from '../../../src/protocol/bodies/subscription-group-wrapper.js';
import { decodeTopicConfigSerializeWrapper } from '../../../src/protocol/bodies/topic-config-serialize-wrapper.js';
import { MemoryConfigStore } from './support.js';

function brokerConfig(over: Partial<BrokerConfig> = {}): BrokerConfig {
  return { ...defaultBrokerConfig('/nonexistent'), brokerClusterName: 'C1', brokerName: 'b1', ...over };
}

function sub(topic: string, subVersion = 1): SubscriptionData {
  return { topic, subString: '*', tagsSet: [], codeSet: [], subVersion, expressionType: 'TAG', classFilterMode: false };
}

describe('BrokerConfig', () => {
  it('parses Java property names, reports unknown keys and refuses bad values', () => {
    const { config, unknown } = applyBrokerProperties(
      brokerConfig(),
      new Map([['brokerName', 'broker-a'], ['listenPort', '10921'], ['autoCreateTopicEnable', 'FALSE'], ['flushDiskType', 'SYNC_FLUSH']]),
    );
    assert.equal(config.brokerName, 'broker-a');
    assert.equal(config.listenPort, 10921);
    assert.equal(config.autoCreateTopicEnable, false);
    assert.deepEqual(unknown, ['flushDiskType']);
    assert.throws(() => applyBrokerProperties(brokerConfig(), new Map([['listenPort', 'x']])), BrokerConfigError);
    assert.throws(() => applyBrokerProperties(brokerConfig(), new Map([['brokerPermission', '9']])), /not a permission/);
  });

  it('lets only the runtime allow-list change at runtime: never paths, home or the name servers', () => {
    for (const key of ['storePathRootDir', 'rocketmqHome', 'namesrvAddr', 'listenPort', 'brokerName']) {
      assert.throws(
        () => applyBrokerProperties(brokerConfig(), new Map([[key, 'x']]), RUNTIME_UPDATABLE_KEYS),
        (err: unknown) => err instanceof BrokerConfigError && err.forbidden,
        key,
      );
    }
    const { config } = applyBrokerProperties(brokerConfig(), new Map([['brokerPermission', '4']]), RUNTIME_UPDATABLE_KEYS);
    assert.equal(config.brokerPermission, 4);
    assert.match(formatBrokerConfig(config), /\nbrokerPermission=4\n/);
  });

  it('takes the SQL92 switches from broker.conf and at runtime, off by default as in Java', () => {
    const defaults = brokerConfig();
    assert.equal(defaults.enablePropertyFilter, false);
    assert.equal(defaults.filterSupportRetry, false);
    assert.equal(defaults.filterDataCleanTimeSpan, 24 * 3600_000);
    const fromFile = applyBrokerProperties(defaults, new Map([['enablePropertyFilter', 'true'], ['filterSupportRetry', 'true']])).config;
    assert.deepEqual([fromFile.enablePropertyFilter, fromFile.filterSupportRetry], [true, true]);
    const atRuntime = applyBrokerProperties(fromFile, new Map([['enablePropertyFilter', 'false'], ['filterDataCleanTimeSpan', '60000']]), RUNTIME_UPDATABLE_KEYS).config;
    assert.deepEqual([atRuntime.enablePropertyFilter, atRuntime.filterDataCleanTimeSpan], [false, 60000]);
  });
});

describe('TopicValidator', () => {
  it('checks blank names, characters and length as Java', () => {
    assert.equal(validateTopic('Topic_A-1|%x'), undefined);
    assert.equal(validateTopic('  '), 'The specified topic is blank.');
    assert.match(validateTopic('a b') ?? '', /illegal characters/);
    assert.match(validateTopic('t'.repeat(128)) ?? '', /longer than topic max length/);
    assert.equal(validateTopic('t'.repeat(127)), undefined);
  });
});

describe('TopicConfigManager', () => {
  it('starts with the system topics, TBW102 inheriting when auto-creation is on', () => {
    const manager = new TopicConfigManager({ brokerConfig: () => brokerConfig(), configStore: new MemoryConfigStore() });
    const tbw = manager.selectTopicConfig('TBW102');
    assert.deepEqual([tbw?.perm, tbw?.readQueueNums, tbw?.writeQueueNums], [7, 8, 8]);
    for (const topic of ['SELF_TEST_TOPIC', 'BenchmarkTest', 'OFFSET_MOVED_EVENT', 'SCHEDULE_TOPIC_XXXX', 'C1', 'b1', 'C1_REPLY_TOPIC']) {
      assert.ok(manager.containsTopic(topic), topic);
      assert.ok(manager.isSystemTopic(topic), topic);
    }
    assert.equal(manager.selectTopicConfig('BenchmarkTest')?.writeQueueNums, 1024);
    assert.equal(manager.selectTopicConfig('C1')?.perm, 7);
    assert.equal(manager.containsTopic('RMQ_SYS_TRACE_TOPIC'), false);
    assert.ok(manager.isSystemTopic('rmq_sys_anything'));
    const off = new TopicConfigManager({ brokerConfig: () => brokerConfig({ autoCreateTopicEnable: false, traceTopicEnable: true }), configStore: new MemoryConfigStore() });
    assert.equal(off.containsTopic('TBW102'), false);
    assert.ok(off.containsTopic('RMQ_SYS_TRACE_TOPIC'));
  });

  it('auto-creates on send from an inheritable template, moves the DataVersion, persists and announces', async () => {
    const store = new MemoryConfigStore();
    const created: string[] = [];
    let config = brokerConfig();
    const manager = new TopicConfigManager({ brokerConfig: () => config, configStore: store, onTopicCreated: (t) => created.push(t.topicName) });
    const before = manager.getDataVersion();
    const topic = manager.createTopicInSendMessageMethod('T1', 'TBW102', '1.2.3.4:5', 16, 0);
    assert.deepEqual([topic?.readQueueNums, topic?.writeQueueNums, topic?.perm], [8, 8, 6]);
    assert.equal(manager.getDataVersion().counter, before.counter + 1);
    assert.deepEqual(created, ['T1']);
    assert.equal(manager.createTopicInSendMessageMethod('T1', 'TBW102', 'x', 4, 0)?.writeQueueNums, 8, 'an existing topic is returned');
    assert.equal(manager.createTopicInSendMessageMethod('T2', 'NoSuchTemplate', 'x', 4, 0), undefined);
    assert.equal(manager.createTopicInSendMessageMethod('T3', 'T1', 'x', 4, 0), undefined, 'T1 does not inherit');
    config = { ...config, autoCreateTopicEnable: false };
    assert.equal(manager.createTopicInSendMessageMethod('T4', 'TBW102', 'x', 4, 0), undefined, 'switched off at runtime');
    await manager.persist();
    const saved = decodeTopicConfigSerializeWrapper(store.files.get('topics.json'));
    assert.ok(saved.topicConfigTable.has('T1'));
    assert.deepEqual(saved.dataVersion, manager.getDataVersion());
  });

  it('creates retry topics once, updates and deletes topics, and reloads what it wrote', async () => {
    const store = new MemoryConfigStore();
    const manager = new TopicConfigManager({ brokerConfig: () => brokerConfig(), configStore: store });
    manager.createTopicInSendMessageBackMethod('%RETRY%G', 1, 6, false, 0);
    const version = manager.getDataVersion().counter;
    manager.createTopicInSendMessageBackMethod('%RETRY%G', 3, 6, false, 0);
    assert.equal(manager.getDataVersion().counter, version, 'nothing changed');
    await manager.updateTopicConfig({ ...manager.selectTopicConfig('%RETRY%G')!, topicName: 'Orders', order: true, writeQueueNums: 2 });
    assert.ok(manager.isOrderTopic('Orders'));
    assert.equal(await manager.deleteTopicConfig('Orders'), true);
    assert.equal(await manager.deleteTopicConfig('Orders'), false);
    await manager.updateTopicConfig({ ...manager.selectTopicConfig('%RETRY%G')!, topicName: 'Kept', readQueueNums: 3 });
    const reloaded = new TopicConfigManager({ brokerConfig: () => brokerConfig(), configStore: store });
    await reloaded.load();
    assert.equal(reloaded.selectTopicConfig('Kept')?.readQueueNums, 3);
    assert.ok(reloaded.containsTopic('%RETRY%G'));
    assert.deepEqual(reloaded.getDataVersion(), manager.getDataVersion());
  });

  it('takes order flags from the name server\'s ORDER_TOPIC_CONFIG', () => {
    const manager = new TopicConfigManager({ brokerConfig: () => brokerConfig(), configStore: new MemoryConfigStore() });
    manager.createTopicInSendMessageBackMethod('O', 1, 6, false, 0);
    manager.updateOrderTopicConfig(new Map([['O', 'b1:4']]));
    assert.ok(manager.isOrderTopic('O'));
    manager.updateOrderTopicConfig(new Map());
    assert.equal(manager.isOrderTopic('O'), false);
  });
});

describe('ConsumerOffsetManager', () => {
  it('keeps pull offsets in memory only, dropped with their group or topic', () => {
    const store = new MemoryConfigStore();
    const manager = new ConsumerOffsetManager(store);
    assert.equal(manager.queryPullOffset('G', 'T', 0), -1);
    manager.commitPullOffset('G', 'T', 0, 8);
    manager.commitPullOffset('G', 'T2', 0, 3);
    manager.commitPullOffset('G2', 'T', 0, 5);
    assert.deepEqual([manager.queryPullOffset('G', 'T', 0), manager.queryPullOffset('G2', 'T', 0)], [8, 5]);
    assert.doesNotMatch(manager.encode(), /T2/, 'never persisted');
    manager.removeOffset('G');
    assert.deepEqual([manager.queryPullOffset('G', 'T', 0), manager.queryPullOffset('G', 'T2', 0), manager.queryPullOffset('G2', 'T', 0)], [-1, -1, 5]);
    manager.cleanOffsetByTopic('T');
    assert.equal(manager.queryPullOffset('G2', 'T', 0), -1);
  });

  it('commits and queries topic@group offsets, writes fastjson int keys, reloads, and cleans by topic', async () => {
    const store = new MemoryConfigStore();
    const manager = new ConsumerOffsetManager(store);
    assert.equal(manager.queryOffset('G', 'T', 0), -1);
    manager.commitOffset('c', 'G', 'T', 0, 37960);
    manager.commitOffset('c', 'G', 'T', 1, 12);
    manager.commitOffset('c', 'G2', 'T', 0, 5);
    assert.equal(manager.queryOffset('G', 'T', 1), 12);
    const text = manager.encode();
    assert.match(text, /"offsetTable":\{"T@G":\{0:37960,1:12\},"T@G2":\{0:5\}\}/);
    assert.match(text, /"groupTopicMap":\{"G":\["T"\],"G2":\["T"\]\}/);
    assert.equal(decodeConsumerOffsetSerializeWrapper(text).offsetTable.get('T@G')?.get(0), 37960);
    await manager.persist();
    const reloaded = new ConsumerOffsetManager(store);
    await reloaded.load();
    assert.equal(reloaded.queryOffset('G2', 'T', 0), 5);
    reloaded.cleanOffsetByTopic('T');
    assert.equal(reloaded.queryOffset('G', 'T', 0), -1);
  });

  it('coalesces writes made while one is in flight', async () => {
    let release!: () => void;
    const writes: string[] = [];
    const slowStore = {
      load: () => Promise.resolve(undefined),
      persist: (_name: string, text: string) => {
        writes.push(text);
        return writes.length === 1 ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve();
      },
    };
    const manager = new ConsumerOffsetManager(slowStore);
    const first = manager.persist();
    await new Promise((resolve) => setImmediate(resolve));
    manager.commitOffset('c', 'G', 'T', 0, 1);
    const second = manager.persist();
    manager.commitOffset('c', 'G', 'T', 0, 2);
    assert.equal(manager.persist(), second);
    release();
    await Promise.all([first, second]);
    assert.equal(writes.length, 2);
    assert.match(writes[1] as string, /"T@G":\{0:2\}/);
  });
});

describe('SubscriptionGroupManager', () => {
  it('has the system groups and auto-creates valid groups when allowed', async () => {
    const store = new MemoryConfigStore();
    let config = brokerConfig();
    const manager = new SubscriptionGroupManager(() => config, store);
    assert.ok(manager.containsSubscriptionGroup('TOOLS_CONSUMER'));
    assert.equal(manager.findSubscriptionGroupConfig('CID_ONSAPI_PULL')?.consumeBroadcastEnable, true);
    assert.equal(manager.findSubscriptionGroupConfig('G1')?.retryQueueNums, 1);
    assert.equal(manager.findSubscriptionGroupConfig('bad group'), undefined);
    config = { ...config, autoCreateSubscriptionGroup: false };
    assert.equal(manager.findSubscriptionGroupConfig('G2'), undefined);
    assert.ok(manager.findSubscriptionGroupConfig('CID_RMQ_SYS_X'), 'system groups are still created');
    await manager.updateSubscriptionGroupConfig({ ...manager.findSubscriptionGroupConfig('G1')!, retryMaxTimes: 3 });
    const saved = decodeSubscriptionGroupWrapper(store.files.get('subscriptionGroup.json'));
    assert.equal(saved.subscriptionGroupTable.get('G1')?.retryMaxTimes, 3);
    const reloaded = new SubscriptionGroupManager(() => config, store);
    await reloaded.load();
    assert.equal(reloaded.findSubscriptionGroupConfig('G1')?.retryMaxTimes, 3);
  });
});

describe('ConsumerManager', () => {
  function setup(): { manager: ConsumerManager<string>; notified: [string, string[]][] } {
    const notified: [string, string[]][] = [];
    const manager = new ConsumerManager<string>({ onConsumerIdsChanged: (g, c) => notified.push([g, c]), channelExpiredTimeout: () => 120_000 });
    return { manager, notified };
  }
  const info = (channel: string, now = 1000): ReturnType<typeof newClientChannelInfo<string>> =>
    newClientChannelInfo(channel, `id-${channel}`, 'JAVA', 479, now);

  it('reports and notifies membership and subscription changes, not repeated heartbeats', () => {
    const { manager, notified } = setup();
    const reg = (ch: string, subs: SubscriptionData[], notify = true, now = 1000): boolean =>
      manager.registerConsumer('G', info(ch, now), 'CONSUME_PASSIVELY', 'CLUSTERING', 'CONSUME_FROM_LAST_OFFSET', subs, notify, now);
    assert.equal(reg('a', [sub('T')]), true);
    assert.equal(reg('a', [sub('T')]), false);
    assert.equal(reg('a', [sub('T', 2)]), false, 'a newer subVersion of the same topic is not a change');
    assert.equal(reg('b', [sub('T')]), true);
    assert.deepEqual(notified, [['G', ['a']], ['G', ['a', 'b']]]);
    assert.equal(reg('b', [sub('T'), sub('U')], false), true, 'a new topic is a change; not told when disabled');
    assert.equal(notified.length, 2);
    assert.deepEqual(manager.getConsumerGroupInfo('G')?.getAllClientId(), ['id-a', 'id-b']);
    assert.equal(manager.findSubscriptionData('G', 'U')?.topic, 'U');
  });

  it('never notifies broadcasting groups', () => {
    const { manager, notified } = setup();
    manager.registerConsumer('B', info('a'), 'CONSUME_PASSIVELY', 'BROADCASTING', 'CONSUME_FROM_LAST_OFFSET', [sub('T')], true);
    manager.registerConsumer('B', info('b'), 'CONSUME_PASSIVELY', 'BROADCASTING', 'CONSUME_FROM_LAST_OFFSET', [sub('T')], true);
    assert.deepEqual(notified, []);
  });

  it('unregisters, handles channel close and expires silent members', () => {
    const { manager, notified } = setup();
    for (const ch of ['a', 'b', 'c']) manager.registerConsumer('G', info(ch), 'CONSUME_PASSIVELY', 'CLUSTERING', 'CONSUME_FROM_LAST_OFFSET', [sub('T')], false, 1000);
    manager.registerConsumer('H', info('a'), 'CONSUME_ACTIVELY', 'CLUSTERING', 'CONSUME_FROM_LAST_OFFSET', [sub('T')], false, 1000);
    assert.equal(manager.unregisterConsumer('G', 'c', true), true);
    assert.equal(manager.unregisterConsumer('G', 'c', true), false);
    assert.deepEqual(notified, [['G', ['a', 'b']]]);
    assert.equal(manager.doChannelCloseEvent('1.2.3.4:5', 'a'), true);
    assert.deepEqual(notified.slice(1), [['G', ['b']]], 'H lost its last member: nobody to tell');
    assert.equal(manager.getConsumerGroupInfo('H'), undefined);
    manager.registerConsumer('G', info('d', 200_000), 'CONSUME_PASSIVELY', 'CLUSTERING', 'CONSUME_FROM_LAST_OFFSET', [sub('T')], false, 200_000);
    const expired = manager.scanNotActiveChannel(200_000);
    assert.deepEqual(expired.map((e) => e.channel), ['b']);
    assert.deepEqual(manager.getConsumerGroupInfo('G')?.getAllChannel(), ['d']);
  });
});

describe('ProducerManager', () => {
  it('registers groups, refreshes heartbeats, and drops closed or silent members', () => {
    const manager = new ProducerManager<string>();
    manager.registerProducer('P', newClientChannelInfo('a', 'id-a', 'JAVA', 479, 1000));
    manager.registerProducer('P', newClientChannelInfo('a', 'id-a', 'JAVA', 479, 1000), 100_000);
    manager.registerProducer('Q', newClientChannelInfo('b', 'id-b', 'JAVA', 479, 1000));
    assert.ok(manager.groupOnline('P'));
    assert.deepEqual(manager.scanNotActiveChannel(150_000).map((i) => i.clientId), ['id-b']);
    assert.equal(manager.groupOnline('Q'), false);
    assert.equal(manager.doChannelCloseEvent('x', 'a'), true);
    assert.equal(manager.groupOnline('P'), false);
    manager.registerProducer('P', newClientChannelInfo('c', 'id-c', 'JAVA', 479));
    manager.unregisterProducer('P', 'c', 'id-c');
    assert.equal(manager.groupOnline('P'), false);
  });
});

describe('HeartbeatData', () => {
  it('reads the body a Java 5.x client sends (rocketmq-protocol.md 6.1)', () => {
    const data = decodeHeartbeatData(
      '{"clientID":"10.0.0.5@12345#987","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY",' +
        '"groupName":"CG","messageModel":"CLUSTERING","subscriptionDataSet":[{"classFilterMode":false,"codeSet":[2598919],"expressionType":"TAG",' +
        '"subString":"TagA || TagB","subVersion":1700000000123,"tagsSet":["TagA"],"topic":"T"}],"unitMode":false}],' +
        '"heartbeatFingerprint":0,"producerDataSet":[{"groupName":"PG"}],"withoutSub":false}',
    );
    assert.equal(data.clientID, '10.0.0.5@12345#987');
    assert.deepEqual(data.producerDataSet, [{ groupName: 'PG' }]);
    const consumer = data.consumerDataSet[0];
    assert.deepEqual([consumer?.groupName, consumer?.consumeType, consumer?.messageModel], ['CG', 'CONSUME_PASSIVELY', 'CLUSTERING']);
    assert.deepEqual(consumer?.subscriptionDataSet[0], {
      topic: 'T', subString: 'TagA || TagB', tagsSet: ['TagA'], codeSet: [2598919], subVersion: 1700000000123, expressionType: 'TAG', classFilterMode: false,
    });
    assert.equal(decodeHeartbeatData('{"clientID":"c","consumerDataSet":[{"groupName":"G","consumeType":1,"messageModel":1}]}').consumerDataSet[0]?.messageModel, 'CLUSTERING', 'enum ordinals, as fastjson');
  });
});
