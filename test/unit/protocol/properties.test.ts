/** Property tests of the codec: round trips for arbitrary commands, and robustness against arbitrary bytes. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RemotingCommandError } from '../../../src/common/errors.js';
import {
  FrameDecoder,
  LanguageCode,
  RemotingCommand,
  decodeCommand,
  decodeFrame,
  encodeCommand,
  type LanguageName,
  type SerializeTypeName,
} from '../../../src/protocol/index.js';
import { cutAt, decodeStream, type WireFields } from './support.js';
import { wireFields } from './support.js';

const INT16 = { min: -32768, max: 32767 };

const languageArb = fc.constantFrom(...(Object.keys(LanguageCode) as LanguageName[]));
/** Any Unicode text without lone surrogates (UTF-8 cannot carry those). */
const textArb = (maxLength: number): fc.Arbitrary<string> => fc.string({ unit: 'binary', maxLength });
const keyArb = fc.oneof(
  { weight: 8, arbitrary: textArb(12) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', '', 'topic') },
);

/** Entries with distinct keys; the map is built with own data properties so "__proto__" stays a key. */
const entriesArb = fc.uniqueArray(fc.tuple(keyArb, textArb(24)), { selector: (e) => e[0], maxLength: 6 });

function mapOf(entries: readonly [string, string][]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const [k, v] of entries) Object.defineProperty(map, k, { value: v, enumerable: true, writable: true, configurable: true });
  return map;
}

interface Spec {
  type: SerializeTypeName;
  code: number;
  language: LanguageName;
  version: number;
  opaque: number;
  flag: number;
  remark: string | undefined;
  ext: [string, string][] | undefined;
  body: Uint8Array | undefined;
}

function specArb(type: SerializeTypeName): fc.Arbitrary<Spec> {
  const numberArb = type === 'ROCKETMQ' ? fc.integer(INT16) : fc.integer();
  return fc.record({
    type: fc.constant(type),
    code: numberArb,
    language: languageArb,
    version: numberArb,
    opaque: fc.integer(),
    flag: fc.integer(),
    remark: fc.option(textArb(40), { nil: undefined }),
    ext: fc.option(entriesArb, { nil: undefined }),
    body: fc.option(fc.uint8Array({ maxLength: 80 }), { nil: undefined }),
  });
}

const anySpecArb = fc.oneof(specArb('JSON'), specArb('ROCKETMQ'));

function build(spec: Spec): RemotingCommand {
  return new RemotingCommand({
    code: spec.code,
    language: spec.language,
    version: spec.version,
    opaque: spec.opaque,
    flag: spec.flag,
    remark: spec.remark,
    extFields: spec.ext === undefined ? undefined : mapOf(spec.ext),
    body: spec.body === undefined ? undefined : Buffer.from(spec.body),
    serializeTypeCurrentRPC: spec.type,
  });
}

/** What the receiver must see. ROCKETMQ reads zero-length strings as null (absent), as Java does. */
function expected(spec: Spec): WireFields {
  const rocketmq = spec.type === 'ROCKETMQ';
  let ext = spec.ext === undefined ? undefined : [...spec.ext].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  if (rocketmq && ext !== undefined) ext = ext.length === 0 ? undefined : ext.filter(([k, v]) => k !== '' && v !== '');
  return {
    code: spec.code,
    language: spec.language,
    version: spec.version,
    opaque: spec.opaque,
    flag: spec.flag,
    remark: rocketmq && spec.remark === '' ? undefined : spec.remark,
    extFields: ext,
    body: spec.body === undefined || spec.body.length === 0 ? undefined : Buffer.from(spec.body).toString('hex'),
    serializeTypeCurrentRPC: spec.type,
  };
}

function assertOnlyRemotingErrors(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof RemotingCommandError)) {
      throw new assert.AssertionError({ message: `expected RemotingCommandError, got ${String(err)}`, actual: err });
    }
  }
}

void describe('codec properties', () => {
  for (const type of ['JSON', 'ROCKETMQ'] as const) {
    void it(`${type}: encode → decode gives back every field of an arbitrary command`, () => {
      fc.assert(
        fc.property(specArb(type), (spec) => {
          assert.deepEqual(wireFields(decodeCommand(encodeCommand(build(spec)))), expected(spec));
        }),
        { numRuns: 400 },
      );
    });
  }

  void it('JSON carries any UTF-16 text, lone surrogates included', () => {
    const utf16 = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 30 });
    fc.assert(
      fc.property(utf16, utf16, utf16, (remark, key, value) => {
        const cmd = new RemotingCommand({ code: 1, opaque: 1, remark, extFields: mapOf([[key, value]]) });
        const decoded = decodeCommand(encodeCommand(cmd));
        assert.equal(decoded.remark, remark);
        assert.deepEqual(Object.entries(decoded.extFields ?? {}), [[key, value]]);
      }),
      { numRuns: 300 },
    );
  });

  void it('a stream of arbitrary commands of both types survives arbitrary chunking', () => {
    fc.assert(
      fc.property(
        fc.array(anySpecArb, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (specs, rawCuts) => {
          const stream = Buffer.concat(specs.map((s) => encodeCommand(build(s))));
          const cuts = rawCuts.map((c) => c % (stream.length + 1));
          const decoded = decodeStream(cutAt(stream, cuts)).map(wireFields);
          assert.deepEqual(decoded, specs.map(expected));
        },
      ),
      { numRuns: 200 },
    );
  });
});

