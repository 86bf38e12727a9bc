/**
 * Classic master/slave replication between our broker and Apache RocketMQ, both directions, under our name server
 * (which a Java slave uses to find its master: 5.3.3 ignores a static haMasterAddress). Every case checks the
 * commit logs byte for byte over the range shipped.
 *
 * - A Java 5.3.3 master feeds our slave (H1); `mqadmin haStatus` reads both. The same two then carry the drills:
 *   the Java master killed with SIGKILL under load and restarted (H6), and the migration drill (M3): the Java master
 *   stopped and our slave restarted on its store as the group's master, producers and a consumer group carrying on.
 * - A Java 4.9.8 master (4.9.7 broker) feeds our slave (H1, J4 direction), and is killed under load likewise (H6).
 * - Our SYNC_MASTER feeds a Java 5.3.3 and a 4.9.8 slave that then serve a pull (H2); each is killed with SIGKILL
 *   under load and restarted (H5), and (5.3.3) `mqadmin haStatus` prints against our master and the Java slave the
 *   fields it printed against the Java master and our slave.
 *
 * Four broker JVMs in all, one at a time (a restart is a new JVM on the same store), and a few mqadmin runs.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import { MQClientManager, Producer, PushConsumer } from '../../src/client/index.js';
import { decodeStoredMessages, messageProperties2String, RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/index.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { firstCommitLogDifference } from '../helpers/commit-log-compare.js';
import { freeBrokerPort, javaAvailable, runMqAdmin, startJavaBroker, type JavaServer, type RocketMQVersion } from '../helpers/java.js';
import { pollFor } from '../helpers/wait.js';

const availability = await javaAvailable();
if (!availability.ok) {
  if (process.env.CI !== undefined) throw new Error(`java interop tests need java and mvn: ${availability.why}`);
  console.warn(`\n*** SKIPPING Java interop tests: ${availability.why} ***\n`);
}
const skip = availability.ok ? false : `java or mvn missing: ${availability.why}`;

/** Equal on both sides, or a Java slave wedges (reference §1.5); small so a few MiB roll segments. */
const SEGMENT = 1024 * 1024;

async function send(client: RemotingClient, addr: string, topic: string, body: Buffer, queueId = 0): Promise<RemotingCommand> {
  const properties = messageProperties2String(new Map([['WAIT', 'true']]));
  const header = { a: 'HaPG', b: topic, c: 'TBW102', d: 4, e: queueId, f: 0, g: Date.now(), h: 0, i: properties, j: 0, k: false, m: false };
  return client.invokeSync(addr, RemotingCommand.createRequestCommand(RequestCode.SEND_MESSAGE_V2, header, body), 10_000);
}

async function runtimeInfo(client: RemotingClient, addr: string): Promise<{ min: number; max: number }> {
  try {
    const response = await client.invokeSync(addr, RemotingCommand.createRequestCommand(RequestCode.GET_BROKER_RUNTIME_INFO, {}), 5000);
    // A JVM just booted may answer SYSTEM_BUSY for a moment: not an answer yet.
    if (response.code !== ResponseCode.SUCCESS || response.body === undefined) return { min: -1, max: -1 };
    const table = (JSON.parse(response.body.toString()) as { table: Record<string, string> }).table;
    return { min: Number(table['commitLogMinOffset']), max: Number(table['commitLogMaxOffset']) };
  } catch {
    return { min: -1, max: -1 }; // a JVM being restarted: no answer yet
  }
}

/**
 * Sends 1 KiB messages one after another (about 200 a second) to whatever address `target` gives, until stopped:
 * the steady load of the kill drills. Counts the response codes; a send that fails (the broker being killed or
 * restarted) is counted and retried 100 ms later.
 */
/**
 * H5/H6: 200 acknowledged sends of the load, then `server` killed with SIGKILL and restarted, then 200 more; returns
 * how long the restart took (ms).
 */
