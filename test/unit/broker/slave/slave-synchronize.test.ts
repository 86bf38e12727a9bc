import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultBrokerConfig } from '../../../../src/broker/broker-config.js';
import { MessageRequestModeManager } from '../../../../src/broker/loadbalance/message-request-mode-manager.js';
import { ConsumerOffsetManager } from '../../../../src/broker/offset/consumer-offset-manager.js';
import { ScheduleMessageService } from '../../../../src/broker/schedule/schedule-message-service.js';
import { SlaveSynchronize, type SlaveSyncSource } from '../../../../src/broker/slave/slave-synchronize.js';
import { SubscriptionGroupManager } from '../../../../src/broker/subscription/subscription-group-manager.js';
import { TopicConfigManager } from '../../../../src/broker/topic/topic-config-manager.js';
import { MQBrokerError } from '../../../../src/common/errors.js';
import { decodeConsumerOffsetSerializeWrapper } from '../../../../src/protocol/bodies/consumer-offset-serialize-wrapper.js';
import { decodeSubscriptionGroupWrapper, defaultSubscriptionGroupConfig } from '../../../../src/protocol/bodies/subscription-group-wrapper.js';
import { defaultTopicConfig } from '../../../../src/protocol/bodies/topic-config.js';
import { decodeTopicConfigSerializeWrapper } from '../../../../src/protocol/bodies/topic-config-serialize-wrapper.js';
import { ResponseCode } from '../../../../src/protocol/response-code.js';
import { FakeMessageStore, MemoryConfigStore } from '../support.js';

/**
 * The sync's bookkeeping over the real managers; the master's answers come from real managers of a "master" too,
 * encoded and decoded as on the wire (a test double for the network only: the integration test runs two brokers).
 */
function setup() {
  const brokerConfig = () => defaultBrokerConfig('/nonexistent');
  const side = () => {
    const configStore = new MemoryConfigStore();
    return {
      configStore,
      topics: new TopicConfigManager({ brokerConfig, configStore }),
      groups: new SubscriptionGroupManager(brokerConfig, configStore),
      offsets: new ConsumerOffsetManager(configStore),
      delay: new ScheduleMessageService({ store: new FakeMessageStore(), configStore }),
      modes: new MessageRequestModeManager(configStore),
    };
  };
  const master = side();
  const slave = side();
  const calls: string[] = [];
  let requestModeCode: number | undefined;
  const source: SlaveSyncSource = {
    getAllTopicConfig: (addr) => (calls.push(`21 ${addr}`), Promise.resolve(decodeTopicConfigSerializeWrapper(master.topics.encode()))),
    getAllConsumerOffset: (addr) => (calls.push(`43 ${addr}`), Promise.resolve(decodeConsumerOffsetSerializeWrapper(master.offsets.encode()))),
    getAllDelayOffset: (addr) => (calls.push(`45 ${addr}`), Promise.resolve(master.delay.encode())),
    getAllSubscriptionGroupConfig: (addr) => (calls.push(`201 ${addr}`), Promise.resolve(decodeSubscriptionGroupWrapper(master.groups.encode()))),
    getAllMessageRequestMode: (addr) => {
      calls.push(`402 ${addr}`);
      if (requestModeCode !== undefined) return Promise.reject(new MQBrokerError(requestModeCode, 'not supported', addr));
      return Promise.resolve(master.modes.encode());
    },
  };
  let topicsChanged = 0;
  const sync = new SlaveSynchronize({
    source,
    topicConfigManager: slave.topics,
    consumerOffsetManager: slave.offsets,
    scheduleMessageService: slave.delay,
    subscriptionGroupManager: slave.groups,
    messageRequestModeManager: slave.modes,
    brokerAddr: () => '127.0.0.1:20911',
    onTopicsChanged: () => void topicsChanged++,
  });
  return { master, slave, sync, calls, topicsChanged: () => topicsChanged, refuseRequestModes: (code: number) => (requestModeCode = code) };
}

