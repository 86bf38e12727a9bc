/**
 * SQL92 filtering end to end on our broker: PushConsumer and LitePullConsumer subscriptions with
 * MessageSelector.bySql get exactly the matching messages; CHECK_CLIENT_CONFIG makes start() fail on an invalid
 * expression (23) or a broker with enablePropertyFilter off (1); pulls answer Java's codes; a parked pull wakes for
 * a matching message only; retry-topic messages follow Java's filterSupportRetry rule.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import {
  Admin,
  LitePullConsumer,
  MessageSelector,
  MQClientError,
  MQClientManager,
  Producer,
  PushConsumer,
  type ConsumerMessage,
} from '../../src/client/index.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import {
  decodeStoredMessages,
  encodeCheckClientRequestBody,
  encodeHeartbeatData,
  RemotingClient,
  RemotingCommand,
  RequestCode,
  ResponseCode,
  type SubscriptionData,
} from '../../src/index.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

/** PullSysFlag. */
const FLAG_SUSPEND = 0x2;
const FLAG_SUBSCRIPTION = 0x4;

function sqlSubscription(topic: string, sql: string, subVersion = Date.now()): SubscriptionData {
  return { topic, subString: sql, tagsSet: [], codeSet: [], subVersion, expressionType: 'SQL92', classFilterMode: false };
}

