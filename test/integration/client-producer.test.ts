import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { startDev, type DevCluster } from '../../src/cli/dev.js';
import { silentLogger } from '../../src/common/logger.js';
import { MQClientError, MQClientManager, Producer, javaHashCode, type ProducerOptions } from '../../src/client/index.js';
import {
  MessageSysFlag,
  RemotingClient,
  RemotingCommand,
  RequestCode,
  ResponseCode,
  decodeStoredMessages,
  decodeTopicRouteData,
  type MessageExt,
} from '../../src/index.js';
import { runLeakProbe } from '../helpers/leaks.js';
import { waitFor } from '../helpers/wait.js';

/** PULL_MESSAGE from queue `queueId` at `offset`, without waiting (the test polls). */
async function pull(client: RemotingClient, brokerAddr: string, topic: string, queueId: number, offset: number): Promise<MessageExt[]> {
  const header = {
    consumerGroup: 'ClientTestCG',
    topic,
    queueId,
    queueOffset: offset,
    maxMsgNums: 64,
    sysFlag: 0x4,
    commitOffset: 0,
    suspendTimeoutMillis: 0,
    subscription: '*',
    subVersion: 0,
  };
  const response = await client.invokeSync(brokerAddr, RemotingCommand.createRequestCommand(RequestCode.PULL_MESSAGE, header), 3000);
  if (response.code !== ResponseCode.SUCCESS) return [];
  return decodeStoredMessages(response.body as Buffer);
}

