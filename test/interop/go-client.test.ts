/**
 * Our name server + broker (`rocketmq-ts dev`, in-process) with the Apache RocketMQ Go client
 * (github.com/apache/rocketmq-client-go/v2, the version pinned in interop/go/go.mod): the Go producer sends sync,
 * async, oneway, batch and compressed messages, a Go push consumer (concurrent) receives every one intact, a Go
 * orderly push consumer receives each sharding key's messages in send order, and the Java push consumer reads what
 * the Go producer wrote.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDev, type DevCluster } from '../../src/cli/dev.js';
import { silentLogger } from '../../src/common/logger.js';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/index.js';
import { buildGoInterop, goInteropSkip, runGo, startGo, type GoProcess } from '../helpers/go.js';
import { buildInterop, javaAvailable, startJava } from '../helpers/java.js';

const skip = await goInteropSkip();
const COUNT = 10;
const MODES = ['sync', 'async', 'oneway', 'batch'] as const;
type Mode = (typeof MODES)[number] | 'big';
const NOTE = 'h\u00e9llo \u2713';
const PROPS = { color: 'blue', emoji: '\u{1F680} \u00fcn\u00efc\u00f8d\u00e9', 'with space': 'a=b c:d' };
const QUEUES = 4;
const TOPIC = 'GoInterop';
const ORDER_TOPIC = 'GoInteropOrderly';
const SHARDS = 5;
const ORDER_COUNT = 60;

interface SendResult {
  mode: string;
  seq: number;
  count: number;
  keys: string;
  shard?: string;
  status: string;
  msgId: string;
  offsetMsgId: string;
  brokerName: string;
  queueId: number;
  queueOffset: number;
  regionId: string;
  error?: string;
}

interface SendSummary {
  summary: true;
  mode: string;
  count: number;
  ok: number;
  msgIds: string[];
  errors: string[];
  millis: number;
}

interface Received {
  msgId: string;
  offsetMsgId: string;
  topic: string;
  body?: string;
  bodySha256: string;
  bodyLength: number;
  tags: string;
  keys: string;
  properties: Record<string, string>;
  queueId: number;
  queueOffset: number;
  reconsumeTimes: number;
  bornHost: string;
  storeHost: string;
}

interface ConsumeReport {
  status: 'DONE' | 'TIMEOUT';
  distinct: number;
  overlapped: string[];
  millis: number;
  received: Received[];
}

/** The body the Go producer builds for message `seq` (interop/go/producer). */
function expectedBody(mode: string, seq: number, size = 0): string {
  let body = `go ${mode} ${seq} ${NOTE}`;
  while (Buffer.byteLength(body) < size) body += ` ${seq}`;
  return size > 0 ? Buffer.from(body).subarray(0, size).toString('utf8') : body;
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

const RUNS: { mode: Mode; send: string; count: number; size: number; tag: string }[] = [
  ...MODES.map((mode) => ({ mode, send: mode, count: COUNT, size: 0, tag: `Tag_${mode}` })),
  // Over the Go client's 4 KiB threshold: sent zlib-compressed (sysFlag bit 0), must arrive inflated.
  { mode: 'big', send: 'sync', count: 2, size: 8192, tag: 'Tag_big' },
];
const TOTAL = RUNS.reduce((sum, run) => sum + run.count, 0);

function producerArgs(namesrv: string, run: (typeof RUNS)[number]): string[] {
  const args = ['-namesrv', namesrv, '-topic', TOPIC, '-group', `GO_PG_${run.mode}`, '-mode', run.send, '-count', String(run.count)];
  args.push('-tag', run.tag, '-keys', run.mode, '-keys', `alt-${run.mode}`, '-size', String(run.size));
  for (const [key, value] of Object.entries(PROPS)) args.push('-prop', `${key}=${value}`);
  return args;
}

/** The keys the producer gives message `seq` of a run, as the client joins them (space-separated). */
const keysOf = (mode: string, seq: number): string => `${mode}-${seq} alt-${mode}-${seq}`;

function parseLines<T>(stdout: string): T[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as T);
}

