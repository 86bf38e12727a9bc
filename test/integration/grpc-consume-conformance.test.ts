/**
 * Raw gRPC conformance of consumption (ReceiveMessage, AckMessage, ChangeInvisibleDuration,
 * ForwardMessageToDeadLetterQueue): a grpc-js client with our codec against a real in-process name server + broker
 * with a short long-polling range (1 s .. 3 s), checking the stream shapes and codes of docs/COMPATIBILITY.md.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import { enums } from '../../src/grpc/schema.js';
import type { Msg, MsgInit } from '../../src/grpc/types.js';
import { startGrpcTestBroker, type GrpcTestBroker } from '../helpers/grpc-broker.js';
import { RawMessagingClient } from '../helpers/grpc-client.js';
import { pollFor } from '../helpers/wait.js';

const Code = enums.Code;
const NEW_CLIENT = { 'x-mq-client-version': '5.2.0' };

function message(topic: string, body: string, overrides: MsgInit<'SystemProperties'> = {}): MsgInit<'Message'> {
  return {
    topic: { name: topic },
    systemProperties: { messageId: `01${Math.random().toString(16).slice(2, 18).toUpperCase().padEnd(32, '0')}`, messageType: enums.MessageType.NORMAL, bornTimestamp: Date.now(), ...overrides },
    body: Buffer.from(body),
  };
}

describe('gRPC consumption conformance (raw client, in-process broker)', () => {
  let env: GrpcTestBroker;
  let broker: BrokerController;
  let address: string;
  const clients: RawMessagingClient[] = [];

  /** A client whose Settings (a simple consumer of `group` on `topic`) the server has answered. */
  const consumer = async (id: string, group: string, topic: string): Promise<RawMessagingClient> => {
    const c = new RawMessagingClient(address, id);
    clients.push(c);
    const t = c.telemetry();
    t.send({ settings: { clientType: enums.ClientType.SIMPLE_CONSUMER, requestTimeout: 3000, subscription: { group: { name: group }, subscriptions: [{ topic: { name: topic }, expression: { type: enums.FilterType.TAG, expression: '*' } }] } } });
    assert.equal((await t.nth(1)).status?.code, Code.OK);
    return c;
  };
  const send = async (topic: string, bodies: string[], overrides: MsgInit<'SystemProperties'> = {}): Promise<void> => {
    const c = new RawMessagingClient(address, 'sender');
    clients.push(c);
    const response = await c.unary('SendMessage', { messages: bodies.map((b) => message(topic, b, overrides)) });
    assert.equal(response.status?.code, Code.OK, response.status?.message);
  };
  const receiveRequest = (group: string, topic: string, overrides: MsgInit<'ReceiveMessageRequest'> = {}): MsgInit<'ReceiveMessageRequest'> => ({
    group: { name: group },
    messageQueue: { topic: { name: topic }, id: 0 },
    filterExpression: { type: enums.FilterType.TAG, expression: '*' },
    batchSize: 32,
    invisibleDuration: 10_000,
    autoRenew: false,
    longPollingTimeout: 1000,
    ...overrides,
  });
  const messagesOf = (elements: Msg<'ReceiveMessageResponse'>[]): Msg<'Message'>[] => elements.flatMap((e) => (e.message === undefined ? [] : [e.message]));

  before(async () => {
    env = await startGrpcTestBroker({
      prefix: 'rmq-grpc-consume-',
      broker: { enablePropertyFilter: true },
      grpc: { longPollingTimeoutMillis: 3000, consumer: { minLongPollingTimeoutMillis: 1000 } },
      topics: Object.fromEntries(['TopicShape', 'TopicEmpty', 'TopicAck', 'TopicChange', 'TopicDlq', 'TopicSql', 'TopicGone'].map((name) => [name, 'NORMAL'])),
      groups: { GroupDlq: { retryMaxTimes: 1 } },
    });
    ({ broker, endpoint: address } = env);
  });

  after(async () => {
    for (const c of clients) c.close();
    await env.stop();
  });

  it('answers ReceiveMessage before Settings with UNRECOGNIZED_CLIENT_TYPE (40015), in the stream shape', async () => {
    const c = new RawMessagingClient(address, 'receive-without-settings');
    clients.push(c);
    const { elements } = await c.receive(receiveRequest('GroupA', 'TopicShape'));
    assert.equal(elements.length, 2);
    assert.equal(elements[0]?.status?.code, Code.UNRECOGNIZED_CLIENT_TYPE);
    assert.ok((elements[1]?.deliveryTimestamp ?? 0) > 0);
  });

  it('streams {status OK}, the messages (handle, attempt 1, topic), then {delivery_timestamp}', async () => {
    await send('TopicShape', ['a', 'b', 'c'], { tag: 'TagA', keys: ['k1', 'k2'] });
    const c = await consumer('shape-1', 'GroupShape', 'TopicShape');
    const { elements } = await c.receive(receiveRequest('GroupShape', 'TopicShape'));
    assert.equal(elements[0]?.status?.code, Code.OK);
    assert.ok((elements.at(-1)?.deliveryTimestamp ?? 0) > 0);
    const got = messagesOf(elements);
    assert.equal(elements.length, got.length + 2);
    assert.deepEqual(got.map((m) => m.body.toString()).sort(), ['a', 'b', 'c']);
    for (const m of got) {
      assert.equal(m.topic?.name, 'TopicShape');
      assert.equal(m.systemProperties?.deliveryAttempt, 1);
      assert.equal(m.systemProperties?.tag, 'TagA');
      assert.deepEqual(m.systemProperties?.keys, ['k1', 'k2']);
      assert.equal(m.systemProperties?.receiptHandle?.split(' ').length, 9);
    }
    const again = await c.receive(receiveRequest('GroupShape', 'TopicShape'));
    assert.equal(again.elements[0]?.status?.code, Code.MESSAGE_NOT_FOUND, 'invisible messages are not handed out twice');
  });

  it('holds an empty poll for its long-polling time (±10 %), clamped to the configured maximum, then MESSAGE_NOT_FOUND', async () => {
    const c = await consumer('poll-1', 'GroupPoll', 'TopicEmpty');
    const short = await c.receive(receiveRequest('GroupPoll', 'TopicEmpty', { longPollingTimeout: 2000 }));
    assert.deepEqual(short.elements.map((e) => e.status?.code ?? 'timestamp'), [Code.MESSAGE_NOT_FOUND, 'timestamp']);
    assert.equal(short.elements[0]?.status?.message, 'no new message');
    assert.ok(short.elapsed >= 1800 && short.elapsed <= 2200, `2 s poll took ${short.elapsed} ms`);
    const long = await c.receive(receiveRequest('GroupPoll', 'TopicEmpty', { longPollingTimeout: 60_000 }));
    assert.ok(long.elapsed >= 2700 && long.elapsed <= 3300, `poll clamped to 3 s took ${long.elapsed} ms`);
  });

  it('answers ILLEGAL_POLLING_TIME (BAD_REQUEST for clients older than 5.0.3) when the deadline leaves less than the minimum poll', async () => {
    const c = await consumer('poll-2', 'GroupPoll', 'TopicEmpty');
    const refused = await c.receive(receiveRequest('GroupPoll', 'TopicEmpty', { longPollingTimeout: 2000 }), { deadlineMillis: 600, extra: NEW_CLIENT });
    assert.equal(refused.elements[0]?.status?.code, Code.ILLEGAL_POLLING_TIME);
    assert.match(refused.elements[0]?.status?.message ?? '', /\d+ ms left, the minimum polling time is 1000 ms/);
    const old = await c.receive(receiveRequest('GroupPoll', 'TopicEmpty', { longPollingTimeout: 2000 }), { deadlineMillis: 600, extra: { 'x-mq-client-version': '5.0.1' } });
    assert.equal(old.elements[0]?.status?.code, Code.BAD_REQUEST);
  });

  it('answers ILLEGAL_INVISIBLE_TIME, ILLEGAL_FILTER_EXPRESSION, ILLEGAL_CONSUMER_GROUP and TOPIC_NOT_FOUND', async () => {
    const c = await consumer('checks-1', 'GroupChecks', 'TopicEmpty');
    const first = async (request: MsgInit<'ReceiveMessageRequest'>): Promise<Msg<'Status'> | undefined> => (await c.receive(request)).elements[0]?.status;
    assert.equal((await first(receiveRequest('GroupChecks', 'TopicEmpty', { invisibleDuration: 5000 })))?.code, Code.ILLEGAL_INVISIBLE_TIME);
    assert.equal((await first(receiveRequest('GroupChecks', 'TopicEmpty', { invisibleDuration: 13 * 3600_000 })))?.code, Code.ILLEGAL_INVISIBLE_TIME);
    const badSql = await first(receiveRequest('GroupChecks', 'TopicEmpty', { filterExpression: { type: enums.FilterType.SQL, expression: 'a > > 1' } }));
    assert.equal(badSql?.code, Code.ILLEGAL_FILTER_EXPRESSION);
    assert.equal((await first(receiveRequest('bad group!', 'TopicEmpty')))?.code, Code.ILLEGAL_CONSUMER_GROUP);
    assert.equal((await first(receiveRequest('GroupChecks', 'NoSuchTopic')))?.code, Code.TOPIC_NOT_FOUND);
  });

  it('filters with SQL92 over user properties', async () => {
    await send('TopicSql', ['x'], {});
    const c = await consumer('sql-1', 'GroupSql', 'TopicSql');
    const sender = new RawMessagingClient(address, 'sql-sender');
    clients.push(sender);
    const m = message('TopicSql', 'wanted');
    m.userProperties = new Map([['color', 'red']]);
    assert.equal((await sender.unary('SendMessage', { messages: [m] })).status?.code, Code.OK);
    const { elements } = await c.receive(receiveRequest('GroupSql', 'TopicSql', { filterExpression: { type: enums.FilterType.SQL, expression: "color = 'red'" } }));
    assert.deepEqual(messagesOf(elements).map((x) => x.body.toString()), ['wanted']);
  });

  it('acks per entry: OK, expired and malformed handles INVALID_RECEIPT_HANDLE, MULTIPLE_RESULTS on top', async () => {
    await send('TopicAck', ['one', 'two']);
    const c = await consumer('ack-1', 'GroupAck', 'TopicAck');
    const got = messagesOf((await c.receive(receiveRequest('GroupAck', 'TopicAck'))).elements);
    assert.equal(got.length, 2);
    const [first, second] = got as [Msg<'Message'>, Msg<'Message'>];
    const fields = (second.systemProperties?.receiptHandle ?? '').split(' ');
    fields[1] = String(Date.now() - 60_000);
    const expired = fields.join(' ');
    const response = await c.unary('AckMessage', {
      group: { name: 'GroupAck' },
      topic: { name: 'TopicAck' },
      entries: [
        { messageId: first.systemProperties?.messageId, receiptHandle: first.systemProperties?.receiptHandle },
        { messageId: second.systemProperties?.messageId, receiptHandle: expired },
        { messageId: 'x', receiptHandle: 'garbage' },
      ],
    });
    assert.equal(response.status?.code, Code.MULTIPLE_RESULTS);
    assert.deepEqual(response.entries.map((e) => e.status?.code), [Code.OK, Code.INVALID_RECEIPT_HANDLE, Code.INVALID_RECEIPT_HANDLE]);
    assert.equal(response.entries[1]?.status?.message, 'receipt handle is expired');
    const good = await c.unary('AckMessage', { group: { name: 'GroupAck' }, topic: { name: 'TopicAck' }, entries: [{ messageId: second.systemProperties?.messageId, receiptHandle: second.systemProperties?.receiptHandle }] });
    assert.equal(good.status?.code, Code.OK);
    assert.equal(broker.popEngine.inFlightCount('GroupAck', 'TopicAck', second.systemProperties?.queueId ?? 0), 0);
  });

  it('changes the invisible time under a new handle; the old handle’s ack is a silent no-op and the message comes back with attempt 2', async () => {
    await send('TopicChange', ['later']);
    const c = await consumer('change-1', 'GroupChange', 'TopicChange');
    const [m] = messagesOf((await c.receive(receiveRequest('GroupChange', 'TopicChange'))).elements);
    const handle = m?.systemProperties?.receiptHandle ?? '';
    const bad = await c.unary('ChangeInvisibleDuration', { group: { name: 'GroupChange' }, topic: { name: 'TopicChange' }, receiptHandle: handle, messageId: m?.systemProperties?.messageId, invisibleDuration: 13 * 3600_000 });
    assert.equal(bad.status?.code, Code.ILLEGAL_INVISIBLE_TIME);
    const changed = await c.unary('ChangeInvisibleDuration', { group: { name: 'GroupChange' }, topic: { name: 'TopicChange' }, receiptHandle: handle, messageId: m?.systemProperties?.messageId, invisibleDuration: 0 });
    assert.equal(changed.status?.code, Code.OK);
    assert.notEqual(changed.receiptHandle, handle);
    assert.equal(changed.receiptHandle.split(' ').length, 9);
    const oldAck = await c.unary('AckMessage', { group: { name: 'GroupChange' }, topic: { name: 'TopicChange' }, entries: [{ messageId: m?.systemProperties?.messageId, receiptHandle: handle }] });
    assert.equal(oldAck.status?.code, Code.OK);
    // Visible again (invisible time 0): the revive service hands it back as attempt 2 within a revive interval or two.
    let again: Msg<'Message'>[] = [];
    for (let i = 0; i < 5 && again.length === 0; i++) again = messagesOf((await c.receive(receiveRequest('GroupChange', 'TopicChange', { longPollingTimeout: 3000 }))).elements);
    assert.equal(again[0]?.body.toString(), 'later');
    assert.equal(again[0]?.systemProperties?.deliveryAttempt, 2);
    assert.equal(again[0]?.topic?.name, 'TopicChange');
  });

  it('forwards a message to %DLQ%<group> and acks it (ForwardMessageToDeadLetterQueue)', async () => {
    await send('TopicDlq', ['poison']);
    const c = await consumer('dlq-1', 'GroupDlq', 'TopicDlq');
    const [m] = messagesOf((await c.receive(receiveRequest('GroupDlq', 'TopicDlq'))).elements);
    const forwarded = await c.unary('ForwardMessageToDeadLetterQueue', {
      group: { name: 'GroupDlq' },
      topic: { name: 'TopicDlq' },
      receiptHandle: m?.systemProperties?.receiptHandle ?? '',
      messageId: m?.systemProperties?.messageId ?? '',
      deliveryAttempt: 1,
      maxDeliveryAttempts: 1,
    });
    assert.equal(forwarded.status?.code, Code.OK, forwarded.status?.message);
    assert.equal(broker.messageStore.getMaxOffsetInQueue('%DLQ%GroupDlq', 0), 1);
    assert.equal(broker.popEngine.inFlightCount('GroupDlq', 'TopicDlq', m?.systemProperties?.queueId ?? 0), 0);
    const garbage = await c.unary('ForwardMessageToDeadLetterQueue', { group: { name: 'GroupDlq' }, topic: { name: 'TopicDlq' }, receiptHandle: '1 2 3', messageId: 'x', deliveryAttempt: 1, maxDeliveryAttempts: 1 });
    assert.equal(garbage.status?.code, Code.INVALID_RECEIPT_HANDLE);
  });

  it('drops a cancelled receive from the long-polling waiters at once, not when its poll would have ended', async () => {
    const c = await consumer('gone-2', 'GroupGone2', 'TopicGone');
    const parked = () => broker.popEngine.popLongPollingService.pollingNumOf('TopicGone', 'GroupGone2', -1);
    const started = Date.now();
    const call = c.receive(receiveRequest('GroupGone2', 'TopicGone', { longPollingTimeout: 3000 }), { cancelAfterMillis: 300 });
    await pollFor(() => Promise.resolve(parked()), (n) => n === 1, { timeoutMillis: 2000, intervalMillis: 10, what: 'the receive parked' });
    await pollFor(() => Promise.resolve(parked()), (n) => n === 0, { timeoutMillis: 5000, intervalMillis: 10, what: 'the cancelled receive leaving the waiters' });
    const droppedAfter = Date.now() - started;
    // Cancelled at 300 ms; a poll left parked would stay until 3000 ms.
    assert.ok(droppedAfter < 1500, `dropped ${droppedAfter} ms after the call started`);
    await call;
    assert.equal(broker.popEngine.popLongPollingService.pollingNum, 0, 'nothing parked for a client that left');
  });

  it('makes the messages of a cancelled receive visible again at once', async () => {
    const c = await consumer('gone-1', 'GroupGone', 'TopicGone');
    // The client gives up while the poll is parked; a message arriving then must not be lost to nobody.
    const cancelled = c.receive(receiveRequest('GroupGone', 'TopicGone', { longPollingTimeout: 3000 }), { cancelAfterMillis: 300 });
    await cancelled;
    await send('TopicGone', ['after-cancel']);
    const started = Date.now();
    const { elements } = await c.receive(receiveRequest('GroupGone', 'TopicGone', { longPollingTimeout: 3000 }));
    assert.deepEqual(messagesOf(elements).map((x) => x.body.toString()), ['after-cancel']);
    assert.equal(messagesOf(elements)[0]?.systemProperties?.deliveryAttempt, 1);
    assert.ok(Date.now() - started < 2500, 'not held for the cancelled call');
  });
});

