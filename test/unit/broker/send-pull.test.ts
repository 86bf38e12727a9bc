import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultBrokerConfig, type BrokerConfig } from '../../../src/broker/broker-config.js';
import { BrokerController } from '../../../src/broker/broker-controller.js';
import { PullSysFlag } from '../../../src/broker/processors/pull-message-processor.js';
import { encodeHeartbeatData } from '../../../src/protocol/bodies/heartbeat-data.js';
import {
  Message,
  MessageConst,
  RemotingClient,
  RemotingCommand,
  RequestCode,
  ResponseCode,
  decodeMessageId,
  decodeStoredMessages,
  encodeMessages,
  javaStringHashCode,
  messageProperties2String,
  type CustomHeader,
  type SerializeTypeName,
} from '../../../src/index.js';
import { DefaultMessageStore } from '../../../src/store/default-message-store.js';
import { waitFor } from '../../helpers/wait.js';
import { MemoryConfigStore } from './support.js';

export interface BrokerHarness {
  broker: BrokerController;
  store: DefaultMessageStore;
  client: RemotingClient;
  addr: string;
  dir: string;
  call(code: number, header?: CustomHeader, body?: Buffer): Promise<RemotingCommand>;
  stop(): Promise<void>;
}

export function testBrokerConfig(dir: string, over: Partial<BrokerConfig> = {}): BrokerConfig {
  return {
    ...defaultBrokerConfig(dir),
    brokerClusterName: 'TestCluster',
    brokerName: 'broker-t',
    brokerIP1: '127.0.0.1',
    brokerIP2: '127.0.0.1',
    bindAddress: '127.0.0.1',
    listenPort: 0,
    namesrvAddr: '',
    storePathRootDir: dir,
    ...over,
  };
}

