/**
 * Request-reply across implementations (issue 15), shared/reference/rocketmq-features-5x.md §3.2.
 *
 * On our broker (in this process, with our name server): Java 4.9.8 `request(msg, timeout)` answered by a Java 5.3.3
 * replier and Java 5.3.3 `request(msg, RequestCallback, timeout)` answered by a Java 4.9.8 replier (RequestDriver,
 * ReplierDriver: a push consumer, MessageUtil.createReplyMessage and send). Expected: the reply body round-trips in
 * under a second, CORRELATION_ID matches, the replier's send is SEND_OK, the reply is stored in
 * DefaultCluster_REPLY_TOPIC, and a request nobody answers fails with RequestTimeoutException 10006 after about its
 * timeout (the sync form's latch; the callback form's scan, every second, adds up to 1 s). Also our Producer.request
 * with the Java replier, and a reply to an unknown client failing at the Java replier with SYSTEM_ERROR.
 *
 * On the Java 5.3.3 broker (the one JVM broker of this file, with our name server): our Producer.request with a Java
 * replier (the same reply properties as our broker pushes), the stored reply read back, the timeout; and our
 * replier answering a Java 5.3.3 callback requester. The 5.3.3 sync form is not used: it is broken in 5.3.1-5.3.3
 * (it fails as soon as the request is stored). Skipped (loudly) without java and mvn, unless CI.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import {
  MQClientManager,
  Producer,
  PushConsumer,
  RequestCode,
  RequestTimeoutError,
  createReplyMessage,
  type ReplyMessage,
} from '../../src/index.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { buildInterop, interopSkip, runJava, startJava, startJavaBroker, type JavaProcess, type JavaServer, type RocketMQVersion } from '../helpers/java.js';
import { waitFor } from '../helpers/wait.js';
import { waitForTopicRoute, withAdmin } from '../helpers/route.js';

const skip = await interopSkip();
const REPLY_TOPIC = 'DefaultCluster_REPLY_TOPIC';
const REQUESTS = 3;
/** What a request nobody answers waits (Java's and ours). */
const SILENT_TIMEOUT = 3000;

interface RequestLine {
  event: 'reply' | 'error';
  mode: 'sync' | 'callback';
  i: number;
  topic: string;
  timeoutMs: number;
  elapsedMs: number;
  correlationId: string;
  replyTopic?: string;
  body?: string;
  properties?: Record<string, string>;
  class?: string;
  message?: string;
  responseCode?: number;
  errorMessage?: string;
  nullCallbacks: number;
}

interface ReplierLine {
  event: 'replied' | 'reply-failed';
  key: string | null;
  body: string;
  correlationId: string | null;
  replyTo: string | null;
  ttl: string | null;
  cluster: string | null;
  sendStatus?: string;
  class?: string;
  responseCode?: number;
  errorMessage?: string;
  'cause.class'?: string;
  'cause.responseCode'?: number;
  'cause.errorMessage'?: string;
}

/**
 * How soon a reply must come: under a second (§3.2), except for the first request of a requester, which also
 * fetches the route and heartbeats, and meets a replier JVM that has not run its path yet (200-600 ms seen).
 */
const withinMs = (i: number): number => (i === 0 ? 3000 : 1000);

const jsonLines = <T>(stdout: string): T[] =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as T);

/** Creates the topics on the broker and waits until the name server routes them. */
async function createTopics(namesrvAddr: string, brokerAddr: string, topics: readonly string[]): Promise<void> {
  await withAdmin(namesrvAddr, async (admin) => {
    for (const topic of topics) {
      await admin.createTopic({ brokerAddr }, topic);
      await waitForTopicRoute(admin, topic);
    }
  });
}

async function startReplier(version: RocketMQVersion, namesrvAddr: string, topic: string): Promise<JavaProcess> {
  const { classpath } = await buildInterop(version);
  return startJava({
    mainClass: 'io.rocketmqts.interop.ReplierDriver',
    args: ['--namesrv', namesrvAddr, '--topic', topic, '--group', `${topic}_Replier`, '--instance', `replier-${version}`],
    classpath,
    readyLine: /^READY$/,
    name: `replier-${version}`,
  });
}

