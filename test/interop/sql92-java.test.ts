/**
 * SQL92 filtering against RocketMQ 5.3.3 itself:
 *
 * 1. the case table (test/fixtures/sql92/cases.json) is what Java does: every expression compiled and evaluated by
 *    Java's own filter classes (interop Sql92Driver) gives the table's verdicts, and 4000 generated expressions get
 *    the same verdicts from Java and from us (one JVM run, no broker);
 * 2. a Java 5.3.3 push consumer with MessageSelector.bySql on our broker gets exactly the matching messages, and
 *    its start() fails with our answers to CHECK_CLIENT_CONFIG (1 with the switch off, 23 for a bad expression);
 * 3. our PushConsumer and LitePullConsumer with SQL92 selectors on the Java 5.3.3 broker (enablePropertyFilter=true;
 *    our name server) get exactly the matching messages, and start() fails with the Java broker's codes and
 *    remarks; what the Java broker does with a pull carrying an expression that does not compile is recorded.
 *
 * Skipped (loudly) without java and mvn, unless CI is set.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import {
  LitePullConsumer,
  MessageSelector,
  MQClientError,
  MQClientManager,
  Producer,
  PushConsumer,
  type ConsumerMessage,
} from '../../src/client/index.js';
import { compileSql92, MQFilterError } from '../../src/filter/index.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import { decodeStoredMessages, RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/index.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { buildInterop, interopSkip, runJava, startJavaBroker, type JavaServer } from '../helpers/java.js';
import { generateSql92Cases, loadSql92Cases, verdict, type Sql92Case } from '../helpers/sql92-cases.js';

const skip = await interopSkip();

interface JavaVerdict {
  i: number;
  compiled: boolean;
  message?: string;
  results?: string[];
  errors?: (string | null)[];
}

/** Java's verdict on every case, from one run of Sql92Driver. */
async function javaVerdicts(cases: readonly Sql92Case[]): Promise<JavaVerdict[]> {
  const { classpath } = await buildInterop('5.3.3');
  const dir = await mkdtemp(path.join(tmpdir(), 'rmqts-sql92-'));
  try {
    const file = path.join(dir, 'cases.json');
    await writeFile(file, JSON.stringify({ cases }));
    const { code, stdout, stderr } = await runJava({ mainClass: 'io.rocketmqts.interop.Sql92Driver', classpath, args: ['--cases', file], timeoutMs: 120_000 });
    assert.equal(code, 0, stderr);
    const lines = stdout.split('\n').filter((line) => line.startsWith('{'));
    assert.match(stdout, new RegExp(`DONE ${cases.length}`));
    return lines.map((line) => JSON.parse(line) as JavaVerdict);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Our verdict in the driver's terms: compiled or not, and the outcome of each check. */
function ourVerdict(c: Sql92Case): { compiled: boolean; results: string[] } {
  try {
    const expression = compileSql92(c.sql);
    return { compiled: true, results: (c.checks ?? []).map(([props]) => verdict(expression.evaluate(new Map(Object.entries(props))))) };
  } catch (err) {
    if (!(err instanceof MQFilterError)) throw err;
    return { compiled: false, results: [] };
  }
}

describe('SQL92 selectors: the case table and generated expressions against Java 5.3.3', { skip, timeout: 10 * 60_000 }, () => {
  it('Java gives every verdict of the table, and the same verdicts as ours on 4000 generated expressions', async () => {
    const table = loadSql92Cases();
    const generated = generateSql92Cases(4000, 20250915);
    const java = await javaVerdicts([...table, ...generated]);
    assert.equal(java.length, table.length + generated.length);

    const tableMismatches: string[] = [];
    for (const [i, c] of table.entries()) {
      const j = java[i] as JavaVerdict;
      const expected = c.error === true ? 'does not compile' : (c.checks ?? []).map(([, v]) => v).join(',');
      const actual = j.compiled ? (j.results ?? []).join(',') : 'does not compile';
      if (expected !== actual) tableMismatches.push(`#${i} ${JSON.stringify(c.sql)}: table ${expected}, Java ${actual} ${j.message ?? JSON.stringify(j.errors)}`);
    }
    assert.deepEqual(tableMismatches, []);

    const differences: string[] = [];
    let compiled = 0;
    for (const [k, c] of generated.entries()) {
      const j = java[table.length + k] as JavaVerdict;
      if (j.compiled) compiled++;
      const ours = ourVerdict(c);
      const javaText = j.compiled ? (j.results ?? []).join(',') : 'does not compile';
      const ourText = ours.compiled ? ours.results.join(',') : 'does not compile';
      if (javaText !== ourText) differences.push(`${JSON.stringify(c.sql)} ${JSON.stringify(c.checks?.map(([p]) => p))}: Java ${javaText}, ours ${ourText}`);
    }
    assert.deepEqual(differences.slice(0, 20), []);
    // Enough of them compile for the evaluations to mean something.
    assert.ok(compiled > 1500, `only ${compiled} generated expressions compile`);
  });
});

/** What every broker test sends: a in 0..7 and some without a number, tags alternating; keys k0, k1, ... */
const MESSAGES: readonly Record<string, string>[] = [
  { a: '0', TAGS: 'TagA' },
  { a: '3', TAGS: 'TagB', region: 'eu-west' },
  { a: '4', TAGS: 'TagA' },
  { a: '5', TAGS: 'TagB' },
  { a: '6', TAGS: 'TagA', region: 'eu-north' },
  { a: '4.5', TAGS: 'TagB' },
  { a: 'x', TAGS: 'TagA' },
  { TAGS: 'TagA' },
  { a: '+4', TAGS: 'TagB', region: 'us-east' },
];
/** Keys of the messages `a BETWEEN 3 AND 5` delivers (Integer.valueOf reads +4; 4.5 and x are no Integers). */
const BETWEEN_KEYS = ['k1', 'k2', 'k3', 'k8'];
/** Keys of `(TAGS = 'TagA' AND a > 3) OR region STARTSWITH 'eu'`. */
const MIXED_KEYS = ['k1', 'k2', 'k4'];

async function sendMessages(producer: Producer, topic: string): Promise<void> {
  for (const [i, { TAGS, ...properties }] of MESSAGES.entries()) {
    await producer.send({ topic, body: `m${i}`, tags: TAGS, keys: [`k${i}`], properties });
  }
}

/** Runs the Java push consumer (ConsumerDriver) to completion; its keys, or its START_FAILED line. */
async function javaConsumer(namesrvAddr: string, topic: string, group: string, sql: string, expect: number): Promise<{ keys: string[]; failed?: string }> {
  const { classpath } = await buildInterop('5.3.3');
  const args = ['--namesrv', namesrvAddr, '--topic', topic, '--group', group, '--sql', sql, '--expect', String(expect), '--timeout-ms', '60000', '--settle-ms', '1000'];
  const { code, stdout, stderr } = await runJava({ mainClass: 'io.rocketmqts.interop.ConsumerDriver', args, classpath, timeoutMs: 120_000 });
  const failed = stdout.split('\n').find((line) => line.startsWith('START_FAILED'));
  if (failed !== undefined) {
    assert.equal(code, 3);
    return { keys: [], failed };
  }
  assert.equal(code, 0, `${stdout}\n${stderr}`);
  const keys = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => (JSON.parse(line) as { key: string }).key);
  return { keys: keys.sort() };
}

describe('a Java 5.3.3 consumer with SQL92 selectors on our broker', { skip, timeout: 10 * 60_000 }, () => {
  let dir: string;
  let namesrv: NamesrvController;
  let broker: BrokerController;
  let namesrvAddr: string;
  let producer: Producer;
  const manager = new MQClientManager();

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'rmqts-sql92-ours-'));
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    broker = await startTestBroker(dir, namesrvAddr, { broker: { enablePropertyFilter: true } });
    producer = new Producer({ nameServer: namesrvAddr, group: 'SqlInteropPG', clientIP: '127.0.0.1', clientManager: manager });
    await producer.start();
  });

  after(async () => {
    await producer?.shutdown();
    await broker?.shutdown();
    await namesrv?.shutdown();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('receives exactly the matching messages; start() fails with code 1 when the switch is off, 23 for a bad expression', async () => {
    const topic = 'SqlJavaOnOurs';
    await sendMessages(producer, topic);
    const got = await javaConsumer(namesrvAddr, topic, 'SqlJavaCG', 'a BETWEEN 3 AND 5', BETWEEN_KEYS.length);
    assert.deepEqual(got.keys, BETWEEN_KEYS);

    const bad = await javaConsumer(namesrvAddr, topic, 'SqlJavaBadCG', "a > 3 AND b = 'x' OR", 1);
    assert.match(bad.failed ?? '', /^START_FAILED 23 Invalid MessageSelector\. Encountered the end of the expression/);

    await broker.updateConfig(new Map([['enablePropertyFilter', 'false']]));
    try {
      const off = await javaConsumer(namesrvAddr, topic, 'SqlJavaOffCG', 'a = 1', 1);
      assert.equal(off.failed, 'START_FAILED 1 The broker does not support consumer to filter message by SQL92');
    } finally {
      await broker.updateConfig(new Map([['enablePropertyFilter', 'true']]));
    }
  });
});

