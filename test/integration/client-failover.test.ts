import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultBrokerConfig } from '../../src/broker/broker-config.js';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import { BrokerOuterAPI } from '../../src/broker/out/index.js';
import { createBrokerController } from '../../src/broker/broker-startup.js';
import { startDev, type DevCluster } from '../../src/cli/dev.js';
import type { Logger } from '../../src/common/logger.js';
import { silentLogger } from '../../src/common/logger.js';
import { ClientErrorCode, MQClientError, MQClientManager, Producer, type SendResult } from '../../src/client/index.js';
import {
  RemotingClient,
  RemotingCommand,
  RemotingServer,
  RemotingTooMuchRequestError,
  RequestCode,
  ResponseCode,
  decodeTopicRouteData,
  defaultTopicConfig,
  zeroDataVersion,
} from '../../src/index.js';
import { createMessageStoreConfig } from '../../src/store/message-store-config.js';
import { waitFor } from '../helpers/wait.js';

/** Collects warnings, to see which attempts failed. */
function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...silentLogger, warnings, warn: (message: string) => void warnings.push(message) };
}

async function brokersInRoute(client: RemotingClient, namesrvAddr: string, topic: string): Promise<string[]> {
  const response = await client.invokeSync(namesrvAddr, RemotingCommand.createRequestCommand(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic }), 3000);
  if (response.code !== ResponseCode.SUCCESS) return [];
  return decodeTopicRouteData(response.body).queueDatas.map((q) => q.brokerName).sort();
}

describe('Producer with two brokers under one name server', () => {
  let dir: string;
  let dev: DevCluster;
  let brokerB: BrokerController;
  let client: RemotingClient;
  let manager: MQClientManager;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-client-failover-'));
    dev = await startDev({ namesrvPort: 0, brokerPort: 0, dataDir: join(dir, 'a'), brokerIP: '127.0.0.1', logger: silentLogger });
    const storePathRootDir = join(dir, 'b', 'broker');
    brokerB = createBrokerController(
      {
        ...defaultBrokerConfig(join(dir, 'b')),
        brokerClusterName: 'DefaultCluster',
        brokerName: 'broker-b',
        namesrvAddr: dev.namesrvAddr,
        brokerIP1: '127.0.0.1',
        brokerIP2: '127.0.0.1',
        listenPort: 0,
        bindAddress: '127.0.0.1',
        storePathRootDir,
        autoCreateTopicEnable: true,
      },
      createMessageStoreConfig({ storePathRootDir }),
      silentLogger,
    );
    await brokerB.start();
    client = new RemotingClient();
    await client.start();
    manager = new MQClientManager();
    for (const broker of [dev.broker, brokerB]) {
      const header = { topic: 'FailoverTopic', defaultTopic: 'TBW102', readQueueNums: 4, writeQueueNums: 4, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false };
      const created = await client.invokeSync(broker.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.UPDATE_AND_CREATE_TOPIC, header), 3000);
      assert.equal(created.code, ResponseCode.SUCCESS, created.remark);
    }
    const both = ['broker-a', 'broker-b'].join();
    let route: string[] = [];
    await waitFor(() => {
      void brokersInRoute(client, dev.namesrvAddr, 'FailoverTopic').then((r) => (route = r));
      return route.join() === both;
    }, 5000, 'both brokers in the route');
  });
  after(async () => {
    await client.shutdown();
    await brokerB.shutdown();
    await dev.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('uses both brokers, then retries on the other one when a broker goes down, and steers clear of it', async () => {
    const logger = recordingLogger();
    // A route poll would drop the stopped broker; the point is what the producer does before it learns that.
    const producer = new Producer({ nameServer: dev.namesrvAddr, group: 'FailoverPG', clientIP: '127.0.0.1', clientManager: manager, logger, pollNameServerInterval: 600_000 });
    await producer.start();
    try {
      const before: SendResult[] = [];
      for (let i = 0; i < 16; i++) before.push(await producer.send({ topic: 'FailoverTopic', body: `before ${i}` }));
      assert.deepEqual([...new Set(before.map((r) => r.messageQueue.brokerName))].sort(), ['broker-a', 'broker-b']);

      await brokerB.shutdown();
      const afterDown: SendResult[] = [];
      for (let i = 0; i < 16; i++) afterDown.push(await producer.send({ topic: 'FailoverTopic', body: `after ${i}` }));
      assert.deepEqual(afterDown.map((r) => r.status), new Array<string>(16).fill('SEND_OK'));
      assert.deepEqual(new Set(afterDown.map((r) => r.messageQueue.brokerName)), new Set(['broker-a']));
      const failures = logger.warnings.filter((w) => w.startsWith('send to broker-b'));
      // The first failure isolates broker-b (10 s): later sends do not try it first.
      assert.equal(failures.length, 1, failures.join('\n'));
    } finally {
      await producer.shutdown();
    }
  });
});

