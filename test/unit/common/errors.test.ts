import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  RemotingCommandError,
  RemotingConnectError,
  RemotingSendRequestError,
  RemotingShutdownError,
  RemotingTimeoutError,
  RemotingTooMuchRequestError,
  RocketMQError,
  exceptionSimpleDesc,
} from '../../../src/common/errors.js';

void describe('error classes', () => {
  const cause = new Error('socket hang up');
  const cases: { err: RocketMQError; name: string; code: string; retriable: boolean; message: string }[] = [
    { err: new RemotingCommandError('bad frame', { cause }), name: 'RemotingCommandError', code: 'REMOTING_COMMAND', retriable: false, message: 'bad frame' },
    { err: new RemotingConnectError('10.0.0.1:9876'), name: 'RemotingConnectError', code: 'REMOTING_CONNECT', retriable: true, message: 'connect to 10.0.0.1:9876 failed' },
    { err: new RemotingSendRequestError('10.0.0.1:10911', undefined, { cause }), name: 'RemotingSendRequestError', code: 'REMOTING_SEND_REQUEST', retriable: true, message: 'send request to 10.0.0.1:10911 failed' },
    { err: new RemotingTimeoutError('10.0.0.1:10911', 3000), name: 'RemotingTimeoutError', code: 'REMOTING_TIMEOUT', retriable: true, message: 'wait response on 10.0.0.1:10911 timeout, 3000ms' },
    { err: new RemotingTooMuchRequestError('too many'), name: 'RemotingTooMuchRequestError', code: 'REMOTING_TOO_MUCH_REQUEST', retriable: true, message: 'too many' },
    { err: new RemotingShutdownError(), name: 'RemotingShutdownError', code: 'REMOTING_SHUTDOWN', retriable: false, message: 'remoting endpoint is not running' },
  ];

  for (const c of cases) {
    void it(`${c.name}: code, retriable, message, name and instanceof chain`, () => {
      assert.equal(c.err.name, c.name);
      assert.equal(c.err.code, c.code);
      assert.equal(c.err.retriable, c.retriable);
      assert.equal(c.err.message, c.message);
      assert.ok(c.err instanceof RocketMQError);
      assert.ok(c.err instanceof Error);
      assert.equal(c.err.constructor.name, c.name);
      assert.match(String(c.err), new RegExp(`^${c.name}: `));
      assert.match(c.err.stack ?? '', new RegExp(`^${c.name}: `), 'the stack header names the subclass');
      assert.match(c.err.stack ?? '', /errors\.test\.(js|ts)/, 'the stack points at the creator');
    });
  }

  void it('subclasses are distinct', () => {
    const timeout = new RemotingTimeoutError('a', 1);
    assert.equal(timeout instanceof RemotingCommandError, false);
    assert.equal(timeout instanceof RemotingSendRequestError, false);
    assert.equal(new RemotingConnectError('a') instanceof RemotingSendRequestError, false);
  });

  void it('carries addr, timeoutMillis, cause and custom messages', () => {
    const connect = new RemotingConnectError('h:1', 'refused', { cause });
    assert.equal(connect.addr, 'h:1');
    assert.equal(connect.message, 'refused');
    assert.equal(connect.cause, cause);
    const send = new RemotingSendRequestError('h:2', undefined, { cause });
    assert.equal(send.addr, 'h:2');
    assert.equal(send.cause, cause);
    const timeout = new RemotingTimeoutError('h:3', 250, 'no permit within 250ms');
    assert.equal(timeout.addr, 'h:3');
    assert.equal(timeout.timeoutMillis, 250);
    assert.equal(timeout.message, 'no permit within 250ms');
    assert.equal(new RemotingCommandError('x', { cause }).cause, cause);
    assert.equal(new RemotingShutdownError('closed').message, 'closed');
    const base = new RocketMQError('m', 'CUSTOM', true);
    assert.equal(base.name, 'RocketMQError');
    assert.equal(base.code, 'CUSTOM');
    assert.equal(base.retriable, true);
  });
});

void describe('exceptionSimpleDesc (UtilAll.exceptionSimpleDesc)', () => {
  function thrower(): never {
    throw new TypeError('boom');
  }

  void it('is the error and the first stack frame', () => {
    let caught: unknown;
    try {
      thrower();
    } catch (err) {
      caught = err;
    }
    const desc = exceptionSimpleDesc(caught);
    assert.match(desc, /^TypeError: boom, thrower \(.*errors\.test\.js:\d+:\d+\)$/);
    assert.equal(desc.includes('\n'), false);
  });

  void it('names project error subclasses', () => {
    assert.match(exceptionSimpleDesc(new RemotingCommandError('bad header')), /^RemotingCommandError: bad header, (?!at )\S/);
  });

  void it('is just the error when there is no stack', () => {
    const err = new Error('no stack');
    err.stack = undefined;
    assert.equal(exceptionSimpleDesc(err), 'Error: no stack');
    const custom = new Error('odd');
    custom.stack = 'something without frames';
    assert.equal(exceptionSimpleDesc(custom), 'Error: odd');
  });

  void it('takes the first frame of the stack, not a line of a multi-line message', () => {
    const message = 'line one\n    at forged (evil.js:1:1)\nline three';
    const desc = exceptionSimpleDesc(new Error(message));
    assert.ok(desc.startsWith(`Error: ${message}, `) && !desc.includes(', at '), desc);
    const frame = desc.slice(`Error: ${message}, `.length);
    assert.match(frame, /^(?!at ).*errors\.test\.js:\d+:\d+\)?$/);
  });

  void it('stringifies non-errors', () => {
    assert.equal(exceptionSimpleDesc('plain'), 'plain');
    assert.equal(exceptionSimpleDesc(42), '42');
    assert.equal(exceptionSimpleDesc(undefined), 'undefined');
    assert.equal(exceptionSimpleDesc(null), 'null');
    assert.equal(exceptionSimpleDesc({ toString: () => 'obj' }), 'obj');
  });
});