/** Runs a Java requester: REQUESTS requests to `topic`, then one to `silentTopic`. */
async function runRequester(version: RocketMQVersion, mode: 'sync' | 'callback', namesrvAddr: string, topic: string, silentTopic?: string): Promise<RequestLine[]> {
  const { classpath } = await buildInterop(version);
  const silent = silentTopic === undefined ? [] : ['--silent-topic', silentTopic, '--silent-timeout-ms', String(SILENT_TIMEOUT)];
  const run = await runJava({
    mainClass: 'io.rocketmqts.interop.RequestDriver',
    args: ['--namesrv', namesrvAddr, '--topic', topic, '--mode', mode, '--count', String(REQUESTS), '--timeout-ms', '5000', '--group', `Requester_${version.replace(/\./g, '')}`, '--instance', `requester-${version}`, ...silent],
    classpath,
    timeoutMs: 90_000,
    name: `requester-${version}`,
  });
  assert.equal(run.code, 0, `RequestDriver ${version}:\n${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /^DONE$/m, run.stdout);
  return jsonLines<RequestLine>(run.stdout);
}

/**
 * The Java replier's line for a request. It prints once its send returned, which is after the broker pushed the
 * reply (the push is synchronous), so possibly after the requester has it.
 */
async function replierLine(replier: JavaProcess, correlationId: string): Promise<ReplierLine> {
  const find = (): ReplierLine | undefined => jsonLines<ReplierLine>(replier.stdout).find((l) => l.correlationId === correlationId);
  await waitFor(() => find() !== undefined, 10_000, `the replier's line for ${correlationId}`);
  return find() as ReplierLine;
}

/** The §3.2 expectations of a Java requester's answered requests; their correlation ids. */
async function checkReplies(t: TestContext, label: string, lines: readonly RequestLine[], topic: string, replier: JavaProcess): Promise<string[]> {
  const replies = lines.filter((l) => l.topic === topic);
  assert.equal(replies.length, REQUESTS, JSON.stringify(lines));
  for (const line of replies) {
    assert.equal(line.event, 'reply', JSON.stringify(line));
    assert.equal(line.body, `pong:req-${line.i}`);
    assert.equal(line.replyTopic, REPLY_TOPIC);
    assert.equal(line.properties?.['CORRELATION_ID'], line.correlationId, 'CORRELATION_ID matches');
    assert.equal(line.properties?.['MSG_TYPE'], 'reply');
    assert.ok(line.properties?.['PUSH_REPLY_TIME'] !== undefined && line.properties['ARRIVE_TIME'] !== undefined, JSON.stringify(line.properties));
    assert.ok(line.elapsedMs < withinMs(line.i), `${label} request ${line.i}: ${line.elapsedMs} ms`);
    const request = await replierLine(replier, line.correlationId);
    assert.equal(request.event, 'replied', JSON.stringify(request));
    assert.equal(request.sendStatus, 'SEND_OK');
    assert.equal(request.body, `req-${line.i}`);
    assert.equal(request.ttl, '5000');
    assert.equal(request.cluster, 'DefaultCluster');
    assert.equal(request.replyTo, line.properties?.['REPLY_TO_CLIENT']);
  }
  t.diagnostic(`${label}: round trips ${replies.map((l) => l.elapsedMs).join(', ')} ms; onSuccess(null) calls ${replies.map((l) => l.nullCallbacks).join(', ')}`);
  return replies.map((l) => l.correlationId);
}

/** A request nobody answers: RequestTimeoutException 10006 after about its timeout. */
function checkSilent(t: TestContext, label: string, lines: readonly RequestLine[], topic: string, expectedMessage: string, maxLate: number): void {
  const line = lines.find((l) => l.topic === topic);
  assert.ok(line !== undefined, JSON.stringify(lines));
  assert.equal(line.event, 'error', JSON.stringify(line));
  assert.equal(line.class, 'RequestTimeoutException');
  assert.equal(line.responseCode, 10006);
  assert.equal(line.errorMessage, expectedMessage);
  assert.ok(line.elapsedMs >= SILENT_TIMEOUT - 50 && line.elapsedMs <= SILENT_TIMEOUT + maxLate, `${label}: timed out after ${line.elapsedMs} ms`);
  t.diagnostic(`${label}: no replier, RequestTimeoutException ${line.responseCode} after ${line.elapsedMs} ms ("${line.errorMessage}")`);
}

/** The property names of a reply our Producer.request received from a Java 5.3.3 replier on our broker. */
let ourBrokerReplyProperties: string[] | undefined;

describe('request-reply: Java requesters and repliers on our broker', { skip, timeout: 5 * 60_000 }, () => {
  const TOPIC_A = 'RequestJavaA'; // answered by the 5.3.3 replier
  const TOPIC_B = 'RequestJavaB'; // answered by the 4.9.8 replier
  const SILENT = 'RequestJavaSilent';
  let dir: string;
  let namesrv: NamesrvController;
  let namesrvAddr: string;
  let broker: BrokerController;
  let replier533: JavaProcess;
  let replier498: JavaProcess;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-request-java-'));
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    broker = await startTestBroker(dir, namesrvAddr);
    await createTopics(namesrvAddr, broker.brokerAddr, [TOPIC_A, TOPIC_B, SILENT]);
    await Promise.all([buildInterop('5.3.3'), buildInterop('4.9.8')]);
    [replier533, replier498] = await Promise.all([startReplier('5.3.3', namesrvAddr, TOPIC_A), startReplier('4.9.8', namesrvAddr, TOPIC_B)]);
  });
  after(async () => {
    await Promise.all([replier533?.stop(), replier498?.stop()]);
    await broker?.shutdown();
    await namesrv?.shutdown();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const storedReplies = (): Map<string, number> => {
    const counts = new Map<string, number>();
    for (const unit of broker.messageStore.iterateConsumeQueue(REPLY_TOPIC, 0, 0, 10_000)) {
      const id = broker.messageStore.lookMessageByOffset(unit.pos)?.getProperty('CORRELATION_ID');
      if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  };

  it('Java 4.9.8 request(msg, timeout) and 5.3.3 request(msg, RequestCallback, timeout): replies, the reply topic, 10006 without a replier', async (t) => {
    const [sync498, callback533] = await Promise.all([
      runRequester('4.9.8', 'sync', namesrvAddr, TOPIC_A, SILENT),
      runRequester('5.3.3', 'callback', namesrvAddr, TOPIC_B, SILENT),
    ]);
    const ids = [
      ...(await checkReplies(t, '4.9.8 sync (5.3.3 replier)', sync498, TOPIC_A, replier533)),
      ...(await checkReplies(t, '5.3.3 callback (4.9.8 replier)', callback533, TOPIC_B, replier498)),
    ];
    // The callback form calls onSuccess(null) once the request is stored (executeRequestCallback in the send
    // callback, 4.9.8 and 5.3.3 alike), then onSuccess(reply): a Java quirk, not the broker's.
    for (const line of callback533) assert.equal(line.nullCallbacks, 1, JSON.stringify(line));
    const stored = storedReplies();
    for (const id of ids) assert.equal(stored.get(id), 1, `reply ${id} stored once in ${REPLY_TOPIC}`);
    checkSilent(t, '4.9.8 sync', sync498, SILENT, `send request message to <${SILENT}> OK, but wait reply message timeout, ${SILENT_TIMEOUT} ms.`, 600);
    // RequestFutureHolder's scan: every second, the first 3 s after the producer started.
    checkSilent(t, '5.3.3 callback', callback533, SILENT, 'request timeout, no reply message.', 1600);
  });

  it('our Producer.request answered by the Java 5.3.3 replier; a reply to an unknown client fails at the Java replier with SYSTEM_ERROR', async (t) => {
    const manager = new MQClientManager();
    const producer = new Producer({ nameServer: namesrvAddr, group: 'TsRequesterOnOurs', clientIP: '127.0.0.1', clientManager: manager });
    await producer.start();
    try {
      const latencies: number[] = [];
      let reply: ReplyMessage | undefined;
      for (let i = 0; i < REQUESTS; i++) {
        const begin = Date.now();
        reply = await producer.request({ topic: TOPIC_A, body: `ts-${i}` }, 5000);
        const correlationId = reply.correlationId;
        latencies.push(Date.now() - begin);
        assert.equal(reply.body.toString(), `pong:ts-${i}`);
        const answered = await replierLine(replier533, correlationId);
        assert.equal(answered.event, 'replied');
        assert.equal(answered.replyTo, producer.clientId);
        assert.equal(answered.ttl, '5000');
      }
      t.diagnostic(`our requester, Java 5.3.3 replier, our broker: round trips ${latencies.join(', ')} ms`);
      latencies.forEach((ms, i) => assert.ok(ms < withinMs(i), `request ${i}: ${ms} ms`));
      ourBrokerReplyProperties = Object.keys(reply?.properties ?? {}).sort();
      t.diagnostic(`reply properties: ${ourBrokerReplyProperties.join(', ')}`);

      await producer.send({
        topic: TOPIC_A,
        body: 'stranger',
        keys: 'stranger',
        properties: { REPLY_TO_CLIENT: '127.0.0.1@nobody', CORRELATION_ID: 'c-stranger', TTL: '3000' },
      });
      await waitFor(() => jsonLines<ReplierLine>(replier533.stdout).some((l) => l.key === 'stranger'), 10_000, 'the Java replier to answer the stranger');
      const failed = jsonLines<ReplierLine>(replier533.stdout).find((l) => l.key === 'stranger');
      assert.equal(failed?.event, 'reply-failed', JSON.stringify(failed));
      // Java's producer retries SYSTEM_ERROR twice and reports the broker's code on its MQClientException.
      assert.equal(failed.class, 'MQClientException');
      assert.equal(failed.responseCode, 1);
      assert.equal(failed['cause.class'], 'MQBrokerException');
      assert.equal(failed['cause.responseCode'], 1);
      assert.equal(failed['cause.errorMessage'], 'push reply message fail, channel of <127.0.0.1@nobody> not found.');
      assert.equal(storedReplies().get('c-stranger'), 3, 'each of the three attempts stored');
    } finally {
      await producer.shutdown();
    }
  });
});

describe('request-reply: our requester and replier with the Java 5.3.3 broker', { skip, timeout: 5 * 60_000 }, () => {
  const TOPIC_J = 'RequestOnJavaJ'; // answered by the Java 5.3.3 replier
  const TOPIC_TS = 'RequestOnJavaTs'; // answered by our replier
  const SILENT = 'RequestOnJavaSilent';
  let dir: string;
  let namesrv: NamesrvController;
  let namesrvAddr: string;
  let broker: JavaServer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-request-javabroker-'));
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    broker = await startJavaBroker({ namesrvAddr, brokerName: 'broker-java' });
    await createTopics(namesrvAddr, broker.addr, [TOPIC_J, TOPIC_TS, SILENT]);
  });
  after(async () => {
    await broker?.stop();
    await namesrv?.shutdown();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('our Producer.request answered by a Java 5.3.3 replier: the reply, the stored copy, 10006 without a replier', async (t) => {
    const replier = await startReplier('5.3.3', namesrvAddr, TOPIC_J);
    const producer = new Producer({ nameServer: namesrvAddr, group: 'TsRequesterOnJava', clientIP: '127.0.0.1', clientManager: new MQClientManager() });
    await producer.start();
    try {
      // The Java replier takes its queues at its first rebalance, which under CI load came after a 5 s request's
      // TTL once: one request first, not measured, with time for that.
      assert.equal((await producer.request({ topic: TOPIC_J, body: 'warm-up', keys: 'warm-up' }, 30_000)).body.toString(), 'pong:warm-up');
      const replies: ReplyMessage[] = [];
      const latencies: number[] = [];
      for (let i = 0; i < REQUESTS; i++) {
        const begin = Date.now();
        const reply = await producer.request({ topic: TOPIC_J, body: `ts-${i}`, keys: `ts-${i}` }, 5000);
        latencies.push(Date.now() - begin);
        replies.push(reply);
        assert.equal(reply.body.toString(), `pong:ts-${i}`);
        assert.equal(reply.topic, REPLY_TOPIC);
        assert.equal(reply.properties['CORRELATION_ID'], reply.correlationId);
        assert.equal(reply.properties['REPLY_TO_CLIENT'], producer.clientId);
        assert.equal(reply.properties['TTL'], '5000');
        assert.equal(reply.storeHost, broker.addr);
        const answered = await replierLine(replier, reply.correlationId);
        assert.equal(answered.event, 'replied', replier.stdout);
        assert.equal(answered.sendStatus, 'SEND_OK');
        assert.equal(answered.cluster, 'DefaultCluster');
      }
      t.diagnostic(`our requester, Java 5.3.3 replier, Java 5.3.3 broker: round trips ${latencies.join(', ')} ms`);
      latencies.forEach((ms, i) => assert.ok(ms < withinMs(i), `request ${i}: ${ms} ms`));
      const names = Object.keys(replies[0]?.properties ?? {}).sort();
      t.diagnostic(`reply properties: ${names.join(', ')}`);
      for (const name of ['ARRIVE_TIME', 'CORRELATION_ID', 'MSG_REGION', 'MSG_TYPE', 'PUSH_REPLY_TIME', 'REPLY_TO_CLIENT', 'TRACE_ON', 'TTL', 'UNIQ_KEY']) {
        assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
      }
      if (ourBrokerReplyProperties !== undefined) assert.deepEqual(names, ourBrokerReplyProperties, 'our broker pushes the same properties');

      // storeReplyMessageEnable (default true): each reply is also in the reply topic.
      await withAdmin(namesrvAddr, async (admin) => {
        const wanted = new Set(replies.map((r) => r.correlationId));
        const mq = { topic: REPLY_TOPIC, brokerName: 'broker-java', queueId: 0 };
        const deadline = Date.now() + 10_000;
        let offset = 0;
        while (wanted.size > 0 && Date.now() < deadline) {
          const pulled = await admin.pullMessage(broker.addr, 'ReplyTopicReader', mq, offset, 32);
          for (const msg of pulled.messages) {
            const id = msg.getProperty('CORRELATION_ID');
            if (id !== undefined && wanted.delete(id)) assert.equal(msg.body.toString(), replies.find((r) => r.correlationId === id)?.body.toString());
          }
          offset = pulled.nextBeginOffset;
          if (pulled.messages.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.equal(wanted.size, 0, `replies missing from ${REPLY_TOPIC}: ${[...wanted].join(', ')}`);
      });

      const begin = Date.now();
      await assert.rejects(producer.request({ topic: SILENT, body: 'anyone?' }, SILENT_TIMEOUT), (error: unknown) => {
        assert.ok(error instanceof RequestTimeoutError);
        assert.equal(error.responseCode, 10006);
        return true;
      });
      const after = Date.now() - begin;
      t.diagnostic(`no replier: RequestTimeoutError after ${after} ms`);
      assert.ok(after >= SILENT_TIMEOUT - 5 && after < SILENT_TIMEOUT + 300, `after ${after} ms`);
    } finally {
      await producer.shutdown();
      await replier.stop();
    }
  });

  it('our PushConsumer replier answers a Java 5.3.3 callback requester (SEND_REPLY_MESSAGE_V2 to the Java broker)', async (t) => {
    const manager = new MQClientManager();
    const replyProducer = new Producer({ nameServer: namesrvAddr, group: 'TsReplierPG', clientIP: '127.0.0.1', clientManager: manager });
    const codes: number[] = [];
    replyProducer.on(Producer.events.REQUEST, ({ payload }) => {
      if (payload.code === RequestCode.SEND_REPLY_MESSAGE_V2) codes.push(payload.responseCode);
    });
    const consumer = new PushConsumer({ nameServer: namesrvAddr, group: 'TsReplierCG', clientIP: '127.0.0.1', clientManager: manager, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    let owned = 0;
    consumer.on(PushConsumer.events.REBALANCE, ({ payload }) => void (owned = payload.queues.length));
    consumer.subscribe(TOPIC_TS, '*', async (msg) => {
      await replyProducer.send(createReplyMessage(msg, `pong:${msg.body.toString()}`));
    });
    await replyProducer.start();
    await consumer.start();
    try {
      await waitFor(() => owned > 0, 30_000, 'our replier to own the queues');
      const lines = await runRequester('5.3.3', 'callback', namesrvAddr, TOPIC_TS);
      const replies = lines.filter((l) => l.event === 'reply');
      assert.equal(replies.length, REQUESTS, JSON.stringify(lines));
      for (const line of replies) {
        assert.equal(line.body, `pong:req-${line.i}`);
        assert.equal(line.properties?.['CORRELATION_ID'], line.correlationId);
        assert.equal(line.replyTopic, REPLY_TOPIC);
        assert.ok(line.elapsedMs < withinMs(line.i), `request ${line.i}: ${line.elapsedMs} ms`);
      }
      assert.deepEqual(codes, Array(REQUESTS).fill(0), 'each reply went as 325 and the Java broker answered SUCCESS');
      t.diagnostic(`Java 5.3.3 callback requester, our replier, Java broker: round trips ${replies.map((l) => l.elapsedMs).join(', ')} ms`);
    } finally {
      await consumer.shutdown();
      await replyProducer.shutdown();
    }
  });
});
