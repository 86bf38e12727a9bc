import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { ProtobufDecodeError, decode, encode } from '../../../src/grpc/codec.js';
import { enums } from '../../../src/grpc/schema.js';
import type { MsgInit } from '../../../src/grpc/types.js';

// An independent implementation (protobufjs over the SDK's own .proto files) checks our bytes both ways.
const require = createRequire(import.meta.url);
const protoDir = join(dirname(require.resolve('rocketmq-client-nodejs/package.json')), 'proto');
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => (target.startsWith('google/') ? target : join(protoDir, target));
root.loadSync(['apache/rocketmq/v2/service.proto'], { keepCase: false });
const T = (name: string): protobuf.Type => root.lookupType(`apache.rocketmq.v2.${name}`);
const toObject = (name: string, bytes: Uint8Array): Record<string, unknown> =>
  T(name).toObject(T(name).decode(bytes), { longs: Number, enums: Number, bytes: Buffer, defaults: false, oneofs: false });

const message: MsgInit<'Message'> = {
  topic: { resourceNamespace: '', name: 'TopicA' },
  userProperties: new Map([
    ['p1', 'v1'],
    ['ключ', 'значение'],
  ]),
  systemProperties: {
    tag: 'TagA',
    keys: ['k1', 'k2'],
    messageId: '0102FC000000011B420B27718300000000',
    bodyDigest: { type: enums.DigestType.MD5, checksum: 'ABC' },
    bodyEncoding: enums.Encoding.IDENTITY,
    messageType: enums.MessageType.FIFO,
    bornTimestamp: 1_717_000_000_123,
    bornHost: '10.0.0.1',
    queueId: 3,
    queueOffset: 2 ** 40 + 7,
    deliveryAttempt: 0,
    messageGroup: 'g1',
    orphanedTransactionRecoveryDuration: 1500,
  },
  body: Buffer.from('hello'),
};

