/**
 * The Java TransactionMQProducer (5.3.3 and 4.9.8) against our broker (issue 14): a committed message reaches a
 * Java push consumer once, a rolled-back one never, UNKNOW then COMMIT on the second check is delivered once with
 * TRANSACTION_CHECK_TIMES=2, an always-UNKNOW one is checked exactly transactionCheckMax times and lands in
 * TRANS_CHECK_MAX_TIME_TOPIC; the checks arrive oneway with the 5.x header. One broker for both versions (each
 * version its own topic and group), checks every second once a half message is 2 s old. The expectations are what
 * the Java 5.3.3 and 4.9.7 brokers do with the same producer (shared/reference/rocketmq-features-5x.md, 1.4 and 1.7).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import type { MessageExt } from '../../src/protocol/message/index.js';
import { Admin, MQClientManager } from '../../src/index.js';
import { startBrokerProcess, type RunningBroker } from '../helpers/broker-process.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { buildInterop, freePort, javaAvailable, startJava, type JavaProcess, type RocketMQVersion } from '../helpers/java.js';
import { waitFor } from '../helpers/wait.js';

const java = await javaAvailable();
const CHECK_MAX = 3;
const OUTCOMES = ['commit', 'rollback', 'unknown-commit', 'unknown', 'throw'];

interface Line {
  event?: string;
  key?: string;
  n?: number;
  answer?: string;
  topic?: string;
  queueId?: number;
  checkTimes?: string;
  sendStatus?: string;
  localState?: string;
  transactionId?: string | null;
  error?: string;
  oneway?: boolean;
  extFields?: Record<string, string>;
  properties?: Record<string, string>;
  sysFlag?: number;
}

const parse = (stdout: string): Line[] =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);

describe('Java TransactionMQProducer with our broker', { skip: java.ok ? false : `java or mvn missing: ${java.why}`, timeout: 5 * 60_000 }, () => {
  let dir: string;
  let namesrv: NamesrvController;
  let namesrvAddr: string;
  let broker: BrokerController;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-tx-java-'));
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    broker = await startTestBroker(dir, namesrvAddr, {
      // transactionTimeOut past the producer's first heartbeat (1 s after its start; 4.9.8 sends none before): a
      // check with no producer online still counts, as in Java, and would shift TRANSACTION_CHECK_TIMES.
      broker: { transactionCheckInterval: 1000, transactionTimeOut: 2000, transactionCheckMax: CHECK_MAX, transactionOpBatchInterval: 200 },
    });
  });
  after(async () => {
    await broker?.shutdown();
    await namesrv?.shutdown();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  /** The messages of `topic` with `key` that the check gave up on. */
  const discardedFrom = (topic: string, key: string): MessageExt[] =>
    broker.messageStore
      .iterateConsumeQueue('TRANS_CHECK_MAX_TIME_TOPIC', 0, 0, 1000)
      .map((unit) => broker.messageStore.lookMessageByOffset(unit.pos))
      .filter((m): m is MessageExt => m?.keys === key && m.getProperty('REAL_TOPIC') === topic);

  for (const version of ['5.3.3', '4.9.8'] as const satisfies readonly RocketMQVersion[]) {
    it(`${version}: commit, rollback, UNKNOW then commit on a check, always UNKNOW, and a throwing local transaction`, async (t) => {
      const { classpath } = await buildInterop(version);
      const topic = `TxJava_${version.replace(/\./g, '')}`;
      const discarded = (key: string): MessageExt[] => discardedFrom(topic, key);
      const consumer = await startJava({
        mainClass: 'io.rocketmqts.interop.ConsumerDriver',
        args: ['--namesrv', namesrvAddr, '--topic', topic, '--group', `TxCG_${version.replace(/\./g, '')}`, '--expect', '2', '--timeout-ms', '60000'],
        classpath,
        readyLine: /^READY$/,
        name: `tx-consumer-${version}`,
      });
      const producer = await startJava({
        mainClass: 'io.rocketmqts.interop.TransactionProducerDriver',
        args: ['--namesrv', namesrvAddr, '--topic', topic, '--group', `TxPG_${version.replace(/\./g, '')}`, '--outcomes', OUTCOMES.join(','), '--linger-ms', '60000'],
        classpath,
        readyLine: /^SENT$/,
        name: `tx-producer-${version}`,
      });
      try {
        // Every outcome is settled once the always-UNKNOW message was discarded (the throwing one too: UNKNOW).
        const keyOf = (outcome: string): string => `tx-${outcome}-${OUTCOMES.indexOf(outcome)}`;
        const deadline = Date.now() + 60_000;
        while ((discarded(keyOf('unknown')).length === 0 || discarded(keyOf('throw')).length === 0) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        const received = await consumer.waitForLine(/^(DONE|TIMEOUT) \d+$/, 60_000);
        const lines = parse(producer.stdout);
        const sends = lines.filter((l) => l.event === 'send');
        assert.equal(sends.length, OUTCOMES.length, producer.stdout);
        for (const send of sends) {
          assert.equal(send.error, undefined, send.error);
          assert.equal(send.sendStatus, 'SEND_OK', send.key);
          // 5.x brokers answer the UNIQ_KEY as transactionId; ours does for both clients.
          assert.ok(send.transactionId !== undefined && send.transactionId !== null && send.transactionId !== '', `${send.key}: transactionId`);
        }
        assert.deepEqual(
          sends.map((s) => s.localState),
          ['COMMIT_MESSAGE', 'ROLLBACK_MESSAGE', 'UNKNOW', 'UNKNOW', 'UNKNOW'],
        );

        const checksOf = (outcome: string): Line[] => lines.filter((l) => l.event === 'check' && l.key === keyOf(outcome));
        assert.equal(checksOf('commit').length, 0, 'a committed message is never checked');
        assert.equal(checksOf('rollback').length, 0, 'nor a rolled-back one');
        assert.deepEqual(checksOf('unknown-commit').map((c) => [c.n, c.answer, c.checkTimes]), [[1, 'UNKNOW', '1'], [2, 'COMMIT_MESSAGE', '2']]);
        assert.equal(checksOf('unknown').length, CHECK_MAX, 'exactly transactionCheckMax checks');
        assert.equal(checksOf('throw').length, CHECK_MAX);
        for (const check of checksOf('unknown')) {
          assert.equal(check.topic, topic, 'the checked message shows its real topic');
        }
        const hooks = lines.filter((l) => l.event === 'hook');
        assert.ok(hooks.length >= 2 * CHECK_MAX + 2, `${hooks.length} CHECK_TRANSACTION_STATE requests`);
        for (const hook of hooks) {
          assert.equal(hook.oneway, true, 'CHECK_TRANSACTION_STATE is oneway');
          for (const field of ['tranStateTableOffset', 'commitLogOffset', 'msgId', 'transactionId', 'offsetMsgId', 'topic', 'bname']) {
            assert.ok(hook.extFields?.[field] !== undefined, `check header field ${field}`);
          }
          assert.equal(hook.extFields?.['topic'], 'RMQ_SYS_TRANS_HALF_TOPIC');
        }

        assert.match(received, /^DONE /, consumer.stdout);
        const delivered = parse(consumer.stdout);
        assert.deepEqual(delivered.map((d) => d.key).sort(), [keyOf('commit'), keyOf('unknown-commit')].sort(), 'exactly the two committed ones, once each');
        for (const msg of delivered) {
          assert.equal((msg.sysFlag ?? 0) & 0xc, 8, `${msg.key}: the commit type`);
          assert.equal(msg.properties?.['TRAN_MSG'], 'true', msg.key);
          assert.equal(msg.properties?.['REAL_TOPIC'], topic, msg.key);
          assert.ok(msg.properties?.['PGROUP'] !== undefined, msg.key);
        }
        assert.equal(delivered.find((d) => d.key === keyOf('unknown-commit'))?.properties?.['TRANSACTION_CHECK_TIMES'], '2');
        assert.equal(discarded(keyOf('unknown')).length, 1);
        assert.equal(discarded(keyOf('unknown-commit')).length, 0);
        t.diagnostic(`${hooks.length} checks sent; ${delivered.length} delivered`);
      } finally {
        await producer.stop();
        await consumer.stop();
      }
    });
  }
});