void describe('robustness against hostile bytes', () => {
  const LIMIT = 64 * 1024;

  /** Feeds the chunks to a 64 KiB decoder and decodes each frame; only RemotingCommandError may come out. */
  function feed(chunks: readonly Buffer[]): void {
    const decoder = new FrameDecoder(LIMIT);
    for (const chunk of chunks) {
      let failed = false;
      assertOnlyRemotingErrors(() => {
        try {
          decoder.push(chunk, (frame) => {
            assert.ok(frame.length + 4 <= LIMIT, 'frame over the limit delivered');
            assertOnlyRemotingErrors(() => void decodeFrame(frame));
          });
        } catch (err) {
          failed = true;
          throw err;
        }
      });
      assert.ok(decoder.bufferedBytes <= LIMIT, `buffered ${decoder.bufferedBytes} bytes`);
      if (failed) {
        assert.equal(decoder.bufferedBytes, 0);
        assert.throws(() => decoder.push(Buffer.alloc(1), () => undefined), RemotingCommandError);
        return;
      }
    }
  }

  void it('random bytes (behind a plausible length word) never throw anything but RemotingCommandError', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -8, max: LIMIT + 8 }),
        fc.uint8Array({ maxLength: 3000 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (length, bytes, rawCuts) => {
          const word = Buffer.alloc(4);
          word.writeInt32BE(length);
          const stream = Buffer.concat([word, bytes]);
          feed(cutAt(stream, rawCuts.map((c) => c % (stream.length + 1))));
        },
      ),
      { numRuns: 400 },
    );
  });

  void it('fully random bytes never throw anything but RemotingCommandError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.array(fc.nat(), { maxLength: 8 }), (bytes, rawCuts) => {
        const stream = Buffer.from(bytes);
        feed(cutAt(stream, rawCuts.map((c) => c % (stream.length + 1))));
      }),
      { numRuns: 300 },
    );
  });

  void it('mutated valid frames never throw anything but RemotingCommandError', () => {
    const mutationArb = fc.record({
      pos: fc.nat(),
      byte: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(
      fc.property(
        fc.array(anySpecArb, { minLength: 1, maxLength: 3 }),
        fc.array(mutationArb, { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 6 }),
        (specs, mutations, keepLengthWords, truncateBy, rawCuts) => {
          const frames = specs.map((s) => Buffer.from(encodeCommand(build(s))));
          for (const m of mutations) {
            const frame = frames[m.pos % frames.length] as Buffer;
            // Mostly hit the header (and its length fields); optionally spare the frame length word.
            const from = keepLengthWords ? 4 : 0;
            const span = Math.min(frame.length, 64) - from;
            if (span > 0) frame[from + (Math.floor(m.pos / frames.length) % span)] = m.byte;
          }
          let stream = Buffer.concat(frames);
          stream = stream.subarray(0, stream.length - (truncateBy % 8));
          feed(cutAt(stream, rawCuts.map((c) => c % (stream.length + 1))));
        },
      ),
      { numRuns: 500 },
    );
  });

  void it('any JSON value in any header field never throws anything but RemotingCommandError', () => {
    const fieldArb = fc.constantFrom('code', 'language', 'version', 'opaque', 'flag', 'remark', 'extFields', 'serializeTypeCurrentRPC', '__proto__');
    fc.assert(
      fc.property(fc.array(fc.tuple(fieldArb, fc.jsonValue({ maxDepth: 3 })), { maxLength: 5 }), (fields) => {
        const text = `{${fields.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
        const header = Buffer.from(text);
        const frame = Buffer.alloc(4 + header.length);
        frame.writeUInt32BE(header.length, 0);
        header.copy(frame, 4);
        assertOnlyRemotingErrors(() => {
          const cmd = decodeFrame(frame);
          // Whatever was accepted is a well-formed command that can be sent on.
          assert.ok(Number.isInteger(cmd.code) && Number.isInteger(cmd.opaque) && Number.isInteger(cmd.flag));
          assert.ok(cmd.language in LanguageCode);
          for (const v of Object.values(cmd.extFields ?? {})) assert.equal(typeof v, 'string');
          assert.equal(decodeCommand(encodeCommand(cmd)).code, cmd.code);
        });
      }),
      { numRuns: 400 },
    );
  });
});
