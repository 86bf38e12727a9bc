import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Logger } from '../../../src/common/logger.js';
import { RemotingTimeoutError } from '../../../src/common/errors.js';
import {
  ConsumeInstrumentation,
  ConsumerEvents,
  InstrumentationEmitter,
  NetworkInstrumentation,
  ProducerEvents,
  consumeStartPayload,
  type ConsumerEventPayloads,
  type InstrumentationEvent,
  type ProducerEventPayloads,
  type PullPayload,
} from '../../../src/client/instrumentation.js';
import { MessageConst } from '../../../src/protocol/message/message-const.js';
import { MessageExt } from '../../../src/protocol/message/message.js';
import { RemotingCommand } from '../../../src/protocol/remoting-command.js';
import { RequestCode } from '../../../src/protocol/request-code.js';
import { Producer, PushConsumer } from '../../../src/client/index.js';

function recordingLogger(): Logger & { errors: unknown[][] } {
  const errors: unknown[][] = [];
  const ignore = (): void => undefined;
  return { debug: ignore, info: ignore, warn: ignore, error: (...args: unknown[]) => void errors.push(args), errors };
}

const consumerEmitter = (logger: Logger = recordingLogger()): InstrumentationEmitter<'consumer', ConsumerEventPayloads> =>
  new InstrumentationEmitter('consumer', ConsumerEvents, logger);

const mq = { topic: 'T', brokerName: 'broker-a', queueId: 1 };
const pull: PullPayload = { queue: mq, status: 'FOUND', messageCount: 3, nextOffset: 10, duration: 1.5 };

function stored(queueOffset: number, maxOffset: number): MessageExt {
  const msg = new MessageExt('T', Buffer.from('x'));
  msg.queueOffset = queueOffset;
  msg.putProperty(MessageConst.PROPERTY_MAX_OFFSET, String(maxOffset));
  return msg;
}

describe('InstrumentationEmitter', () => {
  it('delivers { id, type, timestamp, payload } with the full type and increasing ids', () => {
    const emitter = consumerEmitter();
    const seen: InstrumentationEvent<'consumer.pull', PullPayload>[] = [];
    emitter.on(ConsumerEvents.PULL, (e) => void seen.push(e));
    const before = Date.now();
    emitter.emit('pull', pull);
    emitter.emit('pull', { ...pull, nextOffset: 13 });
    assert.equal(seen.length, 2);
    const [a, b] = seen as [InstrumentationEvent<'consumer.pull', PullPayload>, InstrumentationEvent<'consumer.pull', PullPayload>];
    assert.equal(a.type, 'consumer.pull');
    assert.deepEqual(a.payload, pull);
    assert.equal(b.payload.nextOffset, 13);
    assert.ok(b.id > a.id);
    assert.ok(a.timestamp >= before && a.timestamp <= Date.now());
  });

  it('calls only the listeners of the emitted type', () => {
    const emitter = consumerEmitter();
    let pulls = 0;
    let crashes = 0;
    emitter.on(ConsumerEvents.PULL, () => void pulls++);
    emitter.on(ConsumerEvents.CRASH, () => void crashes++);
    emitter.emit('pull', pull);
    assert.deepEqual([pulls, crashes], [1, 0]);
  });

  it('on returns a remover; removing twice is harmless and leaves other subscriptions alone', () => {
    const emitter = consumerEmitter();
    const calls: string[] = [];
    const listener = (): void => void calls.push('shared');
    const removeA = emitter.on(ConsumerEvents.PULL, listener);
    emitter.on(ConsumerEvents.PULL, listener);
    assert.equal(emitter.has('pull'), true);
    removeA();
    removeA();
    emitter.emit('pull', pull);
    assert.deepEqual(calls, ['shared'], 'the same function subscribed twice is removed once per remover');
  });

  it('has() turns false once the last listener is removed (the zero-cost check)', () => {
    const emitter = consumerEmitter();
    assert.equal(emitter.has('pull'), false);
    const remove = emitter.on(ConsumerEvents.PULL, () => undefined);
    assert.equal(emitter.has('pull'), true);
    remove();
    assert.equal(emitter.has('pull'), false);
  });

  it('a throwing listener is logged; the other listeners still run and emit does not throw', () => {
    const logger = recordingLogger();
    const emitter = consumerEmitter(logger);
    let after = 0;
    emitter.on(ConsumerEvents.PULL, () => {
      throw new Error('listener bug');
    });
    emitter.on(ConsumerEvents.PULL, () => void after++);
    assert.doesNotThrow(() => emitter.emit('pull', pull));
    assert.equal(after, 1);
    assert.equal(logger.errors.length, 1);
    assert.match(String(logger.errors[0]?.[0]), /consumer\.pull/);
    assert.equal((logger.errors[0]?.[1] as Error).message, 'listener bug');
  });

  it('a rejecting async listener is logged, never an unhandled rejection', async () => {
    const logger = recordingLogger();
    const emitter = consumerEmitter(logger);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      emitter.on(ConsumerEvents.PULL, async () => {
        await Promise.resolve();
        throw new Error('async listener bug');
      });
      emitter.emit('pull', pull);
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    assert.deepEqual(unhandled, []);
    assert.equal(logger.errors.length, 1);
    assert.equal((logger.errors[0]?.[1] as Error).message, 'async listener bug');
  });

  it('rejects an event type the client never emits', () => {
    const emitter = consumerEmitter();
    assert.throws(() => emitter.on('consumer.nope' as typeof ConsumerEvents.PULL, () => undefined), TypeError);
    const producer = new InstrumentationEmitter<'producer', ProducerEventPayloads>('producer', ProducerEvents, recordingLogger());
    // A consumer-only event on a producer.
    assert.throws(() => producer.on('consumer.pull' as typeof ProducerEvents.START, () => undefined), /unknown event consumer\.pull/);
  });

  it('the clients expose the names statically and per instance, kafkajs style', () => {
    assert.equal(Producer.events.REQUEST, 'producer.network.request');
    assert.equal(PushConsumer.events.CONSUME_END, 'consumer.consume_end');
    const consumer = new PushConsumer({ group: 'G', nameServer: '127.0.0.1:9876' });
    assert.equal(consumer.events, PushConsumer.events);
    const seen: string[] = [];
    const remove = consumer.on(consumer.events.CRASH, (e) => void seen.push(e.payload.where));
    assert.equal(typeof remove, 'function');
    remove();
  });
});

