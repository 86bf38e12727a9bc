/**
 * H13, failover read with real replication: a master started from a broker.conf written for a Java master (in a
 * child process, so it can be killed with SIGKILL), a slave replicating from it (brokerRole=SLAVE, haMasterAddress),
 * N messages produced and replicated, the master killed, and a consumer reading all N from the slave (duplicates
 * counted, the time to the first message reported).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { splitBrokerProperties } from '../../src/broker/broker-startup.js';
import { defaultBrokerConfig } from '../../src/broker/broker-config.js';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import { MQClientManager, Producer, PushConsumer } from '../../src/client/index.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import { startBrokerProcess, type RunningBroker } from '../helpers/broker-process.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { freeBrokerPort } from '../helpers/java.js';
import { waitFor } from '../helpers/wait.js';

const TOPIC = 'HaFailoverTopic';
const QUEUES = 4;
const N = 200;
const SEGMENT = 1024 * 1024;

describe('failover read from a replicating slave (H13)', () => {
  let dir: string;
  let namesrv: NamesrvController;
  let master: RunningBroker;
  let slave: BrokerController;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-ha-failover-'));
    let namesrvAddr: string;
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    const port = await freeBrokerPort();
    // A Java master's broker.conf, unchanged.
    const conf = join(dir, 'master.conf');
    await writeFile(
      conf,
      [
        'brokerClusterName=HaFailoverCluster',
        'brokerName=ha-f',
        'brokerId=0',
        'brokerRole=ASYNC_MASTER',
        `listenPort=${port}`,
        'brokerIP1=127.0.0.1',
        'brokerIP2=127.0.0.1',
        'bindAddress=127.0.0.1',
        `namesrvAddr=${namesrvAddr}`,
        `storePathRootDir=${join(dir, 'master')}`,
        `mappedFileSizeCommitLog=${SEGMENT}`,
        'flushDiskType=ASYNC_FLUSH',
        'autoCreateTopicEnable=true',
      ].join('\n'),
    );
    master = await startBrokerProcess(conf);
    // A Java slave's keys, split as broker.conf is (brokerRole sets the broker and its store, as in Java).
    const split = splitBrokerProperties(
      defaultBrokerConfig(dir),
      new Map([
        ['brokerClusterName', 'HaFailoverCluster'],
        ['brokerName', 'ha-f'],
        ['brokerRole', 'SLAVE'],
        ['brokerId', '1'],
        ['slaveReadEnable', 'true'],
        ['haMasterAddress', `127.0.0.1:${port + 1}`],
        ['mappedFileSizeCommitLog', String(SEGMENT)],
      ]),
    );
    const { brokerClusterName, brokerName, brokerRole, brokerId, slaveReadEnable } = split.config;
    const store = Object.fromEntries([...split.storeProperties].map(([key, value]) => [key, /^\d+$/.test(value) ? Number(value) : value]));
    slave = await startTestBroker(join(dir, 'slave'), namesrvAddr, { broker: { brokerClusterName, brokerName, brokerRole, brokerId, slaveReadEnable }, store });
  });

  after(async () => {
    if (master !== undefined && master.child.exitCode === null) {
      master.child.kill('SIGKILL');
      await master.exit;
    }
    await slave?.shutdown();
    await namesrv?.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads every acknowledged message from the slave after the master is killed', async (t) => {
    const manager = new MQClientManager();
    const producer = new Producer({ nameServer: slave.config.namesrvAddr, group: 'HaFailoverPG', clientIP: '127.0.0.1', clientManager: manager, defaultTopicQueueNums: QUEUES });
    await producer.start();
    const acked = new Set<string>();
    for (let i = 0; i < N; i++) {
      const result = await producer.send({ topic: TOPIC, body: `f${i}` });
      if (result.status === 'SEND_OK') acked.add(`f${i}`);
    }
    await producer.shutdown();
    assert.equal(acked.size, N);
    const replicated = (): number => Array.from({ length: QUEUES }, (_, q) => slave.messageStore.getMaxOffsetInQueue(TOPIC, q)).reduce((a, b) => a + b, 0);
    await waitFor(() => replicated() === N, 30_000, `the slave to hold all ${N} messages`);
    // The topic was created on the master by the first send; the slave learns it by its metadata sync (every 10 s),
    // and only then registers its queues: with the master gone, that route is how consumers find the slave.
    await waitFor(() => slave.topicConfigManager.selectTopicConfig(TOPIC) !== undefined, 15_000, `the slave to sync the topic config of ${TOPIC}`);

    master.child.kill('SIGKILL');
    await master.exit;
    const killedAt = Date.now();
    const seen = new Map<string, number>();
    let firstAt = 0;
    const consumer = new PushConsumer({
      nameServer: slave.config.namesrvAddr,
      group: 'HaFailoverCG',
      clientIP: '127.0.0.1',
      clientManager: new MQClientManager(),
      consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
    });
    consumer.subscribe(TOPIC, '*', (msg) => {
      firstAt ||= Date.now();
      const body = msg.body.toString();
      seen.set(body, (seen.get(body) ?? 0) + 1);
    });
    await consumer.start();
    try {
      await waitFor(() => [...acked].every((body) => seen.has(body)), 60_000, `all ${N} acknowledged messages from the slave`);
      const duplicates = [...seen.values()].reduce((sum, n) => sum + n - 1, 0);
      t.diagnostic(`first message ${firstAt - killedAt} ms after the kill; ${duplicates} duplicates`);
      assert.equal(seen.size, N);
    } finally {
      await consumer.shutdown();
    }
  });
});
