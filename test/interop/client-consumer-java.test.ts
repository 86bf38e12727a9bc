/**
 * Our PushConsumer with the real Apache RocketMQ 5.3.3 and 4.9.8 name servers and brokers: it receives intact everything the
 * Java ProducerDriver sent (sync, async, oneway, batch, compressed), and in a group with a Java
 * DefaultMQPushConsumer (ConsumerDriver) the two split the topic's queues as two Java consumers would
 * (AllocateMessageQueueAveragely over the broker's member list), each message consumed once in the steady state.
 * Skipped (loudly) without java and mvn, unless CI is set.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  Admin,
  AllocateMessageQueueAveragely,
  MQClientManager,
  Producer,
  PushConsumer,
  type ConsumerMessage,
  type MessageQueue,
} from '../../src/client/index.js';
import { decodeConsumerListByGroup, RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/index.js';
import { buildInterop, interopSkip, type RocketMQVersion, runJava, startJava, startJavaBroker, startJavaNameServer, type JavaServer } from '../helpers/java.js';
import { waitFor } from '../helpers/wait.js';

const skip = await interopSkip();
const COUNT = 5;
const BROKER = 'broker-java';

interface SendReport {
  results: { kind: string; key: string; status: string; msgId: string; queueId: number; queueOffset: number }[];
  errors: string[];
}

interface JavaReceived {
  key: string;
  msgId: string;
  queueId: number;
  client: string;
}

/** The route of `topic` is known to the name server (the broker registers shortly after it logs boot success). */
async function waitForRoute(client: RemotingClient, namesrvAddr: string, topic: string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const response = await client.invokeSync(namesrvAddr, RemotingCommand.createRequestCommand(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic }), 3000);
    if (response.code === ResponseCode.SUCCESS) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no route of ${topic} after 30 s`);
}

for (const version of ['5.3.3', '4.9.8'] as const satisfies readonly RocketMQVersion[]) {
  describe(`our PushConsumer with the Java ${version} name server and broker`, { skip, timeout: 15 * 60_000 }, () => {
    const servers: JavaServer[] = [];
    let classpath: string;
    let namesrvAddr: string;
    let brokerAddr: string;
    let client: RemotingClient;
    let admin: Admin;

    before(async () => {
      ({ classpath } = await buildInterop(version));
      const namesrv = await startJavaNameServer({ version });
      servers.push(namesrv);
      namesrvAddr = namesrv.addr;
      const broker = await startJavaBroker({ version, namesrvAddr, brokerName: BROKER });
      servers.push(broker);
      brokerAddr = broker.addr;
      client = new RemotingClient();
      await client.start();
      admin = new Admin({ nameServer: namesrvAddr, clientIP: '127.0.0.1', clientManager: new MQClientManager() });
      await admin.start();
      await waitForRoute(client, namesrvAddr, 'TBW102');
    });

    after(async () => {
      await admin?.shutdown();
      await client?.shutdown();
      await Promise.all(servers.reverse().map((server) => server.stop()));
    });

    async function produceWithJava(args: string[]): Promise<SendReport> {
      const run = await runJava({ mainClass: 'io.rocketmqts.interop.ProducerDriver', args: ['--namesrv', namesrvAddr, ...args], classpath, timeoutMs: 120_000 });
      const line = run.stdout.split('\n').find((l) => l.startsWith('{'));
      assert.ok(line !== undefined, `producer output:\n${run.stdout}\n${run.stderr}`);
      const report = JSON.parse(line) as SendReport;
      assert.deepEqual(report.errors, []);
      return report;
    }

    it('receives everything the Java producer sent, intact', { timeout: 5 * 60_000 }, async () => {
      const topic = 'TsConsumerFromJava';
      const report = await produceWithJava(['--topic', topic, '--count', String(COUNT)]);
      const expectedKeys = ['sync', 'async', 'oneway', 'batch'].flatMap((kind) => Array.from({ length: COUNT }, (_, i) => `${kind}-${i}`)).concat('big-0');
      const got = new Map<string, ConsumerMessage>();
      let duplicates = 0;
      const consumer = new PushConsumer({ nameServer: namesrvAddr, group: 'TsFromJavaCG', clientIP: '127.0.0.1', clientManager: new MQClientManager(), consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
      consumer.subscribe(topic, '*', (msg) => {
        const key = msg.keys[0] as string;
        if (got.has(key)) duplicates++;
        got.set(key, msg);
      });
      await consumer.start();
      try {
        await waitFor(() => got.size >= expectedKeys.length, 60_000, `${expectedKeys.length} messages`);
        assert.equal(duplicates, 0);
        assert.deepEqual([...got.keys()].sort(), [...expectedKeys].sort());
        for (const [key, msg] of got) {
          const [kind, seq] = key.split('-') as [string, string];
          assert.equal(msg.topic, topic);
          assert.equal(msg.properties['kind'], kind, key);
          assert.equal(msg.properties['seq'], seq, key);
          assert.equal(msg.properties['note'], 'h\u00e9llo \u2713', key);
          assert.equal(msg.brokerName, BROKER);
          if (kind === 'big') assert.equal(msg.body.length, 8192, 'the compressed body inflated');
          else assert.equal(msg.body.toString(), `body of ${key}`);
        }
        for (const result of report.results) {
          if (result.kind === 'sync' || result.kind === 'big') {
            const msg = got.get(result.key);
            assert.equal(msg?.msgId, result.msgId, result.key);
            assert.equal(msg?.queueId, result.queueId, result.key);
            assert.equal(msg?.queueOffset, result.queueOffset, result.key);
          }
        }
      } finally {
        await consumer.shutdown();
      }
    });

    it('a Java and a TypeScript consumer in one group split the queues as two Java consumers would', { timeout: 6 * 60_000 }, async () => {
      const topic = 'TsJavaMixedGroup';
      const group = 'TsJavaMixedCG';
      // Create the topic (4 queues, from TBW102) before either consumer looks up its route.
      const producer = new Producer({ nameServer: namesrvAddr, group: 'TsMixedPG', clientIP: '127.0.0.1', clientManager: new MQClientManager() });
      await producer.start();
      try {
        for (let i = 0; i < 4; i++) await producer.send({ topic, body: `setup-${i}` });
      } finally {
        await producer.shutdown();
      }
      await waitForRoute(client, namesrvAddr, topic);

      const java = await startJava({
        mainClass: 'io.rocketmqts.interop.ConsumerDriver',
        args: ['--namesrv', namesrvAddr, '--topic', topic, '--group', group, '--expect', '1000000', '--timeout-ms', '300000'],
        classpath,
        readyLine: /^READY$/,
      });
      const ours: ConsumerMessage[] = [];
      const consumer = new PushConsumer({ nameServer: namesrvAddr, group, clientManager: new MQClientManager(), consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
      consumer.subscribe(topic, '*', (msg) => void ours.push(msg));
      try {
        await consumer.start();
        let cids: string[] = [];
        const listMembers = async (): Promise<void> => {
          const response = await client.invokeSync(brokerAddr, RemotingCommand.createRequestCommand(RequestCode.GET_CONSUMER_LIST_BY_GROUP, { consumerGroup: group }), 3000);
          cids = response.code === ResponseCode.SUCCESS ? decodeConsumerListByGroup(response.body) : [];
        };
        for (let i = 0; i < 300 && cids.length < 2; i++) {
          await listMembers();
          if (cids.length < 2) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.equal(cids.length, 2, `members: ${cids.join(', ')}`);
        const mqAll: MessageQueue[] = [0, 1, 2, 3].map((queueId) => ({ topic, brokerName: BROKER, queueId }));
        const sorted = [...cids].sort();
        const share = (cid: string): number[] => new AllocateMessageQueueAveragely().allocate(group, cid, mqAll, sorted).map((mq) => mq.queueId);
        const ourShare = share(consumer.clientId as string);
        const javaCid = cids.find((c) => c !== consumer.clientId) as string;
        const javaShare = share(javaCid);
        // The steady state: both were told of the change (NOTIFY_CONSUMER_IDS_CHANGED) and own exactly their share,
        // as each reports it through GET_CONSUMER_RUNNING_INFO.
        const owned = async (cid: string): Promise<number[]> =>
          (await admin.consumerRunningInfo(group, cid)).mqTable.filter((q) => q.mq.topic === topic).map((q) => q.mq.queueId).sort();
        let lastOwned = '';
        for (let i = 0; i < 300; i++) {
          const now = [await owned(consumer.clientId as string), await owned(javaCid)];
          lastOwned = JSON.stringify(now);
          if (lastOwned === JSON.stringify([ourShare, javaShare])) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.equal(lastOwned, JSON.stringify([ourShare, javaShare]), 'each consumer owns its share');

        const report = await produceWithJava(['--topic', topic, '--orderly-queues', '4', '--count', String(COUNT)]);
        const sent = new Map(report.results.map((r) => [r.msgId, r.queueId]));
        assert.equal(sent.size, 4 * COUNT);
        const javaLines = (): JavaReceived[] =>
          java.stdout
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .map((l) => JSON.parse(l) as JavaReceived)
            .filter((r) => sent.has(r.msgId));
        await waitFor(() => javaLines().length + ours.filter((m) => sent.has(m.msgId)).length >= sent.size, 60_000, 'every message consumed');
        await new Promise((resolve) => setTimeout(resolve, 2000));
        const oursSteady = ours.filter((m) => sent.has(m.msgId));
        const all = [...oursSteady.map((m) => m.msgId), ...javaLines().map((r) => r.msgId)];
        assert.equal(all.length, sent.size, 'no message consumed twice');
        assert.deepEqual(new Set(all), new Set(sent.keys()), 'no message lost');
        assert.deepEqual([...new Set(oursSteady.map((m) => m.queueId))].sort(), ourShare, 'ours consumed its share');
        assert.deepEqual([...new Set(javaLines().map((r) => r.queueId))].sort(), javaShare, 'Java consumed its share');
      } finally {
        await consumer.shutdown();
        await java.stop();
      }
    });
  });
}
