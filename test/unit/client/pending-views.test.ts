import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { finishedHalfOffsets, pendingHalfMessages, pendingTimerRecords } from '../../../src/client/admin/pending-views.js';
import { MessageExt } from '../../../src/index.js';

const NOW = 1_700_000_000_000;

/** A stored record of `topic` at `queueOffset` with the given properties. */
function record(topic: string, queueOffset: number, properties: Record<string, string>, body = 'b', born = NOW - 60_000): MessageExt {
  const msg = new MessageExt(topic, Buffer.from(body));
  msg.properties = new Map(Object.entries(properties));
  msg.queueOffset = queueOffset;
  msg.bornTimestamp = born;
  return msg;
}

function half(queueOffset: number, id: string, extra: Record<string, string> = {}, born?: number): MessageExt {
  return record('RMQ_SYS_TRANS_HALF_TOPIC', queueOffset, { UNIQ_KEY: id, __transactionId__: id, REAL_TOPIC: 'Orders', REAL_QID: '1', PGROUP: 'TxPG', TAGS: 'T', KEYS: 'k1 k2', ...extra }, `body ${id}`, born);
}

function op(body: string): MessageExt {
  return record('RMQ_SYS_TRANS_OP_HALF_TOPIC', 0, { TAGS: 'd' }, body);
}

describe('pending transactions from the half and op queues', () => {
  it('reads op bodies of 4.9 ("17") and 5.x ("17,18,21,"), skipping what does not parse', () => {
    assert.deepEqual([...finishedHalfOffsets([op('17'), op('18,21,'), op('x,22, 23 ,')])].sort((a, b) => a - b), [17, 18, 21, 22, 23]);
  });

  it('lists what no op names, with its age, check count and real topic, oldest first', () => {
    const records = [half(0, 'A', {}, NOW - 90_000), half(1, 'B', {}, NOW - 30_000), half(2, 'C', {}, NOW - 60_000)];
    const pending = pendingHalfMessages(records, finishedHalfOffsets([op('1,')]), 0, 'broker-a', NOW);
    assert.deepEqual(pending.map((p) => p.msgId), ['A', 'C']);
    assert.deepEqual(pending[0], {
      brokerName: 'broker-a',
      msgId: 'A',
      topic: 'Orders',
      producerGroup: 'TxPG',
      tags: 'T',
      keys: ['k1', 'k2'],
      bornTimestamp: NOW - 90_000,
      ageMillis: 90_000,
      checkTimes: 0,
      halfOffset: 0,
      body: 'body A',
    });
  });

  it("follows the check's renewed copies: the latest record counts, and an end naming either record finishes it", () => {
    const records = [
      half(0, 'A'),
      half(1, 'B'),
      // The check renewed both (the copy carries the first record's offset) and asked once each.
      half(2, 'A', { TRANSACTION_CHECK_TIMES: '1', TRAN_PREPARED_QUEUE_OFFSET: '0' }),
      half(3, 'B', { TRANSACTION_CHECK_TIMES: '1', TRAN_PREPARED_QUEUE_OFFSET: '1' }),
      half(4, 'A', { TRANSACTION_CHECK_TIMES: '2', TRAN_PREPARED_QUEUE_OFFSET: '0' }),
    ];
    // B's producer committed the record it was told about (offset 1); A is still open after 2 checks.
    const pending = pendingHalfMessages(records, finishedHalfOffsets([op('1,')]), 2, 'broker-a', NOW);
    assert.deepEqual(pending.map((p) => [p.msgId, p.halfOffset, p.checkTimes]), [['A', 4, 2]]);
  });

  it('leaves out what the check passed for good (given up after its last check: no record at or after its offset)', () => {
    const records = [half(0, 'Old'), half(1, 'New')];
    assert.deepEqual(pendingHalfMessages(records, new Set(), 1, 'b', NOW).map((p) => p.msgId), ['New']);
  });
});

describe('pending timer messages from the timer wheel topic', () => {
  const timer = (queueOffset: number, id: string, out: number, extra: Record<string, string> = {}): MessageExt =>
    record('rmq_sys_wheel_timer', queueOffset, { UNIQ_KEY: id, TIMER_OUT_MS: String(out), REAL_TOPIC: 'Later', REAL_QID: '0', ...extra }, `t ${id}`);

  it('lists what is not due yet, soonest first, without recalled ones, the newest copy of a rolled one', () => {
    const records = [
      timer(0, 'Due', NOW - 1),
      timer(1, 'Hour', NOW + 3_600_000, { KEYS: 'h' }),
      timer(2, 'Minute', NOW + 60_000),
      timer(3, 'Recalled', NOW + 120_000),
      // A recall marker names "<topic>+<UNIQ_KEY>" and is no message of its own.
      timer(4, 'Marker', NOW + 120_000, { TIMER_DEL_UNIQKEY: 'Later+Recalled' }),
      // Rolled over: stored again with its roll count.
      timer(5, 'Hour', NOW + 3_600_000, { KEYS: 'h', TIMER_ROLL_TIMES: '1' }),
    ];
    const pending = pendingTimerRecords(records, 'broker-a', NOW);
    assert.deepEqual(pending.map((p) => [p.msgId, p.deliverTimestamp, p.wheelOffset, p.rollTimes]), [
      ['Minute', NOW + 60_000, 2, 0],
      ['Hour', NOW + 3_600_000, 5, 1],
    ]);
    assert.deepEqual([pending[1]?.topic, pending[1]?.keys, pending[1]?.body, pending[1]?.brokerName], ['Later', ['h'], 't Hour', 'broker-a']);
  });
});
