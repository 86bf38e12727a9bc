import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  RemotingClient,
  RemotingCommand,
  RequestCode,
  ResponseCode,
  decodeStoredMessages,
  messageProperties2String,
} from '../../src/index.js';
import { startBrokerProcess as startBroker } from '../helpers/broker-process.js';

const QUEUES = 4;
const FLAG_SUBSCRIPTION = 0x4;

async function sendLoop(client: RemotingClient, addr: string, worker: number, acked: Map<string, string>, stop: () => boolean): Promise<void> {
  for (let i = 0; !stop(); i++) {
    const key = `w${worker}-${i}`;
    const properties = messageProperties2String(new Map([['UNIQ_KEY', key], ['WAIT', 'true']]));
    const header = { a: 'PG', b: 'Durable', c: 'TBW102', d: QUEUES, e: i % QUEUES, f: 0, g: Date.now(), h: 0, i: properties, j: 0, k: false, m: false };
    let response: RemotingCommand;
    try {
      response = await client.invokeSync(addr, RemotingCommand.createRequestCommand(RequestCode.SEND_MESSAGE_V2, header, Buffer.from(`body of ${key}`)), 3000);
    } catch {
      return; // the broker died under this send: its outcome is unknown, so it is not counted as acked
    }
    if (response.code === ResponseCode.SUCCESS) acked.set(key, `body of ${key}`);
  }
}

async function readAll(client: RemotingClient, addr: string): Promise<Map<string, string>> {
  const stored = new Map<string, string>();
  for (let queueId = 0; queueId < QUEUES; queueId++) {
    let offset = 0;
    for (let round = 0; round < 10_000; round++) {
      const header = { consumerGroup: 'CG', topic: 'Durable', queueId, queueOffset: offset, maxMsgNums: 32, sysFlag: FLAG_SUBSCRIPTION, commitOffset: 0, suspendTimeoutMillis: 0, subscription: '*', subVersion: 0 };
      const response = await client.invokeSync(addr, RemotingCommand.createRequestCommand(RequestCode.PULL_MESSAGE, header), 3000);
      if (response.code !== ResponseCode.SUCCESS) break;
      for (const msg of decodeStoredMessages(response.body as Buffer, { checkCRC: true })) stored.set(msg.uniqKey ?? '', msg.body.toString());
      offset = Number(response.extFields?.['nextBeginOffset']);
    }
  }
  return stored;
}

for (const flushDiskType of ['ASYNC_FLUSH', 'SYNC_FLUSH'] as const) {
  describe(`durability (${flushDiskType})`, () => {
    it('every message acked before a SIGKILL in the middle of a stream of sync sends is readable after restart (D1)', async (t) => {
      const dir = await mkdtemp(join(tmpdir(), 'rmq-kill-'));
      const conf = join(dir, 'broker.conf');
      await writeFile(
        conf,
        [
          'brokerName=kill-test',
          'brokerIP1=127.0.0.1',
          'bindAddress=127.0.0.1',
          'listenPort=0',
          `storePathRootDir=${join(dir, 'store')}`,
          `flushDiskType=${flushDiskType}`,
          'mappedFileSizeCommitLog=262144',
          '',
        ].join('\n'),
      );
      const client = new RemotingClient();
      await client.start();
      try {
        const first = await startBroker(conf);
        const create = { topic: 'Durable', defaultTopic: 'TBW102', readQueueNums: QUEUES, writeQueueNums: QUEUES, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false };
        assert.equal((await client.invokeSync(first.addr, RemotingCommand.createRequestCommand(RequestCode.UPDATE_AND_CREATE_TOPIC, create), 3000)).code, ResponseCode.SUCCESS);

        const acked = new Map<string, string>();
        let killed = false;
        const loops = Array.from({ length: 8 }, (_, w) => sendLoop(client, first.addr, w, acked, () => killed));
        // Kill while sends are in flight, once enough have been acked to span several segments.
        while (acked.size < 1500) await new Promise((resolve) => setTimeout(resolve, 5));
        first.child.kill('SIGKILL');
        killed = true;
        await first.exit;
        await Promise.all(loops);

        const second = await startBroker(conf);
        const stored = await readAll(client, second.addr);
        const lost = [...acked.keys()].filter((key) => stored.get(key) !== acked.get(key));
        t.diagnostic(`${acked.size} acked before SIGKILL, ${stored.size} readable after restart, ${lost.length} lost`);
        assert.deepEqual(lost, []);
        second.child.kill('SIGTERM');
        assert.equal(await second.exit, 0);
      } finally {
        await client.shutdown();
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}
