import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageClientIDSetter } from '../../../../src/client/index.js';
import { batchProperties, prepareBatch, type MessageLimits } from '../../../../src/client/producer/producer-message.js';
import { encodeTraceBatch, type TraceMessageText } from '../../../../src/client/trace/trace-batch-encoder.js';
import { encodeTraceData } from '../../../../src/client/trace/trace-data-encoder.js';
import { decodeMessages } from '../../../../src/index.js';

const LIMITS: MessageLimits = { maxMessageSize: 4 * 1024 * 1024, compressMsgBodyOverHowmuch: 4096, compressLevel: 5 };

/** UNIQ_KEYs from a list, so that two encodings of the same messages can be compared byte for byte. */
class ListedIds extends MessageClientIDSetter {
  private next = 0;
  constructor(private readonly ids: readonly string[]) {
    super('127.0.0.1', 1, 1);
  }
  override createUniqID(): string {
    return this.ids[this.next++] ?? assert.fail('more ids asked for than listed');
  }
}

function subRecords(n: number, keys: string | null): string {
  let body = '';
  for (let i = 0; i < n; i++) {
    const bean = { msgId: `7F00000100012A9F0000000000${String(i).padStart(6, '0')}`, keys, retryTimes: i % 3 };
    body += encodeTraceData({ traceType: 'SubBefore', timeStamp: 1_765_000_000_000 + i, regionId: 'DefaultRegion', groupName: 'G', requestId: `REQ${i}`, beans: [bean] });
    body += encodeTraceData({
      traceType: 'SubAfter', requestId: `REQ${i}`, costTime: i, success: i % 2 === 0, contextCode: i % 2 === 0 ? 0 : 4,
      timeStamp: 1_765_000_000_001 + i, groupName: 'G', beans: [bean],
    });
  }
  return body;
}

/** What the Producer's batch send made of the same trace messages: their body and the batch's msgId. */
function viaProducer(messages: readonly TraceMessageText[], ids: readonly string[]): { body: Buffer; msgId: string; properties: string } {
  const prepared = prepareBatch(messages.map((m) => ({ topic: 'RMQ_SYS_TRACE_TOPIC', body: m.body, keys: m.keys })), LIMITS, new ListedIds(ids));
  return { body: prepared.body, msgId: prepared.msgId, properties: prepared.properties };
}

describe('trace batch encoder', () => {
  const ids = ['AC1100020001000000010000000000000001', 'AC1100020001000000010000000000000002', 'AC1100020001000000010000000000000003'];

  it("writes the bytes a Producer's batch send makes of the same trace messages", () => {
    const messages: TraceMessageText[] = [
      { body: subRecords(10, null), keys: 'ID0 ID1 ID2' },
      { body: subRecords(3, 'order-1 order-2'), keys: 'ID3 order-1 order-2' },
      // Not all ASCII: body and keys lengths in bytes differ from their lengths in characters.
      { body: subRecords(2, 'clé-Ω-键'), keys: 'ID9 clé-Ω-键 😀' },
    ];
    let next = 0;
    const encoded = encodeTraceBatch(messages, () => ids[next++] as string);
    const expected = viaProducer(messages, ids);
    assert.deepEqual(encoded.body, expected.body);
    assert.equal(encoded.msgIds, expected.msgId);
    // The batch's own properties, which the send puts in its request header.
    assert.equal(batchProperties(true, undefined), expected.properties);
    const decoded = decodeMessages(encoded.body);
    assert.deepEqual(decoded.map((m) => m.body.toString('utf8')), messages.map((m) => m.body));
    assert.deepEqual(decoded.map((m) => [m.keys, m.uniqKey, m.getProperty('WAIT')]), messages.map((m, i) => [m.keys, ids[i], 'true']));
  });

  it('writes a single trace message as a batch of one, as the Producer would', () => {
    const messages = [{ body: subRecords(1, null), keys: 'ID0' }];
    let next = 0;
    const encoded = encodeTraceBatch(messages, () => ids[next++] as string);
    assert.deepEqual(encoded.body, viaProducer(messages, ids).body);
    assert.equal(encoded.msgIds, ids[0]);
  });

  it("refuses properties beyond a record's int16 length rather than writing a broken record", () => {
    assert.throws(() => encodeTraceBatch([{ body: 'x', keys: 'k'.repeat(40_000) }], () => 'ID'), RangeError);
  });
});