async function killUnderLoad(load: { codes: Map<number, number> }, server: JavaServer, what: string): Promise<number> {
  const ok = (): Promise<number> => Promise.resolve(load.codes.get(ResponseCode.SUCCESS) ?? 0);
  await pollFor(ok, (n) => n >= 200, { timeoutMillis: 30_000, intervalMillis: 50, what: `200 ${what} before the kill` });
  const before = await ok();
  const began = Date.now();
  await server.restart('SIGKILL');
  const restartedIn = Date.now() - began;
  await pollFor(ok, (n) => n >= before + 200, { timeoutMillis: 60_000, intervalMillis: 100, what: `200 ${what} after the restart` });
  return restartedIn;
}

function steadyLoad(client: RemotingClient, target: () => string, topic: string): { codes: Map<number, number>; failed: () => number; stop: () => Promise<void> } {
  const codes = new Map<number, number>();
  let failed = 0;
  let stopped = false;
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  const loop = (async () => {
    for (let i = 0; i < 100_000 && !stopped; i++) {
      try {
        const response = await send(client, target(), topic, Buffer.alloc(1024, 48 + (i % 10)), i % 4);
        codes.set(response.code, (codes.get(response.code) ?? 0) + 1);
        await sleep(5);
      } catch {
        failed++;
        await sleep(100);
      }
    }
  })();
  return {
    codes,
    failed: () => failed,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

/** The `#Name` fields `mqadmin haStatus` printed (master form: the broker's and the slave table's; slave form: the link's). */
function haStatusFields(output: string): string[] {
  return [...output.matchAll(/#[A-Za-z][A-Za-z()/]*/g)].map((m) => m[0]).sort();
}

async function haStatus(addr: string): Promise<string> {
  const result = await runMqAdmin(['haStatus', '-b', addr], { version: '5.3.3', timeoutMs: 60_000 });
  assert.equal(result.code, 0, `mqadmin haStatus -b ${addr}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

describe('HA with Java RocketMQ (5.3.3 and 4.9.8, both directions)', { skip, timeout: 12 * 60_000 }, () => {
  let dir: string;
  let namesrv: NamesrvController;
  let namesrvAddr: string;
  const client = new RemotingClient();
  /** The Java 5.3.3 master, its store, and our slave (a fixed port, so its promotion keeps the address). */
  let javaMaster: JavaServer | undefined;
  let javaStore: string;
  let ourSlave: BrokerController | undefined;
  let ourSlavePort: number;
  /** What `mqadmin haStatus` printed against the Java master and against our slave, for the comparison below. */
  let javaMasterStatus = '';
  let ourSlaveStatus = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-ha-java-'));
    javaStore = join(dir, 'java-master');
    await client.start();
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
  });
  after(async () => {
    await ourSlave?.shutdown();
    await javaMaster?.stop();
    await client.shutdown();
    await namesrv.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  /** A Java master of `version` with three segments, then our slave; returns once the slave is at the master's end. */
  async function javaMasterFeedsOurSlave(version: RocketMQVersion, store: string, slaveDir: string, names: { cluster: string; broker: string }, listenPort = 0): Promise<{ master: JavaServer; slave: BrokerController }> {
    const master = await startJavaBroker({
      version,
      namesrvAddr,
      clusterName: names.cluster,
      brokerName: names.broker,
      heapMb: 384,
      config: { brokerIP2: '127.0.0.1', mappedFileSizeCommitLog: SEGMENT, storePathRootDir: store },
    });
    let slave: BrokerController | undefined;
    try {
      for (let i = 0; i < 300; i++) assert.equal((await send(client, master.addr, 'HaJavaTopic', Buffer.alloc(8000 + i, 65 + (i % 26)), i % 4)).code, ResponseCode.SUCCESS);
      // Polled: a CI run once read the 4.9.8 master's runtime info below what it had just acknowledged.
      const before = await pollFor(() => runtimeInfo(client, master.addr), (info) => info.max > 2 * SEGMENT, { timeoutMillis: 10_000, intervalMillis: 100, what: 'the master past two segments' });
      // Our slaves learn the master from their registration's answer: the name server must name it first. Under
      // load, a slave's first answer once named no master, and it stayed READY until its next registration 10 s
      // later, past the refusal's 10 s. 45 s: the Java master registers at start, then 10 s later and every 30 s.
      const masterNamed = (): boolean => namesrv.routeInfoManager.getAllClusterInfo().brokerAddrTable.get(names.broker)?.brokerAddrs.get(0) === master.addr;
      await pollFor(() => Promise.resolve(masterNamed()), (named) => named, { timeoutMillis: 45_000, intervalMillis: 100, what: 'the name server naming the Java master' });
      if (version === '5.3.3') {
        // P9: a slave with another segment size refuses this master before replicating anything.
        const mismatched = await startTestBroker(join(dir, 'ts-slave-2m'), namesrvAddr, {
          broker: { brokerClusterName: names.cluster, brokerName: names.broker, brokerId: 2 },
          store: { brokerRole: 'SLAVE', mappedFileSizeCommitLog: 2 * SEGMENT },
        });
        try {
          // The state with what it depends on, so that a timeout says which step did not happen (a CI run once
          // ended READY: no master HA address from the registration, or a connection that failed).
          const client = (): { state?: string; haMasterAddress?: string } => ({ state: mismatched.ha?.client?.currentState, haMasterAddress: mismatched.ha?.client?.haMasterAddress });
          await pollFor(() => Promise.resolve(client()), ({ state }) => state === 'REFUSED', { timeoutMillis: 10_000, intervalMillis: 50, what: 'refusal' });
          assert.match(mismatched.ha?.runtimeInfo().haClientRuntimeInfo.refusedReason ?? '', /mappedFileSizeCommitLog=1048576, this slave 2097152/);
          assert.equal(mismatched.messageStore.getRuntimeInfo().get('commitLogMaxOffset'), '0');
        } finally {
          await mismatched.shutdown();
        }
      }
      slave = await startTestBroker(slaveDir, namesrvAddr, {
        broker: { brokerClusterName: names.cluster, brokerName: names.broker, brokerId: 1, listenPort },
        store: { brokerRole: 'SLAVE', mappedFileSizeCommitLog: SEGMENT },
      });
      for (let i = 0; i < 50; i++) assert.equal((await send(client, master.addr, 'HaJavaTopic', Buffer.from(`after the slave ${i}`), i % 4)).code, ResponseCode.SUCCESS);
      const { max } = await runtimeInfo(client, master.addr);
      // A Java master polls for new data every 100 ms at most; a 4.9 one sends nothing before the first report.
      const caughtUp = slave;
      await pollFor(() => runtimeInfo(client, caughtUp.brokerAddr), (info) => info.max === max, { timeoutMillis: 30_000, intervalMillis: 100, what: 'our slave caught up' });
      const { min } = await runtimeInfo(client, slave.brokerAddr);
      assert.equal(min, before.max - (before.max % SEGMENT), 'started at the last segment');
      assert.equal(firstCommitLogDifference(store, join(slaveDir, 'broker'), SEGMENT, min, max), undefined);
      // Our slave dispatched the records to its own queues, at the master's queue offsets (75 + 13 sent to queue 1).
      await pollFor(
        () => Promise.resolve(caughtUp.messageStore.getMaxOffsetInQueue('HaJavaTopic', 1)),
        (n) => n === 88,
        { timeoutMillis: 5000, intervalMillis: 50, what: 'queue 1 on our slave' },
      );
      return { master, slave };
    } catch (error) {
      await slave?.shutdown();
      await master.stop();
      throw error;
    }
  }

  it('a Java 5.3.3 master feeds our slave: it starts at the master last segment and its log is byte-identical; mqadmin haStatus reads both', async () => {
    ourSlavePort = await freeBrokerPort();
    ({ master: javaMaster, slave: ourSlave } = await javaMasterFeedsOurSlave('5.3.3', javaStore, join(dir, 'ts-slave'), { cluster: 'HaJ', broker: 'ha-j' }, ourSlavePort));
    javaMasterStatus = await haStatus(javaMaster.addr);
    assert.match(javaMasterStatus, /#SlaveNum\s+1\b/, javaMasterStatus);
    ourSlaveStatus = await haStatus(ourSlave.brokerAddr);
    assert.match(ourSlaveStatus, new RegExp(`#MasterAddr\\s+127\\.0\\.0\\.1:${javaMaster.port + 1}\\b`), ourSlaveStatus);
  });

  it('H6: the Java 5.3.3 master killed with SIGKILL under load and restarted: our slave reconnects, resumes and ends byte-identical', async () => {
    assert.ok(javaMaster !== undefined && ourSlave !== undefined, 'the case above starts the Java master and our slave');
    await javaMasterKilledUnderLoad('5.3.3', javaMaster, ourSlave, javaStore, join(dir, 'ts-slave'));
  });

  /** H6: `master` (Java) killed with SIGKILL under load and restarted on its store; our `slave` resumes from its own max. */
  async function javaMasterKilledUnderLoad(version: RocketMQVersion, master: JavaServer, slave: BrokerController, store: string, slaveDir: string): Promise<void> {
    const { min } = await runtimeInfo(client, slave.brokerAddr);
    const load = steadyLoad(client, () => master.addr, 'HaKillTopic');
    try {
      const restartedIn = await killUnderLoad(load, master, 'sends');
      console.log(`H6 Java ${version} master SIGKILL: restarted in ${restartedIn} ms; ${load.failed()} sends failed while it was down`);
    } finally {
      await load.stop();
    }
    assert.deepEqual([...load.codes.keys()], [ResponseCode.SUCCESS], 'every answered send was stored');
    const { max } = await runtimeInfo(client, master.addr);
    await pollFor(() => runtimeInfo(client, slave.brokerAddr), (info) => info.max === max, { timeoutMillis: 30_000, intervalMillis: 100, what: 'our slave at the restarted master end' });
    assert.equal((await runtimeInfo(client, slave.brokerAddr)).min, min, 'the slave kept its log: it resumed from its own max');
    assert.equal(slave.ha?.client?.currentState, 'TRANSFER', 'our slave reconnected');
    assert.equal(slave.ha?.runtimeInfo().haClientRuntimeInfo.refusedReason, undefined);
    assert.equal(firstCommitLogDifference(store, join(slaveDir, 'broker'), SEGMENT, min, max), undefined);
  }

  it('M3 migration: the Java 5.3.3 master stopped, our slave restarted on its store as the master; producers resume, the group continues from its committed offsets', async () => {
    const master = javaMaster;
    const slave = ourSlave;
    assert.ok(master !== undefined && slave !== undefined, 'the case above starts the Java master and our slave');
    const topic = 'HaMigrateTopic';
    const group = 'HaMigrateCG';
    const header = { topic, defaultTopic: 'TBW102', readQueueNums: 4, writeQueueNums: 4, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false };
    const created = await client.invokeSync(master.addr, RemotingCommand.createRequestCommand(RequestCode.UPDATE_AND_CREATE_TOPIC, header), 5000);
    assert.equal(created.code, ResponseCode.SUCCESS, created.remark);
    // 5.3.3 registers a new topic with the name servers in the background; and the master H6 restarted registers
    // on its own schedule: until then the route names only our slave, and a producer finds no route to write to
    // (a CI run failed so). So: the topic routed with the Java master as its writer.
    const routedToMaster = (): boolean => namesrv.routeInfoManager.pickupTopicRouteData(topic)?.brokerDatas.some((b) => b.brokerAddrs.get(0) === master.addr) === true;
    await pollFor(() => Promise.resolve(routedToMaster()), (routed) => routed, { timeoutMillis: 45_000, intervalMillis: 100, what: `${topic} routed to the Java master` });
    const producer = new Producer({ nameServer: namesrvAddr, group: 'HaMigratePG', clientIP: '127.0.0.1', clientManager: new MQClientManager(), pollNameServerInterval: 1000 });
    const consumers: PushConsumer[] = [];
    const received = new Map<string, number>();
    const consume = async (): Promise<PushConsumer> => {
      const consumer = new PushConsumer({ nameServer: namesrvAddr, group, clientIP: '127.0.0.1', clientManager: new MQClientManager(), consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', pollNameServerInterval: 1000 });
      consumers.push(consumer);
      consumer.subscribe(topic, '*', (msg) => {
        const body = msg.body.toString();
        received.set(body, (received.get(body) ?? 0) + 1);
      });
      await consumer.start();
      return consumer;
    };
    const produce = async (from: number, to: number): Promise<void> => {
      for (let i = from; i < to; i++) assert.equal((await producer.send({ topic, body: `m${i}` })).status, 'SEND_OK');
    };
    const bodies = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `m${from + i}`);
    await producer.start();
    try {
      // 1. The Java master takes 100 messages, which the group consumes and commits (a consumer's shutdown commits).
      await produce(0, 100);
      const first = await consume();
      await pollFor(() => Promise.resolve(bodies(0, 100).filter((b) => !received.has(b)).length), (n) => n === 0, { timeoutMillis: 60_000, intervalMillis: 100, what: 'the group consuming m0..m99 from the Java master' });
      await first.shutdown();
      // 2. 50 more the group has not read yet. Our slave copies the log and, by its 10 s metadata sync, the topic,
      // the group and its committed offsets.
      await produce(100, 150);
      const { max } = await runtimeInfo(client, master.addr);
      await pollFor(() => runtimeInfo(client, slave.brokerAddr), (info) => info.max === max, { timeoutMillis: 30_000, intervalMillis: 100, what: 'our slave at the Java master end' });
      // One sync round copies the offsets, then the delay offsets, then the groups: a poll between those parts sees
      // the offsets without the group, so both are awaited together.
      const synced = (): { committed: number; group: boolean } => ({
        committed: [0, 1, 2, 3].reduce((sum, q) => sum + Math.max(0, slave.consumerOffsetManager.queryOffset(group, topic, q)), 0),
        group: slave.subscriptionGroupManager.findSubscriptionGroupConfig(group) !== undefined,
      });
      await pollFor(() => Promise.resolve(synced()), (s) => s.committed === 100 && s.group, { timeoutMillis: 25_000, intervalMillis: 200, what: 'the committed offsets and the group on our slave' });
      const { min } = await runtimeInfo(client, slave.brokerAddr);
      assert.equal(firstCommitLogDifference(javaStore, join(dir, 'ts-slave', 'broker'), SEGMENT, min, max), undefined, 'byte-equal before the switch');

      // 3. The switch: the Java master stops (SIGTERM), then our slave restarts on its store as brokerId 0.
      const stoppedAt = Date.now();
      await master.process.stop(30_000);
      const exitedAt = Date.now();
      await master.stop();
      javaMaster = undefined;
      await slave.shutdown();
      ourSlave = undefined;
      const promoted = await startTestBroker(join(dir, 'ts-slave'), namesrvAddr, {
        broker: { brokerClusterName: 'HaJ', brokerName: 'ha-j', brokerId: 0, listenPort: ourSlavePort },
        store: { brokerRole: 'ASYNC_MASTER', mappedFileSizeCommitLog: SEGMENT },
      });
      ourSlave = promoted;
      const restartedAt = Date.now();
      assert.equal((await runtimeInfo(client, promoted.brokerAddr)).max, max, 'the new master holds everything the Java master had');
      assert.equal(promoted.consumerOffsetManager.queryOffset(group, topic, 0) + promoted.consumerOffsetManager.queryOffset(group, topic, 1) + promoted.consumerOffsetManager.queryOffset(group, topic, 2) + promoted.consumerOffsetManager.queryOffset(group, topic, 3), 100);

      // 4. The producer, running all along, sends again once its route shows the new master.
      await pollFor(
        () => producer.send({ topic, body: 'm150' }).then((r) => r.status, () => 'FAILED'),
        (status) => status === 'SEND_OK',
        { timeoutMillis: 30_000, intervalMillis: 200, what: 'a send to the new master' },
      );
      const resumedAt = Date.now();
      await produce(151, 200);
      console.log(`M3: the Java master took ${exitedAt - stoppedAt} ms to stop (SIGTERM); our master was up ${restartedAt - exitedAt} ms after it exited; writes resumed ${resumedAt - exitedAt} ms after it exited`);

      // 5. The group comes back: it reads from its committed offsets, m100..m199, nothing it had committed.
      await consume();
      await pollFor(() => Promise.resolve(bodies(100, 200).filter((b) => !received.has(b)).length), (n) => n === 0, { timeoutMillis: 60_000, intervalMillis: 100, what: 'the group consuming m100..m199 from our master' });
      const duplicates = [...received.values()].reduce((sum, n) => sum + n - 1, 0);
      console.log(`M3: 200 produced, all consumed, ${duplicates} duplicates`);
      assert.equal(received.size, 200);
      assert.equal(bodies(0, 100).filter((b) => received.get(b) !== 1).length, 0, 'nothing committed before the switch was consumed again');
    } finally {
      for (const consumer of consumers) await consumer.shutdown();
      await producer.shutdown();
    }
  });

  it('a Java 4.9.8 master (4.9.7 broker) feeds our slave: it starts at the master last segment and its log is byte-identical; H6: the master killed with SIGKILL under load and restarted, our slave resumes', async () => {
    const store = join(dir, 'java-master-498');
    const { master, slave } = await javaMasterFeedsOurSlave('4.9.8', store, join(dir, 'ts-slave-498'), { cluster: 'HaJ4', broker: 'ha-j4' });
    try {
      await javaMasterKilledUnderLoad('4.9.8', master, slave, store, join(dir, 'ts-slave-498'));
    } finally {
      await slave.shutdown();
      await master.stop();
    }
  });

  for (const version of ['5.3.3', '4.9.8'] as const) {
  it(`our SYNC_MASTER feeds a Java ${version} slave (found through our name server): 11 before it, 0 once it acks; its log is byte-identical and it serves a pull; H5: it is killed with SIGKILL under load, restarted, and resumes${version === '5.3.3' ? '; mqadmin haStatus' : ''}`, async () => {
    const tag = version.replaceAll('.', '');
    const store = join(dir, `java-slave-${tag}`);
    let master: BrokerController | undefined;
    let slave: JavaServer | undefined;
    try {
      master = await startTestBroker(join(dir, `ts-master-${tag}`), namesrvAddr, {
        broker: { brokerClusterName: 'HaT', brokerName: `ha-t${tag}` },
        store: { brokerRole: 'SYNC_MASTER', mappedFileSizeCommitLog: SEGMENT },
      });
      for (let i = 0; i < 300; i++) assert.equal((await send(client, master.brokerAddr, 'HaTsTopic', Buffer.alloc(8000 + i, 97 + (i % 26)), i % 4)).code, ResponseCode.SLAVE_NOT_AVAILABLE);
      const before = await runtimeInfo(client, master.brokerAddr);
      slave = await startJavaBroker({
        version,
        namesrvAddr,
        clusterName: 'HaT',
        brokerName: `ha-t${tag}`,
        heapMb: 384,
        config: { brokerId: 1, brokerRole: 'SLAVE', brokerIP2: '127.0.0.1', slaveReadEnable: true, mappedFileSizeCommitLog: SEGMENT, storePathRootDir: store },
      });
      const javaSlave = slave;
      await pollFor(() => runtimeInfo(client, javaSlave.addr), (info) => info.max === before.max, { timeoutMillis: 60_000, intervalMillis: 200, what: 'the Java slave caught up' });
      // The topic named after the broker exists on every broker, so the slave can serve it before any metadata sync.
      const sent = await send(client, master.brokerAddr, `ha-t${tag}`, Buffer.from('read me from the Java slave'));
      assert.equal(sent.code, ResponseCode.SUCCESS, 'acked by the Java slave');
      const queueOffset = Number(sent.extFields?.['queueOffset']);
      const { max } = await runtimeInfo(client, master.brokerAddr);
      await pollFor(() => runtimeInfo(client, javaSlave.addr), (info) => info.max === max, { timeoutMillis: 10_000, intervalMillis: 100, what: 'the Java slave at our end' });
      const { min } = await runtimeInfo(client, javaSlave.addr);
      assert.equal(min, before.max - (before.max % SEGMENT), 'the Java slave started at our last segment');
      assert.equal(firstCommitLogDifference(join(dir, `ts-master-${tag}`, 'broker'), store, SEGMENT, min, max), undefined);
      const pull = await pollFor(
        () => {
          const header = { consumerGroup: 'HaCG', topic: `ha-t${tag}`, queueId: 0, queueOffset, maxMsgNums: 1, sysFlag: 0x4, commitOffset: 0, suspendTimeoutMillis: 0, subscription: '*', subVersion: 0 };
          return client.invokeSync(javaSlave.addr, RemotingCommand.createRequestCommand(RequestCode.PULL_MESSAGE, header), 5000);
        },
        (response) => response.code === ResponseCode.SUCCESS,
        { timeoutMillis: 10_000, intervalMillis: 200, what: 'a pull from the Java slave' },
      );
      assert.equal(decodeStoredMessages(pull.body as Buffer)[0]?.body.toString(), 'read me from the Java slave');
      await javaSlaveKilledUnderLoad(version, master, javaSlave, store, join(dir, `ts-master-${tag}`), min);
      if (version === '5.3.3') await compareHaStatus(master, javaSlave);
    } finally {
      await slave?.stop();
      await master?.shutdown();
    }
  });
  }

  /**
   * H5 with a Java slave of our SYNC_MASTER: SIGKILL under load (sends answer SLAVE_NOT_AVAILABLE while it is away,
   * FLUSH_SLAVE_TIMEOUT if it dies holding one: stored here, not known to be replicated), a restart on its store, and
   * the slave back at our end byte for byte.
   */
  async function javaSlaveKilledUnderLoad(version: RocketMQVersion, master: BrokerController, slave: JavaServer, store: string, masterDir: string, min: number): Promise<void> {
    const load = steadyLoad(client, () => master.brokerAddr, 'HaKillTopic');
    try {
      const restartedIn = await killUnderLoad(load, slave, 'replicated sends');
      console.log(`H5 Java ${version} slave SIGKILL: restarted in ${restartedIn} ms; answers ${JSON.stringify(Object.fromEntries(load.codes))}`);
    } finally {
      await load.stop();
    }
    const stored: number[] = [ResponseCode.SUCCESS, ResponseCode.SLAVE_NOT_AVAILABLE, ResponseCode.FLUSH_SLAVE_TIMEOUT];
    assert.deepEqual([...load.codes.keys()].filter((code) => !stored.includes(code)), [], 'stored, replicated or not');
    assert.equal(load.failed(), 0, 'our master answered every send');
    const { max } = await runtimeInfo(client, master.brokerAddr);
    await pollFor(() => runtimeInfo(client, slave.addr), (info) => info.max === max, { timeoutMillis: 30_000, intervalMillis: 100, what: 'the restarted Java slave at our end' });
    assert.equal((await runtimeInfo(client, slave.addr)).min, min, 'the Java slave kept its log: it resumed from its own max');
    assert.equal(firstCommitLogDifference(join(masterDir, 'broker'), store, SEGMENT, min, max), undefined);
  }

  /**
   * `mqadmin haStatus` (5.3.3: 4.9.8 has no GET_BROKER_HA_STATUS) against our master and the Java slave prints the
   * fields it printed for the Java master and our slave.
   */
  async function compareHaStatus(master: BrokerController, slave: JavaServer): Promise<void> {
    const ourMasterStatus = await haStatus(master.brokerAddr);
    assert.match(ourMasterStatus, /#SlaveNum\s+1\b/, ourMasterStatus);
    assert.match(ourMasterStatus, /\sOK\s/, 'the Java slave is in sync');
    assert.ok(javaMasterStatus !== '' && ourSlaveStatus !== '', 'the first case ran mqadmin haStatus against the Java master and our slave');
    assert.deepEqual(haStatusFields(ourMasterStatus), haStatusFields(javaMasterStatus), `ours:\n${ourMasterStatus}\nJava's:\n${javaMasterStatus}`);
    const javaSlaveStatus = await haStatus(slave.addr);
    assert.match(javaSlaveStatus, new RegExp(`#MasterAddr\\s+127\\.0\\.0\\.1:${master.ha?.service?.port ?? -1}\\b`), javaSlaveStatus);
    assert.deepEqual(haStatusFields(ourSlaveStatus), haStatusFields(javaSlaveStatus), `ours:\n${ourSlaveStatus}\nJava's:\n${javaSlaveStatus}`);
  }
});
