import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultTopicConfig, type DataVersion, type TopicConfig } from '../../../src/protocol/bodies/index.js';
import { RouteInfoManager, type RegisterBrokerRequest } from '../../../src/namesrv/route-info-manager.js';

interface FakeChannel {
  remoteAddr: string;
}

const T0 = 1_700_000_000_000;

function topics(...configs: Array<Partial<TopicConfig> & { topicName: string }>): Map<string, TopicConfig> {
  return new Map(configs.map((c) => [c.topicName, { ...defaultTopicConfig(c.topicName), readQueueNums: 4, writeQueueNums: 4, ...c }]));
}

function version(counter: number, stateVersion = 0): DataVersion {
  return { counter, stateVersion, timestamp: T0 + counter };
}

function registration(over: Partial<RegisterBrokerRequest<FakeChannel>> = {}): RegisterBrokerRequest<FakeChannel> {
  return {
    clusterName: 'DefaultCluster',
    brokerAddr: '10.0.0.1:10911',
    brokerName: 'broker-a',
    brokerId: 0,
    haServerAddr: '10.0.0.1:10912',
    topicConfigWrapper: { dataVersion: version(1), topicConfigTable: topics({ topicName: 'TopicA' }, { topicName: 'TBW102', perm: 7 }) },
    channel: { remoteAddr: '10.0.0.1:50001' },
    ...over,
  };
}

