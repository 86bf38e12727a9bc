/**
 * Classic master/slave replication between our broker and Apache RocketMQ 5.3.3, both directions, under our name
 * server (which a Java slave uses to find its master: 5.3.3 ignores a static haMasterAddress): a Java master
 * feeding our slave, and our SYNC_MASTER feeding a Java slave that then serves a pull. Both check the commit logs
 * byte for byte over the range shipped; the Java slave is 5.3.3 and 4.9.8 (4.9.7 broker). Three JVMs in all, one
 * broker per case.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import { decodeStoredMessages, messageProperties2String, RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/index.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { firstCommitLogDifference } from '../helpers/commit-log-compare.js';
import { javaAvailable, startJavaBroker, type JavaServer } from '../helpers/java.js';
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
  const response = await client.invokeSync(addr, RemotingCommand.createRequestCommand(RequestCode.GET_BROKER_RUNTIME_INFO, {}), 5000);
  // A JVM just booted may answer SYSTEM_BUSY for a moment: not an answer yet.
  if (response.code !== ResponseCode.SUCCESS || response.body === undefined) return { min: -1, max: -1 };
  const table = (JSON.parse(response.body.toString()) as { table: Record<string, string> }).table;
  return { min: Number(table['commitLogMinOffset']), max: Number(table['commitLogMaxOffset']) };
}

describe('HA with Java RocketMQ (5.3.3, and a 4.9.8 slave)', { skip, timeout: 5 * 60_000 }, () => {
  let dir: string;
  let namesrv: NamesrvController;
  let namesrvAddr: string;
  const client = new RemotingClient();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-ha-java-'));
    await client.start();
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
  });
  after(async () => {
    await client.shutdown();
    await namesrv.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it('a Java master feeds our slave: it starts at the master last segment and its log is byte-identical', async () => {
    const javaStore = join(dir, 'java-master');
    let master: JavaServer | undefined;
    let slave: BrokerController | undefined;
    try {
      master = await startJavaBroker({
        namesrvAddr,
        clusterName: 'HaJ',
        brokerName: 'ha-j',
        heapMb: 384,
        config: { brokerIP2: '127.0.0.1', mappedFileSizeCommitLog: SEGMENT, storePathRootDir: javaStore },
      });
      for (let i = 0; i < 300; i++) assert.equal((await send(client, master.addr, 'HaJavaTopic', Buffer.alloc(8000 + i, 65 + (i % 26)), i % 4)).code, ResponseCode.SUCCESS);
      const before = await runtimeInfo(client, master.addr);
      assert.ok(before.max > 2 * SEGMENT);
      // P9: a slave with another segment size refuses this master before replicating anything.
      const mismatched = await startTestBroker(join(dir, 'ts-slave-2m'), namesrvAddr, {
        broker: { brokerClusterName: 'HaJ', brokerName: 'ha-j', brokerId: 2 },
        store: { brokerRole: 'SLAVE', mappedFileSizeCommitLog: 2 * SEGMENT },
      });
      try {
        await pollFor(() => Promise.resolve(mismatched.ha?.client?.currentState), (state) => state === 'REFUSED', { timeoutMillis: 10_000, intervalMillis: 50, what: 'refusal' });
        assert.match(mismatched.ha?.runtimeInfo().haClientRuntimeInfo.refusedReason ?? '', /mappedFileSizeCommitLog=1048576, this slave 2097152/);
        assert.equal(mismatched.messageStore.getRuntimeInfo().get('commitLogMaxOffset'), '0');
      } finally {
        await mismatched.shutdown();
      }
      slave = await startTestBroker(join(dir, 'ts-slave'), namesrvAddr, {
        broker: { brokerClusterName: 'HaJ', brokerName: 'ha-j', brokerId: 1 },
        store: { brokerRole: 'SLAVE', mappedFileSizeCommitLog: SEGMENT },
      });
      for (let i = 0; i < 50; i++) assert.equal((await send(client, master.addr, 'HaJavaTopic', Buffer.from(`after the slave ${i}`), i % 4)).code, ResponseCode.SUCCESS);
      const { max } = await runtimeInfo(client, master.addr);
      // A Java master polls for new data every 100 ms at most.
      await pollFor(() => runtimeInfo(client, slave!.brokerAddr), (info) => info.max === max, { timeoutMillis: 30_000, intervalMillis: 100, what: 'our slave caught up' });
      const { min } = await runtimeInfo(client, slave.brokerAddr);
      assert.equal(min, before.max - (before.max % SEGMENT), 'started at the last segment');
      assert.equal(firstCommitLogDifference(javaStore, join(dir, 'ts-slave', 'broker'), SEGMENT, min, max), undefined);
      // Our slave dispatched the records to its own queues, at the master's queue offsets (75 + 13 sent to queue 1).
      await pollFor(
        () => Promise.resolve(slave!.messageStore.getMaxOffsetInQueue('HaJavaTopic', 1)),
        (n) => n === 88,
        { timeoutMillis: 5000, intervalMillis: 50, what: 'queue 1 on our slave' },
      );
    } finally {
      await slave?.shutdown();
      await master?.stop();
    }
  });

  for (const version of ['5.3.3', '4.9.8'] as const) {
  it(`our SYNC_MASTER feeds a Java ${version} slave (found through our name server): 11 before it, 0 once it acks; its log is byte-identical and it serves a pull`, async () => {
    const tag = version.replaceAll('.', '');
    const javaStore = join(dir, `java-slave-${tag}`);
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
        config: { brokerId: 1, brokerRole: 'SLAVE', brokerIP2: '127.0.0.1', slaveReadEnable: true, mappedFileSizeCommitLog: SEGMENT, storePathRootDir: javaStore },
      });
      await pollFor(() => runtimeInfo(client, slave!.addr), (info) => info.max === before.max, { timeoutMillis: 60_000, intervalMillis: 200, what: 'the Java slave caught up' });
      // The topic named after the broker exists on every broker, so the slave can serve it before any metadata sync.
      const sent = await send(client, master.brokerAddr, `ha-t${tag}`, Buffer.from('read me from the Java slave'));
      assert.equal(sent.code, ResponseCode.SUCCESS, 'acked by the Java slave');
      const queueOffset = Number(sent.extFields?.['queueOffset']);
      const { max } = await runtimeInfo(client, master.brokerAddr);
      await pollFor(() => runtimeInfo(client, slave!.addr), (info) => info.max === max, { timeoutMillis: 10_000, intervalMillis: 100, what: 'the Java slave at our end' });
      const { min } = await runtimeInfo(client, slave.addr);
      assert.equal(min, before.max - (before.max % SEGMENT), 'the Java slave started at our last segment');
      assert.equal(firstCommitLogDifference(join(dir, `ts-master-${tag}`, 'broker'), javaStore, SEGMENT, min, max), undefined);
      const pull = await pollFor(
        () => {
          const header = { consumerGroup: 'HaCG', topic: `ha-t${tag}`, queueId: 0, queueOffset, maxMsgNums: 1, sysFlag: 0x4, commitOffset: 0, suspendTimeoutMillis: 0, subscription: '*', subVersion: 0 };
          return client.invokeSync(slave!.addr, RemotingCommand.createRequestCommand(RequestCode.PULL_MESSAGE, header), 5000);
        },
        (response) => response.code === ResponseCode.SUCCESS,
        { timeoutMillis: 10_000, intervalMillis: 200, what: 'a pull from the Java slave' },
      );
      assert.equal(decodeStoredMessages(pull.body as Buffer)[0]?.body.toString(), 'read me from the Java slave');
    } finally {
      await slave?.stop();
      await master?.shutdown();
    }
  });
  }
});
