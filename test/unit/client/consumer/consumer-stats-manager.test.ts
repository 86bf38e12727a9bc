import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeConsumerRunningInfo } from '../../../../src/client/admin/admin-bodies.js';
import { ConsumerStatsManager } from '../../../../src/client/consumer/consumer-stats-manager.js';
import { consumerRunningInfo } from '../../../../src/client/consumer/running-info.js';
import { buildSubscriptionData } from '../../../../src/client/consumer/subscription.js';

const T0 = 1_700_000_000_000;
const SECOND = 1000;

describe('ConsumerStatsManager (the consumer statusTable)', () => {
  it('reports zeros for a topic nothing was counted for', () => {
    const stats = new ConsumerStatsManager();
    stats.sample('minute', T0);
    assert.deepEqual(stats.consumeStatus('G', 'T'), { pullRT: 0, pullTPS: 0, consumeRT: 0, consumeOKTPS: 0, consumeFailedTPS: 0, consumeFailedMsgs: 0 });
  });

  it('computes the minute window as Java does: the first sample starts from zero one period back', () => {
    const stats = new ConsumerStatsManager();
    stats.incPullRT('G', 'T', 100);
    stats.incPullRT('G', 'T', 300);
    stats.incPullTPS('G', 'T', 32);
    stats.incPullTPS('G', 'T', 8);
    for (let i = 0; i < 20; i++) stats.incConsumeOKTPS('G', 'T', 1);
    stats.incConsumeRT('G', 'T', 4);
    stats.incConsumeRT('G', 'T', 6);
    // Nothing shows before the timers sample.
    assert.equal(stats.consumeStatus('G', 'T').consumeOKTPS, 0);
    stats.sample('minute', T0);
    const first = stats.consumeStatus('G', 'T');
    assert.equal(first.pullRT, 200, 'average RT per pull');
    assert.equal(first.pullTPS, 40 / 10, 'messages pulled per second over the 10 s since the zero snapshot');
    assert.equal(first.consumeOKTPS, 2);
    assert.equal(first.consumeRT, 5);
    // 10 s later, 10 more consumed: the window is now 20 s long with 30 messages in it.
    for (let i = 0; i < 10; i++) stats.incConsumeOKTPS('G', 'T', 1);
    stats.sample('minute', T0 + 10 * SECOND);
    assert.equal(stats.consumeStatus('G', 'T').consumeOKTPS, 30 / 20);
    // Keys are topic@group: another group of the same client, or another topic, has its own figures.
    assert.equal(stats.consumeStatus('G2', 'T').consumeOKTPS, 0);
    assert.equal(stats.consumeStatus('G', 'T2').pullTPS, 0);
  });

  it('drops what is older than a minute, falls back to the hour for the consume RT, and counts an hour of failures', () => {
    const stats = new ConsumerStatsManager();
    stats.incConsumeRT('G', 'T', 50);
    stats.incConsumeFailedTPS('G', 'T', 3);
    stats.sample('minute', T0);
    stats.sample('hour', T0);
    // Seven more 10 s samples with nothing new: the minute window no longer holds those calls.
    for (let i = 1; i <= 7; i++) stats.sample('minute', T0 + i * 10 * SECOND);
    const later = stats.consumeStatus('G', 'T');
    assert.equal(later.consumeFailedTPS, 0, 'no failure within the last minute');
    assert.equal(later.consumeFailedMsgs, 3, 'the failures of the last hour');
    assert.equal(later.consumeRT, 50, "no consume within the minute: the hour's average, as Java's getConsumeRT");
  });

  it('fills GET_CONSUMER_RUNNING_INFO: a ConsumeStatus per subscribed topic, which our Admin decodes', () => {
    const stats = new ConsumerStatsManager();
    stats.incConsumeOKTPS('G', 'TopicB', 5);
    stats.incConsumeFailedTPS('G', '%RETRY%G', 1);
    stats.sample('minute', T0);
    stats.sample('hour', T0);
    const source = {
      consumer: { groupName: 'G', messageModel: 'CLUSTERING', consumeType: 'CONSUME_PASSIVELY', consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET' },
      orderly: false,
      startTimestamp: T0,
      nameServers: ['127.0.0.1:9876'],
      offsetStore: undefined,
    } as const;
    const subscriptions = ['TopicB', '%RETRY%G', 'TopicA'].map((t) => buildSubscriptionData(t, '*'));
    const body = consumerRunningInfo(source, {}, subscriptions, [], stats);
    // Java's TreeMap: topics in order; ConsumeStatus fields as fastjson writes a bean (sorted).
    const raw = JSON.parse(body.toString()) as { statusTable: Record<string, Record<string, number>> };
    assert.deepEqual(Object.keys(raw.statusTable), ['%RETRY%G', 'TopicA', 'TopicB']);
    assert.deepEqual(Object.keys(raw.statusTable['TopicB'] ?? {}), ['consumeFailedMsgs', 'consumeFailedTPS', 'consumeOKTPS', 'consumeRT', 'pullRT', 'pullTPS']);
    const info = decodeConsumerRunningInfo(body);
    assert.equal(info.statusTable.get('TopicB')?.consumeOKTPS, 0.5);
    assert.equal(info.statusTable.get('TopicA')?.consumeOKTPS, 0);
    assert.equal(info.statusTable.get('%RETRY%G')?.consumeFailedMsgs, 1);
    // Without the client's statistics (the lite pull consumer, as Java's), the table is empty.
    assert.equal(decodeConsumerRunningInfo(consumerRunningInfo(source, {}, subscriptions, [])).statusTable.size, 0);
  });
});
