import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  BLANK_MAGIC_CODE,
  MESSAGE_MAGIC_CODE,
  MESSAGE_MAGIC_CODE_V2,
  Message,
  MessageExtBrokerInner,
  MessageSysFlag,
  addressBytes,
  checkStoredRecord,
  createMessageId,
  decodeMessageId,
  decodeMessages,
  decodeStoredMessage,
  decodeStoredMessages,
  encodeMessages,
  encodeStoredMessage,
  findMessageProperty,
  formatAddressBytes,
  javaStringHashCode,
  messageProperties2String,
  parseHostAddress,
  readStoredDispatchFields,
  string2messageProperties,
  tagsString2tagsCode,
  type HostAddress,
} from '../../../../src/protocol/message/index.js';
import { crc32Masked } from '../../../../src/common/crc32.js';

const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter((s) => !/[\u0001\u0002]/.test(s));
const propertiesArb = fc.uniqueArray(fc.tuple(text, text), { selector: ([k]) => k, maxLength: 8 }).map((e) => new Map(e));
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join('.'));
const ipv6 = fc.ipV6().filter((a) => addressBytes(a).length === 16);
const host: fc.Arbitrary<HostAddress> = fc.record({ address: fc.oneof(ipv4, ipv6), port: fc.nat(65535) });
const int64 = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

function sample(): MessageExtBrokerInner {
  const msg = new MessageExtBrokerInner();
  msg.topic = 'TopicTest';
  msg.body = Buffer.from('Hello RocketMQ');
  msg.tags = 'TagA';
  msg.keys = ['k1', 'k2'];
  msg.queueId = 3;
  msg.flag = 7;
  msg.bornTimestamp = 1_700_000_000_000;
  msg.bornHost = { address: '192.168.0.2', port: 51234 };
  msg.storeTimestamp = 1_700_000_000_123;
  msg.storeHost = { address: '10.0.0.1', port: 10911 };
  return msg;
}

describe('message properties string', () => {
  it('encodes NAME\\u0001VALUE\\u0002 with a trailing separator, and decodes as Java (short segments skipped, later keys win)', () => {
    assert.equal(messageProperties2String(new Map([['TAGS', 'a'], ['KEYS', 'k']])), 'TAGS\u0001a\u0002KEYS\u0001k\u0002');
    assert.equal(messageProperties2String(new Map()), '');
    assert.deepEqual(string2messageProperties('A\u0001x\u0002ab\u0002\u0001bc\u0002B\u0001\u0002A\u0001y\u0002C\u0001v\u0001w'),
      new Map([['A', 'y'], ['C', 'v\u0001w']]));
  });

  it('round-trips any map without separator characters', () => {
    fc.assert(fc.property(propertiesArb, (props) => {
      assert.deepEqual(string2messageProperties(messageProperties2String(props)), props);
    }));
  });

  // Strings full of separators, short segments, repeated and empty names: where a scan could part from the parse.
  const piece = fc.constantFrom('\u0001', '\u0002', 'A', 'B', 'AB', 'x', '', 'é', 'TAGS', 'WAIT', 'false', 'A\u0001\u0001x', '\u0002\u0002B\u0001v');
  const rawText = fc.array(piece, { maxLength: 24 }).map((parts) => parts.join(''));
  const name = fc.constantFrom('A', 'B', 'AB', 'x', '', 'A\u0001', '\u0002B', 'é', 'TAGS', 'KEYS', 'UNIQ_KEY', 'WAIT');
  const value = fc.constantFrom('1', 'v', '', 'a\u0001b', 'c\u0002', 'é', 'false');

  it('looks a name up in the string as the parsed map would', () => {
    fc.assert(fc.property(rawText, name, (text, n) => {
      assert.equal(findMessageProperty(text, n), string2messageProperties(text).get(n));
    }), { numRuns: 2000 });
  });

  it('gives a message read from its stored string the same properties as one built from the parsed map, whatever is done to it', () => {
    const op = fc.oneof(
      fc.tuple(fc.constant('put' as const), name, value),
      fc.tuple(fc.constant('get' as const), name, value),
      fc.tuple(fc.constant('clear' as const), name, value),
      fc.tuple(fc.constant('tags' as const), name, value),
    );
    fc.assert(fc.property(rawText, fc.array(op, { maxLength: 8 }), (text, ops) => {
      const lazy = new Message();
      lazy.setPropertiesString(text);
      const eager = new Message('', Buffer.alloc(0), string2messageProperties(text));
      for (const [kind, n, v] of ops) {
        if (kind === 'put') {
          lazy.putProperty(n, v);
          eager.putProperty(n, v);
        } else if (kind === 'get') {
          assert.equal(lazy.getProperty(n), eager.getProperty(n));
        } else if (kind === 'clear') {
          lazy.clearProperty(n);
          eager.clearProperty(n);
        } else {
          assert.deepEqual([lazy.tags, lazy.keys, lazy.uniqKey, lazy.waitStoreMsgOK], [eager.tags, eager.keys, eager.uniqKey, eager.waitStoreMsgOK]);
        }
      }
      assert.deepEqual([...lazy.properties], [...eager.properties]);
    }), { numRuns: 1000 });
  });
});