/** A broker over a real store in a temp dir, serving loopback only, without a name server. */
export async function startBroker(serializeType: SerializeTypeName, over: Partial<BrokerConfig> = {}): Promise<BrokerHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'rmq-send-pull-'));
  const store = new DefaultMessageStore({ storePathRootDir: dir, mappedFileSizeCommitLog: 4 * 1024 * 1024, mappedFileSizeConsumeQueue: 20 * 1000 });
  const broker = new BrokerController(testBrokerConfig(dir, over), { configStore: new MemoryConfigStore(), messageStore: store });
  await broker.start();
  const client = new RemotingClient({ serializeType });
  await client.start();
  const addr = `127.0.0.1:${broker.port}`;
  return {
    broker,
    store,
    client,
    addr,
    dir,
    call: (code, header, body) => client.invokeSync(addr, RemotingCommand.createRequestCommand(code, header, body), 5000),
    async stop() {
      await client.shutdown();
      await broker.shutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function props(entries: Record<string, string>): string {
  return messageProperties2String(new Map(Object.entries(entries)));
}

/** A SEND_MESSAGE_V2 header as the Java producer writes it. */
export function v2Header(topic: string, properties: string, over: Record<string, string | number | boolean> = {}): CustomHeader {
  return { a: 'PG', b: topic, c: 'TBW102', d: 4, e: 0, f: 0, g: Date.now(), h: 0, i: properties, j: 0, k: false, m: false, ...over };
}

export function pullHeader(topic: string, queueOffset: number, over: Record<string, string | number | boolean> = {}): CustomHeader {
  return {
    consumerGroup: 'CG',
    topic,
    queueId: 0,
    queueOffset,
    maxMsgNums: 32,
    sysFlag: PullSysFlag.FLAG_SUBSCRIPTION,
    commitOffset: 0,
    suspendTimeoutMillis: 0,
    subscription: '*',
    subVersion: 0,
    expressionType: 'TAG',
    ...over,
  };
}

function heartbeat(group: string, topic: string, subString: string, subVersion: number): Buffer {
  const tags = subString === '*' ? [] : subString.split('||').map((t) => t.trim());
  return encodeHeartbeatData({
    clientID: 'client-1',
    producerDataSet: [],
    consumerDataSet: [
      {
        groupName: group,
        consumeType: 'CONSUME_PASSIVELY',
        messageModel: 'CLUSTERING',
        consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET',
        subscriptionDataSet: [{ topic, subString, tagsSet: tags, codeSet: tags.map(javaStringHashCode), subVersion, expressionType: 'TAG', classFilterMode: false }],
        unitMode: false,
      },
    ],
    heartbeatFingerprint: 0,
    withoutSub: false,
  });
}

for (const serializeType of ['JSON', 'ROCKETMQ'] as const) {
  describe(`send and pull over loopback (${serializeType} headers)`, () => {
    let h: BrokerHarness;
    before(async () => {
      h = await startBroker(serializeType);
      await h.broker.topicConfigManager.updateTopicConfig({
        topicName: 'T',
        readQueueNums: 2,
        writeQueueNums: 2,
        perm: 6,
        topicFilterType: 'SINGLE_TAG',
        topicSysFlag: 0,
        order: false,
      });
    });
    after(async () => {
      await h.stop();
    });

    it('SEND_MESSAGE (V1 names): stores, answers offset msgId, queue, offset, UNIQ_KEY, MSG_REGION and TRACE_ON', async () => {
      const header = {
        producerGroup: 'PG',
        topic: 'T',
        defaultTopic: 'TBW102',
        defaultTopicQueueNums: 4,
        queueId: 0,
        sysFlag: 0,
        bornTimestamp: 1_700_000_000_000,
        flag: 7,
        properties: props({ KEYS: 'k1 k2', TAGS: 'TagA', UNIQ_KEY: 'U1', WAIT: 'true' }),
      };
      const first = await h.call(RequestCode.SEND_MESSAGE, header, Buffer.from('hello'));
      assert.equal(first.code, ResponseCode.SUCCESS, first.remark);
      const ext = first.extFields ?? {};
      assert.equal(ext['queueId'], '0');
      assert.equal(ext['queueOffset'], '0');
      assert.equal(ext['transactionId'], 'U1');
      assert.equal(ext['MSG_REGION'], 'DefaultRegion');
      assert.equal(ext['TRACE_ON'], 'true');
      const id = decodeMessageId(ext['msgId'] as string);
      assert.equal(`${id.storeHost.address}:${id.storeHost.port}`, h.broker.brokerAddr);
      const second = await h.call(RequestCode.SEND_MESSAGE, header, Buffer.from('again'));
      assert.equal(second.extFields?.['queueOffset'], '1');

      const stored = h.store.lookMessageByOffset(id.offset);
      assert.ok(stored !== null);
      assert.equal(stored.body.toString(), 'hello');
      assert.equal(stored.flag, 7);
      assert.equal(stored.bornTimestamp, 1_700_000_000_000);
      assert.equal(stored.properties.get('CLUSTER'), 'TestCluster');
      assert.equal(stored.properties.get('MSG_REGION'), 'DefaultRegion');
      assert.equal(stored.properties.get('KEYS'), 'k1 k2');
    });

    it('SEND_MESSAGE_V2: a negative queueId picks a queue; an unknown topic is created from TBW102; UNIQ_KEY is added when missing', async () => {
      const topic = `Auto${serializeType}`;
      const response = await h.call(RequestCode.SEND_MESSAGE_V2, v2Header(topic, props({ TAGS: 'x' }), { e: -1, d: 3 }), Buffer.from('b'));
      assert.equal(response.code, ResponseCode.SUCCESS, response.remark);
      const queueId = Number(response.extFields?.['queueId']);
      assert.ok(queueId >= 0 && queueId < 3);
      const created = h.broker.topicConfigManager.selectTopicConfig(topic);
      assert.equal(created?.writeQueueNums, 3);
      assert.equal(created?.perm, 6);
      assert.match(response.extFields?.['transactionId'] ?? '', /^[0-9A-F]{32}$/);
    });

    it('SEND_BATCH_MESSAGE: consecutive offsets, one record per message, each with its own and the batch properties', async () => {
      const messages = ['m0', 'm1', 'm2'].map((body, i) => new Message('T', Buffer.from(body), new Map([['TAGS', `Tag${i}`], ['UNIQ_KEY', `U-${i}`]])));
      const response = await h.call(
        RequestCode.SEND_BATCH_MESSAGE,
        v2Header('T', props({ WAIT: 'true' }), { e: 1, m: true }),
        encodeMessages(messages),
      );
      assert.equal(response.code, ResponseCode.SUCCESS, response.remark);
      assert.equal(response.extFields?.['queueOffset'], '0');
      assert.equal((response.extFields?.['msgId'] ?? '').split(',').length, 3);
      const pulled = await h.call(RequestCode.PULL_MESSAGE, pullHeader('T', 0, { queueId: 1 }));
      assert.equal(pulled.code, ResponseCode.SUCCESS);
      const records = decodeStoredMessages(pulled.body as Buffer);
      assert.deepEqual(records.map((m) => m.body.toString()), ['m0', 'm1', 'm2']);
      assert.deepEqual(records.map((m) => m.queueOffset), [0, 1, 2]);
      assert.deepEqual(records.map((m) => m.tags), ['Tag0', 'Tag1', 'Tag2']);
      assert.ok(records.every((m) => m.properties.get('WAIT') === 'true' && m.properties.get('CLUSTER') === 'TestCluster'));
    });

    it('refuses what Java refuses: bad topic, forbidden topics, bad queue, big body, big properties, no template', async () => {
      const send = (topic: string, over: Record<string, string | number | boolean> = {}, body: Buffer = Buffer.from('x'), properties = '') =>
        h.call(RequestCode.SEND_MESSAGE_V2, v2Header(topic, properties, over), body);
      assert.equal((await send('bad topic')).code, ResponseCode.INVALID_PARAMETER);
      assert.equal((await send('x'.repeat(128))).code, ResponseCode.INVALID_PARAMETER);
      assert.equal((await send('SCHEDULE_TOPIC_XXXX')).code, ResponseCode.NO_PERMISSION);
      assert.equal((await send('T', { e: 5 })).code, ResponseCode.INVALID_PARAMETER);
      const big = await send('T', {}, Buffer.alloc(4 * 1024 * 1024 + 1));
      assert.equal(big.code, ResponseCode.MESSAGE_ILLEGAL);
      const bigProps = await send('T', {}, Buffer.from('x'), props({ K: 'v'.repeat(33_000) }));
      assert.equal(bigProps.code, ResponseCode.MESSAGE_ILLEGAL);
      const noTemplate = await send(`NoTemplate${serializeType}`, { c: 'NoSuchTemplate' });
      assert.equal(noTemplate.code, ResponseCode.TOPIC_NOT_EXIST);
      assert.equal(h.broker.topicConfigManager.containsTopic(`NoTemplate${serializeType}`), false);
      const batchRetry = await send('%RETRY%CG', { m: true }, encodeMessages([new Message('%RETRY%CG', Buffer.from('x'))]));
      assert.equal(batchRetry.code, ResponseCode.MESSAGE_ILLEGAL);
      const missing = await h.call(RequestCode.SEND_MESSAGE_V2, { a: 'PG', b: 'T' }, Buffer.from('x'));
      assert.equal(missing.code, ResponseCode.SYSTEM_ERROR);
      assert.match(missing.remark ?? '', /'c' is missing/);
    });

    it('refuses sends to a topic without write permission', async () => {
      await h.broker.topicConfigManager.updateTopicConfig({
        topicName: 'ReadOnly',
        readQueueNums: 1,
        writeQueueNums: 1,
        perm: 4,
        topicFilterType: 'SINGLE_TAG',
        topicSysFlag: 0,
        order: false,
      });
      const response = await h.call(RequestCode.SEND_MESSAGE_V2, v2Header('ReadOnly', ''), Buffer.from('x'));
      assert.equal(response.code, ResponseCode.NO_PERMISSION);
    });

    it('stores %RETRY% sends plainly, creating the retry topic', async () => {
      const response = await h.call(RequestCode.SEND_MESSAGE_V2, v2Header('%RETRY%CGX', props({ RETRY_TOPIC: 'T' }), { c: 'NoSuchTemplate', j: 1 }), Buffer.from('r'));
      assert.equal(response.code, ResponseCode.SUCCESS, response.remark);
      assert.equal(h.broker.topicConfigManager.selectTopicConfig('%RETRY%CGX')?.writeQueueNums, 1);
    });

    it('PULL_MESSAGE result codes: FOUND, PULL_NOT_FOUND, PULL_OFFSET_MOVED, PULL_RETRY_IMMEDIATELY, with the offsets', async () => {
      const topic = `Pull${serializeType}`;
      for (const tag of ['TagA', 'TagA', 'TagB']) {
        const r = await h.call(RequestCode.SEND_MESSAGE_V2, v2Header(topic, props({ TAGS: tag })), Buffer.from(tag));
        assert.equal(r.code, ResponseCode.SUCCESS, r.remark);
      }
      const found = await h.call(RequestCode.PULL_MESSAGE, pullHeader(topic, 0, { maxMsgNums: 2 }));
      assert.equal(found.code, ResponseCode.SUCCESS);
      assert.equal(found.remark, 'FOUND');
      assert.equal(found.extFields?.['nextBeginOffset'], '2');
      assert.equal(found.extFields?.['minOffset'], '0');
      assert.equal(found.extFields?.['maxOffset'], '3');
      assert.equal(found.extFields?.['suggestWhichBrokerId'], '0');
      assert.equal(decodeStoredMessages(found.body as Buffer).length, 2);

      const caughtUp = await h.call(RequestCode.PULL_MESSAGE, pullHeader(topic, 3));
      assert.equal(caughtUp.code, ResponseCode.PULL_NOT_FOUND);
      assert.equal(caughtUp.remark, 'OFFSET_OVERFLOW_ONE');
      assert.equal(caughtUp.extFields?.['nextBeginOffset'], '3');

      const badly = await h.call(RequestCode.PULL_MESSAGE, pullHeader(topic, 9));
      assert.equal(badly.code, ResponseCode.PULL_OFFSET_MOVED);
      assert.equal(badly.extFields?.['nextBeginOffset'], '3');

      const unknownQueue = await h.call(RequestCode.PULL_MESSAGE, pullHeader(topic, 5, { queueId: 1 }));
      assert.equal(unknownQueue.code, ResponseCode.PULL_OFFSET_MOVED);
      assert.equal(unknownQueue.remark, 'NO_MATCHED_LOGIC_QUEUE');
      assert.equal((await h.call(RequestCode.PULL_MESSAGE, pullHeader(topic, 0, { queueId: 1 }))).code, ResponseCode.PULL_NOT_FOUND);

      const onlyC = await h.call(RequestCode.PULL_MESSAGE, pullHeader(topic, 0, { subscription: 'TagC' }));
      assert.equal(onlyC.code, ResponseCode.PULL_RETRY_IMMEDIATELY);
      assert.equal(onlyC.remark, 'NO_MATCHED_MESSAGE');
      assert.equal(onlyC.extFields?.['nextBeginOffset'], '3');

      const onlyB = await h.call(RequestCode.PULL_MESSAGE, pullHeader(topic, 0, { subscription: 'TagB || TagX' }));
      assert.equal(onlyB.code, ResponseCode.SUCCESS);
      assert.deepEqual(decodeStoredMessages(onlyB.body as Buffer).map((m) => m.body.toString()), ['TagB']);

      assert.equal((await h.call(RequestCode.PULL_MESSAGE, pullHeader(topic, 0, { queueId: 9 }))).code, ResponseCode.INVALID_PARAMETER);
      assert.equal((await h.call(RequestCode.PULL_MESSAGE, pullHeader('NoSuchTopic', 0))).code, ResponseCode.TOPIC_NOT_EXIST);
      assert.equal((await h.call(RequestCode.PULL_MESSAGE, pullHeader(topic, 0, { expressionType: 'SQL92', subscription: 'a > 1' }))).code, ResponseCode.SYSTEM_ERROR);
    });

    it('without FLAG_SUBSCRIPTION, uses the heartbeat subscription: SUBSCRIPTION_NOT_EXIST, SUBSCRIPTION_NOT_LATEST, tag filtering', async () => {
      const topic = `Sub${serializeType}`;
      for (const tag of ['TagA', 'TagB']) await h.call(RequestCode.SEND_MESSAGE_V2, v2Header(topic, props({ TAGS: tag })), Buffer.from(tag));
      const noGroup = await h.call(RequestCode.PULL_MESSAGE, pullHeader(topic, 0, { consumerGroup: 'CG-HB', sysFlag: 0 }));
      assert.equal(noGroup.code, ResponseCode.SUBSCRIPTION_NOT_EXIST);
      assert.equal((await h.call(RequestCode.HEART_BEAT, undefined, heartbeat('CG-HB', topic, 'TagB', 5))).code, ResponseCode.SUCCESS);
      const otherTopic = await h.call(RequestCode.PULL_MESSAGE, pullHeader('T', 0, { consumerGroup: 'CG-HB', sysFlag: 0 }));
      assert.equal(otherTopic.code, ResponseCode.SUBSCRIPTION_NOT_EXIST);
      const stale = await h.call(RequestCode.PULL_MESSAGE, pullHeader(topic, 0, { consumerGroup: 'CG-HB', sysFlag: 0, subVersion: 6 }));
      assert.equal(stale.code, ResponseCode.SUBSCRIPTION_NOT_LATEST);
      const found = await h.call(RequestCode.PULL_MESSAGE, pullHeader(topic, 0, { consumerGroup: 'CG-HB', sysFlag: 0, subVersion: 5 }));
      assert.equal(found.code, ResponseCode.SUCCESS);
      assert.deepEqual(decodeStoredMessages(found.body as Buffer).map((m) => m.tags), ['TagB']);
    });

    it('FLAG_COMMIT_OFFSET stores the piggy-backed offset', async () => {
      const flags = PullSysFlag.FLAG_SUBSCRIPTION | PullSysFlag.FLAG_COMMIT_OFFSET;
      await h.call(RequestCode.PULL_MESSAGE, pullHeader('T', 0, { consumerGroup: 'CG-C', sysFlag: flags, commitOffset: 1 }));
      const query = await h.call(RequestCode.QUERY_CONSUMER_OFFSET, { consumerGroup: 'CG-C', topic: 'T', queueId: 0 });
      assert.equal(query.extFields?.['offset'], '1');
      await h.call(RequestCode.PULL_MESSAGE, pullHeader('T', 0, { consumerGroup: 'CG-C', sysFlag: PullSysFlag.FLAG_SUBSCRIPTION, commitOffset: 2 }));
      const unchanged = await h.call(RequestCode.QUERY_CONSUMER_OFFSET, { consumerGroup: 'CG-C', topic: 'T', queueId: 0 });
      assert.equal(unchanged.extFields?.['offset'], '1');
    });

    it('long polling: a parked pull is answered within 100 ms of a matching send, not by a non-matching one, and commits only once', async (t) => {
      const topic = `Long${serializeType}`;
      await h.call(RequestCode.SEND_MESSAGE_V2, v2Header(topic, props({ TAGS: 'TagA' })), Buffer.from('first'));
      const flags = PullSysFlag.FLAG_SUBSCRIPTION | PullSysFlag.FLAG_SUSPEND | PullSysFlag.FLAG_COMMIT_OFFSET;
      const pulling = h.client.invokeAsync(
        h.addr,
        RemotingCommand.createRequestCommand(
          RequestCode.PULL_MESSAGE,
          pullHeader(topic, 1, { consumerGroup: 'CG-L', sysFlag: flags, suspendTimeoutMillis: 10_000, subscription: 'TagB', commitOffset: 1 }),
        ),
        15_000,
      );
      let answeredAt = 0;
      void pulling.then(() => (answeredAt = Date.now()));
      await waitFor(() => h.broker.pullRequestHoldService.size === 1, 5000, 'the pull to be parked');
      await h.call(RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: 'CG-L', topic, queueId: 0, commitOffset: 5 });

      await h.call(RequestCode.SEND_MESSAGE_V2, v2Header(topic, props({ TAGS: 'TagA' })), Buffer.from('not for me'));
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(answeredAt, 0, 'a non-matching message must not wake the pull');
      assert.equal(h.broker.pullRequestHoldService.size, 1);

      const sent = await h.call(RequestCode.SEND_MESSAGE_V2, v2Header(topic, props({ TAGS: 'TagB' })), Buffer.from('for me'));
      const ackedAt = Date.now();
      assert.equal(sent.code, ResponseCode.SUCCESS);
      const response = await pulling;
      const latency = answeredAt - ackedAt;
      assert.ok(latency < 100, `woken ${latency} ms after the send`);
      t.diagnostic(`long-polling wake-up: answered ${latency} ms after the send's ack`);
      assert.equal(response.code, ResponseCode.SUCCESS);
      assert.deepEqual(decodeStoredMessages(response.body as Buffer).map((m) => m.body.toString()), ['for me']);
      assert.equal(response.extFields?.['nextBeginOffset'], '3');
      const offset = await h.call(RequestCode.QUERY_CONSUMER_OFFSET, { consumerGroup: 'CG-L', topic, queueId: 0 });
      assert.equal(offset.extFields?.['offset'], '5', 'the woken execution must not commit the offset again');
    });

    it('long polling: answers PULL_NOT_FOUND when the suspend time is up', async () => {
      const topic = `Timeout${serializeType}`;
      await h.call(RequestCode.SEND_MESSAGE_V2, v2Header(topic, ''), Buffer.from('x'));
      const start = Date.now();
      const response = await h.client.invokeSync(
        h.addr,
        RemotingCommand.createRequestCommand(
          RequestCode.PULL_MESSAGE,
          pullHeader(topic, 1, { sysFlag: PullSysFlag.FLAG_SUBSCRIPTION | PullSysFlag.FLAG_SUSPEND, suspendTimeoutMillis: 300 }),
        ),
        5000,
      );
      const elapsed = Date.now() - start;
      assert.equal(response.code, ResponseCode.PULL_NOT_FOUND);
      assert.ok(elapsed >= 290 && elapsed < 1500, `answered after ${elapsed} ms`);
      assert.equal(h.broker.pullRequestHoldService.size, 0);
    });

    it('long polling: the parked pulls of a closed connection are dropped', async () => {
      const other = new RemotingClient({ serializeType });
      await other.start();
      const pending = other.invokeAsync(
        h.addr,
        RemotingCommand.createRequestCommand(
          RequestCode.PULL_MESSAGE,
          pullHeader('T', 2, { sysFlag: PullSysFlag.FLAG_SUBSCRIPTION | PullSysFlag.FLAG_SUSPEND, suspendTimeoutMillis: 10_000 }),
        ),
        15_000,
      );
      pending.catch(() => undefined);
      await waitFor(() => h.broker.pullRequestHoldService.size === 1, 5000, 'the pull to be parked');
      await other.shutdown();
      await waitFor(() => h.broker.pullRequestHoldService.size === 0, 5000, 'the parked pull to be dropped');
    });

    it('offset queries (29-32), VIEW_MESSAGE_BY_ID, QUERY_MESSAGE and GET_TOPIC_STATS_INFO', async () => {
      const topic = `Q${serializeType}`;
      const before = Date.now();
      const sent = await h.call(RequestCode.SEND_MESSAGE_V2, v2Header(topic, props({ KEYS: 'order-1', UNIQ_KEY: 'UQ1' })), Buffer.from('q'));
      await h.call(RequestCode.SEND_MESSAGE_V2, v2Header(topic, props({ KEYS: 'order-2' })), Buffer.from('q2'));
      const q = { topic, queueId: 0 };
      assert.equal((await h.call(RequestCode.GET_MAX_OFFSET, q)).extFields?.['offset'], '2');
      assert.equal((await h.call(RequestCode.GET_MIN_OFFSET, q)).extFields?.['offset'], '0');
      const earliest = Number((await h.call(RequestCode.GET_EARLIEST_MSG_STORETIME, q)).extFields?.['timestamp']);
      assert.ok(earliest >= before - 5 && earliest <= Date.now());
      assert.equal((await h.call(RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, { ...q, timestamp: 0 })).extFields?.['offset'], '0');
      assert.equal((await h.call(RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, { ...q, timestamp: Date.now() + 60_000 })).extFields?.['offset'], '2');

      const { offset } = decodeMessageId(sent.extFields?.['msgId'] as string);
      const viewed = await h.call(RequestCode.VIEW_MESSAGE_BY_ID, { offset });
      assert.equal(viewed.code, ResponseCode.SUCCESS);
      const pulled = await h.call(RequestCode.PULL_MESSAGE, pullHeader(topic, 0, { maxMsgNums: 1 }));
      assert.deepEqual(viewed.body, pulled.body, 'the viewed record is byte for byte the stored one');
      assert.equal((await h.call(RequestCode.VIEW_MESSAGE_BY_ID, { offset: 1e12 })).code, ResponseCode.SYSTEM_ERROR);

      const byKey = await h.call(RequestCode.QUERY_MESSAGE, { topic, key: 'order-2', maxNum: 32, beginTimestamp: 0, endTimestamp: Date.now() + 1000 });
      assert.equal(byKey.code, ResponseCode.SUCCESS);
      assert.deepEqual(decodeStoredMessages(byKey.body as Buffer).map((m) => m.body.toString()), ['q2']);
      const byUniq = RemotingCommand.createRequestCommand(RequestCode.QUERY_MESSAGE, { topic, key: 'UQ1', maxNum: 1, beginTimestamp: 0, endTimestamp: Date.now() + 1000 });
      byUniq.addExtField('_UNIQUE_KEY_QUERY', 'true');
      const uniq = await h.client.invokeSync(h.addr, byUniq, 3000);
      assert.equal(decodeStoredMessages(uniq.body as Buffer)[0]?.properties.get(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX), 'UQ1');
      const none = await h.call(RequestCode.QUERY_MESSAGE, { topic, key: 'nope', maxNum: 32, beginTimestamp: 0, endTimestamp: Date.now() + 1000 });
      assert.equal(none.code, ResponseCode.QUERY_NOT_FOUND);

      const stats = await h.call(RequestCode.GET_TOPIC_STATS_INFO, { topic });
      assert.equal(stats.code, ResponseCode.SUCCESS);
      const text = stats.body?.toString() ?? '';
      assert.match(text, new RegExp(`^\\{"offsetTable":\\{\\{"brokerName":"broker-t","queueId":0,"topic":"${topic}"\\}:\\{"lastUpdateTimestamp":\\d+,"maxOffset":2,"minOffset":0\\}`));
      assert.equal((await h.call(RequestCode.GET_TOPIC_STATS_INFO, { topic: 'NoSuch' })).code, ResponseCode.TOPIC_NOT_EXIST);
    });
  });
}
