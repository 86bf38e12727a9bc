import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PubContext, RecallContext, SubAfterContext, TraceContext } from '../../../../src/client/trace/trace-context.js';
import { addTraceKeys, decodeTraceData, encodeTraceData } from '../../../../src/client/trace/trace-data-encoder.js';

/** Separators shown as | (\u0001) and # (\u0002), as in the research notes' records from Java 5.3.3. */
const show = (text: string): string => text.replaceAll('\u0001', '|').replaceAll('\u0002', '#');

const MSG_ID = 'FD00000000000000000000000000000D';
const REQUEST_ID = 'FD00000000000000000000000000000F';

/** encoderFromContextBean's pair: the records and the keys of one context. */
function encodeTraceContext(ctx: TraceContext): { transData: string; transKeys: string[] } {
  const keys = new Set<string>();
  addTraceKeys(ctx, keys);
  return { transData: encodeTraceData(ctx), transKeys: [...keys] };
}

describe('encodeTraceData and addTraceKeys (TraceDataEncoder.encoderFromContextBean)', () => {
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

  it('writes an EndTransaction record as EndTransactionTraceHookImpl and TraceDataEncoder do', () => {
    const bean = encodeTraceContext({
      traceType: 'EndTransaction',
      timeStamp: 1796593116800,
      regionId: 'DefaultRegion',
      groupName: 'txGroup',
      topic: 'TxTopic',
      msgId: MSG_ID,
      tags: null,
      keys: 'k1',
      storeHost: '127.0.0.1:10911',
      msgType: 2,
      transactionId: MSG_ID,
      transactionState: 'COMMIT_MESSAGE',
      fromTransactionCheck: false,
    });
    assert.equal(show(bean.transData), `EndTransaction|1796593116800|DefaultRegion|txGroup|TxTopic|${MSG_ID}|null|k1|127.0.0.1:10911|2|${MSG_ID}|COMMIT_MESSAGE|false#`);
    assert.deepEqual(bean.transKeys, [MSG_ID, 'k1']);
  });

  it('writes a Recall record as DefaultRecallMessageTraceHook and TraceDataEncoder do, keyed by the msgId', () => {
    const bean = encodeTraceContext({ traceType: 'Recall', timeStamp: 1796593116900, regionId: 'DefaultRegion', groupName: 'recallGroup', topic: 'TimerTopic', msgId: MSG_ID, success: false });
    assert.equal(show(bean.transData), `Recall|1796593116900|DefaultRegion|recallGroup|TimerTopic|${MSG_ID}|false#`);
    assert.deepEqual(bean.transKeys, [MSG_ID]);
  });
});

describe('decodeTraceData (TraceDataEncoder.decoderFromTraceDataString)', () => {
  const contexts: TraceContext[] = [
    {
      traceType: 'Pub', timeStamp: 1, regionId: 'r', groupName: 'g', topic: 't', msgId: 'M', tags: null, keys: 'a b',
      storeHost: 'h:1', bodyLength: 3, costTime: 4, msgType: 1, offsetMsgId: 'O', success: true,
    },
    { traceType: 'SubBefore', timeStamp: 2, regionId: 'r', groupName: 'c', requestId: 'R', beans: [{ msgId: 'M', keys: null, retryTimes: 1 }] },
    { traceType: 'SubAfter', requestId: 'R', costTime: 5, success: false, contextCode: 4, timeStamp: 3, groupName: 'c', beans: [{ msgId: 'M', keys: null, retryTimes: 0 }] },
    {
      traceType: 'EndTransaction', timeStamp: 4, regionId: 'r', groupName: 'g', topic: 't', msgId: 'M', tags: 'x', keys: null,
      storeHost: 'h:1', msgType: 2, transactionId: 'T', transactionState: 'UNKNOW', fromTransactionCheck: true,
    },
    { traceType: 'Recall', timeStamp: 5, regionId: 'r', groupName: 'g', topic: 't', msgId: 'M', success: true },
  ];

  it('reads back what the encoder writes', () => {
    assert.deepEqual(decodeTraceData(contexts.map((c) => encodeTraceContext(c).transData).join('')), contexts);
  });

  it("reads older writers' shorter records and 5.3's Recall", () => {
    const text = [
      // A Pub of 13 fields (no offsetMsgId) and one of 15 (with a client host, 4.x).
      'Pub|1|r|g|t|M|null|null|h:1|3|4|0|true',
      'Pub|1|r|g|t|M|null|null|h:1|3|4|4|O|false|10.0.0.1',
      // A SubAfter without contextCode, and one without timestamp and group (AccessChannel.CLOUD).
      'SubAfter|R|M|5|true|k',
      'SubAfter|R|M|5|false|k|2',
      'Recall|9|r|g|t|M|true',
    ].map((r) => r.replaceAll('|', '\u0001') + '\u0002').join('');
    const decoded = decodeTraceData(text);
    assert.deepEqual(decoded.map((c) => c.traceType), ['Pub', 'Pub', 'SubAfter', 'SubAfter', 'Recall']);
    const [pub13, pub15, after5, after7, recall] = decoded as [PubContext, PubContext, SubAfterContext, SubAfterContext, RecallContext];
    assert.deepEqual([pub13.offsetMsgId, pub13.success], [null, true]);
    assert.deepEqual([pub15.msgType, pub15.offsetMsgId, pub15.success], [4, 'O', false]);
    assert.deepEqual([after5.contextCode, after5.groupName, after5.beans[0]?.keys], [0, '', 'k']);
    assert.deepEqual([after7.contextCode, after7.timeStamp], [2, 0]);
    assert.deepEqual(recall, { traceType: 'Recall', timeStamp: 9, regionId: 'r', groupName: 'g', topic: 't', msgId: 'M', success: true });
  });

  it('skips malformed and unknown records rather than failing the rest', () => {
    const good = encodeTraceContext(contexts[1] as TraceContext).transData;
    const text = ['Pub\u0001x\u0002', 'Nope\u00011\u0002', 'SubBefore\u00011\u0002', 'EndTransaction\u00011\u0001r\u0001g\u0001t\u0001M\u0001x\u0001k\u0001h\u00012\u0001T\u0001MAYBE\u0001true\u0002', good].join('');
    assert.deepEqual(decodeTraceData(text), [contexts[1]]);
    assert.deepEqual(decodeTraceData(''), []);
  });
});
