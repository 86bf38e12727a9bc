/**
 * gRPC consumption across a SIGKILL of the broker process: the official Node SDK 1.0.8 PushConsumer consumes while
 * the broker (a child process, `rocketmq-ts broker -c`) is killed and restarted on the same data dir and gRPC port.
 * Every message is consumed (nothing lost), none consumed well before the kill (its ack long answered) comes back,
 * and the redeliveries are counted.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/index.js';
import { startBrokerProcess, type RunningBroker } from '../helpers/broker-process.js';
import { freePort } from '../helpers/java.js';
import { waitFor } from '../helpers/wait.js';
import { exitAfterNodeSdkTests, quietSdkLogger } from '../helpers/grpc-sdk.js';

const require = createRequire(import.meta.url);
const sdk = require('rocketmq-client-nodejs') as typeof import('rocketmq-client-nodejs');
type MessageView = import('rocketmq-client-nodejs').MessageView;

const TOPIC = 'GrpcDurable';
const MESSAGES = 200;
/** An ack is answered within this long after consume() returns (one RPC on loopback). */
const ACK_SETTLED_MILLIS = 2000;

describe('gRPC consumption durability', () => {
  exitAfterNodeSdkTests(after);
  it('a Node SDK PushConsumer across a SIGKILL of the broker: nothing lost, nothing long acked comes back, duplicates counted', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'rmq-grpc-kill-'));
    const grpcPort = await freePort();
    const conf = join(dir, 'broker.conf');
    await writeFile(
      conf,
      [
        'brokerName=broker-a',
        'brokerIP1=127.0.0.1',
        'bindAddress=127.0.0.1',
        'listenPort=0',
        `storePathRootDir=${join(dir, 'store')}`,
        'reviveInterval=100',
        `grpcServerPort=${grpcPort}`,
        'tlsTestModeEnable=false',
        'grpcClientConsumerMinLongPollingTimeoutMillis=500',
        'grpcClientConsumerMaxLongPollingTimeoutMillis=1000',
        // Held messages of a consumer cut off by the kill come back after 3 s, not 60 s.
        'defaultInvisibleTimeMills=3000',
        'renewAheadTimeMillis=2000',
        'renewSchedulePeriodMillis=500',
        '',
      ].join('\n'),
    );
    const remoting = new RemotingClient();
    await remoting.start();
    const children: RunningBroker[] = [];
    const stops: (() => Promise<unknown>)[] = [];
    try {
      const first = await startBrokerProcess(conf);
      children.push(first);
      const create = { topic: TOPIC, defaultTopic: 'TBW102', readQueueNums: 4, writeQueueNums: 4, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false };
      assert.equal((await remoting.invokeSync(first.addr, RemotingCommand.createRequestCommand(RequestCode.UPDATE_AND_CREATE_TOPIC, create), 3000)).code, ResponseCode.SUCCESS);
      const endpoints = `127.0.0.1:${grpcPort}`;
      const producer = new sdk.Producer({ endpoints, namespace: '', logger: quietSdkLogger, topics: [TOPIC] });
      await producer.startup();
      stops.push(() => producer.shutdown());
      for (let i = 0; i < MESSAGES; i++) await producer.send({ topic: TOPIC, body: Buffer.from(`m${i}`) });

      let killedAt = Infinity;
      const firstConsumed = new Map<string, number>();
      const deliveries = new Map<string, number>();
      const afterRestart: string[] = [];
      let gate: Promise<unknown> = Promise.resolve();
      const consumer = new sdk.PushConsumer({
        endpoints,
        namespace: '',
        logger: quietSdkLogger,
        consumerGroup: 'GrpcDurableGroup',
        subscriptions: new Map([[TOPIC, '*']]),
        longPollingTimeout: 1000,
        messageListener: {
          // The SDK consumes every cached message at once: a chain makes it one at a time, 30 ms each, so the kill
          // falls in the middle of the 200 (and the cached ones wait long enough to need the server's renewals).
          consume: (m: MessageView) => {
            const turn = gate.then(async () => {
              const body = m.body.toString();
              deliveries.set(body, (deliveries.get(body) ?? 0) + 1);
              if (!firstConsumed.has(body)) firstConsumed.set(body, Date.now());
              if (Date.now() > killedAt) afterRestart.push(body);
              await new Promise((resolve) => setTimeout(resolve, 30));
              return sdk.ConsumeResult.SUCCESS;
            });
            gate = turn;
            return turn;
          },
        },
      });
      await consumer.startup();
      stops.push(() => consumer.shutdown());

      await waitFor(() => firstConsumed.size >= 20, 30_000, '20 messages consumed');
      // Long enough for the first ones' acks to be answered, short of consuming everything.
      await new Promise((resolve) => setTimeout(resolve, ACK_SETTLED_MILLIS + 500));
      const consumedBeforeKill = firstConsumed.size;
      first.child.kill('SIGKILL');
      killedAt = Date.now();
      await first.exit;
      const second = await startBrokerProcess(conf);
      children.push(second);

      await waitFor(() => firstConsumed.size === MESSAGES, 90_000, `all ${MESSAGES} messages consumed`);
      // Redeliveries of what was in flight at the kill come within the 3 s invisible time: wait them out.
      await new Promise((resolve) => setTimeout(resolve, 4000));
      const longAcked = [...firstConsumed].filter(([, at]) => at < killedAt - ACK_SETTLED_MILLIS).map(([body]) => body);
      const back = longAcked.filter((body) => afterRestart.includes(body));
      const duplicates = [...deliveries.values()].reduce((sum, n) => sum + n - 1, 0);
      t.diagnostic(`${MESSAGES} sent; ${consumedBeforeKill} consumed before the SIGKILL, ${longAcked.length} consumed > ${ACK_SETTLED_MILLIS} ms before the SIGKILL; ${duplicates} duplicate deliveries; ${back.length} long-acked back`);
      assert.equal(firstConsumed.size, MESSAGES, 'nothing lost');
      assert.ok(longAcked.length > 0 && consumedBeforeKill < MESSAGES, 'the kill came mid-consumption, after some acks were answered');
      assert.deepEqual(back, [], 'no message acked well before the kill is delivered again');
      for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
      second.child.kill('SIGTERM');
      assert.equal(await second.exit, 0);
    } finally {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      for (const child of children) if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
      await remoting.shutdown();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
