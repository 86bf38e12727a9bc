import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crc32Masked } from '../../../src/common/crc32.js';
import {
  decodeClusterInfo,
  decodeDataVersion,
  decodeKVTable,
  decodeTopicList,
  decodeTopicRouteData,
  defaultTopicConfig,
  encodeDataVersion,
  encodeRegisterBrokerBody,
  encodeTopicRouteData,
  type RegisterBrokerBody,
} from '../../../src/protocol/bodies/index.js';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode, type CustomHeader, type SerializeTypeName } from '../../../src/index.js';
import { encodeCommand } from '../../../src/protocol/command-codec.js';
import { NamesrvController } from '../../../src/namesrv/name-server.js';
import { defaultNamesrvConfig } from '../../../src/namesrv/config.js';
import { deferred, waitFor } from '../../helpers/wait.js';

const OLD = 317; // rocketmq-client-go
const NEW = 479; // 5.3.3

interface Harness {
  dir: string;
  namesrv: NamesrvController;
  client: RemotingClient;
  addr: string;
  call(code: number, header?: CustomHeader, body?: Buffer, version?: number): Promise<RemotingCommand>;
}

async function startHarness(serializeType: SerializeTypeName, maxFrameLength?: number): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'rmq-namesrv-'));
  const config = { ...defaultNamesrvConfig(dir), listenPort: 0, bindAddress: '127.0.0.1' };
  const namesrv = new NamesrvController(config, { maxFrameLength });
  await namesrv.start();
  const client = new RemotingClient();
  await client.start();
  const addr = `127.0.0.1:${namesrv.port}`;
  return {
    dir,
    namesrv,
    client,
    addr,
    call(code, header, body, version = NEW) {
      const request = RemotingCommand.createRequestCommand(code, header, body);
      request.version = version;
      request.serializeTypeCurrentRPC = serializeType;
      return client.invokeSync(addr, request, 3000);
    },
  };
}

async function stopHarness(h: Harness): Promise<void> {
  await h.client.shutdown();
  await h.namesrv.shutdown();
  await rm(h.dir, { recursive: true, force: true });
}

function brokerBody(counter: number, ...topicNames: string[]): RegisterBrokerBody {
  return {
    topicConfigSerializeWrapper: {
      dataVersion: { counter, stateVersion: 0, timestamp: 1_700_000_000_000 + counter },
      topicConfigTable: new Map(topicNames.map((t) => [t, { ...defaultTopicConfig(t), readQueueNums: 4, writeQueueNums: 4 }])),
    },
    filterServerList: [],
  };
}

function registerHeader(over: Record<string, string | number | boolean> = {}): CustomHeader {
  return {
    brokerName: 'broker-a',
    brokerAddr: '127.0.0.1:10911',
    clusterName: 'DefaultCluster',
    haServerAddr: '127.0.0.1:10912',
    brokerId: 0,
    compressed: false,
    bodyCrc32: 0,
    ...over,
  };
}

