import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { MQClientError, MessageClientIDSetter, decodeRecallHandle } from '../../../src/client/index.js';
import { prepareBatch, prepareMessage, toMessage, type MessageLimits } from '../../../src/client/producer/producer-message.js';
import { decodeMessages, string2messageProperties } from '../../../src/index.js';

const LIMITS: MessageLimits = { maxMessageSize: 4 * 1024 * 1024, compressMsgBodyOverHowmuch: 4096, compressLevel: 5 };
const ids = new MessageClientIDSetter('127.0.0.1', 1, 1);

describe('producer messages', () => {
  it('carries tags, keys, WAIT, DELAY and user properties, and a UNIQ_KEY as msgId', async () => {
    const msg = toMessage({ topic: 'T', body: 'x', tags: 'TagA', keys: ['k1', 'k2'], delayLevel: 3, flag: 7, properties: { a: '1' } }, LIMITS.maxMessageSize);
    const prepared = await prepareMessage(msg, LIMITS, ids);
    const properties = string2messageProperties(prepared.properties);
    assert.equal(properties.get('TAGS'), 'TagA');
    assert.equal(properties.get('KEYS'), 'k1 k2');
    assert.equal(properties.get('WAIT'), 'true');
    assert.equal(properties.get('DELAY'), '3');
    assert.equal(properties.get('a'), '1');
    assert.equal(properties.get('UNIQ_KEY'), prepared.msgId);
    assert.equal(prepared.flag, 7);
    assert.equal(prepared.sysFlag, 0);
    assert.equal(prepared.batch, false);
  });

  it('zlib-compresses a body of compressMsgBodyOverHowmuch bytes or more, flagging COMPRESSED and ZLIB', async () => {
    const big = Buffer.alloc(4096, 'a');
    const compressed = await prepareMessage(toMessage({ topic: 'T', body: big }, LIMITS.maxMessageSize), LIMITS, ids);
    assert.equal(compressed.sysFlag, 0x1 | 0x300);
    // A zlib stream (RFC 1950), as Java's Deflater writes: CMF 0x78, then FLG.
    assert.equal(compressed.body[0], 0x78);
    assert.deepEqual(inflateSync(compressed.body), big);
    const plain = prepareMessage(toMessage({ topic: 'T', body: Buffer.alloc(4095, 'a') }, LIMITS.maxMessageSize), LIMITS, ids);
    // Below the threshold nothing is awaited: the send path takes the prepared message in the same turn.
    assert.ok(!(plain instanceof Promise));
    assert.equal(plain.sysFlag, 0);
    assert.equal(plain.body.length, 4095);
  });

  it("encodes a batch as Java's MessageDecoder.encodeMessages, never compressed, each message with its own id", () => {
    const inputs = [
      { topic: 'T', body: Buffer.alloc(5000, 'b'), keys: 'k0' },
      { topic: 'T', body: 'second', tags: 'B', properties: { p: 'v' } },
    ];
    const batch = prepareBatch(inputs, LIMITS, ids);
    assert.equal(batch.batch, true);
    assert.equal(batch.sysFlag, 0);
    // The batch's own properties: WAIT only — no UNIQ_KEY, which 5.x brokers would copy onto every message.
    assert.deepEqual([...string2messageProperties(batch.properties)], [['WAIT', 'true']]);
    const decoded = decodeMessages(batch.body);
    assert.deepEqual(decoded.map((m) => m.body.toString()), [inputs[0]?.body.toString(), 'second']);
    assert.deepEqual(decoded.map((m) => m.uniqKey).join(','), batch.msgId);
    assert.equal(decoded[1]?.tags, 'B');
    assert.equal(decoded[1]?.getProperty('p'), 'v');
    // Record layout: totalSize, magic 0, body CRC 0, flag, bodyLength, body, int16 propertiesLength, properties.
    const first = batch.body;
    const total = first.readInt32BE(0);
    assert.equal(first.readInt32BE(4), 0);
    assert.equal(first.readInt32BE(8), 0);
    assert.equal(first.readInt32BE(12), 0);
    assert.equal(first.readInt32BE(16), 5000);
    assert.equal(total, 20 + 5000 + 2 + first.readInt16BE(20 + 5000));
    assert.equal(first.readInt32BE(total + 16), 'second'.length);
  });

  it('refuses properties longer than the store holds (32767 bytes)', () => {
    const msg = toMessage({ topic: 'T', body: 'x', properties: { big: 'v'.repeat(40_000) } }, 10);
    assert.throws(() => prepareMessage(msg, LIMITS, ids), (err: unknown) => err instanceof MQClientError && /32767 bytes/.test(err.message));
  });

  it('refuses what Java refuses, before any I/O', () => {
    const refuse = (fn: () => unknown, pattern: RegExp): void =>
      assert.throws(fn, (err: unknown) => err instanceof MQClientError && pattern.test(err.message));
    refuse(() => toMessage({ topic: 'T', body: Buffer.alloc(0) }, 10), /length is zero/);
    refuse(() => toMessage({ topic: 'T', body: Buffer.alloc(11) }, 10), /over max value, MAX: 10/);
    refuse(() => toMessage({ topic: '', body: 'x' }, 10), /blank/);
    refuse(() => toMessage({ topic: 'T', body: 'x', delayLevel: -1 }, 10), /delayLevel/);
    refuse(() => toMessage({ topic: 'T', body: 'x', properties: { 'a\u0002': 'b' } }, 10), /separator/);
    refuse(() => toMessage(null as never, 10), /null/);
    refuse(() => prepareBatch([], LIMITS, ids), /empty/);
    refuse(() => prepareBatch([{ topic: '%RETRY%G', body: 'x' }], LIMITS, ids), /Retry Group/);
    refuse(() => prepareBatch([{ topic: 'T', body: 'x' }, { topic: 'T', body: 'y', waitStoreMsgOK: false }], LIMITS, ids), /waitStoreMsgOK/);
    refuse(() => prepareBatch([{ topic: 'T', body: Buffer.alloc(60) }, { topic: 'T', body: Buffer.alloc(60) }], { ...LIMITS, maxMessageSize: 100 }, ids), /over max value/);
  });

  it('writes deliverTimeMs, delayTimeSec and delayTimeMs as the TIMER_* properties of Message.setDeliverTimeMs and co', async () => {
    const cases = [
      [{ deliverTimeMs: 1_900_000_000_123 }, 'TIMER_DELIVER_MS', '1900000000123'],
      [{ delayTimeSec: 3 }, 'TIMER_DELAY_SEC', '3'],
      [{ delayTimeMs: 2500 }, 'TIMER_DELAY_MS', '2500'],
      [{ delayTimeMs: 0, delayLevel: 0 }, 'TIMER_DELAY_MS', '0'],
    ] as const;
    for (const [fields, name, value] of cases) {
      const prepared = await prepareMessage(toMessage({ topic: 'T', body: 'x', ...fields }, 10), LIMITS, ids);
      const properties = string2messageProperties(prepared.properties);
      assert.equal(properties.get(name), value, name);
      assert.deepEqual([...properties.keys()].filter((k) => k.startsWith('TIMER_')), [name]);
      assert.equal(properties.get('DELAY'), undefined);
    }
    // Explicitly undefined fields are no timer.
    const none = await prepareMessage(toMessage({ topic: 'T', body: 'x', deliverTimeMs: undefined, delayTimeSec: undefined }, 10), LIMITS, ids);
    assert.ok(![...string2messageProperties(none.properties).keys()].some((k) => k.startsWith('TIMER_')));
  });

  it('refuses two timer fields, a timer with a delay level, bad values, TIMER_* user properties and timers in a batch', () => {
    const refuse = (fn: () => unknown, pattern: RegExp): void =>
      assert.throws(fn, (err: unknown) => err instanceof MQClientError && err.responseCode === 13 && pattern.test(err.message));
    refuse(() => toMessage({ topic: 'T', body: 'x', deliverTimeMs: Date.now() + 1000, delayTimeSec: 1 }, 10), /one of deliverTimeMs, delayTimeSec and delayTimeMs, not deliverTimeMs and delayTimeSec/);
    refuse(() => toMessage({ topic: 'T', body: 'x', delayTimeSec: 1, delayTimeMs: 1000 }, 10), /not delayTimeSec and delayTimeMs/);
    refuse(() => toMessage({ topic: 'T', body: 'x', delayTimeMs: 1000, delayLevel: 2 }, 10), /delayLevel or delayTimeMs, not both/);
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '1000' as unknown as number]) {
      refuse(() => toMessage({ topic: 'T', body: 'x', delayTimeMs: bad }, 10), /delayTimeMs must be a whole number >= 0/);
    }
    refuse(() => toMessage({ topic: 'T', body: 'x', deliverTimeMs: -5 }, 10), /deliverTimeMs must be/);
    for (const name of ['TIMER_DELIVER_MS', 'TIMER_DELAY_SEC', 'TIMER_DELAY_MS', 'TIMER_OUT_MS', 'TIMER_ENQUEUE_MS', 'TIMER_DEQUEUE_MS', 'TIMER_ROLL_TIMES', 'TIMER_DEL_UNIQKEY', 'TIMER_DELAY_LEVEL']) {
      refuse(() => toMessage({ topic: 'T', body: 'x', properties: { [name]: '1000' } }, 10), new RegExp(`property ${name} is reserved`));
    }
    assert.throws(
      () => prepareBatch([{ topic: 'T', body: 'x' }, { topic: 'T', body: 'y', delayTimeSec: 5 }], LIMITS, ids),
      (err: unknown) => err instanceof MQClientError && /Timer messages .* are not supported for batching/.test(err.message),
    );
  });

  it("decodes recall handles as Java's RecallMessageHandle.decodeHandle", () => {
    const raw = 'v1 TopicA broker-a 1900000000001 7F0000010001000000000000000000A1';
    const padded = Buffer.from(raw).toString('base64').replaceAll('+', '-').replaceAll('/', '_');
    assert.deepEqual(decodeRecallHandle(padded), { version: 'v1', topic: 'TopicA', brokerName: 'broker-a', timestamp: '1900000000001', messageId: '7F0000010001000000000000000000A1' });
    assert.deepEqual(decodeRecallHandle(padded.replace(/=+$/, '')), decodeRecallHandle(padded), 'unpadded too');
    const handle = (text: string): string => Buffer.from(text).toString('base64url');
    assert.equal(decodeRecallHandle(handle('v2 T b 1 id')), undefined, 'another version');
    assert.equal(decodeRecallHandle(handle('v1 T b 1')), undefined, 'four items');
    assert.equal(decodeRecallHandle(handle('v1 T b 1 ')), undefined, 'a trailing empty item is dropped, as split does');
    assert.equal(decodeRecallHandle(''), undefined);
    assert.equal(decodeRecallHandle('a+b/'), undefined, 'not the URL alphabet');
  });
});