describe('RouteInfoManager registration', () => {
  it('registers a master: cluster, broker addresses, queue data and liveness', () => {
    const m = new RouteInfoManager<FakeChannel>();
    assert.deepEqual(m.registerBroker(registration(), T0), {});
    const route = m.pickupTopicRouteData('TopicA');
    assert.deepEqual(route?.queueDatas, [{ brokerName: 'broker-a', readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 }]);
    assert.deepEqual([...(route?.brokerDatas[0]?.brokerAddrs ?? [])], [[0, '10.0.0.1:10911']]);
    assert.deepEqual(m.getAllClusterInfo().clusterAddrTable.get('DefaultCluster'), ['broker-a']);
    assert.equal(m.brokerLiveInfo('DefaultCluster', '10.0.0.1:10911')?.lastUpdateTimestamp, T0);
    assert.equal(m.brokerLiveInfo('DefaultCluster', '10.0.0.1:10911')?.heartbeatTimeoutMillis, 120_000);
    assert.equal(m.pickupTopicRouteData('Nope'), null);
  });

  it('gives a slave its master address and HA address; only the master feeds queue data', () => {
    const m = new RouteInfoManager<FakeChannel>();
    const slave = registration({
      brokerId: 1,
      brokerAddr: '10.0.0.2:10911',
      haServerAddr: '10.0.0.2:10912',
      channel: { remoteAddr: '10.0.0.2:50002' },
      topicConfigWrapper: { dataVersion: version(1), topicConfigTable: topics({ topicName: 'TopicA', readQueueNums: 99 }, { topicName: 'OnlyOnSlave' }) },
    });
    // Before the master registers, the slave learns nothing and adds no queues (a 4.x broker: no acting master).
    assert.deepEqual(m.registerBroker(slave, T0), {});
    assert.equal(m.pickupTopicRouteData('OnlyOnSlave'), null);
    m.registerBroker(registration(), T0);
    assert.deepEqual(m.registerBroker(slave, T0 + 1), { haServerAddr: '10.0.0.1:10912', masterAddr: '10.0.0.1:10911' });
    assert.equal(m.pickupTopicRouteData('TopicA')?.queueDatas[0]?.readQueueNums, 4);
    assert.deepEqual(
      [...(m.pickupTopicRouteData('TopicA')?.brokerDatas[0]?.brokerAddrs ?? [])].sort(),
      [
        [0, '10.0.0.1:10911'],
        [1, '10.0.0.2:10911'],
      ],
    );
  });

  it('lets a 5.x prime slave act as a read-only master when acting-master mode is on', () => {
    const m = new RouteInfoManager<FakeChannel>();
    m.registerBroker(registration({ brokerId: 1, brokerAddr: '10.0.0.2:10911', enableActingMaster: true }), T0);
    assert.equal(m.pickupTopicRouteData('TopicA')?.queueDatas[0]?.perm, 4);
  });

  it('applies a new DataVersion, and ignores a changed table that comes with the same DataVersion', () => {
    const m = new RouteInfoManager<FakeChannel>();
    m.registerBroker(registration(), T0);
    const sameVersion = registration({ topicConfigWrapper: { dataVersion: version(1), topicConfigTable: topics({ topicName: 'TopicA', writeQueueNums: 8 }, { topicName: 'TBW102' }) } });
    m.registerBroker(sameVersion, T0 + 1);
    assert.equal(m.pickupTopicRouteData('TopicA')?.queueDatas[0]?.writeQueueNums, 4);
    const newVersion = registration({ topicConfigWrapper: { dataVersion: version(2), topicConfigTable: topics({ topicName: 'TopicA', writeQueueNums: 8 }, { topicName: 'TBW102' }) } });
    m.registerBroker(newVersion, T0 + 2);
    assert.equal(m.pickupTopicRouteData('TopicA')?.queueDatas[0]?.writeQueueNums, 8);
    assert.equal(m.isBrokerTopicConfigChanged('DefaultCluster', '10.0.0.1:10911', version(2)), false);
    assert.equal(m.isBrokerTopicConfigChanged('DefaultCluster', '10.0.0.1:10911', version(3)), true);
    assert.equal(m.isBrokerTopicConfigChanged('DefaultCluster', '10.0.0.9:10911', version(2)), true);
    assert.deepEqual(m.queryBrokerTopicConfig('DefaultCluster', '10.0.0.1:10911'), version(2));
  });

  it('adds a topic that is new for this broker even when the DataVersion did not change', () => {
    const m = new RouteInfoManager<FakeChannel>();
    m.registerBroker(registration(), T0);
    m.deleteTopic('TopicA');
    m.registerBroker(registration(), T0 + 1);
    assert.notEqual(m.pickupTopicRouteData('TopicA'), null);
  });

  it('refuses a single-topic registration from an unknown broker id (an incremental one that overtook the full one)', () => {
    const m = new RouteInfoManager<FakeChannel>();
    const single = registration({ topicConfigWrapper: { dataVersion: version(1), topicConfigTable: topics({ topicName: 'TopicA' }) } });
    assert.equal(m.registerBroker(single, T0), null);
    m.registerBroker(registration(), T0);
    assert.deepEqual(m.registerBroker(single, T0), {});
  });

  it('moves an address that switches roles (slave to master) and drops a stale registration by stateVersion', () => {
    const m = new RouteInfoManager<FakeChannel>();
    m.registerBroker(registration({ brokerId: 1, brokerAddr: '10.0.0.2:10911' }), T0);
    m.registerBroker(registration({ brokerId: 0, brokerAddr: '10.0.0.2:10911' }), T0);
    assert.deepEqual([...(m.getAllClusterInfo().brokerAddrTable.get('broker-a')?.brokerAddrs ?? [])], [[0, '10.0.0.2:10911']]);
    // The id-0 slot is held by an address with a newer stateVersion: the older claimant is ignored.
    m.registerBroker(registration({ brokerAddr: '10.0.0.2:10911', topicConfigWrapper: { dataVersion: version(3, 5), topicConfigTable: topics({ topicName: 'A' }, { topicName: 'B' }) } }), T0);
    const stale = registration({ brokerAddr: '10.0.0.3:10911', topicConfigWrapper: { dataVersion: version(4, 1), topicConfigTable: topics({ topicName: 'A' }, { topicName: 'B' }) } });
    assert.deepEqual(m.registerBroker(stale, T0), {});
    assert.equal(m.getAllClusterInfo().brokerAddrTable.get('broker-a')?.brokerAddrs.get(0), '10.0.0.2:10911');
    assert.equal(m.brokerLiveInfo('DefaultCluster', '10.0.0.3:10911'), undefined);
  });

  it('honours a broker heartbeatTimeoutMillis and zone name', () => {
    const m = new RouteInfoManager<FakeChannel>();
    m.registerBroker(registration({ heartbeatTimeoutMillis: 10_000, zoneName: 'zone-1' }), T0);
    assert.equal(m.brokerLiveInfo('DefaultCluster', '10.0.0.1:10911')?.heartbeatTimeoutMillis, 10_000);
    assert.equal(m.pickupTopicRouteData('TopicA')?.brokerDatas[0]?.zoneName, 'zone-1');
  });

  it('deleteTopicWithBrokerRegistration drops the topics a master no longer has', () => {
    let enabled = false;
    const m = new RouteInfoManager<FakeChannel>({ deleteTopicWithBrokerRegistration: () => enabled });
    m.registerBroker(registration(), T0);
    const fewer = registration({ topicConfigWrapper: { dataVersion: version(2), topicConfigTable: topics({ topicName: 'TBW102' }, { topicName: 'Other' }) } });
    m.registerBroker(fewer, T0);
    assert.notEqual(m.pickupTopicRouteData('TopicA'), null);
    enabled = true;
    m.registerBroker({ ...fewer, topicConfigWrapper: { ...fewer.topicConfigWrapper, dataVersion: version(3) } }, T0);
    assert.equal(m.pickupTopicRouteData('TopicA'), null);
  });
});

