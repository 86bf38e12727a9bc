/**
 * Our name server + broker (`rocketmq-ts dev`, in-process) with the real Apache RocketMQ clients: a Java
 * DefaultMQProducer sends sync, async, oneway, batch and compressed messages, in JSON and in ROCKETMQ headers, and
 * a Java DefaultMQPushConsumer (long polling on our broker) receives every one intact; mqadmin creates the topic
 * and reads it back (updateTopic, topicList, topicStatus, queryMsgById).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDev, type DevCluster } from '../../src/cli/dev.js';
import { silentLogger } from '../../src/common/logger.js';
import { buildInterop, interopSkip, runJava, runMqAdmin, startJava, type RocketMQVersion } from '../helpers/java.js';

const skip = await interopSkip();
const COUNT = 10;
const KINDS = ['sync', 'async', 'oneway', 'batch'] as const;
const TAGS: Record<string, string> = { sync: 'TagSync', async: 'TagAsync', oneway: 'TagOneway', batch: 'TagBatch', big: 'TagBig' };

/** InteropMessages.body, as the Java side builds it. */
function expectedBody(kind: string, seq: number): string {
  const key = `${kind}-${seq}`;
  if (kind !== 'big') return `body of ${key}`;
  let body = '';
  while (body.length < 8192) body += `big body of ${key} `;
  return body.slice(0, 8192);
}

function expectedKeys(): string[] {
  return [...KINDS.flatMap((kind) => Array.from({ length: COUNT }, (_, i) => `${kind}-${i}`)), 'big-0'];
}

interface SendReport {
  results: { kind: string; key: string; status: string; msgId: string; offsetMsgId: string; queueId: number; queueOffset: number; regionId: string }[];
  errors: string[];
}

interface Received {
  topic: string;
  key: string;
  tags: string;
  body: string;
  kind: string;
  seq: string;
  note: string;
  msgId: string;
  queueId: number;
  queueOffset: number;
}

