/** Header codecs beyond the wire table: encoding refusals, corrupt headers, prototype safety. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hex, intHex, utf8Hex } from '../../helpers/hex.js';
import { RemotingCommand, decodeCommand, decodeFrame, encodeCommand, encodeFrame } from '../../../src/protocol/index.js';
import { throwsRemoting, wireFields } from './support.js';

/** A frame (without length word) around a JSON header text. */
function jsonFrame(json: string): Buffer {
  return hex(`00 ${intHex(Buffer.byteLength(json), 3)} ${utf8Hex(json)}`);
}

/** A frame (without length word) around raw ROCKETMQ header bytes. */
function binaryFrame(headerHex: string): Buffer {
  const header = hex(headerHex);
  return hex(`01 ${intHex(header.length, 3)} ${header.toString('hex')}`);
}

/** The fixed 17 bytes before remarkLength: code 105, JAVA, version 409, opaque 1, flag 0. */
const FIXED = '00 69 00 01 99 00 00 00 01 00 00 00 00';

void describe('ROCKETMQ header encoding refusals', () => {
  for (const code of [32768, -32769, 200050, 2147483647]) {
    void it(`refuses code ${code} with a clear error, while JSON carries it`, () => {
      const cmd = new RemotingCommand({ code, opaque: 1, serializeTypeCurrentRPC: 'ROCKETMQ' });
      throwsRemoting(() => encodeFrame(cmd), new RegExp(`code ${code} does not fit the ROCKETMQ header \\(int16\\); use JSON`));
      cmd.serializeTypeCurrentRPC = 'JSON';
      assert.equal(decodeCommand(encodeCommand(cmd)).code, code);
    });
  }

  void it('refuses a version outside int16', () => {
    for (const version of [32768, -32769]) {
      const cmd = new RemotingCommand({ code: 1, opaque: 1, version, serializeTypeCurrentRPC: 'ROCKETMQ' });
      throwsRemoting(() => encodeFrame(cmd), new RegExp(`version ${version} does not fit the ROCKETMQ header \\(int16\\)`));
    }
  });

  void it('refuses an ext key longer than 32767 UTF-8 bytes, accepts 32767', () => {
    const ok = new RemotingCommand({ code: 1, opaque: 1, extFields: { ['k'.repeat(32767)]: 'v' }, serializeTypeCurrentRPC: 'ROCKETMQ' });
    assert.deepEqual(Object.keys(decodeCommand(encodeCommand(ok)).extFields ?? {}), ['k'.repeat(32767)]);
    // 10923 three-byte characters = 32769 bytes although the string has fewer than 32767 UTF-16 units.
    const tooLong = new RemotingCommand({ code: 1, opaque: 1, extFields: { ['€'.repeat(10923)]: 'v' }, serializeTypeCurrentRPC: 'ROCKETMQ' });
    throwsRemoting(() => encodeFrame(tooLong), /longer than 32767/);
  });

  void it('skips null and undefined ext values in both encodings', () => {
    const extFields = { a: 'x', b: undefined, c: null } as unknown as Record<string, string>;
    for (const serializeTypeCurrentRPC of ['JSON', 'ROCKETMQ'] as const) {
      const cmd = new RemotingCommand({ code: 1, opaque: 1, extFields, serializeTypeCurrentRPC });
      assert.deepEqual(wireFields(decodeCommand(encodeCommand(cmd))).extFields, [['a', 'x']]);
    }
  });

  void it('writes the language byte from the table and lone surrogates as U+FFFD (UTF-8 cannot carry them)', () => {
    const cmd = new RemotingCommand({ code: 1, opaque: 1, language: 'PHP', remark: 'a\ud800b', serializeTypeCurrentRPC: 'ROCKETMQ' });
    const bytes = encodeCommand(cmd);
    assert.equal(bytes[4 + 4 + 2], 10);
    assert.equal(decodeCommand(bytes).remark, 'a\ufffdb');
    // JSON escapes them, so they survive.
    cmd.serializeTypeCurrentRPC = 'JSON';
    assert.equal(decodeCommand(encodeCommand(cmd)).remark, 'a\ud800b');
  });
});

