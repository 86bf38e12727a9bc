/**
 * Message trace against RocketMQ 5.3.3: our traced Producer, TransactionProducer and PushConsumer on the Java broker
 * leave Pub, EndTransaction, SubBefore and SubAfter records in RMQ_SYS_TRACE_TOPIC that Java's own
 * TraceDataEncoder.decoderFromTraceDataString reads back field for field (interop TraceDriver --decode); a Java
 * 5.3.3 traced producer's Pub and our traced consumer's SubBefore/SubAfter form one message's life, found by its id
 * and read by our Admin.queryTrace, and so do our traced producer's Pub and a Java 5.3.3 traced consumer's records.
 * W3C trace context crosses both ways: a traceparent the Java producer sets as the OpenTelemetry Java agent does
 * (a user property) is our consumer's message.traceContext, and ours reaches the Java consumer as that property.
 *
 * Skipped (loudly) without java and mvn, unless CI is set.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import {
  Admin,
  MQClientManager,
  Producer,
  PushConsumer,
  RMQ_SYS_TRACE_TOPIC,
  TransactionProducer,
  TransactionState,
  type ConsumerMessage,
  type MessageTrace,
} from '../../src/client/index.js';
import { buildInterop, interopSkip, runJava, startJavaBroker, startJavaNameServer, type JavaServer } from '../helpers/java.js';
import { deferred, pollFor } from '../helpers/wait.js';

const skip = await interopSkip();
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const NO_TRANSACTION = { transactionId: null, transactionState: null, fromTransactionCheck: false };

interface DecodedBean {
  topic: string | null;
  msgId: string | null;
  tags: string | null;
  keys: string | null;
  storeHost: string | null;
  bodyLength: number;
  msgType: string | null;
  offsetMsgId: string | null;
  retryTimes: number;
  transactionId: string | null;
  transactionState: string | null;
  fromTransactionCheck: boolean;
}

interface DecodedContext {
  type: 'Pub' | 'SubBefore' | 'SubAfter' | 'EndTransaction' | 'Recall';
  timeStamp: number;
  regionId: string;
  groupName: string;
  requestId: string;
  costTime: number;
  success: boolean;
  contextCode: number;
  beans: DecodedBean[];
}

/** The trace contexts of `bodies`, as Java's decoderFromTraceDataString reads them. */
async function javaDecode(bodies: readonly string[]): Promise<DecodedContext[]> {
  const { classpath } = await buildInterop('5.3.3');
  const dir = await mkdtemp(path.join(tmpdir(), 'rmqts-trace-'));
  try {
    const file = path.join(dir, 'bodies.json');
    await writeFile(file, JSON.stringify(bodies));
    const { code, stdout, stderr } = await runJava({ mainClass: 'io.rocketmqts.interop.TraceDriver', classpath, args: ['--decode', file], timeoutMs: 60_000 });
    assert.equal(code, 0, stderr);
    const contexts = stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as DecodedContext);
    assert.match(stdout, new RegExp(`DONE ${contexts.length}`));
    return contexts;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('message trace with the Java 5.3.3 broker, read by Java 5.3.3', { skip, timeout: 10 * 60_000 }, () => {
  let namesrv: JavaServer;
  let broker: JavaServer;
  const manager = new MQClientManager();
  let admin: Admin;

  /** The bodies of the trace messages indexed by `key`, once those hold records of every type in `types`. */
  async function traceBodies(key: string, types: readonly string[]): Promise<string[]> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const found = await admin.queryMessage(RMQ_SYS_TRACE_TOPIC, key).catch(() => []);
      const bodies = found.map((m) => m.body.toString('utf8'));
      if (types.every((t) => bodies.some((b) => b.startsWith(`${t}\u0001`) || b.includes(`\u0002${t}\u0001`)))) return bodies;
      if (Date.now() > deadline) assert.fail(`trace records of ${key} incomplete: ${JSON.stringify(bodies)}`);
      // The Java broker indexes keys asynchronously (its reput service): poll, bounded by the deadline.
      await delay(100);
    }
  }

  /** Our Admin.queryTrace of `msgId`, once `done` holds (the Java broker indexes asynchronously). */
  function awaitTrace(msgId: string, done: (trace: MessageTrace) => boolean): Promise<MessageTrace> {
    const query = (): Promise<MessageTrace | undefined> => admin.queryTrace(msgId).catch(() => undefined);
    return pollFor(query, (trace) => trace !== undefined && done(trace), { timeoutMillis: 30_000, intervalMillis: 100, what: `trace of ${msgId}` }) as Promise<MessageTrace>;
  }

  async function createTopic(topic: string): Promise<void> {
    await admin.createTopic({ brokerAddr: broker.addr }, topic, { readQueueNums: 2, writeQueueNums: 2 });
    for (let i = 0; i < 300; i++) {
      if (await admin.topicRoute(topic).then(() => true, () => false)) return;
      await delay(100);
    }
    assert.fail(`the name server never learnt ${topic}`);
  }

  before(async () => {
    namesrv = await startJavaNameServer();
    broker = await startJavaBroker({ namesrvAddr: namesrv.addr, config: { traceTopicEnable: true, recallMessageEnable: true } });
    admin = new Admin({ nameServer: namesrv.addr, clientManager: manager });
    await admin.start();
    for (let i = 0; i < 600 && (await admin.clusterInfo()).brokerAddrTable.size === 0; i++) await delay(100);
  });

  after(async () => {
    await admin?.shutdown();
    await broker?.stop();
    await namesrv?.stop();
  });

  it("our traced producer and consumer write records Java's TraceDataEncoder decodes field for field", async () => {
    const topic = 'TraceJavaTopic';
    await createTopic(topic);
    const common = { nameServer: namesrv.addr, clientManager: manager, trace: true } as const;
    const producer = new Producer({ ...common, group: 'TraceTsPG' });
    const consumer = new PushConsumer({ ...common, group: 'TraceTsCG', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    const consumed = deferred<ConsumerMessage>();
    consumer.subscribe(topic, '*', (msg) => consumed.resolve(msg));
    await producer.start();
    await consumer.start();
    const result = await producer.send({ topic, body: 'traced', tags: 'tagT', keys: ['key1', 'key2'] });
    assert.equal((await consumed.promise).msgId, result.msgId);
    await producer.shutdown();
    await consumer.shutdown();
    const txProducer = new TransactionProducer({ ...common, group: 'TraceTsTxPG', checkLocalTransaction: () => TransactionState.COMMIT });
    await txProducer.start();
    const tx = await txProducer.sendMessageInTransaction({ topic, body: 'tx', keys: 'txk' }, () => TransactionState.COMMIT);
    await txProducer.shutdown();

    const [contexts, txContexts] = await Promise.all([
      traceBodies(result.msgId, ['Pub', 'SubBefore', 'SubAfter']),
      traceBodies(tx.msgId, ['Pub', 'EndTransaction']),
    ]).then(async ([a, b]) => {
      const decoded = await javaDecode([...a, ...b]);
      return [decoded, decoded.filter((c) => c.beans[0]?.msgId === tx.msgId)] as const;
    });
    const end = txContexts.find((c) => c.type === 'EndTransaction') as DecodedContext;
    assert.deepEqual([end.regionId, end.groupName], ['DefaultRegion', 'TraceTsTxPG']);
    // Java reads the text "null" back as the string "null" (its encoder wrote it so for a message without tags).
    assert.deepEqual(end.beans, [
      { topic, msgId: tx.msgId, tags: 'null', keys: 'txk', storeHost: broker.addr, bodyLength: 0, msgType: 'Trans_msg_Commit', offsetMsgId: '', retryTimes: 0, transactionId: tx.msgId, transactionState: 'COMMIT_MESSAGE', fromTransactionCheck: false },
    ]);
    assert.equal((txContexts.find((c) => c.type === 'Pub') as DecodedContext).beans[0]?.msgType, 'Trans_Msg_Half');
    const of = (type: string): DecodedContext => contexts.find((c) => c.type === type && c.beans[0]?.msgId === result.msgId) as DecodedContext;
    const pub = of('Pub');
    assert.deepEqual([pub.regionId, pub.groupName, pub.success], ['DefaultRegion', 'TraceTsPG', true]);
    assert.deepEqual(pub.beans, [
      { topic, msgId: result.msgId, tags: 'tagT', keys: 'key1 key2', storeHost: broker.addr, bodyLength: 6, msgType: 'Normal_Msg', offsetMsgId: result.offsetMsgId, retryTimes: 0, ...NO_TRANSACTION },
    ]);
    const subBefore = of('SubBefore');
    const subAfter = of('SubAfter');
    assert.deepEqual([subBefore.regionId, subBefore.groupName], ['DefaultRegion', 'TraceTsCG']);
    assert.deepEqual([subBefore.beans[0]?.keys, subBefore.beans[0]?.retryTimes], ['key1 key2', 0]);
    assert.match(subBefore.requestId, /^[0-9A-F]{32}$/);
    assert.deepEqual([subAfter.requestId, subAfter.success, subAfter.contextCode, subAfter.groupName], [subBefore.requestId, true, 0, 'TraceTsCG']);
    assert.equal(subAfter.beans[0]?.keys, 'key1 key2');
    assert.ok(subAfter.timeStamp >= subBefore.timeStamp && subBefore.timeStamp >= pub.timeStamp);
  });

  it("our producer's Recall records (trace.recall), for a recall the broker took and one it refused, decode in Java as written", async () => {
    const topic = 'TraceRecallTopic';
    await createTopic(topic);
    await createTopic('TraceRecallOther');
    const producer = new Producer({ nameServer: namesrv.addr, clientManager: manager, group: 'TraceTsRecallPG', trace: { recall: true } });
    await producer.start();
    const timed = await producer.send({ topic, body: 'later', delayTimeSec: 3600 });
    const handle = timed.recallHandle ?? assert.fail('the Java broker answers a recall handle');
    assert.equal(await producer.recallMessage(topic, handle), timed.msgId);
    await assert.rejects(producer.recallMessage('TraceRecallOther', handle), /topic not match/);
    await producer.shutdown();
    const bodies = await traceBodies(timed.msgId, ['Recall']);
    const recalls = (await javaDecode(bodies)).filter((c) => c.type === 'Recall').sort((a, b) => a.timeStamp - b.timeStamp);
    assert.deepEqual(
      recalls.map((c) => [c.regionId, c.groupName, c.success, c.beans.map((b) => [b.topic, b.msgId])]),
      [
        ['DefaultRegion', 'TraceTsRecallPG', true, [[topic, timed.msgId]]],
        ['DefaultRegion', 'TraceTsRecallPG', false, [['TraceRecallOther', timed.msgId]]],
      ],
    );
    const trace = await awaitTrace(timed.msgId, (t) => t.recalls.length === 2);
    assert.deepEqual(trace.recalls.map((r) => r.success), [true, false]);
  });

  it("a Java 5.3.3 traced producer's Pub and our traced consumer's SubBefore/SubAfter form one message's life", async () => {
    const topic = 'TraceJavaToTsTopic';
    await createTopic(topic);
    const consumer = new PushConsumer({ nameServer: namesrv.addr, clientManager: manager, trace: true, group: 'TraceTsCG2', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    const consumed = deferred<ConsumerMessage>();
    consumer.subscribe(topic, '*', (msg) => consumed.resolve(msg));
    await consumer.start();
    const { classpath } = await buildInterop('5.3.3');
    const { code, stdout, stderr } = await runJava({
      mainClass: 'io.rocketmqts.interop.TraceDriver',
      classpath,
      args: ['--produce', '--namesrv', namesrv.addr, '--topic', topic, '--group', 'JavaTracePG', '--traceparent', TRACEPARENT, '--tracestate', 'java=1'],
      timeoutMs: 120_000,
    });
    assert.equal(code, 0, stderr);
    const sent = JSON.parse(stdout.split('\n').find((line) => line.startsWith('{')) as string) as { msgId: string; offsetMsgId: string };
    const msg = await consumed.promise;
    assert.equal(msg.msgId, sent.msgId);
    assert.deepEqual(msg.traceContext, { traceparent: TRACEPARENT, tracestate: 'java=1' }, "the OpenTelemetry agent's properties, read as the parent");
    await consumer.shutdown();

    const contexts = await javaDecode(await traceBodies(sent.msgId, ['Pub', 'SubBefore', 'SubAfter']));
    const life = contexts.filter((c) => c.beans.some((b) => b.msgId === sent.msgId));
    const pub = life.find((c) => c.type === 'Pub') as DecodedContext;
    assert.deepEqual([pub.groupName, pub.beans[0]?.topic, pub.beans[0]?.keys, pub.beans[0]?.offsetMsgId, pub.success], ['JavaTracePG', topic, 'jk1 jk2', sent.offsetMsgId, true]);
    const subBefore = life.find((c) => c.type === 'SubBefore') as DecodedContext;
    const subAfter = life.find((c) => c.type === 'SubAfter') as DecodedContext;
    assert.deepEqual([subBefore.groupName, subBefore.beans[0]?.keys], ['TraceTsCG2', 'jk1 jk2']);
    assert.deepEqual([subAfter.requestId, subAfter.success, subAfter.groupName], [subBefore.requestId, true, 'TraceTsCG2']);
    // Our Admin.queryTrace sees the same life: Java's send, our group's delivery.
    const trace = await awaitTrace(sent.msgId, (t) => t.sends.length > 0 && t.consumerGroups.length > 0);
    assert.deepEqual(trace.sends.map((p) => [p.groupName, p.topic, p.keys, p.storeHost, p.offsetMsgId, p.success]), [['JavaTracePG', topic, 'jk1 jk2', broker.addr, sent.offsetMsgId, true]]);
    assert.deepEqual(trace.consumerGroups.map((g) => [g.groupName, g.attempts.map((a) => [a.requestId, a.status])]), [['TraceTsCG2', [[subBefore.requestId, 'SUCCESS']]]]);
  });

  it("our traced producer's Pub and a Java 5.3.3 traced consumer's records form one life for queryTrace; our traceparent reaches Java", async () => {
    const topic = 'TraceTsToJavaTopic';
    await createTopic(topic);
    const producer = new Producer({ nameServer: namesrv.addr, clientManager: manager, trace: true, group: 'TraceTsPG3' });
    await producer.start();
    const result = await producer.send({ topic, body: 'to java', keys: 'tk', traceContext: TRACEPARENT });
    await producer.shutdown();
    const { classpath } = await buildInterop('5.3.3');
    const consumer = await runJava({
      mainClass: 'io.rocketmqts.interop.ConsumerDriver',
      classpath,
      args: ['--namesrv', namesrv.addr, '--topic', topic, '--group', 'JavaTraceCG', '--expect', '1', '--trace', '--settle-ms', '500'],
      timeoutMs: 120_000,
    });
    assert.equal(consumer.code, 0, consumer.stderr);
    const line = consumer.stdout.split('\n').find((l) => l.startsWith('{')) as string;
    const received = JSON.parse(line) as { msgId: string; properties: Record<string, string> };
    assert.equal(received.msgId, result.msgId);
    assert.equal(received.properties['traceparent'], TRACEPARENT, 'a plain user property, where the OpenTelemetry Java agent reads it');
    const trace = await awaitTrace(result.msgId, (t) => t.sends.length > 0 && t.consumerGroups.some((g) => g.attempts.some((a) => a.status !== 'PENDING')));
    assert.deepEqual(trace.sends.map((p) => [p.groupName, p.topic, p.keys, p.success]), [['TraceTsPG3', topic, 'tk', true]]);
    assert.deepEqual(trace.consumerGroups.map((g) => [g.groupName, g.attempts.map((a) => [a.status, a.retryTimes])]), [['JavaTraceCG', [['SUCCESS', 0]]]]);
  });
});
