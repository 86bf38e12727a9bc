import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createConsoleLogger, silentLogger } from '../../../src/common/logger.js';

void describe('logger', () => {
  void it('silentLogger writes nothing', (t) => {
    const write = t.mock.method(process.stdout, 'write', () => true);
    silentLogger.debug('a');
    silentLogger.info('b');
    silentLogger.warn('c');
    silentLogger.error('d', new Error('e'));
    assert.equal(write.mock.callCount(), 0);
  });

  void it('createConsoleLogger writes one line per record: ISO time, level, component, message, args', (t) => {
    const write = t.mock.method(process.stdout, 'write', () => true);
    const log = createConsoleLogger('namesrv');
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    log.info('started', 'on', 9876, { a: 1 }, circular);
    log.warn('plain');
    const lines = write.mock.calls.map((c) => String(c.arguments[0]));
    assert.equal(lines.length, 2);
    assert.match(lines[0] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO  \[namesrv\] started on 9876 \{"a":1\} \[object Object\]\n$/);
    assert.match(lines[1] ?? '', /^\S+ WARN  \[namesrv\] plain\n$/);
  });

  void it('writes errors with their stack', (t) => {
    const write = t.mock.method(process.stdout, 'write', () => true);
    createConsoleLogger('broker').error('failed', new Error('disk full'));
    const line = String(write.mock.calls[0]?.arguments[0]);
    assert.match(line, /ERROR \[broker\] failed Error: disk full\n\s+at /);
  });

  void it('drops records below the level (default info)', (t) => {
    const write = t.mock.method(process.stdout, 'write', () => true);
    createConsoleLogger('x').debug('hidden');
    assert.equal(write.mock.callCount(), 0);
    const warnOnly = createConsoleLogger('x', 'warn');
    warnOnly.info('hidden');
    warnOnly.warn('shown');
    warnOnly.error('shown');
    assert.equal(write.mock.callCount(), 2);
    createConsoleLogger('x', 'debug').debug('shown');
    assert.equal(write.mock.callCount(), 3);
  });
});
