/**
 * Request-reply with our clients on our broker (issue 15): Producer.request sends a request (CORRELATION_ID,
 * REPLY_TO_CLIENT, TTL), a PushConsumer replier answers with createReplyMessage + send (SEND_REPLY_MESSAGE_V2), the
 * broker pushes the reply to the requester (PUSH_REPLY_MESSAGE_TO_CLIENT) and stores it in DefaultCluster_REPLY_TOPIC.
 * Also: compressed bodies both ways, 200 requests in flight, no replier (RequestTimeoutError 10006 after the
 * timeout), a failed send, an abort, a shutdown with requests waiting, a reply nobody waits for, and a reply to an
 * unknown client (SYSTEM_ERROR at the replier). test/interop/request-reply-java.test.ts runs Java's side.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import {
  Admin,
  ClientErrorCode,
  MQBrokerError,
  MQClientError,
  MQClientManager,
  Producer,
  PushConsumer,
  RequestCode,
  RequestTimeoutError,
  ResponseCode,
  createReplyMessage,
  type ConsumerMessage,
  type Logger,
  type RequestEndPayload,
} from '../../src/index.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

const TOPIC = 'RequestTopic';
const NO_REPLIER_TOPIC = 'NoReplierTopic';
const REPLY_TOPIC = 'DefaultCluster_REPLY_TOPIC';

/** A logger that keeps the warnings. */
function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const ignore = (): void => undefined;
  return { warnings, debug: ignore, info: ignore, error: ignore, warn: (message: string) => void warnings.push(message) };
}

async function rejection(promise: Promise<unknown>): Promise<{ error: unknown; after: number }> {
  const begin = Date.now();
  try {
    await promise;
  } catch (error) {
    return { error, after: Date.now() - begin };
  }
  assert.fail('expected a rejection');
}