void describe('ROCKETMQ header decoding of corrupt input', () => {
  const bad: [string, string, RegExp][] = [
    ['shorter than the 21 fixed bytes', `${FIXED} 00 00 00 00 00 00 00`, /too short: 20 bytes/],
    ['negative remark length', `${FIXED} ff ff ff ff 00 00 00 00`, /bad remark length -1/],
    ['remark length beyond the header', `${FIXED} 00 00 00 02 41 00 00 00 00`, /bad remark length 2/],
    ['remark leaving no room for extFieldsLength', `${FIXED} 00 00 00 01 41 00 00 00`, /bad remark length 1|too short/],
    ['negative extFields length', `${FIXED} 00 00 00 00 80 00 00 00`, /bad extFields length -2147483648/],
    ['extFields length beyond the header', `${FIXED} 00 00 00 00 00 00 00 08 00 01 61 00 00 00 00`, /bad extFields length 8/],
    ['truncated key length', `${FIXED} 00 00 00 00 00 00 00 01 00`, /truncated ext field key length/],
    ['negative key length', `${FIXED} 00 00 00 00 00 00 00 06 80 00 00 00 00 00`, /bad ext field key length -32768/],
    ['key length beyond the map', `${FIXED} 00 00 00 00 00 00 00 07 00 05 61 00 00 00 00`, /bad ext field key length 5/],
    ['no room for the value length', `${FIXED} 00 00 00 00 00 00 00 05 00 01 61 00 00`, /bad ext field key length 1/],
    ['negative value length', `${FIXED} 00 00 00 00 00 00 00 07 00 01 61 ff ff ff ff`, /bad ext field value length -1/],
    ['value length beyond the map', `${FIXED} 00 00 00 00 00 00 00 08 00 01 61 00 00 00 02 62`, /bad ext field value length 2/],
  ];
  for (const [name, headerHex, message] of bad) {
    void it(`refuses ${name}`, () => throwsRemoting(() => decodeFrame(binaryFrame(headerHex)), message));
  }

  void it('ext map length counts only the map: a body after the header is not read as ext entries', () => {
    const frame = Buffer.concat([binaryFrame(`${FIXED} 00 00 00 00 00 00 00 00`), hex('00 01 61 00 00 00 01 62')]);
    const cmd = decodeFrame(frame);
    assert.equal(cmd.extFields, undefined);
    assert.equal(cmd.body?.toString('hex'), '0001610000000162');
  });

  void it('decodes ext keys right whatever is remembered of earlier ones: hash collisions, non-ASCII, repeats', () => {
    // "Aa" and "BB" have the same 31-based hash; the second must not come back as the first.
    const extFields = { Aa: '1', BB: '2', ключ: '3', ['k'.repeat(40)]: '4' };
    for (let round = 0; round < 3; round++) {
      const cmd = new RemotingCommand({ code: 1, opaque: round, extFields, serializeTypeCurrentRPC: 'ROCKETMQ' });
      assert.deepEqual(decodeCommand(encodeCommand(cmd)).extFields, extFields);
    }
  });

  void it('decodes a remark that fills the header exactly', () => {
    const cmd = decodeFrame(binaryFrame(`${FIXED} 00 00 00 03 61 62 63 00 00 00 00`));
    assert.equal(cmd.remark, 'abc');
    assert.equal(cmd.body, undefined);
  });
});