for (const version of ['5.3.3', '4.9.8'] as const satisfies readonly RocketMQVersion[]) {
  describe(`Java ${version} clients with our name server and broker`, { skip, timeout: 15 * 60_000 }, () => {
    let dir: string;
    let dev: DevCluster;
    let classpath: string;
    const offsetMsgIds = new Map<string, string>();

    const mqadmin = async (args: string[]): Promise<string> => {
      const result = await runMqAdmin(args, { version, timeoutMs: 90_000 });
      const out = `${result.stdout}\n${result.stderr}`;
      assert.equal(result.code, 0, `mqadmin ${args.join(' ')}:\n${out}`);
      return out;
    };

    before(async () => {
      ({ classpath } = await buildInterop(version));
      dir = await mkdtemp(join(tmpdir(), `rmq-java-${version}-`));
      dev = await startDev({ namesrvPort: 0, brokerPort: 0, dataDir: dir, brokerIP: '127.0.0.1', logger: silentLogger });
    });
    after(async () => {
      await dev?.stop();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });

    for (const serialize of ['JSON', 'ROCKETMQ'] as const) {
      const topic = `Interop_${version.replaceAll('.', '')}_${serialize}`;

      it(`${serialize} headers: mqadmin updateTopic, then every message the producer sends reaches the push consumer intact`, async (t) => {
        const created = await mqadmin(['updateTopic', '-n', dev.namesrvAddr, '-b', dev.broker.brokerAddr, '-t', topic, '-r', '4', '-w', '4']);
        assert.match(created, /success/i);

        const jvmArgs = [`-Drocketmq.serialize.type=${serialize}`];
        const consumer = await startJava({
          mainClass: 'io.rocketmqts.interop.ConsumerDriver',
          args: ['--namesrv', dev.namesrvAddr, '--topic', topic, '--group', `CG_${serialize}`, '--expect', String(expectedKeys().length), '--timeout-ms', '90000', '--serialize', serialize],
          classpath,
          jvmArgs,
          readyLine: /^READY$/,
        });
        try {
          const produced = await runJava({
            mainClass: 'io.rocketmqts.interop.ProducerDriver',
            args: ['--namesrv', dev.namesrvAddr, '--topic', topic, '--group', `PG_${serialize}`, '--count', String(COUNT), '--serialize', serialize],
            classpath,
            jvmArgs,
            timeoutMs: 120_000,
          });
          const line = produced.stdout.split('\n').find((l) => l.startsWith('{'));
          assert.ok(line !== undefined, `producer output:\n${produced.stdout}\n${produced.stderr}`);
          const report = JSON.parse(line) as SendReport;
          assert.deepEqual(report.errors, []);
          assert.equal(produced.code, 0);
          assert.equal(report.results.length, 2 * COUNT + 2);
          for (const result of report.results) {
            assert.equal(result.status, 'SEND_OK', `${result.key}: ${result.status}`);
            assert.equal(result.regionId, 'DefaultRegion');
            assert.match(result.offsetMsgId, /^[0-9A-F]{32}(,[0-9A-F]{32})*$/);
            if (result.kind !== 'batch') offsetMsgIds.set(`${serialize}:${result.key}`, result.offsetMsgId);
          }

          const finished = await consumer.waitForLine(/^(DONE|TIMEOUT) \d+$/, 120_000);
          const received = consumer.stdout
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .map((l) => JSON.parse(l) as Received);
          const byKey = new Map(received.map((m) => [m.key, m]));
          const missing = expectedKeys().filter((key) => !byKey.has(key));
          assert.deepEqual(missing, [], `${finished}; received ${byKey.size} distinct keys`);
          for (const [key, msg] of byKey) {
            const [kind, seq] = key.split('-') as [string, string];
            assert.equal(msg.topic, topic);
            assert.equal(msg.tags, TAGS[kind], key);
            assert.equal(msg.kind, kind, key);
            assert.equal(msg.seq, seq, key);
            assert.equal(msg.note, 'h\u00e9llo \u2713', key);
            assert.equal(msg.body, expectedBody(kind, Number(seq)), key);
          }
          for (const result of report.results) {
            if (result.kind === 'sync' || result.kind === 'big') assert.equal(byKey.get(result.key)?.msgId, result.msgId, `${result.key}: msgId is UNIQ_KEY`);
          }
          t.diagnostic(`${received.length} deliveries of ${byKey.size} distinct messages (${finished})`);
        } finally {
          await consumer.stop();
        }
      });

      it(`${serialize}: mqadmin topicList, topicStatus and queryMsgById read the topic back`, async () => {
        const list = await mqadmin(['topicList', '-n', dev.namesrvAddr]);
        assert.match(list, new RegExp(`^${topic}$`, 'm'));

        const status = await mqadmin(['topicStatus', '-n', dev.namesrvAddr, '-t', topic]);
        const rows = status.split('\n').filter((l) => l.trim().startsWith('broker-a'));
        assert.equal(rows.length, 4, status);
        const total = rows.reduce((sum, row) => sum + Number(row.trim().split(/\s+/)[3]), 0);
        assert.equal(total, expectedKeys().length, status);

        const offsetMsgId = offsetMsgIds.get(`${serialize}:sync-0`);
        assert.ok(offsetMsgId !== undefined, 'the send test ran first');
        // 5.x wants the topic too (-t); 4.9 has no such option.
        const topicArgs = version === '4.9.8' ? [] : ['-t', topic];
        const byId = await mqadmin(['queryMsgById', '-n', dev.namesrvAddr, ...topicArgs, '-i', offsetMsgId]);
        assert.match(byId, new RegExp(`Topic:\\s+${topic}`));
        assert.match(byId, /Keys:\s+\[?sync-0\]?/);
        assert.match(byId, /Tags:\s+\[?TagSync\]?/);
      });
    }
  });
}
