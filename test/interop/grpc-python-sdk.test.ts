/**
 * The official RocketMQ 5.x Python SDK (rocketmq-python-client 5.1.2, from PyPI, unchanged, in the venv of
 * test/helpers/grpc-sdk.ts) as a producer against our broker's gRPC endpoint (plaintext, the SDK's default). What it sends is
 * read back by our remoting PushConsumer.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import { PushConsumer, type ConsumerMessage } from '../../src/client/index.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import { defaultTopicConfig } from '../../src/protocol/bodies/topic-config.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { execFile } from 'node:child_process';
import { mkdtemp as makeTemp } from 'node:fs/promises';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { pythonAvailable, pythonSdkVenv } from '../helpers/grpc-sdk.js';
import { waitFor } from '../helpers/wait.js';

const availability = await pythonAvailable();
if (!availability.ok && process.env.CI !== undefined) throw new Error(`the Python SDK interop test needs python3 with venv: ${availability.why}`);
const skip = availability.ok ? false : `python3 with venv missing: ${availability.why}`;
const script = fileURLToPath(new URL('../../../test/fixtures/grpc-sdk/python-producer.py', import.meta.url));

/** Runs the producer script with the SDK's venv and a home of its own (the SDK logs under ~/logs). */
async function runProducer(endpoint: string, prefix: string): Promise<string> {
  const python = await pythonSdkVenv();
  const home = await makeTemp(join(tmpdir(), 'rmqts-python-'));
  try {
    return (await promisify(execFile)(python, [script, endpoint, prefix], { timeout: 90_000, env: { ...process.env, HOME: home } })).stdout;
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

interface Line {
  event: string;
  kind?: string;
  messageId?: string;
  millis?: number;
  error?: string;
}

describe('Python SDK 5.1.2 producer against the broker’s gRPC endpoint', { skip, timeout: 10 * 60_000 }, () => {
  let dir: string;
  let namesrv: NamesrvController;
  let broker: BrokerController;
  let consumer: PushConsumer;
  const received = new Map<string, ConsumerMessage & { arrivedAt: number }>();

  before(async () => {
    await pythonSdkVenv();
    dir = await mkdtemp(join(tmpdir(), 'rmq-grpc-python-'));
    let namesrvAddr: string;
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    broker = await startTestBroker(dir, namesrvAddr, {
      grpc: { port: 0, bindAddress: '127.0.0.1', maxMessageSize: 4 * 1024 * 1024, autoCreateTopics: false },
    });
    for (const type of ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION']) {
      await broker.topicConfigManager.updateTopicConfig({ ...defaultTopicConfig(`Topic${type}`), readQueueNums: 4, writeQueueNums: 4, attributes: new Map([['message.type', type]]) });
    }
    await broker.registerBrokerAll();
    consumer = new PushConsumer({ nameServer: namesrvAddr, group: 'PythonSdkReader', clientIP: '127.0.0.1', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
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

  it('sends NORMAL, FIFO, DELAY and a transaction, and refuses the wrong type', async () => {
    const stdout = await runProducer(`127.0.0.1:${broker.grpcEndpoint?.port ?? 0}`, 'py');
    const lines = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);
    assert.ok((lines.find((l) => l.event === 'started')?.millis ?? Infinity) < 10_000, stdout);
    assert.equal(lines.find((l) => l.event === 'wrongType')?.error, 'IllegalArgumentException');
    const sends = lines.filter((l) => l.event === 'send');
    assert.deepEqual(sends.map((l) => l.kind), ['normal', 'fifo', 'fifo', 'fifo', 'delay', 'transaction']);
    const ids = sends.map((l) => l.messageId as string);
    await waitFor(() => ids.every((id) => received.has(id)), 20_000, 'every message the Python SDK sent');
    const [normal, f0, f1, f2, delay, tx] = ids.map((id) => received.get(id) as ConsumerMessage & { arrivedAt: number });
    assert.equal(normal?.body.toString(), 'py-normal');
    assert.equal(normal?.tags, 'TagP');
    assert.deepEqual(normal?.keys, ['kp']);
    assert.equal(normal?.properties['pp'], 'vp');
    assert.equal(new Set([f0, f1, f2].map((m) => m?.queueId)).size, 1);
    assert.deepEqual([f0, f1, f2].map((m) => m?.body.toString()), ['py-fifo-0', 'py-fifo-1', 'py-fifo-2']);
    // Due ~2 s after birth (whole seconds); the timer fires in 1 s slots: never before birth + 1 s.
    assert.ok((delay?.arrivedAt ?? 0) >= (delay?.bornTimestamp ?? 0) + 1000, `the delay message came ${(delay?.arrivedAt ?? 0) - (delay?.bornTimestamp ?? 0)} ms after its birth`);
    assert.equal(tx?.body.toString(), 'py-tx');
  });
});
