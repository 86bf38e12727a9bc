/**
 * Timer messages (5.x) across implementations (issue 15), the matrix of shared/reference/rocketmq-features-5x.md §2.6:
 * a Java 5.3.3 DefaultMQProducer (TimerProducerDriver) sends setDeliverTimeMs(next second + 3 s), setDelayTimeSec(3),
 * setDelayTimeMs(2500), a past deliverTimeMs, setDelayTimeSec(4 days), TIMER_DELAY_SEC=abc and a DELAY level with a
 * timer; a Java push consumer (ConsumerDriver) records when each arrives. Expected: the timed ones never early and
 * less than 1.5 s late with TIMER_OUT_MS / TIMER_ENQUEUE_MS / TIMER_DEQUEUE_MS, their send results with the timer
 * queue's offset and a recall handle Java decodes; the past one at once without TIMER_OUT_MS; the two illegal ones
 * MQBrokerException 13 after one request; the level wins.
 *
 * First against the Java 5.3.3 broker (which confirms the expectations), then our TypeScript Producer and
 * PushConsumer on that same broker (the one JVM broker of this file): timers, recall handles, recallMessage. Then
 * against our broker in a child process, where a message with a 10 s delay must survive a kill -9 and a restart on
 * the same port. Both brokers keep Java's default precision (1 s). Skipped (loudly) without java and mvn, unless CI.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import {
  MQBrokerError,
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
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import { startBrokerProcess, type RunningBroker } from '../helpers/broker-process.js';
import { startTestNamesrv } from '../helpers/cluster.js';
import { buildInterop, freePort, interopSkip, runJava, startJava, startJavaBroker, type JavaProcess, type JavaServer } from '../helpers/java.js';
import { waitFor } from '../helpers/wait.js';
import { waitForTopicRoute, withAdmin } from '../helpers/route.js';

const skip = await interopSkip();
const TIMER_TOPIC = 'rmq_sys_wheel_timer';
/** §2.6: never early, less than 1.5 s late (Java's precision is 1 s). */
const MAX_LATENESS = 1500;
const MATRIX = ['deliver', 'sec', 'ms', 'past', 'far', 'abc', 'level'];
/** The cases stored in the timer queue, and the property each keeps. */
const TIMED: Record<string, string> = { deliver: 'TIMER_DELIVER_MS', sec: 'TIMER_DELAY_SEC', ms: 'TIMER_DELAY_MS', long: 'TIMER_DELAY_SEC' };

interface SendLine {
  case: string;
  key: string;
  due: number;
  sentAt: number;
  status?: string;
  msgId?: string;
  queueId?: number;
  queueOffset?: number;
  recallHandle?: string | null;
  handle?: { version?: string; topic?: string; brokerName?: string; timestamp?: string; messageId?: string; error?: string };
  error?: string;
  responseCode?: number;
  message?: string;
  requests: number;
}

interface ConsumedLine {
  key: string;
  msgId: string;
  queueId: number;
  consumedAt: number;
  storeTimestamp: number;
  properties: Record<string, string>;
}

const jsonLines = <T>(stdout: string): T[] =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as T);

/** The first delivery of each key (a restarted broker may deliver a message again: at least once). */
function firstDeliveries(consumer: JavaProcess): Map<string, ConsumedLine> {
  const first = new Map<string, ConsumedLine>();
  for (const line of jsonLines<ConsumedLine>(consumer.stdout)) if (!first.has(line.key)) first.set(line.key, line);
  return first;
}

/** Creates `topic` on the broker and waits until the name server routes it (clients that start later find it). */
async function createTopic(namesrvAddr: string, brokerAddr: string, topic: string): Promise<void> {
  await withAdmin(namesrvAddr, async (admin) => {
    await admin.createTopic({ brokerAddr }, topic);
    await waitForTopicRoute(admin, topic);
  });
}

/** The timer queue's max offset on a broker. */
const timerQueueMax = (namesrvAddr: string, brokerAddr: string, brokerName: string): Promise<number> =>
  withAdmin(namesrvAddr, (admin) => admin.maxOffset(brokerAddr, { topic: TIMER_TOPIC, brokerName, queueId: 0 }));

