/**
 * Self-test of the Java interop harness: builds interop/, starts the real Apache RocketMQ name server and broker and
 * checks with mqadmin that the broker registered. Skipped (loudly) without java and mvn, unless CI is set.
 *
 * With 5.3.3 the same JVMs then carry the mixed cluster of issue 19 (ha-replication.md §6, M1 and M2): the Java
 * broker (group a) and our broker (group b, a process of its own) in one cluster, both registered with the Java
 * name server and with ours; a topic created on the cluster by mqadmin, sent to by the Java, Go and TS producers,
 * consumed by one group; our broker killed with SIGKILL while sends go on.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Producer, PushConsumer } from '../../src/client/index.js';
import type { TopicRouteData } from '../../src/protocol/bodies/index.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import { startBrokerProcess, type RunningBroker } from '../helpers/broker-process.js';
import { startTestNamesrv } from '../helpers/cluster.js';
import { goInteropSkip, runGo } from '../helpers/go.js';
import {
  buildInterop,
  freeBrokerPort,
  interopSkip,
  runJava,
  runMqAdmin,
  startJavaBroker,
  startJavaNameServer,
  type JavaServer,
  type RocketMQVersion,
} from '../helpers/java.js';
import { withAdmin } from '../helpers/route.js';
import { pollFor } from '../helpers/wait.js';

const skip = await interopSkip();
const goSkip = skip === false ? await goInteropSkip() : skip;

/** Our name server, started before the 5.3.3 JVMs so that the Java broker registers with it too. */
let ours: { namesrv: NamesrvController; namesrvAddr: string; dir: string } | undefined;
/** The 5.3.3 name server and broker of the self-test, which the mixed cluster reuses. */
let java533: { namesrv: JavaServer; broker: JavaServer } | undefined;

for (const version of ['5.3.3', '4.9.8'] as const satisfies readonly RocketMQVersion[]) {
  describe(`Java RocketMQ ${version} name server + broker`, { skip, timeout: 25 * 60_000 }, () => {
    const servers: JavaServer[] = [];

    before(async () => {
      await buildInterop(version);
      if (version === '5.3.3') {
        const dir = await mkdtemp(path.join(tmpdir(), 'rmqts-mixed-ns-'));
        ours = { ...(await startTestNamesrv(dir)), dir };
      }
    });

    after(async () => {
      await Promise.all(servers.reverse().map((server) => server.stop()));
      if (version === '5.3.3' && ours !== undefined) {
        await ours.namesrv.shutdown();
        await rm(ours.dir, { recursive: true, force: true });
      }
    });

    it('starts, and mqadmin clusterList shows the broker', { timeout: 5 * 60_000 }, async () => {
      const t0 = Date.now();
      const namesrv = await startJavaNameServer({ version });
      servers.push(namesrv);
      const t1 = Date.now();
      const namesrvAddr = version === '5.3.3' && ours !== undefined ? `${namesrv.addr};${ours.namesrvAddr}` : namesrv.addr;
      const broker = await startJavaBroker({ version, namesrvAddr, brokerName: 'broker-interop' });
      servers.push(broker);
      const t2 = Date.now();
      console.log(`${version}: name server ready in ${t1 - t0} ms, broker in ${t2 - t1} ms`);
      if (version === '5.3.3') java533 = { namesrv, broker };

      // The broker registers right after "boot success", and its runtime info (the version column) may lag a little
      // behind: give both a few tries.
      const versionName = `V${version.replaceAll('.', '_')}`;
      let listing = '';
      for (let attempt = 0; attempt < 10 && !(listing.includes(broker.addr) && listing.includes(versionName)); attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 1000));
        const result = await runMqAdmin(['clusterList', '-n', namesrv.addr], { version, timeoutMs: 60_000 });
        assert.equal(result.code, 0, `mqadmin failed:\n${result.stdout}\n${result.stderr}`);
        listing = result.stdout;
      }
      assert.match(listing, /DefaultCluster\s+broker-interop\s+0\s+127\.0\.0\.1:\d+/);
      assert.ok(listing.includes(broker.addr), `clusterList does not show ${broker.addr}:\n${listing}`);
      assert.ok(listing.includes(versionName), `clusterList does not show ${versionName}:\n${listing}`);
    });

    if (version === '5.3.3') {
      it('mixed cluster (M1, M2): a Java 5.3.3 group and ours, on the Java name server and on ours', { skip: goSkip, timeout: 5 * 60_000 }, async () => {
        assert.ok(java533 !== undefined && ours !== undefined, 'the self-test above starts the 5.3.3 JVMs this case reuses');
        await mixedCluster(java533.namesrv.addr, ours.namesrvAddr, java533.broker.addr);
      });
    }
  });
}

