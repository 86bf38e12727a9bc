/** The fastjson-tolerant reader used for headers and (later) bodies: reference §1.10. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseLenientJson } from '../../../src/protocol/index.js';
import { throwsRemoting } from './support.js';

void describe('parseLenientJson', () => {
  void it('reads standard JSON exactly like JSON.parse', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const text = JSON.stringify(value);
        assert.deepEqual(parseLenientJson(text), JSON.parse(text));
      }),
      { numRuns: 200 },
    );
  });

  void it('reads unquoted numeric map keys (Map<Long,String>, reference §1.10.1, verified fastjson output)', () => {
    assert.deepEqual(parseLenientJson('{0:"10.0.0.1:10911",1:"10.0.0.2:10911"}'), {
      '0': '10.0.0.1:10911',
      '1': '10.0.0.2:10911',
    });
    assert.deepEqual(parseLenientJson('{"offsetTable":{0:37960,1:12}}'), { offsetTable: { '0': 37960, '1': 12 } });
    assert.deepEqual(parseLenientJson('{-1:"a", 9007199254740993:"b"}'), { '-1': 'a', '9007199254740993': 'b' });
  });

  void it('reads unquoted identifier keys and single-quoted strings, with escapes', () => {
    assert.deepEqual(parseLenientJson(`{name:'it\\'s', $x_1:"\\"q\\"", 'k':'a"b'}`), {
      name: "it's",
      $x_1: '"q"',
      k: 'a"b',
    });
  });

  void it('reads object-valued keys (Map<MessageQueue,Long>, reference §1.10.2) as their JSON text', () => {
    const text = '{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:100,{"brokerName":"broker-b","queueId":1,"topic":"T"}:7}}';
    assert.deepEqual(parseLenientJson(text), {
      offsetTable: {
        '{"brokerName":"broker-a","queueId":0,"topic":"T"}': 100,
        '{"brokerName":"broker-b","queueId":1,"topic":"T"}': 7,
      },
    });
    // Nested lenient syntax inside the key is normalised to standard JSON text.
    assert.deepEqual(parseLenientJson("{{brokerName:'b',queueId:0}:1}"), { '{"brokerName":"b","queueId":0}': 1 });
    // Array keys too.
    assert.deepEqual(parseLenientJson('{[1,2]:true}'), { '[1,2]': true });
  });

  void it('the string-key form of an object key reads the same as the raw form', () => {
    const raw = parseLenientJson('{{"brokerName":"b","queueId":0,"topic":"T"}:100}');
    const quoted = parseLenientJson('{"{\\"brokerName\\":\\"b\\",\\"queueId\\":0,\\"topic\\":\\"T\\"}":100}');
    assert.deepEqual(raw, quoted);
  });

  void it('reads literals, numbers and nesting in lenient mode', () => {
    assert.deepEqual(parseLenientJson("{a:[true,false,null,-1.5e3,0,'x',{}],b:[]}"), {
      a: [true, false, null, -1500, 0, 'x', {}],
      b: [],
    });
  });

  void it('keeps "__proto__" keys as own data properties without touching any prototype', () => {
    const value = parseLenientJson("{__proto__:{polluted:1},'x':1}") as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(value, '__proto__')?.value, { polluted: 1 });
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    const nested = parseLenientJson("{a:{'__proto__':'s'}}") as { a: Record<string, unknown> };
    assert.equal(Object.getPrototypeOf(nested.a), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(nested.a, '__proto__')?.value, 's');
  });

  // Only input that no fastjson configuration reads; fastjson's extra leniencies (arbitrary commas, NaN) are not
  // needed for anything a Java peer writes, so they are not asserted either way.
  void it('refuses malformed input with RemotingCommandError only', () => {
    for (const text of [
      '',
      '   ',
      '{',
      '{a:}',
      '[1,',
      '[1 2]',
      "'abc",
      '{a:tru}',
      '{a:1.}',
      '{:1}',
      '{a:1}}',
      '"\\u00"',
      '{"a":"\\q"}',
      '\u00a0{}',
    ]) {
      throwsRemoting(() => parseLenientJson(text), /malformed JSON/);
    }
  });

  void it('bounds nesting depth in lenient mode (arrays, objects and object keys)', () => {
    throwsRemoting(() => parseLenientJson(`${'['.repeat(300)}1${']'.repeat(300)},`), /nesting deeper than 256/);
    throwsRemoting(() => parseLenientJson(`${'{a:'.repeat(300)}1${'}'.repeat(300)}`), /nesting deeper than 256/);
    throwsRemoting(() => parseLenientJson(`${'{'.repeat(300)}`), /nesting deeper than 256|expected/);
    // Moderate nesting is fine.
    const ok = parseLenientJson(`${'{a:'.repeat(200)}1${'}'.repeat(200)}`);
    assert.equal(typeof ok, 'object');
  });

  void it('never throws anything but RemotingCommandError on arbitrary text', () => {
    const alphabet = fc.constantFrom('{', '}', '[', ']', ':', ',', '"', "'", '\\', 'u', 'a', '1', '-', '.', 'e', ' ', 'n', 't');
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: alphabet, maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 })), (text) => {
        try {
          parseLenientJson(text);
        } catch (err) {
          throwsRemoting(() => {
            throw err;
          });
        }
      }),
      { numRuns: 500 },
    );
  });
});