async function startConsumer(classpath: string, namesrvAddr: string, topic: string, expect: number, name: string): Promise<JavaProcess> {
  return startJava({
    mainClass: 'io.rocketmqts.interop.ConsumerDriver',
    // READY once its queues are assigned: a slow JVM may miss start()'s rebalance and wait 20 s for the next (a CI
    // run consumed the matrix 17 s late), which would time the client instead of the broker's timer.
    args: ['--namesrv', namesrvAddr, '--topic', topic, '--group', `${topic}_CG`, '--expect', String(expect), '--timeout-ms', '120000', '--await-assignment'],
    classpath,
    readyLine: /^READY$/,
    name,
  });
}

async function runTimerProducer(classpath: string, namesrvAddr: string, topic: string, cases: readonly string[]): Promise<SendLine[]> {
  const run = await runJava({
    mainClass: 'io.rocketmqts.interop.TimerProducerDriver',
    args: ['--namesrv', namesrvAddr, '--topic', topic, '--cases', cases.join(','), '--prefix', topic],
    classpath,
    timeoutMs: 60_000,
  });
  assert.equal(run.code, 0, `TimerProducerDriver:\n${run.stdout}\n${run.stderr}`);
  const lines = jsonLines<SendLine>(run.stdout);
  assert.deepEqual(lines.map((l) => l.case), cases, run.stdout);
  return lines;
}

/** The cases whose delivered property names must be the same on both brokers. */
const COMPARED = ['deliver', 'past', 'level'];
/** The property names the Java broker delivered, by case, for our broker's run to match. */
let javaPropertyNames: Record<string, string[]> | undefined;

/**
 * The §2.6 expectations for the Java producer's sends and the Java consumer's deliveries; the lateness figures
 * (consumed - due) for the report, and the delivered property names of the COMPARED cases. `timerMax`: the timer
 * queue's max offset right after the sends.
 */
function checkMatrix(
  t: TestContext,
  sends: readonly SendLine[],
  consumed: Map<string, ConsumedLine>,
  topic: string,
  brokerName: string,
  timerMax: number,
): { figures: string[]; propertyNames: Record<string, string[]> } {
  const byCase = new Map(sends.map((s) => [s.case, s]));
  const figures: string[] = [];
  const timed = sends.filter((s) => TIMED[s.case] !== undefined);
  for (const send of timed) {
    assert.equal(send.status, 'SEND_OK', `${send.case}: ${send.message ?? ''}`);
    assert.equal(send.requests, 1, send.case);
    const msg = consumed.get(send.key);
    assert.ok(msg !== undefined, `${send.case} consumed`);
    const lateness = msg.consumedAt - send.due;
    figures.push(`${send.case} ${lateness} ms`);
    assert.ok(lateness >= 0, `${send.case} consumed ${-lateness} ms early`);
    if (send.case !== 'long') assert.ok(lateness < MAX_LATENESS, `${send.case} consumed ${lateness} ms late`);
    assert.ok(msg.storeTimestamp >= send.due, `${send.case} stored for delivery ${send.due - msg.storeTimestamp} ms early`);
    const property = TIMED[send.case] as string;
    assert.ok(msg.properties[property] !== undefined, `${send.case}: ${property} kept`);
    for (const name of ['TIMER_OUT_MS', 'TIMER_ENQUEUE_MS', 'TIMER_DEQUEUE_MS']) {
      assert.match(msg.properties[name] ?? '', /^\d+$/, `${send.case}: ${name}`);
    }
    assert.equal(Number(msg.properties['TIMER_OUT_MS']) % 1000, 0, `${send.case}: TIMER_OUT_MS on the 1 s precision`);
    assert.equal(msg.properties['REAL_TOPIC'], topic, `${send.case}: REAL_TOPIC stays, as Java leaves it`);
    assert.equal(msg.msgId, send.msgId, `${send.case}: the consumer's msgId is the producer's`);
    assert.equal(msg.queueId, send.queueId, `${send.case}: delivered in the queue the send result named`);
    // The recall handle, as Java's RecallMessageHandle.decodeHandle reads it.
    assert.deepEqual(send.handle, {
      version: 'v1',
      topic,
      brokerName,
      timestamp: String(Number(msg.properties['TIMER_OUT_MS']) + 1),
      messageId: send.msgId,
    }, `${send.case}: recall handle ${send.recallHandle}`);
  }
  // queueOffset is the message's offset in rmq_sys_wheel_timer queue 0: the timed sends are its last entries.
  assert.deepEqual(
    timed.map((s) => s.queueOffset).sort((a, b) => (a ?? 0) - (b ?? 0)),
    timed.map((_, i) => timerMax - timed.length + i),
    `timer queue offsets, max ${timerMax}`,
  );

  const past = byCase.get('past') as SendLine;
  assert.equal(past.status, 'SEND_OK');
  assert.equal(past.recallHandle ?? null, null, 'past: no recall handle');
  const pastMsg = consumed.get(past.key);
  assert.ok(pastMsg !== undefined, 'past consumed');
  // Stored in its topic at once (not through the timer), and consumed soon after.
  assert.ok(pastMsg.storeTimestamp - past.sentAt < 1000, `past: stored ${pastMsg.storeTimestamp - past.sentAt} ms after its send`);
  assert.ok(pastMsg.consumedAt - past.sentAt < MAX_LATENESS, `past: consumed ${pastMsg.consumedAt - past.sentAt} ms after its send`);
  assert.equal(pastMsg.properties['TIMER_OUT_MS'], undefined, 'past: no TIMER_OUT_MS');
  assert.ok(pastMsg.properties['TIMER_DELIVER_MS'] !== undefined, 'past: TIMER_DELIVER_MS kept');
  figures.push(`past ${pastMsg.consumedAt - past.sentAt} ms after the send`);

  for (const kase of ['far', 'abc']) {
    const send = byCase.get(kase) as SendLine;
    assert.equal(send.error, 'MQBrokerException', `${kase}: ${JSON.stringify(send)}`);
    assert.equal(send.responseCode, ResponseCode.MESSAGE_ILLEGAL, kase);
    assert.match(send.message ?? '', /timer message illegal/, kase);
    assert.equal(send.requests, 1, `${kase}: one request, not retried`);
    assert.equal(consumed.has(send.key), false, `${kase} never delivered`);
  }

  const level = byCase.get('level') as SendLine;
  assert.equal(level.status, 'SEND_OK');
  assert.equal(level.recallHandle ?? null, null, 'level: no recall handle');
  const levelMsg = consumed.get(level.key);
  assert.ok(levelMsg !== undefined, 'level consumed');
  const levelLateness = levelMsg.consumedAt - level.due;
  assert.ok(levelLateness >= 0 && levelLateness < MAX_LATENESS, `level: consumed ${levelLateness} ms after level 1's 1 s (not the timer's 10 s)`);
  assert.equal(levelMsg.properties['TIMER_OUT_MS'], undefined, 'level: no TIMER_OUT_MS');
  assert.equal(levelMsg.properties['TIMER_DELAY_SEC'], undefined, 'level: the timer key removed');
  assert.equal(levelMsg.properties['DELAY'], '1');
  figures.push(`level ${levelLateness} ms`);
  t.diagnostic(`lateness (consumed - due): ${figures.join(', ')}`);
  const propertyNames: Record<string, string[]> = {};
  for (const kase of COMPARED) {
    const props = consumed.get((byCase.get(kase) as SendLine).key)?.properties ?? {};
    propertyNames[kase] = Object.keys(props).sort();
    t.diagnostic(`${kase} properties: ${JSON.stringify(Object.fromEntries(Object.entries(props).sort()))}`);
  }
  return { figures, propertyNames };
}

