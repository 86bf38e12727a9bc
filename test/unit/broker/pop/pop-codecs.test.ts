import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConsumerOrderInfoManager } from '../../../../src/broker/pop/consumer-order-info-manager.js';
import { buildExtraInfo, parseExtraInfo, realTopicOf } from '../../../../src/broker/pop/extra-info.js';
import { decodeBatchAckMessageRequestBody } from '../../../../src/protocol/bodies/batch-ack.js';
import { MemoryConfigStore } from '../support.js';

describe('POP receipt handles (ExtraInfoUtil)', () => {
  it("reads the Java stack's handles (the proxy's ninth field ignored) and writes the same eight fields", () => {
    // Observed from the Java 5.3.3 proxy (reference grpc-proxy.md §2.8): normal, v1 retry and FIFO.
    for (const observed of ['0 1796593126209 20000 0 0 broker-a 5 0 1717', '1 1796593801038 60000 5 1 broker-a 0 1 249175', '0 1796594021041 10000 999 0 broker-a 0 0 264464']) {
      const info = parseExtraInfo(observed);
      const topic = info.topicType === '1' ? '%RETRY%G_T' : 'T';
      assert.equal(buildExtraInfo({ ...info, topic }), observed.split(' ').slice(0, 8).join(' '));
    }
    assert.equal(realTopicOf(parseExtraInfo('1 1 1 0 1 b 0 1'), 'T', 'G'), '%RETRY%G_T');
    assert.equal(realTopicOf(parseExtraInfo('1 1 1 0 1 b 0 1'), '%RETRY%G_T', 'G'), '%RETRY%G_T', 'already converted by a Java client');
    assert.equal(realTopicOf(parseExtraInfo('1 1 1 0 2 b 0 1'), 'T', 'G'), '%RETRY%G+T');
  });

  it('refuses what does not parse, naming why', () => {
    assert.throws(() => parseExtraInfo('garbage'), /Parse failed, dataList size 1/);
    assert.throws(() => parseExtraInfo('0 x 1 0 0 b 0 1'), /popTime is not a number/);
    assert.throws(() => parseExtraInfo('0 1 1 0 7 b 0 1'), /unknown topic type 7/);
  });
});

describe('BatchAckMessageRequestBody', () => {
  it('reads the short and the long field names and the base64 BitSet (bit i of byte i/8)', () => {
    const body = decodeBatchAckMessageRequestBody(
      JSON.stringify({
        brokerName: 'broker-a',
        acks: [
          { c: 'G', t: 'T', r: '0', so: 10, q: 1, rq: 0, pt: 5, it: 60000, b: Buffer.from([0b101, 0b1]).toString('base64') },
          { consumerGroup: 'G', topic: 'T', retry: '1', startOffset: 3, queueId: 0, reviveQueueId: 0, popTime: 6, invisibleTime: 1, bitSet: 'AQ==' },
        ],
      }),
    );
    assert.deepEqual(
      body.acks.map((a) => [a.retry, a.queueId, a.offsets]),
      [
        ['0', 1, [10, 12, 18]],
        ['1', 0, [3]],
      ],
    );
  });
});

describe('ConsumerOrderInfoManager', () => {
  it("writes Java's consumerOrderInfo.json and reads it back: blocking, consumed counts and the next offset survive", async () => {
    const configStore = new MemoryConfigStore();
    let now = 1000;
    const first = new ConsumerOrderInfoManager(configStore, () => now);
    first.update('a', 'T', 'G', 0, 1000, 5000, [4, 5, 7]);
    first.update('b', 'T', 'G', 0, 1001, 5000, [4, 5, 7]);
    assert.equal(first.commitAndNext('T', 'G', 0, 4, 1001), 5);
    assert.equal(first.commitAndNext('T', 'G', 0, 5, 999), -2, 'a handle of an older batch');
    await first.persist();
    const json = JSON.parse(configStore.files.get('consumerOrderInfo.json') ?? '{}') as { table: Record<string, Record<string, Record<string, unknown>>> };
    assert.deepEqual(json.table['T@G']?.['0'], { a: 'b', popTime: 1001, i: 5000, o: [4, 1, 3], ot: {}, oc: { 4: 1, 5: 1, 7: 1 }, l: 1000, cm: 1 });

    const second = new ConsumerOrderInfoManager(configStore, () => now);
    await second.load();
    assert.equal(second.nextOffset('T', 'G', 0), 5);
    assert.equal(second.checkBlock('c', 'T', 'G', 0, 5000), true);
    assert.equal(second.checkBlock('b', 'T', 'G', 0, 5000), false, 'its own attempt id');
    assert.equal(second.consumedCount('T', 'G', 0, 7), 1);
    now = 6001;
    assert.equal(second.checkBlock('c', 'T', 'G', 0, 5000), false, 'visible again after the invisible time');
  });
});
