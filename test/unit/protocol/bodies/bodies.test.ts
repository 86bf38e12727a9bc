import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { RemotingCommandError } from '../../../../src/common/errors.js';
import {
  decodeClusterInfo,
  decodeDataVersion,
  decodeKVConfigTable,
  decodeKVTable,
  decodeRegisterBrokerBody,
  decodeTopicConfigText,
  decodeTopicList,
  decodeTopicRouteData,
  defaultTopicConfig,
  encodeClusterInfo,
  encodeDataVersion,
  encodeKVConfigTable,
  encodeKVTable,
  encodeRegisterBrokerBody,
  encodeTopicConfigText,
  encodeTopicList,
  encodeTopicRouteData,
  type RegisterBrokerBody,
  type TopicConfig,
  type TopicRouteData,
} from '../../../../src/protocol/bodies/index.js';

// The JSON strings below are the shapes the reference (§3.2, §3.6, §3.7) verified against fastjson 1.2.83.
const PLAIN_ROUTE =
  '{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"broker-a",' +
  '"cluster":"DefaultCluster","enableActingMaster":false}],"filterServerTable":{},' +
  '"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}';
const STANDARD_ROUTE = PLAIN_ROUTE.replace('{0:', '{"0":').replace(',1:', ',"1":');

function sampleRoute(): TopicRouteData {
  return {
    queueDatas: [{ brokerName: 'broker-a', perm: 6, readQueueNums: 4, topicSysFlag: 0, writeQueueNums: 4 }],
    brokerDatas: [
      {
        cluster: 'DefaultCluster',
        brokerName: 'broker-a',
        // Inserted out of order: HashMap<Long,String> iterates small ids ascending, so the output must be sorted.
        brokerAddrs: new Map([
          [1, '10.0.0.2:10911'],
          [0, '10.0.0.1:10911'],
        ]),
        enableActingMaster: false,
      },
    ],
    filterServerTable: new Map(),
  };
}