describe('timer messages with the Java 5.3.3 broker', { skip, timeout: 5 * 60_000 }, () => {
  let dir: string;
  let namesrv: NamesrvController;
  let namesrvAddr: string;
  let broker: JavaServer;
  let classpath: string;

  before(async () => {
    ({ classpath } = await buildInterop('5.3.3'));
    dir = await mkdtemp(join(tmpdir(), 'rmq-timer-java-'));
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    broker = await startJavaBroker({ namesrvAddr, brokerName: 'broker-java', config: { recallMessageEnable: true } });
  });
  after(async () => {
    await broker?.stop();
    await namesrv?.shutdown();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('Java producer and consumer: the §2.6 matrix', async (t) => {
    const topic = 'TimerJavaOnJava';
    await createTopic(namesrvAddr, broker.addr, topic);
    const consumer = await startConsumer(classpath, namesrvAddr, topic, 5, 'timer-consumer-java');
    try {
      const sends = await runTimerProducer(classpath, namesrvAddr, topic, MATRIX);
      const timerMax = await timerQueueMax(namesrvAddr, broker.addr, 'broker-java');
      const done = await consumer.waitForLine(/^(DONE|TIMEOUT) \d+$/, 30_000);
      assert.match(done, /^DONE 5$/, consumer.stdout);
      javaPropertyNames = checkMatrix(t, sends, firstDeliveries(consumer), topic, 'broker-java', timerMax).propertyNames;
    } finally {
      await consumer.stop();
    }
  });

  it('our Producer and PushConsumer: timers never early, the TIMER_* properties, recall handles, recallMessage', async (t) => {
    const topic = 'TimerTsOnJava';
    await createTopic(namesrvAddr, broker.addr, topic);
    const manager = new MQClientManager();
    const producer = new Producer({ nameServer: namesrvAddr, group: 'TimerTsPG', clientIP: '127.0.0.1', clientManager: manager });
    let sendRequests = 0;
    producer.on(Producer.events.REQUEST, ({ payload }) => {
      if (payload.code === RequestCode.SEND_MESSAGE_V2) sendRequests++;
    });
    const received = new Map<string, { msg: ConsumerMessage; at: number }>();
    const consumer = new PushConsumer({ nameServer: namesrvAddr, group: 'TimerTsCG', clientIP: '127.0.0.1', clientManager: manager, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    consumer.subscribe(topic, '*', (msg) => {
      if (!received.has(msg.msgId)) received.set(msg.msgId, { msg, at: Date.now() });
    });
    await producer.start();
    await consumer.start();
    try {
      const deliverAt = Math.ceil(Date.now() / 1000) * 1000 + 2000;
      const cases: { name: string; fields: Partial<ProducerMessage>; property?: string; delay?: number }[] = [
        { name: 'deliverTimeMs', fields: { deliverTimeMs: deliverAt }, property: 'TIMER_DELIVER_MS' },
        { name: 'delayTimeSec', fields: { delayTimeSec: 2 }, property: 'TIMER_DELAY_SEC', delay: 2000 },
        { name: 'delayTimeMs', fields: { delayTimeMs: 2500 }, property: 'TIMER_DELAY_MS', delay: 2500 },
        { name: 'recalled', fields: { delayTimeSec: 3 }, delay: 3000 },
      ];
      const sent: { name: string; result: SendResult; due: number; property?: string }[] = [];
      for (const c of cases) {
        const sentAt = Date.now();
        const result = await producer.send({ topic, body: c.name, keys: c.name, ...c.fields });
        sent.push({ name: c.name, result, due: c.delay === undefined ? deliverAt : sentAt + c.delay, ...(c.property === undefined ? {} : { property: c.property }) });
      }
      const timerMax = await timerQueueMax(namesrvAddr, broker.addr, 'broker-java');
      assert.deepEqual(sent.map((s) => s.result.queueOffset), [timerMax - 4, timerMax - 3, timerMax - 2, timerMax - 1], 'offsets in the timer queue');
      for (const { name, result } of sent) {
        assert.equal(result.status, 'SEND_OK', name);
        const handle = decodeRecallHandle(result.recallHandle ?? '');
        assert.deepEqual([handle?.version, handle?.topic, handle?.brokerName, handle?.messageId], ['v1', topic, 'broker-java', result.msgId], `${name}: ${result.recallHandle}`);
      }
      const recalled = sent[3] as (typeof sent)[number];
      assert.equal(await producer.recallMessage(topic, recalled.result.recallHandle as string), recalled.result.msgId, 'recallMessage answers the msgId');

      const past = await producer.send({ topic, body: 'past', keys: 'past', deliverTimeMs: Date.now() - 5000 });
      assert.equal(past.recallHandle, undefined, 'past: no recall handle');
      const before = sendRequests;
      await assert.rejects(producer.send({ topic, body: 'far', delayTimeSec: 4 * 24 * 3600 }), (err: unknown) => err instanceof MQBrokerError && err.responseCode === ResponseCode.MESSAGE_ILLEGAL);
      assert.equal(sendRequests - before, 1, '4 days: one request, not retried');

      const timed = sent.slice(0, 3);
      await waitFor(() => timed.every(({ result }) => received.has(result.msgId)) && received.has(past.msgId), 15_000, 'the timer messages');
      const figures: string[] = [];
      for (const { name, result, due, property } of timed) {
        const { msg, at } = received.get(result.msgId) as { msg: ConsumerMessage; at: number };
        const lateness = at - due;
        figures.push(`${name} ${lateness} ms`);
        assert.ok(lateness >= 0, `${name} consumed ${-lateness} ms early`);
        assert.ok(lateness < MAX_LATENESS, `${name} consumed ${lateness} ms late`);
        for (const key of [property as string, 'TIMER_OUT_MS', 'TIMER_ENQUEUE_MS', 'TIMER_DEQUEUE_MS']) assert.ok(msg.properties[key] !== undefined, `${name}: ${key}`);
        assert.equal(Number(decodeRecallHandle(result.recallHandle ?? '')?.timestamp), Number(msg.properties['TIMER_OUT_MS']) + 1, `${name}: the handle's time is TIMER_OUT_MS + 1`);
      }
      const pastMsg = received.get(past.msgId)?.msg;
      assert.equal(pastMsg?.properties['TIMER_OUT_MS'], undefined, 'past: an ordinary message');
      // The recalled one: never delivered, well past its time.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, recalled.due + MAX_LATENESS - Date.now())));
      assert.equal(received.has(recalled.result.msgId), false, 'the recalled message is not delivered');
      t.diagnostic(`our client on the Java broker, lateness (consumed - due): ${figures.join(', ')}`);
    } finally {
      await consumer.shutdown();
      await producer.shutdown();
    }
  });
});

describe('timer messages with our broker (a child process): the Java matrix, and a kill -9 with a timer pending', { skip, timeout: 5 * 60_000 }, () => {
  let dir: string;
  let namesrv: NamesrvController;
  let namesrvAddr: string;
  let conf: string;
  let broker: RunningBroker | undefined;
  let classpath: string;

  before(async () => {
    ({ classpath } = await buildInterop('5.3.3'));
    dir = await mkdtemp(join(tmpdir(), 'rmq-timer-ours-'));
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    conf = join(dir, 'broker.conf');
    // A fixed port, so that the Java consumer finds the restarted broker where it was. Timer precision: Java's 1 s.
    const lines = ['brokerName=timer-ours', 'brokerIP1=127.0.0.1', 'bindAddress=127.0.0.1', `listenPort=${await freePort()}`, `namesrvAddr=${namesrvAddr}`];
    await writeFile(conf, [...lines, `storePathRootDir=${join(dir, 'store')}`, 'mappedFileSizeCommitLog=1048576', ''].join('\n'));
    broker = await startBrokerProcess(conf);
  });
  after(async () => {
    broker?.child.kill('SIGKILL');
    await broker?.exit;
    await namesrv?.shutdown();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('Java producer and consumer: the §2.6 matrix; a 10 s timer survives kill -9', async (t) => {
    const topic = 'TimerJavaOnOurs';
    const running = broker as RunningBroker;
    await createTopic(namesrvAddr, running.addr, topic);
    const consumer = await startConsumer(classpath, namesrvAddr, topic, 6, 'timer-consumer-ours');
    try {
      const matrix = await runTimerProducer(classpath, namesrvAddr, topic, MATRIX);
      const matrixKeys = matrix.filter((s) => s.error === undefined).map((s) => s.key);
      await waitFor(() => matrixKeys.every((key) => firstDeliveries(consumer).has(key)), 30_000, 'the matrix delivered');
      // The 10 s timer goes once the matrix is in: sent with it, a consumer slow to start (a CI run took 10 s more
      // than usual to deliver the matrix) let it come due before the kill.
      const [longSend] = (await runTimerProducer(classpath, namesrvAddr, topic, ['long'])) as [SendLine];
      const sends = [...matrix, longSend];
      const timerMax = await timerQueueMax(namesrvAddr, running.addr, 'timer-ours');
      assert.equal(firstDeliveries(consumer).has(longSend.key), false, 'the 10 s timer still pending');

      // kill -9 with the 10 s timer pending, and a restart on the same port and store.
      running.child.kill('SIGKILL');
      await running.exit;
      const killedAt = Date.now();
      broker = await startBrokerProcess(conf);
      t.diagnostic(`killed ${longSend.due - killedAt} ms before the 10 s timer was due; restarted in ${Date.now() - killedAt} ms`);

      const done = await consumer.waitForLine(/^(DONE|TIMEOUT) \d+$/, 60_000);
      assert.match(done, /^DONE 6$/, consumer.stdout);
      const { figures, propertyNames } = checkMatrix(t, sends, firstDeliveries(consumer), topic, 'timer-ours', timerMax);
      // Java delivers these property names (§2.2: REAL_TOPIC and REAL_QID stay, TIMER_* added, the timer keys of a
      // level message removed); ours must too.
      if (javaPropertyNames !== undefined) assert.deepEqual(propertyNames, javaPropertyNames, 'the Java broker’s property names');
      const deliveries = jsonLines<ConsumedLine>(consumer.stdout).filter((l) => l.key === longSend.key);
      t.diagnostic(`the 10 s timer across the kill: ${figures.find((f) => f.startsWith('long')) ?? '?'}, delivered ${deliveries.length} time(s)`);
    } finally {
      await consumer.stop();
    }
  });
});
