/**
 * Our Producer with the real Apache RocketMQ name server and broker: sync, oneway, batch, ordered (sharding key)
 * and compressed sends to a topic the name server does not know yet (so through TBW102), and a Java
 * DefaultMQPushConsumer receives every message intact, with the msgId our SendResult gave. Skipped (loudly)
 * without java and mvn, unless CI is set.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  MQClientManager,
  Producer,
  PushConsumer,
  TransactionProducer,
  TransactionState,
  javaHashCode,
  type ConsumerMessage,
  type ProducerMessage,
  type SendResult,
} from '../../src/client/index.js';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/index.js';
import {
  buildInterop,
  interopSkip,
  runMqAdmin,
  startJava,
  startJavaBroker,
  startJavaNameServer,
  type JavaServer,
  type RocketMQVersion,
} from '../helpers/java.js';
import { waitFor } from '../helpers/wait.js';

const skip = await interopSkip();
const CHECK_MAX = 3;
const NOTE = 'héllo wörld ✓ 中文';

interface Received {
  key: string;
  tags: string | null;
  body: string;
  kind: string | null;
  seq: string | null;
  note: string | null;
  msgId: string;
  queueId: number;
  queueOffset: number;
}

function message(kind: string, seq: number, body?: string): ProducerMessage {
  return {
    topic: '',
    body: body ?? `body of ${kind}-${seq}`,
    keys: `${kind}-${seq}`,
    tags: `Tag_${kind}`,
    properties: { kind, seq: String(seq), note: NOTE },
  };
}

/** The broker registers (TBW102 with it) shortly after it logs "boot success"; sends before that find no route. */
async function waitForRoute(namesrvAddr: string, topic: string): Promise<void> {
  const client = new RemotingClient();
  await client.start();
  try {
    for (let attempt = 0; ; attempt++) {
      const request = RemotingCommand.createRequestCommand(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic });
      const response = await client.invokeSync(namesrvAddr, request, 3000);
      if (response.code === ResponseCode.SUCCESS) return;
      if (attempt === 300) throw new Error(`no route of ${topic} after 30 s: ${response.remark}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await client.shutdown();
  }
}

function bigBody(seq: number): string {
  return `compressible body ${seq} `.repeat(500);
}

for (const version of ['5.3.3', '4.9.8'] as const satisfies readonly RocketMQVersion[]) {
  describe(`our Producer with Java ${version} name server and broker`, { skip, timeout: 15 * 60_000 }, () => {
    const servers: JavaServer[] = [];
    let classpath: string;
    let producer: Producer;
    const topic = `TsProducer_${version.replaceAll('.', '_')}`;

    before(async () => {
      ({ classpath } = await buildInterop(version));
      const namesrv = await startJavaNameServer({ version });
      servers.push(namesrv);
      // Transaction checks every second once a half message is 2 s old (past our producer's first heartbeat). Op
      // records are batched for 200 ms, not 5.x's 3 s: a check before they are written asks about transactions
      // already ended (Java 5.3.3 does; 4.9.8 ignores the key and writes them at once).
      const broker = await startJavaBroker({
        version,
        namesrvAddr: namesrv.addr,
        brokerName: 'broker-java',
        config: { transactionCheckInterval: 1000, transactionTimeOut: 2000, transactionCheckMax: CHECK_MAX, transactionOpBatchInterval: 200 },
      });
      servers.push(broker);
      await waitForRoute(namesrv.addr, 'TBW102');
      producer = new Producer({ nameServer: namesrv.addr, group: 'TsProducerPG', clientIP: '127.0.0.1', clientManager: new MQClientManager() });
      await producer.start();
    });

    after(async () => {
      await producer.shutdown();
      await Promise.all(servers.reverse().map((server) => server.stop()));
    });

    it('sends sync, oneway, batch, ordered and compressed; the Java push consumer receives all of it intact', { timeout: 5 * 60_000 }, async () => {
      const namesrvAddr = servers[0]?.addr as string;
      const sent = new Map<string, { body: string; kind: string; result?: SendResult; msgId?: string }>();
      const withTopic = (m: ProducerMessage): ProducerMessage => ({ ...m, topic });

      // The first send finds no route: the producer borrows TBW102's and the Java broker creates the topic.
      for (let i = 0; i < 8; i++) {
        const m = withTopic(message('sync', i));
        const result = await producer.send(m);
        assert.equal(result.status, 'SEND_OK');
        assert.equal(result.messageQueue.brokerName, 'broker-java');
        sent.set(m.keys as string, { body: m.body as string, kind: 'sync', result, msgId: result.msgId });
      }

      const batch = Array.from({ length: 6 }, (_, i) => withTopic(message('batch', i)));
      const batchResult = await producer.send(batch);
      assert.equal(batchResult.status, 'SEND_OK');
      const batchIds = batchResult.msgId.split(',');
      batch.forEach((m, i) => sent.set(m.keys as string, { body: m.body as string, kind: 'batch', msgId: batchIds[i] }));

      const ordered: SendResult[] = [];
      for (let i = 0; i < 6; i++) {
        const m = withTopic(message('ordered', i));
        const result = await producer.send(m, { shardingKey: 'order-1' });
        ordered.push(result);
        sent.set(m.keys as string, { body: m.body as string, kind: 'ordered', result, msgId: result.msgId });
      }
      // Java's SelectMessageQueueByHash over the topic's 4 queues (defaultTopicQueueNums) picks the same queue.
      assert.deepEqual(ordered.map((r) => r.messageQueue.queueId), new Array<number>(6).fill(Math.abs(javaHashCode('order-1') % 4)));
      assert.deepEqual(ordered.map((r) => r.queueOffset), ordered.map((_, i) => (ordered[0] as SendResult).queueOffset + i));

      for (let i = 0; i < 2; i++) {
        const m = withTopic(message('compressed', i, bigBody(i)));
        const result = await producer.send(m);
        sent.set(m.keys as string, { body: m.body as string, kind: 'compressed', result, msgId: result.msgId });
      }

      for (let i = 0; i < 2; i++) {
        const m = withTopic(message('oneway', i));
        await producer.sendOneway(m);
        sent.set(m.keys as string, { body: m.body as string, kind: 'oneway' });
      }

      const consumer = await startJava({
        mainClass: 'io.rocketmqts.interop.ConsumerDriver',
        args: ['--namesrv', namesrvAddr, '--topic', topic, '--group', 'TsProducerCG', '--expect', String(sent.size), '--timeout-ms', '120000'],
        classpath,
        readyLine: /^READY$/,
      });
      try {
        const finished = await consumer.waitForLine(/^(DONE|TIMEOUT) \d+$/, 150_000);
        const received = consumer.stdout
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as Received);
        assert.equal(finished, `DONE ${sent.size}`, `received: ${received.map((r) => r.key).join(' ')}`);
        const byKey = new Map(received.map((r) => [r.key, r]));
        for (const [key, expected] of sent) {
          const got = byKey.get(key);
          assert.ok(got !== undefined, `${key} not received`);
          assert.equal(got.body, expected.body, key);
          assert.equal(got.tags, `Tag_${expected.kind}`, key);
          assert.equal(got.kind, expected.kind, key);
          assert.equal(got.seq, key.split('-')[1], key);
          assert.equal(got.note, NOTE, key);
          if (expected.msgId !== undefined) assert.equal(got.msgId, expected.msgId, key);
          if (expected.result !== undefined) {
            assert.equal(got.queueId, expected.result.messageQueue.queueId, key);
            assert.equal(got.queueOffset, expected.result.queueOffset, key);
          }
        }
        const batchOffsets = batch.map((m) => byKey.get(m.keys as string)?.queueOffset);
        assert.deepEqual(batchOffsets, batch.map((_, i) => batchResult.queueOffset + i));
      } finally {
        await consumer.stop();
      }
    });

    it('heartbeats: mqadmin producerConnection lists our client id under the group', { timeout: 3 * 60_000 }, async () => {
      const namesrvAddr = servers[0]?.addr as string;
      let listing = '';
      // The first heartbeat goes out a second after start; the test above has long passed that.
      for (let attempt = 0; attempt < 5 && !listing.includes(producer.clientId as string); attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 1000));
        const result = await runMqAdmin(['producerConnection', '-n', namesrvAddr, '-g', 'TsProducerPG', '-t', topic], { version, timeoutMs: 60_000 });
        listing = result.stdout;
      }
      assert.match(listing, new RegExp(`0001\\s+${(producer.clientId as string).replace(/[.#]/g, '\\$&')}\\s+127\\.0\\.0\\.1:\\d+\\s+JAVA\\s+(V5_3_3|HIGHER_VERSION)`), listing);
    });

    it('TransactionProducer: commit, rollback, and UNKNOW committed on the broker\'s second check reach a consumer exactly once', { timeout: 3 * 60_000 }, async () => {
      const namesrvAddr = servers[0]?.addr as string;
      const txTopic = `${topic}_TX`;
      const checks = new Map<string, number>();
      const txProducer = new TransactionProducer({
        nameServer: namesrvAddr,
        group: 'TsTxProducerPG',
        clientIP: '127.0.0.1',
        clientManager: new MQClientManager(),
        checkLocalTransaction: (msg) => {
          const key = msg.keyList[0] ?? '';
          const n = (checks.get(key) ?? 0) + 1;
          checks.set(key, n);
          return key === 'later' && n >= 2 ? TransactionState.COMMIT : TransactionState.UNKNOWN;
        },
      });
      await txProducer.start();
      const received: ConsumerMessage[] = [];
      const consumer = new PushConsumer({ nameServer: namesrvAddr, group: 'TsTxConsumerCG', clientIP: '127.0.0.1', clientManager: new MQClientManager(), consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
      consumer.subscribe(txTopic, '*', (msg) => {
        received.push(msg);
      });
      try {
        const commit = await txProducer.sendMessageInTransaction({ topic: txTopic, body: 'commit', keys: 'commit' }, () => TransactionState.COMMIT);
        const rollback = await txProducer.sendMessageInTransaction({ topic: txTopic, body: 'rollback', keys: 'rollback' }, () => TransactionState.ROLLBACK);
        const later = await txProducer.sendMessageInTransaction({ topic: txTopic, body: 'later', keys: 'later' }, () => TransactionState.UNKNOWN);
        assert.deepEqual([commit, rollback, later].map((r) => [r.status, r.localTransactionState]), [
          ['SEND_OK', 'COMMIT_MESSAGE'],
          ['SEND_OK', 'ROLLBACK_MESSAGE'],
          ['SEND_OK', 'UNKNOW'],
        ]);
        // 5.x brokers answer the UNIQ_KEY as transactionId; 4.9 brokers none.
        if (version === '4.9.8') assert.equal(commit.transactionId, undefined);
        else assert.equal(commit.transactionId, commit.msgId);
        await consumer.start();
        const deadline = Date.now() + 60_000;
        while (!received.some((m) => m.keys[0] === 'later') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
        assert.deepEqual(received.map((m) => m.keys[0]).sort(), ['commit', 'later'], 'exactly the committed messages');
        assert.equal(checks.get('later'), 2, 'committed on the second check');
        assert.equal(checks.get('commit'), undefined);
        assert.equal(checks.get('rollback'), undefined);
        assert.equal(received.find((m) => m.keys[0] === 'later')?.properties['TRANSACTION_CHECK_TIMES'], '2');
      } finally {
        await consumer.shutdown();
        await txProducer.shutdown();
      }
    });

    // Last in this describe: it restarts the broker.
    it('TransactionProducer: always UNKNOW ends after transactionCheckMax checks; the live member answers for one that left; a broker killed between the send and the check still checks', { timeout: 4 * 60_000 }, async () => {
      const [namesrv, broker] = servers as [JavaServer, JavaServer];
      const txTopic = `${topic}_TXF`;
      const asked: { member: string; key: string }[] = [];
      const member = (name: string): TransactionProducer =>
        new TransactionProducer({
          nameServer: namesrv.addr,
          group: 'TsTxFailuresPG',
          clientIP: '127.0.0.1',
          clientManager: new MQClientManager(),
          heartbeatBrokerInterval: 1000, // the restarted broker soon knows the producer again
          checkLocalTransaction: (msg) => {
            const key = msg.keyList[0] ?? '';
            asked.push({ member: name, key });
            return key === 'never' ? TransactionState.UNKNOWN : TransactionState.COMMIT;
          },
        });
      const checks = (key: string): number => asked.filter((a) => a.key === key).length;
      const live = member('live');
      const leaving = member('leaving');
      await live.start();
      await leaving.start();
      const received: ConsumerMessage[] = [];
      const consumer = new PushConsumer({ nameServer: namesrv.addr, group: 'TsTxFailuresCG', clientIP: '127.0.0.1', clientManager: new MQClientManager(), consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
      consumer.subscribe(txTopic, '*', (msg) => {
        received.push(msg);
      });
      const sendUnknown = (producer: TransactionProducer, key: string): Promise<unknown> =>
        producer.sendMessageInTransaction({ topic: txTopic, body: key, keys: key }, () => TransactionState.UNKNOWN);
      const isReceived = (key: string): boolean => received.some((m) => m.keys[0] === key);
      try {
        await sendUnknown(live, 'never');
        await consumer.start();
        await waitFor(() => checks('never') >= CHECK_MAX, 60_000, 'transactionCheckMax checks of the always-UNKNOW message');
        // Sent after the last check put 'never' back: the check that reaches it has passed (and discarded) 'never'.
        await sendUnknown(leaving, 'orphan');
        await leaving.shutdown();
        await waitFor(() => isReceived('orphan'), 60_000, 'the orphan committed by the live member');
        assert.equal(checks('never'), CHECK_MAX, 'exactly transactionCheckMax checks');
        assert.deepEqual(asked.filter((a) => a.key === 'orphan').map((a) => a.member), ['live'], 'asked of the member still there');

        await sendUnknown(live, 'restart');
        await broker.restart('SIGKILL');
        await waitFor(() => isReceived('restart'), 120_000, 'the message sent before the kill, committed on its check');
        assert.ok(checks('restart') >= 1);
        // At least once: the broker's kill may hand a consumed message over again; never the rolled-out one.
        assert.deepEqual([...new Set(received.map((m) => m.keys[0]))].sort(), ['orphan', 'restart']);
      } finally {
        await consumer.shutdown();
        await leaving.shutdown();
        await live.shutdown();
      }
    });
  });
}

