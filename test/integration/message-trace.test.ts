/**
 * Message trace against our broker: a traced Producer and a traced PushConsumer leave a message's life in
 * RMQ_SYS_TRACE_TOPIC (Pub, SubBefore, SubAfter), found by the message's id and by its keys, as the dashboard
 * queries it, and read back as one life by Admin.queryTrace. A failed listener call is traced with success false
 * and its ConsumeReturnType; a TransactionProducer's ends (after its local transaction, and answering a check) are
 * EndTransaction records; a LitePullConsumer's polls are traced. A W3C traceparent crosses producer -> consumer.
 * A broker with traceTopicEnable, msgTraceTopicName and its own regionId creates that topic and stamps that region.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDev, type DevCluster } from '../../src/cli/dev.js';
import { silentLogger } from '../../src/common/logger.js';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import {
  Admin,
  LitePullConsumer,
  MQClientManager,
  Producer,
  PushConsumer,
  RMQ_SYS_TRACE_TOPIC,
  TransactionProducer,
  TransactionState,
  type ConsumerMessage,
  type MessageTrace,
} from '../../src/client/index.js';
import { MQBrokerError } from '../../src/index.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { deferred, pollFor } from '../helpers/wait.js';

const TOPIC = 'TraceItTopic';

/** The fields of every record in the trace messages found by `key`. */
async function traceRecords(admin: Admin, traceTopic: string, key: string): Promise<string[][]> {
  const found = await admin.queryMessage(traceTopic, key).catch(() => []);
  return found.flatMap((m) => m.body.toString('utf8').split('\u0002').filter((r) => r !== '').map((r) => r.split('\u0001')));
}

/** Polls the trace topic until `done` holds for the records of `key` (bounded: the index may lag the store). */
function awaitRecords(admin: Admin, traceTopic: string, key: string, done: (records: string[][]) => boolean): Promise<string[][]> {
  return pollFor(() => traceRecords(admin, traceTopic, key), done, { timeoutMillis: 10_000, intervalMillis: 50, what: `trace records for ${key}` });
}

