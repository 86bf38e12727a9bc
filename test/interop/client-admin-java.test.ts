/**
 * Our Admin against the real Apache RocketMQ 5.3.3 name server and broker: cluster info, topic create, list, route
 * and stats, and a message found by its offset msgId, by its UNIQ_KEY and by key, all decoded from what the Java
 * servers answer. Skipped (loudly) without java and mvn, unless CI is set.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin, MQClientManager, PushConsumer, Producer, TransactionProducer, TransactionState, type SendResult } from '../../src/client/index.js';
import { pendingTimerMessages, pendingTransactions } from '../../src/client/admin/pending-views.js';
import { MQBrokerError } from '../../src/common/errors.js';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode, parseLenientJson } from '../../src/index.js';
import { buildInterop, freePort, interopSkip, runJava, startJava, startJavaBroker, startJavaNameServer, type JavaProcess, type JavaServer } from '../helpers/java.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { pollFor, waitFor } from '../helpers/wait.js';

const skip = await interopSkip();

describe('our Admin with Java 5.3.3 name server and broker', { skip, timeout: 10 * 60_000 }, () => {
  const servers: JavaServer[] = [];
  const manager = new MQClientManager();
  let admin: Admin;
  let brokerAddr: string;
  let namesrvAddr: string;
  const topic = 'TsAdminTopic';
  /** The Java broker serves its metrics here (metricsExporterType=PROM): the families ours must match. */
  let javaMetricsPort: number;

  before(async () => {
    const namesrv = await startJavaNameServer();
    servers.push(namesrv);
    namesrvAddr = namesrv.addr;
    javaMetricsPort = await freePort();
    const broker = await startJavaBroker({
      namesrvAddr: namesrv.addr,
      brokerName: 'broker-java',
      clusterName: 'JavaCluster',
      config: { metricsExporterType: 'PROM', metricsPromExporterHost: '127.0.0.1', metricsPromExporterPort: javaMetricsPort },
    });
    servers.push(broker);
    brokerAddr = broker.addr;
    admin = new Admin({ nameServer: namesrv.addr, clientIP: '127.0.0.1', clientManager: manager });
    await admin.start();
    // The broker registers shortly after it logs "boot success".
    for (let attempt = 0; admin.masters(await admin.clusterInfo(), 'JavaCluster').length === 0; attempt++) {
      if (attempt === 300) throw new Error('the Java broker did not register within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
  after(async () => {
    await admin?.shutdown();
    for (const server of servers.reverse()) await server.stop();
  });

  it('clusterInfo lists the Java broker as master of its cluster', async () => {
    const info = await admin.clusterInfo();
    assert.deepEqual(info.clusterAddrTable.get('JavaCluster'), ['broker-java']);
    assert.deepEqual(admin.masters(info, 'JavaCluster'), [brokerAddr]);
  });

  it('createTopic on the cluster; topicList, topicRoute and topicStats read it back', async () => {
    assert.deepEqual(await admin.createTopic({ cluster: 'JavaCluster' }, topic, { readQueueNums: 3, writeQueueNums: 3 }), [brokerAddr]);
    // The broker registers the new topic with the name server on its own schedule (at once in 5.x, asynchronously).
    for (let attempt = 0; !(await admin.topicList()).includes(topic); attempt++) {
      if (attempt === 100) throw new Error(`${topic} never reached the name server`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const route = await admin.topicRoute(topic);
    assert.deepEqual(route.queueDatas.map((q) => [q.brokerName, q.readQueueNums, q.writeQueueNums, q.perm]), [['broker-java', 3, 3, 6]]);
    const stats = await admin.topicStats(topic);
    assert.deepEqual(stats.map((s) => [s.mq.queueId, s.minOffset, s.maxOffset]), [[0, 0, 0], [1, 0, 0], [2, 0, 0]]);
  });

  it('a sent message by offset msgId, by UNIQ_KEY and by key', async () => {
    const producer = new Producer({ nameServer: namesrvAddr, group: 'TsAdminPG', clientIP: '127.0.0.1', clientManager: manager });
    await producer.start();
    let sent: SendResult;
    try {
      sent = await producer.send({ topic, body: 'admin interop', tags: 'TagA', keys: ['admin-key'] });
    } finally {
      await producer.shutdown();
    }
    const byOffset = await admin.viewMessage(sent.offsetMsgId);
    assert.deepEqual([byOffset.body.toString(), byOffset.uniqKey, byOffset.tags], ['admin interop', sent.msgId, 'TagA']);
    // The index is built by the broker's dispatcher shortly after the write.
    let byKey: Awaited<ReturnType<Admin['queryMessage']>> = [];
    for (let attempt = 0; byKey.length === 0; attempt++) {
      try {
        byKey = await admin.queryMessage(topic, 'admin-key');
      } catch (err) {
        if (attempt === 50) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    assert.deepEqual(byKey.map((m) => m.uniqKey), [sent.msgId]);
    const byUniq = await admin.viewMessage(sent.msgId, topic);
    assert.equal(byUniq.msgId, sent.offsetMsgId);
    const stats = await admin.topicStats(topic);
    assert.equal(stats.reduce((n, s) => n + s.maxOffset, 0), 1);
  });

  it("answers the dashboard's and the exporter's admin calls (28, 305, 315, 328) as the Java broker does", async () => {
    // One driver (Java 5.3.3's DefaultMQAdminExt) runs the calls against the Java broker and against ours, each with a
    // live producer and a consumer group that has pulled, so that every answer has something to show.
    const dir = await mkdtemp(join(tmpdir(), 'rmqts-ops-admin-'));
    const ours = await startTestNamesrv(dir);
    const oursBroker = await startTestBroker(dir, ours.namesrvAddr, { broker: { metricsExporterType: 'PROM', metricsPromExporterPort: 0 } });
    /** Each broker's /metrics, scraped while the scenario's producer and consumer are still online. */
    const scraped = new Map<string, string>();
    const oursAddr = `127.0.0.1:${oursBroker.port}`;
    try {
      const runFor = async (nameServer: string, broker: string, metricsUrl: string): Promise<Map<string, Record<string, unknown>[]>> => {
        const opsTopic = 'TsOpsTopic';
        const producer = new Producer({ nameServer, group: 'TsOpsPG', clientIP: '127.0.0.1', clientManager: manager });
        const consumer = new PushConsumer({ nameServer, group: 'TsOpsCG', clientIP: '127.0.0.1', clientManager: manager, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
        await producer.start();
        try {
          for (let i = 0; i < 5; i++) await producer.send({ topic: opsTopic, body: `ops ${i}` });
          let consumed = 0;
          consumer.subscribe(opsTopic, '*', () => {
            consumed++;
            return 'CONSUME_SUCCESS';
          });
          await consumer.start();
          await waitFor(() => consumed >= 5, 30_000, 'the consumer to get the 5 messages');
          const { classpath } = await buildInterop('5.3.3');
          // The brokers sample their counters every 10 s (Java's StatsItem), so the minute window shows the puts and
          // gets only after the next sample: the driver runs again until it does (bounded).
          for (let attempt = 1; ; attempt++) {
            const { code, stdout, stderr } = await runJava({
              mainClass: 'io.rocketmqts.interop.OpsAdminDriver',
              classpath,
              args: ['--namesrv', nameServer, '--broker', broker, '--topic', opsTopic, '--group', 'TsOpsCG'],
              timeoutMs: 60_000,
            });
            assert.equal(code, 0, stderr);
            assert.match(stdout, /DONE/);
            const calls = new Map<string, Record<string, unknown>[]>();
            for (const line of stdout.split('\n').filter((l) => l.startsWith('{'))) {
              const parsed = JSON.parse(line) as Record<string, unknown>;
              const call = parsed.call as string;
              calls.set(call, [...(calls.get(call) ?? []), parsed]);
            }
            const sampled = (calls.get('stats') ?? []).slice(0, 2).every((line) => Number(line.minuteSum) >= 5);
            if (sampled || attempt === 6) {
              scraped.set(broker, await (await fetch(metricsUrl)).text());
              return calls;
            }
            await new Promise((resolve) => setTimeout(resolve, 3000));
          }
        } finally {
          await consumer.shutdown();
          await producer.shutdown();
        }
      };
      // The Java broker had a topic created by UPDATE_AND_CREATE_TOPIC (rocketmq_topic_create_execution_time): ours too.
      const oursAdmin = new Admin({ nameServer: ours.namesrvAddr, clientIP: '127.0.0.1', clientManager: manager });
      await oursAdmin.start();
      try {
        await oursAdmin.createTopic({ brokerAddr: oursAddr }, 'TsOpsCreatedTopic', { readQueueNums: 1, writeQueueNums: 1 });
      } finally {
        await oursAdmin.shutdown();
      }
      const java = await runFor(namesrvAddr, brokerAddr, `http://127.0.0.1:${javaMetricsPort}/metrics`);
      const ts = await runFor(ours.namesrvAddr, oursAddr, `http://127.0.0.1:${oursBroker.metricsPort ?? 0}/metrics`);
      // Prometheus families: every family the Java broker served after the same traffic is served by ours under the
      // same name and with the same label names, but for those docs/COMPATIBILITY.md lists as not yet served.
      const javaFamilies = familyLabels(scraped.get(brokerAddr) ?? '');
      const ourFamilies = familyLabels(scraped.get(oursAddr) ?? '');
      const notYet = new Set(['rocketmq_half_messages', 'rocketmq_pop_buffer_scan_time_consume_milliseconds']);
      const unmatched: string[] = [];
      for (const [name, labels] of javaFamilies) {
        if (name === 'target_info' || name === 'otel_scope_info' || notYet.has(name)) continue;
        const oursLabels = ourFamilies.get(name);
        if (oursLabels === undefined) unmatched.push(`${name} not served`);
        else if (oursLabels.join(',') !== labels.join(',')) unmatched.push(`${name} labels ${oursLabels.join(',')} != Java's ${labels.join(',')}`);
      }
      assert.deepEqual(unmatched, [], `Java 5.3.3 served: ${[...javaFamilies.keys()].join(' ')}`);
      assert.ok(javaFamilies.has('rocketmq_rpc_latency_milliseconds') && javaFamilies.has('rocketmq_messages_in_total'), [...javaFamilies.keys()].join(' '));
      // 28: every key the Java broker serves (the exporter parses them all), with today's totals counted.
      // commitLogDiskRatio_<commit log dir> names each broker's own directory.
      const keys = (calls: Map<string, Record<string, unknown>[]>): string[] =>
        (calls.get('runtime')?.[0]?.keys as string[]).map((k) => k.replace(/^commitLogDiskRatio_\/.*$/, 'commitLogDiskRatio_<dir>'));
      const missing = keys(java).filter((k) => !keys(ts).includes(k));
      assert.deepEqual(missing, [], 'runtime keys the Java broker serves and ours does not');
      for (const calls of [java, ts]) {
        const runtime = calls.get('runtime')?.[0] as Record<string, string>;
        assert.match(runtime.commitLogDirCapacity as string, /^Total : .+, Free : .+\.$/);
        assert.ok(Number(runtime.msgPutTotalTodayNow) >= 5, `msgPutTotalTodayNow ${runtime.msgPutTotalTodayNow}`);
        assert.ok(Number(runtime.msgGetTotalTodayNow) >= 5, `msgGetTotalTodayNow ${runtime.msgGetTotalTodayNow}`);
        // 305: the system topics, the dashboard's Topic page filter.
        const system = calls.get('systemTopics')?.[0]?.topics as string[];
        assert.ok(system.includes('SCHEDULE_TOPIC_XXXX') && system.includes('TBW102'), JSON.stringify(system));
        // 315: the minute window has the 5 puts and the 5 gets; an unknown key is an error on both.
        const [put, get, unknown] = calls.get('stats') as Record<string, unknown>[];
        assert.equal(put?.minuteSum, 5);
        assert.equal(get?.minuteSum, 5);
        assert.equal(typeof unknown?.error, 'string');
        // 328: the live producer, by group.
        const groups = calls.get('producers')?.[0]?.groups as Record<string, { clientId: string; remoteIP: string; language: string }[]>;
        const members = groups.TsOpsPG ?? [];
        assert.equal(members.length, 1, JSON.stringify(groups));
        assert.match(members[0]?.remoteIP ?? '', /^\/127\.0\.0\.1:\d+$/);
      }
    } finally {
      await oursBroker.shutdown();
      await ours.namesrv.shutdown();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("the console's pending transactions and timer messages read from the Java broker's system topics", async () => {
    const tx = new TransactionProducer({ nameServer: namesrvAddr, group: 'TsPendingTxPG', clientIP: '127.0.0.1', clientManager: manager, checkLocalTransaction: () => TransactionState.UNKNOWN });
    const producer = new Producer({ nameServer: namesrvAddr, group: 'TsPendingPG', clientIP: '127.0.0.1', clientManager: manager });
    await tx.start();
    await producer.start();
    try {
      const half = await tx.sendMessageInTransaction({ topic: 'TsPendingTxTopic', body: 'undecided', keys: 'tx-key' }, () => TransactionState.UNKNOWN);
      const ended = await tx.sendMessageInTransaction({ topic: 'TsPendingTxTopic', body: 'decided', keys: 'tx-done' }, () => TransactionState.COMMIT);
      const dueAt = Date.now() + 3_600_000;
      const timer = await producer.send({ topic: 'TsPendingTimerTopic', body: 'in an hour', keys: 'timer-key', deliverTimeMs: dueAt });
      // The committed one's op record is written in a batch (transactionOpBatchInterval): wait until only one is left.
      const transactions = await pollFor(() => pendingTransactions(admin), (p) => p.total === 1, { timeoutMillis: 10_000, intervalMillis: 200, what: 'one pending transaction' });
      assert.deepEqual(transactions.problems, []);
      const [pending] = transactions.entries;
      assert.deepEqual([pending?.msgId, pending?.topic, pending?.producerGroup, pending?.keys, pending?.brokerName], [half.msgId, 'TsPendingTxTopic', 'TsPendingTxPG', ['tx-key'], 'broker-java']);
      assert.notEqual(pending?.msgId, ended.msgId);
      const timers = await pendingTimerMessages(admin);
      assert.deepEqual(timers.problems, []);
      const found = timers.entries.find((t) => t.msgId === timer.msgId);
      assert.deepEqual([found?.topic, found?.keys, timers.total], ['TsPendingTimerTopic', ['timer-key'], 1]);
      assert.ok(found !== undefined && found.deliverTimestamp <= dueAt && found.deliverTimestamp > dueAt - 1000, `${found?.deliverTimestamp} for ${dueAt}`);
    } finally {
      await producer.shutdown();
      await tx.shutdown();
    }
  });

  it("the console's admin calls (21, 201, 207, 315, 328) answer our Admin the same from the Java broker as from ours", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rmqts-console-admin-'));
    const ours = await startTestNamesrv(dir);
    const oursBroker = await startTestBroker(dir, ours.namesrvAddr);
    /** The same calls and assertions against one cluster; both run at once, so they share the 10 s stats sampling. */
    const check = async (nameServer: string, addr: string): Promise<void> => {
      const clients = new MQClientManager();
      const a = new Admin({ nameServer, clientIP: '127.0.0.1', clientManager: clients });
      const producer = new Producer({ nameServer, group: 'TsConsolePG', clientIP: '127.0.0.1', clientManager: clients });
      const consumer = new PushConsumer({ nameServer, group: 'TsConsoleCG', clientIP: '127.0.0.1', clientManager: clients, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
      const t = 'TsConsoleTopic';
      await a.start();
      await producer.start();
      try {
        await a.createTopic({ brokerAddr: addr }, t, { readQueueNums: 2, writeQueueNums: 2 });
        await pollFor(() => a.topicList(), (list) => list.includes(t), { timeoutMillis: 10_000, intervalMillis: 100, what: `${t} routed` });
        const brokerName = (await a.topicRoute(t)).queueDatas[0]?.brokerName ?? '';
        for (let i = 0; i < 5; i++) await producer.send({ topic: t, body: `console ${i}` });
        let consumed = 0;
        consumer.subscribe(t, '*', () => void consumed++);
        await consumer.start();
        await waitFor(() => consumed >= 5, 30_000, `the 5 messages consumed from ${addr}`);
        // 21: every topic's config, the new one as created.
        const configs = await a.allTopicConfig(addr);
        const config = configs.get(t);
        assert.deepEqual([config?.readQueueNums, config?.writeQueueNums, config?.perm], [2, 2, 6], addr);
        assert.ok(configs.has('TBW102') && configs.has('SCHEDULE_TOPIC_XXXX'), `${addr}: ${[...configs.keys()].join(' ')}`);
        // 201: the consumer's group (made by its heartbeat) and the broker's own.
        const groups = await a.allSubscriptionGroup(addr);
        assert.ok(groups.has('TsConsoleCG') && groups.has('TOOLS_CONSUMER'), `${addr}: ${[...groups.keys()].join(' ')}`);
        assert.equal(groups.get('TsConsoleCG')?.consumeEnable, true);
        // 328: the live producer, by group.
        // A producer is listed from its instance's first heartbeat to the broker.
        const all = await pollFor(() => a.allProducerInfo(addr), (table) => table.has('TsConsolePG'), { timeoutMillis: 10_000, intervalMillis: 200, what: `${addr} lists the producer` });
        const producers = all.get('TsConsolePG') ?? [];
        assert.deepEqual(producers.map((p) => p.clientId), [producer.clientId], addr);
        assert.match(producers[0]?.remoteIP ?? '', /^\/127\.0\.0\.1:\d+$/);
        // 315: the minute windows once the broker sampled (every 10 s), and a refusal for an item never counted.
        const put = await pollFor(() => a.viewBrokerStatsData(addr, 'TOPIC_PUT_NUMS', t), (s) => s.statsMinute.sum >= 5, { timeoutMillis: 25_000, intervalMillis: 500, what: `${addr} TOPIC_PUT_NUMS` });
        assert.ok(put.statsMinute.tps > 0, JSON.stringify(put));
        const get = await pollFor(() => a.viewBrokerStatsData(addr, 'GROUP_GET_NUMS', `${t}@TsConsoleCG`), (s) => s.statsMinute.sum >= 5, { timeoutMillis: 25_000, intervalMillis: 500, what: `${addr} GROUP_GET_NUMS` });
        assert.equal(get.statsMinute.sum, 5);
        await assert.rejects(a.viewBrokerStatsData(addr, 'TOPIC_PUT_NUMS', 'NoSuchTopicEver'), (err) => err instanceof MQBrokerError && err.responseCode === ResponseCode.SYSTEM_ERROR);
        // 207: the group goes, its offsets with it.
        await consumer.shutdown();
        await a.deleteSubscriptionGroup(addr, 'TsConsoleCG', true);
        assert.equal((await a.allSubscriptionGroup(addr)).has('TsConsoleCG'), false, addr);
        assert.equal(await a.queryConsumerOffset(addr, 'TsConsoleCG', { topic: t, brokerName, queueId: 0 }), undefined, `${addr}: offsets cleaned`);
      } finally {
        await consumer.shutdown();
        await producer.shutdown();
        await a.shutdown();
      }
    };
    try {
      await Promise.all([check(namesrvAddr, brokerAddr), check(ours.namesrvAddr, `127.0.0.1:${oursBroker.port}`)]);
    } finally {
      await oursBroker.shutdown();
      await ours.namesrv.shutdown();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a PushConsumer's statusTable (GET_CONSUMER_RUNNING_INFO 307): Java 5.3.3's client and ours show the same keys and live figures", async () => {
    const statusTopic = 'TsStatusTopic';
    const producer = new Producer({ nameServer: namesrvAddr, group: 'TsStatusPG', clientIP: '127.0.0.1', clientManager: manager });
    const ours = new PushConsumer({ nameServer: namesrvAddr, group: 'TsStatusCG', clientIP: '127.0.0.1', clientManager: manager, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    const remoting = new RemotingClient();
    let java: JavaProcess | undefined;
    await producer.start();
    await remoting.start();
    try {
      for (let i = 0; i < 20; i++) await producer.send({ topic: statusTopic, body: `s${i}`, keys: `s${i}` });
      const { classpath } = await buildInterop('5.3.3');
      // It stays online after its 20 messages (settle) for the running-info reads below.
      java = await startJava({
        mainClass: 'io.rocketmqts.interop.ConsumerDriver',
        classpath,
        args: ['--namesrv', namesrvAddr, '--topic', statusTopic, '--expect', '20', '--group', 'JavaStatusCG', '--settle-ms', '60000', '--timeout-ms', '90000'],
        readyLine: /^READY/,
      });
      let consumed = 0;
      ours.subscribe(statusTopic, '*', () => void consumed++);
      await ours.start();
      await waitFor(() => consumed >= 20, 30_000, 'our consumer got the 20 messages');
      const javaConsumer = java;
      // One JSON line per message; DONE comes only after the settle time.
      await waitFor(() => javaConsumer.stdout.split('\n').filter((line) => line.startsWith('{')).length >= 20, 30_000, "Java's consumer got the 20 messages");
      /** The raw body the broker relays from the client, so that field names are compared, not our decoding. */
      const statusTable = async (group: string): Promise<Record<string, Record<string, number>>> => {
        const connection = await pollFor(() => admin.consumerConnection(group).catch(() => undefined), (c) => (c?.connectionSet.length ?? 0) > 0, { timeoutMillis: 10_000, intervalMillis: 200, what: `${group} online` });
        const clientId = connection?.connectionSet[0]?.clientId ?? '';
        const request = RemotingCommand.createRequestCommand(RequestCode.GET_CONSUMER_RUNNING_INFO, { consumerGroup: group, clientId, jstackEnable: false });
        const response = await remoting.invokeSync(brokerAddr, request, 10_000);
        assert.equal(response.code, ResponseCode.SUCCESS, response.remark);
        // fastjson's body (mqTable has object keys): read leniently.
        return (parseLenientJson(response.body?.toString('utf8') ?? '{}') as { statusTable: Record<string, Record<string, number>> }).statusTable;
      };
      // Both clients sample every 10 s: the minute window shows the consumption after the next sample.
      const live = (table: Record<string, Record<string, number>>): boolean => (table[statusTopic]?.['consumeOKTPS'] ?? 0) > 0;
      const [javaTable, ourTable] = await Promise.all(
        ['JavaStatusCG', 'TsStatusCG'].map((group) => pollFor(() => statusTable(group), live, { timeoutMillis: 25_000, intervalMillis: 500, what: `${group}'s consumeOKTPS` })),
      );
      assert.deepEqual(Object.keys(javaTable ?? {}), ['%RETRY%JavaStatusCG', statusTopic], 'Java: the topic and the retry topic');
      assert.deepEqual(Object.keys(ourTable ?? {}), ['%RETRY%TsStatusCG', statusTopic], 'ours: the same');
      const javaStatus = javaTable?.[statusTopic] ?? {};
      const ourStatus = ourTable?.[statusTopic] ?? {};
      assert.deepEqual(Object.keys(ourStatus).sort(), Object.keys(javaStatus).sort(), 'the fields of ConsumeStatus');
      for (const [who, status] of [['Java', javaStatus], ['ours', ourStatus]] as const) {
        assert.ok((status['pullTPS'] ?? 0) > 0 && (status['pullRT'] ?? -1) >= 0 && (status['consumeRT'] ?? -1) >= 0, `${who}: ${JSON.stringify(status)}`);
        assert.deepEqual([status['consumeFailedTPS'], status['consumeFailedMsgs']], [0, 0], who);
        // At most the 20 messages over the shortest window (10 s, from the zero snapshot one period back).
        assert.ok((status['consumeOKTPS'] ?? 0) <= 2, `${who}: ${JSON.stringify(status)}`);
      }
    } finally {
      await java?.stop();
      await ours.shutdown();
      await producer.shutdown();
      await remoting.shutdown();
    }
  });
});

/**
 * Family name -> sorted label names (all samples), keyed by the samples' names (a histogram's without its _bucket,
 * _count or _sum): Java 5.3.3's exporter (OpenTelemetry 1.29) writes its TYPE and HELP lines under the name without
 * the unit ("# TYPE rocketmq_rpc_latency histogram") while the samples carry it (rocketmq_rpc_latency_milliseconds_*);
 * dashboards query the sample names, so those are what must match.
 */
function familyLabels(text: string): Map<string, string[]> {
  const families = new Map<string, Set<string>>();
  let histogram = false;
  for (const line of text.split('\n')) {
    const type = /^# TYPE \S+ (\S+)$/.exec(line);
    if (type !== null) histogram = type[1] === 'histogram';
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? /.exec(line);
    if (sample === null || line.startsWith('#')) continue;
    const name = histogram ? (sample[1] as string).replace(/_(bucket|count|sum)$/, '') : (sample[1] as string);
    const labels = families.get(name) ?? new Set<string>();
    for (const match of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) labels.add(match[1] as string);
    families.set(name, labels);
  }
  return new Map([...families].map(([name, labels]) => [name, [...labels].sort()]));
}