async function consumerReport(consumer: GoProcess, timeoutMs: number): Promise<ConsumeReport> {
  const status = await consumer.waitForExit(timeoutMs);
  const reports = parseLines<ConsumeReport>(consumer.stdout);
  assert.equal(reports.length, 1, `consumer exited ${status} without its report:\n${consumer.describe()}`);
  return reports[0]!;
}

describe('Go client (rocketmq-client-go) with our name server and broker', { skip, timeout: 10 * 60_000 }, () => {
  let dir: string;
  let dev: DevCluster;
  let admin: RemotingClient;
  const sent = new Map<string, SendResult>();
  const runsDone = new Set<Mode>();

  /** Messages the broker holds in `topic`, all queues. */
  const storedIn = (topic: string): number => {
    let sum = 0;
    for (let q = 0; q < QUEUES; q++) sum += dev.broker.messageStore.getMaxOffsetInQueue(topic, q);
    return sum;
  };
  /**
   * The oneway messages the broker never got. SendOneWay then an immediate Shutdown loses one now and then on this
   * machine (issue 13, the oneway loop below, which tracks it): the consumers expect everything else, and check
   * that every stored message arrives intact.
   */
  const onewayLostCount = (): number => TOTAL - storedIn(TOPIC);

  const createTopic = async (topic: string, queues: number): Promise<void> => {
    const header = { topic, defaultTopic: 'TBW102', readQueueNums: queues, writeQueueNums: queues, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false };
    const response = await admin.invokeSync(dev.broker.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.UPDATE_AND_CREATE_TOPIC, header), 5000);
    assert.equal(response.code, ResponseCode.SUCCESS, `UPDATE_AND_CREATE_TOPIC ${topic}: ${response.remark}`);
  };

  before(async () => {
    const started = Date.now();
    await buildGoInterop();
    console.log(`# go build (or its cached stamp): ${Date.now() - started} ms`);
    dir = await mkdtemp(join(tmpdir(), 'rmq-go-'));
    dev = await startDev({ namesrvPort: 0, brokerPort: 0, dataDir: dir, brokerIP: '127.0.0.1', logger: silentLogger });
    admin = new RemotingClient();
    await admin.start();
    await createTopic(TOPIC, QUEUES);
    await createTopic(ORDER_TOPIC, QUEUES);
  });
  after(async () => {
    await admin?.shutdown();
    await dev?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  for (const run of RUNS) {
    it(`producer ${run.mode}${run.mode === 'big' ? ' (8 KiB, compressed)' : ''}: every send succeeds`, async (t) => {
      const produced = await runGo('producer', producerArgs(dev.namesrvAddr, run), 90_000);
      const lines = parseLines<SendResult | SendSummary>(produced.stdout);
      const summary = lines.find((line): line is SendSummary => 'summary' in line);
      const results = lines.filter((line): line is SendResult => !('summary' in line));
      assert.ok(summary !== undefined, produced.describe());
      assert.deepEqual(summary.errors, [], produced.describe());
      assert.equal(produced.code, 0, produced.describe());
      assert.equal(summary.ok, run.count);
      if (run.send === 'oneway') {
        // No response at all: what arrived is checked by the consumers below.
        assert.equal(results.length, run.count);
        for (const result of results) assert.equal(result.status, 'SENT');
      } else if (run.send === 'batch') {
        assert.equal(results.length, 1);
        const [batch] = results as [SendResult];
        assert.equal(batch.status, 'SEND_OK');
        assert.equal(batch.count, run.count);
        assert.equal(batch.brokerName, 'broker-a');
        assert.equal(batch.regionId, 'DefaultRegion');
        // One offset message id per message of the batch, as Java's broker answers.
        assert.match(batch.offsetMsgId, new RegExp(`^[0-9A-F]{32}(,[0-9A-F]{32}){${run.count - 1}}$`));
      } else {
        assert.equal(results.length, run.count);
        for (const result of results) {
          assert.equal(result.status, 'SEND_OK', `${result.keys}: ${result.error ?? ''}`);
          assert.equal(result.brokerName, 'broker-a');
          assert.equal(result.regionId, 'DefaultRegion');
          assert.match(result.msgId, /^[0-9A-F]{32}$/i);
          assert.match(result.offsetMsgId, /^[0-9A-F]{32}$/);
          assert.ok(result.queueId >= 0 && result.queueId < QUEUES, `queueId ${result.queueId}`);
          sent.set(keysOf(run.mode, result.seq), result);
        }
      }
      for (const result of results) if (run.send === 'oneway') sent.set(keysOf(run.mode, result.seq), result);
      runsDone.add(run.mode);
      t.diagnostic(`${run.count} messages, ${results.length} ${run.send} send${results.length === 1 ? '' : 's'}, in ${summary.millis} ms`);
    });
  }

  it('push consumer (concurrent) receives every message with intact body, tags, keys and properties', async (t) => {
    assert.equal(runsDone.size, RUNS.length, 'the producer tests ran first');
    const onewayLost = onewayLostCount();
    const expectCount = TOTAL - onewayLost;
    const consumer = await startGo(
      'consumer',
      ['-namesrv', dev.namesrvAddr, '-topic', TOPIC, '-group', 'GO_CG_CONCURRENT', '-expect', String(expectCount), '-timeout', '60s'],
      { readyLine: /^READY$/ },
    );
    const report = await consumerReport(consumer, 90_000);
    assert.equal(report.status, 'DONE', `received ${report.distinct} of ${expectCount}:\n${consumer.describe()}`);

    const byKeys = new Map(report.received.map((m) => [m.keys, m]));
    const expected = RUNS.flatMap((run) => Array.from({ length: run.count }, (_, seq) => ({ run, seq })));
    const missing = expected.filter(({ run, seq }) => !byKeys.has(keysOf(run.mode, seq))).map(({ run, seq }) => keysOf(run.mode, seq));
    // Only oneway messages may be missing, exactly as many as the broker never stored.
    assert.deepEqual(
      missing.filter((keys) => !keys.startsWith('oneway-')),
      [],
    );
    assert.equal(missing.length, onewayLost, `missing: ${missing.join(', ')}`);
    if (onewayLost > 0) t.diagnostic(`issue 13: ${onewayLost} of ${COUNT} oneway messages never reached the broker (SendOneWay, then Shutdown)`);
    const positions = new Set<string>();
    for (const { run, seq } of expected) {
      if (!byKeys.has(keysOf(run.mode, seq))) continue;
      const keys = keysOf(run.mode, seq);
      const msg = byKeys.get(keys)!;
      const body = expectedBody(run.send, seq, run.size);
      assert.equal(msg.topic, TOPIC, keys);
      assert.equal(msg.body, body, keys);
      assert.equal(msg.bodyLength, Buffer.byteLength(body), keys);
      assert.equal(msg.bodySha256, sha256(body), keys);
      assert.equal(msg.tags, run.tag, keys);
      assert.equal(msg.properties.KEYS, keys, keys);
      assert.equal(msg.properties.TAGS, run.tag, keys);
      assert.equal(msg.properties.kind, run.send, keys);
      assert.equal(msg.properties.seq, String(seq), keys);
      assert.equal(msg.properties.note, NOTE, keys);
      for (const [key, value] of Object.entries(PROPS)) assert.equal(msg.properties[key], value, `${keys}: property ${key}`);
      assert.equal(msg.reconsumeTimes, 0, keys);
      assert.equal(msg.storeHost, dev.broker.brokerAddr, keys);
      assert.match(msg.offsetMsgId, /^[0-9A-F]{32}$/, keys);
      positions.add(`${msg.queueId}/${msg.queueOffset}`);

      const result = sent.get(keys);
      if (run.send === 'batch') {
        // The Go client gives a batch's messages no UNIQ_KEY (and the broker adds none, as Java's): the consumer's
        // msgId is then the offset message id.
        assert.equal(msg.msgId, msg.offsetMsgId, keys);
      } else {
        assert.ok(result !== undefined, keys);
        assert.equal(msg.msgId, result.msgId, `${keys}: msgId is the producer's UNIQ_KEY`);
        assert.equal(msg.properties.UNIQ_KEY, result.msgId, keys);
        if (run.send !== 'oneway') {
          assert.equal(msg.queueId, result.queueId, keys);
          assert.equal(msg.queueOffset, result.queueOffset, keys);
          assert.equal(msg.offsetMsgId, result.offsetMsgId, keys);
        }
      }
    }
    assert.equal(positions.size, expectCount, 'every message has its own queue position');
    t.diagnostic(`${report.received.length} deliveries of ${report.distinct} distinct messages in ${report.millis} ms`);
  });

  it('orderly push consumer receives each sharding key in send order, one delivery per queue at a time', async (t) => {
    // The Go orderly consumer locks each queue on the broker (LOCK_BATCH_MQ) before it pulls from it.
    const probe = await admin.invokeSync(
      dev.broker.brokerAddr,
      RemotingCommand.createRequestCommand(
        RequestCode.LOCK_BATCH_MQ,
        undefined,
        Buffer.from(JSON.stringify({ consumerGroup: 'GO_CG_PROBE', clientId: '127.0.0.1@probe', mqSet: [{ topic: ORDER_TOPIC, brokerName: 'broker-a', queueId: 0 }] })),
      ),
      5000,
    );
    const lockMissing = probe.code === ResponseCode.REQUEST_CODE_NOT_SUPPORTED;
    if (lockMissing) {
      t.todo(
        'LOCK_BATCH_MQ (41) / UNLOCK_BATCH_MQ (42) are not implemented yet (issue 6, next part): our broker answers ' +
          `${probe.code} "${probe.remark ?? ''}", the Go client reads no lockOKMQSet, never locks a queue and so never pulls`,
      );
    }

    const produced = await runGo(
      'producer',
      ['-namesrv', dev.namesrvAddr, '-topic', ORDER_TOPIC, '-group', 'GO_PG_ORDERLY', '-mode', 'sync', '-count', String(ORDER_COUNT), '-shards', String(SHARDS), '-keys', 'ord'],
      90_000,
    );
    const results = parseLines<SendResult | SendSummary>(produced.stdout).filter((line): line is SendResult => !('summary' in line));
    assert.equal(produced.code, 0, produced.describe());
    assert.equal(results.length, ORDER_COUNT);
    // The hash selector sends every message of a sharding key to one queue.
    const queueOfShard = new Map<string, number>();
    for (const result of results) {
      assert.equal(result.status, 'SEND_OK');
      const queue = queueOfShard.get(result.shard!) ?? result.queueId;
      assert.equal(result.queueId, queue, `${result.shard} stays on one queue`);
      queueOfShard.set(result.shard!, queue);
    }

    const consumer = await startGo(
      'consumer',
      ['-namesrv', dev.namesrvAddr, '-topic', ORDER_TOPIC, '-group', 'GO_CG_ORDERLY', '-orderly', '-expect', String(ORDER_COUNT), '-timeout', lockMissing ? '10s' : '60s'],
      { readyLine: /^READY$/ },
    );
    const report = await consumerReport(consumer, 90_000);
    assert.equal(report.status, 'DONE', `received ${report.distinct} of ${ORDER_COUNT}:\n${consumer.describe()}`);
    assert.deepEqual(report.overlapped, [], 'an orderly consumer never consumes one queue concurrently');
    const order = new Map<string, number[]>();
    for (const msg of report.received) {
      const shard = msg.properties.shard!;
      assert.equal(msg.queueId, queueOfShard.get(shard), `${shard} arrives from the queue it was sent to`);
      order.set(shard, [...(order.get(shard) ?? []), Number(msg.properties.shardSeq)]);
    }
    assert.equal(order.size, SHARDS);
    for (const [shard, seqs] of order) {
      assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i), `${shard} in send order`);
    }
    t.diagnostic(`${report.received.length} deliveries over ${new Set(queueOfShard.values()).size} queues in ${report.millis} ms`);
  });

  it('the Java push consumer receives what the Go producer sent', async (t) => {
    const java = await javaAvailable();
    if (!java.ok) {
      t.skip(`java or mvn missing: ${java.why}`);
      return;
    }
    assert.equal(runsDone.size, RUNS.length, 'the producer tests ran first');
    const onewayLost = onewayLostCount();
    const { classpath } = await buildInterop('5.3.3');
    const consumer = await startJava({
      mainClass: 'io.rocketmqts.interop.ConsumerDriver',
      args: ['--namesrv', dev.namesrvAddr, '--topic', TOPIC, '--group', 'JAVA_CG_FROM_GO', '--expect', String(TOTAL - onewayLost), '--timeout-ms', '60000'],
      classpath,
      readyLine: /^READY$/,
    });
    try {
      const finished = await consumer.waitForLine(/^(DONE|TIMEOUT) \d+$/, 90_000);
      const received = parseLines<{ topic: string; key: string; tags: string; body: string; kind: string; seq: string; note: string; msgId: string }>(consumer.stdout);
      const byKey = new Map(received.map((m) => [m.key, m]));
      assert.match(finished, /^DONE /, `received ${byKey.size} distinct keys`);
      let missingOneway = 0;
      for (const run of RUNS) {
        for (let seq = 0; seq < run.count; seq++) {
          const keys = keysOf(run.mode, seq);
          const msg = byKey.get(keys);
          if (msg === undefined && run.send === 'oneway') {
            missingOneway++; // never stored (see onewayLostCount)
            continue;
          }
          assert.ok(msg !== undefined, `${keys} missing`);
          assert.equal(msg.topic, TOPIC);
          assert.equal(msg.tags, run.tag, keys);
          assert.equal(msg.kind, run.send, keys);
          assert.equal(msg.seq, String(seq), keys);
          assert.equal(msg.note, NOTE, keys);
          assert.equal(msg.body, expectedBody(run.send, seq, run.size), keys);
          const result = sent.get(keys);
          if (result !== undefined && result.msgId !== '') assert.equal(msg.msgId, result.msgId, keys);
        }
      }
      assert.equal(missingOneway, onewayLost, 'every stored oneway message arrived');
      t.diagnostic(`${received.length} deliveries of ${byKey.size} distinct messages (${finished})`);
    } finally {
      await consumer.stop();
    }
  });

  // todo (issue 13, blocked): one run of this file in four to six loses 1 to 6 of 200 on this 2-core machine, and no
  // server-side change removes it. tcpdump of the loss: the Go client writes each request in four small writes, is
  // held by its congestion window while our kernel delays its ACKs (unread input), our answer to an earlier request
  // arrives, the process exits with that answer unread, so its close is a reset and its kernel discards what it had
  // not sent yet. The Java 5.3.3 broker stores 2000 of 2000 in the same loop, but not by reading faster: its kernel
  // delayed the ACK for 5 ms too; it answers these first sends of a new connection about 15 ms late, after the
  // client's close, which is then a clean FIN that delivers everything (1 answer in 50 came before the close). A
  // worker thread that read every connection (tried, session 8) still lost 5 of 200 and cost 20-30 % broker
  // throughput. What is lost never left the client: SendOneWay without the oneway flag, then an exit, is lossy
  // against any broker that answers within the client's burst.
  it('oneway: 20 Go producers in a row, each leaving right after its sends, lose nothing (issue 13)', { todo: 'issue 13: loses 2-6 of 200 in one run in four to six' }, async (t) => {
    // SendOneWay writes requests without the oneway flag and never reads the answers; the process exits at once.
    const topic = 'GoInteropOneway';
    await createTopic(topic, QUEUES);
    const producers = 20;
    for (let i = 0; i < producers; i++) {
      const args = ['-namesrv', dev.namesrvAddr, '-topic', topic, '-group', `GO_PG_ONEWAY_${i}`, '-mode', 'oneway', '-count', String(COUNT), '-tag', 'TagOneway'];
      const produced = await runGo('producer', args, 60_000);
      assert.equal(produced.code, 0, produced.describe());
    }
    const stored = (): number => storedIn(topic);
    const expected = producers * COUNT;
    const deadline = Date.now() + 10_000;
    while (stored() < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    t.diagnostic(`${stored()} of ${expected} oneway messages stored`);
    assert.equal(stored(), expected);
  });
});
