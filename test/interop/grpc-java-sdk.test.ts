/**
 * The official RocketMQ 5.x Java SDK (rocketmq-client-java 5.2.0, from Maven Central, unchanged) as a producer
 * against our broker's gRPC endpoint, with its default TLS (any certificate accepted) and with TLS off, on the same
 * port. What it sends is read back by our remoting PushConsumer.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import { PushConsumer, type ConsumerMessage } from '../../src/client/index.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import { defaultTopicConfig } from '../../src/protocol/bodies/topic-config.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { buildInterop, interopSkip, runJava } from '../helpers/java.js';
import { waitFor } from '../helpers/wait.js';

const skip = await interopSkip();
const fixtures = fileURLToPath(new URL('../../../test/fixtures/tls/', import.meta.url));

interface Line {
  event: string;
  kind?: string;
  messageId?: string;
  recallHandle?: string;
  millis?: number;
  error?: string;
}

describe('Java SDK 5.2.0 producer against the broker’s gRPC endpoint', { skip, timeout: 5 * 60_000 }, () => {
  let dir: string;
  let namesrv: NamesrvController;
  let broker: BrokerController;
  let consumer: PushConsumer;
  let classpath: string;
  const received = new Map<string, ConsumerMessage & { arrivedAt: number }>();

  before(async () => {
    // Only the driver and the SDK's shaded jar: the broker on the interop classpath brings rocketmq-proto 2.0.4, whose
    // unshaded apache.rocketmq.v2 classes would shadow the SDK's own (NoSuchMethodError on newFutureStub).
    const entries = (await buildInterop()).classpath.split(delimiter);
    const sdkJar = entries.find((e) => e.endsWith('rocketmq-client-java-5.2.0.jar'));
    assert.ok(sdkJar !== undefined, 'rocketmq-client-java 5.2.0 is on the interop classpath');
    classpath = [entries[0] as string, sdkJar].join(delimiter);
    dir = await mkdtemp(join(tmpdir(), 'rmq-grpc-java-'));
    let namesrvAddr: string;
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    broker = await startTestBroker(dir, namesrvAddr, {
      grpc: {
        port: 0,
        bindAddress: '127.0.0.1',
        tls: { key: await readFile(`${fixtures}server.key`), cert: await readFile(`${fixtures}server.crt`) },
        maxMessageSize: 4 * 1024 * 1024,
        autoCreateTopics: false,
      },
    });
    for (const type of ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION']) {
      await broker.topicConfigManager.updateTopicConfig({ ...defaultTopicConfig(`Topic${type}`), readQueueNums: 4, writeQueueNums: 4, attributes: new Map([['message.type', type]]) });
    }
    await broker.registerBrokerAll();
    consumer = new PushConsumer({ nameServer: namesrvAddr, group: 'JavaSdkReader', clientIP: '127.0.0.1', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    for (const topic of ['TopicNORMAL', 'TopicFIFO', 'TopicDELAY', 'TopicTRANSACTION']) {
      consumer.subscribe(topic, '*', (msg) => void received.set(msg.msgId, Object.assign(msg, { arrivedAt: Date.now() })));
    }
    await consumer.start();
  });

  after(async () => {
    await consumer?.shutdown();
    await broker?.shutdown();
    await namesrv?.shutdown();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  for (const ssl of [true, false]) {
    it(`sends NORMAL, FIFO, DELAY and a transaction with TLS ${ssl ? 'on (the SDK default)' : 'off'}, and refuses the wrong type`, async () => {
      const prefix = ssl ? 'java-tls' : 'java-plain';
      const run = await runJava({
        mainClass: 'io.rocketmqts.interop.GrpcProducerDriver',
        classpath,
        args: ['--endpoints', `127.0.0.1:${broker.grpcEndpoint?.port ?? 0}`, '--ssl', String(ssl), '--prefix', prefix],
        timeoutMs: 90_000,
      });
      assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
      const lines = run.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);
      const started = lines.find((l) => l.event === 'started');
      assert.ok(started !== undefined && (started.millis ?? Infinity) < 10_000, run.stdout);
      assert.equal(lines.find((l) => l.event === 'wrongType')?.error, 'IllegalArgumentException');
      const sends = lines.filter((l) => l.event === 'send');
      assert.deepEqual(sends.map((l) => l.kind), ['normal', 'fifo', 'fifo', 'fifo', 'delay', 'transaction']);
      assert.notEqual(sends.find((l) => l.kind === 'delay')?.recallHandle, '');
      const ids = sends.map((l) => l.messageId as string);
      await waitFor(() => ids.every((id) => received.has(id)), 20_000, 'every message the Java SDK sent');
      const [normal, f0, f1, f2, delay, tx] = ids.map((id) => received.get(id) as ConsumerMessage & { arrivedAt: number });
      assert.equal(normal?.body.toString(), `${prefix}-normal`);
      assert.equal(normal?.tags, 'TagJ');
      assert.deepEqual(normal?.keys, ['kj1', 'kj2']);
      assert.equal(normal?.properties['pj'], 'vj');
      assert.equal(new Set([f0, f1, f2].map((m) => m?.queueId)).size, 1);
      assert.deepEqual([f0, f1, f2].map((m) => m?.body.toString()), [0, 1, 2].map((i) => `${prefix}-fifo-${i}`));
      // Due 2 s after it was born; the timer fires in 1 s slots (timerPrecisionMs), never earlier than one slot.
      assert.ok((delay?.arrivedAt ?? 0) >= (delay?.bornTimestamp ?? 0) + 1000, `the delay message came ${(delay?.arrivedAt ?? 0) - (delay?.bornTimestamp ?? 0)} ms after its birth`);
      assert.equal(tx?.body.toString(), `${prefix}-tx`);
    });
  }
});