for (const serializeType of ['JSON', 'ROCKETMQ'] as const) {
  describe(`name server over loopback (${serializeType} headers)`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(serializeType);
    });
    after(async () => {
      await stopHarness(h);
    });

    it('REGISTER_BROKER 103: master, then slave (which learns the master), with the body CRC checked', async () => {
      const body = encodeRegisterBrokerBody(brokerBody(1, 'TopicA', 'TBW102'), { compressed: false, version: NEW });
      const master = await h.call(RequestCode.REGISTER_BROKER, registerHeader({ bodyCrc32: crc32Masked(body) }), body);
      assert.equal(master.code, ResponseCode.SUCCESS, master.remark);
      assert.equal(master.extFields?.['masterAddr'], undefined);
      assert.equal(master.body, undefined); // no ORDER_TOPIC_CONFIG namespace yet

      const slave = await h.call(RequestCode.REGISTER_BROKER, registerHeader({ brokerId: 1, brokerAddr: '127.0.0.1:10921', haServerAddr: '127.0.0.1:10922' }), body);
      assert.equal(slave.code, ResponseCode.SUCCESS, slave.remark);
      assert.equal(slave.extFields?.['masterAddr'], '127.0.0.1:10911');
      assert.equal(slave.extFields?.['haServerAddr'], '127.0.0.1:10912');

      const badCrc = await h.call(RequestCode.REGISTER_BROKER, registerHeader({ brokerName: 'broker-x', bodyCrc32: crc32Masked(body) ^ 1 }), body);
      assert.deepEqual([badCrc.code, badCrc.remark], [ResponseCode.SYSTEM_ERROR, 'crc32 not match']);
      assert.equal(h.namesrv.routeInfoManager.getAllClusterInfo().brokerAddrTable.has('broker-x'), false);
    });

    it('REGISTER_BROKER 103: the compressed form from a 5.x and a 4.9 broker', async () => {
      for (const [name, version] of [
        ['broker-c5', NEW],
        ['broker-c4', 409],
      ] as const) {
        const body = encodeRegisterBrokerBody(brokerBody(1, `Compressed-${name}`, 'TBW102'), { compressed: true, version });
        const response = await h.call(RequestCode.REGISTER_BROKER, registerHeader({ brokerName: name, brokerAddr: `127.0.0.1:${version}`, compressed: true, bodyCrc32: crc32Masked(body) }), body, version);
        assert.equal(response.code, ResponseCode.SUCCESS, response.remark);
        const route = await h.call(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: `Compressed-${name}` });
        assert.equal(route.code, ResponseCode.SUCCESS);
      }
    });

    it('GET_ROUTEINFO_BY_TOPIC 105: fastjson form for old clients, standard JSON for new ones or on request', async () => {
      const old = await h.call(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'TopicA' }, undefined, OLD);
      assert.equal(old.code, ResponseCode.SUCCESS);
      const oldText = old.body?.toString() ?? '';
      assert.match(oldText, /"brokerAddrs":\{0:"127\.0\.0\.1:10911",1:"127\.0\.0\.1:10921"\}/);
      assert.throws(() => JSON.parse(oldText) as unknown);

      const asked = await h.call(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'TopicA', acceptStandardJsonOnly: true }, undefined, OLD);
      const fresh = await h.call(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'TopicA' }, undefined, NEW);
      for (const response of [asked, fresh]) {
        const parsed = JSON.parse(response.body?.toString() ?? '') as { brokerDatas: Array<{ brokerAddrs: Record<string, string> }> };
        assert.deepEqual(parsed.brokerDatas[0]?.brokerAddrs, { '0': '127.0.0.1:10911', '1': '127.0.0.1:10921' });
      }
      const route = decodeTopicRouteData(fresh.body);
      assert.deepEqual(route.queueDatas, [{ brokerName: 'broker-a', perm: 6, readQueueNums: 4, topicSysFlag: 0, writeQueueNums: 4 }]);

      const missing = await h.call(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'Nope' });
      assert.equal(missing.code, ResponseCode.TOPIC_NOT_EXIST);
      assert.equal(missing.remark, 'No topic route info in name server for the topic: Nope\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details.');
    });

    it('GET_BROKER_CLUSTER_INFO 106: the plain form, unquoted ids even for new clients', async () => {
      const response = await h.call(RequestCode.GET_BROKER_CLUSTER_INFO);
      assert.match(response.body?.toString() ?? '', /"brokerAddrs":\{0:"127\.0\.0\.1:10911",1:/);
      const info = decodeClusterInfo(response.body);
      assert.ok(info.clusterAddrTable.get('DefaultCluster')?.includes('broker-a'));
    });

    it('QUERY_DATA_VERSION 322 and BROKER_HEARTBEAT 904 refresh liveness', async () => {
      const header = { brokerName: 'broker-a', brokerAddr: '127.0.0.1:10911', clusterName: 'DefaultCluster', brokerId: 0 };
      const same = brokerBody(1).topicConfigSerializeWrapper.dataVersion;
      const unchanged = await h.call(RequestCode.QUERY_DATA_VERSION, header, encodeDataVersion(same));
      assert.deepEqual([unchanged.code, unchanged.extFields?.['changed']], [ResponseCode.SUCCESS, 'false']);
      assert.deepEqual(decodeDataVersion(unchanged.body), same);
      const changed = await h.call(RequestCode.QUERY_DATA_VERSION, header, encodeDataVersion({ ...same, counter: 2 }));
      assert.equal(changed.extFields?.['changed'], 'true');

      h.namesrv.routeInfoManager.updateBrokerInfoUpdateTimestamp('DefaultCluster', '127.0.0.1:10911', 0);
      const beat = await h.call(RequestCode.BROKER_HEARTBEAT, { clusterName: 'DefaultCluster', brokerAddr: '127.0.0.1:10911', brokerName: 'broker-a' });
      assert.equal(beat.code, ResponseCode.SUCCESS);
      assert.ok((h.namesrv.routeInfoManager.brokerLiveInfo('DefaultCluster', '127.0.0.1:10911')?.lastUpdateTimestamp ?? 0) > 0);
    });

    it('KV config 100/101/102/219, persisted, and ORDER_TOPIC_CONFIG in the route and the registration answer', async () => {
      const put = await h.call(RequestCode.PUT_KV_CONFIG, { namespace: 'ORDER_TOPIC_CONFIG', key: 'TopicA', value: 'broker-a:4' });
      assert.equal(put.code, ResponseCode.SUCCESS);
      const got = await h.call(RequestCode.GET_KV_CONFIG, { namespace: 'ORDER_TOPIC_CONFIG', key: 'TopicA' });
      assert.equal(got.extFields?.['value'], 'broker-a:4');
      const missing = await h.call(RequestCode.GET_KV_CONFIG, { namespace: 'ORDER_TOPIC_CONFIG', key: 'x' });
      assert.deepEqual([missing.code, missing.remark], [ResponseCode.QUERY_NOT_FOUND, 'No config item, Namespace: ORDER_TOPIC_CONFIG Key: x']);
      const list = await h.call(RequestCode.GET_KVLIST_BY_NAMESPACE, { namespace: 'ORDER_TOPIC_CONFIG' });
      assert.deepEqual(decodeKVTable(list.body), new Map([['TopicA', 'broker-a:4']]));
      const noList = await h.call(RequestCode.GET_KVLIST_BY_NAMESPACE, { namespace: 'none' });
      assert.deepEqual([noList.code, noList.remark], [ResponseCode.QUERY_NOT_FOUND, 'No config item, Namespace: none']);
      assert.match(await readFile(join(h.dir, 'namesrv', 'kvConfig.json'), 'utf8'), /"TopicA":"broker-a:4"/);

      const body = encodeRegisterBrokerBody(brokerBody(1, 'TopicA', 'TBW102'), { compressed: false, version: NEW });
      const again = await h.call(RequestCode.REGISTER_BROKER, registerHeader(), body);
      assert.deepEqual(decodeKVTable(again.body), new Map([['TopicA', 'broker-a:4']]));

      const enable = await h.call(RequestCode.UPDATE_NAMESRV_CONFIG, undefined, Buffer.from('orderMessageEnable=true\n'));
      assert.equal(enable.code, ResponseCode.SUCCESS, enable.remark);
      const route = await h.call(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'TopicA' });
      assert.equal(decodeTopicRouteData(route.body).orderTopicConf, 'broker-a:4');

      const del = await h.call(RequestCode.DELETE_KV_CONFIG, { namespace: 'ORDER_TOPIC_CONFIG', key: 'TopicA' });
      assert.equal(del.code, ResponseCode.SUCCESS);
      assert.equal((await h.call(RequestCode.GET_KV_CONFIG, { namespace: 'ORDER_TOPIC_CONFIG', key: 'TopicA' })).code, ResponseCode.QUERY_NOT_FOUND);
    });

    it('topic lists 206/224/304, perms 205/327, DELETE_TOPIC 216 and REGISTER_TOPIC 217', async () => {
      const all = decodeTopicList((await h.call(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER)).body);
      assert.ok(all.topicList.includes('TopicA') && all.topicList.includes('TBW102'));
      const byCluster = decodeTopicList((await h.call(RequestCode.GET_TOPICS_BY_CLUSTER, { cluster: 'DefaultCluster' })).body);
      assert.ok(byCluster.topicList.includes('TopicA'));
      const system = decodeTopicList((await h.call(RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_NS)).body);
      assert.ok(system.topicList.includes('DefaultCluster') && system.topicList.includes('broker-a'));
      assert.ok(system.brokerAddr !== undefined);

      const wipe = await h.call(RequestCode.WIPE_WRITE_PERM_OF_BROKER, { brokerName: 'broker-a' });
      assert.equal(wipe.extFields?.['wipeTopicCount'], '2');
      assert.equal(decodeTopicRouteData((await h.call(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'TopicA' })).body).queueDatas[0]?.perm, 4);
      const add = await h.call(RequestCode.ADD_WRITE_PERM_OF_BROKER, { brokerName: 'broker-a' });
      assert.equal(add.extFields?.['addTopicCount'], '2');
      assert.equal(decodeTopicRouteData((await h.call(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'TopicA' })).body).queueDatas[0]?.perm, 6);

      const route = { queueDatas: [{ brokerName: 'broker-a', perm: 6, readQueueNums: 2, topicSysFlag: 0, writeQueueNums: 2 }], brokerDatas: [], filterServerTable: new Map() };
      const reg = await h.call(RequestCode.REGISTER_TOPIC_IN_NAMESRV, { topic: 'Registered' }, encodeTopicRouteData(route, true));
      assert.equal(reg.code, ResponseCode.SUCCESS);
      assert.equal(decodeTopicRouteData((await h.call(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'Registered' })).body).queueDatas[0]?.readQueueNums, 2);
      const del = await h.call(RequestCode.DELETE_TOPIC_IN_NAMESRV, { topic: 'Registered' });
      assert.equal(del.code, ResponseCode.SUCCESS);
      assert.equal((await h.call(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'Registered' })).code, ResponseCode.TOPIC_NOT_EXIST);
    });

    it('GET_NAMESRV_CONFIG 319 and UPDATE_NAMESRV_CONFIG 318 with its allow-list', async () => {
      const config = (await h.call(RequestCode.GET_NAMESRV_CONFIG)).body?.toString() ?? '';
      assert.match(config, /\nkvConfigPath=.*kvConfig\.json\n/);
      const forbidden = await h.call(RequestCode.UPDATE_NAMESRV_CONFIG, undefined, Buffer.from('kvConfigPath=/tmp/evil\nenableTopicList=false\n'));
      assert.equal(forbidden.code, ResponseCode.NO_PERMISSION);
      assert.match(forbidden.remark ?? '', /kvConfigPath/);
      assert.equal(h.namesrv.config.enableTopicList, true); // nothing applied
      const bad = await h.call(RequestCode.UPDATE_NAMESRV_CONFIG, undefined, Buffer.from('enableTopicList=perhaps'));
      assert.equal(bad.code, ResponseCode.SYSTEM_ERROR);
      const ok = await h.call(RequestCode.UPDATE_NAMESRV_CONFIG, undefined, Buffer.from('enableTopicList=false'));
      assert.equal(ok.code, ResponseCode.SUCCESS);
      const disabled = await h.call(RequestCode.GET_TOPICS_BY_CLUSTER, { cluster: 'DefaultCluster' });
      assert.deepEqual([disabled.code, disabled.remark], [ResponseCode.SYSTEM_ERROR, 'disable']);
      await h.call(RequestCode.UPDATE_NAMESRV_CONFIG, undefined, Buffer.from('enableTopicList=true'));
    });

    it('bad input gets an error with a clear remark, stores nothing, and the server keeps serving', async () => {
      const noName = await h.call(RequestCode.REGISTER_BROKER, { brokerAddr: '1.1.1.1:1', clusterName: 'X', haServerAddr: 'h', brokerId: 0 });
      assert.equal(noName.code, ResponseCode.SYSTEM_ERROR);
      assert.match(noName.remark ?? '', /'brokerName' is missing/);
      const badId = await h.call(RequestCode.REGISTER_BROKER, registerHeader({ brokerName: 'broker-bad', brokerId: 'zero' }));
      assert.match(badId.remark ?? '', /'brokerId' .* is not a long/);
      const garbage = await h.call(RequestCode.REGISTER_BROKER, registerHeader({ brokerName: 'broker-bad' }), Buffer.from('{"topicConfigSerializeWrapper":[1'));
      assert.equal(garbage.code, ResponseCode.SYSTEM_ERROR);
      assert.match(garbage.remark ?? '', /RegisterBrokerBody: the body is not JSON/);
      const zipped = await h.call(RequestCode.REGISTER_BROKER, registerHeader({ brokerName: 'broker-bad', compressed: true }), Buffer.from('garbage'));
      assert.match(zipped.remark ?? '', /does not inflate/);
      const badVersion = await h.call(RequestCode.QUERY_DATA_VERSION, { brokerName: 'b', brokerAddr: 'a', clusterName: 'c', brokerId: 0 }, Buffer.from('[]'));
      assert.match(badVersion.remark ?? '', /DataVersion is not a JSON object/);
      const badRoute = await h.call(RequestCode.REGISTER_TOPIC_IN_NAMESRV, { topic: 'T' }, Buffer.from('nope'));
      assert.equal(badRoute.code, ResponseCode.SYSTEM_ERROR);
      const noTopic = await h.call(RequestCode.GET_ROUTEINFO_BY_TOPIC, {});
      assert.match(noTopic.remark ?? '', /'topic' is missing/);
      assert.equal(h.namesrv.routeInfoManager.getAllClusterInfo().brokerAddrTable.has('broker-bad'), false);

      const unknown = await h.call(9999);
      assert.deepEqual([unknown.code, unknown.remark], [ResponseCode.REQUEST_CODE_NOT_SUPPORTED, ' request type 9999 not supported']);
      assert.equal((await h.call(RequestCode.GET_BROKER_CLUSTER_INFO)).code, ResponseCode.SUCCESS);
    });

    it('UNREGISTER_BROKER 104 removes the slave address', async () => {
      const response = await h.call(RequestCode.UNREGISTER_BROKER, { brokerName: 'broker-a', brokerAddr: '127.0.0.1:10921', clusterName: 'DefaultCluster', brokerId: 1 });
      assert.equal(response.code, ResponseCode.SUCCESS);
      const info = decodeClusterInfo((await h.call(RequestCode.GET_BROKER_CLUSTER_INFO)).body);
      assert.deepEqual([...(info.brokerAddrTable.get('broker-a')?.brokerAddrs ?? [])], [[0, '127.0.0.1:10911']]);
    });
  });
}