describe('SQL92 filtering on our broker', () => {
  let dir: string;
  let namesrv: NamesrvController;
  let broker: BrokerController;
  let namesrvAddr: string;
  let manager: MQClientManager;
  let producer: Producer;
  let admin: Admin;
  let raw: RemotingClient;
  let seq = 0;

  /** A topic of one queue (so offsets are easy to reason about) holding `props.length` messages. */
  async function topicWith(props: readonly (Record<string, string> & { tags?: string })[]): Promise<string> {
    const topic = `SqlT${++seq}`;
    await admin.createTopic({ brokerAddr: broker.brokerAddr }, topic, { readQueueNums: 1, writeQueueNums: 1 });
    for (const [i, { tags, ...properties }] of props.entries()) {
      await producer.send({ topic, body: `m${i}`, tags, keys: [`k${i}`], properties });
    }
    return topic;
  }

  function pull(fields: Record<string, string | number>, timeoutMillis = 5000): Promise<RemotingCommand> {
    const header = { queueId: 0, queueOffset: 0, maxMsgNums: 32, sysFlag: FLAG_SUBSCRIPTION, commitOffset: 0, suspendTimeoutMillis: 0, subVersion: 0, ...fields };
    return raw.invokeSync(broker.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.PULL_MESSAGE, header), timeoutMillis);
  }

  function bodiesOf(response: RemotingCommand): string[] {
    return response.body === undefined ? [] : decodeStoredMessages(response.body).map((m) => m.body.toString());
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-sql92-'));
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    broker = await startTestBroker(dir, namesrvAddr, {
      broker: { enablePropertyFilter: true },
      // Retries come back after a second, not ten.
      store: { messageDelayLevel: '1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s' },
    });
    manager = new MQClientManager();
    producer = new Producer({ nameServer: namesrvAddr, group: 'SqlPG', clientIP: '127.0.0.1', clientManager: manager });
    await producer.start();
    admin = new Admin({ nameServer: namesrvAddr, clientIP: '127.0.0.1', clientManager: manager });
    await admin.start();
    raw = new RemotingClient();
    await raw.start();
  });

  after(async () => {
    await raw.shutdown();
    await admin.shutdown();
    await producer.shutdown();
    await broker.shutdown();
    await namesrv.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it('a PushConsumer with a SQL92 selector receives exactly the matching messages', async () => {
    const values = ['0', '3', '4', '5', '6', '4.5', 'x', '-3', '+4', '05'];
    const topic = await topicWith([...values.map((a) => ({ a })), {}, { b: '4' }]);
    const consumer = new PushConsumer({ nameServer: namesrvAddr, group: 'SqlPushCG', clientIP: '127.0.0.1', clientManager: manager, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    const got: ConsumerMessage[] = [];
    consumer.subscribe(topic, MessageSelector.bySql('a BETWEEN 3 AND 5'), (msg) => void got.push(msg));
    await consumer.start();
    try {
      // 3, 4, 5, +4 and 05 are Integers between 3 and 5 (Integer.valueOf); 4.5 and x are not numbers to it.
      await waitFor(() => got.length >= 5, 10_000, 'five matching messages');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(got.map((m) => m.properties.a).sort(), ['+4', '05', '3', '4', '5']);
    } finally {
      await consumer.shutdown();
    }
  });

  it('TAGS, KEYS and user properties together; a LitePullConsumer polls only what matches', async () => {
    const topic = await topicWith([
      { tags: 'TagA', a: '1' },
      { tags: 'TagB', a: '2' },
      { tags: 'TagA', a: '3' },
      { tags: 'TagA' },
      { a: '9', region: 'eu-west' },
    ]);
    const consumer = new LitePullConsumer({ nameServer: namesrvAddr, group: 'SqlLiteCG', clientIP: '127.0.0.1', clientManager: manager, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    consumer.subscribe(topic, MessageSelector.bySql("(TAGS = 'TagA' AND a > 1) OR region STARTSWITH 'eu' OR KEYS = 'k1'"));
    await consumer.start();
    try {
      const got: ConsumerMessage[] = [];
      const deadline = Date.now() + 10_000;
      while (got.length < 3 && Date.now() < deadline) got.push(...(await consumer.poll(500)));
      got.push(...(await consumer.poll(300)));
      assert.deepEqual(got.map((m) => m.body.toString()).sort(), ['m1', 'm2', 'm4']);
    } finally {
      await consumer.shutdown();
    }
  });

  it('an expression that does not compile fails start() with SUBSCRIPTION_PARSE_FAILED and the reason; the group can start again', async () => {
    const topic = await topicWith([{ a: '1' }]);
    const options = { nameServer: namesrvAddr, group: 'SqlBadCG', clientIP: '127.0.0.1', clientManager: manager };
    const consumer = new PushConsumer(options);
    consumer.subscribe(topic, MessageSelector.bySql('a >'), () => undefined);
    await assert.rejects(consumer.start(), (err: unknown) => {
      assert.ok(err instanceof MQClientError);
      assert.equal(err.responseCode, ResponseCode.SUBSCRIPTION_PARSE_FAILED);
      assert.match(err.message, /CODE: 23 {2}DESC: Invalid MessageSelector\. Encountered the end of the expression at line 1, column 4/);
      return true;
    });
    const lite = new LitePullConsumer({ ...options, group: 'SqlBadLiteCG' });
    lite.subscribe(topic, MessageSelector.bySql("a = 'x' OR"));
    await assert.rejects(lite.start(), (err: unknown) => err instanceof MQClientError && err.responseCode === ResponseCode.SUBSCRIPTION_PARSE_FAILED);
    // Nothing was left registered: the same group starts with a good expression.
    const again = new PushConsumer(options);
    again.subscribe(topic, MessageSelector.bySql('a = 1'), () => undefined);
    await again.start();
    await again.shutdown();
  });

  it('with enablePropertyFilter off, start() fails with SYSTEM_ERROR and Java remark, and SQL92 pulls are refused', async () => {
    const topic = await topicWith([{ a: '1' }]);
    await broker.updateConfig(new Map([['enablePropertyFilter', 'false']]));
    try {
      const consumer = new PushConsumer({ nameServer: namesrvAddr, group: 'SqlOffCG', clientIP: '127.0.0.1', clientManager: manager });
      consumer.subscribe(topic, MessageSelector.bySql('a = 1'), () => undefined);
      await assert.rejects(consumer.start(), (err: unknown) => {
        assert.ok(err instanceof MQClientError);
        assert.equal(err.responseCode, ResponseCode.SYSTEM_ERROR);
        assert.equal(err.message, 'CODE: 1  DESC: The broker does not support consumer to filter message by SQL92');
        return true;
      });
      const response = await pull({ consumerGroup: 'SqlOffCG', topic, subscription: 'a = 1', expressionType: 'SQL92' });
      assert.equal(response.code, ResponseCode.SYSTEM_ERROR);
      assert.equal(response.remark, 'The broker does not support consumer to filter message by SQL92');
      // A TAG subscription is none of its business.
      const tag = await pull({ consumerGroup: 'SqlOffCG', topic, subscription: '*', expressionType: 'TAG' });
      assert.equal(tag.code, ResponseCode.SUCCESS);
    } finally {
      await broker.updateConfig(new Map([['enablePropertyFilter', 'true']]));
    }
  });

  it('CHECK_CLIENT_CONFIG: TAG or no subscription is fine; SQL92 is compiled', async () => {
    const check = async (subscriptionData: SubscriptionData | undefined): Promise<RemotingCommand> =>
      raw.invokeSync(
        broker.brokerAddr,
        RemotingCommand.createRequestCommand(RequestCode.CHECK_CLIENT_CONFIG, undefined, encodeCheckClientRequestBody({ clientId: 'c', group: 'g', subscriptionData })),
        3000,
      );
    assert.equal((await check(undefined)).code, ResponseCode.SUCCESS);
    assert.equal((await check({ ...sqlSubscription('T', 'TagA'), expressionType: 'TAG' })).code, ResponseCode.SUCCESS);
    assert.equal((await check(sqlSubscription('T', "a IN ('x', 'y')"))).code, ResponseCode.SUCCESS);
    const bad = await check(sqlSubscription('T', 'a = NULL'));
    assert.equal(bad.code, ResponseCode.SUBSCRIPTION_PARSE_FAILED);
    assert.match(bad.remark ?? '', /'NULL' cannot be compared/);
    const empty = await raw.invokeSync(broker.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.CHECK_CLIENT_CONFIG), 3000);
    assert.equal(empty.code, ResponseCode.SUCCESS);
  });

  it('pulls: a carried expression is compiled (23 when it does not); without it the heartbeat filter is needed (27)', async () => {
    const topic = await topicWith([{ a: '1' }, { a: '2' }, { a: '3' }]);
    const carried = await pull({ consumerGroup: 'SqlRawCG', topic, subscription: 'a >= 2', expressionType: 'SQL92' });
    assert.equal(carried.code, ResponseCode.SUCCESS);
    assert.deepEqual(bodiesOf(carried), ['m1', 'm2']);
    const none = await pull({ consumerGroup: 'SqlRawCG', topic, subscription: 'a > 5', expressionType: 'SQL92' });
    assert.equal(none.code, ResponseCode.PULL_RETRY_IMMEDIATELY, 'nothing matched among what was read');
    assert.equal(none.decodeCommandCustomHeader({ nextBeginOffset: 'long' }).nextBeginOffset, 3);
    const bad = await pull({ consumerGroup: 'SqlRawCG', topic, subscription: 'a >', expressionType: 'SQL92' });
    assert.equal(bad.code, ResponseCode.SUBSCRIPTION_PARSE_FAILED);
    assert.equal(bad.remark, "parse the consumer's subscription failed");
    const empty = await pull({ consumerGroup: 'SqlRawCG', topic, subscription: '', expressionType: 'SQL92' });
    assert.equal(empty.code, ResponseCode.SUBSCRIPTION_PARSE_FAILED);

    // A heartbeat registers the group's subscription and its filter; a subscription that does not compile leaves
    // no filter, and a pull relying on it is told FILTER_DATA_NOT_EXIST.
    const heartbeat = async (group: string, sql: string, subVersion: number): Promise<void> => {
      const body = encodeHeartbeatData({
        clientID: `127.0.0.1@${group}`,
        producerDataSet: [],
        consumerDataSet: [
          {
            groupName: group,
            consumeType: 'CONSUME_ACTIVELY',
            messageModel: 'CLUSTERING',
            consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
            subscriptionDataSet: [sqlSubscription(topic, sql, subVersion)],
            unitMode: false,
          },
        ],
        heartbeatFingerprint: 0,
        withoutSub: false,
      });
      const response = await raw.invokeSync(broker.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.HEART_BEAT, undefined, body), 3000);
      assert.equal(response.code, ResponseCode.SUCCESS);
    };
    await heartbeat('SqlHbCG', 'a = 3', 100);
    const registered = await pull({ consumerGroup: 'SqlHbCG', topic, sysFlag: 0, subVersion: 100 });
    assert.equal(registered.code, ResponseCode.SUCCESS);
    assert.deepEqual(bodiesOf(registered), ['m2']);
    assert.equal(broker.consumerFilterManager.get(topic, 'SqlHbCG')?.expression, 'a = 3');
    // A newer version with another expression replaces the filter.
    await heartbeat('SqlHbCG', 'a = 1', 101);
    assert.deepEqual(bodiesOf(await pull({ consumerGroup: 'SqlHbCG', topic, sysFlag: 0, subVersion: 101 })), ['m0']);
    const stale = await pull({ consumerGroup: 'SqlHbCG', topic, sysFlag: 0, subVersion: 102 });
    assert.equal(stale.code, ResponseCode.SUBSCRIPTION_NOT_LATEST);
    await heartbeat('SqlHbBadCG', 'a =', 100);
    const missing = await pull({ consumerGroup: 'SqlHbBadCG', topic, sysFlag: 0, subVersion: 100 });
    assert.equal(missing.code, ResponseCode.FILTER_DATA_NOT_EXIST);
    assert.equal(missing.remark, "The broker's consumer filter data is not exist!Your expression may be wrong!");
  });

  it('a parked pull wakes for a message that matches, not for one that does not', async () => {
    const topic = await topicWith([]);
    let answered = false;
    const parked = pull({ consumerGroup: 'SqlParkCG', topic, sysFlag: FLAG_SUBSCRIPTION | FLAG_SUSPEND, suspendTimeoutMillis: 10_000, subscription: "color = 'red'", expressionType: 'SQL92' }, 15_000);
    void parked.then(() => (answered = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await producer.send({ topic, body: 'blue', properties: { color: 'blue' } });
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(answered, false, 'a blue message wakes nothing');
    const begin = Date.now();
    await producer.send({ topic, body: 'red', properties: { color: 'red' } });
    const response = await parked;
    assert.ok(Date.now() - begin < 2000, 'woken by the red message, not by the timeout');
    assert.equal(response.code, ResponseCode.SUCCESS);
    assert.deepEqual(bodiesOf(response), ['red']);
  });

  it("retry topics: the consumer's '*' retry subscription gets every retry; a SQL92 pull of the retry topic uses the original topic's filter only with filterSupportRetry", async () => {
    const topic = await topicWith([{ a: '1' }, { a: '2' }]);
    const group = 'SqlRetryCG';
    const consumer = new PushConsumer({ nameServer: namesrvAddr, group, clientIP: '127.0.0.1', clientManager: manager, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    const seen: string[] = [];
    consumer.subscribe(topic, MessageSelector.bySql('a = 1'), (msg) => {
      seen.push(`${msg.body.toString()}#${msg.reconsumeTimes}`);
      return msg.reconsumeTimes === 0 ? 'RECONSUME_LATER' : 'CONSUME_SUCCESS';
    });
    await consumer.start();
    try {
      await waitFor(() => seen.includes('m0#1'), 15_000, 'the retry of m0');
      assert.deepEqual(seen, ['m0#0', 'm0#1']);
    } finally {
      await consumer.shutdown();
    }
    const retryTopic = `%RETRY%${group}`;
    const retryPull = (subscription: string): Promise<RemotingCommand> =>
      pull({ consumerGroup: group, topic: retryTopic, subscription, expressionType: 'SQL92', queueOffset: 0 });
    // The retry copy has a=1 and RETRY_TOPIC=<topic>. Filtered by its own expression, a = 2 takes nothing...
    assert.notEqual((await retryPull('a = 2')).code, ResponseCode.SUCCESS);
    // ...unless filterSupportRetry evaluates the group's filter of the original topic (a = 1) instead.
    await broker.updateConfig(new Map([['filterSupportRetry', 'true']]));
    try {
      const response = await retryPull('a = 2');
      assert.equal(response.code, ResponseCode.SUCCESS);
      assert.deepEqual(bodiesOf(response), ['m0']);
    } finally {
      await broker.updateConfig(new Map([['filterSupportRetry', 'false']]));
    }
  });
});