describe('gRPC push auto-renew (raw client, in-process broker, 2 s default invisible time)', () => {
  let env: GrpcTestBroker;
  let broker: BrokerController;
  let address: string;
  const clients: RawMessagingClient[] = [];

  before(async () => {
    env = await startGrpcTestBroker({
      prefix: 'rmq-grpc-renew-',
      grpc: {
        longPollingTimeoutMillis: 2000,
        consumer: { minLongPollingTimeoutMillis: 500, defaultInvisibleTimeMillis: 2000, renewAheadTimeMillis: 1500, renewSchedulePeriodMillis: 200 },
      },
      topics: { TopicRenew: 'NORMAL' },
      queues: 1,
    });
    ({ broker, endpoint: address } = env);
  });

  after(async () => {
    for (const c of clients) c.close();
    await env.stop();
  });

  const pushClient = async (id: string) => {
    const c = new RawMessagingClient(address, id);
    clients.push(c);
    const t = c.telemetry();
    t.send({ settings: { clientType: enums.ClientType.PUSH_CONSUMER, requestTimeout: 3000, subscription: { group: { name: 'GroupRenew' }, subscriptions: [{ topic: { name: 'TopicRenew' }, expression: { type: enums.FilterType.TAG, expression: '*' } }] } } });
    assert.equal((await t.nth(1)).status?.code, Code.OK);
    return { c, t };
  };
  const request: MsgInit<'ReceiveMessageRequest'> = {
    group: { name: 'GroupRenew' },
    messageQueue: { topic: { name: 'TopicRenew' }, id: -1 },
    filterExpression: { type: enums.FilterType.TAG, expression: '*' },
    batchSize: 32,
    autoRenew: true,
    longPollingTimeout: 1000,
  };
  const messagesOf = (elements: Msg<'ReceiveMessageResponse'>[]): Msg<'Message'>[] => elements.flatMap((e) => (e.message === undefined ? [] : [e.message]));

  it('keeps an auto-renewed message invisible past its invisible time, and acks it with the stale first handle', async () => {
    const { c } = await pushClient('push-renew-1');
    const sent = await c.unary('SendMessage', { messages: [message('TopicRenew', 'held')] });
    assert.equal(sent.status?.code, Code.OK);
    const [m] = messagesOf((await c.receive(request)).elements);
    assert.equal(m?.body.toString(), 'held');
    // Three times the 2 s invisible time: without renewal it would be handed out again (attempt 2).
    const other = await pushClient('push-renew-2');
    for (let i = 0; i < 3; i++) assert.deepEqual(messagesOf((await other.c.receive({ ...request, longPollingTimeout: 2000 })).elements), [], `round ${i}`);
    const ack = await c.unary('AckMessage', { group: { name: 'GroupRenew' }, topic: { name: 'TopicRenew' }, entries: [{ messageId: m?.systemProperties?.messageId, receiptHandle: m?.systemProperties?.receiptHandle }] });
    assert.equal(ack.status?.code, Code.OK, 'the server swapped in its latest handle');
    assert.equal(broker.popEngine.inFlightCount('GroupRenew', 'TopicRenew', 0), 0);
    assert.deepEqual(messagesOf((await other.c.receive(request)).elements), []);
  });

  it('gives a leaving client’s held messages back at once (Telemetry ended)', async () => {
    const { c, t } = await pushClient('push-leave-1');
    await c.unary('SendMessage', { messages: [message('TopicRenew', 'orphan')] });
    const [m] = messagesOf((await c.receive(request)).elements);
    assert.equal(m?.body.toString(), 'orphan');
    t.call.end();
    await t.ended;
    const other = await pushClient('push-leave-2');
    let again: Msg<'Message'>[] = [];
    const started = Date.now();
    for (let i = 0; i < 5 && again.length === 0; i++) again = messagesOf((await other.c.receive(request)).elements);
    assert.equal(again[0]?.body.toString(), 'orphan');
    assert.equal(again[0]?.systemProperties?.deliveryAttempt, 2);
    assert.ok(Date.now() - started < 5000, `given back after ${Date.now() - started} ms`);
  });
});