describe('our consumers with SQL92 selectors on the Java 5.3.3 broker', { skip, timeout: 10 * 60_000 }, () => {
  let dir: string;
  let namesrv: NamesrvController;
  let namesrvAddr: string;
  let javaBroker: JavaServer;
  let producer: Producer;
  let raw: RemotingClient;
  const manager = new MQClientManager();
  const topic = 'SqlOursOnJava';
  const options = (group: string) => ({ nameServer: namesrvAddr, group, clientIP: '127.0.0.1', clientManager: manager, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' as const });

  async function updateJavaBrokerConfig(key: string, value: string): Promise<void> {
    const request = RemotingCommand.createRequestCommand(RequestCode.UPDATE_BROKER_CONFIG, undefined, Buffer.from(`${key}=${value}\n`));
    const response = await raw.invokeSync(javaBroker.addr, request, 10_000);
    assert.equal(response.code, ResponseCode.SUCCESS, response.remark);
  }

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'rmqts-sql92-java-'));
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    javaBroker = await startJavaBroker({ namesrvAddr, brokerName: 'broker-java', config: { enablePropertyFilter: true } });
    raw = new RemotingClient();
    await raw.start();
    producer = new Producer({ nameServer: namesrvAddr, group: 'SqlOnJavaPG', clientIP: '127.0.0.1', clientManager: manager });
    await producer.start();
    // The broker registers with the name server shortly after "boot success".
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await sendMessages(producer, topic);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  });

  after(async () => {
    await producer?.shutdown();
    await raw?.shutdown();
    await javaBroker?.stop();
    await namesrv?.shutdown();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('our PushConsumer and LitePullConsumer get exactly the matching messages', async () => {
    const push = new PushConsumer(options('SqlOursPushCG'));
    const pushed: ConsumerMessage[] = [];
    push.subscribe(topic, MessageSelector.bySql('a BETWEEN 3 AND 5'), (msg) => void pushed.push(msg));
    const lite = new LitePullConsumer(options('SqlOursLiteCG'));
    lite.subscribe(topic, MessageSelector.bySql("(TAGS = 'TagA' AND a > 3) OR region STARTSWITH 'eu'"));
    await push.start();
    await lite.start();
    try {
      const polled: ConsumerMessage[] = [];
      const deadline = Date.now() + 30_000;
      while ((polled.length < MIXED_KEYS.length || pushed.length < BETWEEN_KEYS.length) && Date.now() < deadline) polled.push(...(await lite.poll(500)));
      polled.push(...(await lite.poll(1000)));
      assert.deepEqual(pushed.map((m) => m.keys.join(' ')).sort(), BETWEEN_KEYS);
      assert.deepEqual(polled.map((m) => m.keys.join(' ')).sort(), MIXED_KEYS);
    } finally {
      await push.shutdown();
      await lite.shutdown();
    }
  });

  it("start() fails with the Java broker's codes and remarks: 23 for a bad expression, 1 with the switch off", async () => {
    const bad = new PushConsumer(options('SqlOursBadCG'));
    bad.subscribe(topic, MessageSelector.bySql('a >'), () => undefined);
    let remark = '';
    await assert.rejects(bad.start(), (err: unknown) => {
      assert.ok(err instanceof MQClientError);
      assert.equal(err.responseCode, ResponseCode.SUBSCRIPTION_PARSE_FAILED);
      remark = err.message;
      return true;
    });
    // Java's remark is the JavaCC exception, ours names the same place.
    assert.match(remark, /^CODE: 23 {2}DESC: org\.apache\.rocketmq\.filter\.parser\.ParseException: Encountered "<EOF>" at line 1, column 3/);

    await updateJavaBrokerConfig('enablePropertyFilter', 'false');
    try {
      const off = new LitePullConsumer(options('SqlOursOffCG'));
      off.subscribe(topic, MessageSelector.bySql('a = 1'));
      await assert.rejects(off.start(), (err: unknown) => {
        assert.ok(err instanceof MQClientError);
        assert.equal(err.responseCode, ResponseCode.SYSTEM_ERROR);
        assert.equal(err.message, 'CODE: 1  DESC: The broker does not support consumer to filter message by SQL92');
        return true;
      });
    } finally {
      await updateJavaBrokerConfig('enablePropertyFilter', 'true');
    }
  });

  it('records what Java does with a pull carrying an expression that does not compile: it filters nothing', async () => {
    const header = {
      consumerGroup: 'SqlRawJavaCG',
      topic,
      queueId: 0,
      queueOffset: 0,
      maxMsgNums: 32,
      sysFlag: 0x4,
      commitOffset: 0,
      suspendTimeoutMillis: 0,
      subscription: 'a >',
      subVersion: Date.now(),
      expressionType: 'SQL92',
    };
    let delivered = 0;
    for (let queueId = 0; queueId < 8; queueId++) {
      const response = await raw.invokeSync(javaBroker.addr, RemotingCommand.createRequestCommand(RequestCode.PULL_MESSAGE, { ...header, queueId }), 10_000);
      if (response.code === ResponseCode.SUCCESS && response.body !== undefined) delivered += decodeStoredMessages(response.body).length;
      assert.notEqual(response.code, ResponseCode.SUBSCRIPTION_PARSE_FAILED, 'Java (assertions off) builds no filter and reads on');
    }
    // Every stored message comes back: our broker answers SUBSCRIPTION_PARSE_FAILED instead (test/integration/sql92-filter.test.ts).
    assert.equal(delivered, MESSAGES.length);
  });
});
