/**
 * Our BrokerOuterAPI with the real Apache RocketMQ: it registers a broker (an address only; nothing listens there)
 * with a Java name server, which mqadmin then shows; and, as a slave would, it syncs topic configs, consumer
 * offsets, delay offsets and subscription groups from a real Java broker.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BrokerOuterAPI, type RegisterBrokerAllRequest } from '../../src/broker/out/index.js';
import {
  decodeDelayOffsetSerializeWrapper,
  defaultSubscriptionGroupConfig,
  defaultTopicConfig,
  encodeSubscriptionGroupConfig,
  type TopicConfigSerializeWrapper,
} from '../../src/protocol/bodies/index.js';
import { RemotingClient, RemotingCommand, ResponseCode } from '../../src/index.js';
import {
  freePort,
  javaAvailable,
  runMqAdmin,
  startJavaBroker,
  startJavaNameServer,
  type JavaServer,
  type RocketMQVersion,
} from '../helpers/java.js';

const availability = await javaAvailable();
if (!availability.ok) {
  if (process.env.CI !== undefined) throw new Error(`java interop tests need java and mvn: ${availability.why}`);
  console.warn(`\n*** SKIPPING Java interop tests: ${availability.why} ***\n`);
}
const skip = availability.ok ? false : `java or mvn missing: ${availability.why}`;

/** Request codes the test uses to give the Java broker something to sync (UPDATE_AND_CREATE_*, UPDATE_CONSUMER_OFFSET). */
const UPDATE_AND_CREATE_TOPIC = 17;
const UPDATE_AND_CREATE_SUBSCRIPTIONGROUP = 200;
const UPDATE_CONSUMER_OFFSET = 15;

async function mqadmin(version: RocketMQVersion, args: string[]): Promise<{ code: number | null; out: string }> {
  const result = await runMqAdmin(args, { version, timeoutMs: 90_000 });
  return { code: result.code, out: `${result.stdout}\n${result.stderr}` };
}

function topicWrapper(counter: number, topics: Record<string, number>): TopicConfigSerializeWrapper {
  return {
    dataVersion: { stateVersion: 0, timestamp: 1_700_000_000_000, counter },
    topicConfigTable: new Map(
      Object.entries(topics).map(([topic, queues]) => [topic, { ...defaultTopicConfig(topic), readQueueNums: queues, writeQueueNums: queues }]),
    ),
  };
}