describe('tag codes and Java String.hashCode', () => {
  it('matches Java', () => {
    assert.equal(javaStringHashCode('TagA'), 2598919);
    assert.equal(javaStringHashCode(''), 0);
    assert.equal(javaStringHashCode('polygenelubricants'), -2147483648);
    assert.equal(javaStringHashCode('😀'), 0xd83d * 31 + 0xde00); // two UTF-16 units
    assert.equal(tagsString2tagsCode(undefined), 0);
    assert.equal(tagsString2tagsCode(''), 0);
    assert.equal(sample().tagsCode, 2598919);
  });
});

describe('stored message (reference §5.4)', () => {
  it('lays out the fields at Java\'s fixed positions with the masked body CRC', () => {
    const msg = sample();
    const buf = encodeStoredMessage(msg, 123_456_789_012, 42);
    const props = Buffer.from(messageProperties2String(msg.properties));
    assert.equal(buf.length, 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + 8 + 8 + 8 + 4 + 8 + 4 + 14 + 1 + 9 + 2 + props.length);
    assert.equal(buf.readInt32BE(0), buf.length);
    assert.equal(buf.readInt32BE(4), MESSAGE_MAGIC_CODE);
    assert.equal(buf.readInt32BE(8), crc32Masked(msg.body));
    assert.equal(buf.readInt32BE(12), 3);
    assert.equal(buf.readInt32BE(16), 7);
    assert.equal(buf.readBigInt64BE(20), 42n);
    assert.equal(buf.readBigInt64BE(28), 123_456_789_012n);
    assert.equal(buf.readInt32BE(36), 0);
    assert.equal(buf.readBigInt64BE(40), 1_700_000_000_000n);
    assert.deepEqual([...buf.subarray(48, 52)], [192, 168, 0, 2]);
    assert.equal(buf.readInt32BE(52), 51234);
    assert.equal(buf.readBigInt64BE(56), 1_700_000_000_123n);
    assert.deepEqual([...buf.subarray(64, 68)], [10, 0, 0, 1]);
    assert.equal(buf.readInt32BE(68), 10911);
    assert.equal(buf.readInt32BE(84), 14);
    assert.equal(buf.toString('utf8', 88, 102), 'Hello RocketMQ');
    assert.equal(buf.readInt8(102), 9);
    assert.equal(buf.toString('utf8', 103, 112), 'TopicTest');
    assert.equal(buf.readInt16BE(112), props.length);

    const back = decodeStoredMessage(buf, 0, { checkCRC: true });
    assert.equal(back.msgId, '0A00000100002A9F0000001CBE991A14');
    assert.equal(back.tags, 'TagA');
    assert.deepEqual(back.keyList, ['k1', 'k2']);
  });

  it('sets the IPv6 host flags from the addresses and widens the hosts to 16+4 bytes', () => {
    const msg = sample();
    msg.bornHost = { address: '::1', port: 1 };
    msg.storeHost = { address: '::ffff:10.0.0.1', port: 10911 };
    const buf = encodeStoredMessage(msg, 0, 0);
    assert.equal(buf.readInt32BE(36), MessageSysFlag.BORNHOST_V6_FLAG);
    const back = decodeStoredMessage(buf);
    assert.equal(back.bornHost.address, '0:0:0:0:0:0:0:1');
    assert.equal(back.storeHost.address, '10.0.0.1');
    msg.storeHost = { address: 'fe80::1:2', port: 9 };
    const both = decodeStoredMessage(encodeStoredMessage(msg, 5, 0));
    assert.equal(both.sysFlag, MessageSysFlag.BORNHOST_V6_FLAG | MessageSysFlag.STOREHOSTADDRESS_V6_FLAG);
    assert.equal(both.storeHost.address, 'fe80:0:0:0:0:0:1:2');
    assert.equal(both.msgId.length, 56);
    assert.deepEqual(decodeMessageId(both.msgId), { storeHost: { address: 'fe80:0:0:0:0:0:1:2', port: 9 }, offset: 5 });
  });

  it('uses magic V2 with an int16 topic length for topics over 127 bytes', () => {
    const msg = sample();
    msg.topic = '%RETRY%' + 'g'.repeat(200);
    const buf = encodeStoredMessage(msg, 0, 0);
    assert.equal(buf.readInt32BE(4), MESSAGE_MAGIC_CODE_V2);
    assert.equal(decodeStoredMessage(buf).topic, msg.topic);
  });

  it('round-trips every field', () => {
    fc.assert(fc.property(
      fc.record({
        topic: fc.stringMatching(/^[%|a-zA-Z0-9_-]{1,200}$/), body: fc.uint8Array({ maxLength: 300 }), props: propertiesArb,
        queueId: fc.nat(1023), flag: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), sysFlag: fc.constantFrom(0, 1, 2, 4, 8, 0x301),
        born: host, store: host, bornTs: int64, storeTs: int64, reconsume: fc.nat(16), prepared: int64, phy: int64, qo: int64,
      }),
      (r) => {
        const msg = new MessageExtBrokerInner();
        Object.assign(msg, { topic: r.topic, body: Buffer.from(r.body), properties: r.props, queueId: r.queueId, flag: r.flag, sysFlag: r.sysFlag,
          bornHost: r.born, storeHost: r.store, bornTimestamp: r.bornTs, storeTimestamp: r.storeTs, reconsumeTimes: r.reconsume, preparedTransactionOffset: r.prepared });
        const buf = encodeStoredMessage(msg, r.phy, r.qo);
        const back = decodeStoredMessage(buf, 0, { checkCRC: true });
        assert.deepEqual(
          [back.topic, back.body, back.properties, back.queueId, back.flag, back.sysFlag & 0xf, back.bornTimestamp, back.storeTimestamp, back.reconsumeTimes,
            back.preparedTransactionOffset, back.commitLogOffset, back.queueOffset, back.storeSize, back.bornHost.port, back.storeHost.port],
          [r.topic, Buffer.from(r.body), r.props, r.queueId, r.flag, r.sysFlag & 0xf, r.bornTs, r.storeTs, r.reconsume, r.prepared, r.phy, r.qo, buf.length, r.born.port, r.store.port]);
        assert.deepEqual(addressBytes(back.bornHost.address), addressBytes(r.born.address));
        assert.deepEqual(decodeMessageId(back.msgId).offset, r.phy);
        // What a reput reads in place is what the decoder reads.
        const fields = readStoredDispatchFields(buf, 0);
        assert.deepEqual(
          [fields.storeSize, fields.queueId, fields.queueOffset, fields.commitLogOffset, fields.sysFlag, fields.storeTimestamp, fields.topic, string2messageProperties(fields.propertiesString)],
          [back.storeSize, back.queueId, back.queueOffset, back.commitLogOffset, back.sysFlag, back.storeTimestamp, back.topic, back.properties],
        );
      },
    ));
  });

  it('checks a record without decoding it exactly where the decoder with checkCRC would refuse it (a slave checks what it receives so)', () => {
    const record = encodeStoredMessage(sample(), 4096, 9);
    const at = 100;
    const placed = Buffer.concat([Buffer.alloc(at), record, Buffer.alloc(16)]);
    assert.equal(checkStoredRecord(placed, at, true), undefined);
    fc.assert(
      fc.property(fc.integer({ min: 4, max: record.length - 1 }), fc.integer({ min: 1, max: 255 }), (position, xor) => {
        // The size field is the caller's to check (it reads the size first to know whether the record is whole).
        const damaged = Buffer.from(placed);
        damaged[at + position] = damaged[at + position]! ^ xor;
        let refused: boolean;
        try {
          decodeStoredMessage(damaged, at, { readBody: false, checkCRC: true });
          refused = false;
        } catch {
          refused = true;
        }
        assert.equal(checkStoredRecord(damaged, at, true) !== undefined, refused, `byte ${position} ^ ${xor}`);
      }),
    );
    const badBody = Buffer.from(placed);
    badBody[at + 90] = badBody[at + 90]! ^ 1; // a body byte
    assert.match(checkStoredRecord(badBody, at, true) ?? '', /CRC/);
    assert.equal(checkStoredRecord(badBody, at, false), undefined, 'without the CRC check');
  });

  it('decodes a concatenation and stops at the first record that does not decode, as Java', () => {
    const a = encodeStoredMessage(sample(), 0, 0);
    const b = encodeStoredMessage(sample(), a.length, 1);
    const blank = Buffer.alloc(8);
    blank.writeInt32BE(8, 0);
    blank.writeInt32BE(BLANK_MAGIC_CODE, 4);
    const list = decodeStoredMessages(Buffer.concat([a, b, blank, a]));
    assert.deepEqual(list.map((m) => m.queueOffset), [0, 1]);
    const corrupt = Buffer.from(a);
    corrupt[90] = corrupt[90]! ^ 1;
    assert.throws(() => decodeStoredMessage(corrupt, 0, { checkCRC: true }), /CRC/);
    assert.throws(() => decodeStoredMessage(a.subarray(0, 60)), /does not fit/);
  });
});

