/**
 * Our LitePullConsumer with the real Apache RocketMQ name server and broker, 5.3.3 and 4.9.8: what our Producer
 * sent arrives intact through poll() (subscribe mode, and assign mode with seek), and a commit is what the Java
 * broker keeps — visible to our Admin and to Java's `mqadmin consumerProgress`. Skipped (loudly) without java and
 * mvn, unless CI is set.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Admin, LitePullConsumer, MQClientManager, Producer, type ConsumerMessage, type MessageQueue } from '../../src/client/index.js';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/index.js';
import { interopSkip, runMqAdmin, startJavaBroker, startJavaNameServer, type JavaServer, type RocketMQVersion } from '../helpers/java.js';

const skip = await interopSkip();
const COUNT = 12;
const BROKER = 'broker-java';

/** The broker registers (TBW102 with it) shortly after it logs "boot success"; sends before that find no route. */
async function waitForRoute(namesrvAddr: string, topic: string): Promise<void> {
  const client = new RemotingClient();
  await client.start();
  try {
    for (let attempt = 0; ; attempt++) {
      const response = await client.invokeSync(namesrvAddr, RemotingCommand.createRequestCommand(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic }), 3000);
      if (response.code === ResponseCode.SUCCESS) return;
      if (attempt === 300) throw new Error(`no route of ${topic} after 30 s: ${response.remark}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await client.shutdown();
  }
}

/** Polls until `count` messages arrived or `timeoutMillis` passed. */
async function pollCount(consumer: LitePullConsumer, count: number, timeoutMillis: number): Promise<ConsumerMessage[]> {
  const got: ConsumerMessage[] = [];
  const deadline = Date.now() + timeoutMillis;
  while (got.length < count && Date.now() < deadline) got.push(...(await consumer.poll(1000)));
  return got;
}

for (const version of ['5.3.3', '4.9.8'] as const satisfies readonly RocketMQVersion[]) {
  describe(`our LitePullConsumer with Java ${version} name server and broker`, { skip, timeout: 15 * 60_000 }, () => {
    const servers: JavaServer[] = [];
    const manager = new MQClientManager();
    let namesrvAddr: string;
    let brokerAddr: string;
    let producer: Producer;
    let admin: Admin;
    const tag = version.replaceAll('.', '_');

    before(async () => {
      const namesrv = await startJavaNameServer({ version });
      servers.push(namesrv);
      namesrvAddr = namesrv.addr;
      const broker = await startJavaBroker({ version, namesrvAddr, brokerName: BROKER });
      servers.push(broker);
      brokerAddr = broker.addr;
      await waitForRoute(namesrvAddr, 'TBW102');
      producer = new Producer({ nameServer: namesrvAddr, group: `TsLitePG_${tag}`, clientIP: '127.0.0.1', clientManager: manager });
      await producer.start();
      admin = new Admin({ nameServer: namesrvAddr, clientIP: '127.0.0.1', clientManager: manager });
      await admin.start();
    });

    after(async () => {
      await admin?.shutdown();
      await producer?.shutdown();
      await Promise.all(servers.reverse().map((server) => server.stop()));
    });

    it('subscribe: polls everything our producer sent, intact; the commit shows in consumerProgress', { timeout: 5 * 60_000 }, async () => {
      const topic = `TsLitePull_${tag}`;
      const group = `TsLitePullCG_${tag}`;
      const sent = new Map<string, { queueId: number; queueOffset: number }>();
      for (let i = 0; i < COUNT; i++) {
        const result = await producer.send({ topic, body: `lite body ${i}`, keys: `lite-${i}`, tags: i % 2 === 0 ? 'TagA' : 'TagB', properties: { seq: String(i) } });
        sent.set(result.msgId, { queueId: result.messageQueue.queueId, queueOffset: result.queueOffset });
      }
      await waitForRoute(namesrvAddr, topic);
      const consumer = new LitePullConsumer({ nameServer: namesrvAddr, group, clientIP: '127.0.0.1', clientManager: manager, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', autoCommit: false });
      consumer.subscribe(topic, 'TagA || TagB');
      await consumer.start();
      try {
        const got = await pollCount(consumer, COUNT, 60_000);
        assert.equal(got.length, COUNT);
        assert.deepEqual(new Set(got.map((m) => m.msgId)), new Set(sent.keys()));
        for (const m of got) {
          const seq = Number(m.properties['seq']);
          assert.equal(m.topic, topic);
          assert.equal(m.body.toString(), `lite body ${seq}`);
          assert.deepEqual(m.keys, [`lite-${seq}`]);
          assert.equal(m.tags, seq % 2 === 0 ? 'TagA' : 'TagB');
          assert.equal(m.brokerName, BROKER);
          assert.deepEqual({ queueId: m.queueId, queueOffset: m.queueOffset }, sent.get(m.msgId));
        }
        await consumer.commit();
        const mqs = (await consumer.fetchMessageQueues(topic)).filter((mq) => mq.brokerName === BROKER);
        const maxOffsets = new Map<number, number>();
        for (const { queueId } of sent.values()) maxOffsets.set(queueId, (maxOffsets.get(queueId) ?? 0) + 1);
        // UPDATE_CONSUMER_OFFSET is oneway: wait until the broker has it.
        const deadline = Date.now() + 10_000;
        const committedAll = async (): Promise<boolean> => {
          for (const mq of mqs) if ((await admin.queryConsumerOffset(brokerAddr, group, mq)) !== (maxOffsets.get(mq.queueId) ?? 0)) return false;
          return true;
        };
        while (!(await committedAll())) {
          assert.ok(Date.now() < deadline, 'the committed offsets reach the Java broker');
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const progress = await runMqAdmin(['consumerProgress', '-n', namesrvAddr, '-g', group], { version, timeoutMs: 90_000 });
        const out = `${progress.stdout}\n${progress.stderr}`;
        assert.equal(progress.code, 0, out);
        const rows = out.split('\n').filter((l) => new RegExp(`^${topic}\\s+${BROKER}\\s+\\d`).test(l.trim()));
        assert.ok(rows.length > 0, out);
        for (const row of rows) {
          const [, , queueId, brokerOffset, consumerOffset] = row.trim().split(/\s+/);
          assert.equal(Number(consumerOffset), Number(brokerOffset), row);
          assert.equal(Number(consumerOffset), maxOffsets.get(Number(queueId)) ?? 0, row);
        }
        assert.match(out, /Diff Total: 0/);
      } finally {
        await consumer.shutdown();
      }
    });

    it('assign + seek: reads one queue from where it is told', { timeout: 5 * 60_000 }, async () => {
      const topic = `TsLiteAssign_${tag}`;
      await producer.send({ topic, body: 'create' });
      await waitForRoute(namesrvAddr, topic);
      const mq: MessageQueue = { topic, brokerName: BROKER, queueId: 1 };
      const offsets: number[] = [];
      for (let i = 0; i < 4; i++) offsets.push((await producer.send({ topic, body: `q${i}` }, { messageQueue: mq })).queueOffset);
      const consumer = new LitePullConsumer({ nameServer: namesrvAddr, group: `TsLiteAssignCG_${tag}`, clientIP: '127.0.0.1', clientManager: manager, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
      consumer.assign([mq]);
      await consumer.start();
      try {
        // The topic's first message ('create') may have gone to this queue too.
        const first = await pollCount(consumer, offsets[3]! + 1, 60_000);
        assert.deepEqual(first.map((m) => m.body.toString()).filter((b) => b !== 'create'), ['q0', 'q1', 'q2', 'q3']);
        await consumer.seek(mq, offsets[2]!);
        assert.deepEqual((await pollCount(consumer, 2, 60_000)).map((m) => m.body.toString()), ['q2', 'q3']);
        await assert.rejects(consumer.seek(mq, offsets[3]! + 2), /Seek offset illegal/);
      } finally {
        await consumer.shutdown();
      }
    });
  });
}