describe('protobuf codec', () => {
  it('encodes a Message that protobufjs reads back field for field', () => {
    const obj = toObject('Message', encode('Message', message));
    assert.deepEqual(obj.topic, { name: 'TopicA' });
    assert.deepEqual(obj.userProperties, { p1: 'v1', ключ: 'значение' });
    const sys = obj.systemProperties as Record<string, unknown>;
    assert.equal(sys.tag, 'TagA');
    assert.deepEqual(sys.keys, ['k1', 'k2']);
    assert.equal(sys.messageType, enums.MessageType.FIFO);
    assert.deepEqual(sys.bornTimestamp, { seconds: 1_717_000_000, nanos: 123_000_000 });
    assert.equal(sys.queueOffset, 2 ** 40 + 7);
    // proto3 optional: a zero that is set is written (presence), unlike an implicit-presence zero.
    assert.equal(sys.deliveryAttempt, 0);
    assert.equal(sys.queueId, 3);
    assert.deepEqual(sys.orphanedTransactionRecoveryDuration, { seconds: 1, nanos: 500_000_000 });
    assert.deepEqual(obj.body, Buffer.from('hello'));
  });

  it('decodes what protobufjs writes, with defaults for absent implicit fields and undefined for absent optional ones', () => {
    const bytes = T('Message')
      .encode(
        T('Message').fromObject({
          topic: { name: 'T' },
          systemProperties: { keys: ['a'], messageId: 'id', bornTimestamp: { seconds: 5, nanos: 1_000_000 }, queueOffset: 9 },
          userProperties: { a: 'b' },
        }),
      )
      .finish();
    const m = decode('Message', bytes);
    assert.equal(m.topic?.name, 'T');
    assert.equal(m.topic?.resourceNamespace, '');
    assert.equal(m.systemProperties?.tag, undefined);
    assert.equal(m.systemProperties?.messageId, 'id');
    assert.equal(m.systemProperties?.bornTimestamp, 5001);
    assert.equal(m.systemProperties?.queueOffset, 9);
    assert.equal(m.systemProperties?.queueId, 0);
    assert.equal(m.systemProperties?.deliveryTimestamp, undefined);
    assert.deepEqual([...m.userProperties], [['a', 'b']]);
    assert.equal(m.body.length, 0);
  });

  it('round-trips random Messages, SendResultEntries and Settings (fast-check), and agrees with protobufjs', () => {
    const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    const int64 = fc.maxSafeInteger();
    const str = fc.string({ unit: 'grapheme', maxLength: 20 });
    fc.assert(
      fc.property(
        fc.record({
          name: str,
          keys: fc.array(str, { maxLength: 4 }),
          props: fc.dictionary(str, str, { maxKeys: 4 }),
          queueId: int32,
          offset: int64,
          attempt: fc.option(int32, { nil: undefined }),
          born: fc.integer({ min: 0, max: 2 ** 45 }),
          type: fc.constantFrom(...Object.values(enums.MessageType)),
          body: fc.uint8Array({ maxLength: 64 }),
          multiplier: fc.float({ noNaN: true, noDefaultInfinity: true }),
        }),
        (r) => {
          const m: MsgInit<'Message'> = {
            topic: { name: r.name },
            userProperties: new Map(Object.entries(r.props)),
            systemProperties: {
              keys: r.keys,
              queueId: r.queueId,
              queueOffset: r.offset,
              deliveryAttempt: r.attempt,
              bornTimestamp: r.born,
              messageType: r.type,
            },
            body: Buffer.from(r.body),
          };
          const bytes = encode('Message', m);
          const back = decode('Message', bytes);
          assert.equal(back.topic?.name, r.name);
          assert.deepEqual(Object.fromEntries(back.userProperties), { ...r.props });
          assert.deepEqual(back.systemProperties?.keys, r.keys);
          assert.equal(back.systemProperties?.queueId, r.queueId);
          assert.equal(back.systemProperties?.queueOffset, r.offset);
          assert.equal(back.systemProperties?.deliveryAttempt, r.attempt);
          assert.equal(back.systemProperties?.bornTimestamp, r.born);
          assert.equal(back.systemProperties?.messageType, r.type);
          assert.deepEqual(back.body, Buffer.from(r.body));
          // protobufjs reads the same bytes to the same values.
          const other = toObject('Message', bytes);
          assert.equal((other.systemProperties as Record<string, unknown>).queueId ?? 0, r.queueId);
          assert.equal(Number((other.systemProperties as Record<string, unknown>).queueOffset ?? 0), r.offset);

          const settings = encode('Settings', {
            clientType: enums.ClientType.PRODUCER,
            backoffPolicy: { maxAttempts: 3, exponentialBackoff: { initial: 10, max: 1000, multiplier: r.multiplier } },
            publishing: { topics: [{ name: r.name }], maxBodySize: 4 << 20, validateMessageType: true },
          });
          const s = decode('Settings', settings);
          // -0 is the default 0 on the wire (not written), as in every proto3 runtime.
          assert.equal(s.backoffPolicy?.exponentialBackoff?.multiplier, Math.fround(r.multiplier) || 0);
          assert.equal(s.subscription, undefined);
          assert.equal(s.publishing?.topics[0]?.name, r.name);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads negative int32 and int64 (ten-byte varints) and writes them as protobufjs does', () => {
    const entry = { status: { code: enums.Code.OK, message: 'OK' }, offset: -5, messageId: 'x' };
    const ours = encode('SendResultEntry', entry);
    const theirs = T('SendResultEntry').encode(T('SendResultEntry').fromObject(entry)).finish();
    assert.deepEqual(ours, Buffer.from(theirs));
    assert.equal(decode('SendResultEntry', ours).offset, -5);
    const q = encode('MessageQueue', { id: -1 });
    assert.equal(decode('MessageQueue', q).id, -1);
    assert.deepEqual(q, Buffer.from(T('MessageQueue').encode(T('MessageQueue').fromObject({ id: -1 })).finish()));
  });

  it('reads repeated enums packed and unpacked', () => {
    const packed = encode('MessageQueue', { acceptMessageTypes: [1, 2, 3, 4] });
    assert.deepEqual(decode('MessageQueue', packed).acceptMessageTypes, [1, 2, 3, 4]);
    // Unpacked: one tag per element (field 5, wire type 0).
    const unpacked = Buffer.from([0x28, 1, 0x28, 2, 0x2a, 2, 3, 4]);
    assert.deepEqual(decode('MessageQueue', unpacked).acceptMessageTypes, [1, 2, 3, 4]);
  });

  it('skips unknown fields of every wire type', () => {
    const known = encode('Resource', { name: 'T' });
    const unknown = Buffer.from([
      0x78, 0x96, 0x01, // field 15 varint
      0x81, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, // field 16 fixed64
      0x8a, 0x01, 2, 0x61, 0x62, // field 17 bytes
      0x95, 0x01, 1, 2, 3, 4, // field 18 fixed32
    ]);
    assert.equal(decode('Resource', Buffer.concat([unknown, known])).name, 'T');
  });

  it('keeps the last member of a oneof, and refuses to encode two', () => {
    const a = encode('TelemetryCommand', { settings: { clientType: 1 } });
    const b = encode('TelemetryCommand', { verifyMessageResult: { nonce: 'n' } });
    const both = decode('TelemetryCommand', Buffer.concat([a, b]));
    assert.equal(both.settings, undefined);
    assert.equal(both.verifyMessageResult?.nonce, 'n');
    assert.throws(() => encode('TelemetryCommand', { settings: {}, verifyMessageResult: {} }), /more than one member of oneof command/);
  });

  it('throws a ProtobufDecodeError naming the problem for malformed bytes', () => {
    const cases: [string, Buffer, RegExp][] = [
      ['length past the end', Buffer.from([0x12, 0x10, 0x61]), /past the end/],
      ['wrong wire type', Buffer.from([0x0d, 1, 2, 3, 4]), /wire type 5, expected 2/],
      ['group', Buffer.from([0x63]), /groups/],
      ['field number 0', Buffer.from([0x00, 0x01]), /invalid field number/],
      ['varint too long', Buffer.from([0x78, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), /longer than 10 bytes/],
    ];
    for (const [what, bytes, pattern] of cases) {
      assert.throws(() => decode('Resource', bytes), (err: unknown) => err instanceof ProtobufDecodeError && pattern.test(err.message), what);
    }
    assert.throws(() => decode('Address', Buffer.from([0x10, 0xff])), /malformed Address: truncated varint/);
    // Nested: the error names the inner message.
    assert.throws(() => decode('Message', Buffer.from([0x0a, 0x02, 0x12, 0x05])), /Resource in topic/);
  });

  it('never throws anything but ProtobufDecodeError on random bytes (fast-check)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decode('SendMessageRequest', bytes);
          decode('TelemetryCommand', bytes);
        } catch (err) {
          assert.ok(err instanceof ProtobufDecodeError, String(err));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