describe('Producer deadline', () => {
  let dir: string;
  let dev: DevCluster;
  let silent: RemotingServer;
  let outer: BrokerOuterAPI;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-client-deadline-'));
    dev = await startDev({ namesrvPort: 0, brokerPort: 0, dataDir: dir, brokerIP: '127.0.0.1', logger: silentLogger });
    // A broker that takes every request and never answers. (A first registration with a single topic is refused,
    // as by Java's name server, hence two.)
    silent = new RemotingServer({ listenPort: 0, bindAddress: '127.0.0.1' });
    silent.registerDefaultProcessor({ processRequest: () => null });
    await silent.start();
    outer = new BrokerOuterAPI();
    await outer.start();
    outer.updateNameServerAddressList(dev.namesrvAddr);
    const topicConfigTable = new Map(
      ['SilentTopic', 'SilentTopic2'].map((topic) => [topic, { ...defaultTopicConfig(topic), readQueueNums: 4, writeQueueNums: 4 }]),
    );
    const registered = await outer.registerBrokerAll({
      clusterName: 'DefaultCluster',
      brokerAddr: `127.0.0.1:${silent.port}`,
      brokerName: 'broker-silent',
      brokerId: 0,
      haServerAddr: '',
      topicConfigWrapper: { dataVersion: zeroDataVersion(), topicConfigTable },
    });
    assert.equal(registered.length, 1);
  });
  after(async () => {
    await outer.shutdown();
    await silent.shutdown();
    await dev.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('gives up at sendMsgTimeout across all retries, with a typed timeout error', async () => {
    const producer = new Producer({ nameServer: dev.namesrvAddr, group: 'DeadlinePG', clientIP: '127.0.0.1', clientManager: new MQClientManager(), sendMsgTimeout: 500 });
    await producer.start();
    try {
      const begin = Date.now();
      await assert.rejects(producer.send({ topic: 'SilentTopic', body: 'into the void' }), (err: unknown) => {
        assert.ok(err instanceof MQClientError, String(err));
        assert.equal(err.responseCode, ClientErrorCode.ACCESS_BROKER_TIMEOUT);
        assert.equal(err.retriable, true);
        assert.match(err.message, /timed out/);
        return true;
      });
      const elapsed = Date.now() - begin;
      assert.ok(elapsed >= 450 && elapsed < 1000, `${elapsed} ms`);
    } finally {
      await producer.shutdown();
    }
  });

  it('bounds sends in flight (maxInFlightSends): one more waits for a slot within its deadline, then fails', async () => {
    const producer = new Producer({
      nameServer: dev.namesrvAddr,
      group: 'InFlightPG',
      clientIP: '127.0.0.1',
      clientManager: new MQClientManager(),
      sendMsgTimeout: 300,
      maxInFlightSends: 1,
    });
    await producer.start();
    try {
      const first = producer.send({ topic: 'SilentTopic', body: 'holds the only slot' });
      // A shorter deadline than the holder's: the slot cannot free up in time, whatever the scheduling.
      const second = producer.send({ topic: 'SilentTopic', body: 'waits for it' }, { timeout: 150 });
      await assert.rejects(first, (err: unknown) => err instanceof MQClientError && err.responseCode === ClientErrorCode.ACCESS_BROKER_TIMEOUT);
      await assert.rejects(second, (err: unknown) => err instanceof RemotingTooMuchRequestError && /semaphoreAsyncNum/.test(err.message));
    } finally {
      await producer.shutdown();
    }
  });
});
