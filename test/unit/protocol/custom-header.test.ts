/** Custom headers ↔ extFields (reference §1.6). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RemotingCommand, RequestCode, decodeCommand, decodeCustomHeader, encodeCommand, headerToExtFields } from '../../../src/protocol/index.js';
import { valuesInKeyOrder } from '../../../src/protocol/custom-header.js';
import { throwsRemoting } from './support.js';

void describe('headerToExtFields', () => {
  void it('stringifies like String.valueOf: numbers, booleans, bigint; drops null and undefined', () => {
    const ext = headerToExtFields({
      topic: 'TopicTest',
      queueId: 3,
      negative: -1,
      offset: 9007199254740991,
      ratio: 0.5,
      unitMode: false,
      isForce: true,
      big: 12345678901234567890n,
      empty: '',
      gone: null,
      missing: undefined,
    });
    assert.deepEqual(ext, {
      topic: 'TopicTest',
      queueId: '3',
      negative: '-1',
      offset: '9007199254740991',
      ratio: '0.5',
      unitMode: 'false',
      isForce: 'true',
      big: '12345678901234567890',
      empty: '',
    });
    for (const v of Object.values(ext)) assert.equal(typeof v, 'string');
  });

  void it('adds to an existing map and returns it', () => {
    const into = { AccessKey: 'ak' };
    const out = headerToExtFields({ topic: 'T' }, into);
    assert.equal(out, into);
    assert.deepEqual(out, { AccessKey: 'ak', topic: 'T' });
  });

  void it('keeps a "__proto__" header field as an own ext field', () => {
    const header = Object.fromEntries([['__proto__', 'x'], ['a', 1]]) as Record<string, string | number>;
    const ext = headerToExtFields(header);
    assert.equal(Object.getPrototypeOf(ext), Object.prototype);
    assert.deepEqual(Object.entries(ext), [['__proto__', 'x'], ['a', '1']]);
  });

  void it('round trips through decodeCustomHeader for every kind', () => {
    const schema = { s: 'string', i: 'int', l: 'long', b: 'boolean', d: 'double' } as const;
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.integer(),
        fc.maxSafeInteger(),
        fc.boolean(),
        fc.double({ noNaN: true }),
        (s, i, l, b, d) => {
          const decoded = decodeCustomHeader(headerToExtFields({ s, i, l, b, d }), schema);
          // String(-0) is "0" (Java writes "-0.0"); the sign of zero is the one thing lost.
          assert.deepEqual(decoded, { s, i, l, b, d: d === 0 ? 0 : d });
        },
      ),
      { numRuns: 300 },
    );
  });
});

void describe('decodeCustomHeader', () => {
  const schema = {
    topic: 'string',
    queueId: 'int',
    queueOffset: 'long',
    unitMode: 'boolean',
    ratio: 'double',
    tags: 'string?',
    maxReconsumeTimes: 'int?',
    bornTimestamp: 'long?',
    batch: 'boolean?',
    weight: 'double?',
  } as const;

  const full = {
    topic: 'TopicTest',
    queueId: '3',
    queueOffset: '1234567890123',
    unitMode: 'true',
    ratio: '0.25',
    tags: 'TagA',
    maxReconsumeTimes: '16',
    bornTimestamp: '1700000000000',
    batch: 'false',
    weight: '-1.5e3',
  };

  void it('parses required and optional fields of every kind', () => {
    const h = decodeCustomHeader(full, schema);
    assert.deepEqual(h, {
      topic: 'TopicTest',
      queueId: 3,
      queueOffset: 1234567890123,
      unitMode: true,
      ratio: 0.25,
      tags: 'TagA',
      maxReconsumeTimes: 16,
      bornTimestamp: 1700000000000,
      batch: false,
      weight: -1500,
    });
  });

  void it('leaves absent optional fields out, and ignores unknown fields', () => {
    const h = decodeCustomHeader(
      { topic: 'T', queueId: '0', queueOffset: '0', unitMode: 'false', ratio: '1', AccessKey: 'ak', __ZONE_NAME: 'z' },
      schema,
    );
    assert.deepEqual(h, { topic: 'T', queueId: 0, queueOffset: 0, unitMode: false, ratio: 1 });
    assert.equal(Object.hasOwn(h, 'tags'), false);
  });

  void it('a missing required field is a RemotingCommandError naming the field and the request', () => {
    const rest: Record<string, string> = { ...full };
    delete rest['queueId'];
    throwsRemoting(() => decodeCustomHeader(rest, schema, 'SEND_MESSAGE(10)'), /'queueId' is missing in SEND_MESSAGE\(10\)/);
    throwsRemoting(() => decodeCustomHeader(undefined, { topic: 'string' }, 'PULL_MESSAGE(11)'), /'topic' is missing in PULL_MESSAGE\(11\)/);
    throwsRemoting(() => decodeCustomHeader({}, { topic: 'string' }), /'topic' is missing in command/);
  });

  void it('does not take a required field from the prototype chain', () => {
    throwsRemoting(() => decodeCustomHeader({}, { toString: 'string' } as const), /'toString' is missing/);
    throwsRemoting(() => decodeCustomHeader({}, { constructor: 'string' } as const), /'constructor' is missing/);
    const inherited = Object.create({ topic: 'T' }) as Record<string, string>;
    throwsRemoting(() => decodeCustomHeader(inherited, { topic: 'string' }), /'topic' is missing/);
  });

  void it('an empty extFields map decodes a schema of optional fields to an empty header', () => {
    assert.deepEqual(decodeCustomHeader(undefined, { a: 'int?', b: 'string?' }), {});
    assert.deepEqual(decodeCustomHeader({}, {}), {});
  });

  void describe('int (Integer.parseInt)', () => {
    const ok: [string, number][] = [
      ['0', 0],
      ['-1', -1],
      ['+7', 7],
      ['007', 7],
      ['2147483647', 2147483647],
      ['-2147483648', -2147483648],
    ];
    for (const [raw, value] of ok) {
      void it(`accepts '${raw}'`, () => assert.deepEqual(decodeCustomHeader({ n: raw }, { n: 'int' }), { n: value }));
    }
    for (const raw of ['12a', '1e3', '1.0', '', ' 1', '1 ', '0x10', '2147483648', '-2147483649', '99999999999999999999', '--1', '+', 'NaN', '١٢']) {
      void it(`refuses '${raw}' naming field, request and value`, () =>
        throwsRemoting(
          () => decodeCustomHeader({ queueId: raw }, { queueId: 'int' }, 'SEND_MESSAGE(10)'),
          new RegExp(`'queueId' of SEND_MESSAGE\\(10\\) is not an int: '${raw.replace(/[+.]/g, '\\$&')}'`),
        ));
    }
  });

  void describe('long (Long.parseLong, limited to the exactly representable range)', () => {
    for (const [raw, value] of [
      ['9007199254740991', 9007199254740991],
      ['-9007199254740991', -9007199254740991],
      ['1700000000000', 1700000000000],
      ['-1', -1],
    ] as const) {
      void it(`accepts '${raw}'`, () => assert.deepEqual(decodeCustomHeader({ n: raw }, { n: 'long' }), { n: value }));
    }
    for (const raw of ['9007199254740992', '9007199254740993', '-9007199254740993', '9223372036854775807', '12a', '1e3', '1.5', '']) {
      void it(`refuses '${raw}'`, () => throwsRemoting(() => decodeCustomHeader({ offset: raw }, { offset: 'long' }), /'offset' of command is not a long/));
    }
  });

  void describe('boolean (Boolean.parseBoolean)', () => {
    const cases: [string, boolean][] = [
      ['true', true],
      ['TRUE', true],
      ['True', true],
      ['tRuE', true],
      ['false', false],
      ['yes', false],
      ['1', false],
      ['', false],
      [' true', false],
      ['true ', false],
    ];
    for (const [raw, value] of cases) {
      void it(`'${raw}' is ${value}`, () => assert.deepEqual(decodeCustomHeader({ b: raw }, { b: 'boolean' }), { b: value }));
    }
  });

  void describe('double (Double.parseDouble)', () => {
    for (const [raw, value] of [
      ['1.5', 1.5],
      ['-0.25', -0.25],
      ['1e3', 1000],
      ['42', 42],
      ['Infinity', Infinity],
    ] as const) {
      void it(`accepts '${raw}'`, () => assert.deepEqual(decodeCustomHeader({ d: raw }, { d: 'double' }), { d: value }));
    }
    for (const raw of ['', '   ', 'abc', '1.2.3']) {
      void it(`refuses '${raw}'`, () => throwsRemoting(() => decodeCustomHeader({ d: raw }, { d: 'double' }), /'d' of command is not a number/));
    }
  });

  void it('shortens a very long malformed value in the message', () => {
    throwsRemoting(() => decodeCustomHeader({ n: 'x'.repeat(1000) }, { n: 'int' }), new RegExp(`: '${'x'.repeat(64)}\\.\\.\\.'$`));
  });
});

void describe('RemotingCommand', () => {
  void it('flag helpers: response bit 0, oneway bit 1, independent of each other and of other bits', () => {
    const cmd = new RemotingCommand({ code: 10, opaque: 1 });
    assert.equal(cmd.flag, 0);
    assert.equal(cmd.isResponseType(), false);
    assert.equal(cmd.isOnewayRPC(), false);
    cmd.markOnewayRPC();
    assert.equal(cmd.flag, 2);
    assert.equal(cmd.isOnewayRPC(), true);
    assert.equal(cmd.isResponseType(), false);
    cmd.markResponseType();
    assert.equal(cmd.flag, 3);
    assert.equal(cmd.isResponseType(), true);
    cmd.markResponseType();
    cmd.markOnewayRPC();
    assert.equal(cmd.flag, 3, 'marking is idempotent');
    const other = new RemotingCommand({ code: 10, opaque: 1, flag: 4 | -2147483648 });
    assert.equal(other.isResponseType(), false);
    assert.equal(other.isOnewayRPC(), false);
    other.markResponseType();
    assert.equal(other.flag, 5 | -2147483648);
  });

  void it('defaults: JAVA, version 479 (V5_3_3), flag 0, JSON, no remark/ext/body', () => {
    const cmd = new RemotingCommand({ code: 10 });
    assert.equal(cmd.language, 'JAVA');
    assert.equal(cmd.version, 479);
    assert.equal(cmd.flag, 0);
    assert.equal(cmd.serializeTypeCurrentRPC, 'JSON');
    assert.equal(cmd.remark, undefined);
    assert.equal(cmd.extFields, undefined);
    assert.equal(cmd.body, undefined);
  });

  void it('createRequestCommand stringifies the custom header into extFields', () => {
    const body = Buffer.from('b');
    const cmd = RemotingCommand.createRequestCommand(
      RequestCode.GET_ROUTEINFO_BY_TOPIC,
      { topic: 'TopicTest', acceptStandardJsonOnly: true, lo: null, count: 3 },
      body,
    );
    assert.equal(cmd.code, 105);
    assert.equal(cmd.isResponseType(), false);
    assert.deepEqual(cmd.extFields, { topic: 'TopicTest', acceptStandardJsonOnly: 'true', count: '3' });
    assert.equal(cmd.body, body);
    assert.equal(RemotingCommand.createRequestCommand(34).extFields, undefined);
  });

  void it('createResponseCommand marks the response bit, opaque 0 until the caller copies the request one', () => {
    const res = RemotingCommand.createResponseCommand(2, '[OVERLOAD]system busy', { offset: 5n });
    assert.equal(res.code, 2);
    assert.equal(res.isResponseType(), true);
    assert.equal(res.isOnewayRPC(), false);
    assert.equal(res.flag, 1);
    assert.equal(res.opaque, 0);
    assert.equal(res.remark, '[OVERLOAD]system busy');
    assert.deepEqual(res.extFields, { offset: '5' });
    const bare = RemotingCommand.createResponseCommand(0);
    assert.equal(bare.remark, undefined);
    assert.equal(bare.extFields, undefined);
  });

  void it('opaques are unique and increasing for commands created without one', () => {
    const opaques = Array.from({ length: 1000 }, () => new RemotingCommand({ code: 1 }).opaque);
    assert.equal(new Set(opaques).size, 1000);
    for (let i = 1; i < opaques.length; i++) assert.equal(opaques[i], ((opaques[i - 1] as number) + 1) | 0);
    for (const o of opaques) assert.ok(Number.isInteger(o) && o >= -2147483648 && o <= 2147483647);
    // Requests made through the factory draw from the same counter.
    const a = RemotingCommand.createRequestCommand(10).opaque;
    const b = RemotingCommand.createRequestCommand(10).opaque;
    assert.equal(b, (a + 1) | 0);
  });

  void it('an explicit opaque does not consume the counter', () => {
    const before = new RemotingCommand({ code: 1 }).opaque;
    void new RemotingCommand({ code: 1, opaque: 77 });
    assert.equal(new RemotingCommand({ code: 1 }).opaque, (before + 1) | 0);
  });

  void it('addExtField creates the map when needed; a "__proto__" key stays an own field', () => {
    const cmd = new RemotingCommand({ code: 1, opaque: 1 });
    cmd.addExtField('topic', 'T');
    cmd.addExtField('__proto__', 'x');
    assert.equal(Object.getPrototypeOf(cmd.extFields), Object.prototype);
    assert.deepEqual(Object.entries(cmd.extFields ?? {}), [['topic', 'T'], ['__proto__', 'x']]);
  });

  void it('describe() names the request or response code and the opaque', () => {
    assert.equal(new RemotingCommand({ code: 10, opaque: 7 }).describe(), 'request SEND_MESSAGE(10) opaque 7');
    assert.equal(RemotingCommand.createResponseCommand(2).describe(), 'response SYSTEM_BUSY(2) opaque 0');
    assert.equal(new RemotingCommand({ code: 31999, opaque: 1 }).describe(), 'request 31999 opaque 1');
  });

  void it('decodeCommandCustomHeader reports the command in its errors', () => {
    const cmd = RemotingCommand.createRequestCommand(RequestCode.PULL_MESSAGE, { consumerGroup: 'G', queueId: 'x' });
    cmd.opaque = 12;
    throwsRemoting(() => cmd.decodeCommandCustomHeader({ topic: 'string' }), /'topic' is missing in request PULL_MESSAGE\(11\) opaque 12/);
    throwsRemoting(() => cmd.decodeCommandCustomHeader({ queueId: 'int' }), /'queueId' of request PULL_MESSAGE\(11\) opaque 12 is not an int: 'x'/);
    assert.deepEqual(cmd.decodeCommandCustomHeader({ consumerGroup: 'string' }), { consumerGroup: 'G' });
  });
});

void describe('binary (ROCKETMQ) headers decode straight from their bytes', () => {
  const schema = { s: 'string', i: 'int', l: 'long?', b: 'boolean?', d: 'double?', o: 'string?' } as const;
  // Values near every rule: signs, leading zeros, int32 and 2^53 bounds, 15/16-digit numbers, case, non-ASCII.
  const tricky = ['', '0', '-0', '+7', '007', '-', '+', '2147483647', '2147483648', '-2147483648', '-2147483649', '999999999999999',
    '9007199254740991', '9007199254740993', '12345678901234567890', ' 1', '1 ', '1e3', '0x10', 'true', 'TRUE', 'tRuE', 'truE ', 'false',
    'yes', 'é', 'Topic_é', 'a'.repeat(40), '1.5', 'NaN'];
  const value = fc.oneof(fc.constantFrom(...tricky), fc.string({ unit: 'binary', maxLength: 40 }), fc.integer().map(String));
  const key = fc.constantFrom('s', 'i', 'l', 'b', 'd', 'o', 'other', '__proto__', 'constructor');

  function outcome(decode: () => unknown): unknown {
    try {
      return { ok: decode() };
    } catch (err) {
      return { error: (err as Error).message };
    }
  }

  void it('gives the values and errors of decodeCustomHeader over the same fields as strings', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(key, value), { maxLength: 12 }), (entries) => {
        const sent = new RemotingCommand({ code: RequestCode.PULL_MESSAGE, opaque: 5, serializeTypeCurrentRPC: 'ROCKETMQ' });
        for (const [k, v] of entries) sent.addExtField(k, v);
        const received = decodeCommand(encodeCommand(sent));
        const expected = outcome(() => decodeCustomHeader(received.extFields, schema, () => received.describe()));
        const direct = decodeCommand(encodeCommand(sent));
        assert.deepEqual(outcome(() => direct.decodeCommandCustomHeader(schema)), expected);
        // Empty values are absent once they crossed the wire, as Java reads them as null.
        const strings = Object.fromEntries(Object.entries(sent.extFields ?? {}).filter(([, v]) => v !== ''));
        assert.deepEqual({ ...received.extFields }, strings);
      }),
      { numRuns: 500 },
    );
  });

  /** A ROCKETMQ request frame with these ext fields as given: repeated keys and any bytes, which no encoder makes. */
  function binaryRequest(fields: readonly (readonly [Buffer, Buffer])[]): Buffer {
    const ext = Buffer.concat(fields.flatMap(([k, v]) => [Buffer.from([k.length >> 8, k.length & 0xff]), k, Buffer.from(new Uint32Array([v.length]).buffer).reverse(), v]));
    const header = Buffer.alloc(21);
    header.writeInt16BE(RequestCode.SEND_MESSAGE_V2, 0);
    header.writeInt16BE(453, 3);
    header.writeInt32BE(ext.length, 17);
    const frame = Buffer.alloc(8);
    frame.writeInt32BE(4 + header.length + ext.length, 0);
    frame.writeUInt32BE(((1 << 24) | (header.length + ext.length)) >>> 0, 4);
    return Buffer.concat([frame, header, ext]);
  }

  void it('one field, emptiness and the values in key order read from the bytes are those of the string map', () => {
    const keys = ['a', 'b', 'B', 'ab', 'Signature', '_UNIQUE_KEY_QUERY', 'é', 'z\u00ff', '\ud83d\ude00', '\uffff', ''];
    const keyBytes = fc.oneof(
      { arbitrary: fc.constantFrom(...keys.slice(0, 6)).map((k) => Buffer.from(k, 'latin1')), weight: 4 },
      fc.constantFrom(...keys).map((k) => Buffer.from(k, 'utf8')),
      fc.uint8Array({ maxLength: 3 }).map((a) => Buffer.from(a)),
    );
    const valueBytes = fc.oneof(
      fc.string({ unit: 'binary-ascii', maxLength: 80 }).map((v) => Buffer.from(v, 'latin1')),
      fc.string({ unit: 'binary-ascii', maxLength: 80 }).map((v) => Buffer.from(v, 'latin1')),
      fc.string({ unit: 'binary', maxLength: 80 }).map((v) => Buffer.from(v, 'utf8')),
      fc.uint8Array({ maxLength: 80 }).map((a) => Buffer.from(a)), // malformed UTF-8 too
    );
    const skips = [[], ['Signature'], ['Signature', '_UNIQUE_KEY_QUERY'], ['é']];
    fc.assert(
      fc.property(fc.array(fc.tuple(keyBytes, valueBytes), { maxLength: 12 }), (fields) => {
        const bytes = binaryRequest(fields);
        const map = decodeCommand(bytes).extFields ?? {};
        const direct = decodeCommand(bytes);
        for (const key of [...keys, ...Object.keys(map), 'absent']) assert.equal(direct.getExtField(key), Object.hasOwn(map, key) ? map[key] : undefined, key);
        assert.equal(direct.hasExtFields(), Object.keys(map).length > 0);
        for (const skip of skips) assert.deepEqual(direct.extFieldValuesInKeyOrder(skip), Buffer.from(valuesInKeyOrder(map, skip), 'utf8'));
      }),
      { numRuns: 500 },
    );
  });

  void it('a malformed ext field length still fails the frame, before anything reads the header', () => {
    const sent = RemotingCommand.createRequestCommand(RequestCode.PULL_MESSAGE, { topic: 'T' });
    sent.serializeTypeCurrentRPC = 'ROCKETMQ';
    const bytes = encodeCommand(sent);
    bytes.writeInt32BE(1000, bytes.length - 4 - 1); // the value length of "topic", past the header's end
    throwsRemoting(() => decodeCommand(bytes), /bad ext field value length 1000/);
  });
});