describe('request-reply: our Producer.request and a PushConsumer replier on our broker', () => {
  let dir: string;
  let namesrv: NamesrvController;
  let namesrvAddr: string;
  let broker: BrokerController;
  let requester: Producer;
  let replierProducer: Producer;
  let replier: PushConsumer;
  const requesterLog = recordingLogger();
  /** The requests the replier got, by CORRELATION_ID. */
  const requests = new Map<string, ConsumerMessage>();
  const replyCodes: number[] = [];
  const requestEnds: RequestEndPayload[] = [];

  const newClient = <T>(make: (options: { nameServer: string; clientIP: string; clientManager: MQClientManager }) => T): T =>
    make({ nameServer: namesrvAddr, clientIP: '127.0.0.1', clientManager: new MQClientManager() });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-request-reply-'));
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    broker = await startTestBroker(dir, namesrvAddr);
    const admin = newClient((o) => new Admin(o));
    await admin.start();
    try {
      await admin.createTopic({ brokerAddr: broker.brokerAddr }, TOPIC);
      await admin.createTopic({ brokerAddr: broker.brokerAddr }, NO_REPLIER_TOPIC);
    } finally {
      await admin.shutdown();
    }
    replierProducer = newClient((o) => new Producer({ ...o, group: 'ReplierPG' }));
    replierProducer.on(Producer.events.REQUEST, ({ payload }) => {
      if (payload.code === RequestCode.SEND_REPLY_MESSAGE_V2 || payload.code === RequestCode.SEND_MESSAGE_V2) replyCodes.push(payload.code);
    });
    await replierProducer.start();
    replier = newClient((o) => new PushConsumer({ ...o, group: 'ReplierCG', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' }));
    let owned = 0;
    replier.on(PushConsumer.events.REBALANCE, ({ payload }) => void (owned = payload.queues.length));
    replier.subscribe(TOPIC, '*', async (msg) => {
      requests.set(msg.properties['CORRELATION_ID'] ?? '', msg);
      const body = msg.body.length > 10_000 ? Buffer.concat([Buffer.from('pong:'), msg.body]) : `pong:${msg.body.toString()}`;
      const result = await replierProducer.send(createReplyMessage(msg, body, { properties: { from: 'replier' } }));
      assert.equal(result.status, 'SEND_OK');
    });
    await replier.start();
    await waitFor(() => owned > 0, 10_000, 'the replier owns the request queues');
    requester = newClient((o) => new Producer({ ...o, group: 'RequesterPG', logger: requesterLog }));
    requester.on(Producer.events.REQUEST_END, ({ payload }) => void requestEnds.push(payload));
    await requester.start();
  });
  after(async () => {
    await requester?.shutdown();
    await replier?.shutdown();
    await replierProducer?.shutdown();
    await broker?.shutdown();
    await namesrv?.shutdown();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('round-trips the body with the correlation id, through SEND_REPLY_MESSAGE_V2, in well under a second', async (t) => {
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const begin = Date.now();
      const reply = await requester.request({ topic: TOPIC, body: `ping-${i}`, tags: 'Ping', properties: { n: String(i) } }, 3000);
      latencies.push(Date.now() - begin);
      assert.equal(reply.body.toString(), `pong:ping-${i}`);
      assert.equal(reply.topic, REPLY_TOPIC);
      const request = requests.get(reply.correlationId);
      assert.ok(request !== undefined, 'the replier got the request with this CORRELATION_ID');
      assert.equal(request.body.toString(), `ping-${i}`);
      assert.equal(request.tags, 'Ping');
      assert.equal(request.properties['n'], String(i));
      assert.equal(request.properties['REPLY_TO_CLIENT'], requester.clientId);
      assert.equal(request.properties['TTL'], '3000');
      assert.equal(request.properties['CLUSTER'], 'DefaultCluster');
      assert.match(reply.correlationId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a random UUID');
      const p = reply.properties;
      assert.equal(p['CORRELATION_ID'], reply.correlationId);
      assert.equal(p['MSG_TYPE'], 'reply');
      assert.equal(p['REPLY_TO_CLIENT'], requester.clientId);
      assert.equal(p['TTL'], '3000');
      assert.equal(p['from'], 'replier');
      assert.equal(p['MSG_REGION'], 'DefaultRegion');
      assert.ok(Number(p['PUSH_REPLY_TIME']) >= begin, 'PUSH_REPLY_TIME');
      assert.ok(Number(p['ARRIVE_TIME']) >= Number(p['PUSH_REPLY_TIME']) - 1, 'ARRIVE_TIME');
      assert.equal(reply.msgId, p['UNIQ_KEY']);
      assert.ok(reply.msgId !== undefined);
      assert.ok(reply.bornTimestamp >= begin && reply.storeTimestamp >= reply.bornTimestamp);
      assert.equal(reply.storeHost, broker.brokerAddr);
      assert.match(reply.bornHost, /^127\.0\.0\.1:\d+$/);
      assert.equal(reply.queueId, 0);
    }
    t.diagnostic(`round trips (ms): ${latencies.join(', ')} (the first fetches the route and heartbeats)`);
    assert.ok(Math.max(...latencies) < 1000, `latencies ${latencies.join(', ')}`);
    await waitFor(() => replyCodes.length >= 5, 2000, 'the replier saw its answers');
    assert.ok(replyCodes.every((code) => code === RequestCode.SEND_REPLY_MESSAGE_V2), `codes ${replyCodes.join(',')}`);
    const ends = requestEnds.filter((e) => e.outcome === 'reply');
    assert.equal(ends.length, 5);
    assert.deepEqual(Object.keys(ends[0] ?? {}).sort(), ['correlationId', 'duration', 'group', 'outcome', 'topic']);
    assert.equal(ends[0]?.topic, TOPIC);
    assert.equal(ends[0]?.group, 'RequesterPG');
  });

  it('stores every reply in DefaultCluster_REPLY_TOPIC too', async () => {
    const reply = await requester.request({ topic: TOPIC, body: 'stored?' }, 3000);
    await waitFor(
      () =>
        broker.messageStore
          .iterateConsumeQueue(REPLY_TOPIC, 0, 0, 10_000)
          .some((unit) => broker.messageStore.lookMessageByOffset(unit.pos)?.getProperty('CORRELATION_ID') === reply.correlationId),
      5000,
      'the stored reply',
    );
  });

  it('inflates compressed bodies both ways (over 4 KiB)', async () => {
    const big = Buffer.alloc(64 * 1024, 'request body. ');
    const reply = await requester.request({ topic: TOPIC, body: big }, 3000);
    assert.equal(reply.sysFlag & 1, 1, 'the reply came compressed');
    assert.deepEqual(reply.body, Buffer.concat([Buffer.from('pong:'), big]));
    assert.deepEqual(requests.get(reply.correlationId)?.body, big);
  });

  it('gives each of 200 requests in flight its own reply', async (t) => {
    const begin = Date.now();
    const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => requester.request({ topic: TOPIC, body: `concurrent-${i}` }, 10_000)));
    t.diagnostic(`200 concurrent requests answered in ${Date.now() - begin} ms`);
    replies.forEach((reply, i) => {
      assert.equal(reply.body.toString(), `pong:concurrent-${i}`);
      assert.equal(requests.get(reply.correlationId)?.body.toString(), `concurrent-${i}`);
    });
    assert.equal(new Set(replies.map((r) => r.correlationId)).size, 200);
  });

  it('selects the request queue as send does (messageQueue, shardingKey)', async () => {
    const byQueue = await requester.request({ topic: TOPIC, body: 'q2' }, 3000, { messageQueue: { topic: TOPIC, brokerName: 'broker-a', queueId: 2 } });
    assert.equal(requests.get(byQueue.correlationId)?.queueId, 2);
    const byKey = await requester.request({ topic: TOPIC, body: 'k' }, 3000, { shardingKey: 'order-1' });
    assert.equal(byKey.body.toString(), 'pong:k');
  });

  it('without a replier fails with RequestTimeoutError 10006 after the timeout', async (t) => {
    const { error, after } = await rejection(requester.request({ topic: NO_REPLIER_TOPIC, body: 'anyone?' }, 1000));
    assert.ok(error instanceof RequestTimeoutError, String(error));
    assert.ok(error instanceof MQClientError);
    assert.equal(error.responseCode, ClientErrorCode.REQUEST_TIMEOUT_EXCEPTION);
    assert.equal(error.responseCode, 10006);
    assert.equal(error.message, 'request timeout, no reply message.');
    assert.equal(error.timeoutMillis, 1000);
    t.diagnostic(`timed out after ${after} ms`);
    assert.ok(after >= 995 && after < 1300, `after ${after} ms`);
    const end = requestEnds.find((e) => e.correlationId === error.correlationId);
    assert.equal(end?.outcome, 'timeout');
    assert.equal(end?.error, error);
  });

  it('fails at once when the request cannot be sent, and before any I/O when it is invalid', async () => {
    const { error, after } = await rejection(
      requester.request({ topic: TOPIC, body: 'x' }, 5000, { messageQueue: { topic: TOPIC, brokerName: 'no-such-broker', queueId: 0 } }),
    );
    assert.ok(error instanceof MQClientError);
    assert.equal(error.responseCode, ClientErrorCode.BROKER_NOT_EXIST_EXCEPTION);
    assert.ok(after < 1000, `after ${after} ms`);
    assert.equal(requestEnds.at(-1)?.outcome, 'send_failed');
    await assert.rejects(requester.request({ topic: TOPIC, body: Buffer.alloc(5 * 1024 * 1024) }, 5000), /body/);
    await assert.rejects(requester.request([{ topic: TOPIC, body: 'a' }] as never, 5000), /not a batch/);
    await assert.rejects(requester.request({ topic: TOPIC, body: 'x' }, 0), RangeError);
    assert.equal(requester['instance']?.requestFutureHolder.size, 0, 'nothing left waiting');
  });

  it('stops waiting when its AbortSignal aborts', async () => {
    const controller = new AbortController();
    const pending = requester.request({ topic: NO_REPLIER_TOPIC, body: 'abort me' }, 10_000, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('changed my mind')), 50);
    const { error, after } = await rejection(pending);
    assert.equal((error as Error).message, 'changed my mind');
    assert.ok(after < 1000);
    assert.equal(requestEnds.at(-1)?.outcome, 'aborted');
    await assert.rejects(requester.request({ topic: TOPIC, body: 'x' }, 1000, { signal: AbortSignal.abort() }), { name: 'AbortError' });
  });

  it('answers a reply nobody waits for with SUCCESS and a warning', async () => {
    const late = { properties: { CLUSTER: 'DefaultCluster', REPLY_TO_CLIENT: requester.clientId ?? '', CORRELATION_ID: 'nobody-waits', TTL: '3000' } };
    const result = await replierProducer.send(createReplyMessage(late, 'too late'));
    assert.equal(result.status, 'SEND_OK');
    await waitFor(() => requesterLog.warnings.some((w) => w.includes('not matched any request, CorrelationId: nobody-waits')), 2000, 'the warning');
  });

  it('a reply to an unknown client fails at the replier with SYSTEM_ERROR, and a request without CLUSTER cannot be replied to', async () => {
    const stranger = { properties: { CLUSTER: 'DefaultCluster', REPLY_TO_CLIENT: '127.0.0.1@nobody', CORRELATION_ID: 'c-stranger', TTL: '3000' } };
    const { error } = await rejection(replierProducer.send(createReplyMessage(stranger, 'hello?')));
    // As Java's producer: SYSTEM_ERROR is retried (three attempts, each stored), then reported with the broker's code.
    assert.ok(error instanceof MQClientError, String(error));
    assert.equal(error.responseCode, ResponseCode.SYSTEM_ERROR);
    assert.ok(error.cause instanceof MQBrokerError);
    assert.equal(error.cause.responseCode, ResponseCode.SYSTEM_ERROR);
    assert.equal(error.cause.remark, 'push reply message fail, channel of <127.0.0.1@nobody> not found.');
    const stored = broker.messageStore
      .iterateConsumeQueue(REPLY_TOPIC, 0, 0, 10_000)
      .filter((unit) => broker.messageStore.lookMessageByOffset(unit.pos)?.getProperty('CORRELATION_ID') === 'c-stranger');
    assert.equal(stored.length, 3, 'each attempt was stored (storeReplyMessageEnable), as with Java');
    assert.throws(() => createReplyMessage({ properties: {} }, 'x'), {
      name: 'MQClientError',
      responseCode: ClientErrorCode.CREATE_REPLY_MESSAGE_EXCEPTION,
      message: 'create reply message fail, requestMessage error, property[CLUSTER] is null.',
    });
  });

  it('heartbeats before a request to a broker that has not heard from it yet (a send right after start)', async () => {
    // The heartbeat at start went nowhere (no route yet) and the periodic one comes 1 s later; the send fetched the
    // route, so Java would skip its heartbeat here and the broker would not find this client to push the reply to.
    const fresh = newClient((o) => new Producer({ ...o, group: 'FreshRequesterPG' }));
    await fresh.start();
    try {
      await fresh.send({ topic: TOPIC, body: 'not a request' });
      const reply = await fresh.request({ topic: TOPIC, body: 'right away' }, 3000);
      assert.equal(reply.body.toString(), 'pong:right away');
    } finally {
      await fresh.shutdown();
    }
  });

  it('shutdown fails the requests still waiting, at once', async () => {
    const other = newClient((o) => new Producer({ ...o, group: 'ShortLivedRequesterPG' }));
    const ends: RequestEndPayload[] = [];
    other.on(Producer.events.REQUEST_END, ({ payload }) => void ends.push(payload));
    let sent = 0;
    other.on(Producer.events.REQUEST, ({ payload }) => void (payload.code === RequestCode.SEND_MESSAGE_V2 && payload.responseCode === ResponseCode.SUCCESS && sent++));
    await other.start();
    const pending = [1, 2, 3].map((i) => other.request({ topic: NO_REPLIER_TOPIC, body: `waiting-${i}` }, 30_000));
    for (const p of pending) p.catch(() => undefined);
    await waitFor(() => sent === 3, 5000, 'the requests stored');
    const begin = Date.now();
    await other.shutdown();
    assert.ok(Date.now() - begin < 2000, 'shutdown does not wait for the timeouts');
    for (const p of pending) {
      const { error } = await rejection(p);
      assert.ok(error instanceof MQClientError);
      assert.match(error.message, /was shut down before the reply/);
    }
    assert.deepEqual(ends.map((e) => e.outcome), ['shutdown', 'shutdown', 'shutdown']);
    await assert.rejects(other.request({ topic: TOPIC, body: 'x' }, 1000), /start\(\) it first/);
  });
});