describe('name server liveness and lifecycle', () => {
  it('unregisters a broker as soon as its connection closes', async () => {
    const h = await startHarness('JSON');
    try {
      const broker = new RemotingClient();
      await broker.start();
      const body = encodeRegisterBrokerBody(brokerBody(1, 'Live', 'TBW102'), { compressed: false, version: NEW });
      const request = RemotingCommand.createRequestCommand(RequestCode.REGISTER_BROKER, registerHeader({ brokerName: 'broker-live' }), body);
      assert.equal((await broker.invokeSync(h.addr, request, 3000)).code, ResponseCode.SUCCESS);
      assert.equal((await h.call(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'Live' })).code, ResponseCode.SUCCESS);
      await broker.shutdown();
      await waitFor(() => h.namesrv.routeInfoManager.liveBrokerCount === 0, 5000, 'the broker to be unregistered');
      assert.equal((await h.call(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'Live' })).code, ResponseCode.TOPIC_NOT_EXIST);
    } finally {
      await stopHarness(h);
    }
  });

  it('expires a silent broker on the scan and closes its connection', async () => {
    const h = await startHarness('ROCKETMQ');
    const brokerClosed = deferred<string>();
    const broker = new RemotingClient({ channelEventListener: { onChannelClose: (addr) => brokerClosed.resolve(addr) } });
    try {
      await broker.start();
      const body = encodeRegisterBrokerBody(brokerBody(1, 'Silent', 'TBW102'), { compressed: false, version: NEW });
      const request = RemotingCommand.createRequestCommand(RequestCode.REGISTER_BROKER, registerHeader({ brokerName: 'broker-silent', heartbeatTimeoutMillis: 10_000 }), body);
      assert.equal((await broker.invokeSync(h.addr, request, 3000)).code, ResponseCode.SUCCESS);
      assert.equal((await h.call(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'Silent' })).code, ResponseCode.SUCCESS);
      h.namesrv.scanNotActiveBroker(Date.now() + 5_000);
      assert.equal(h.namesrv.routeInfoManager.liveBrokerCount, 1);
      h.namesrv.scanNotActiveBroker(Date.now() + 10_001);
      assert.equal(h.namesrv.routeInfoManager.liveBrokerCount, 0);
      assert.equal(await brokerClosed.promise, h.addr);
      assert.equal((await h.call(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'Silent' })).code, ResponseCode.TOPIC_NOT_EXIST);
    } finally {
      await broker.shutdown();
      await stopHarness(h);
    }
  });

  it('closes the connection of a frame over the limit and keeps serving others', async () => {
    const h = await startHarness('JSON', 64 * 1024);
    try {
      const socket = connect({ host: '127.0.0.1', port: h.namesrv.port });
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.on('error', () => undefined);
      socket.write(encodeCommand(RemotingCommand.createRequestCommand(RequestCode.REGISTER_BROKER, registerHeader(), Buffer.alloc(128 * 1024))));
      await closed;
      assert.equal(h.namesrv.routeInfoManager.liveBrokerCount, 0);
      assert.equal((await h.call(RequestCode.GET_BROKER_CLUSTER_INFO)).code, ResponseCode.SUCCESS);
    } finally {
      await stopHarness(h);
    }
  });

  it('start and shutdown are idempotent, and a shut-down server refuses connections and cannot be restarted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rmq-namesrv-'));
    try {
      const namesrv = new NamesrvController({ ...defaultNamesrvConfig(dir), listenPort: 0, bindAddress: '127.0.0.1' });
      await Promise.all([namesrv.start(), namesrv.start()]);
      const port = namesrv.port;
      await namesrv.shutdown();
      await namesrv.shutdown();
      await assert.rejects(namesrv.start(), /shut down/);
      const refused = await new Promise<boolean>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port });
        socket.once('connect', () => {
          socket.destroy();
          resolve(false);
        });
        socket.once('error', () => resolve(true));
      });
      assert.equal(refused, true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