for (const version of ['5.3.3', '4.9.8'] as const satisfies readonly RocketMQVersion[]) {
  describe(`our BrokerOuterAPI with Java RocketMQ ${version}`, { skip, timeout: 20 * 60_000 }, () => {
    const tag = version.replaceAll('.', '');
    const brokerName = `outer-api-${tag}`;
    let namesrv: JavaServer;
    let api: BrokerOuterAPI;
    let masterAddr: string;
    let slaveAddr: string;

    function registration(overrides: Partial<RegisterBrokerAllRequest> = {}): RegisterBrokerAllRequest {
      return {
        clusterName: 'OuterApiCluster',
        brokerAddr: masterAddr,
        brokerName,
        brokerId: 0,
        haServerAddr: masterAddr.replace(/\d+$/, (p) => String(Number(p) + 1)),
        // Two topics: a 5.x name server refuses a first registration carrying exactly one (it takes it for a
        // single-topic update of a broker it does not know).
        topicConfigWrapper: topicWrapper(1, { [`OuterApiTopic${tag}`]: 3, [`OuterApiOther${tag}`]: 2 }),
        timeoutMills: 10_000,
        ...overrides,
      };
    }

    before(async () => {
      namesrv = await startJavaNameServer({ version });
      api = new BrokerOuterAPI();
      await api.start();
      api.updateNameServerAddressList(namesrv.addr);
      masterAddr = `127.0.0.1:${await freePort()}`;
      slaveAddr = `127.0.0.1:${await freePort()}`;
    });

    after(async () => {
      await api?.shutdown();
      await namesrv?.stop();
    });

    it('registers a master; mqadmin topicRoute and clusterList show what the Java name server holds', { timeout: 5 * 60_000 }, async () => {
      const results = await api.registerBrokerAll(registration());
      assert.equal(results.length, 1, 'the Java name server accepted the registration');
      assert.equal(results[0]?.masterAddr, undefined);

      const route = await mqadmin(version, ['topicRoute', '-n', namesrv.addr, '-t', `OuterApiTopic${tag}`]);
      assert.equal(route.code, 0, route.out);
      assert.ok(route.out.includes(masterAddr), `the route names the broker:\n${route.out}`);
      assert.match(route.out, /"readQueueNums"\s*:\s*3/);
      assert.match(route.out, new RegExp(`"brokerName"\\s*:\\s*"${brokerName}"`));
      assert.match(route.out, /"cluster"\s*:\s*"OuterApiCluster"/);

      // clusterList then asks the (fake) broker for its runtime stats, which fails with a printed stack trace;
      // both versions still print the row, whose cluster, name, id and address come from the name server.
      const clusters = await mqadmin(version, ['clusterList', '-n', namesrv.addr]);
      assert.match(clusters.out, new RegExp(`OuterApiCluster\\s+${brokerName}\\s+0\\s+${masterAddr.replaceAll('.', '\\.')}\\s`));
    });

    it('registers with a compressed body, which the Java name server inflates', { timeout: 5 * 60_000 }, async () => {
      const topics = { [`OuterApiTopic${tag}`]: 3, [`OuterApiOther${tag}`]: 2, [`OuterApiZipped${tag}`]: 5 };
      const results = await api.registerBrokerAll(registration({ compressed: true, topicConfigWrapper: topicWrapper(2, topics) }));
      assert.equal(results.length, 1);
      const route = await mqadmin(version, ['topicRoute', '-n', namesrv.addr, '-t', `OuterApiZipped${tag}`]);
      assert.equal(route.code, 0, route.out);
      assert.match(route.out, /"writeQueueNums"\s*:\s*5/);
    });

    it('a slave learns its master from the Java name server; needRegister follows the DataVersion', { timeout: 5 * 60_000 }, async () => {
      const slave = registration({ brokerAddr: slaveAddr, brokerId: 1, haServerAddr: slaveAddr });
      const results = await api.registerBrokerAll(slave);
      assert.equal(results[0]?.masterAddr, masterAddr);
      assert.equal(results[0]?.haServerAddr, registration().haServerAddr);

      const identity = { clusterName: 'OuterApiCluster', brokerAddr: slaveAddr, brokerName, brokerId: 1 };
      assert.equal(await api.needRegister(identity, slave.topicConfigWrapper.dataVersion, 5000), false);
      assert.equal(await api.needRegister(identity, { ...slave.topicConfigWrapper.dataVersion, counter: 99 }, 5000), true);
    });

    it('unregisters: the Java name server forgets the broker', { timeout: 5 * 60_000 }, async () => {
      await api.unregisterBrokerAll('OuterApiCluster', slaveAddr, brokerName, 1);
      await api.unregisterBrokerAll('OuterApiCluster', masterAddr, brokerName, 0);
      const route = await mqadmin(version, ['topicRoute', '-n', namesrv.addr, '-t', `OuterApiTopic${tag}`]);
      assert.ok(!route.out.includes(masterAddr), `the route still names the broker:\n${route.out}`);
    });

    describe(`slave sync from a Java ${version} master`, { timeout: 10 * 60_000 }, () => {
      let broker: JavaServer;
      let client: RemotingClient;

      before(async () => {
        broker = await startJavaBroker({ version, namesrvAddr: namesrv.addr, brokerName: `master-${tag}` });
        client = new RemotingClient();
        await client.start();
        const call = async (code: number, header?: Record<string, string | number | boolean>, body?: Buffer): Promise<void> => {
          const response = await client.invokeSync(broker.addr, RemotingCommand.createRequestCommand(code, header, body), 10_000);
          assert.equal(response.code, ResponseCode.SUCCESS, `request ${code}: ${response.remark ?? ''}`);
        };
        await call(UPDATE_AND_CREATE_TOPIC, {
          topic: 'SyncTopic',
          defaultTopic: 'TBW102',
          readQueueNums: 4,
          writeQueueNums: 4,
          perm: 6,
          topicFilterType: 'SINGLE_TAG',
          topicSysFlag: 0,
          order: false,
        });
        await call(UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, undefined, encodeSubscriptionGroupConfig({ ...defaultSubscriptionGroupConfig('SyncGroup'), retryMaxTimes: 3 }));
        for (const [queueId, commitOffset] of [
          [0, 7],
          [1, 42],
        ] as const) {
          await call(UPDATE_CONSUMER_OFFSET, { consumerGroup: 'SyncGroup', topic: 'SyncTopic', queueId, commitOffset });
        }
      });

      after(async () => {
        await client?.shutdown();
        await broker?.stop();
      });

      it('getAllTopicConfig (over the fast port), getAllConsumerOffset, getAllDelayOffset, getAllSubscriptionGroupConfig', async () => {
        const topics = await api.getAllTopicConfig(broker.addr);
        assert.equal(topics.topicConfigTable.get('SyncTopic')?.writeQueueNums, 4);
        assert.equal(topics.topicConfigTable.get('TBW102')?.perm, 7);
        assert.ok(topics.dataVersion.counter >= 1);

        const offsets = await api.getAllConsumerOffset(broker.addr);
        assert.deepEqual(offsets.offsetTable.get('SyncTopic@SyncGroup'), new Map([[0, 7], [1, 42]]));

        const delay = await api.getAllDelayOffset(broker.addr);
        assert.ok(decodeDelayOffsetSerializeWrapper(delay).offsetTable instanceof Map, delay);

        const groups = await api.getAllSubscriptionGroupConfig(broker.addr);
        assert.equal(groups.subscriptionGroupTable.get('SyncGroup')?.retryMaxTimes, 3);
        assert.ok(groups.subscriptionGroupTable.has('TOOLS_CONSUMER'));
      });
    });
  });
}
