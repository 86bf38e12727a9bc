import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeTraceContext } from '../../../../src/client/trace/trace-data-encoder.js';

/** Separators shown as | (\u0001) and # (\u0002), as in the research notes' records from Java 5.3.3. */
const show = (text: string): string => text.replaceAll('\u0001', '|').replaceAll('\u0002', '#');

const MSG_ID = 'FD00000000000000000000000000000D';
const REQUEST_ID = 'FD00000000000000000000000000000F';

describe('encodeTraceContext (TraceDataEncoder.encoderFromContextBean)', () => {
  it('writes a Pub record as Java 5.3.3 did, keyed by the msgId and the keys', () => {
    const bean = encodeTraceContext({
      traceType: 'Pub',
      timeStamp: 1796593116751,
      regionId: 'DefaultRegion',
      groupName: 'traceGroup',
      topic: 'TraceTopic',
      msgId: MSG_ID,
      tags: 'tagT',
      keys: 'key1 key2',
      storeHost: '127.0.0.1:19911',
      bodyLength: 6,
      costTime: 10,
      msgType: 0,
      offsetMsgId: '7F00000100004D9700000000000F1F86',
      success: true,
    });
    assert.equal(
      show(bean.transData),
      `Pub|1796593116751|DefaultRegion|traceGroup|TraceTopic|${MSG_ID}|tagT|key1 key2|127.0.0.1:19911|6|10|0|7F00000100004D9700000000000F1F86|true#`,
    );
    assert.deepEqual(bean.transKeys, [MSG_ID, 'key1', 'key2']);
  });

  it('prints absent tags, keys and offsetMsgId as null, and keys the record by the msgId alone', () => {
    const bean = encodeTraceContext({
      traceType: 'Pub',
      timeStamp: 1,
      regionId: 'r',
      groupName: 'g',
      topic: 't',
      msgId: MSG_ID,
      tags: null,
      keys: null,
      storeHost: 'h:1',
      bodyLength: 0,
      costTime: 0,
      msgType: 3,
      offsetMsgId: null,
      success: false,
    });
    assert.equal(show(bean.transData), `Pub|1|r|g|t|${MSG_ID}|null|null|h:1|0|0|3|null|false#`);
    assert.deepEqual(bean.transKeys, [MSG_ID]);
  });

  it('writes SubBefore and SubAfter records as Java 5.3.3 did', () => {
    const beans = [{ msgId: MSG_ID, keys: 'key1 key2', retryTimes: 0 }];
    const before = encodeTraceContext({
      traceType: 'SubBefore',
      timeStamp: 1796593116765,
      regionId: 'DefaultRegion',
      groupName: 'traceConsumer',
      requestId: REQUEST_ID,
      beans,
    });
    const after = encodeTraceContext({
      traceType: 'SubAfter',
      requestId: REQUEST_ID,
      costTime: 0,
      success: true,
      contextCode: 0,
      timeStamp: 1796593116765,
      groupName: 'traceConsumer',
      beans,
    });
    assert.equal(
      show(before.transData + after.transData),
      `SubBefore|1796593116765|DefaultRegion|traceConsumer|${REQUEST_ID}|${MSG_ID}|0|key1 key2#` +
        `SubAfter|${REQUEST_ID}|${MSG_ID}|0|true|key1 key2|0|1796593116765|traceConsumer#`,
    );
    assert.deepEqual(before.transKeys, [MSG_ID, 'key1', 'key2']);
    assert.deepEqual(after.transKeys, [MSG_ID, 'key1', 'key2']);
  });

  it('writes one record per message of a consume batch, null keys as null', () => {
    const beans = [
      { msgId: 'A', keys: null, retryTimes: 2 },
      { msgId: 'B', keys: 'k', retryTimes: 0 },
    ];
    const before = encodeTraceContext({ traceType: 'SubBefore', timeStamp: 5, regionId: 'r', groupName: 'g', requestId: 'R', beans });
    assert.equal(show(before.transData), 'SubBefore|5|r|g|R|A|2|null#SubBefore|5|r|g|R|B|0|k#');
    assert.deepEqual(before.transKeys, ['A', 'B', 'k']);
    const after = encodeTraceContext({ traceType: 'SubAfter', requestId: 'R', costTime: 3, success: false, contextCode: 2, timeStamp: 9, groupName: 'g', beans });
    assert.equal(show(after.transData), 'SubAfter|R|A|3|false|null|2|9|g#SubAfter|R|B|3|false|k|2|9|g#');
  });
});
