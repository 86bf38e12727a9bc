/**
 * Code tables. The full tables were compared with RequestCode.java, ResponseCode.java, RemotingSysResponseCode.java
 * and LanguageCode.java of apache/rocketmq 8fc57f1 when these tests were written; here we pin the values the
 * reference relies on and the invariants the lookups need.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CURRENT_VERSION,
  LanguageCode,
  MQVersion,
  RequestCode,
  ResponseCode,
  SerializeType,
  describeRequestCode,
  describeResponseCode,
} from '../../../src/protocol/index.js';
import { languageFromWire } from '../../../src/protocol/language-code.js';
import { serializeTypeFromByte } from '../../../src/protocol/serialize-type.js';

function assertDistinctIntegers(table: Record<string, number>): void {
  const byValue = new Map<number, string>();
  for (const [name, value] of Object.entries(table)) {
    assert.ok(Number.isInteger(value), `${name} is not an integer`);
    assert.equal(byValue.get(value), undefined, `${name} and ${byValue.get(value) ?? ''} share ${value}`);
    byValue.set(value, name);
  }
}

void describe('code tables', () => {
  void it('request codes the protocol reference uses', () => {
    assert.equal(RequestCode.SEND_MESSAGE, 10);
    assert.equal(RequestCode.PULL_MESSAGE, 11);
    assert.equal(RequestCode.HEART_BEAT, 34);
    assert.equal(RequestCode.GET_ROUTEINFO_BY_TOPIC, 105);
    assert.equal(RequestCode.SEND_MESSAGE_V2, 310);
    assert.equal(RequestCode.POP_MESSAGE, 200050);
    assert.equal(RequestCode.ACK_MESSAGE, 200051);
  });

  void it('response codes the protocol reference uses', () => {
    assert.equal(ResponseCode.SUCCESS, 0);
    assert.equal(ResponseCode.SYSTEM_ERROR, 1);
    assert.equal(ResponseCode.SYSTEM_BUSY, 2);
    assert.equal(ResponseCode.REQUEST_CODE_NOT_SUPPORTED, 3);
    assert.equal(ResponseCode.NO_PERMISSION, 16);
    assert.equal(ResponseCode.GO_AWAY, 1500);
  });

  void it('no two names share a value, so describe*() is unambiguous', () => {
    assertDistinctIntegers(RequestCode);
    assertDistinctIntegers(ResponseCode);
    assertDistinctIntegers(LanguageCode);
  });

  void it('describeRequestCode / describeResponseCode name known codes and print unknown ones bare', () => {
    assert.equal(describeRequestCode(10), 'SEND_MESSAGE(10)');
    assert.equal(describeRequestCode(200050), 'POP_MESSAGE(200050)');
    assert.equal(describeRequestCode(-1000), '-1000');
    assert.equal(describeResponseCode(2), 'SYSTEM_BUSY(2)');
    assert.equal(describeResponseCode(31999), '31999');
    for (const [name, code] of Object.entries(RequestCode)) assert.equal(describeRequestCode(code), `${name}(${code})`);
    for (const [name, code] of Object.entries(ResponseCode)) assert.equal(describeResponseCode(code), `${name}(${code})`);
  });

  void it('LanguageCode bytes match LanguageCode.java (reference §1.7)', () => {
    assert.deepEqual(Object.entries(LanguageCode), [
      ['JAVA', 0],
      ['CPP', 1],
      ['DOTNET', 2],
      ['PYTHON', 3],
      ['DELPHI', 4],
      ['ERLANG', 5],
      ['RUBY', 6],
      ['OTHER', 7],
      ['HTTP', 8],
      ['GO', 9],
      ['PHP', 10],
      ['OMS', 11],
      ['RUST', 12],
      ['NODE_JS', 13],
    ]);
  });

  void it('languageFromWire: names and ordinals; anything else is OTHER', () => {
    for (const [name, code] of Object.entries(LanguageCode)) {
      assert.equal(languageFromWire(name), name);
      assert.equal(languageFromWire(code), name);
    }
    for (const v of [14, -1, 255, 1.5, 'go', 'hasOwnProperty', '__proto__', '', null, undefined, true, {}, []]) {
      assert.equal(languageFromWire(v), 'OTHER', JSON.stringify(v));
    }
  });

  void it('versions (reference §1.8)', () => {
    assert.deepEqual(MQVersion, { V4_5_2: 317, V4_9_3: 399, V4_9_4: 401, V4_9_8: 409, V5_0_0: 413, V5_3_3: 479 });
    assert.equal(CURRENT_VERSION, 479);
  });

  void it('serialize type bytes', () => {
    assert.deepEqual(SerializeType, { JSON: 0, ROCKETMQ: 1 });
    assert.equal(serializeTypeFromByte(0), 'JSON');
    assert.equal(serializeTypeFromByte(1), 'ROCKETMQ');
    for (const b of [2, 3, 127, 128, 255]) assert.equal(serializeTypeFromByte(b), undefined);
  });
});
