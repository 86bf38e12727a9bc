/**
 * H13 with a Go consumer (github.com/apache/rocketmq-client-go/v2 v2.1.2): our SYNC_MASTER (a child process) and our
 * replicating slave; N messages acknowledged SEND_OK, so each is on the slave; a Go push consumer reads some from
 * the master and holds, the master is killed with SIGKILL, and the consumer reads the rest from the slave: every
 * acknowledged message consumed, duplicates counted. No JVM.
 *
 * The Go consumer starts before the kill because v2.1.2 cannot start one after it: it asks a queue's committed
 * offset of the master only (remoteBrokerOffsetStore.fetchConsumeOffsetFromBroker goes through FindBrokerAddrByName,
 * brokerId 0) and leaves a queue it gets no offset for unpulled, where Java's client and ours ask the slave. The
 * second consumer below shows it. Once a queue is assigned, its pulls go to the slave (findBrokerAddressInSubscribe
 * takes any replica when the master has left the route).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MQClientManager, Producer } from '../../src/client/index.js';
import { goInteropSkip, startGo, type GoProcess } from '../helpers/go.js';
import { startReplicatedPair, type ReplicatedPair } from '../helpers/ha-pair.js';
import { waitFor } from '../helpers/wait.js';

const skip = await goInteropSkip();

const TOPIC = 'HaGoFailoverTopic';
const QUEUES = 4;
const N = 200;
/** Deliveries before the Go consumer holds; the master is killed while it holds. */
const PAUSE_AFTER = 20;

interface ConsumeReport {
  status: string;
  distinct: number;
  received: { body?: string }[];
}

async function report(consumer: GoProcess, timeoutMs: number): Promise<{ exit: number | string; report: ConsumeReport }> {
  const exit = await consumer.waitForExit(timeoutMs);
  const line = consumer.stdout.split('\n').find((l) => l.startsWith('{'));
  assert.ok(line !== undefined, `no report (exit ${exit}):\n${consumer.describe()}`);
  return { exit, report: JSON.parse(line) as ConsumeReport };
}

describe('H13 with a Go consumer: failover read from our slave', { skip, timeout: 5 * 60_000 }, () => {
  let dir: string;
  let pair: ReplicatedPair;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-ha-failover-go-'));
    pair = await startReplicatedPair(dir, { clusterName: 'HaGoCluster', brokerName: 'ha-go', brokerRole: 'SYNC_MASTER', segmentSize: 1024 * 1024 });
  });

  after(async () => {
    await pair?.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it('every acknowledged SYNC message is consumed by a Go consumer, the rest from the slave after the master is killed', async (t) => {
    const { master, slave, namesrvAddr } = pair;
    await waitFor(() => slave.ha?.client?.currentState === 'TRANSFER', 20_000, 'the slave replicating');
    const producer = new Producer({ nameServer: namesrvAddr, group: 'HaGoPG', clientIP: '127.0.0.1', clientManager: new MQClientManager(), defaultTopicQueueNums: QUEUES });
    await producer.start();
    try {
      // SEND_OK from a SYNC_MASTER: the slave has the bytes.
      for (let i = 0; i < N; i++) assert.equal((await producer.send({ topic: TOPIC, body: `g${i}` })).status, 'SEND_OK');
    } finally {
      await producer.shutdown();
    }
    // The slave registers the topic's queues once its metadata sync (every 10 s) copied the topic: with the master
    // gone, that route is how consumers find the slave.
    await waitFor(() => slave.topicConfigManager.selectTopicConfig(TOPIC) !== undefined, 15_000, `the slave to sync the topic config of ${TOPIC}`);

    const resume = join(dir, 'resume');
    const consumer = await startGo(
      'consumer',
      ['-namesrv', namesrvAddr, '-topic', TOPIC, '-group', 'HaGoCG', '-expect', String(N), '-timeout', '150s', '-pause-after', String(PAUSE_AFTER), '-resume-file', resume, '-pull-batch', '1', '-pull-threshold', '1'],
      { readyLine: /^READY$/ },
    );
    let late: GoProcess | undefined;
    try {
      await consumer.waitForLine(/^PAUSED/, 60_000);
      master.child.kill('SIGKILL');
      await master.exit;
      const killedAt = Date.now();
      // A second group, started after the kill: v2.1.2 gets no committed offset without the master, so reads nothing.
      late = await startGo('consumer', ['-namesrv', namesrvAddr, '-topic', TOPIC, '-group', 'HaGoLateCG', '-expect', '1', '-timeout', '40s'], { readyLine: /^READY$/ });
      await writeFile(resume, '');
      const { exit, report: got } = await report(consumer, 160_000);
      const tookMs = Date.now() - killedAt;
      assert.equal(exit, 0, consumer.describe());
      assert.equal(got.status, 'DONE');
      const seen = new Map<string, number>();
      for (const r of got.received) seen.set(r.body ?? '', (seen.get(r.body ?? '') ?? 0) + 1);
      const missing = Array.from({ length: N }, (_, i) => `g${i}`).filter((body) => !seen.has(body));
      assert.deepEqual(missing, [], 'every acknowledged message consumed');
      const duplicates = got.received.length - seen.size;
      // What the Go client held when the master died came from the master: at most a couple per queue with one
      // message per pull and a threshold of one; everything else was pulled from the slave.
      const served = slave.brokerStatsManager.getStatsItem('GROUP_GET_NUMS', `${TOPIC}@HaGoCG`)?.value ?? 0;
      assert.ok(served >= N - PAUSE_AFTER - QUEUES * 4, `the slave served ${served} messages`);
      t.diagnostic(`Go consumer: all ${N} consumed ${tookMs} ms after the kill, ${served} served by the slave, ${duplicates} duplicates`);

      const lateResult = await report(late, 60_000);
      t.diagnostic(`Go consumer started after the kill: ${lateResult.report.status}, ${lateResult.report.distinct} messages`);
      assert.equal(lateResult.report.status, 'TIMEOUT', 'Go v2.1.2 reads nothing for a group without its master (see the header)');
      assert.equal(lateResult.report.distinct, 0);
    } finally {
      await consumer.stop();
      await late?.stop();
    }
  });
});