interface JavaSendReport {
  results: { kind: string; status: string; msgId: string; brokerName: string }[];
  errors: string[];
}

interface GoSendResult {
  msgId: string;
  brokerName: string;
  status: string;
  summary?: boolean;
}

const OUR_GROUP = 'broker-mixed-ts';
const JAVA_GROUP = 'broker-interop';
const TOPIC = 'MixedClusterTopic';

/** Brokers and queues of a route, as comparable text (the order of either list is not part of the answer). */
function routeShape(route: TopicRouteData): string[] {
  return [
    ...route.brokerDatas.map((b) => `broker ${b.cluster}/${b.brokerName} ${[...b.brokerAddrs.entries()].map(([id, addr]) => `${id}=${addr}`).join(',')}`),
    ...route.queueDatas.map((q) => `queues ${q.brokerName} r${q.readQueueNums} w${q.writeQueueNums} p${q.perm}`),
  ].sort();
}

async function mixedCluster(javaNs: string, ourNs: string, javaBrokerAddr: string): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'rmqts-mixed-'));
  const conf = path.join(dir, 'broker.conf');
  const port = await freeBrokerPort();
  await writeFile(
    conf,
    [
      'brokerClusterName=DefaultCluster',
      `brokerName=${OUR_GROUP}`,
      'brokerId=0',
      `namesrvAddr=${javaNs};${ourNs}`,
      'brokerIP1=127.0.0.1',
      'bindAddress=127.0.0.1',
      `listenPort=${port}`,
      `storePathRootDir=${path.join(dir, 'store')}`,
      'autoCreateTopicEnable=false',
      '',
    ].join('\n'),
  );
  let broker: RunningBroker | undefined = await startBrokerProcess(conf);
  const consumers: PushConsumer[] = [];
  const producers: Producer[] = [];
  try {
    // Both name servers list both groups in one cluster.
    for (const ns of [javaNs, ourNs]) {
      await pollFor(
        () => runMqAdmin(['clusterList', '-n', ns], { version: '5.3.3', timeoutMs: 60_000 }).then((r) => r.stdout),
        (listing) => listing.includes(javaBrokerAddr) && listing.includes(broker!.addr),
        { timeoutMillis: 30_000, intervalMillis: 1000, what: `clusterList on ${ns} with both groups` },
      );
    }
    // mqadmin creates the topic on every master of the cluster, ours included.
    const created = await runMqAdmin(['updateTopic', '-n', javaNs, '-c', 'DefaultCluster', '-t', TOPIC, '-r', '4', '-w', '4'], { version: '5.3.3', timeoutMs: 60_000 });
    assert.equal(created.code, 0, `${created.stdout}\n${created.stderr}`);
    const routes = await Promise.all(
      [javaNs, ourNs].map((ns) =>
        withAdmin(ns, (admin) =>
          pollFor(
            () => admin.topicRoute(TOPIC).catch(() => undefined),
            (route) => route !== undefined && route.queueDatas.length === 2,
            { timeoutMillis: 30_000, intervalMillis: 500, what: `the route of ${TOPIC} on ${ns} with both groups` },
          ),
        ),
      ),
    );
    // M2: the Java name server and ours give the same route.
    assert.deepEqual(routeShape(routes[1]!), routeShape(routes[0]!));
    assert.deepEqual(routes[0]!.queueDatas.map((q) => q.brokerName).sort(), [JAVA_GROUP, OUR_GROUP].sort());

    // One consumer group over both groups, started first (from the first offset of every queue).
    const received = new Map<string, number>();
    const consumer = new PushConsumer({ nameServer: ourNs, group: 'MixedClusterGroup', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', pollNameServerInterval: 1000 });
    consumers.push(consumer);
    consumer.subscribe(TOPIC, '*', (msg) => {
      received.set(msg.msgId, (received.get(msg.msgId) ?? 0) + 1);
    });
    await consumer.start();

    // Producers of three clients, on either name server: every one spreads over both groups.
    const acked = new Map<string, string>(); // msgId -> group
    const java = await runJava({ mainClass: 'io.rocketmqts.interop.ProducerDriver', args: ['--namesrv', javaNs, '--topic', TOPIC, '--group', 'MixedJavaPG', '--count', '16'], classpath: (await buildInterop('5.3.3')).classpath, timeoutMs: 120_000 });
    const javaReport = JSON.parse(java.stdout.split('\n').find((l) => l.startsWith('{')) ?? '{}') as JavaSendReport;
    assert.deepEqual(javaReport.errors, [], java.stderr);
    const javaSingles = javaReport.results.filter((r) => r.kind === 'sync' || r.kind === 'async' || r.kind === 'big');
    for (const r of javaSingles) acked.set(r.msgId, r.brokerName);
    assert.deepEqual(new Set(javaSingles.map((r) => r.brokerName)), new Set([JAVA_GROUP, OUR_GROUP]), 'the Java producer spreads over both groups');

    const go = await runGo('producer', ['-namesrv', ourNs, '-topic', TOPIC, '-group', 'MixedGoPG', '-count', '16'], 90_000);
    assert.equal(go.code, 0, go.describe());
    const goResults = go.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as GoSendResult)
      .filter((r) => r.summary !== true);
    assert.equal(goResults.length, 16, go.describe());
    for (const r of goResults) acked.set(r.msgId, r.brokerName);
    assert.deepEqual(new Set(goResults.map((r) => r.brokerName)), new Set([JAVA_GROUP, OUR_GROUP]), 'the Go producer spreads over both groups');

    const producer = new Producer({ nameServer: javaNs, group: 'MixedTsPG', pollNameServerInterval: 1000 });
    producers.push(producer);
    await producer.start();
    const tsBefore = await Promise.all(Array.from({ length: 16 }, (_, i) => producer.send({ topic: TOPIC, body: Buffer.from(`ts-${i}`) })));
    for (const r of tsBefore) acked.set(r.msgId, r.messageQueue.brokerName);
    assert.deepEqual(new Set(tsBefore.map((r) => r.messageQueue.brokerName)), new Set([JAVA_GROUP, OUR_GROUP]), 'our producer spreads over both groups');

    await pollFor(
      () => Promise.resolve([...acked.keys()].filter((id) => !received.has(id)).length),
      (missing) => missing === 0,
      { timeoutMillis: 60_000, intervalMillis: 200, what: 'every acknowledged message consumed by the one group' },
    );

    // M1: our group's master dies; sends go on to the Java group (the producer's retry on another broker), and the
    // name servers drop our broker from the route once its connection is gone.
    broker.child.kill('SIGKILL');
    await broker.exit;
    broker = undefined;
    const tsAfter = [];
    for (let i = 0; i < 16; i++) tsAfter.push(await producer.send({ topic: TOPIC, body: Buffer.from(`ts-after-${i}`) }));
    for (const r of tsAfter) acked.set(r.msgId, r.messageQueue.brokerName);
    assert.deepEqual(new Set(tsAfter.map((r) => r.messageQueue.brokerName)), new Set([JAVA_GROUP]), 'with group b down every send lands on group a');
    for (const ns of [javaNs, ourNs]) {
      await withAdmin(ns, (admin) =>
        pollFor(
          () => admin.topicRoute(TOPIC),
          (route) => !route.brokerDatas.some((b) => b.brokerName === OUR_GROUP && b.brokerAddrs.has(0)),
          { timeoutMillis: 30_000, intervalMillis: 500, what: `${ns} dropping the dead master of ${OUR_GROUP}` },
        ),
      );
    }
    // Our group comes back on its store: nothing it acknowledged before the kill is lost.
    broker = await startBrokerProcess(conf);
    await pollFor(
      () => Promise.resolve([...acked.keys()].filter((id) => !received.has(id))),
      (missing) => missing.length === 0,
      { timeoutMillis: 90_000, intervalMillis: 500, what: 'every acknowledged message consumed after the restart' },
    );
    const duplicates = [...received.values()].reduce((n, c) => n + c - 1, 0);
    console.log(`mixed cluster: ${acked.size} acknowledged, all consumed, ${duplicates} duplicates`);
  } finally {
    for (const c of consumers) await c.shutdown();
    for (const p of producers) await p.shutdown();
    if (broker !== undefined) {
      broker.child.kill('SIGTERM');
      await broker.exit;
    }
    await rm(dir, { recursive: true, force: true });
  }
}