describe('offset msgId (reference §4.10)', () => {
  it('is the store host and commit-log offset in upper-case hex, and decodes back', () => {
    assert.equal(createMessageId({ address: '10.0.0.1', port: 10911 }, 1234), '0A000001' + '00002A9F' + '00000000000004D2');
    assert.deepEqual(decodeMessageId('0A00000100002A9F00000000000004D2'), { storeHost: { address: '10.0.0.1', port: 10911 }, offset: 1234 });
    assert.throws(() => decodeMessageId('XYZ'), /malformed/);
  });
});

describe('host addresses', () => {
  it('parses IPv4, IPv6 (compressed, embedded IPv4, zone), and formats as Java', () => {
    assert.equal(formatAddressBytes(addressBytes('2001:db8::ff00:42:8329')), '2001:db8:0:0:0:ff00:42:8329');
    assert.equal(formatAddressBytes(addressBytes('::')), '0:0:0:0:0:0:0:0');
    assert.equal(formatAddressBytes(addressBytes('64:ff9b::192.0.2.33')), '64:ff9b:0:0:0:0:c000:221');
    assert.equal(formatAddressBytes(addressBytes('fe80::1%eth0')), 'fe80:0:0:0:0:0:0:1');
    for (const bad of ['1.2.3', '256.1.1.1', '1::2::3', 'g::1', '1:2:3:4:5:6:7:8:9', 'host']) assert.throws(() => addressBytes(bad), /not an IP/, bad);
    assert.deepEqual(parseHostAddress('[::1]:9876'), { address: '::1', port: 9876 });
    assert.deepEqual(parseHostAddress('127.0.0.1:10911'), { address: '127.0.0.1', port: 10911 });
    assert.throws(() => parseHostAddress('127.0.0.1:x'), /bad port/);
  });
});