describe('SlaveSynchronize', () => {
  it('copies topics, offsets, delay offsets, groups and request modes from the registered master', async () => {
    const { master, slave, sync, calls, topicsChanged } = setup();
    await master.topics.updateTopicConfig({ ...defaultTopicConfig('OrderTopic'), readQueueNums: 3, writeQueueNums: 3 });
    await master.groups.updateSubscriptionGroupConfig({ ...defaultSubscriptionGroupConfig('GroupA'), whichBrokerWhenConsumeSlowly: 2 });
    master.offsets.commitOffset('c', 'GroupA', 'OrderTopic', 1, 42);
    await master.modes.setMessageRequestMode({ topic: 'OrderTopic', consumerGroup: 'GroupA', mode: 'POP', popShareQueueNum: 2 });
    await slave.topics.updateTopicConfig(defaultTopicConfig('OnlyOnSlave'));

    await sync.syncAll();
    assert.deepEqual(calls, [], 'no master known: nothing asked');
    assert.equal(sync.setMasterAddr('127.0.0.1:10911'), true);
    await sync.syncAll();
    assert.deepEqual(calls, ['21 127.0.0.1:10911', '43 127.0.0.1:10911', '45 127.0.0.1:10911', '201 127.0.0.1:10911', '402 127.0.0.1:10911']);

    assert.equal(slave.topics.selectTopicConfig('OrderTopic')?.readQueueNums, 3);
    assert.equal(slave.topics.selectTopicConfig('OnlyOnSlave'), undefined, 'a topic the master lacks is dropped');
    assert.deepEqual(slave.topics.getDataVersion(), master.topics.getDataVersion());
    assert.equal(topicsChanged(), 1);
    assert.equal(slave.groups.findSubscriptionGroupConfig('GroupA')?.whichBrokerWhenConsumeSlowly, 2);
    assert.equal(slave.offsets.queryOffset('GroupA', 'OrderTopic', 1), 42);
    assert.equal(slave.modes.getMessageRequestMode('OrderTopic', 'GroupA')?.mode, 'POP');
    assert.equal(slave.delay.encode(), master.delay.encode());
    // Written through the config store, in Java's files.
    for (const file of ['topics.json', 'subscriptionGroup.json', 'consumerOffset.json', 'delayOffset.json', 'messageRequestMode.json']) {
      assert.ok(slave.configStore.files.has(file), file);
    }
    assert.equal(slave.configStore.files.get('topics.json'), master.topics.encode());

    // Unchanged versions: topics and groups are not rewritten.
    const writes = slave.configStore.writes;
    await sync.syncAll();
    assert.equal(topicsChanged(), 1);
    assert.equal(slave.configStore.writes - writes, 3, 'offsets, delay offsets and request modes only');
  });

  it('never syncs from itself and pauses when the registration names no master', async () => {
    const { sync, calls } = setup();
    assert.equal(sync.setMasterAddr('127.0.0.1:20911'), true);
    await sync.syncAll();
    assert.deepEqual(calls, []);
    assert.equal(sync.setMasterAddr(undefined), false);
    assert.equal(sync.masterAddr, undefined);
    await sync.syncAll();
    assert.deepEqual(calls, []);
  });

  it('asks a 4.x master (no 402) for request modes once, and a failing part does not stop the others', async () => {
    const { master, slave, sync, calls, refuseRequestModes } = setup();
    refuseRequestModes(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
    master.offsets.commitOffset('c', 'G', 'T', 0, 7);
    sync.setMasterAddr('m:1');
    await sync.syncAll();
    await sync.syncAll();
    assert.equal(calls.filter((call) => call.startsWith('402')).length, 1);
    assert.equal(slave.offsets.queryOffset('G', 'T', 0), 7);

    const other = setup();
    other.refuseRequestModes(ResponseCode.SYSTEM_ERROR);
    other.sync.setMasterAddr('m:1');
    await other.sync.syncAll();
    await other.sync.syncAll();
    assert.equal(other.calls.filter((call) => call.startsWith('402')).length, 2, 'another failure is retried next round');
  });
});
