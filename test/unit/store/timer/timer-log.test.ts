/**
 * The timer unit's due offset (TIMER_UNIT_DUE_KNOWN and the bits above the other flags): what the read cursor
 * delivers by. Units without it are due at their slot's end, the only time an older build's unit can promise.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeTimerUnit,
  dueTimeOf,
  encodeTimerUnit,
  TIMER_UNIT_DUE_KNOWN,
  TIMER_UNIT_MAX_DUE_OFFSET,
  TIMER_UNIT_RECALL,
  TIMER_UNIT_RECALL_KNOWN,
  TIMER_UNIT_ROLL,
  withDueOffset,
  type TimerUnit,
} from '../../../../src/store/timer/timer-log.js';

const unit = (flags: number): TimerUnit => ({ flags, prevPos: -1, slotTimeMs: 1_700_000_000_000, commitLogOffset: 4096, timerQueueOffset: 7, enqueueTimeMs: 1_699_999_990_000, size: 300 });

describe('timer unit due offset', () => {
  it('keeps the other flags and survives the unit encoding', () => {
    const flags = withDueOffset(TIMER_UNIT_RECALL_KNOWN | TIMER_UNIT_RECALL | TIMER_UNIT_ROLL, 999);
    const decoded = decodeTimerUnit(encodeTimerUnit(unit(flags)));
    assert.ok(decoded !== undefined);
    assert.equal(decoded.flags & (TIMER_UNIT_RECALL_KNOWN | TIMER_UNIT_RECALL | TIMER_UNIT_ROLL), TIMER_UNIT_RECALL_KNOWN | TIMER_UNIT_RECALL | TIMER_UNIT_ROLL);
    assert.equal(dueTimeOf(decoded, 1000), 1_700_000_000_999);
  });

  it('is due at the slot itself for offset 0, and up to the largest offset the bits hold', () => {
    assert.equal(dueTimeOf(unit(withDueOffset(0, 0)), 1000), 1_700_000_000_000);
    const largest = decodeTimerUnit(encodeTimerUnit(unit(withDueOffset(TIMER_UNIT_RECALL_KNOWN, TIMER_UNIT_MAX_DUE_OFFSET))));
    assert.ok(largest !== undefined && largest.flags > 0, 'the flags stay a positive int32');
    assert.equal(dueTimeOf(largest, 10_000_000), 1_700_000_000_000 + TIMER_UNIT_MAX_DUE_OFFSET);
  });

  it('records nothing it cannot hold: the unit is then due at its slot end', () => {
    for (const offset of [-1, 1.5, TIMER_UNIT_MAX_DUE_OFFSET + 1, Number.NaN]) {
      const flags = withDueOffset(TIMER_UNIT_RECALL_KNOWN, offset);
      assert.equal(flags, TIMER_UNIT_RECALL_KNOWN, `offset ${offset}`);
      assert.equal(flags & TIMER_UNIT_DUE_KNOWN, 0);
      assert.equal(dueTimeOf(unit(flags), 1000), 1_700_000_001_000);
    }
  });

  it('reads a unit filed before the offset existed as due at its slot end', () => {
    assert.equal(dueTimeOf(unit(TIMER_UNIT_RECALL_KNOWN), 1000), 1_700_000_001_000);
    assert.equal(dueTimeOf(unit(0), 100), 1_700_000_000_100);
  });
});
