/**
 * H13, failover read with real replication: a master started from a broker.conf written for a Java master (in a
 * child process, so it can be killed with SIGKILL), a slave replicating from it (brokerRole=SLAVE, haMasterAddress),
 * N messages produced and replicated, the master killed, and a consumer reading all N from the slave (duplicates
 * counted, the time to the first message reported). The same read by a Go consumer: test/interop/ha-failover-go.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import { MQClientManager, Producer, PushConsumer } from '../../src/client/index.js';
import type { RunningBroker } from '../helpers/broker-process.js';
import { startReplicatedPair, type ReplicatedPair } from '../helpers/ha-pair.js';
import { waitFor } from '../helpers/wait.js';

const TOPIC = 'HaFailoverTopic';
const QUEUES = 4;
const N = 200;
const SEGMENT = 1024 * 1024;

describe('failover read from a replicating slave (H13)', () => {
  let dir: string;
  let pair: ReplicatedPair;
  let master: RunningBroker;
  let slave: BrokerController;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-ha-failover-'));
    pair = await startReplicatedPair(dir, { clusterName: 'HaFailoverCluster', brokerName: 'ha-f', brokerRole: 'ASYNC_MASTER', segmentSize: SEGMENT });
    ({ master, slave } = pair);
  });

  after(async () => {
    await pair?.shutdown();
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