describe('batch body (reference §4.7)', () => {
  it('round-trips records with flag, body and properties, magic and CRC written as 0', () => {
    fc.assert(fc.property(fc.array(fc.record({ body: fc.uint8Array({ maxLength: 50 }), props: propertiesArb, flag: fc.integer() }), { maxLength: 5 }), (recs) => {
      const messages = recs.map((r) => {
        const m = new Message('T', Buffer.from(r.body), r.props);
        m.flag = r.flag | 0;
        return m;
      });
      const body = encodeMessages(messages);
      const back = decodeMessages(body);
      assert.deepEqual(back.map((m) => [m.body, m.properties, m.flag]), messages.map((m) => [m.body, m.properties, m.flag]));
    }));
    const one = encodeMessages([new Message('T', Buffer.from('x'))]);
    assert.equal(one.readInt32BE(0), 23);
    assert.equal(one.readInt32BE(4), 0);
    assert.throws(() => decodeMessages(one.subarray(0, 21)), /truncated/);
  });
});

describe('addressBytes cache', () => {
  it('returns the same bytes for the same address, and distinct ones for distinct addresses', async () => {
    const { addressBytes } = await import('../../../../src/protocol/message/host-address.js');
    const first = addressBytes('127.0.0.1');
    assert.deepEqual([...first], [127, 0, 0, 1]);
    assert.equal(addressBytes('127.0.0.1'), first, 'cached');
    assert.deepEqual([...addressBytes('::ffff:10.1.2.3')], [10, 1, 2, 3]);
    assert.equal(addressBytes('::1').length, 16);
    assert.throws(() => addressBytes('not-an-ip'), /not an IP address/);
  });
});
