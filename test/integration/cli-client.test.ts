import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startDev, type DevCluster } from '../../src/cli/dev.js';
import { silentLogger } from '../../src/common/logger.js';
import { MQClientManager, Producer, PushConsumer } from '../../src/client/index.js';
import { deferred, waitFor } from '../helpers/wait.js';

/** The compiled CLI next to this test (the same code as dist/cli/main.js, built by tsconfig.test.json). */
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a child process; never blocks the event loop, which serves the in-process cluster. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { env: { ...process.env, NAMESRV_ADDR: '', ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('rocketmq-ts client commands against an in-process dev cluster', () => {
  let dir: string;
  let dev: DevCluster;
  let n: string[];
  const topic = 'CliTopic';
  const group = 'CliGroup';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-cli-'));
    dev = await startDev({ namesrvPort: 0, brokerPort: 0, dataDir: dir, brokerIP: '127.0.0.1', logger: silentLogger });
    n = ['-n', dev.namesrvAddr];
  });
  after(async () => {
    await dev.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('cluster list and topic create/list/route', async () => {
    const cluster = await cli(['cluster', 'list', ...n]);
    assert.equal(cluster.code, 0, cluster.stderr);
    assert.match(cluster.stdout, /#Cluster Name\s+#Broker Name\s+#BID\s+#Addr\nDefaultCluster\s+broker-a\s+0\s+127\.0\.0\.1:\d+/);
    const clusterJson = JSON.parse((await cli(['cluster', 'list', ...n, '--json'])).stdout) as { clusterAddrTable: Record<string, string[]> };
    assert.deepEqual(clusterJson.clusterAddrTable, { DefaultCluster: ['broker-a'] });

    const created = await cli(['topic', 'create', ...n, '-t', topic, '-c', 'DefaultCluster', '-r', '2', '-w', '2', '--json']);
    assert.equal(created.code, 0, created.stderr);
    assert.equal((JSON.parse(created.stdout) as { brokers: string[] }).brokers.length, 1);
    const list = JSON.parse((await cli(['topic', 'list', ...n, '--json'])).stdout) as { topicList: string[] };
    assert.ok(list.topicList.includes(topic));
    const route = await cli(['topic', 'route', ...n, '-t', topic]);
    assert.match(route.stdout, /broker-a\s+2\s+2\s+6/);
  });

  it('topic create --type sets the message.type attribute the 5.x SDKs check; a wrong type is a usage error', async () => {
    const fifo = await cli(['topic', 'create', ...n, '-t', `${topic}_fifo`, '-c', 'DefaultCluster', '--type', 'fifo']);
    assert.equal(fifo.code, 0, fifo.stderr);
    assert.match(fifo.stdout, /attributes=\{message\.type=FIFO\}/);
    assert.equal(dev.broker.topicConfigManager.selectTopicConfig(`${topic}_fifo`)?.attributes?.get('message.type'), 'FIFO');
    const wrong = await cli(['topic', 'create', ...n, '-t', `${topic}_x`, '-c', 'DefaultCluster', '--type', 'ORDERED']);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /--type is one of NORMAL, FIFO, DELAY, TRANSACTION, MIXED/);
  });

  it('send --transaction commits or rolls back transactional messages; cluster status counts them', async () => {
    const txTopic = `${topic}_tx`;
    const committed = await cli(['send', ...n, '-t', txTopic, '--count', '3', '--transaction', 'commit', '--json']);
    assert.equal(committed.code, 0, committed.stderr);
    const results = (JSON.parse(committed.stdout) as { results: { localTransactionState: string }[] }).results;
    assert.deepEqual(results.map((r) => r.localTransactionState), ['COMMIT_MESSAGE', 'COMMIT_MESSAGE', 'COMMIT_MESSAGE']);
    const rolledBack = await cli(['send', ...n, '-t', txTopic, '--transaction', 'rollback']);
    assert.equal(rolledBack.code, 0, rolledBack.stderr);
    assert.match(rolledBack.stdout, /localTransactionState=ROLLBACK_MESSAGE/);
    const stats = JSON.parse((await cli(['topic', 'stats', ...n, '-t', txTopic, '--json'])).stdout) as { offsetTable: { maxOffset: number }[] };
    assert.equal(stats.offsetTable.reduce((sum, q) => sum + q.maxOffset, 0), 3, 'only the committed three are in the topic');
    const status = JSON.parse((await cli(['cluster', 'status', ...n, '--json'])).stdout) as Record<string, Record<string, string>>;
    const [brokerStatus] = Object.values(status);
    assert.equal(brokerStatus?.['transactionHalfMessages'], '4');
    assert.equal(brokerStatus?.['transactionCommits'], '3');
    assert.equal(brokerStatus?.['transactionRollbacks'], '1');
    const table = await cli(['cluster', 'status', ...n, '-b', dev.broker.brokerAddr]);
    assert.match(table.stdout, /transactionCommits\s+3/);
    const bad = await cli(['send', ...n, '-t', txTopic, '--transaction', 'maybe']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--transaction must be commit, rollback or unknown/);
  });

  it('send, consume, consumer progress, topic stats and message get', async () => {
    const sent = await cli(['send', ...n, '-t', topic, '--count', '5', '--tags', 'TagA', '--keys', 'cli-key', '--json']);
    assert.equal(sent.code, 0, sent.stderr);
    const summary = JSON.parse(sent.stdout) as { sent: number; failed: number; results: { msgId: string; offsetMsgId: string }[] };
    assert.equal(summary.sent, 5);
    assert.equal(summary.results.length, 5);
    const one = await cli(['send', ...n, '-t', topic, '--body', 'just one']);
    assert.match(one.stdout, /SendResult \[sendStatus=SEND_OK, msgId=[0-9A-F]{32}/);
    assert.match(one.stdout, /sent 1 of 1 messages/);

    const stats = JSON.parse((await cli(['topic', 'stats', ...n, '-t', topic, '--json'])).stdout) as { offsetTable: { maxOffset: number }[] };
    assert.equal(stats.offsetTable.reduce((sum, q) => sum + q.maxOffset, 0), 6);

    // Four of six, then the rest: the first run commits only what it printed.
    const first = await cli(['consume', ...n, '-t', topic, '-g', group, '--from', 'first', '--count', '4', '--timeout', '20', '--json']);
    assert.equal(first.code, 0, first.stderr);
    const firstLines = first.stdout.trim().split('\n').map((l) => JSON.parse(l) as { body: string; msgId: string });
    assert.equal(firstLines.length, 4);
    const progress = JSON.parse((await cli(['consumer', 'progress', ...n, '-g', group, '--json'])).stdout) as { diffTotal: number; offsetTable: unknown[] };
    assert.equal(progress.offsetTable.length, 2);
    assert.equal(progress.diffTotal, 2);
    const table = await cli(['consumer', 'progress', ...n, '-g', group]);
    assert.match(table.stdout, /#Topic\s+#Broker Name\s+#QID\s+#Broker Offset\s+#Consumer Offset\s+#Diff/);
    assert.match(table.stdout, /Consume Diff Total: 2/);
    const rest = await cli(['consume', ...n, '-t', topic, '-g', group, '--count', '2', '--timeout', '20', '--json']);
    assert.equal(rest.code, 0, rest.stderr);
    const restLines = rest.stdout.trim().split('\n').map((l) => JSON.parse(l) as { body: string; msgId: string });
    const bodies = [...firstLines, ...restLines].map((m) => m.body).sort();
    assert.deepEqual(bodies, ['Hello RocketMQ 0', 'Hello RocketMQ 1', 'Hello RocketMQ 2', 'Hello RocketMQ 3', 'Hello RocketMQ 4', 'just one']);
    assert.equal((JSON.parse((await cli(['consumer', 'progress', ...n, '-g', group, '--json'])).stdout) as { diffTotal: number }).diffTotal, 0);

    // Back to the start: every queue of the topic reset to offset 0, so the group's lag is all six again.
    const reset = await cli(['consumer', 'reset', ...n, '-g', group, '-t', topic, '--timestamp', '0', '--json']);
    assert.equal(reset.code, 0, reset.stderr);
    const offsets = (JSON.parse(reset.stdout) as { offsets: { offset: number }[] }).offsets;
    assert.deepEqual(offsets.map((o) => o.offset), [0, 0]);
    assert.equal((JSON.parse((await cli(['consumer', 'progress', ...n, '-g', group, '--json'])).stdout) as { diffTotal: number }).diffTotal, 6);
    assert.match((await cli(['consumer', 'reset', ...n, '-g', group, '-t', topic, '--timestamp', 'now'])).stdout, /#Broker Name\s+#QID\s+#Offset/);
    // Nobody of the group is online any more: the broker says so, and the CLI exits 1 with its remark.
    const offline = await cli(['consumer', 'connection', ...n, '-g', group]);
    assert.equal(offline.code, 1);
    assert.notEqual(offline.stderr, '');

    const target = summary.results[0] as { msgId: string; offsetMsgId: string };
    const byOffset = await cli(['message', 'get', ...n, '--id', target.offsetMsgId]);
    assert.equal(byOffset.code, 0, byOffset.stderr);
    assert.match(byOffset.stdout, new RegExp(`Topic:\\s+${topic}`));
    assert.match(byOffset.stdout, /Keys:\s+\[cli-key\]/);
    const byUniq = JSON.parse((await cli(['message', 'get', ...n, '--id', target.msgId, '-t', topic, '--json'])).stdout) as { msgId: string; tags: string };
    assert.deepEqual([byUniq.msgId, byUniq.tags], [target.msgId, 'TagA']);
    const byKey = JSON.parse((await cli(['message', 'get', ...n, '--key', 'cli-key', '-t', topic, '--json'])).stdout) as unknown[];
    assert.equal(byKey.length, 5);
  });

  it('send --prop and consume --sql: only what the SQL92 selector matches (dev filters by properties)', async () => {
    const sqlTopic = 'CliSqlTopic';
    for (const [a, region] of [['1', 'eu'], ['5', 'eu'], ['7', 'us'], ['9', 'eu']]) {
      const sent = await cli(['send', ...n, '-t', sqlTopic, '--body', `a=${a}`, '--prop', `a=${a}`, '--prop', `region=${region}`]);
      assert.equal(sent.code, 0, sent.stderr);
    }
    const got = await cli(['consume', ...n, '-t', sqlTopic, '-g', 'CliSqlGroup', '--from', 'first', '--sql', "a > 3 AND region = 'eu'", '--count', '2', '--timeout', '20', '--json']);
    assert.equal(got.code, 0, got.stderr);
    const lines = got.stdout.trim().split('\n').map((l) => JSON.parse(l) as { body: string; properties: Record<string, string> });
    assert.deepEqual(lines.map((l) => l.body).sort(), ['a=5', 'a=9']);
    assert.equal(lines[0]?.properties.region, 'eu');
    const bad = await cli(['consume', ...n, '-t', sqlTopic, '-g', 'CliSqlGroup', '--sql', 'a >', '--timeout', '5']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /CODE: 23 {2}DESC: Invalid MessageSelector/);
    assert.equal((await cli(['consume', ...n, '-t', sqlTopic, '-g', 'G', '--sql', 'a > 1', '--tags', 'A'])).code, 2);
    assert.equal((await cli(['send', ...n, '-t', sqlTopic, '--prop', 'novalue'])).code, 2);
  });

  it('consumer connection lists the online clients of a group and their subscriptions', async () => {
    const consumer = new PushConsumer({ nameServer: dev.namesrvAddr, group: 'CliOnlineGroup', clientIP: '127.0.0.1', clientManager: new MQClientManager() });
    consumer.subscribe(topic, 'TagA || TagB', () => undefined);
    await consumer.start();
    try {
      const shown = JSON.parse((await cli(['consumer', 'connection', ...n, '-g', 'CliOnlineGroup', '--json'])).stdout) as {
        connections: { clientId: string; language: string }[];
        subscriptions: { topic: string; subString: string }[];
        messageModel: string;
      };
      // JAVA, as Java's ClientConfig says by default: 4.x brokers have no NODE_JS in their LanguageCode.
      assert.deepEqual(shown.connections.map((c) => [c.clientId, c.language]), [[consumer.clientId, 'JAVA']]);
      assert.ok(shown.subscriptions.some((x) => x.topic === topic && x.subString === 'TagA || TagB'), JSON.stringify(shown.subscriptions));
      assert.equal(shown.messageModel, 'CLUSTERING');
      const table = await cli(['consumer', 'connection', ...n, '-g', 'CliOnlineGroup']);
      assert.match(table.stdout, /#ClientId\s+#ClientAddr\s+#Language\s+#Version/);
      assert.ok(table.stdout.includes(consumer.clientId as string));
    } finally {
      await consumer.shutdown();
    }
  });

  it('--namespace: send, consume, topic list, consumer progress and message get work in the namespace', async () => {
    const ns = ['--namespace', 'cli-ns'];
    const nsTopic = 'CliNsTopic';
    const sent = await cli(['send', ...n, ...ns, '-t', nsTopic, '--body', 'in ns', '--keys', 'ns-key', '--json']);
    assert.equal(sent.code, 0, sent.stderr);
    const result = (JSON.parse(sent.stdout) as { results: { messageQueue: { topic: string } }[] }).results[0];
    assert.equal(result?.messageQueue.topic, nsTopic, 'the send result shows the short name');
    const all = (JSON.parse((await cli(['topic', 'list', ...n, '--json'])).stdout) as { topicList: string[] }).topicList;
    assert.ok(all.includes(`cli-ns%${nsTopic}`) && !all.includes(nsTopic), 'on the wire: cli-ns%CliNsTopic');
    const mine = (JSON.parse((await cli(['topic', 'list', ...n, ...ns, '--json'])).stdout) as { topicList: string[] }).topicList;
    assert.ok(mine.includes(nsTopic), `the namespace's topics: ${mine.join(', ')}`);
    assert.ok(mine.every((t) => !t.startsWith('cli-ns%')));

    const consumed = await cli(['consume', ...n, ...ns, '-t', nsTopic, '-g', 'CliNsGroup', '--from', 'first', '--count', '1', '--timeout', '20', '--json']);
    assert.equal(consumed.code, 0, consumed.stderr);
    const line = JSON.parse(consumed.stdout.trim()) as { topic: string; body: string };
    assert.deepEqual([line.topic, line.body], [nsTopic, 'in ns']);
    const progress = JSON.parse((await cli(['consumer', 'progress', ...n, ...ns, '-g', 'CliNsGroup', '--json'])).stdout) as { offsetTable: { mq: { topic: string } }[] };
    assert.ok(progress.offsetTable.length > 0 && progress.offsetTable.every((q) => q.mq.topic === nsTopic), JSON.stringify(progress.offsetTable));
    const byKey = JSON.parse((await cli(['message', 'get', ...n, ...ns, '--key', 'ns-key', '-t', nsTopic, '--json'])).stdout) as { topic: string }[];
    assert.deepEqual(byKey.map((m) => m.topic), [nsTopic]);
  });

  it('send --delay and --deliver-time send timer messages, with their recall handles', async () => {
    const timerTopic = `${topic}_timer`;
    const stored = (): number => [0, 1, 2, 3].reduce((sum, q) => sum + Math.max(0, dev.broker.messageStore.getMaxOffsetInQueue(timerTopic, q)), 0);
    const delayed = await cli(['send', ...n, '-t', timerTopic, '--delay', '1500', '--json']);
    assert.equal(delayed.code, 0, delayed.stderr);
    const [result] = (JSON.parse(delayed.stdout) as { results: { recallHandle?: string }[] }).results;
    assert.match(result?.recallHandle ?? '', /^[A-Za-z0-9_-]+=*$/, 'a recall handle');
    assert.equal(stored(), 0, 'waiting in the timer');
    await waitFor(() => stored() === 1, 10_000, 'the delayed message in its topic');

    const at = new Date(Date.now() + 1500).toISOString();
    const timed = await cli(['send', ...n, '-t', timerTopic, '--deliver-time', at, '--body', 'at a time']);
    assert.equal(timed.code, 0, timed.stderr);
    assert.match(timed.stdout, /queueOffset=\d+, recallHandle=[A-Za-z0-9_-]+=*\]/);
    const past = await cli(['send', ...n, '-t', timerTopic, '--deliver-time', '2000-01-01T00:00:00Z', '--json']);
    assert.equal(past.code, 0, past.stderr);
    assert.equal((JSON.parse(past.stdout) as { results: { recallHandle?: string }[] }).results[0]?.recallHandle, undefined, 'a past time: an ordinary send');
    await waitFor(() => stored() === 3, 10_000, 'the timed and the past one');

    const both = await cli(['send', ...n, '-t', timerTopic, '--delay', '5', '--deliver-time', '1']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /give --deliver-time or --delay, not both/);
    const bad = await cli(['send', ...n, '-t', timerTopic, '--deliver-time', 'tomorrow']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--deliver-time must be milliseconds since the epoch or an ISO-8601 time/);
    assert.equal((await cli(['send', ...n, '-t', timerTopic, '--delay=1.5'])).code, 2);
    // The broker's refusal (beyond timerMaxDelaySec, 3 days) is a failed send: exit 1 with its reason.
    const far = await cli(['send', ...n, '-t', timerTopic, '--delay', String(4 * 24 * 3600 * 1000)]);
    assert.equal(far.code, 1);
    assert.match(far.stderr, /CODE: 13 .*timer message illegal/);
  });

  it("message trace prints a traced message's send and deliveries, as a table or JSON", async () => {
    const manager = new MQClientManager();
    const common = { nameServer: dev.namesrvAddr, clientIP: '127.0.0.1', clientManager: manager, trace: true } as const;
    const producer = new Producer({ ...common, group: 'CliTracePG' });
    const consumer = new PushConsumer({ ...common, group: 'CliTraceCG', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    const consumed = deferred();
    consumer.subscribe('CliTraceTopic', '*', () => consumed.resolve());
    await producer.start();
    const { msgId } = await producer.send({ topic: 'CliTraceTopic', body: 'traced' });
    await consumer.start();
    await consumed.promise;
    // Shutdown sends the queued records.
    await producer.shutdown();
    await consumer.shutdown();
    let trace: { msgId: string; sends: { groupName: string }[]; consumerGroups: { groupName: string; attempts: { status: string }[] }[] } | undefined;
    // The records are indexed shortly after the shutdowns sent them: ask again, a bounded number of times.
    for (let attempt = 0; attempt < 30; attempt++) {
      const run = await cli(['message', 'trace', ...n, '--id', msgId, '--json']);
      trace = run.code === 0 ? (JSON.parse(run.stdout) as typeof trace) : undefined;
      if (trace !== undefined && trace.sends.length === 1 && trace.consumerGroups.length === 1) break;
    }
    assert.equal(trace?.msgId, msgId);
    assert.deepEqual(trace?.consumerGroups.map((g) => [g.groupName, g.attempts.map((a) => a.status)]), [['CliTraceCG', ['SUCCESS']]]);
    const table = await cli(['message', 'trace', ...n, '--id', msgId]);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split('\n');
    assert.match(lines[0] as string, /^#Type\s+#Group\s+#ClientHost\s+#Time\s+#CostTimes\s+#Status/);
    assert.match(lines[1] as string, /^Pub\s+CliTracePG\s+127\.0\.0\.1:\d+\s+\S+ \S+\s+\d+ms\s+success\s+Normal_Msg to /);
    assert.match(lines[2] as string, /^Sub\s+CliTraceCG\s+127\.0\.0\.1:\d+\s+\S+ \S+\s+\d+ms\s+SUCCESS\s+retry 0$/);
    const none = await cli(['message', 'trace', ...n, '--id', 'NO_SUCH_MESSAGE']);
    assert.equal(none.stdout.trim(), 'no trace records of NO_SUCH_MESSAGE in RMQ_SYS_TRACE_TOPIC');
    assert.equal((await cli(['message', 'trace', ...n])).code, 2, 'trace needs --id');
  });

  it('usage errors exit 2, failures exit 1, help exits 0', async () => {
    assert.equal((await cli(['send', ...n])).code, 2);
    assert.equal((await cli(['topic', 'frobnicate', ...n])).code, 2);
    assert.equal((await cli(['consume', ...n, '-t', topic, '-g', group, '--from', 'middle'])).code, 2);
    assert.equal((await cli(['consumer', 'reset', ...n, '-g', group, '-t', topic, '--timestamp', 'yesterday'])).code, 2);
    const missing = await cli(['topic', 'route', ...n, '-t', 'NoSuchTopic']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No topic route info/);
    assert.equal((await cli(['message', 'get', ...n, '--key', 'nothing-here', '-t', topic])).code, 1);
    const help = await cli(['topic', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /usage: rocketmq-ts topic/);
  });

  it('topic delete removes the topic', async () => {
    const deleted = await cli(['topic', 'delete', ...n, '-t', topic, '-c', 'DefaultCluster']);
    assert.equal(deleted.code, 0, deleted.stderr);
    const list = JSON.parse((await cli(['topic', 'list', ...n, '--json'])).stdout) as { topicList: string[] };
    assert.ok(!list.topicList.includes(topic));
  });
});
