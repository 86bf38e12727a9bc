/**
 * Our name server + broker with the real Apache RocketMQ clients, on what the broker does beyond storing:
 * a Java push consumer whose listener fails sees each message again after the delay of its retry level, then the
 * message lands in %DLQ%<group>; a Java producer's delay-level message arrives on time; two Java orderly
 * consumers (two processes, one group) never consume one queue at once and keep each queue's order while the
 * second joins mid-stream; and mqadmin's consumer and monitoring commands work against us.
 *
 * The broker runs with short delay levels (level 1 is 1 s as in Java; 3, 4 and 5, the first retries, 500-900 ms).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultBrokerConfig } from '../../src/broker/broker-config.js';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import { createBrokerController } from '../../src/broker/broker-startup.js';
import { silentLogger } from '../../src/common/logger.js';
import { defaultNamesrvConfig } from '../../src/namesrv/config.js';
import { NamesrvController } from '../../src/namesrv/name-server.js';
import { createMessageStoreConfig } from '../../src/store/message-store-config.js';
import { buildInterop, interopSkip, runJava, runMqAdmin, startJava, type JavaProcess, type RocketMQVersion } from '../helpers/java.js';
import { waitFor } from '../helpers/wait.js';

const skip = await interopSkip();
const DELAY_LEVELS = '1s 2s 500ms 700ms 900ms 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s';
const LEVEL_MILLIS = DELAY_LEVELS.split(' ').map((item) => (item.endsWith('ms') ? Number(item.slice(0, -2)) : Number(item.slice(0, -1)) * 1000));
/** The lateness we document: due time -> the Java listener has the message, on loopback. */
const LATENESS_BOUND_MILLIS = 200;

interface Line {
  topic: string;
  key: string;
  body: string;
  queueId: number;
  queueOffset: number;
  reconsumeTimes: number;
  bornTimestamp: number;
  storeTimestamp: number;
  properties: Record<string, string>;
  client: string;
  thread: string;
  consumedAt: number;
  returnedAt: number;
}

interface SendResultLine {
  key: string;
  status: string;
  msgId: string;
  offsetMsgId: string;
  queueId: number;
  sentAt?: number;
}

function linesOf(process: JavaProcess): Line[] {
  return process.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
}

function reportOf(stdout: string): { results: SendResultLine[]; errors: string[] } {
  const line = stdout.split('\n').find((l) => l.startsWith('{"results"'));
  assert.ok(line !== undefined, `no producer report in:\n${stdout}`);
  return JSON.parse(line) as { results: SendResultLine[]; errors: string[] };
}

