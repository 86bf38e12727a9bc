import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../../../src/common/logger.js';
import {
  AsyncTraceDispatcher,
  RMQ_SYS_TRACE_TOPIC,
  traceProducerGroup,
  traceRecallOf, traceTopicOf,
  type AsyncTraceDispatcherOptions,
  type TraceMessage,
  type TraceProducer,
} from '../../../../src/client/trace/async-trace-dispatcher.js';
import type { PubContext } from '../../../../src/client/trace/trace-context.js';
import { encodeTraceData } from '../../../../src/client/trace/trace-data-encoder.js';
import { waitFor } from '../../../helpers/wait.js';

interface Sent {
  topic: string;
  body: string;
  keys: string;
}

/** A trace producer that records what it is asked to send: the messages, and how many went in each request. */
function fakeProducer(): TraceProducer & { sent: Sent[]; requests: number[]; started: number; stopped: number } {
  const fake = {
    sent: [] as Sent[],
    requests: [] as number[],
    started: 0,
    stopped: 0,
    start: (): Promise<void> => Promise.resolve(void fake.started++),
    send: (messages: readonly TraceMessage[]): Promise<unknown> => {
      fake.requests.push(messages.length);
      return Promise.resolve(fake.sent.push(...messages));
    },
    shutdown: (): Promise<void> => Promise.resolve(void fake.stopped++),
  };
  return fake;
}

/** A fake producer whose sends stay out until the test settles them (`pending`, in order). */
function heldProducer(): { producer: ReturnType<typeof fakeProducer>; pending: (() => void)[] } {
  const producer = fakeProducer();
  const pending: (() => void)[] = [];
  producer.send = (messages) => {
    producer.requests.push(messages.length);
    producer.sent.push(...messages);
    return new Promise<void>((resolve) => pending.push(resolve));
  };
  return { producer, pending };
}

function pub(i: number, keys: string | null = `key${i}`): PubContext {
  return {
    traceType: 'Pub',
    timeStamp: 1000 + i,
    regionId: 'DefaultRegion',
    groupName: 'G',
    topic: 'T',
    msgId: `MSG${i}`,
    tags: null,
    keys,
    storeHost: '127.0.0.1:10911',
    bodyLength: 1,
    costTime: 1,
    msgType: 0,
    offsetMsgId: `OFF${i}`,
    success: true,
  };
}

async function started(options: Partial<AsyncTraceDispatcherOptions> = {}): Promise<{ dispatcher: AsyncTraceDispatcher; producer: ReturnType<typeof fakeProducer> }> {
  const producer = fakeProducer();
  // A flush interval no test waits for, unless it sets its own.
  const dispatcher = new AsyncTraceDispatcher({ traceTopic: RMQ_SYS_TRACE_TOPIC, producer, logger: silentLogger, flushIntervalMillis: 60_000, ...options });
  await dispatcher.start();
  return { dispatcher, producer };
}

