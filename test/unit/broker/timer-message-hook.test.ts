/**
 * The timer put hook (HookUtils.handleScheduleMessage / transformTimerMessage, Java 5.3.3) and the timer log's unit
 * layout: the rounding that keeps a timer from ever firing early, the property priority, Long.parseLong's rules, and
 * what is left alone.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { handlePutHooks, recallHandleOf } from '../../../src/broker/timer/timer-message-hook.js';
import { ResponseCode } from '../../../src/protocol/index.js';
import { MessageExtBrokerInner, MessageSysFlag } from '../../../src/protocol/message/index.js';
import { TIMER_UNIT_SIZE, decodeTimerUnit, encodeTimerUnit } from '../../../src/store/timer/timer-log.js';

const config = { timerWheelEnable: true, timerPrecisionMs: 1000, timerMaxDelaySec: 259_200 };
const NOW = 1_800_000_000_123;

function message(properties: Record<string, string>, sysFlag = 0): MessageExtBrokerInner {
  const msg = new MessageExtBrokerInner();
  msg.topic = 'T';
  msg.queueId = 3;
  msg.sysFlag = sysFlag;
  msg.properties = new Map(Object.entries({ UNIQ_KEY: 'U1', ...properties }));
  return msg;
}

describe('the timer put hook', () => {
  it('rounds down to the precision, an exact multiple to the step before: the slot fires at its end, never early', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000_000 }), fc.constantFrom(1, 10, 100, 1000), (delay, precision) => {
        const msg = message({ TIMER_DELAY_MS: String(delay) });
        assert.equal(handlePutHooks(msg, { ...config, timerPrecisionMs: precision }, 18, NOW), undefined);
        const out = Number(msg.properties.get('TIMER_OUT_MS'));
        const due = NOW + delay;
        assert.equal(out % precision, 0);
        assert.ok(out < due && due <= out + precision, `${delay} at ${precision}: out ${out}`);
        assert.equal(msg.topic, 'rmq_sys_wheel_timer');
        assert.equal(msg.queueId, 0);
        assert.equal(msg.properties.get('REAL_TOPIC'), 'T');
        assert.equal(msg.properties.get('REAL_QID'), '3');
      }),
    );
  });

  it('takes TIMER_DELAY_SEC, then TIMER_DELAY_MS, then TIMER_DELIVER_MS', () => {
    const msg = message({ TIMER_DELAY_SEC: '2', TIMER_DELAY_MS: '9000', TIMER_DELIVER_MS: String(NOW + 60_000) });
    handlePutHooks(msg, config, 18, NOW);
    assert.equal(msg.properties.get('TIMER_OUT_MS'), String(Math.floor((NOW + 2000) / 1000) * 1000));
    const ms = message({ TIMER_DELAY_MS: '9000', TIMER_DELIVER_MS: String(NOW + 60_000) });
    handlePutHooks(ms, config, 18, NOW);
    assert.equal(ms.properties.get('TIMER_OUT_MS'), String(Math.floor((NOW + 9000) / 1000) * 1000));
  });

  it('refuses what Long.parseLong refuses, and times beyond timerMaxDelaySec, with MESSAGE_ILLEGAL', () => {
    for (const value of ['abc', '1.5', '', ' 5', '5 ', '0x10', '99999999999999999999']) {
      const refused = handlePutHooks(message({ TIMER_DELAY_MS: value }), config, 18, NOW);
      assert.equal(refused?.code, ResponseCode.MESSAGE_ILLEGAL, JSON.stringify(value));
    }
    assert.equal(handlePutHooks(message({ TIMER_DELAY_MS: '+1500' }), config, 18, NOW), undefined, 'Java accepts a plus sign');
    assert.equal(handlePutHooks(message({ TIMER_DELAY_SEC: '259200' }), config, 18, NOW), undefined, 'exactly the max');
    assert.equal(handlePutHooks(message({ TIMER_DELAY_SEC: '259201' }), config, 18, NOW)?.code, ResponseCode.MESSAGE_ILLEGAL);
  });

  it('leaves a past time, a delivered copy, the timer topic, halves and rollbacks alone; a DELAY level wins', () => {
    const past = message({ TIMER_DELIVER_MS: String(NOW - 1) });
    assert.equal(handlePutHooks(past, config, 18, NOW), undefined);
    assert.equal(past.topic, 'T');
    assert.equal(handlePutHooks(message({ TIMER_DELIVER_MS: String(NOW), TIMER_DEL_UNIQKEY: 'T+U0' }), config, 18, NOW)?.code, ResponseCode.MESSAGE_ILLEGAL);
    const delivered = message({ TIMER_DELAY_MS: '5000', TIMER_OUT_MS: String(NOW) });
    handlePutHooks(delivered, config, 18, NOW);
    assert.equal(delivered.topic, 'T');
    const rolled = message({ TIMER_DELAY_MS: '5000' });
    rolled.topic = 'rmq_sys_wheel_timer';
    handlePutHooks(rolled, config, 18, NOW);
    assert.equal(rolled.properties.get('TIMER_OUT_MS'), undefined, 'a re-put into the timer topic is not transformed');
    const half = message({ TIMER_DELAY_MS: '5000' }, MessageSysFlag.TRANSACTION_PREPARED_TYPE);
    handlePutHooks(half, config, 18, NOW);
    assert.equal(half.topic, 'T');
    const committed = message({ TIMER_DELAY_MS: '5000' }, MessageSysFlag.TRANSACTION_COMMIT_TYPE);
    handlePutHooks(committed, config, 18, NOW);
    assert.equal(committed.topic, 'rmq_sys_wheel_timer', 'a committed transactional timer message waits');
    const level = message({ DELAY: '2', TIMER_DELAY_MS: '5000', TIMER_DELIVER_MS: '1' });
    handlePutHooks(level, config, 18, NOW);
    assert.equal(level.topic, 'SCHEDULE_TOPIC_XXXX');
    assert.equal(level.properties.get('TIMER_DELAY_MS'), undefined);
    assert.equal(level.properties.get('TIMER_DELIVER_MS'), undefined);
  });

  it('refuses timer messages with SYSTEM_ERROR when timerWheelEnable is off, and lets others through', () => {
    const off = { ...config, timerWheelEnable: false };
    assert.deepEqual(handlePutHooks(message({ TIMER_DELAY_MS: '5000' }), off, 18, NOW), {
      code: ResponseCode.SYSTEM_ERROR,
      remark: 'accurate timer message is not enabled, timerWheelEnable is false',
    });
    assert.equal(handlePutHooks(message({}), off, 18, NOW), undefined);
  });

  it('builds the recall handle as Java: padded URL-safe Base64 of v1, topic, broker, TIMER_OUT_MS + 1 and UNIQ_KEY', () => {
    const msg = message({ TIMER_DELAY_MS: '5000' });
    handlePutHooks(msg, config, 18, NOW);
    const handle = recallHandleOf(msg, 'broker-a') ?? '';
    assert.equal(Buffer.from(handle, 'base64').toString('utf8'), `v1 T broker-a ${Number(msg.properties.get('TIMER_OUT_MS')) + 1} U1`);
    assert.match(handle, /^[A-Za-z0-9_-]+=*$/);
    assert.equal(recallHandleOf(message({}), 'broker-a'), undefined);
  });
});

describe('timer log units', () => {
  it('round-trip, and a flipped byte or a short read is no unit', () => {
    const unit = { flags: 1, prevPos: -1, slotTimeMs: NOW - (NOW % 1000), commitLogOffset: 123_456_789, timerQueueOffset: 42, enqueueTimeMs: NOW, size: 321 };
    const bytes = encodeTimerUnit(unit);
    assert.equal(bytes.length, TIMER_UNIT_SIZE);
    assert.deepEqual(decodeTimerUnit(bytes), unit);
    for (let i = 0; i < bytes.length; i++) {
      const damaged = Buffer.from(bytes);
      damaged[i] = (damaged[i] ?? 0) ^ 0x40;
      assert.equal(decodeTimerUnit(damaged), undefined, `byte ${i}`);
    }
    assert.equal(decodeTimerUnit(bytes.subarray(0, TIMER_UNIT_SIZE - 1)), undefined);
    assert.equal(decodeTimerUnit(Buffer.alloc(TIMER_UNIT_SIZE)), undefined, 'zeros');
  });
});