describe('RouteInfoManager unregistration and liveness', () => {
  function twoBrokers(): RouteInfoManager<FakeChannel> {
    const m = new RouteInfoManager<FakeChannel>();
    m.registerBroker(registration(), T0);
    m.registerBroker(registration({ brokerId: 1, brokerAddr: '10.0.0.2:10911', channel: { remoteAddr: '10.0.0.2:50002' } }), T0 + 60_000);
    m.registerBroker(
      registration({ brokerName: 'broker-b', brokerAddr: '10.0.0.3:10911', channel: { remoteAddr: '10.0.0.3:50003' }, clusterName: 'Other' }),
      T0 + 60_000,
    );
    return m;
  }

  it('unregisters an address, then the group, its cluster entry and its queue data once empty', () => {
    const m = twoBrokers();
    m.unregisterBroker({ clusterName: 'DefaultCluster', brokerAddr: '10.0.0.1:10911', brokerName: 'broker-a', brokerId: 0 });
    assert.deepEqual([...(m.getAllClusterInfo().brokerAddrTable.get('broker-a')?.brokerAddrs ?? [])], [[1, '10.0.0.2:10911']]);
    assert.equal(m.pickupTopicRouteData('TopicA')?.queueDatas.length, 2);
    m.unregisterBroker({ clusterName: 'DefaultCluster', brokerAddr: '10.0.0.2:10911', brokerName: 'broker-a', brokerId: 1 });
    assert.equal(m.getAllClusterInfo().brokerAddrTable.has('broker-a'), false);
    assert.equal(m.getAllClusterInfo().clusterAddrTable.has('DefaultCluster'), false);
    assert.deepEqual(m.pickupTopicRouteData('TopicA')?.queueDatas.map((q) => q.brokerName), ['broker-b']);
    assert.equal(m.liveBrokerCount, 1);
  });

  it('expires a broker 120 s after its last registration, and a heartbeat extends it', () => {
    const m = twoBrokers();
    assert.deepEqual(m.scanNotActiveBroker(T0 + 120_000), []); // exactly at the limit: still alive (Java: last + timeout < now)
    const expired = m.scanNotActiveBroker(T0 + 120_001);
    assert.deepEqual(expired.map((l) => l.brokerAddr), ['10.0.0.1:10911']);
    assert.equal(expired[0]?.channel.remoteAddr, '10.0.0.1:50001');
    assert.equal(m.getAllClusterInfo().brokerAddrTable.get('broker-a')?.brokerAddrs.has(0), false);
    assert.equal(m.updateBrokerInfoUpdateTimestamp('DefaultCluster', '10.0.0.2:10911', T0 + 170_000), true);
    assert.equal(m.updateBrokerInfoUpdateTimestamp('DefaultCluster', '10.0.0.1:10911', T0 + 170_000), false);
    assert.deepEqual(m.scanNotActiveBroker(T0 + 200_000).map((l) => l.brokerAddr), ['10.0.0.3:10911']);
    assert.deepEqual(m.scanNotActiveBroker(T0 + 290_001).map((l) => l.brokerAddr), ['10.0.0.2:10911']);
    assert.equal(m.liveBrokerCount, 0);
    assert.deepEqual(m.getAllTopicList().topicList, []);
  });

  it('unregisters the brokers of a destroyed connection at once, and only those', () => {
    const m = twoBrokers();
    assert.deepEqual(m.onChannelDestroy('10.0.0.2:50002'), [{ clusterName: 'DefaultCluster', brokerAddr: '10.0.0.2:10911', brokerName: 'broker-a', brokerId: 1 }]);
    assert.deepEqual(m.onChannelDestroy('10.0.0.9:1'), []);
    assert.equal(m.liveBrokerCount, 2);
    assert.equal(m.getAllClusterInfo().brokerAddrTable.get('broker-a')?.brokerAddrs.size, 1);
  });

  it('wipes the write permission of an acting-master group whose master left', () => {
    const m = new RouteInfoManager<FakeChannel>();
    m.registerBroker(registration({ enableActingMaster: true }), T0);
    m.registerBroker(registration({ brokerId: 1, brokerAddr: '10.0.0.2:10911', enableActingMaster: true }), T0);
    m.unregisterBroker({ clusterName: 'DefaultCluster', brokerAddr: '10.0.0.1:10911', brokerName: 'broker-a', brokerId: 0 });
    assert.equal(m.pickupTopicRouteData('TopicA')?.queueDatas[0]?.perm, 4);
  });
});

