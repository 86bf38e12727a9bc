/**
 * POP consumption on our real broker (in process), through the remoting POP codes and the engine's own API:
 * pop / ack / change-invisible / revive with short invisible times, long polling woken by a send, tag and SQL92
 * filters, retry and DLQ, FIFO blocking with attempt ids, and concurrent pops of one queue.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import { defaultTopicConfig } from '../../src/protocol/bodies/topic-config.js';
import { decodeStoredMessages, RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/index.js';
import { decodeConsumeStats } from '../../src/protocol/bodies/consumer-admin.js';
import { encodeHeartbeatData } from '../../src/protocol/bodies/heartbeat-data.js';
import { encodeSetMessageRequestModeRequestBody } from '../../src/protocol/bodies/message-request-mode.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { changedHandle, PopClient } from '../helpers/pop-client.js';
import { waitFor } from '../helpers/wait.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';

describe('POP on our broker', () => {
  let dir: string;
  let namesrv: NamesrvController;
  let broker: BrokerController;
  let client: RemotingClient;
  let pop: PopClient;
  let topicSeq = 0;

  /** A fresh topic (queues as asked) and group per test: the tests share one broker. */
  async function freshTopic(queues = 4): Promise<{ topic: string; group: string }> {
    const topic = `PopT${++topicSeq}`;
    await broker.topicConfigManager.updateTopicConfig({ ...defaultTopicConfig(topic), readQueueNums: queues, writeQueueNums: queues });
    return { topic, group: `PopG${topicSeq}` };
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-pop-'));
    ({ namesrv } = await startTestNamesrv(dir));
    broker = await startTestBroker(dir, `127.0.0.1:${namesrv.port}`, { broker: { reviveInterval: 50, enablePropertyFilter: true } });
    client = new RemotingClient();
    await client.start();
    pop = new PopClient(client, broker.brokerAddr);
  });

  after(async () => {
    await client.shutdown();
    await broker.shutdown();
    await namesrv.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it('pops with receipt handles, acks, and redelivers what was not acked after its invisible time (attempt + 1, retry topic)', async () => {
    const { topic, group } = await freshTopic();
    for (const body of ['a', 'b', 'c']) await pop.send(topic, 0, body);
    const first = await pop.pop(group, topic, { invisibleTime: 300 });
    assert.equal(first.code, ResponseCode.SUCCESS);
    assert.deepEqual(first.messages.map((m) => m.body.toString()).sort(), ['a', 'b', 'c']);
    assert.equal(first.header['reviveQid'], '0');
    for (const m of first.messages) assert.equal(m.reconsumeTimes, 0);
    const [a, b] = first.messages.sort((x, y) => x.queueOffset - y.queueOffset);
    assert.equal((await pop.ack(group, topic, a!)).code, ResponseCode.SUCCESS);
    // Nothing is visible while b and c are invisible.
    assert.equal((await pop.pop(group, topic, { pollTime: 0 })).code, ResponseCode.POLLING_TIMEOUT);
    // b and c come back (from the group's retry topic, under the topic's name), a never does.
    const again = new Map<string, number>();
    for (let round = 0; round < 20 && again.size < 2; round++) {
      const next = await pop.pop(group, topic, { pollTime: 3000, invisibleTime: 60_000 });
      for (const m of next.messages) {
        assert.equal(m.topic, topic);
        assert.match(m.handle, / 1 broker-a 0 /, 'a handle of the v1 retry topic');
        again.set(m.body.toString(), m.reconsumeTimes);
        assert.equal((await pop.ack(group, topic, m)).code, ResponseCode.SUCCESS);
      }
    }
    assert.deepEqual(Object.fromEntries(again), { b: 1, c: 1 });
    assert.notEqual(b, undefined);
    assert.ok(broker.topicConfigManager.selectTopicConfig(`%RETRY%${group}_${topic}`) !== undefined, 'the POP retry topic was created');
    assert.equal((await pop.pop(group, topic, { pollTime: 400 })).code, ResponseCode.POLLING_TIMEOUT, 'nothing comes back once acked');
    // PopMetricsManager's counters: the checkpoint and acks written, the checkpoint revived, b and c put to the retry topic.
    const count = (samples: { labels: Record<string, string>; value: number }[], labels: Record<string, string>): number =>
      samples.filter((x) => x.labels['topic'] === topic && Object.entries(labels).every(([k, v]) => x.labels[k] === v)).reduce((n, x) => n + x.value, 0);
    const metrics = broker.brokerMetricsManager;
    assert.ok(count(metrics.popReviveIn.samples(), { consumer_group: group, revive_message_type: 'CK', put_status: 'PUT_OK' }) >= 1);
    assert.ok(count(metrics.popReviveIn.samples(), { revive_message_type: 'ACK', put_status: 'PUT_OK' }) >= 2);
    assert.ok(count(metrics.popReviveOut.samples(), { consumer_group: group, revive_message_type: 'CK', queue_id: '0' }) >= 1);
    assert.equal(count(metrics.popReviveRetry.samples(), { consumer_group: group, put_status: 'PUT_OK' }), 2);
  });

  it('change-invisible gives a new handle; the old one then acks nothing, and 0 makes the message visible at once', async () => {
    const { topic, group } = await freshTopic(1);
    await pop.send(topic, 0, 'x');
    const [m] = (await pop.pop(group, topic, { invisibleTime: 60_000 })).messages;
    assert.ok(m !== undefined);
    const changed = await pop.changeInvisibleTime(group, topic, m, 60_000);
    assert.equal(changed.code, ResponseCode.SUCCESS);
    const handle = changedHandle(m.handle, changed);
    assert.notEqual(handle, m.handle);
    assert.equal((await pop.ack(group, topic, m)).code, ResponseCode.SUCCESS, 'the old handle is a silent no-op');
    const nack = await pop.changeInvisibleTime(group, topic, { ...m, handle }, 0);
    assert.equal(nack.code, ResponseCode.SUCCESS);
    const back = await pop.pop(group, topic, { pollTime: 3000 });
    assert.deepEqual(
      back.messages.map((x) => [x.body.toString(), x.reconsumeTimes]),
      [['x', 1]],
      'the message the old handle "acked" comes back: that ack did nothing',
    );
    assert.equal((await pop.ack(group, topic, back.messages[0]!)).code, ResponseCode.SUCCESS);
    const stale = await pop.changeInvisibleTime(group, topic, back.messages[0]!, 1000);
    assert.equal(stale.code, ResponseCode.NO_MESSAGE, 'an acked message cannot be made invisible again');
  });

  it('a long poll is answered by a send, POLLING_TIMEOUT when nothing comes, POLLING_FULL beyond popPollingSize', async () => {
    const { topic, group } = await freshTopic(2);
    const started = Date.now();
    const parked = pop.pop(group, topic, { pollTime: 10_000 });
    // The pop is parked before the send (its poll is registered synchronously once the first read found nothing).
    await waitParked(broker, 1);
    await pop.send(topic, 1, 'woke');
    const woken = await parked;
    assert.deepEqual(
      woken.messages.map((m) => m.body.toString()),
      ['woke'],
    );
    assert.ok(Date.now() - started < 8000, 'answered by the send, not by the poll time');
    assert.equal((await pop.pop(group, topic, { pollTime: 200 })).code, ResponseCode.POLLING_TIMEOUT);

    await broker.updateConfig(new Map([['popPollingSize', '1']]));
    try {
      const holding = pop.pop(group, topic, { queueId: 0, pollTime: 10_000 });
      await waitParked(broker, 1);
      assert.equal((await pop.pop(group, topic, { queueId: 0, pollTime: 10_000 })).code, ResponseCode.POLLING_FULL);
      await pop.send(topic, 0, 'release');
      assert.equal((await holding).messages.length, 1);
    } finally {
      await broker.updateConfig(new Map([['popPollingSize', '1024']]));
    }
  });

  it('a long poll woken after its requester left pops nothing for it', async () => {
    const { topic, group } = await freshTopic(1);
    let active = true;
    const parked = broker.popEngine.pop({ group, topic, queueId: -1, maxMsgNums: 1, invisibleTime: 60_000, pollTime: 10_000, isActive: () => active });
    await waitParked(broker, 1);
    active = false;
    await pop.send(topic, 0, 'for-the-living');
    assert.equal((await parked).status, 'POLLING_TIMEOUT');
    assert.deepEqual(
      (await pop.pop(group, topic)).messages.map((m) => m.body.toString()),
      ['for-the-living'],
      'still visible to the next consumer',
    );
  });

  it('filters by tag and by SQL92, in the topic and in its retry topic', async () => {
    const { topic, group } = await freshTopic(1);
    await pop.send(topic, 0, 'tagA', { tags: 'A' });
    await pop.send(topic, 0, 'tagB', { tags: 'B' });
    await pop.send(topic, 0, 'sql7', { tags: 'C', properties: { n: '7' } });
    const byTag = await pop.pop(group, topic, { exp: 'A || C', invisibleTime: 200 });
    assert.deepEqual(byTag.messages.map((m) => m.body.toString()).sort(), ['sql7', 'tagA']);
    // Redelivered through the retry topic, still filtered.
    const back = await pop.pop(group, topic, { exp: 'A || C', pollTime: 3000 });
    assert.ok(back.messages.length >= 1);
    for (const m of back.messages) assert.ok(['tagA', 'sql7'].includes(m.body.toString()));

    const { topic: sqlTopic, group: sqlGroup } = await freshTopic(1);
    for (const n of [1, 7, 9]) await pop.send(sqlTopic, 0, `n${n}`, { properties: { n: String(n) } });
    const bySql = await pop.pop(sqlGroup, sqlTopic, { expType: 'SQL92', exp: 'n > 5' });
    assert.deepEqual(bySql.messages.map((m) => m.body.toString()).sort(), ['n7', 'n9']);
  });

  it('moves a message to %DLQ%<group> once its reconsumeTimes reaches maxAttempts (engine option, as the proxy asks)', async () => {
    const { topic, group } = await freshTopic(1);
    await pop.send(topic, 0, 'doomed');
    const first = await broker.popEngine.pop({ group, topic, queueId: -1, maxMsgNums: 1, invisibleTime: 100, pollTime: 0, maxAttempts: 1 });
    assert.equal(first.status, 'FOUND');
    // Not acked: revived with reconsumeTimes 1, which reaches maxAttempts 1: the next pop moves it instead.
    const dlq = `%DLQ%${group}`;
    for (let round = 0; round < 50 && broker.messageStore.getMaxOffsetInQueue(dlq, 0) === 0; round++) {
      const next = await broker.popEngine.pop({ group, topic, queueId: -1, maxMsgNums: 1, invisibleTime: 100, pollTime: 500, maxAttempts: 1 });
      assert.equal(next.status, 'POLLING_TIMEOUT', 'never delivered again');
    }
    const stored = broker.messageStore.getMessage('check', dlq, 0, 0, 4);
    const moved = decodeStoredMessages(Buffer.concat(stored.messageBuffers));
    assert.deepEqual(
      moved.map((m) => [m.body.toString(), m.reconsumeTimes, m.properties.get('RETRY_TOPIC')]),
      [['doomed', 1, topic]],
    );
  });

  it('FIFO: a batch in flight blocks its queue except for its attempt id; after expiry the same offsets come back counted; ack frees the queue', async () => {
    const { topic, group } = await freshTopic(1);
    for (const body of ['f0', 'f1', 'f2']) await pop.send(topic, 0, body);
    const first = await pop.pop(group, topic, { order: true, attemptId: 'a1', max: 2, invisibleTime: 400 });
    assert.deepEqual(
      first.messages.map((m) => m.body.toString()),
      ['f0', 'f1'],
    );
    assert.equal(first.header['reviveQid'], '999');
    assert.equal((await pop.pop(group, topic, { order: true, attemptId: 'a2', max: 2 })).code, ResponseCode.POLLING_TIMEOUT, 'blocked');
    const retried = await pop.pop(group, topic, { order: true, attemptId: 'a1', max: 2, invisibleTime: 400 });
    assert.deepEqual(
      retried.messages.map((m) => m.queueOffset),
      [0, 1],
      'the same attempt id gets its batch again',
    );
    // After the invisible time the same offsets come back to a new attempt, counted once more.
    const expired = await pop.pop(group, topic, { order: true, attemptId: 'a3', max: 2, pollTime: 3000, invisibleTime: 60_000 });
    assert.deepEqual(
      expired.messages.map((m) => m.queueOffset),
      [0, 1],
    );
    assert.match(expired.header['orderCountInfo'] ?? '', /0 qo0%0 1/);
    // A pop waiting on the blocked queue is woken by the acks.
    const waiting = pop.pop(group, topic, { order: true, attemptId: 'a4', max: 2, pollTime: 10_000 });
    await waitParked(broker, 1);
    for (const m of expired.messages) {
      const handle = m.handle.split(' ');
      assert.equal(handle[3], '999');
      assert.equal((await pop.ack(group, topic, m)).code, ResponseCode.SUCCESS);
    }
    assert.deepEqual(
      (await waiting).messages.map((m) => m.body.toString()),
      ['f2'],
    );
  });

  it('PEEK_MESSAGE reads without popping; NOTIFICATION long-polls for a message; POLLING_INFO counts parked pops', async () => {
    const { topic, group } = await freshTopic(1);
    const call = (code: number, header: Record<string, string | number | boolean>, timeout = 5000): Promise<RemotingCommand> =>
      client.invokeSync(broker.brokerAddr, RemotingCommand.createRequestCommand(code, header), timeout);
    const notify = (pollTime: number): Promise<RemotingCommand> => call(RequestCode.NOTIFICATION, { consumerGroup: group, topic, queueId: -1, pollTime, bornTime: Date.now() }, pollTime + 5000);
    assert.equal((await notify(0)).extFields?.['hasMsg'], 'false');
    const waiting = notify(10_000);
    await waitParked(broker, 1);
    const pollingInfo = await call(RequestCode.POLLING_INFO, { consumerGroup: group, topic, queueId: -1 });
    assert.equal(pollingInfo.extFields?.['pollingNum'], '1');
    await pop.send(topic, 0, 'p0');
    await pop.send(topic, 0, 'p1');
    assert.equal((await waiting).extFields?.['hasMsg'], 'true', 'woken by the send');
    const peek = (): Promise<RemotingCommand> => call(RequestCode.PEEK_MESSAGE, { consumerGroup: group, topic, queueId: 0, maxMsgNums: 32 });
    const peeked = await peek();
    assert.equal(peeked.code, ResponseCode.SUCCESS);
    assert.deepEqual(
      decodeStoredMessages(peeked.body as Buffer).map((m) => m.body.toString()),
      ['p0', 'p1'],
    );
    const popped = await pop.pop(group, topic);
    assert.equal(popped.messages.length, 2, 'a peek pops nothing');
    assert.equal((await peek()).code, ResponseCode.PULL_NOT_FOUND);
  });

  it('BATCH_ACK_MESSAGE acks the offsets of its bit set; GET_CONSUME_STATS shows the pop offset', async () => {
    const { topic, group } = await freshTopic(1);
    for (const body of ['b0', 'b1', 'b2', 'b3']) await pop.send(topic, 0, body);
    const popped = await pop.pop(group, topic, { max: 3, invisibleTime: 300 });
    assert.equal(popped.messages.length, 3);
    // Bits 0 and 2 of the pop starting at offset 0: b0 and b2 acked, b1 left to come back.
    const ack = { c: group, t: topic, r: '0', so: 0, q: 0, rq: 0, pt: Number(popped.header['popTime']), it: 300, b: Buffer.from([0b101]).toString('base64') };
    const request = RemotingCommand.createRequestCommand(RequestCode.BATCH_ACK_MESSAGE, {});
    request.body = Buffer.from(JSON.stringify({ brokerName: 'broker-a', acks: [ack] }));
    assert.equal((await client.invokeSync(broker.brokerAddr, request, 5000)).code, ResponseCode.SUCCESS);
    assert.equal(broker.popEngine.inFlightCount(group, topic, 0), 1);
    const stats = await client.invokeSync(broker.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.GET_CONSUME_STATS, { consumerGroup: group, topic }), 5000);
    const wrappers = decodeConsumeStats(stats.body).offsetTable.map(([, w]) => [w.brokerOffset, w.consumerOffset]);
    assert.deepEqual(wrappers, [[4, 3]], 'the consumer offset is the pop offset, as Java shows it');
    const back: string[] = [];
    for (let round = 0; round < 10 && back.length < 2; round++) {
      for (const m of (await pop.pop(group, topic, { pollTime: 3000 })).messages) {
        back.push(m.body.toString());
        await pop.ack(group, topic, m);
      }
    }
    assert.deepEqual(back.sort(), ['b1', 'b3'], 'b1 (not in the batch ack) comes back, b0 and b2 do not');
    assert.equal((await pop.pop(group, topic, { pollTime: 500 })).code, ResponseCode.POLLING_TIMEOUT);
  });

  it('SET_MESSAGE_REQUEST_MODE puts a group in POP mode; QUERY_ASSIGNMENT then answers one POP assignment with queueId -1', async () => {
    const { topic, group } = await freshTopic(4);
    const clientID = '127.0.0.1@pop-test';
    const heartbeat = RemotingCommand.createRequestCommand(RequestCode.HEART_BEAT, {});
    const sub = { topic, subString: '*', tagsSet: [], codeSet: [], subVersion: Date.now(), expressionType: 'TAG', classFilterMode: false };
    heartbeat.body = encodeHeartbeatData({
      clientID,
      producerDataSet: [],
      consumerDataSet: [{ groupName: group, consumeType: 'CONSUME_POP', messageModel: 'CLUSTERING', consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET', subscriptionDataSet: [sub], unitMode: false }],
      heartbeatFingerprint: 0,
      withoutSub: false,
    });
    assert.equal((await client.invokeSync(broker.brokerAddr, heartbeat, 5000)).code, ResponseCode.SUCCESS);
    const query = async (): Promise<unknown> => {
      const request = RemotingCommand.createRequestCommand(RequestCode.QUERY_ASSIGNMENT, {});
      request.body = Buffer.from(JSON.stringify({ topic, consumerGroup: group, clientId: clientID, strategyName: 'AVG', messageModel: 'CLUSTERING' }));
      const response = await client.invokeSync(broker.brokerAddr, request, 5000);
      assert.equal(response.code, ResponseCode.SUCCESS);
      return JSON.parse((response.body as Buffer).toString());
    };
    const pulled = (await query()) as { messageQueueAssignments: { messageQueue: { queueId: number }; mode: string }[] };
    assert.deepEqual(
      pulled.messageQueueAssignments.map((a) => [a.messageQueue.queueId, a.mode]),
      [[0, 'PULL'], [1, 'PULL'], [2, 'PULL'], [3, 'PULL']],
      'PULL by default: the only client gets every queue',
    );
    const set = RemotingCommand.createRequestCommand(RequestCode.SET_MESSAGE_REQUEST_MODE, {});
    set.body = Buffer.from(encodeSetMessageRequestModeRequestBody({ topic, consumerGroup: group, mode: 'POP', popShareQueueNum: 0 }));
    assert.equal((await client.invokeSync(broker.brokerAddr, set, 5000)).code, ResponseCode.SUCCESS);
    assert.deepEqual(await query(), { messageQueueAssignments: [{ messageQueue: { brokerName: 'broker-a', queueId: -1, topic }, mode: 'POP' }] });
  });

  it('concurrent pops of one queue never hand out the same offset twice', async () => {
    const { topic, group } = await freshTopic(1);
    for (let i = 0; i < 60; i++) await pop.send(topic, 0, `c${i}`);
    const results = await Promise.all(Array.from({ length: 12 }, () => pop.pop(group, topic, { max: 8 })));
    const offsets = results.flatMap((r) => r.messages.map((m) => m.queueOffset));
    assert.equal(new Set(offsets).size, offsets.length, 'no offset twice');
    assert.equal(offsets.length, 60, 'all 60 handed out (12 pops of up to 8)');
    assert.equal(broker.popEngine.inFlightCount(group, topic, 0), 60);
  });
});

/** The engine parks a pop only after its first read found nothing: wait until `n` are parked. */
function waitParked(broker: BrokerController, n: number): Promise<void> {
  return waitFor(() => broker.popEngine.popLongPollingService.pollingNum >= n, 5000, `${n} parked pops`);
}
