/**
 * Client namespaces against Java (issue 15). Java's own NamespaceUtil and ClientConfig (5.3.3 and 4.9.8) evaluate
 * every row of test/fixtures/namespace-cases.ts and agree with it. Then, on one Java 5.3.3 name server and broker:
 * our namespaced Producer's messages reach a Java DefaultMQPushConsumer with setNamespace("ns1") and our namespaced
 * PushConsumer (with a reconsumeLater round trip through "%RETRY%ns1%G"), mqadmin topicList shows "ns1%T"; a Java
 * and a TypeScript consumer of namespace ns1 form one group "ns1%G" and split its queues, each message consumed
 * once; and the Java broker's check of a namespaced transaction reaches our TransactionProducer.
 * Skipped (loudly) without java and mvn, unless CI is set.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  Admin,
  AllocateMessageQueueAveragely,
  MQClientManager,
  Producer,
  PushConsumer,
  TransactionProducer,
  TransactionState,
  type ConsumerMessage,
  type MessageQueue,
} from '../../src/client/index.js';
import { decodeConsumerListByGroup, RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/index.js';
import { NAMESPACE_CASES, namespaceCasesTsv } from '../fixtures/namespace-cases.js';
import {
  buildInterop,
  interopSkip,
  runJava,
  runMqAdmin,
  startJava,
  startJavaBroker,
  startJavaNameServer,
  type JavaProcess,
  type JavaServer,
  type RocketMQVersion,
} from '../helpers/java.js';
import { waitFor } from '../helpers/wait.js';

const skip = await interopSkip();
const NS = 'ns1';
const BROKER = 'broker-java';

interface JavaLine {
  topic: string;
  key: string;
  msgId: string;
  queueId: number;
  properties: Record<string, string>;
}

function javaLines(java: JavaProcess): JavaLine[] {
  return java.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as JavaLine);
}

describe("Java's NamespaceUtil and our table agree", { skip, timeout: 10 * 60_000 }, () => {
  for (const version of ['5.3.3', '4.9.8'] as const satisfies readonly RocketMQVersion[]) {
    it(`RocketMQ ${version}: every row of test/fixtures/namespace-cases.ts`, async () => {
      const { classpath } = await buildInterop(version);
      const dir = await mkdtemp(path.join(tmpdir(), 'rmqts-ns-cases-'));
      try {
        const file = path.join(dir, 'cases.tsv');
        await writeFile(file, namespaceCasesTsv());
        const run = await runJava({ mainClass: 'io.rocketmqts.interop.NamespaceDriver', args: ['--cases', file], classpath });
        assert.equal(run.code, 0, run.stderr);
        const results = run.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { op: string; resource: string | null; result: unknown });
        assert.equal(results.length, NAMESPACE_CASES.length);
        const differences = NAMESPACE_CASES.flatMap((k, i) => {
          const expected = version === '4.9.8' && k.java4 !== undefined ? k.java4 : k.expected;
          const got = results[i];
          assert.equal(got?.op, k.op);
          return got?.result === expected ? [] : [`${k.op}(${JSON.stringify(k.namespace)}, ${JSON.stringify(k.resource)}): Java ${JSON.stringify(got?.result)}, table ${JSON.stringify(expected)}`];
        });
        assert.deepEqual(differences, []);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});

describe(`namespaced clients with the Java 5.3.3 name server and broker`, { skip, timeout: 15 * 60_000 }, () => {
  const servers: JavaServer[] = [];
  let classpath: string;
  let namesrvAddr: string;
  let brokerAddr: string;
  let client: RemotingClient;
  let producer: Producer;

  async function waitForRoute(topic: string): Promise<void> {
    for (let attempt = 0; attempt < 300; attempt++) {
      const response = await client.invokeSync(namesrvAddr, RemotingCommand.createRequestCommand(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic }), 3000);
      if (response.code === ResponseCode.SUCCESS) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no route of ${topic} after 30 s`);
  }

  before(async () => {
    ({ classpath } = await buildInterop('5.3.3'));
    const namesrv = await startJavaNameServer();
    servers.push(namesrv);
    namesrvAddr = namesrv.addr;
    // Retries come back after 1 s; transactions are checked every second once 2 s old.
    const broker = await startJavaBroker({
      namesrvAddr,
      brokerName: BROKER,
      config: {
        messageDelayLevel: '1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s',
        transactionCheckInterval: 1000,
        transactionTimeOut: 2000,
        transactionOpBatchInterval: 200,
      },
    });
    servers.push(broker);
    brokerAddr = broker.addr;
    client = new RemotingClient();
    await client.start();
    await waitForRoute('TBW102');
    producer = new Producer({ nameServer: namesrvAddr, group: 'NsInteropPG', namespace: NS, clientIP: '127.0.0.1', clientManager: new MQClientManager() });
    await producer.start();
  });

  after(async () => {
    await producer?.shutdown();
    await client?.shutdown();
    await Promise.all(servers.reverse().map((server) => server.stop()));
  });

  it("our namespaced producer's messages reach a Java consumer with setNamespace and ours (retry included); mqadmin lists ns1%T", { timeout: 5 * 60_000 }, async () => {
    const topic = 'NsInteropTopic';
    const keys: string[] = [];
    for (let i = 0; i < 4; i++) {
      const result = await producer.send({ topic, body: `single ${i}`, keys: `single-${i}` });
      assert.equal(result.messageQueue.topic, topic);
      keys.push(`single-${i}`);
    }
    const batch = Array.from({ length: 3 }, (_, i) => ({ topic, body: `batch ${i}`, keys: `batch-${i}` }));
    assert.equal((await producer.send(batch)).messageQueue.topic, topic);
    keys.push(...batch.map((m) => m.keys));
    const ordered = await producer.send({ topic, body: 'ordered', keys: 'ordered-0' }, { shardingKey: 'k' });
    assert.equal(ordered.messageQueue.topic, topic);
    keys.push('ordered-0');

    const java = await startJava({
      mainClass: 'io.rocketmqts.interop.ConsumerDriver',
      args: ['--namesrv', namesrvAddr, '--topic', topic, '--group', 'NsJavaCG', '--namespace', NS, '--expect', String(keys.length), '--timeout-ms', '120000'],
      classpath,
      readyLine: /^READY$/,
    });
    const ours: ConsumerMessage[] = [];
    const consumer = new PushConsumer({ nameServer: namesrvAddr, group: 'NsTsCG', namespace: NS, clientIP: '127.0.0.1', clientManager: new MQClientManager(), consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    consumer.subscribe(topic, '*', (msg) => {
      ours.push(msg);
      return msg.keys[0] === 'single-0' && msg.reconsumeTimes === 0 ? 'RECONSUME_LATER' : 'CONSUME_SUCCESS';
    });
    try {
      await consumer.start();
      await java.waitForLine(/^DONE \d+$/, 120_000);
      const lines = javaLines(java);
      assert.deepEqual([...new Set(lines.map((l) => l.key))].sort(), [...keys].sort(), 'the Java consumer of ns1 got everything');
      for (const l of lines) {
        assert.equal(l.topic, topic, 'Java shows the topic without the namespace');
        assert.equal(l.properties['INSTANCE_ID'], NS, 'INSTANCE_ID as a Java producer of ns1 sets it');
      }
      await waitFor(() => new Set(ours.map((m) => m.keys[0])).size === keys.length, 60_000, 'our consumer of ns1 got everything');
      await waitFor(() => ours.some((m) => m.keys[0] === 'single-0' && m.reconsumeTimes === 1), 60_000, 'single-0 back from %RETRY%ns1%NsTsCG');
      for (const m of ours) assert.equal(m.topic, topic, `${m.keys[0]} shows the short topic`);
      const redelivered = ours.find((m) => m.keys[0] === 'single-0' && m.reconsumeTimes === 1)!;
      assert.equal(redelivered.properties['RETRY_TOPIC'], `${NS}%${topic}`);

      const list = await runMqAdmin(['topicList', '-n', namesrvAddr]);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, new RegExp(`^${NS}%${topic}$`, 'm'), list.stdout);
      assert.match(list.stdout, new RegExp(`^%RETRY%${NS}%NsTsCG$`, 'm'));
      assert.doesNotMatch(list.stdout, new RegExp(`^${topic}$`, 'm'), 'nothing went to the topic outside the namespace');
    } finally {
      await consumer.shutdown();
      await java.stop();
    }
  });

  it('a Java and a TypeScript consumer of ns1 are one group on the broker and split its queues', { timeout: 6 * 60_000 }, async () => {
    const topic = 'NsInteropMixed';
    const group = 'NsMixedCG';
    const wireGroup = `${NS}%${group}`;
    for (let i = 0; i < 4; i++) await producer.send({ topic, body: `setup-${i}`, keys: `setup-${i}` });
    await waitForRoute(`${NS}%${topic}`);
    const java = await startJava({
      mainClass: 'io.rocketmqts.interop.ConsumerDriver',
      args: ['--namesrv', namesrvAddr, '--topic', topic, '--group', group, '--namespace', NS, '--expect', '1000000', '--timeout-ms', '300000'],
      classpath,
      readyLine: /^READY$/,
    });
    const ours: ConsumerMessage[] = [];
    const consumer = new PushConsumer({ nameServer: namesrvAddr, group, namespace: NS, clientManager: new MQClientManager(), consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    consumer.subscribe(topic, '*', (msg) => void ours.push(msg));
    const admin = new Admin({ nameServer: namesrvAddr, namespace: NS, clientManager: new MQClientManager() });
    try {
      await admin.start();
      await consumer.start();
      let cids: string[] = [];
      for (let i = 0; i < 300 && cids.length < 2; i++) {
        const response = await client.invokeSync(brokerAddr, RemotingCommand.createRequestCommand(RequestCode.GET_CONSUMER_LIST_BY_GROUP, { consumerGroup: wireGroup }), 3000);
        cids = response.code === ResponseCode.SUCCESS ? decodeConsumerListByGroup(response.body) : [];
        if (cids.length < 2) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(cids.length, 2, `members of ${wireGroup}: ${cids.join(', ')}`);
      // Both allocate over the wire names, so the shares are those of AllocateMessageQueueAveragely on them.
      const mqAll: MessageQueue[] = [0, 1, 2, 3].map((queueId) => ({ topic: `${NS}%${topic}`, brokerName: BROKER, queueId }));
      const sorted = [...cids].sort();
      const share = (cid: string): number[] => new AllocateMessageQueueAveragely().allocate(wireGroup, cid, mqAll, sorted).map((mq) => mq.queueId);
      const ourShare = share(consumer.clientId as string);
      const javaCid = cids.find((c) => c !== consumer.clientId) as string;
      const javaShare = share(javaCid);
      // The namespaced admin asks about the group by its short name and shows the queues without the namespace.
      const owned = async (cid: string): Promise<number[]> =>
        (await admin.consumerRunningInfo(group, cid)).mqTable.filter((q) => q.mq.topic === topic).map((q) => q.mq.queueId).sort();
      let lastOwned = '';
      for (let i = 0; i < 300; i++) {
        lastOwned = JSON.stringify([await owned(consumer.clientId as string), await owned(javaCid)]);
        if (lastOwned === JSON.stringify([ourShare, javaShare])) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(lastOwned, JSON.stringify([ourShare, javaShare]), 'each consumer owns its share');

      const sent = new Set<string>();
      for (let i = 0; i < 16; i++) sent.add((await producer.send({ topic, body: `m${i}`, keys: `m-${i}` }, { shardingKey: String(i) })).msgId);
      const javaGot = (): JavaLine[] => javaLines(java).filter((l) => sent.has(l.msgId));
      const oursGot = (): ConsumerMessage[] => ours.filter((m) => sent.has(m.msgId));
      await waitFor(() => javaGot().length + oursGot().length >= sent.size, 60_000, 'every message consumed');
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const all = [...oursGot().map((m) => m.msgId), ...javaGot().map((l) => l.msgId)];
      assert.equal(all.length, sent.size, 'no message consumed twice');
      assert.deepEqual(new Set(all), sent, 'no message lost');
      assert.deepEqual([...new Set(oursGot().map((m) => m.queueId))].sort(), ourShare);
      assert.deepEqual([...new Set(javaGot().map((l) => l.queueId))].sort(), javaShare);
      for (const m of oursGot()) assert.equal(m.topic, topic);
      for (const l of javaGot()) assert.equal(l.topic, topic);
    } finally {
      await consumer.shutdown();
      await admin.shutdown();
      await java.stop();
    }
  });

  it("the Java broker's check of a namespaced transaction reaches our TransactionProducer", { timeout: 3 * 60_000 }, async () => {
    const topic = 'NsInteropTx';
    const checked: string[] = [];
    const txProducer = new TransactionProducer({
      nameServer: namesrvAddr,
      group: 'NsInteropTxPG',
      namespace: NS,
      clientIP: '127.0.0.1',
      clientManager: new MQClientManager(),
      checkLocalTransaction: (msg) => {
        checked.push(msg.topic);
        return TransactionState.COMMIT;
      },
    });
    const got: ConsumerMessage[] = [];
    const consumer = new PushConsumer({ nameServer: namesrvAddr, group: 'NsInteropTxCG', namespace: NS, clientManager: new MQClientManager(), consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    consumer.subscribe(topic, '*', (msg) => void got.push(msg));
    await txProducer.start();
    try {
      const result = await txProducer.sendMessageInTransaction({ topic, body: 'tx', keys: 'tx-0' }, () => TransactionState.UNKNOWN);
      assert.equal(result.messageQueue.topic, topic);
      await consumer.start();
      await waitFor(() => got.length === 1, 60_000, 'the message committed by the check');
      assert.ok(checked.length >= 1 && checked.every((t) => t === topic), `the checker sees the short topic: ${checked.join(', ')}`);
      assert.equal(got[0]?.topic, topic);
      assert.equal(got[0]?.properties['PGROUP'], `${NS}%NsInteropTxPG`);
    } finally {
      await consumer.shutdown();
      await txProducer.shutdown();
    }
  });
});