/**
 * The failures a transaction must outlive, with Java producers and our broker in a child process (so that it can be
 * killed): a producer killed after its send (the check reaches the other member of its group), and the broker
 * killed with SIGKILL (5.3.3 producer) or stopped with SIGTERM (4.9.8 producer) between a send and its check, then
 * restarted on the same port and store. Each message is left UNKNOW at the send and committed on the first check its
 * producer gets; a 5.3.3 push consumer must receive each exactly once. Producers heartbeat every second, so the
 * restarted broker soon knows them again; checks before that find no producer and still count, as in Java.
 */
describe('Java TransactionMQProducer: a killed producer, a restarted broker', { skip: java.ok ? false : `java or mvn missing: ${java.why}`, timeout: 5 * 60_000 }, () => {
  const topic = 'TxJavaFailures';
  let dir: string;
  let conf: string;
  let namesrv: NamesrvController;
  let namesrvAddr: string;
  let broker: RunningBroker;
  let consumer: JavaProcess;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-tx-java-failures-'));
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    conf = join(dir, 'broker.conf');
    await writeFile(
      conf,
      [
        'brokerName=tx-failures',
        'brokerIP1=127.0.0.1',
        'bindAddress=127.0.0.1',
        `listenPort=${await freePort()}`,
        `namesrvAddr=${namesrvAddr}`,
        `storePathRootDir=${join(dir, 'store')}`,
        'mappedFileSizeCommitLog=1048576',
        'transactionCheckInterval=1000',
        'transactionTimeOut=2000',
        'transactionOpBatchInterval=200',
        '',
      ].join('\n'),
    );
    broker = await startBrokerProcess(conf);
    // The topic exists before the consumer starts: it would learn a later one's route only on its next poll (30 s).
    const admin = new Admin({ nameServer: namesrvAddr, clientIP: '127.0.0.1', clientManager: new MQClientManager() });
    await admin.start();
    try {
      await admin.createTopic({ brokerAddr: broker.addr }, topic);
    } finally {
      await admin.shutdown();
    }
    const { classpath } = await buildInterop('5.3.3');
    consumer = await startJava({
      mainClass: 'io.rocketmqts.interop.ConsumerDriver',
      args: ['--namesrv', namesrvAddr, '--topic', topic, '--group', 'TxFailuresCG', '--expect', '4', '--timeout-ms', '240000'],
      classpath,
      readyLine: /^READY$/,
      name: 'tx-failures-consumer',
    });
  });
  after(async () => {
    await consumer?.stop();
    broker?.child.kill('SIGKILL');
    await broker?.exit;
    await namesrv?.shutdown();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const producer = async (version: RocketMQVersion, group: string, extra: string[]): Promise<JavaProcess> =>
    startJava({
      mainClass: 'io.rocketmqts.interop.TransactionProducerDriver',
      args: ['--namesrv', namesrvAddr, '--topic', topic, '--group', group, '--heartbeat-ms', '1000', '--linger-ms', '120000', ...extra],
      classpath: (await buildInterop(version)).classpath,
      readyLine: /^SENT$/,
      name: `tx-${group}`,
    });
  const checksIn = (p: JavaProcess, key: string): Line[] => parse(p.stdout).filter((l) => l.event === 'check' && l.key === key);
  const delivered = (key: string): Line[] => parse(consumer.stdout).filter((l) => l.key === key);
  const sentOk = (p: JavaProcess, localState = 'UNKNOW'): void => {
    const sends = parse(p.stdout).filter((l) => l.event === 'send');
    assert.deepEqual(sends.map((s) => [s.sendStatus, s.localState]), [['SEND_OK', localState]], p.stdout);
  };

  it('5.3.3: the check reaches the live member of the group when the sender was killed', async () => {
    const key = 'tx-check-commit-0';
    // The live member sends a transaction of its own first: a 5.3.3 producer that never sent knows no broker (no
    // route), so it heartbeats to none and no broker can check it, Java's or ours.
    const live = await producer('5.3.3', 'TxKillPG', ['--instance', 'live', '--outcomes', 'commit', '--first-index', '3']);
    const doomed = await producer('5.3.3', 'TxKillPG', ['--instance', 'doomed', '--outcomes', 'check-commit', '--first-index', '0']);
    try {
      sentOk(live, 'COMMIT_MESSAGE');
      sentOk(doomed);
      process.kill(doomed.pid, 'SIGKILL');
      await doomed.exit;
      assert.equal(checksIn(doomed, key).length, 0, 'killed before any check');
      await waitFor(() => delivered(key).length > 0, 60_000, `${key} delivered`).catch((error: unknown) => {
        throw new Error(`${String(error)}\nlive member:\n${live.stdout}\nkilled one:\n${doomed.stdout}`);
      });
      assert.deepEqual(checksIn(live, key).map((c) => c.answer), ['COMMIT_MESSAGE'], live.stdout);
    } finally {
      await doomed.stop();
      await live.stop();
    }
  });

  for (const [version, signal, index] of [
    ['5.3.3', 'SIGKILL', 1],
    ['4.9.8', 'SIGTERM', 2],
  ] as const) {
    it(`${version}: the broker ${signal === 'SIGKILL' ? 'killed with SIGKILL' : 'stopped with SIGTERM'} between the send and the check still checks it, and the commit holds`, async () => {
      const key = `tx-check-commit-${index}`;
      const p = await producer(version, `TxRestart${signal}PG`, ['--outcomes', 'check-commit', '--first-index', String(index)]);
      try {
        sentOk(p);
        broker.child.kill(signal);
        const code = await broker.exit;
        assert.equal(checksIn(p, key).length, 0, 'stopped before any check');
        if (signal === 'SIGTERM') assert.equal(code, 0, 'a clean stop');
        broker = await startBrokerProcess(conf);
        await waitFor(() => delivered(key).length > 0, 90_000, `${key} delivered`);
        const checks = checksIn(p, key);
        assert.deepEqual(checks.map((c) => c.answer), ['COMMIT_MESSAGE'], p.stdout);
        assert.ok(Number(checks[0]?.checkTimes) >= 1, 'TRANSACTION_CHECK_TIMES counts the checks');
      } finally {
        await p.stop();
      }
    });
  }

  it('delivered each committed message once', async () => {
    const done = await consumer.waitForLine(/^(DONE|TIMEOUT) \d+$/, 30_000);
    assert.match(done, /^DONE 4$/, consumer.stdout);
    const keys = parse(consumer.stdout).map((l) => l.key);
    assert.deepEqual(keys.sort(), ['tx-check-commit-0', 'tx-check-commit-1', 'tx-check-commit-2', 'tx-commit-3'], 'once each');
  });
});
