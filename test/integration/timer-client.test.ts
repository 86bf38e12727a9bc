/**
 * Timer messages from our Producer to our PushConsumer through our broker (issue 15): deliverTimeMs, delayTimeSec and
 * delayTimeMs are delivered never early and less than a second late, with the properties Java's broker adds; the send
 * result has the timer queue's offset and a recall handle; a past time is an ordinary send; the broker's refusal of a
 * delay too far is not retried; what the client refuses fails before any I/O. Precision 100 ms (Java's 1 s) to keep
 * the file fast; test/interop/timer-java.test.ts runs the same against the Java 5.3.3 broker.
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
  MQBrokerError,
  MQClientError,
  MQClientManager,
  Producer,
  PushConsumer,
  RequestCode,
  ResponseCode,
  decodeRecallHandle,
  type ConsumerMessage,
  type ProducerMessage,
  type SendResult,
} from '../../src/index.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

const TOPIC = 'TimerClientTopic';
const PRECISION = 100;

describe('timer messages: our Producer and PushConsumer on our broker', () => {
  let dir: string;
  let namesrv: NamesrvController;
  let broker: BrokerController;
  let manager: MQClientManager;
  let producer: Producer;
  let consumer: PushConsumer;
  /** msgId -> the message and when the listener got it. */
  const received = new Map<string, { msg: ConsumerMessage; at: number }[]>();
  /** SEND_MESSAGE_V2 requests the producer made. */
  let sendRequests = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-timer-client-'));
    let namesrvAddr: string;
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    broker = await startTestBroker(dir, namesrvAddr, { store: { timerPrecisionMs: PRECISION } });
    manager = new MQClientManager();
    const admin = new Admin({ nameServer: namesrvAddr, clientIP: '127.0.0.1', clientManager: manager });
    await admin.start();
    try {
      await admin.createTopic({ brokerAddr: broker.brokerAddr }, TOPIC);
    } finally {
      await admin.shutdown();
    }
    producer = new Producer({ nameServer: namesrvAddr, group: 'TimerClientPG', clientIP: '127.0.0.1', clientManager: manager });
    producer.on(Producer.events.REQUEST, ({ payload }) => {
      if (payload.code === RequestCode.SEND_MESSAGE_V2) sendRequests++;
    });
    await producer.start();
    consumer = new PushConsumer({ nameServer: namesrvAddr, group: 'TimerClientCG', clientIP: '127.0.0.1', clientManager: manager, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    consumer.subscribe(TOPIC, '*', (msg) => {
      received.set(msg.msgId, [...(received.get(msg.msgId) ?? []), { msg, at: Date.now() }]);
    });
    await consumer.start();
  });
  after(async () => {
    await consumer?.shutdown();
    await producer?.shutdown();
    await broker?.shutdown();
    await namesrv?.shutdown();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('delivers deliverTimeMs, delayTimeSec and delayTimeMs never early and < 1 s late, with the TIMER_* properties', async (t) => {
    // On a second boundary: the rounding's edge (slot T - precision, fired at T).
    const deliverAt = Math.ceil((Date.now() + 1500) / 1000) * 1000;
    const cases: { name: string; fields: Partial<ProducerMessage>; property: string; value: number; delay?: number }[] = [
      { name: 'deliverTimeMs', fields: { deliverTimeMs: deliverAt }, property: 'TIMER_DELIVER_MS', value: deliverAt },
      { name: 'delayTimeSec', fields: { delayTimeSec: 1 }, property: 'TIMER_DELAY_SEC', value: 1, delay: 1000 },
      { name: 'delayTimeMs', fields: { delayTimeMs: 1200 }, property: 'TIMER_DELAY_MS', value: 1200, delay: 1200 },
    ];
    const sent = await Promise.all(
      cases.map(async (c) => {
        const sentAt = Date.now();
        const result = await producer.send({ topic: TOPIC, body: c.name, keys: c.name, ...c.fields });
        // A relative delay runs from the broker's receipt, after sentAt: sentAt + delay is the earliest due time.
        return { ...c, result, due: c.delay === undefined ? deliverAt : sentAt + c.delay };
      }),
    );
    for (const { name, result } of sent) {
      assert.equal(result.status, 'SEND_OK', name);
      assert.equal(received.has(result.msgId), false, `${name} not delivered at once`);
      const handle = decodeRecallHandle(result.recallHandle ?? '');
      assert.deepEqual(
        { topic: handle?.topic, brokerName: handle?.brokerName, messageId: handle?.messageId },
        { topic: TOPIC, brokerName: 'broker-a', messageId: result.msgId },
        `${name}: recall handle ${result.recallHandle}`,
      );
      assert.equal(Number(handle?.timestamp) % PRECISION, 1, 'TIMER_OUT_MS + 1');
      assert.equal(result.messageQueue.topic, TOPIC);
    }
    // The answer's queueOffset is the timer queue's (rmq_sys_wheel_timer, queue 0): the three are its last three.
    const timerMax = broker.messageStore.getMaxOffsetInQueue('rmq_sys_wheel_timer', 0);
    assert.deepEqual(sent.map((s) => s.result.queueOffset).sort((a, b) => a - b), [timerMax - 3, timerMax - 2, timerMax - 1]);

    await waitFor(() => sent.every(({ result }) => received.has(result.msgId)), 10_000, 'every timer message consumed');
    const figures: string[] = [];
    for (const { name, result, due, property, value } of sent) {
      const deliveries = received.get(result.msgId) ?? [];
      assert.equal(deliveries.length, 1, `${name} consumed once`);
      const { msg, at } = deliveries[0] as { msg: ConsumerMessage; at: number };
      const lateness = at - due;
      figures.push(`${name} ${lateness} ms`);
      assert.ok(lateness >= 0, `${name} consumed ${-lateness} ms early`);
      assert.ok(lateness < 1000, `${name} consumed ${lateness} ms late`);
      assert.ok(msg.storeTimestamp >= due, `${name} stored for delivery ${due - msg.storeTimestamp} ms early`);
      assert.equal(msg.properties[property], String(value), `${name}: ${property} kept`);
      const out = Number(msg.properties['TIMER_OUT_MS']);
      assert.ok(Number.isInteger(out) && out % PRECISION === 0, `${name}: TIMER_OUT_MS ${msg.properties['TIMER_OUT_MS']}`);
      const enqueued = Number(msg.properties['TIMER_ENQUEUE_MS']);
      const dequeued = Number(msg.properties['TIMER_DEQUEUE_MS']);
      assert.ok(enqueued > 0 && enqueued <= dequeued && dequeued <= msg.storeTimestamp, `${name}: enqueued ${enqueued}, dequeued ${dequeued}`);
      assert.equal(msg.topic, TOPIC);
      assert.equal(msg.queueId, result.messageQueue.queueId, `${name}: delivered in the queue the send result named`);
      assert.equal(msg.body.toString(), name);
    }
    t.diagnostic(`lateness (consumed - due): ${figures.join(', ')}`);
  });

  it('sends a past deliverTimeMs as an ordinary message: at once, no TIMER_OUT_MS, no recall handle', async () => {
    const result = await producer.send({ topic: TOPIC, body: 'past', deliverTimeMs: Date.now() - 5000 });
    assert.equal(result.recallHandle, undefined);
    await waitFor(() => received.has(result.msgId), 5000, 'the past one');
    const msg = received.get(result.msgId)?.[0]?.msg;
    assert.equal(msg?.properties['TIMER_OUT_MS'], undefined);
    assert.ok(msg?.properties['TIMER_DELIVER_MS'] !== undefined, 'the property is kept');
    assert.equal(msg?.queueOffset, result.queueOffset, 'the offset is the real queue’s');
  });

  it('fails a delay beyond timerMaxDelaySec with MQBrokerError 13 after one request (not retried)', async () => {
    const before = sendRequests;
    await assert.rejects(producer.send({ topic: TOPIC, body: 'too far', delayTimeSec: 4 * 24 * 3600 }), (err: unknown) => {
      assert.ok(err instanceof MQBrokerError, String(err));
      assert.equal(err.responseCode, ResponseCode.MESSAGE_ILLEGAL);
      assert.equal(err.retriable, false);
      assert.match(err.message, /timer message illegal/);
      return true;
    });
    assert.equal(sendRequests - before, 1, 'one SEND_MESSAGE_V2, no retry');
  });

  it('refuses before any I/O: two timer fields, a timer with a delay level, TIMER_* user properties, a timer in a batch, a bad value', async () => {
    const before = sendRequests;
    const illegal = (err: unknown): boolean => err instanceof MQClientError && err.responseCode === ResponseCode.MESSAGE_ILLEGAL;
    await assert.rejects(producer.send({ topic: TOPIC, body: 'x', deliverTimeMs: Date.now() + 5000, delayTimeMs: 5000 }), illegal);
    await assert.rejects(producer.send({ topic: TOPIC, body: 'x', delayTimeSec: 5, delayLevel: 2 }), illegal);
    await assert.rejects(producer.send({ topic: TOPIC, body: 'x', properties: { TIMER_DELAY_SEC: '5' } }), illegal);
    await assert.rejects(producer.send({ topic: TOPIC, body: 'x', properties: { TIMER_OUT_MS: '5' } }), illegal);
    await assert.rejects(producer.send({ topic: TOPIC, body: 'x', delayTimeMs: -1 }), illegal);
    await assert.rejects(producer.send([{ topic: TOPIC, body: 'x' }, { topic: TOPIC, body: 'y', delayTimeMs: 5000 }]), /not supported for batching/);
    await assert.rejects(producer.sendOneway({ topic: TOPIC, body: 'x', delayTimeMs: 1.5 }), illegal);
    assert.equal(sendRequests, before, 'nothing sent');
  });

  it('recallMessage: a bad handle fails before any I/O; our broker refuses it until recallMessageEnable, then the message is never delivered', async () => {
    await assert.rejects(producer.recallMessage(TOPIC, 'not a handle!'), (err: unknown) => err instanceof MQClientError && /recall handle is invalid/.test(err.message));
    await assert.rejects(producer.recallMessage('%RETRY%G', 'x'), /topic is not supported/);
    const result: SendResult = await producer.send({ topic: TOPIC, body: 'to recall', delayTimeMs: 1500 });
    await assert.rejects(producer.recallMessage(TOPIC, result.recallHandle as string), (err: unknown) => {
      assert.ok(err instanceof MQBrokerError, String(err));
      assert.equal(err.responseCode, ResponseCode.NO_PERMISSION, 'recallMessageEnable is off by default, as Java');
      return true;
    });
    await broker.updateConfig(new Map([['recallMessageEnable', 'true']]));
    assert.equal(await producer.recallMessage(TOPIC, result.recallHandle as string), result.msgId);
    await waitFor(() => (broker.timerMessageStore?.stats.recalled ?? 0) >= 1, 10_000, 'the recall applied at the message\'s slot');
    const stored = [0, 1, 2, 3].flatMap((q) => broker.messageStore.iterateConsumeQueue(TOPIC, q, 0, 10_000).map((unit) => broker.messageStore.lookMessageByOffset(unit.pos)?.uniqKey));
    assert.ok(!stored.includes(result.msgId), 'the recalled message never reaches its topic');
  });
});