/** Asks Admin.queryTrace until `done` holds (bounded: the index may lag the store). */
function awaitTrace(admin: Admin, msgId: string, done: (trace: MessageTrace) => boolean, traceTopic?: string): Promise<MessageTrace> {
  const query = (): Promise<MessageTrace> => admin.queryTrace(msgId, traceTopic === undefined ? {} : { traceTopic });
  return pollFor(query, done, { timeoutMillis: 10_000, intervalMillis: 50, what: `trace of ${msgId}` });
}

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('message trace with our broker', () => {
  let dir: string;
  let dev: DevCluster;
  let manager: MQClientManager;
  let admin: Admin;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-trace-'));
    dev = await startDev({ namesrvPort: 0, brokerPort: 0, dataDir: dir, brokerIP: '127.0.0.1', logger: silentLogger });
    manager = new MQClientManager();
    admin = new Admin({ nameServer: dev.namesrvAddr, clientIP: '127.0.0.1', clientManager: manager });
    await admin.start();
    const cluster = [...(await admin.clusterInfo()).clusterAddrTable.keys()][0] as string;
    await admin.createTopic({ cluster }, TOPIC, { readQueueNums: 2, writeQueueNums: 2 });
  });

  after(async () => {
    await admin?.shutdown();
    await dev?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes Pub, SubBefore and SubAfter of a message, keyed by its msgId and its keys', async () => {
    const common = { nameServer: dev.namesrvAddr, clientIP: '127.0.0.1', clientManager: manager, trace: true } as const;
    const producer = new Producer({ ...common, group: 'TracePG' });
    const consumer = new PushConsumer({ ...common, group: 'TraceCG', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    const consumed = deferred<ConsumerMessage>();
    consumer.subscribe(TOPIC, '*', (msg) => consumed.resolve(msg));
    await consumer.start();
    await producer.start();
    const result = await producer.send({ topic: TOPIC, body: 'traced', tags: 'tagT', keys: ['key1', 'key2'] });
    const msg = await consumed.promise;
    assert.equal(msg.msgId, result.msgId);
    // Shutdown sends what is queued (fewer than a batch would otherwise wait for the 5 s flush).
    await producer.shutdown();
    await consumer.shutdown();

    const records = await awaitRecords(admin, RMQ_SYS_TRACE_TOPIC, result.msgId, (r) => r.length >= 3);
    const byType = new Map(records.map((r) => [r[0], r]));
    const brokerAddr = `127.0.0.1:${dev.broker.port}`;
    const pub = byType.get('Pub') as string[];
    assert.deepEqual(pub.slice(2, 10), ['DefaultRegion', 'TracePG', TOPIC, result.msgId, 'tagT', 'key1 key2', brokerAddr, '6']);
    assert.deepEqual(pub.slice(11), ['0', result.offsetMsgId, 'true']);
    const subBefore = byType.get('SubBefore') as string[];
    const subAfter = byType.get('SubAfter') as string[];
    assert.deepEqual([subBefore[2], subBefore[3], subBefore[5], subBefore[6], subBefore[7]], ['DefaultRegion', 'TraceCG', result.msgId, '0', 'key1 key2']);
    assert.match(subBefore[4] as string, /^[0-9A-F]{32}$/, 'a request id in the UNIQ_KEY form');
    assert.deepEqual([subAfter[1], subAfter[2], subAfter[4], subAfter[5], subAfter[6], subAfter[8]], [subBefore[4], result.msgId, 'true', 'key1 key2', '0', 'TraceCG']);
    // Admin.queryTrace reads the same records back as one life: the send, then the group's one successful delivery.
    const trace = await admin.queryTrace(result.msgId);
    assert.equal(trace.traceTopic, RMQ_SYS_TRACE_TOPIC);
    assert.deepEqual(trace.sends.map((p) => [p.groupName, p.topic, p.storeHost, p.msgType, p.offsetMsgId, p.success]), [['TracePG', TOPIC, brokerAddr, 'Normal_Msg', result.offsetMsgId, true]]);
    assert.deepEqual(trace.consumerGroups.map((g) => g.groupName), ['TraceCG']);
    const [attempt] = trace.consumerGroups[0]?.attempts ?? [];
    assert.deepEqual([attempt?.requestId, attempt?.status, attempt?.success, attempt?.retryTimes], [subBefore[4], 'SUCCESS', true, 0]);
    assert.ok((attempt?.beginTimestamp ?? 0) >= (trace.sends[0]?.timeStamp ?? Infinity) && (attempt?.endTimestamp ?? 0) >= (attempt?.beginTimestamp ?? Infinity));
    assert.match(attempt?.clientHost ?? '', /^127\.0\.0\.1:\d+$/);
    // The trace messages are found by the message's keys as well, and the inner producers traced none of their own sends.
    const byKey = await awaitRecords(admin, RMQ_SYS_TRACE_TOPIC, 'key2', (r) => r.length >= 3);
    assert.ok(byKey.every((r) => r[0] !== 'Pub' || r[4] === TOPIC));
  });

  it("writes a namespaced client's records to the trace topic outside the namespace, with its names unwrapped", async () => {
    const common = { nameServer: dev.namesrvAddr, clientIP: '127.0.0.1', clientManager: manager, trace: true, namespace: 'ns1' } as const;
    const producer = new Producer({ ...common, group: 'TracePG3' });
    const consumer = new PushConsumer({ ...common, group: 'TraceCG3', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    const consumed = deferred();
    consumer.subscribe(TOPIC, '*', () => consumed.resolve());
    await consumer.start();
    await producer.start();
    const result = await producer.send({ topic: TOPIC, body: 'namespaced' });
    await consumed.promise;
    await producer.shutdown();
    await consumer.shutdown();
    const records = await awaitRecords(admin, RMQ_SYS_TRACE_TOPIC, result.msgId, (r) => r.length >= 3);
    const pub = records.find((r) => r[0] === 'Pub') as string[];
    assert.deepEqual([pub[3], pub[4], pub[7]], ['TracePG3', TOPIC, 'null']);
    assert.equal((records.find((r) => r[0] === 'SubAfter') as string[])[8], 'TraceCG3');
  });

  it('traces the half message of a traced TransactionProducer as Trans_Msg_Half', async () => {
    const producer = new TransactionProducer({
      nameServer: dev.namesrvAddr,
      clientIP: '127.0.0.1',
      clientManager: manager,
      trace: true,
      group: 'TraceTxPG',
      checkLocalTransaction: () => TransactionState.COMMIT,
    });
    await producer.start();
    const result = await producer.sendMessageInTransaction({ topic: TOPIC, body: 'half', keys: 'tx' }, () => TransactionState.COMMIT);
    await producer.shutdown();
    const records = await awaitRecords(admin, RMQ_SYS_TRACE_TOPIC, result.msgId, (r) => r.some((f) => f[0] === 'Pub'));
    const pub = records.find((r) => r[0] === 'Pub') as string[];
    assert.deepEqual([pub[3], pub[4], pub[7], pub[11], pub[13]], ['TraceTxPG', TOPIC, 'tx', '1', 'true']);
    // EndTransactionTraceHookImpl's record: msgType Trans_msg_Commit, the UNIQ_KEY as transactionId, not from a check.
    const end = (await awaitRecords(admin, RMQ_SYS_TRACE_TOPIC, result.msgId, (r) => r.some((f) => f[0] === 'EndTransaction'))).find((r) => r[0] === 'EndTransaction') as string[];
    assert.deepEqual(end.slice(2), ['DefaultRegion', 'TraceTxPG', TOPIC, result.msgId, 'null', 'tx', `127.0.0.1:${dev.broker.port}`, '2', result.msgId, 'COMMIT_MESSAGE', 'false']);
    const trace = await admin.queryTrace(result.msgId);
    assert.deepEqual(trace.transactions.map((t) => [t.groupName, t.transactionState, t.fromTransactionCheck]), [['TraceTxPG', 'COMMIT_MESSAGE', false]]);
    assert.deepEqual(trace.sends.map((p) => p.msgType), ['Trans_Msg_Half']);
  });

  it("traces a LitePullConsumer's polls, and carries a W3C traceparent from producer to consumer", async () => {
    const common = { nameServer: dev.namesrvAddr, clientIP: '127.0.0.1', clientManager: manager } as const;
    const topic = 'TraceLitePullTopic';
    const cluster = [...(await admin.clusterInfo()).clusterAddrTable.keys()][0] as string;
    await admin.createTopic({ cluster }, topic, { readQueueNums: 1, writeQueueNums: 1 });
    const producer = new Producer({ ...common, group: 'TracePG4' });
    await producer.start();
    const result = await producer.send({ topic, body: 'pulled', keys: 'lp', traceContext: { traceparent: TRACEPARENT, tracestate: 'ts=1' } });
    await producer.shutdown();
    const consumer = new LitePullConsumer({ ...common, group: 'TraceLiteCG', trace: true, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', pollTimeoutMillis: 500 });
    consumer.subscribe(topic, '*');
    await consumer.start();
    let polled: ConsumerMessage[] = [];
    for (let i = 0; i < 40 && polled.length === 0; i++) polled = await consumer.poll();
    await consumer.shutdown();
    assert.deepEqual(polled.map((m) => m.msgId), [result.msgId]);
    assert.deepEqual(polled[0]?.traceContext, { traceparent: TRACEPARENT, tracestate: 'ts=1' });
    assert.equal(polled[0]?.properties['traceparent'], TRACEPARENT, 'a plain user property, as the OpenTelemetry Java agent writes it');
    const trace = await awaitTrace(admin, result.msgId, (t) => t.consumerGroups.length > 0);
    assert.deepEqual(trace.sends, [], 'the producer was not traced');
    assert.deepEqual(trace.consumerGroups.map((g) => [g.groupName, g.attempts.map((a) => a.status)]), [['TraceLiteCG', ['SUCCESS']]]);
  });

  it('traces failed listener calls with success false and their ConsumeReturnType, to a topic of its own', async () => {
    const traceTopic = 'MyTraceTopic';
    const common = { nameServer: dev.namesrvAddr, clientIP: '127.0.0.1', clientManager: manager, trace: { topic: traceTopic } };
    const producer = new Producer({ ...common, group: 'TracePG2' });
    const consumer = new PushConsumer({ ...common, group: 'TraceCG2', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    const later = deferred();
    const threw = deferred();
    consumer.subscribe(TOPIC, '*', (msg) => {
      // The SubAfter is queued as the listener returns, before these resolutions reach the test.
      if (msg.keys[0] === 'later') {
        later.resolve();
        return 'RECONSUME_LATER';
      }
      if (msg.keys[0] === 'throws') {
        threw.resolve();
        throw new Error('listener failed');
      }
    });
    await producer.start();
    const failed = await producer.send({ topic: TOPIC, body: 'later', keys: 'later' });
    const thrown = await producer.send({ topic: TOPIC, body: 'throws', keys: 'throws' });
    await consumer.start();
    await Promise.all([later.promise, threw.promise]);
    await producer.shutdown();
    await consumer.shutdown();
    const subAfter = async (msgId: string): Promise<string[]> => {
      const records = await awaitRecords(admin, traceTopic, msgId, (r) => r.some((f) => f[0] === 'Pub') && r.some((f) => f[0] === 'SubAfter'));
      return records.find((r) => r[0] === 'SubAfter' && r[2] === msgId) as string[];
    };
    const [failedAfter, thrownAfter] = [await subAfter(failed.msgId), await subAfter(thrown.msgId)];
    assert.deepEqual([failedAfter[4], failedAfter[6]], ['false', '4'], 'RECONSUME_LATER: FAILED');
    assert.deepEqual([thrownAfter[4], thrownAfter[6]], ['false', '2'], 'a throw: EXCEPTION');
    assert.deepEqual(await traceRecords(admin, RMQ_SYS_TRACE_TOPIC, failed.msgId), [], 'nothing in the default trace topic');
  });
});

describe('message trace with a broker of its own trace topic and region', () => {
  const TRACE_TOPIC = 'ClusterTraceTopic';
  let dir: string;
  let namesrv: NamesrvController;
  let broker: BrokerController;
  let admin: Admin;
  const manager = new MQClientManager();
  let namesrvAddr: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-trace-region-'));
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    broker = await startTestBroker(dir, namesrvAddr, {
      broker: {
        traceTopicEnable: true,
        msgTraceTopicName: TRACE_TOPIC,
        regionId: 'Region9',
        recallMessageEnable: true,
        // Checks of half messages within a second, for the EndTransaction of a check.
        transactionCheckInterval: 200,
        transactionTimeOut: 500,
        transactionOpBatchInterval: 50,
      },
    });
    admin = new Admin({ nameServer: namesrvAddr, clientIP: '127.0.0.1', clientManager: manager });
    await admin.start();
  });

  after(async () => {
    await admin?.shutdown();
    await broker?.shutdown();
    await namesrv?.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates msgTraceTopicName at start (one queue) and stamps its regionId on records from the send and from the stored message', async () => {
    const route = await admin.topicRoute(TRACE_TOPIC);
    assert.deepEqual(route.queueDatas.map((q) => [q.readQueueNums, q.writeQueueNums]), [[1, 1]]);
    const common = { nameServer: namesrvAddr, clientIP: '127.0.0.1', clientManager: manager, trace: { topic: TRACE_TOPIC } } as const;
    const producer = new Producer({ ...common, group: 'RegionPG' });
    const consumer = new PushConsumer({ ...common, group: 'RegionCG', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    const consumed = deferred<ConsumerMessage>();
    consumer.subscribe('RegionTopic', '*', (msg) => consumed.resolve(msg));
    await producer.start();
    const result = await producer.send({ topic: 'RegionTopic', body: 'r' });
    await consumer.start();
    const msg = await consumed.promise;
    assert.deepEqual([msg.properties['MSG_REGION'], msg.properties['TRACE_ON']], ['Region9', 'true']);
    await producer.shutdown();
    await consumer.shutdown();
    const records = await awaitRecords(admin, TRACE_TOPIC, result.msgId, (r) => r.length >= 3);
    assert.deepEqual(records.filter((r) => r[0] !== 'SubAfter').map((r) => [r[0], r[2]]).sort(), [['Pub', 'Region9'], ['SubBefore', 'Region9']]);
    const trace = await admin.queryTrace(result.msgId, { traceTopic: TRACE_TOPIC });
    assert.deepEqual([trace.sends[0]?.regionId, trace.consumerGroups[0]?.attempts[0]?.status], ['Region9', 'SUCCESS']);
  });

  it('traces the recalls the broker answered with trace: { recall: true }, successful or not; not without it', async () => {
    const common = { nameServer: namesrvAddr, clientIP: '127.0.0.1', clientManager: manager } as const;
    const producer = new Producer({ ...common, group: 'RecallPG', trace: { topic: TRACE_TOPIC, recall: true } });
    const quiet = new Producer({ ...common, group: 'RecallQuietPG', trace: { topic: TRACE_TOPIC } });
    await producer.start();
    await quiet.start();
    const timed = await producer.send({ topic: 'RecallTopic', body: 'later', delayTimeSec: 3600 });
    const handle = timed.recallHandle ?? assert.fail('a recall handle');
    assert.equal(await producer.recallMessage('RecallTopic', handle), timed.msgId);
    const refused = await producer.recallMessage('RecallOtherTopic', handle).then(() => undefined, (err: unknown) => err);
    assert.ok(refused instanceof MQBrokerError, String(refused));
    const quietTimed = await quiet.send({ topic: 'RecallTopic', body: 'later', delayTimeSec: 3600 });
    assert.equal(await quiet.recallMessage('RecallTopic', quietTimed.recallHandle ?? assert.fail('a recall handle')), quietTimed.msgId);
    await producer.shutdown();
    await quiet.shutdown();
    const records = await awaitRecords(admin, TRACE_TOPIC, timed.msgId, (r) => r.filter((f) => f[0] === 'Recall').length >= 2);
    const recalls = records.filter((f) => f[0] === 'Recall').sort((a, b) => Number(a[1]) - Number(b[1]));
    assert.deepEqual(
      recalls.map((f) => f.slice(2)),
      [
        ['Region9', 'RecallPG', 'RecallTopic', timed.msgId, 'true'],
        ['Region9', 'RecallPG', 'RecallOtherTopic', timed.msgId, 'false'],
      ],
    );
    const trace = await admin.queryTrace(timed.msgId, { traceTopic: TRACE_TOPIC });
    assert.deepEqual(trace.recalls.map((r) => [r.groupName, r.success]), [['RecallPG', true], ['RecallPG', false]]);
    const quietRecords = await awaitRecords(admin, TRACE_TOPIC, quietTimed.msgId, (r) => r.some((f) => f[0] === 'Pub'));
    assert.deepEqual(quietRecords.map((f) => f[0]), ['Pub'], 'no Recall record without trace.recall');
  });

  it("writes EndTransaction records for an UNKNOW end and for the check's answer that commits it", async () => {
    const producer = new TransactionProducer({
      nameServer: namesrvAddr,
      clientIP: '127.0.0.1',
      clientManager: manager,
      trace: { topic: TRACE_TOPIC },
      group: 'RegionTxPG',
      checkLocalTransaction: () => TransactionState.COMMIT,
    });
    const checked = deferred();
    producer.on(Producer.events.TRANSACTION_END, (e) => {
      if (e.payload.fromTransactionCheck) checked.resolve();
    });
    await producer.start();
    const result = await producer.sendMessageInTransaction({ topic: 'RegionTxTopic', body: 'later', tags: 'tx' }, () => TransactionState.UNKNOWN);
    await checked.promise;
    await producer.shutdown();
    const trace = await awaitTrace(admin, result.msgId, (t) => t.transactions.length >= 2, TRACE_TOPIC);
    assert.deepEqual(trace.transactions.map((t) => [t.transactionState, t.fromTransactionCheck, t.transactionId]), [
      ['UNKNOW', false, result.msgId],
      ['COMMIT_MESSAGE', true, result.msgId],
    ]);
    // The check's record takes the region of the stored half message; the first, of a message the broker never stamped, DefaultRegion.
    const records = await awaitRecords(admin, TRACE_TOPIC, result.msgId, (r) => r.filter((f) => f[0] === 'EndTransaction').length >= 2);
    assert.deepEqual(records.filter((r) => r[0] === 'EndTransaction').map((r) => [r[2], r[6], r[12]]).sort((a, b) => String(a[2]).localeCompare(String(b[2]))), [
      ['DefaultRegion', 'tx', 'false'],
      ['Region9', 'tx', 'true'],
    ]);
  });
});