for (const version of ['5.3.3', '4.9.8'] as const satisfies readonly RocketMQVersion[]) {
  describe(`Java ${version}: retry, DLQ, delay levels, orderly locks and mqadmin against our broker`, { skip, timeout: 15 * 60_000 }, () => {
    let dir: string;
    let namesrv: NamesrvController;
    let broker: BrokerController;
    let namesrvAddr: string;
    let classpath: string;
    const tag = version.replaceAll('.', '');

    const createTopic = async (topic: string, queues: number): Promise<void> => {
      await broker.topicConfigManager.updateTopicConfig({ topicName: topic, readQueueNums: queues, writeQueueNums: queues, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false });
      await broker.registerBrokerAll();
    };
    const consumer = (args: string[]): Promise<JavaProcess> =>
      startJava({ mainClass: 'io.rocketmqts.interop.ConsumerDriver', args: ['--namesrv', namesrvAddr, '--timeout-ms', '120000', ...args], classpath, readyLine: /^READY$/ });
    const produce = async (args: string[]): Promise<SendResultLine[]> => {
      const run = await runJava({ mainClass: 'io.rocketmqts.interop.ProducerDriver', args: ['--namesrv', namesrvAddr, ...args], classpath, timeoutMs: 120_000 });
      const report = reportOf(run.stdout);
      assert.deepEqual(report.errors, [], run.stderr);
      return report.results;
    };
    const mqadmin = async (args: string[]): Promise<string> => {
      const result = await runMqAdmin(args, { version, timeoutMs: 90_000 });
      const out = `${result.stdout}\n${result.stderr}`;
      assert.equal(result.code, 0, `mqadmin ${args.join(' ')}:\n${out}`);
      return out;
    };

    before(async () => {
      ({ classpath } = await buildInterop(version));
      dir = await mkdtemp(join(tmpdir(), `rmq-retry-${tag}-`));
      namesrv = new NamesrvController({ ...defaultNamesrvConfig(dir), listenPort: 0, bindAddress: '127.0.0.1' }, { logger: silentLogger });
      await namesrv.start();
      namesrvAddr = `127.0.0.1:${namesrv.port}`;
      const storePathRootDir = join(dir, 'broker');
      const config = {
        ...defaultBrokerConfig(dir),
        brokerClusterName: 'DefaultCluster',
        brokerName: 'broker-a',
        namesrvAddr,
        brokerIP1: '127.0.0.1',
        brokerIP2: '127.0.0.1',
        listenPort: 0,
        bindAddress: '127.0.0.1',
        storePathRootDir,
        autoCreateTopicEnable: true,
      };
      broker = createBrokerController(config, createMessageStoreConfig({ storePathRootDir, messageDelayLevel: DELAY_LEVELS }), silentLogger);
      await broker.start();
    });
    after(async () => {
      await broker?.shutdown();
      await namesrv?.shutdown();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });

    it('a failing push consumer gets the message again after each retry level, then it lands in %DLQ%<group>', async (t) => {
      const topic = `Retry_${tag}`;
      const group = `CG_Retry_${tag}`;
      await createTopic(topic, 1);
      // The client learns its retry topic's route when it starts (or at its 30 s route poll): the topic exists
      // beforehand so the first retry measures the broker, not the poll (a Java broker behaves the same).
      await createTopic(`%RETRY%${group}`, 1);
      const c = await consumer(['--topic', topic, '--group', group, '--expect', '1', '--fail-times', '99', '--max-reconsume-times', '2']);
      try {
        await produce(['--topic', topic, '--group', `PG_Retry_${tag}`, '--delay-level', '0', '--count', '1']);
        // reconsumeTimes 0, 1, 2 fail; the third give-back is past maxReconsumeTimes 2: the DLQ.
        await c.waitForLine(/"reconsumeTimes":2,/, 60_000);
        await waitFor(() => broker.messageStore.getMaxOffsetInQueue(`%DLQ%${group}`, 0) === 1, 30_000, 'the DLQ message');
        const deliveries = linesOf(c).filter((l) => l.key === 'delay-0');
        assert.deepEqual(deliveries.map((l) => l.reconsumeTimes), [0, 1, 2]);
        const latenesses: number[] = [];
        for (let k = 1; k < deliveries.length; k++) {
          const previous = deliveries[k - 1]!;
          const current = deliveries[k]!;
          assert.equal(current.topic, topic, 'the listener sees the original topic');
          assert.equal(current.body, previous.body);
          assert.equal(current.properties['RETRY_TOPIC'], topic);
          assert.ok(current.properties['ORIGIN_MESSAGE_ID'] !== undefined);
          const delay = LEVEL_MILLIS[3 + previous.reconsumeTimes - 1]!;
          const lateness = current.consumedAt - previous.returnedAt - delay;
          latenesses.push(lateness);
          assert.ok(lateness >= 0, `retry ${k} came ${-lateness} ms early`);
          assert.ok(lateness < LATENESS_BOUND_MILLIS, `retry ${k} came ${lateness} ms late`);
        }
        const dlqConfig = broker.topicConfigManager.selectTopicConfig(`%DLQ%${group}`);
        assert.equal(dlqConfig?.readQueueNums, 1);
        const dead = broker.messageStore.getMessage(group, `%DLQ%${group}`, 0, 0, 1);
        assert.equal(dead.messageCount, 1);
        t.diagnostic(`retry lateness (give-back -> listener, beyond the level's delay): ${latenesses.join(', ')} ms`);
      } finally {
        await c.stop();
      }
    });

    it('a producer delay-level message arrives within the documented lateness', async (t) => {
      const topic = `Delay_${tag}`;
      await createTopic(topic, 2);
      const parked = broker.pullRequestHoldService.size;
      const c = await consumer(['--topic', topic, '--group', `CG_Delay_${tag}`, '--expect', '3']);
      try {
        // Measure the broker, not the client's first rebalance: send once the consumer long-polls both queues.
        await waitFor(() => broker.pullRequestHoldService.size >= parked + 2, 30_000, 'the consumer polling');
        const sent = await produce(['--topic', topic, '--group', `PG_Delay_${tag}`, '--delay-level', '1', '--count', '3', '--interval-ms', '150']);
        await c.waitForLine(/^DONE 3$/, 60_000);
        const latenesses: number[] = [];
        for (const line of linesOf(c)) {
          const result = sent.find((r) => r.key === line.key)!;
          assert.equal(line.properties['REAL_TOPIC'], topic);
          const lateness = line.consumedAt - line.bornTimestamp - LEVEL_MILLIS[0]!;
          latenesses.push(lateness);
          assert.ok(line.consumedAt - (result.sentAt ?? 0) >= LEVEL_MILLIS[0]!, `${line.key} came early`);
          assert.ok(lateness < LATENESS_BOUND_MILLIS, `${line.key} came ${lateness} ms late`);
        }
        t.diagnostic(`delay level 1 (1 s) lateness (born -> listener, beyond 1 s): ${latenesses.join(', ')} ms`);
      } finally {
        await c.stop();
      }
    });

    it('two orderly consumers (two processes, one group) never consume one queue at once and keep each queue in order across a rebalance', async (t) => {
      const topic = `Orderly_${tag}`;
      const group = `CG_Orderly_${tag}`;
      const queues = 4;
      // 30 s of sends (a round every 100 ms): longer than the 20 s for which Java's orderly consumer keeps a
      // queue it gave away locked while it still has messages of it cached (unlockDelay), so the second consumer
      // always gets messages of its share, whatever the timing of the rebalance.
      const perQueue = 300;
      await createTopic(topic, queues);
      const a = await consumer(['--topic', topic, '--group', group, '--expect', String(queues * perQueue), '--orderly', '--instance', 'A', '--consume-sleep-ms', '10']);
      let b: JavaProcess | undefined;
      try {
        const producing = produce(['--topic', topic, '--group', `PG_Orderly_${tag}`, '--orderly-queues', String(queues), '--count', String(perQueue), '--interval-ms', '100']);
        await a.waitForLine(/"key":"q\d-5"/, 60_000);
        b = await consumer(['--topic', topic, '--group', group, '--expect', '1', '--orderly', '--instance', 'B', '--consume-sleep-ms', '10']);
        await producing;
        const all = (): Line[] => [...linesOf(a), ...linesOf(b!)];
        await waitFor(() => new Set(all().map((l) => l.key)).size === queues * perQueue, 90_000, 'every message consumed');
        const lines = all();
        assert.ok(linesOf(b).length > 0, 'the second consumer took over some queues');
        let duplicates = 0;
        for (let q = 0; q < queues; q++) {
          const timeline = lines.filter((l) => l.queueId === q).sort((x, y) => x.consumedAt - y.consumedAt || x.returnedAt - y.returnedAt);
          for (let i = 1; i < timeline.length; i++) {
            const previous = timeline[i - 1]!;
            const current = timeline[i]!;
            assert.ok(previous.returnedAt <= current.consumedAt, `queue ${q}: ${previous.client}/${previous.key} and ${current.client}/${current.key} overlap`);
            assert.ok(current.queueOffset >= previous.queueOffset || current.client !== previous.client, `queue ${q} out of order within ${current.client}`);
            assert.ok(current.queueOffset > previous.queueOffset || current.client !== previous.client, `queue ${q}: ${current.key} again in ${current.client}`);
            if (current.queueOffset <= previous.queueOffset) duplicates++;
          }
          const seqs = timeline.map((l) => Number(l.key.split('-')[1]));
          const firstSeen = seqs.filter((s, i) => seqs.indexOf(s) === i);
          assert.deepEqual(firstSeen, [...firstSeen].sort((x, y) => x - y), `queue ${q} first deliveries out of order`);
        }
        const byClient = (name: string): string => [...new Set(lines.filter((l) => l.client === name).map((l) => l.queueId))].sort().join(',');
        t.diagnostic(`queues consumed: A [${byClient('A')}], B [${byClient('B')}]; redeliveries across the rebalance: ${duplicates}`);
      } finally {
        await b?.stop();
        await a.stop();
      }
    });

    it('mqadmin clusterList, topicList, topicRoute, topicStatus, consumerProgress, consumerConnection, producerConnection, queryMsgById, queryMsgByKey, resetOffsetByTime, brokerStatus', async () => {
      const topic = `Admin_${tag}`;
      const group = `CG_Admin_${tag}`;
      const producerGroup = `PG_Admin_${tag}`;
      await createTopic(topic, 2);
      // Never "done": the consumer stays online for consumerConnection and resetOffsetByTime.
      const c = await consumer(['--topic', topic, '--group', group, '--expect', '1000', '--timeout-ms', '600000']);
      const p = await startJava({
        mainClass: 'io.rocketmqts.interop.ProducerDriver',
        args: ['--namesrv', namesrvAddr, '--topic', topic, '--group', producerGroup, '--orderly-queues', '2', '--count', '3', '--linger-ms', '120000'],
        classpath,
        readyLine: /^SENT$/,
      });
      try {
        await waitFor(() => new Set(linesOf(c).map((l) => l.key)).size === 6, 60_000, 'all 6 consumed');
        // The push consumer commits every 5 s; resetOffsetByTime needs a committed offset on each queue.
        await waitFor(() => [0, 1].every((q) => broker.consumerOffsetManager.queryOffset(group, topic, q) === 3), 30_000, 'committed offsets');
        const addr = broker.brokerAddr;
        assert.match(await mqadmin(['clusterList', '-n', namesrvAddr]), /DefaultCluster\s+broker-a\s+0\s+127\.0\.0\.1/);
        assert.match(await mqadmin(['topicList', '-n', namesrvAddr]), new RegExp(`^${topic}$`, 'm'));
        assert.match(await mqadmin(['topicRoute', '-n', namesrvAddr, '-t', topic]), /"brokerName"\s*:\s*"broker-a"/);
        const status = await mqadmin(['topicStatus', '-n', namesrvAddr, '-t', topic]);
        assert.match(status, /#Broker Name\s+#QID\s+#Min Offset\s+#Max Offset\s+#Last Updated/);
        assert.equal(status.split('\n').filter((l) => /^broker-a\s+\d\s+0\s+3\s/.test(l.trim())).length, 2, status);

        const progress = await mqadmin(['consumerProgress', '-n', namesrvAddr, '-g', group]);
        assert.match(progress, /#Topic\s+#Broker Name\s+#QID\s+#Broker Offset\s+#Consumer Offset/);
        assert.equal(progress.split('\n').filter((l) => new RegExp(`^${topic}\\s+broker-a\\s+\\d\\s+3\\s+3\\s`).test(l.trim())).length, 2, progress);
        assert.match(progress, /Consume TPS:/);
        assert.match(progress, /Diff Total: 0/);

        const connection = await mqadmin(['consumerConnection', '-n', namesrvAddr, '-g', group]);
        assert.match(connection, /#ClientId\s+#ClientAddr\s+#Language\s+#Version/);
        assert.match(connection, /^\S+@\S+\s+127\.0\.0\.1:\d+\s+JAVA\s+V\d_\d_\d/m);
        assert.match(connection, /ConsumeType:\s+CONSUME_PASSIVELY/);
        assert.match(connection, /MessageModel:\s+CLUSTERING/);
        assert.match(connection, new RegExp(`${topic}\\s+\\*`));

        const producers = await mqadmin(['producerConnection', '-n', namesrvAddr, '-g', producerGroup, '-t', topic]);
        assert.match(producers, /JAVA/);

        const sent = reportOf(p.stdout).results;
        const first = sent.find((r) => r.key === 'q0-0')!;
        // 5.x wants the topic too (-t); 4.9 has no such option.
        const topicArgs = version === '4.9.8' ? [] : ['-t', topic];
        const byId = await mqadmin(['queryMsgById', '-n', namesrvAddr, ...topicArgs, '-i', first.offsetMsgId]);
        assert.match(byId, new RegExp(`Topic:\\s+${topic}`));
        assert.match(byId, /Keys:\s+\[?q0-0\]?/);
        const byKey = await mqadmin(['queryMsgByKey', '-n', namesrvAddr, '-t', topic, '-k', 'q0-0']);
        assert.match(byKey, /#Message ID\s+#QID\s+#Offset/);
        assert.match(byKey, new RegExp(`${first.msgId}\\s+0\\s+0`));

        const reset = await mqadmin(['resetOffsetByTime', '-n', namesrvAddr, '-g', group, '-t', topic, '-s', '0']);
        assert.match(reset, /#brokerName\s+#queueId\s+#offset/);
        assert.equal(reset.split('\n').filter((l) => /^broker-a\s+\d\s+0$/.test(l.trim())).length, 2, reset);
        // The consumer applied the pushed offsets: it consumes all 6 again.
        await waitFor(() => linesOf(c).length >= 12, 60_000, 'the consumer re-consuming after the reset');

        const brokerStatus = await mqadmin(['brokerStatus', '-n', namesrvAddr, '-b', addr]);
        assert.match(brokerStatus, /brokerVersionDesc\s*:\s*V5_3_3/);
        assert.match(brokerStatus, /putTps\s*:/);
      } finally {
        await p.stop();
        await c.stop();
      }
    });
  });
}
