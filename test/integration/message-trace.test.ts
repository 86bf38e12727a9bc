/**
 * Message trace against our broker: a traced Producer and a traced PushConsumer leave a message's life in
 * RMQ_SYS_TRACE_TOPIC (Pub, SubBefore, SubAfter), found by the message's id and by its keys, as the dashboard
 * queries it. A failed listener call is traced with success false and its ConsumeReturnType.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { startDev, type DevCluster } from '../../src/cli/dev.js';
import { silentLogger } from '../../src/common/logger.js';
import { Admin, MQClientManager, Producer, PushConsumer, RMQ_SYS_TRACE_TOPIC, TransactionProducer, TransactionState, type ConsumerMessage } from '../../src/client/index.js';
import { deferred } from '../helpers/wait.js';

const TOPIC = 'TraceItTopic';

/** The fields of every record in the trace messages found by `key`. */
async function traceRecords(admin: Admin, traceTopic: string, key: string): Promise<string[][]> {
  const found = await admin.queryMessage(traceTopic, key).catch(() => []);
  return found.flatMap((m) => m.body.toString('utf8').split('\u0002').filter((r) => r !== '').map((r) => r.split('\u0001')));
}

/** Polls the trace topic until `done` holds for the records of `key` (bounded: the index may lag the store). */
async function awaitRecords(admin: Admin, traceTopic: string, key: string, done: (records: string[][]) => boolean): Promise<string[][]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const records = await traceRecords(admin, traceTopic, key);
    if (done(records)) return records;
    if (Date.now() > deadline) assert.fail(`trace records for ${key} incomplete: ${JSON.stringify(records)}`);
    await delay(50);
  }
}

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