describe('TopicRouteData', () => {
  it('writes the plain fastjson form with unquoted broker ids, byte for byte', () => {
    assert.equal(encodeTopicRouteData(sampleRoute(), false).toString(), PLAIN_ROUTE);
  });

  it('writes the BrowserCompatible form with quoted broker ids, byte for byte', () => {
    assert.equal(encodeTopicRouteData(sampleRoute(), true).toString(), STANDARD_ROUTE);
    assert.doesNotThrow(() => JSON.parse(STANDARD_ROUTE));
  });

  it('escapes non-ASCII only in the standard form, and writes orderTopicConf and zoneName only when set', () => {
    const route = sampleRoute();
    route.orderTopicConf = 'broker-a:4';
    (route.brokerDatas[0] as { zoneName?: string }).zoneName = 'zoné';
    const standard = encodeTopicRouteData(route, true).toString();
    assert.match(standard, /"orderTopicConf":"broker-a:4"/);
    assert.match(standard, /"zoneName":"zon\\u00E9"/);
    assert.match(encodeTopicRouteData(route, false).toString(), /"zoneName":"zoné"/);
    assert.doesNotMatch(encodeTopicRouteData(sampleRoute(), true).toString(), /orderTopicConf|zoneName/);
  });

  it('reads both forms, and a 4.9 BrokerData without enableActingMaster', () => {
    for (const text of [PLAIN_ROUTE, STANDARD_ROUTE, PLAIN_ROUTE.replace(',"enableActingMaster":false', '')]) {
      const route = decodeTopicRouteData(Buffer.from(text));
      assert.deepEqual([...(route.brokerDatas[0]?.brokerAddrs ?? [])], [
        [0, '10.0.0.1:10911'],
        [1, '10.0.0.2:10911'],
      ]);
      assert.equal(route.brokerDatas[0]?.enableActingMaster, false);
      assert.deepEqual(route.queueDatas, sampleRoute().queueDatas);
    }
  });

  it('round-trips arbitrary routes through both forms', () => {
    const name = fc.string({ minLength: 1, maxLength: 12 });
    const routeArb = fc.record({
      queueDatas: fc.array(
        fc.record({ brokerName: name, perm: fc.integer({ min: 0, max: 7 }), readQueueNums: fc.nat(64), topicSysFlag: fc.nat(3), writeQueueNums: fc.nat(64) }),
        { maxLength: 4 },
      ),
      brokerDatas: fc.array(
        fc.record({
          cluster: name,
          brokerName: name,
          brokerAddrs: fc.uniqueArray(fc.tuple(fc.nat(16), name), { selector: ([id]) => id, maxLength: 3 }).map((e) => new Map(e)),
          enableActingMaster: fc.boolean(),
        }),
        { maxLength: 3 },
      ),
      filterServerTable: fc.constant(new Map<string, string[]>()),
    });
    fc.assert(
      fc.property(routeArb, fc.boolean(), (route, standard) => {
        const decoded = decodeTopicRouteData(encodeTopicRouteData(route, standard));
        assert.deepEqual(decoded.queueDatas, route.queueDatas.map((q) => ({ ...q })));
        assert.deepEqual(
          decoded.brokerDatas.map((b) => ({ ...b, brokerAddrs: [...b.brokerAddrs].sort(([x], [y]) => x - y), zoneName: undefined })),
          route.brokerDatas.map((b) => ({ ...b, brokerAddrs: [...b.brokerAddrs].sort(([x], [y]) => x - y), zoneName: undefined })),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('rejects a body that is not a route with a clear error', () => {
    assert.throws(() => decodeTopicRouteData(Buffer.from('{"queueDatas":[{"perm":6}]}')), /brokerName is missing/);
    assert.throws(() => decodeTopicRouteData(Buffer.from('[1,2]')), /not a JSON object/);
    assert.throws(() => decodeTopicRouteData(Buffer.from('{"brokerDatas":[{"brokerAddrs":{x:"a"}}]}')), /not a broker id/);
    assert.throws(() => decodeTopicRouteData(Buffer.from('{oops')), RemotingCommandError);
  });
});

describe('ClusterInfo', () => {
  const JAVA =
    '{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"10.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}},' +
    '"clusterAddrTable":{"DefaultCluster":["broker-a"]}}';

  it('is always written in the plain form, as Java does even for new clients', () => {
    const info = decodeClusterInfo(Buffer.from(JAVA));
    assert.equal(info.brokerAddrTable.get('broker-a')?.brokerAddrs.get(0), '10.0.0.1:10911');
    assert.deepEqual(info.clusterAddrTable.get('DefaultCluster'), ['broker-a']);
    assert.equal(encodeClusterInfo(info).toString(), JAVA);
  });
});

describe('small bodies', () => {
  it('DataVersion: writes the 5.x shape, reads 4.9 without stateVersion', () => {
    assert.equal(
      encodeDataVersion({ counter: 5, stateVersion: 0, timestamp: 1700000000000 }).toString(),
      '{"counter":5,"stateVersion":0,"timestamp":1700000000000}',
    );
    assert.deepEqual(decodeDataVersion(Buffer.from('{"counter":7,"timestamp":1700000000001}')), { counter: 7, stateVersion: 0, timestamp: 1700000000001 });
    assert.throws(() => decodeDataVersion(Buffer.from('{"counter":"x"}')), /counter is not an integer/);
  });

  it('TopicList, KVTable and kvConfig.json', () => {
    assert.equal(encodeTopicList({ topicList: ['A', 'B'], brokerAddr: '10.0.0.1:10911' }).toString(), '{"brokerAddr":"10.0.0.1:10911","topicList":["A","B"]}');
    assert.equal(encodeTopicList({ topicList: [] }).toString(), '{"topicList":[]}');
    assert.deepEqual(decodeTopicList(Buffer.from('{"topicList":["A"]}')), { topicList: ['A'], brokerAddr: undefined });
    const table = new Map([['TopicOrder', 'broker-a:4;broker-b:4']]);
    assert.equal(encodeKVTable(table).toString(), '{"table":{"TopicOrder":"broker-a:4;broker-b:4"}}');
    assert.deepEqual(decodeKVTable(encodeKVTable(table)), table);
    const config = new Map([['ORDER_TOPIC_CONFIG', table]]);
    const text = encodeKVConfigTable(config);
    assert.equal(text, '{"configTable":{"ORDER_TOPIC_CONFIG":{"TopicOrder":"broker-a:4;broker-b:4"}}}');
    assert.deepEqual(decodeKVConfigTable(text), config);
  });
});

describe('RegisterBrokerBody', () => {
  // §3.2, as a 5.x broker sends it; 4.9.8 lacks the mapping fields, stateVersion and attributes.
  const V5_JSON =
    '{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":5,"stateVersion":0,"timestamp":1700000000000},' +
    '"mappingDataVersion":{"counter":0,"stateVersion":0,"timestamp":1700000000000},' +
    '"topicConfigTable":{"TopicTest":{"attributes":{},"order":false,"perm":6,"readQueueNums":4,' +
    '"topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}},' +
    '"topicQueueMappingDetailMap":{},"topicQueueMappingInfoMap":{}}}';
  const V4_JSON =
    '{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":3,"timestamp":1700000000000},' +
    '"topicConfigTable":{"TopicTest":{"order":true,"perm":6,"readQueueNums":8,"topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":1,"writeQueueNums":8}}}}';

  it('reads the uncompressed 5.x and 4.9 bodies', () => {
    const v5 = decodeRegisterBrokerBody(Buffer.from(V5_JSON), false, 479);
    assert.deepEqual(v5.topicConfigSerializeWrapper.dataVersion, { counter: 5, stateVersion: 0, timestamp: 1700000000000 });
    const topic = v5.topicConfigSerializeWrapper.topicConfigTable.get('TopicTest');
    assert.equal(topic?.readQueueNums, 4);
    assert.deepEqual(topic?.attributes, new Map());
    const v4 = decodeRegisterBrokerBody(Buffer.from(V4_JSON), false, 409);
    const t4 = v4.topicConfigSerializeWrapper.topicConfigTable.get('TopicTest');
    assert.deepEqual([t4?.readQueueNums, t4?.order, t4?.topicSysFlag, t4?.attributes], [8, true, 1, undefined]);
    assert.equal(v4.topicConfigSerializeWrapper.dataVersion.stateVersion, 0);
  });

  it('reads a bare TopicConfigSerializeWrapper from brokers older than 3.0.11, and no body as an empty registration', () => {
    const bare = '{"dataVersion":{"counter":1,"timestamp":2},"topicConfigTable":{"T":{"topicName":"T"}}}';
    const body = decodeRegisterBrokerBody(Buffer.from(bare), false, 36);
    assert.equal(body.topicConfigSerializeWrapper.topicConfigTable.get('T')?.writeQueueNums, 16); // Java's default
    const empty = decodeRegisterBrokerBody(undefined, false, 479);
    assert.deepEqual(empty.topicConfigSerializeWrapper.dataVersion, { counter: 0, stateVersion: 0, timestamp: 0 });
    assert.equal(empty.topicConfigSerializeWrapper.topicConfigTable.size, 0);
  });

  function sampleBody(): RegisterBrokerBody {
    const a: TopicConfig = { ...defaultTopicConfig('TopicA'), readQueueNums: 4, writeQueueNums: 4, attributes: new Map([['+message.type', 'NORMAL']]) };
    const b: TopicConfig = { ...defaultTopicConfig('TopicB'), perm: 7, topicFilterType: 'MULTI_TAG' };
    return {
      topicConfigSerializeWrapper: {
        dataVersion: { counter: 9, stateVersion: 2, timestamp: 1700000000123 },
        topicConfigTable: new Map([
          ['TopicA', a],
          ['TopicB', b],
        ]),
      },
      filterServerList: ['10.0.0.9:30000'],
    };
  }

  it('round-trips the JSON and the compressed forms (5.x with the mapping section, 4.9 without)', () => {
    for (const [compressed, version] of [
      [false, 479],
      [true, 479],
      [true, 409],
    ] as const) {
      const encoded = encodeRegisterBrokerBody(sampleBody(), { compressed, version });
      const decoded = decodeRegisterBrokerBody(encoded, compressed, version);
      assert.deepEqual(decoded.filterServerList, ['10.0.0.9:30000']);
      assert.deepEqual(decoded.topicConfigSerializeWrapper.dataVersion, sampleBody().topicConfigSerializeWrapper.dataVersion);
      assert.deepEqual(decoded.topicConfigSerializeWrapper.topicConfigTable, sampleBody().topicConfigSerializeWrapper.topicConfigTable);
    }
    // The 5.x compressed form carries a 4-byte mapping count the 4.9 form does not.
    const v5 = encodeRegisterBrokerBody(sampleBody(), { compressed: true, version: 479 });
    assert.throws(() => decodeRegisterBrokerBody(encodeRegisterBrokerBody(sampleBody(), { compressed: true, version: 409 }), true, 479), /ends inside/);
    assert.ok(v5.length > 0);
  });

  it('reads a compressed body built by hand the way Java lays it out (zlib level 9, int32 lengths)', () => {
    const blob = (s: string): Buffer[] => {
      const b = Buffer.from(s);
      const n = Buffer.alloc(4);
      n.writeInt32BE(b.length);
      return [n, b];
    };
    const count = (n: number): Buffer => {
      const b = Buffer.alloc(4);
      b.writeInt32BE(n);
      return b;
    };
    const raw = Buffer.concat([
      ...blob('{"counter":5,"stateVersion":0,"timestamp":1700000000000}'),
      count(2),
      ...blob('TopicTest 4 4 6 SINGLE_TAG {}'),
      ...blob('TBW102 8 8 7 SINGLE_TAG '), // a null attributes map leaves a trailing space
      ...blob('[]'),
      count(1),
      ...blob('{"bname":"broker-a","currIdMap":{},"epoch":0,"topic":"Static","totalQueues":1}'),
    ]);
    const body = decodeRegisterBrokerBody(deflateSync(raw, { level: 9 }), true, 479);
    const table = body.topicConfigSerializeWrapper.topicConfigTable;
    assert.deepEqual([...table.keys()], ['TopicTest', 'TBW102']);
    assert.equal(table.get('TBW102')?.perm, 7);
    assert.equal(table.get('TBW102')?.attributes, undefined);
    assert.deepEqual(table.get('TopicTest')?.attributes, new Map());
  });

  it('fails clearly on garbage, truncation, bad topic lines and inflation bombs', () => {
    assert.throws(() => decodeRegisterBrokerBody(Buffer.from('not zlib'), true, 479), /does not inflate/);
    assert.throws(() => decodeRegisterBrokerBody(Buffer.from('{"topicConfigSerializeWrapper":'), false, 479), /not JSON/);
    const truncated = deflateSync(Buffer.from([0, 0, 0, 100, 0x7b]));
    assert.throws(() => decodeRegisterBrokerBody(truncated, true, 479), /ends inside the dataVersion/);
    const bomb = deflateSync(Buffer.alloc(80 * 1024 * 1024));
    assert.throws(() => decodeRegisterBrokerBody(bomb, true, 479), /does not inflate/);
    assert.throws(() => decodeTopicConfigText('T 4 4 6'), /fewer than 5/);
    assert.throws(() => decodeTopicConfigText('T x 4 6 SINGLE_TAG'), /readQueueNums 'x' is not an int/);
    assert.throws(() => decodeTopicConfigText('T 4 4 6 WHATEVER'), /unknown topicFilterType/);
  });

  it('writes the compressed topic line as TopicConfig.encode() does', () => {
    assert.equal(encodeTopicConfigText({ ...defaultTopicConfig('TopicTest'), readQueueNums: 4, writeQueueNums: 4, attributes: new Map() }), 'TopicTest 4 4 6 SINGLE_TAG {}');
    assert.equal(encodeTopicConfigText(defaultTopicConfig('T')), 'T 16 16 6 SINGLE_TAG ');
  });
});
