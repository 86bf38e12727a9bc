/**
 * Timer messages survive kill -9 (issue 15): two producers send timer messages (TIMER_DELAY_MS from 0.3 to 3 s)
 * while the broker, a child process, is killed with SIGKILL and restarted three times. Afterwards every acknowledged
 * timer message is delivered, none before its time, and none twice: the timer log and the progress file are in the
 * kernel at every step, and a delivery batch cut by the crash is found by its intent record.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode, decodeStoredMessages, messageProperties2String } from '../../src/index.js';
import { startBrokerProcess, type RunningBroker } from '../helpers/broker-process.js';
import { waitFor } from '../helpers/wait.js';

const TOPIC = 'TimerDurable';
const QUEUES = 4;
const PRODUCERS = 2;
const KILLS = 3;
const FLAG_SUBSCRIPTION = 0x4;

describe('timer messages across kill -9', () => {
  it('delivers every acknowledged timer message once and never early, across three SIGKILLs', { timeout: 5 * 60_000 }, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'rmq-timerkill-'));
    const conf = join(dir, 'broker.conf');
    await writeFile(
      conf,
      ['brokerName=timer-kill', 'brokerIP1=127.0.0.1', 'bindAddress=127.0.0.1', 'listenPort=0', `storePathRootDir=${join(dir, 'store')}`, 'mappedFileSizeCommitLog=1048576', 'timerPrecisionMs=100', ''].join('\n'),
    );
    /** key -> the earliest time it may be delivered (the send began before the broker read its clock). */
    const dueAt = new Map<string, number>();
    const acked = new Set<string>();
    let broker: RunningBroker | undefined;
    let addr = '';
    const clients = Array.from({ length: PRODUCERS }, () => new RemotingClient());
    let stopped = false;
    const produce = async (p: number): Promise<void> => {
      const client = clients[p]!;
      for (let i = 0; !stopped; i++) {
        const key = `p${p}-${i}`;
        const delay = 300 + ((i * 7919 + p * 104729) % 2700);
        const properties = messageProperties2String(new Map([['UNIQ_KEY', key], ['TIMER_DELAY_MS', String(delay)], ['WAIT', 'true']]));
        const header = { a: 'TimerPG', b: TOPIC, c: 'TBW102', d: QUEUES, e: i % QUEUES, f: 0, g: Date.now(), h: 0, i: properties, j: 0, k: false, m: false };
        const target = addr;
        const sentAt = Date.now();
        let response: RemotingCommand;
        try {
          response = await client.invokeSync(target, RemotingCommand.createRequestCommand(RequestCode.SEND_MESSAGE_V2, header, Buffer.from(key)), 3000);
        } catch {
          await waitFor(() => addr !== target || stopped, 30_000, 'the restarted broker');
          continue;
        }
        if (response.code !== ResponseCode.SUCCESS) continue;
        dueAt.set(key, sentAt + delay);
        acked.add(key);
      }
    };

    try {
      await Promise.all(clients.map((client) => client.start()));
      broker = await startBrokerProcess(conf);
      addr = broker.addr;
      const create = { topic: TOPIC, defaultTopic: 'TBW102', readQueueNums: QUEUES, writeQueueNums: QUEUES, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false };
      assert.equal((await clients[0]!.invokeSync(addr, RemotingCommand.createRequestCommand(RequestCode.UPDATE_AND_CREATE_TOPIC, create), 3000)).code, ResponseCode.SUCCESS);
      const loops = clients.map((_, p) => produce(p));
      for (let kill = 0; kill < KILLS; kill++) {
        const before = acked.size;
        await waitFor(() => acked.size >= before + 400, 60_000, 'more acknowledged timer messages');
        const running = broker;
        running.child.kill('SIGKILL');
        await running.exit;
        broker = await startBrokerProcess(conf);
        addr = broker.addr;
      }
      const before = acked.size;
      await waitFor(() => acked.size >= before + 400, 60_000, 'sends after the last restart');
      stopped = true;
      await Promise.all(loops);

      const delivered = new Map<string, number[]>();
      const pullAll = async (): Promise<void> => {
        delivered.clear();
        for (let queueId = 0; queueId < QUEUES; queueId++) {
          let offset = 0;
          for (let round = 0; round < 10_000; round++) {
            const header = { consumerGroup: 'CG', topic: TOPIC, queueId, queueOffset: offset, maxMsgNums: 32, sysFlag: FLAG_SUBSCRIPTION, commitOffset: 0, suspendTimeoutMillis: 0, subscription: '*', subVersion: 0 };
            const response = await clients[0]!.invokeSync(addr, RemotingCommand.createRequestCommand(RequestCode.PULL_MESSAGE, header), 3000);
            if (response.code !== ResponseCode.SUCCESS) break;
            for (const msg of decodeStoredMessages(response.body as Buffer)) {
              const key = msg.uniqKey ?? '';
              delivered.set(key, [...(delivered.get(key) ?? []), msg.storeTimestamp]);
            }
            offset = Number(response.extFields?.['nextBeginOffset']);
          }
        }
      };
      const lastDue = Math.max(...dueAt.values());
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, lastDue - Date.now())));
      const deadline = Date.now() + 30_000;
      for (;;) {
        await pullAll();
        if ([...acked].every((key) => delivered.has(key)) || Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const lost = [...acked].filter((key) => !delivered.has(key));
      const early = [...delivered].filter(([key, times]) => dueAt.has(key) && times.some((ts) => ts < dueAt.get(key)!));
      const duplicates = [...delivered.values()].reduce((sum, times) => sum + times.length - 1, 0);
      const unacked = [...delivered.keys()].filter((key) => !acked.has(key)).length;
      t.diagnostic(`${acked.size} timer messages acknowledged across ${KILLS} SIGKILLs; ${lost.length} lost, ${early.length} early, ${duplicates} duplicates; ${delivered.size} delivered (${unacked} whose send was not acknowledged)`);
      assert.deepEqual(lost.slice(0, 10), [], 'every acknowledged timer message delivered');
      assert.deepEqual(early.slice(0, 10), [], 'none before its time');
      assert.equal(duplicates, 0, 'none delivered twice');
    } finally {
      stopped = true;
      broker?.child.kill('SIGKILL');
      await broker?.exit;
      await Promise.all(clients.map((client) => client.shutdown()));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
