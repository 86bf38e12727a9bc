import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BrokerStatsManager, StatsName } from '../../../../src/broker/stats/broker-stats-manager.js';

/** A manager on a hand-driven clock: sampling passes are called by the test, as the timers would. */
function manager(): { stats: BrokerStatsManager; clock: { now: number } } {
  const clock = { now: 1_000_000 };
  const stats = new BrokerStatsManager({ clusterName: 'C', isSystemTopic: (t) => t.startsWith('rmq_sys_') || t === 'TBW102', now: () => clock.now });
  return { stats, clock };
}

describe('BrokerStatsManager', () => {
  it('keeps Java\'s minute window: 7 samples 10 s apart, the first from a zero snapshot one period back', () => {
    const { stats, clock } = manager();
    stats.incTopicPut('T', 3, 300);
    stats.sample('minute');
    // The first sample compares against (now - 10 s, 0): 3 messages in 10 s.
    assert.deepEqual(stats.getStatsItem(StatsName.TOPIC_PUT_NUMS, 'T')?.snapshot('minute'), { sum: 3, tps: 0.3, avgpt: 3, times: 1 });
    for (let i = 0; i < 10; i++) {
      clock.now += 10_000;
      stats.incTopicPut('T', 2, 100);
      stats.sample('minute');
    }
    // Only the last 7 snapshots stay: 6 intervals of 10 s, 2 messages (one batch) each.
    const minute = stats.getStatsItem(StatsName.TOPIC_PUT_NUMS, 'T')?.snapshot('minute');
    assert.deepEqual(minute, { sum: 12, tps: 0.2, avgpt: 2, times: 6 });
    assert.equal(stats.getStatsItem(StatsName.TOPIC_PUT_SIZE, 'T')?.snapshot('minute').sum, 600);
    // The hour window was never sampled: zeros, as Java's empty list.
    assert.deepEqual(stats.getStatsItem(StatsName.TOPIC_PUT_NUMS, 'T')?.snapshot('hour'), { sum: 0, tps: 0, avgpt: 0, times: 0 });
  });

  it('keys group gets topic@group and broker totals by cluster, system topics left out of today\'s totals', () => {
    const { stats } = manager();
    stats.incGroupGet('G', 'T', 5, 500);
    stats.incBrokerGet('T', 5);
    stats.incBrokerGet('rmq_sys_wheel_timer', 2);
    stats.incTopicPut('T', 1, 10);
    stats.incTopicPut('TBW102', 4, 40);
    assert.equal(stats.getStatsItem(StatsName.GROUP_GET_NUMS, 'T@G')?.value, 5);
    assert.equal(stats.getStatsItem(StatsName.GROUP_GET_SIZE, 'T@G')?.value, 500);
    assert.equal(stats.getStatsItem(StatsName.BROKER_GET_NUMS, 'C')?.value, 7);
    assert.equal(stats.getStatsItem(StatsName.BROKER_PUT_NUMS, 'C')?.value, 5);
    assert.equal(stats.getStatsItem(StatsName.GROUP_GET_NUMS, 'G@T'), undefined);
    assert.equal(stats.getStatsItem('NO_SUCH_STATS', 'C'), undefined);
    assert.deepEqual(stats.dailyTotals(), {
      msgPutTotalYesterdayMorning: 0,
      msgPutTotalTodayMorning: 0,
      msgPutTotalTodayNow: 1,
      msgGetTotalYesterdayMorning: 0,
      msgGetTotalTodayMorning: 0,
      msgGetTotalTodayNow: 5,
    });
  });

  it('rolls today\'s morning into yesterday\'s at midnight', () => {
    const { stats } = manager();
    stats.incTopicPut('T', 10, 1);
    stats.recordMidnight();
    stats.incTopicPut('T', 4, 1);
    stats.incBrokerGet('T', 3);
    stats.recordMidnight();
    const totals = stats.dailyTotals();
    assert.deepEqual(
      [totals.msgPutTotalYesterdayMorning, totals.msgPutTotalTodayMorning, totals.msgPutTotalTodayNow, totals.msgGetTotalTodayMorning],
      [10, 14, 14, 3],
    );
  });

  it('forgets a deleted topic\'s and a deleted group\'s items', () => {
    const { stats } = manager();
    stats.incTopicPut('T', 1, 1);
    stats.incGroupGet('G', 'T', 1, 1);
    stats.incGroupGet('H', 'U', 1, 1);
    stats.incSendBackNums('H', 'T');
    stats.onTopicDeleted('T');
    assert.equal(stats.getStatsItem(StatsName.TOPIC_PUT_NUMS, 'T'), undefined);
    assert.equal(stats.getStatsItem(StatsName.GROUP_GET_NUMS, 'T@G'), undefined);
    assert.equal(stats.getStatsItem(StatsName.SNDBCK_PUT_NUMS, 'T@H'), undefined);
    assert.equal(stats.getStatsItem(StatsName.GROUP_GET_NUMS, 'U@H')?.value, 1);
    stats.onGroupDeleted('H');
    assert.equal(stats.getStatsItem(StatsName.GROUP_GET_NUMS, 'U@H'), undefined);
    assert.deepEqual([...stats.statsItemSet(StatsName.GROUP_GET_NUMS).pairEntries()], []);
  });

  it('keeps schedule-queue puts and gets under Java\'s keys', () => {
    const { stats } = manager();
    stats.incQueuePut('SCHEDULE_TOPIC_XXXX', 2, 1, 120);
    stats.incQueueGet('SCHEDULE_CONSUMER', 'SCHEDULE_TOPIC_XXXX', 2, 1, 120);
    assert.equal(stats.getStatsItem(StatsName.QUEUE_PUT_SIZE, 'SCHEDULE_TOPIC_XXXX@2')?.value, 120);
    assert.equal(stats.getStatsItem(StatsName.QUEUE_GET_NUMS, 'SCHEDULE_TOPIC_XXXX@2@SCHEDULE_CONSUMER')?.value, 1);
  });

  it('starts and stops its timers without keeping the process alive', () => {
    const { stats } = manager();
    stats.start();
    stats.start();
    // start() samples at once (Java's initial delay 0), so a counted put shows in the next sample's window.
    stats.incTopicPut('T', 1, 1);
    stats.shutdown();
    assert.equal(stats.getStatsItem(StatsName.BROKER_PUT_NUMS, 'C')?.snapshot('minute').sum, 0);
  });
});
