/**
 * The bodies of the slave-sync calls against the text Java brokers answer with (captured from Apache RocketMQ
 * 4.9.8 and 5.3.3, fastjson 1.2.x): queue ids and delay levels are unquoted int keys.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RemotingCommandError } from '../../../../src/common/errors.js';
import {
  decodeConsumerOffsetSerializeWrapper,
  decodeDelayOffsetSerializeWrapper,
  decodeSubscriptionGroupWrapper,
  decodeTopicConfigSerializeWrapper,
  defaultSubscriptionGroupConfig,
  defaultTopicConfig,
  encodeConsumerOffsetSerializeWrapper,
  encodeDelayOffsetSerializeWrapper,
  encodeSubscriptionGroupConfig,
  encodeSubscriptionGroupWrapper,
  encodeTopicConfigSerializeWrapper,
} from '../../../../src/protocol/bodies/index.js';

const OFFSETS_4_9_8 = '{"offsetTable":{"CapTopic@CapGroup":{0:7,1:42}}}';
const OFFSETS_5_3_3 =
  '{"dataVersion":{"counter":0,"stateVersion":0,"timestamp":1795274696943},"groupTopicMap":{"CapGroup":["CapTopic"]},' +
  '"offsetTable":{"CapTopic@CapGroup":{0:7,1:42}}}';
const DELAY_4_9_8 = '{"offsetTable":{3:1}}';
const DELAY_5_3_3 = '{"dataVersion":{"counter":0,"stateVersion":0,"timestamp":1795274597788},"offsetTable":{3:1}}';
const TOPICS_4_9_8 =
  '{"dataVersion":{"counter":1,"timestamp":1795274634942},"topicConfigTable":{"SCHEDULE_TOPIC_XXXX":{"order":false,"perm":6,' +
  '"readQueueNums":18,"topicFilterType":"SINGLE_TAG","topicName":"SCHEDULE_TOPIC_XXXX","topicSysFlag":0,"writeQueueNums":18}}}';
const GROUP_5_3_3 =
  '"CapGroup":{"attributes":{},"brokerId":0,"consumeBroadcastEnable":true,"consumeEnable":true,"consumeFromMinEnable":true,' +
  '"consumeMessageOrderly":false,"consumeTimeoutMinute":15,"groupName":"CapGroup","groupRetryPolicy":{"type":"CUSTOMIZED"},' +
  '"groupSysFlag":0,"notifyConsumerIdsChangedEnable":true,"retryMaxTimes":16,"retryQueueNums":1,"whichBrokerWhenConsumeSlowly":1}';
const GROUPS_5_3_3 =
  `{"dataVersion":{"counter":0,"stateVersion":0,"timestamp":1795274597618},"forbiddenTable":{},"subscriptionGroupTable":{${GROUP_5_3_3}}}`;
const GROUPS_4_9_8 =
  '{"dataVersion":{"counter":0,"timestamp":1795274628433},"subscriptionGroupTable":{"SELF_TEST_C_GROUP":{"brokerId":0,' +
  '"consumeBroadcastEnable":true,"consumeEnable":true,"consumeFromMinEnable":true,"groupName":"SELF_TEST_C_GROUP",' +
  '"notifyConsumerIdsChangedEnable":true,"retryMaxTimes":16,"retryQueueNums":1,"whichBrokerWhenConsumeSlowly":1}}}';

describe('ConsumerOffsetSerializeWrapper', () => {
  it('reads 4.9.8 and 5.3.3 bodies; writes the 4.9.8 form back byte for byte', () => {
    const old = decodeConsumerOffsetSerializeWrapper(Buffer.from(OFFSETS_4_9_8));
    assert.deepEqual(old.offsetTable, new Map([['CapTopic@CapGroup', new Map([[0, 7], [1, 42]])]]));
    assert.equal(old.dataVersion, undefined);
    assert.equal(encodeConsumerOffsetSerializeWrapper(old).toString(), OFFSETS_4_9_8);
    const current = decodeConsumerOffsetSerializeWrapper(OFFSETS_5_3_3);
    assert.deepEqual(current.offsetTable, old.offsetTable);
    assert.deepEqual(current.dataVersion, { counter: 0, stateVersion: 0, timestamp: 1795274696943 });
    // groupTopicMap is derived from the offset table, so it is not kept.
    assert.equal(
      encodeConsumerOffsetSerializeWrapper(current).toString(),
      OFFSETS_5_3_3.replace('"groupTopicMap":{"CapGroup":["CapTopic"]},', ''),
    );
  });

  it('accepts quoted keys and numeric strings (what fastjson also reads), rejects other keys and values', () => {
    const quoted = decodeConsumerOffsetSerializeWrapper('{"offsetTable":{"T@G":{"3":"9"}}}');
    assert.deepEqual(quoted.offsetTable.get('T@G'), new Map([[3, 9]]));
    assert.deepEqual(decodeConsumerOffsetSerializeWrapper('{}').offsetTable, new Map());
    assert.throws(() => decodeConsumerOffsetSerializeWrapper('{"offsetTable":{"T@G":{x:1}}}'), RemotingCommandError);
    assert.throws(() => decodeConsumerOffsetSerializeWrapper('{"offsetTable":{"T@G":{99999999999:1}}}'), RemotingCommandError);
    assert.throws(() => decodeConsumerOffsetSerializeWrapper('{"offsetTable":{"T@G":{0:1.5}}}'), /is not an integer/);
    assert.throws(() => decodeConsumerOffsetSerializeWrapper('{"offsetTable":[]}'), RemotingCommandError);
    assert.throws(() => decodeConsumerOffsetSerializeWrapper(undefined), /body is missing/);
  });
});

describe('DelayOffsetSerializeWrapper', () => {
  it('reads and writes both versions byte for byte', () => {
    for (const text of [DELAY_4_9_8, DELAY_5_3_3]) {
      const wrapper = decodeDelayOffsetSerializeWrapper(text);
      assert.deepEqual(wrapper.offsetTable, new Map([[3, 1]]));
      assert.equal(encodeDelayOffsetSerializeWrapper(wrapper).toString(), text);
    }
  });
});

describe('TopicConfigSerializeWrapper (GET_ALL_TOPIC_CONFIG)', () => {
  it('reads 4.9.8 (no stateVersion, no attributes) and writes the 5.x form', () => {
    const wrapper = decodeTopicConfigSerializeWrapper(TOPICS_4_9_8);
    assert.deepEqual(wrapper.dataVersion, { stateVersion: 0, timestamp: 1795274634942, counter: 1 });
    const config = wrapper.topicConfigTable.get('SCHEDULE_TOPIC_XXXX');
    assert.deepEqual(config, { ...defaultTopicConfig('SCHEDULE_TOPIC_XXXX'), readQueueNums: 18, writeQueueNums: 18 });
    assert.equal(
      encodeTopicConfigSerializeWrapper(wrapper).toString(),
      TOPICS_4_9_8.replace('"counter":1,', '"counter":1,"stateVersion":0,'),
    );
    assert.deepEqual(decodeTopicConfigSerializeWrapper('{}').topicConfigTable, new Map());
    assert.throws(() => decodeTopicConfigSerializeWrapper('{"topicConfigTable":{"T":{"perm":"x"}}}'), RemotingCommandError);
  });
});

describe('SubscriptionGroupWrapper', () => {
  it('reads and writes the 5.3.3 manager form byte for byte', () => {
    const wrapper = decodeSubscriptionGroupWrapper(Buffer.from(GROUPS_5_3_3));
    assert.deepEqual(wrapper.subscriptionGroupTable.get('CapGroup'), defaultSubscriptionGroupConfig('CapGroup'));
    assert.deepEqual(wrapper.forbiddenTable, new Map());
    assert.equal(encodeSubscriptionGroupWrapper(wrapper).toString(), GROUPS_5_3_3);
    assert.equal(encodeSubscriptionGroupConfig(defaultSubscriptionGroupConfig('CapGroup')).toString(), GROUP_5_3_3.slice('"CapGroup":'.length));
  });

  it('reads 4.9.8 groups with the 5.x fields at their Java defaults', () => {
    const wrapper = decodeSubscriptionGroupWrapper(GROUPS_4_9_8);
    assert.deepEqual(wrapper.subscriptionGroupTable.get('SELF_TEST_C_GROUP'), defaultSubscriptionGroupConfig('SELF_TEST_C_GROUP'));
    assert.equal(wrapper.forbiddenTable, undefined);
    assert.deepEqual(wrapper.dataVersion, { stateVersion: 0, timestamp: 1795274628433, counter: 0 });
  });

  it('keeps retry policies, subscriptions, attributes and the forbidden table', () => {
    const config = {
      ...defaultSubscriptionGroupConfig('G'),
      consumeMessageOrderly: true,
      groupRetryPolicy: { type: 'EXPONENTIAL' as const, exponentialRetryPolicy: { initial: 1000, max: 60_000, multiplier: 3 } },
      subscriptionDataSet: [{ topic: 'T', expressionType: 'TAG', expression: 'a||b', version: 7 }],
      attributes: new Map([['+lite', 'true']]),
    };
    const wrapper = {
      subscriptionGroupTable: new Map([['G', config]]),
      dataVersion: { stateVersion: 1, timestamp: 2, counter: 3 },
      forbiddenTable: new Map([['G', new Map([['T', 1]])]]),
    };
    const text = encodeSubscriptionGroupWrapper(wrapper).toString();
    assert.match(text, /"forbiddenTable":\{"G":\{"T":1\}\}/);
    assert.match(text, /"groupRetryPolicy":\{"exponentialRetryPolicy":\{"initial":1000,"max":60000,"multiplier":3\},"type":"EXPONENTIAL"\}/);
    assert.deepEqual(decodeSubscriptionGroupWrapper(text), wrapper);
    const customized = decodeSubscriptionGroupWrapper('{"subscriptionGroupTable":{"G":{"groupRetryPolicy":{"customizedRetryPolicy":{}}}}}');
    const policy = customized.subscriptionGroupTable.get('G')?.groupRetryPolicy;
    assert.equal(policy?.type, 'CUSTOMIZED');
    assert.deepEqual(policy?.customizedRetryPolicy?.next.slice(0, 4), [1000, 5000, 10000, 30000]);
    assert.equal(policy?.customizedRetryPolicy?.next.length, 18);
    assert.throws(() => decodeSubscriptionGroupWrapper('{"subscriptionGroupTable":{"G":{"groupRetryPolicy":{"type":"LINEAR"}}}}'), /unknown type/);
  });
});