/** A started dispatcher over heldProducer(), with a flush interval no test waits for. */
async function startedHeld(options: Partial<AsyncTraceDispatcherOptions>): Promise<{ dispatcher: AsyncTraceDispatcher; producer: ReturnType<typeof fakeProducer>; pending: (() => void)[] }> {
  const { producer, pending } = heldProducer();
  const dispatcher = new AsyncTraceDispatcher({ traceTopic: RMQ_SYS_TRACE_TOPIC, producer, logger: silentLogger, flushIntervalMillis: 60_000, ...options });
  await dispatcher.start();
  return { dispatcher, producer, pending };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('AsyncTraceDispatcher', () => {
  it('reads the trace option and names the inner producer group as Java', () => {
    assert.equal(traceTopicOf(undefined), undefined);
    assert.equal(traceTopicOf(false), undefined);
    assert.equal(traceTopicOf(true), 'RMQ_SYS_TRACE_TOPIC');
    assert.equal(traceTopicOf({}), 'RMQ_SYS_TRACE_TOPIC');
    assert.equal(traceTopicOf({ topic: 'MyTrace' }), 'MyTrace');
    assert.equal(traceProducerGroup('G', 'CONSUME'), '_INNER_TRACE_PRODUCER-G-CONSUME');
    // Recalls are traced only when asked, as Java's com.rocketmq.recall.default.trace.enable (false by default).
    assert.deepEqual([traceRecallOf(true), traceRecallOf({}), traceRecallOf({ recall: true }), traceRecallOf(undefined)], [false, false, true, false]);
  });

  it('sends a batch as soon as 20 contexts are queued, one message with all their records and keys', async () => {
    const { dispatcher, producer } = await started();
    for (let i = 0; i < 19; i++) dispatcher.append(pub(i));
    await turn();
    assert.equal(producer.sent.length, 0, 'nineteen contexts wait for the interval');
    dispatcher.append(pub(19));
    await turn();
    assert.equal(producer.sent.length, 1);
    const [message] = producer.sent as [Sent];
    assert.equal(message.topic, RMQ_SYS_TRACE_TOPIC);
    assert.equal(message.body, Array.from({ length: 20 }, (_, i) => encodeTraceData(pub(i))).join(''));
    assert.deepEqual(message.keys.split(' ').sort(), Array.from({ length: 20 }, (_, i) => [`MSG${i}`, `key${i}`]).flat().sort());
    await dispatcher.shutdown(1000);
  });

  it('puts all the contexts waiting in one message, however many: the batch size starts a send, it caps no message', async () => {
    const { dispatcher, producer } = await started({ batchSize: 50 });
    for (let i = 0; i < 45; i++) dispatcher.append(pub(i));
    await turn();
    assert.deepEqual(producer.sent.map((m) => m.body.split('\u0002').length - 1), [45]);
    assert.deepEqual(producer.requests, [1]);
    await dispatcher.shutdown(1000);
  });

  it('lets the contexts that come while a request is out wait for it, and sends them then in one message', async () => {
    const { dispatcher, producer, pending } = await startedHeld({ batchSize: 2 });
    for (let i = 0; i < 6; i++) dispatcher.append(pub(i));
    await turn();
    assert.deepEqual(producer.requests, [1], 'six contexts, one message, one request');
    for (let i = 6; i < 15; i++) dispatcher.append(pub(i));
    await turn();
    assert.deepEqual(producer.requests, [1], 'no second request for fewer than a full message while the first is out');
    (pending.shift() as () => void)();
    await waitFor(() => producer.requests.length === 2, 2000, 'the next request');
    assert.equal(producer.sent[1]?.body.split('\u0002').length, 10, 'the nine that came meanwhile, in one message');
    (pending.shift() as () => void)();
    await dispatcher.shutdown(1000);
    assert.deepEqual(producer.requests, [1, 1]);
    assert.equal(producer.sent.map((m) => m.body).join(''), Array.from({ length: 15 }, (_, i) => encodeTraceData(pub(i))).join(''));
  });

  it('starts another request while one is out once a full message waits, up to the requests in flight', async () => {
    const { dispatcher, producer, pending } = await startedHeld({ maxRequestsInFlight: 2 });
    for (let i = 0; i < 20; i++) dispatcher.append(pub(i));
    await turn();
    assert.equal(producer.requests.length, 1);
    for (let i = 20; i < 531; i++) dispatcher.append(pub(i));
    await turn();
    assert.equal(producer.requests.length, 1, '511 contexts wait for the first request');
    dispatcher.append(pub(531));
    await turn();
    assert.equal(producer.requests.length, 2, 'the 512th starts a second');
    for (let i = 532; i < 1100; i++) dispatcher.append(pub(i));
    await turn();
    assert.equal(producer.requests.length, 2, 'no third: two in flight at most');
    (pending.shift() as () => void)();
    await waitFor(() => producer.requests.length === 3, 2000, 'the third request');
    while (pending.length > 0) (pending.shift() as () => void)();
    await dispatcher.shutdown(1000);
    assert.equal(producer.sent.map((m) => m.body).join(''), Array.from({ length: 1100 }, (_, i) => encodeTraceData(pub(i))).join(''));
  });

  it('sends fewer contexts once the flush interval has passed since the last send', async () => {
    const { dispatcher, producer } = await started({ flushIntervalMillis: 30 });
    dispatcher.append(pub(1));
    dispatcher.append(pub(2));
    await waitFor(() => producer.sent.length === 1, 2000, 'the timed flush');
    assert.equal((producer.sent[0] as Sent).body, encodeTraceData(pub(1)) + encodeTraceData(pub(2)));
    await dispatcher.shutdown(1000);
  });

  it('splits a batch whose records exceed the body limit into several messages, each keyed by its own records', async () => {
    const record = encodeTraceData(pub(0)).length;
    const { dispatcher, producer } = await started({ maxMsgSize: record * 3, batchSize: 10 });
    for (let i = 0; i < 10; i++) dispatcher.append(pub(i));
    await turn();
    assert.deepEqual(producer.sent.map((m) => m.body.length), [3, 3, 3, 1].map((n) => n * record));
    assert.equal(producer.sent.map((m) => m.body).join(''), Array.from({ length: 10 }, (_, i) => encodeTraceData(pub(i))).join(''));
    assert.equal(producer.sent[3]?.keys, 'MSG9 key9');
    await dispatcher.shutdown(1000);
  });

  it('sends a record longer than the limit alone', async () => {
    const { dispatcher, producer } = await started({ maxMsgSize: 10, batchSize: 2 });
    dispatcher.append(pub(0));
    dispatcher.append(pub(1));
    await turn();
    assert.equal(producer.sent.length, 2);
  });

  it('drops and counts contexts beyond the queue capacity, never blocking', async () => {
    const { dispatcher, producer } = await started({ queueCapacity: 3, batchSize: 100 });
    const taken = [1, 2, 3, 4, 5].map((i) => dispatcher.append(pub(i)));
    assert.deepEqual(taken, [true, true, true, false, false]);
    assert.equal(dispatcher.discardCount, 2);
    await dispatcher.shutdown(1000);
    assert.equal(producer.sent.length, 1);
    assert.equal((producer.sent[0] as Sent).body.split('\u0002').length - 1, 3);
  });

  it('counts only the contexts still waiting against the capacity, once batches have gone', async () => {
    const { dispatcher, producer, pending } = await startedHeld({ queueCapacity: 4, batchSize: 2, maxRequestsInFlight: 1 });
    assert.deepEqual([0, 1, 2, 3].map((i) => dispatcher.append(pub(i))), [true, true, true, true]);
    await turn();
    assert.deepEqual(producer.requests, [1], 'the four went out');
    assert.deepEqual([4, 5, 6, 7, 8].map((i) => dispatcher.append(pub(i))), [true, true, true, true, false], 'four wait while the request is out');
    assert.equal(dispatcher.discardCount, 1);
    (pending.shift() as () => void)();
    await waitFor(() => producer.requests.length === 2, 2000, 'the next request');
    (pending.shift() as () => void)();
    await dispatcher.shutdown(1000);
    assert.equal(producer.sent.map((m) => m.body).join(''), [0, 1, 2, 3, 4, 5, 6, 7].map((i) => encodeTraceData(pub(i))).join(''));
  });

  it("starts another message before its keys pass what a record's properties can hold, every key kept", async () => {
    // Business keys of 4 000 characters, 3 bytes each in UTF-8: twenty of them are far beyond the int16 length.
    const { dispatcher, producer } = await started();
    const keys = (i: number): string => `${i}`.padEnd(4000, '键');
    for (let i = 0; i < 20; i++) dispatcher.append(pub(i, keys(i)));
    await turn();
    assert.deepEqual(producer.sent.map((m) => m.body.split('\u0002').length - 1), Array.from({ length: 10 }, () => 2));
    for (const message of producer.sent) assert.ok(Buffer.byteLength(message.keys, 'utf8') <= 32_000, `${Buffer.byteLength(message.keys, 'utf8')} bytes of keys`);
    assert.deepEqual(producer.sent.flatMap((m) => m.keys.split(' ')), Array.from({ length: 20 }, (_, i) => [`MSG${i}`, keys(i)]).flat());
    assert.equal(producer.sent.map((m) => m.body).join(''), Array.from({ length: 20 }, (_, i) => encodeTraceData(pub(i, keys(i)))).join(''));
    await dispatcher.shutdown(1000);
  });

  it("keeps the keys of a record whose own keys pass that limit to what fits, its msgId first, and sends it", async () => {
    const { dispatcher, producer } = await started({ batchSize: 1 });
    const keys = Array.from({ length: 12 }, (_, i) => `${i}`.padEnd(4000, '键'));
    dispatcher.append(pub(0, keys.join(' ')));
    await turn();
    const [message] = producer.sent as [Sent];
    assert.equal(message.body, encodeTraceData(pub(0, keys.join(' '))));
    assert.deepEqual(message.keys.split(' '), ['MSG0', ...keys.slice(0, 2)]);
    await dispatcher.shutdown(1000);
  });

  it('flushes what is queued at shutdown, stops its producer, and takes nothing after', async () => {
    const { dispatcher, producer } = await started();
    dispatcher.append(pub(1, null));
    await dispatcher.shutdown(1000);
    assert.equal(producer.sent.length, 1);
    assert.equal(producer.sent[0]?.keys, 'MSG1');
    assert.equal(producer.stopped, 1);
    assert.equal(dispatcher.append(pub(2)), false);
    assert.equal(dispatcher.discardCount, 1);
    await dispatcher.shutdown(1000);
    assert.equal(producer.stopped, 1, 'idempotent');
  });

  it('bounds the wait for trace sends at shutdown', async () => {
    const producer = fakeProducer();
    // A send that never settles.
    producer.send = () => new Promise(() => undefined);
    const dispatcher = new AsyncTraceDispatcher({ traceTopic: RMQ_SYS_TRACE_TOPIC, producer, logger: silentLogger });
    await dispatcher.start();
    dispatcher.append(pub(1));
    const begin = Date.now();
    await dispatcher.shutdown(50);
    assert.ok(Date.now() - begin < 2000);
    assert.equal(producer.stopped, 1);
  });

  it('drops everything when its producer did not start, without failing the traced client', async () => {
    const producer = fakeProducer();
    producer.start = () => Promise.reject(new Error('no name server'));
    const dispatcher = new AsyncTraceDispatcher({ traceTopic: RMQ_SYS_TRACE_TOPIC, producer, logger: silentLogger });
    await dispatcher.start();
    assert.equal(dispatcher.append(pub(1)), false);
    await dispatcher.shutdown(100);
    assert.equal(producer.stopped, 0);
  });

  it('logs a failed trace send and goes on', async () => {
    const producer = fakeProducer();
    let attempts = 0;
    producer.send = () => (attempts++, Promise.reject(new Error('broker gone')));
    const dispatcher = new AsyncTraceDispatcher({ traceTopic: RMQ_SYS_TRACE_TOPIC, producer, logger: silentLogger, batchSize: 1 });
    await dispatcher.start();
    dispatcher.append(pub(1));
    await turn();
    await turn();
    dispatcher.append(pub(2));
    await turn();
    await dispatcher.shutdown(1000);
    assert.equal(attempts, 2);
  });
});
