import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  MQClientManager,
  Producer,
  PushConsumer,
  type ConsumeEndPayload,
  type InstrumentationEvent,
  type MessageQueue,
  type PushConsumerOptions,
  type RebalancePayload,
} from '../../src/client/index.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

interface Cluster {
  namesrvAddr: string;
  brokerAddr: string;
  stopBroker(): Promise<void>;
  stop(): Promise<void>;
}

/** A name server and one broker, as `dev` runs them, on free loopback ports; the broker can stop alone. */
async function startCluster(dir: string): Promise<Cluster> {
  const { namesrv, namesrvAddr } = await startTestNamesrv(dir);
  const broker = await startTestBroker(dir, namesrvAddr);
  let brokerRunning = true;
  const stopBroker = async (): Promise<void> => {
    if (!brokerRunning) return;
    brokerRunning = false;
    await broker.shutdown();
  };
  return {
    namesrvAddr,
    brokerAddr: broker.brokerAddr,
    stopBroker,
    async stop() {
      await stopBroker();
      await namesrv.shutdown();
    },
  };
}

/** Accepts connections and never answers: every request to it times out. */
async function startSilentServer(): Promise<{ addr: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    addr: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const queueKey = (mq: MessageQueue): string => `${mq.brokerName}:${mq.queueId}`;

describe('client instrumentation events against our broker', () => {
  let dir: string;
  let cluster: Cluster;
  let manager: MQClientManager;
  let seq = 0;
  const consumerOptions = (group: string, extra: Partial<PushConsumerOptions> = {}): PushConsumerOptions => ({
    nameServer: cluster.namesrvAddr,
    group,
    clientIP: '127.0.0.1',
    clientManager: manager,
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
    persistConsumerOffsetInterval: 200,
    ...extra,
  });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-events-'));
    cluster = await startCluster(dir);
    manager = new MQClientManager();
  });
  after(async () => {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('producer: start, connect, heartbeat, requests with codes and durations, stop', async () => {
    const producer = new Producer({ nameServer: cluster.namesrvAddr, group: 'EventsPG1', clientIP: '127.0.0.1', clientManager: manager });
    const seen: InstrumentationEvent[] = [];
    const record = (e: InstrumentationEvent): void => void seen.push(e);
    for (const type of Object.values(Producer.events)) producer.on(type, record);
    await producer.start();
    const topic = `EventsT${++seq}`;
    const result = await producer.send({ topic, body: 'hello' });
    const of = (type: string): InstrumentationEvent[] => seen.filter((e) => e.type === type);
    // The first heartbeat runs a second after start; the broker is known by then, from the send's route.
    await waitFor(() => of('producer.heartbeat').length > 0, 5000, 'a heartbeat');
    await producer.shutdown();

    const start = of('producer.start')[0]?.payload as { group: string; clientId: string };
    assert.equal(start.group, 'EventsPG1');
    assert.match(start.clientId, /^127\.0\.0\.1@/);
    assert.deepEqual(of('producer.stop').map((e) => e.payload), [start]);
    const connected = of('producer.network.connect').map((e) => (e.payload as { address: string }).address);
    assert.ok(connected.includes(cluster.namesrvAddr), `connected to the name server: ${connected.join(', ')}`);
    assert.ok(connected.includes(cluster.brokerAddr), `connected to the broker: ${connected.join(', ')}`);
    const heartbeats = of('producer.heartbeat').map((e) => e.payload as { brokerName: string; address: string; brokerVersion: number });
    assert.ok(heartbeats.some((h) => h.brokerName === 'broker-a' && h.address === cluster.brokerAddr && h.brokerVersion > 0));

    const requests = of('producer.network.request').map((e) => e.payload as { address: string; code: number; responseCode: number; duration: number });
    for (const r of requests) assert.ok(r.duration >= 0 && Number.isFinite(r.duration), `duration ${r.duration}`);
    const sends = requests.filter((r) => r.code === RequestCode.SEND_MESSAGE || r.code === RequestCode.SEND_MESSAGE_V2);
    assert.equal(sends.length, 1, 'one send request');
    assert.equal(sends[0]?.address, cluster.brokerAddr);
    assert.equal(sends[0]?.responseCode, ResponseCode.SUCCESS);
    const routes = requests.filter((r) => r.code === RequestCode.GET_ROUTEINFO_BY_TOPIC);
    assert.ok(routes.length > 0 && routes.every((r) => r.address === cluster.namesrvAddr));
    // The new topic's first lookup is refused (TOPIC_NOT_EXIST) before the template route is used.
    assert.ok(routes.some((r) => r.responseCode === ResponseCode.TOPIC_NOT_EXIST));
    assert.ok(requests.some((r) => r.code === RequestCode.UNREGISTER_CLIENT && r.responseCode === ResponseCode.SUCCESS), 'shutdown unregisters');
    assert.equal(result.status, 'SEND_OK');
    const ids = seen.map((e) => e.id);
    assert.deepEqual([...ids].sort((a, b) => a - b), ids, 'ids increase in emission order');
  });

  it('request timeout (and the disconnect it causes) from a name server that never answers', async () => {
    const silent = await startSilentServer();
    const producer = new Producer({
      nameServer: silent.addr,
      group: 'EventsPG2',
      clientIP: '127.0.0.1',
      clientManager: manager,
      mqClientApiTimeout: 300,
      sendMsgTimeout: 1000,
    });
    const timeouts: { address: string; code: number; opaque: number; timeout: number }[] = [];
    const disconnects: string[] = [];
    producer.on(Producer.events.REQUEST_TIMEOUT, (e) => void timeouts.push(e.payload));
    producer.on(Producer.events.DISCONNECT, (e) => void disconnects.push(e.payload.address));
    await producer.start();
    try {
      await assert.rejects(producer.send({ topic: 'EventsNever', body: 'x' }));
      await waitFor(() => timeouts.length > 0 && disconnects.length > 0, 5000, 'a timeout and a disconnect');
    } finally {
      await producer.shutdown();
      await silent.close();
    }
    const first = timeouts[0];
    assert.deepEqual(first, { address: silent.addr, code: RequestCode.GET_ROUTEINFO_BY_TOPIC, opaque: first?.opaque, timeout: 300 });
    assert.equal(disconnects[0], silent.addr, 'a sync timeout closes the channel (clientCloseSocketIfTimeout)');
  });

  it('consumer: start, heartbeat, rebalance, pull, consume start/end down to lag 0, commit, stop', async () => {
    const topic = `EventsT${++seq}`;
    const producer = new Producer({ nameServer: cluster.namesrvAddr, group: 'EventsPG3', clientIP: '127.0.0.1', clientManager: manager });
    await producer.start();
    const count = 12;
    try {
      for (let i = 0; i < count; i++) await producer.send({ topic, body: `m${i}` });
    } finally {
      await producer.shutdown();
    }
    const consumer = new PushConsumer(consumerOptions('EventsCG1'));
    const seen: InstrumentationEvent[] = [];
    for (const type of Object.values(PushConsumer.events)) consumer.on(type, (e) => void seen.push(e));
    let consumed = 0;
    consumer.subscribe(topic, '*', () => void consumed++);
    await consumer.start();
    const of = <P>(type: string): P[] => seen.filter((e) => e.type === type).map((e) => e.payload as P);
    try {
      await waitFor(() => consumed === count, 10_000, `${count} messages`);
      const ends = (): ConsumeEndPayload[] => of<ConsumeEndPayload>('consumer.consume_end').filter((p) => p.queue.topic === topic);
      await waitFor(() => ends().length === count, 5000, 'a consume_end per message');
      // Every message consumed: the committed offset of each queue that held messages reaches its max offset.
      const maxByQueue = new Map<string, number>();
      for (const end of ends()) maxByQueue.set(queueKey(end.queue), Math.max(maxByQueue.get(queueKey(end.queue)) ?? 0, end.lastOffset + 1));
      await waitFor(
        () => {
          const committed = new Map<string, number>();
          for (const c of of<{ offsets: { queue: MessageQueue; offset: number }[] }>('consumer.commit_offsets')) {
            for (const { queue, offset } of c.offsets) if (queue.topic === topic) committed.set(queueKey(queue), offset);
          }
          return [...maxByQueue].every(([key, max]) => committed.get(key) === max);
        },
        5000,
        'offsets committed up to the last message of each queue',
      );
    } finally {
      await consumer.shutdown();
    }

    const start = of<{ group: string; clientId: string }>('consumer.start');
    assert.equal(start.length, 1);
    assert.equal(start[0]?.group, 'EventsCG1');
    assert.deepEqual(of('consumer.stop'), start);
    assert.ok(of<{ brokerName: string }>('consumer.heartbeat').some((h) => h.brokerName === 'broker-a'));

    const rebalances = of<RebalancePayload>('consumer.rebalance').filter((r) => r.topic === topic);
    assert.ok(rebalances.length >= 1);
    const firstRebalance = rebalances[0] as RebalancePayload;
    assert.ok(firstRebalance.added.length > 0, 'the only consumer takes every queue');
    assert.deepEqual(firstRebalance.removed, []);
    assert.deepEqual(firstRebalance.queues.map(queueKey).sort(), firstRebalance.added.map(queueKey).sort());

    const pulls = of<{ queue: MessageQueue; status: string; messageCount: number; nextOffset: number; duration: number }>('consumer.pull').filter(
      (p) => p.queue.topic === topic,
    );
    const found = pulls.filter((p) => p.status === 'FOUND');
    assert.equal(
      found.reduce((n, p) => n + p.messageCount, 0),
      count,
      'the FOUND pulls carried every message',
    );
    for (const p of pulls) assert.ok(p.duration >= 0 && p.nextOffset >= 0);
    for (const p of found) assert.ok(p.messageCount > 0);

    const startsOf = of<{ queue: MessageQueue; lag: number }>('consumer.consume_start').filter((p) => p.queue.topic === topic);
    assert.equal(startsOf.length, count);
    const ends = of<ConsumeEndPayload>('consumer.consume_end').filter((p) => p.queue.topic === topic);
    for (const end of ends) {
      assert.equal(end.result, 'CONSUME_SUCCESS');
      assert.equal(end.messageCount, 1);
      assert.ok(end.duration >= 0);
      assert.ok(end.lag >= 0);
    }
    // The last message of each queue leaves no lag.
    for (const key of new Set(ends.map((e) => queueKey(e.queue)))) {
      const last = ends.filter((e) => queueKey(e.queue) === key).sort((a, b) => b.lastOffset - a.lastOffset)[0] as ConsumeEndPayload;
      assert.equal(last.lag, 0, `queue ${key}`);
    }
    assert.ok(Math.max(...ends.map((e) => e.lag)) > 0, 'earlier messages of a queue had lag');
  });

  it('a second consumer joining makes the first give queues away', async () => {
    const topic = `EventsT${++seq}`;
    const producer = new Producer({ nameServer: cluster.namesrvAddr, group: 'EventsPG4', clientIP: '127.0.0.1', clientManager: manager });
    await producer.start();
    try {
      await producer.send({ topic, body: 'create' });
    } finally {
      await producer.shutdown();
    }
    const c1 = new PushConsumer(consumerOptions('EventsCG2', { instanceName: 'events-c1' }));
    const c2 = new PushConsumer(consumerOptions('EventsCG2', { instanceName: 'events-c2' }));
    const rebalances: RebalancePayload[] = [];
    c1.on(PushConsumer.events.REBALANCE, (e) => {
      if (e.payload.topic === topic) rebalances.push(e.payload);
    });
    c1.subscribe(topic, '*', () => undefined);
    c2.subscribe(topic, '*', () => undefined);
    await c1.start();
    try {
      await waitFor(() => rebalances.length === 1, 10_000, 'c1 owns the topic');
      const all = (rebalances[0] as RebalancePayload).queues;
      assert.ok(all.length >= 2, `${all.length} queues`);
      await c2.start();
      await waitFor(() => rebalances.some((r) => r.removed.length > 0), 10_000, 'c1 gives queues to c2');
      const shrink = rebalances.find((r) => r.removed.length > 0) as RebalancePayload;
      assert.equal(shrink.queues.length + shrink.removed.length, all.length);
      assert.deepEqual(shrink.added, []);
      assert.ok([Math.floor(all.length / 2), Math.ceil(all.length / 2)].includes(shrink.queues.length), 'averagely: half each');
      const owned = new Set(shrink.queues.map(queueKey));
      for (const mq of shrink.removed) assert.equal(owned.has(queueKey(mq)), false);
    } finally {
      await c2.shutdown();
      await c1.shutdown();
    }
  });

  it('instance events reach every client of a shared instance; a broker stopping shows as a disconnect', async () => {
    const topic = `EventsT${++seq}`;
    const shared = { nameServer: cluster.namesrvAddr, clientIP: '127.0.0.1', clientManager: manager, instanceName: 'events-shared' };
    const producer = new Producer({ ...shared, group: 'EventsPG5' });
    const consumer = new PushConsumer(consumerOptions('EventsCG3', { instanceName: 'events-shared' }));
    const producerConnects: string[] = [];
    const producerSends: number[] = [];
    const consumerSends: number[] = [];
    const disconnects: string[] = [];
    producer.on(Producer.events.CONNECT, (e) => void producerConnects.push(e.payload.address));
    producer.on(Producer.events.REQUEST, (e) => void producerSends.push(e.payload.code));
    consumer.on(PushConsumer.events.REQUEST, (e) => void consumerSends.push(e.payload.code));
    consumer.on(PushConsumer.events.DISCONNECT, (e) => void disconnects.push(e.payload.address));
    let received = 0;
    consumer.subscribe(topic, '*', () => void received++);
    await producer.start();
    try {
      // Sent first, so the topic exists when the consumer looks its route up.
      await producer.send({ topic, body: 'x' });
      await consumer.start();
      assert.equal(producer.clientId, consumer.clientId, 'one client instance');
      await waitFor(() => received === 1, 10_000, 'the message');
      assert.ok(producerSends.includes(RequestCode.SEND_MESSAGE_V2) || producerSends.includes(RequestCode.SEND_MESSAGE));
      assert.ok(consumerSends.includes(RequestCode.PULL_MESSAGE) && producerSends.includes(RequestCode.PULL_MESSAGE), "the consumer's pulls reach the producer too");
      assert.ok(producerConnects.includes(cluster.brokerAddr), 'connect event');
      await cluster.stopBroker();
      await waitFor(() => disconnects.includes(cluster.brokerAddr), 5000, 'disconnect from the stopped broker');
    } finally {
      await consumer.shutdown();
      await producer.shutdown();
    }
  });
});

