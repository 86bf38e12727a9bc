import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDriverReply, windowFigures } from '../../../bench/grpc-java-sdk.js';
import { CountingWindow } from '../../../bench/grpc-load.js';

void describe('bench:grpc Java driver replies (GrpcSdkBench)', () => {
  void it('reads an answer with its sequence number and fields', () => {
    assert.deepEqual(parseDriverReply('BENCH 3 {"ok":true,"phase":"send"}'), { seq: 3, ok: true, fields: { ok: true, phase: 'send' } });
  });

  void it("reads a refused command's error", () => {
    assert.deepEqual(parseDriverReply('BENCH 12 {"ok":false,"error":"ClientException: no route"}'), { seq: 12, ok: false, error: 'ClientException: no route' });
    assert.deepEqual(parseDriverReply('BENCH 1 {"ok":false}'), { seq: 1, ok: false, error: 'no error text in {"ok":false}' });
  });

  void it('ignores other lines: the SDK or the JVM may print their own', () => {
    for (const line of ['READY', 'BENCH x {"ok":true}', 'BENCH 1 {"ok":tru', 'BENCH 1 [1,2]', 'BENCH 1 null', '12:00:01.000 WARN  [main] x - BENCH 1 {"ok":true}']) {
      assert.equal(parseDriverReply(line), undefined, line);
    }
  });

  void it("turns a close answer into the window's figures", () => {
    const reply = parseDriverReply('BENCH 5 {"ok":true,"count":20345,"p50_us":812.4,"p99_us":4021.0,"errors":2,"first_error":"ClientException: busy"}');
    assert.ok(reply?.ok === true);
    assert.deepEqual(windowFigures(reply.fields), { count: 20345, p50Micros: 812.4, p99Micros: 4021, errors: 2, firstError: 'ClientException: busy' });
  });

  void it('takes null percentiles (nothing timed) and no first error', () => {
    assert.deepEqual(windowFigures({ ok: true, count: 0, p50_us: null, p99_us: null, errors: 0, first_error: null }), { count: 0, p50Micros: null, p99Micros: null, errors: 0, firstError: null });
  });

  void it('refuses a window without its count or with a mistyped percentile', () => {
    assert.throws(() => windowFigures({ ok: true, errors: 0 }), /without count or errors/);
    assert.throws(() => windowFigures({ ok: true, count: 1, errors: 0, p50_us: '1', p99_us: 2 }), /p50_us is not a number/);
  });
});

void describe('bench:grpc CountingWindow', () => {
  void it('counts and times only between open and close', () => {
    const window = new CountingWindow();
    window.record(5e6);
    window.open();
    for (let i = 1; i <= 100; i++) window.record(i * 1000);
    window.record(undefined); // a message without a born time: counted, not timed
    const figures = window.close();
    window.record(1e9);
    assert.deepEqual(figures, { count: 101, p50Micros: 50, p99Micros: 99, errors: 0, firstError: null });
    assert.equal(window.close().count, 101);
  });

  void it('counts failures at any time and keeps the first one', () => {
    const window = new CountingWindow();
    window.failed(new Error('first'));
    window.open();
    window.failed('second');
    assert.deepEqual(window.close(), { count: 0, p50Micros: null, p99Micros: null, errors: 2, firstError: 'Error: first' });
  });
});
