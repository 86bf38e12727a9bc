import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
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

const cliModule = new URL('../../src/cli/broker.js', import.meta.url).href;
const QUEUES = 4;
const FLAG_SUBSCRIPTION = 0x4;

interface RunningBroker {
  child: ChildProcess;
  addr: string;
  exit: Promise<number | null>;
}

/** `rocketmq-ts broker -c conf` in a child process; resolves once it printed its boot line. */
async function startBroker(conf: string): Promise<RunningBroker> {
  const script = `import { runBroker } from ${JSON.stringify(cliModule)}; process.exitCode = await runBroker(process.argv.slice(1));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, '--', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const addr = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /The broker\[[^,]+, ([^\]]+)\] boot success\./.exec(out);
      if (match !== null) resolve(match[1] as string);
    });
    void exit.then(() => reject(new Error(`the broker exited early:\n${out}`)));
  });
  return { child, addr, exit };
}

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