describe('NetworkInstrumentation', () => {
  it('reports a request with its duration and response code, to every sink, and nothing for inbound requests', () => {
    const network = new NetworkInstrumentation(new Set([RequestCode.NOTIFY_CONSUMER_IDS_CHANGED]));
    const a = consumerEmitter();
    const b = new InstrumentationEmitter<'producer', ProducerEventPayloads>('producer', ProducerEvents, recordingLogger());
    const seen: string[] = [];
    a.on(ConsumerEvents.REQUEST, (e) => void seen.push(`${e.type} ${e.payload.code} ${e.payload.responseCode} ${e.payload.address}`));
    b.on(ProducerEvents.REQUEST, (e) => {
      assert.ok(e.payload.duration >= 0);
      seen.push(`${e.type} ${e.payload.code}`);
    });
    network.add(a);
    network.add(b);
    const request = RemotingCommand.createRequestCommand(RequestCode.HEART_BEAT);
    network.doBeforeRequest('127.0.0.1:10911', request);
    const response = RemotingCommand.createResponseCommand(0);
    network.doAfterResponse('127.0.0.1:10911', request, response);
    const inbound = RemotingCommand.createRequestCommand(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED);
    network.doBeforeRequest('127.0.0.1:10911', inbound);
    network.doAfterResponse('127.0.0.1:10911', inbound, response);
    assert.deepEqual(seen, [`consumer.network.request ${RequestCode.HEART_BEAT} 0 127.0.0.1:10911`, `producer.network.request ${RequestCode.HEART_BEAT}`]);
  });

  it('records nothing while nobody listens, and a removed sink hears nothing', () => {
    const network = new NetworkInstrumentation(new Set());
    const emitter = consumerEmitter();
    const remove = network.add(emitter);
    const request = RemotingCommand.createRequestCommand(RequestCode.HEART_BEAT);
    network.doBeforeRequest('a:1', request); // no listener yet: not timed
    const seen: unknown[] = [];
    emitter.on(ConsumerEvents.REQUEST, (e) => void seen.push(e));
    network.doAfterResponse('a:1', request, RemotingCommand.createResponseCommand(0));
    assert.equal(seen.length, 0, 'a request written before anyone listened is not reported');
    remove();
    assert.equal(network.has('network.request'), false);
  });

  it('turns a RemotingTimeoutError into a request_timeout, other errors into nothing', () => {
    const network = new NetworkInstrumentation(new Set());
    const emitter = consumerEmitter();
    network.add(emitter);
    const seen: unknown[] = [];
    emitter.on(ConsumerEvents.REQUEST_TIMEOUT, (e) => void seen.push(e.payload));
    const request = RemotingCommand.createRequestCommand(RequestCode.PULL_MESSAGE);
    network.requestTimedOut(new Error('closed'), request);
    network.requestTimedOut(new RemotingTimeoutError('127.0.0.1:1', 250), request);
    assert.deepEqual(seen, [{ address: '127.0.0.1:1', code: RequestCode.PULL_MESSAGE, opaque: request.opaque, timeout: 250 }]);
  });
});

describe('consume payloads', () => {
  it('lag is the queue max offset at pull time minus the offset after the batch', () => {
    assert.deepEqual(consumeStartPayload(mq, [stored(5, 10), stored(6, 10)]), { queue: mq, messageCount: 2, firstOffset: 5, lastOffset: 6, lag: 3 });
    assert.equal(consumeStartPayload(mq, [stored(9, 10)]).lag, 0, 'the last message of the queue leaves no lag');
  });

  it('ConsumeInstrumentation emits start and end with duration and result, and nothing without listeners', () => {
    const emitter = consumerEmitter();
    const events = new ConsumeInstrumentation(emitter);
    assert.equal(events.start(mq, [stored(1, 2)]), 0, 'no listener: no clock read');
    const seen: string[] = [];
    emitter.on(ConsumerEvents.CONSUME_START, (e) => void seen.push(`start ${e.payload.firstOffset}`));
    emitter.on(ConsumerEvents.CONSUME_END, (e) => {
      assert.ok(e.payload.duration >= 0);
      seen.push(`end ${e.payload.lastOffset} ${e.payload.result} lag ${e.payload.lag}`);
    });
    const begin = events.start(mq, [stored(1, 2)]);
    events.end(mq, [stored(1, 2)], false, begin);
    assert.deepEqual(seen, ['start 1', 'end 1 RECONSUME_LATER lag 0']);
  });
});