void describe('JSON header decoding', () => {
  void it('a missing language is JAVA, the Java field default (fastjson only sets present fields)', () => {
    const cmd = decodeFrame(jsonFrame('{"code":10,"opaque":3}'));
    assert.equal(cmd.language, 'JAVA');
    assert.equal(cmd.version, 0);
    assert.equal(cmd.flag, 0);
    assert.equal(cmd.opaque, 3);
    assert.equal(cmd.remark, undefined);
    assert.equal(cmd.extFields, undefined);
  });

  void it('a null or unknown language is OTHER (Java: null)', () => {
    assert.equal(decodeFrame(jsonFrame('{"code":10,"language":null}')).language, 'OTHER');
    assert.equal(decodeFrame(jsonFrame('{"code":10,"language":"java"}')).language, 'OTHER');
    assert.equal(decodeFrame(jsonFrame('{"code":10,"language":"toString"}')).language, 'OTHER');
    assert.equal(decodeFrame(jsonFrame('{"code":10,"language":"__proto__"}')).language, 'OTHER');
    assert.equal(decodeFrame(jsonFrame('{"code":10,"language":13}')).language, 'NODE_JS');
  });

  void it('accepts whitespace, a UTF-8 remark and escaped characters', () => {
    const cmd = decodeFrame(jsonFrame(' {\n\t"code" : 1 ,\r\n "remark" : "\\u4e2d文\\/\\t" }  '));
    assert.equal(cmd.code, 1);
    assert.equal(cmd.remark, '中文/\t');
  });

  const bad: [string, string, RegExp][] = [
    ['an array', '[1,2]', /not an object/],
    ['a string', '"x"', /not an object/],
    ['null', 'null', /not an object/],
    ['a number', '42', /not an object/],
    ['truncated JSON', '{"code":1', /malformed JSON/],
    ['trailing garbage', '{"code":1} x', /malformed JSON.*trailing/],
    ['a bare word value', '{"code":abc}', /malformed JSON.*unexpected literal/],
    ['a fractional code', '{"code":1.5}', /'code' is not an int/],
    ['a code beyond int32', '{"code":2147483648}', /'code' is not an int/],
    ['a non-numeric code string', '{"code":"x"}', /'code' is not an int/],
    ['a boolean opaque', '{"code":1,"opaque":true}', /'opaque' is not an int/],
    ['an object remark', '{"code":1,"remark":{}}', /'remark' is not a string/],
    ['an array of extFields', '{"code":1,"extFields":["a"]}', /'extFields' is not an object/],
    ['a string extFields', '{"code":1,"extFields":"a"}', /'extFields' is not an object/],
    ['an object ext value', '{"code":1,"extFields":{"a":{"b":1}}}', /extFields\['a'\] is not a string/],
    ['a bad escape', '{"code":1,"remark":"\\x"}', /bad escape/],
    ['a bad unicode escape', '{"code":1,"remark":"\\u12g4"}', /bad \\u escape/],
    ['an unterminated single-quoted string', "{code:1,remark:'abc}", /unterminated string/],
    ['a missing colon', '{code 1}', /expected ':'/],
    ['a missing comma', '{"code":1 "flag":0}', /expected ',' or '}'/],
  ];
  for (const [name, json, message] of bad) {
    void it(`refuses ${name}: ${json}`, () => throwsRemoting(() => decodeFrame(jsonFrame(json)), message));
  }

  void it('refuses invalid UTF-8 only as far as JSON does: bytes are replaced, the header still parses', () => {
    const frame = hex(`00 00 00 11 ${utf8Hex('{"remark":"')} ff fe ${utf8Hex('"}')} 20 20 20`);
    assert.equal(decodeFrame(frame).remark, '\ufffd\ufffd');
  });

  void it('refuses nesting deeper than the limit with RemotingCommandError, not a stack overflow', () => {
    const deep = `{code:1,x:${'['.repeat(100000)}`;
    throwsRemoting(() => decodeFrame(jsonFrame(deep)), /nesting deeper than/);
    const deepKeys = `{code:1,x:${'{a:'.repeat(100000)}1${'}'.repeat(100000)}}`;
    throwsRemoting(() => decodeFrame(jsonFrame(deepKeys)), /nesting deeper than/);
  });
});

void describe('"__proto__" keys', () => {
  function assertNoPollution(): void {
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
  }

  void it('JSON (standard and lenient) keeps "__proto__" as an ordinary ext field', () => {
    for (const json of [
      '{"code":1,"extFields":{"__proto__":"x","a":"b"}}',
      "{code:1,extFields:{__proto__:'x',a:'b'}}",
      '{"__proto__":{"polluted":1},"code":1,"extFields":{"__proto__":"x","a":"b"}}',
      "{__proto__:{polluted:1},code:1,extFields:{'__proto__':'x',a:'b'}}",
    ]) {
      const cmd = decodeFrame(jsonFrame(json));
      const ext = cmd.extFields as Record<string, string>;
      assert.equal(Object.getPrototypeOf(ext), Object.prototype, json);
      assert.ok(Object.hasOwn(ext, '__proto__'), json);
      assert.deepEqual(wireFields(cmd).extFields, [['__proto__', 'x'], ['a', 'b']]);
      assertNoPollution();
    }
  });

  void it('ROCKETMQ keeps "__proto__" as an ordinary ext field, and it survives re-encoding in both types', () => {
    const keyHex = utf8Hex('__proto__');
    const frame = binaryFrame(`${FIXED} 00 00 00 00 00 00 00 10 00 09 ${keyHex} 00 00 00 01 78`);
    const cmd = decodeFrame(frame);
    const ext = cmd.extFields as Record<string, string>;
    assert.equal(Object.getPrototypeOf(ext), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(ext, '__proto__')?.value, 'x');
    for (const type of ['JSON', 'ROCKETMQ'] as const) {
      cmd.serializeTypeCurrentRPC = type;
      assert.deepEqual(wireFields(decodeCommand(encodeCommand(cmd))).extFields, [['__proto__', 'x']]);
    }
    assertNoPollution();
  });
});