describe('RouteInfoManager topics and permissions', () => {
  it('wipes and restores write permission and counts the topics touched', () => {
    const m = new RouteInfoManager<FakeChannel>();
    m.registerBroker(registration(), T0);
    assert.equal(m.wipeWritePermOfBroker('broker-a'), 2);
    assert.deepEqual(m.pickupTopicRouteData('TBW102')?.queueDatas[0]?.perm, 5);
    assert.equal(m.addWritePermOfBroker('broker-a'), 2);
    assert.deepEqual(m.pickupTopicRouteData('TBW102')?.queueDatas[0]?.perm, 6); // Java assigns READ|WRITE
    assert.equal(m.wipeWritePermOfBroker('nobody'), 0);
  });

  it('lists topics: all, by cluster, and the system list (cluster and broker names)', () => {
    const m = new RouteInfoManager<FakeChannel>();
    m.registerBroker(registration(), T0);
    m.registerBroker(registration({ clusterName: 'C2', brokerName: 'broker-b', brokerAddr: '10.0.0.3:10911', topicConfigWrapper: { dataVersion: version(1), topicConfigTable: topics({ topicName: 'TopicB' }, { topicName: 'TopicA' }) } }), T0);
    assert.deepEqual(m.getAllTopicList().topicList.sort(), ['TBW102', 'TopicA', 'TopicB']);
    assert.deepEqual(m.getTopicsByCluster('C2').topicList.sort(), ['TopicA', 'TopicB']);
    assert.deepEqual(m.getTopicsByCluster('none').topicList, []);
    const system = m.getSystemTopicList();
    assert.deepEqual(system.topicList.sort(), ['C2', 'DefaultCluster', 'broker-a', 'broker-b']);
    assert.equal(system.brokerAddr, '10.0.0.1:10911');
  });

  it('deletes a topic everywhere or in one cluster, and registers one for registered brokers only', () => {
    const m = new RouteInfoManager<FakeChannel>();
    m.registerBroker(registration(), T0);
    m.registerBroker(registration({ clusterName: 'C2', brokerName: 'broker-b', brokerAddr: '10.0.0.3:10911' }), T0);
    m.deleteTopic('TopicA', 'C2');
    assert.deepEqual(m.pickupTopicRouteData('TopicA')?.queueDatas.map((q) => q.brokerName), ['broker-a']);
    m.deleteTopic('TopicA');
    assert.equal(m.pickupTopicRouteData('TopicA'), null);
    const q = { brokerName: 'broker-b', readQueueNums: 2, writeQueueNums: 2, perm: 6, topicSysFlag: 0 };
    assert.equal(m.registerTopic('New', [q]), true);
    assert.deepEqual(m.pickupTopicRouteData('New')?.queueDatas, [q]);
    assert.equal(m.registerTopic('Bad', [{ ...q, brokerName: 'ghost' }]), false);
    assert.equal(m.pickupTopicRouteData('Bad'), null);
  });

  it('hands out copies: changing a returned route does not change the state', () => {
    const m = new RouteInfoManager<FakeChannel>();
    m.registerBroker(registration(), T0);
    const route = m.pickupTopicRouteData('TopicA');
    route?.brokerDatas[0]?.brokerAddrs.clear();
    if (route?.queueDatas[0] !== undefined) route.queueDatas[0].perm = 0;
    assert.equal(m.pickupTopicRouteData('TopicA')?.brokerDatas[0]?.brokerAddrs.size, 1);
    assert.equal(m.pickupTopicRouteData('TopicA')?.queueDatas[0]?.perm, 6);
  });
});

describe('RouteInfoManager route version (what route caches key on)', () => {
  it('moves on every change a route could see, and not on a heartbeat', () => {
    const m = new RouteInfoManager<FakeChannel>();
    const seen = new Set<number>([m.routeVersion]);
    const changed = (what: string, change: () => unknown): void => {
      change();
      assert.ok(!seen.has(m.routeVersion), `${what} did not move the route version`);
      seen.add(m.routeVersion);
    };
    changed('registration', () => m.registerBroker(registration(), T0));
    changed('wipe write perm', () => m.wipeWritePermOfBroker('broker-a'));
    changed('add write perm', () => m.addWritePermOfBroker('broker-a'));
    changed('register topic', () => m.registerTopic('Extra', [{ brokerName: 'broker-a', perm: 6, readQueueNums: 1, writeQueueNums: 1, topicSysFlag: 0 }]));
    changed('delete topic', () => m.deleteTopic('Extra'));
    const before = m.routeVersion;
    assert.equal(m.updateBrokerInfoUpdateTimestamp('DefaultCluster', '10.0.0.1:10911', T0 + 1000), true);
    assert.equal(m.routeVersion, before, 'a heartbeat changes no route');
    changed('expiry', () => assert.equal(m.scanNotActiveBroker(T0 + 1000 + 120_001).length, 1));
  });
});