/** Every message of every queue of `topic`, once `count` are there. */
async function readAll(client: RemotingClient, brokerAddr: string, topic: string, queues: number, count: number): Promise<MessageExt[]> {
  let all: MessageExt[] = [];
  const deadline = Date.now() + 5000;
  while (all.length < count) {
    if (Date.now() > deadline) throw new Error(`found ${all.length} of ${count} messages in ${topic}`);
    all = [];
    for (let q = 0; q < queues; q++) all.push(...(await pull(client, brokerAddr, topic, q, 0)));
    if (all.length < count) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return all;
}

describe('Producer against the dev cluster', () => {
  let dir: string;
  let dev: DevCluster;
  let client: RemotingClient;
  let manager: MQClientManager;
  let producer: Producer;
  const options = (group: string, extra: Partial<ProducerOptions> = {}): ProducerOptions => ({
    nameServer: dev.namesrvAddr,
    group,
    clientIP: '127.0.0.1',
    clientManager: manager,
    ...extra,
  });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-client-'));
    dev = await startDev({ namesrvPort: 0, brokerPort: 0, dataDir: dir, brokerIP: '127.0.0.1', logger: silentLogger });
    client = new RemotingClient();
    await client.start();
    manager = new MQClientManager();
    producer = new Producer(options('ClientTestPG'));
    await producer.start();
  });
  after(async () => {
    await producer.shutdown();
    await client.shutdown();
    await dev.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('sends sync to a new topic (created from TBW102) and the stored message is what was sent', async () => {
    const result = await producer.send({
      topic: 'ClientSyncTopic',
      body: 'hello from TypeScript',
      tags: 'TagA',
      keys: ['k1', 'k2'],
      properties: { note: 'é✓' },
    });
    assert.equal(result.status, 'SEND_OK');
    assert.match(result.msgId, /^7F000001[0-9A-F]{24}$/);
    assert.match(result.offsetMsgId, /^7F000001[0-9A-F]{24}$/);
    assert.equal(result.messageQueue.topic, 'ClientSyncTopic');
    assert.equal(result.messageQueue.brokerName, 'broker-a');
    assert.ok(result.messageQueue.queueId >= 0 && result.messageQueue.queueId < 4);
    assert.equal(result.queueOffset, 0);
    assert.equal(result.regionId, 'DefaultRegion');

    const [stored] = await readAll(client, dev.broker.brokerAddr, 'ClientSyncTopic', 4, 1);
    assert.ok(stored !== undefined);
    assert.equal(stored.body.toString(), 'hello from TypeScript');
    assert.equal(stored.tags, 'TagA');
    assert.deepEqual(stored.keyList, ['k1', 'k2']);
    assert.equal(stored.getProperty('note'), 'é✓');
    assert.equal(stored.uniqKey, result.msgId);
    assert.equal(stored.msgId, result.offsetMsgId);
    assert.equal(stored.queueId, result.messageQueue.queueId);
    assert.equal(stored.sysFlag & MessageSysFlag.COMPRESSED_FLAG, 0);

    // The broker created the topic with defaultTopicQueueNums (4) queues and registered it.
    const route = await client.invokeSync(dev.namesrvAddr, RemotingCommand.createRequestCommand(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'ClientSyncTopic' }), 3000);
    assert.equal(route.code, ResponseCode.SUCCESS);
    assert.equal(decodeTopicRouteData(route.body).queueDatas[0]?.writeQueueNums, 4);
  });

  it('round-robins over the queues and sends oneway', async () => {
    const results = [];
    for (let i = 0; i < 8; i++) results.push(await producer.send({ topic: 'ClientRoundRobin', body: `m${i}`, keys: `k${i}` }));
    const queues = new Set(results.map((r) => r.messageQueue.queueId));
    assert.equal(queues.size, 4, `queues used: ${[...queues].join(',')}`);

    await producer.sendOneway({ topic: 'ClientRoundRobin', body: 'oneway', keys: 'oneway' });
    const all = await readAll(client, dev.broker.brokerAddr, 'ClientRoundRobin', 4, 9);
    assert.ok(all.some((m) => m.body.toString() === 'oneway'));
  });

  it('compresses a body of 4 KiB or more with zlib and sets the COMPRESSED flag', async () => {
    const body = Buffer.from('RocketMQ compressible text. '.repeat(600));
    const small = Buffer.alloc(4095, 'x');
    const big = await producer.send({ topic: 'ClientCompressed', body, keys: 'big' });
    await producer.send({ topic: 'ClientCompressed', body: small, keys: 'small' });
    const all = await readAll(client, dev.broker.brokerAddr, 'ClientCompressed', 4, 2);
    const stored = all.find((m) => m.uniqKey === big.msgId);
    assert.ok(stored !== undefined);
    assert.equal(stored.sysFlag & MessageSysFlag.COMPRESSED_FLAG, MessageSysFlag.COMPRESSED_FLAG);
    assert.equal(stored.sysFlag & MessageSysFlag.COMPRESSION_TYPE_MASK, 0x300);
    assert.ok(stored.body.length < body.length / 4, `${stored.body.length} bytes stored`);
    assert.deepEqual(inflateSync(stored.body), body);
    const plain = all.find((m) => m.keys === 'small');
    assert.equal((plain?.sysFlag ?? -1) & MessageSysFlag.COMPRESSED_FLAG, 0);
    assert.deepEqual(plain?.body, small);
  });

  it('sends a batch (SEND_BATCH_MESSAGE): consecutive offsets of one queue, each message with its own id', async () => {
    const messages = Array.from({ length: 10 }, (_, i) => ({ topic: 'ClientBatch', body: `batch ${i}`, keys: `b${i}`, tags: 'B' }));
    const result = await producer.send(messages);
    assert.equal(result.status, 'SEND_OK');
    const ids = result.msgId.split(',');
    assert.equal(ids.length, 10);
    assert.equal(new Set(ids).size, 10);
    const stored = (await readAll(client, dev.broker.brokerAddr, 'ClientBatch', 4, 10)).sort((a, b) => a.queueOffset - b.queueOffset);
    assert.deepEqual(stored.map((m) => m.queueId), new Array<number>(10).fill(result.messageQueue.queueId));
    assert.deepEqual(stored.map((m) => m.queueOffset), [...Array(10).keys()].map((i) => result.queueOffset + i));
    assert.deepEqual(stored.map((m) => m.body.toString()), messages.map((m) => m.body));
    assert.deepEqual(stored.map((m) => m.uniqKey), ids);
  });

  it('sends in order: one sharding key, one queue (Java SelectMessageQueueByHash), offsets in send order', async () => {
    await producer.send({ topic: 'ClientOrdered', body: 'warm-up' });
    for (const key of ['order-1', 'order-12345', 'user:42']) {
      const results = [];
      for (let i = 0; i < 5; i++) results.push(await producer.send({ topic: 'ClientOrdered', body: `${key}#${i}` }, { shardingKey: key }));
      const expected = Math.abs(javaHashCode(key) % 4);
      assert.deepEqual(results.map((r) => r.messageQueue.queueId), new Array<number>(5).fill(expected), key);
      const offsets = results.map((r) => r.queueOffset);
      assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b));
    }
    const custom = await producer.send({ topic: 'ClientOrdered', body: 'to queue 3' }, { selector: (mqs, _msg, arg) => mqs[arg as number], arg: 3 });
    assert.equal(custom.messageQueue.queueId, 3);
  });

  it('speaks the binary ROCKETMQ header encoding too', async () => {
    const p = new Producer(options('ClientRocketMQHeaderPG', { serializeType: 'ROCKETMQ' }));
    await p.start();
    try {
      const result = await p.send({ topic: 'ClientRocketMQHeader', body: 'binary header', tags: 'T', properties: { k: 'v' } });
      assert.equal(result.status, 'SEND_OK');
      const [stored] = await readAll(client, dev.broker.brokerAddr, 'ClientRocketMQHeader', 4, 1);
      assert.equal(stored?.uniqKey, result.msgId);
      assert.equal(stored?.getProperty('k'), 'v');
    } finally {
      await p.shutdown();
    }
  });

  it('refuses invalid messages before any I/O, with typed errors', async () => {
    const cases: [unknown, RegExp][] = [
      [{ topic: 'ClientValid', body: '' }, /body length is zero/],
      [{ topic: 'ClientValid', body: Buffer.alloc(4 * 1024 * 1024 + 1) }, /body size over max value/],
      [{ topic: 'bad topic!', body: 'x' }, /illegal characters/],
      [{ topic: 'x'.repeat(128), body: 'x' }, /longer than topic max length/],
      [{ topic: 'SCHEDULE_TOPIC_XXXX', body: 'x' }, /forbidden/],
      [{ topic: 'ClientValid', body: 'x', properties: { TAGS: 'no' } }, /set by the message's fields/],
      [{ topic: 'ClientValid', body: 'x', tags: 'a\u0001b' }, /separator/],
      [[{ topic: 'A1', body: 'x' }, { topic: 'B1', body: 'x' }], /same/],
      [[{ topic: 'A1', body: 'x', delayLevel: 3 }], /TimeDelayLevel/],
    ];
    for (const [message, pattern] of cases) {
      await assert.rejects(producer.send(message as never), (err: unknown) => {
        assert.ok(err instanceof MQClientError, String(err));
        assert.match(err.message, pattern);
        return true;
      });
    }
    await assert.rejects(new Producer(options('NotStarted')).send({ topic: 'T', body: 'x' }), /state not OK/);
    assert.throws(() => new Producer(options('bad group!')), /illegal characters/);
  });

  it('heartbeats its group to the broker and unregisters it on shutdown', async () => {
    const group = 'ClientHeartbeatPG';
    const p = new Producer(options(group, { heartbeatBrokerInterval: 100 }));
    await p.start();
    await waitFor(() => dev.broker.producerManager.groupOnline(group), 5000, 'the heartbeat');
    await p.shutdown();
    assert.equal(dev.broker.producerManager.groupOnline(group), false);
  });

  it('shares one client instance per client id, and refuses a second producer of one group there', async () => {
    const shared = new MQClientManager();
    const a = new Producer(options('SharedA', { instanceName: 'shared', clientManager: shared }));
    const b = new Producer(options('SharedB', { instanceName: 'shared', clientManager: shared }));
    await a.start();
    await b.start();
    assert.equal(shared.size, 1);
    assert.equal(a.clientId, '127.0.0.1@shared');
    assert.equal(b.clientId, a.clientId);
    await assert.rejects(new Producer(options('SharedA', { instanceName: 'shared', clientManager: shared })).start(), /has been created before/);
    await a.shutdown();
    assert.equal(shared.size, 1);
    assert.equal((await b.send({ topic: 'ClientShared', body: 'still up' })).status, 'SEND_OK');
    await b.shutdown();
    assert.equal(shared.size, 0);
  });

  it('starts, shuts down and starts again without leaking timers or sockets', async () => {
    // Sockets (both ends live in this process) and timers; transient fs requests of the store come and go.
    const count = (type: string): number => process.getActiveResourcesInfo().filter((r) => r === type).length;
    const baseline = { sockets: count('TCPSocketWrap'), timers: count('Timeout') };
    const p = new Producer(options('ClientRestartPG'));
    for (let round = 0; round < 3; round++) {
      await p.start();
      assert.equal((await p.send({ topic: 'ClientRestart', body: `round ${round}` })).status, 'SEND_OK');
      await p.shutdown();
    }
    await waitFor(
      () => count('TCPSocketWrap') <= baseline.sockets && count('Timeout') <= baseline.timers,
      3000,
      `sockets ${count('TCPSocketWrap')} <= ${baseline.sockets} and timers ${count('Timeout')} <= ${baseline.timers}`,
    );
  });

  it('leaves no timer or socket behind after shutdown, even unref\'d ones, so the process exits', async () => {
    const entry = fileURLToPath(new URL('../../src/client/index.js', import.meta.url));
    const { live } = await runLeakProbe(
      `
      const { Producer } = await import(${JSON.stringify(entry)});
      const producer = new Producer({ nameServer: ${JSON.stringify(dev.namesrvAddr)}, group: 'ClientExitPG', clientIP: '127.0.0.1' });
      for (let round = 0; round < 2; round++) {
        await producer.start();
        const result = await producer.send({ topic: 'ClientExit', body: 'bye' });
        if (result.status !== 'SEND_OK') throw new Error(result.status);
        await producer.shutdown();
      }
    `,
      10_000,
    );
    assert.deepEqual(live, []);
  });
});
