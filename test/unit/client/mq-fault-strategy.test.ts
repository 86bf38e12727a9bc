import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MQFaultStrategy, topicRouteData2TopicPublishInfo } from '../../../src/client/index.js';
import type { TopicRouteData } from '../../../src/index.js';

function twoBrokers(): ReturnType<typeof topicRouteData2TopicPublishInfo> {
  const route: TopicRouteData = {
    queueDatas: ['a', 'b'].map((brokerName) => ({ brokerName, readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 })),
    brokerDatas: ['a', 'b'].map((brokerName) => ({ cluster: 'C', brokerName, brokerAddrs: new Map([[0, `${brokerName}:1`]]), enableActingMaster: false })),
    filterServerTable: new Map(),
  };
  return topicRouteData2TopicPublishInfo('T', route);
}

describe('MQFaultStrategy', () => {
  it("maps latency to Java's notAvailableDuration steps", () => {
    const strategy = new MQFaultStrategy({ sendLatencyFaultEnable: true });
    const cases: [number, number][] = [[0, 0], [49, 0], [100, 0], [549, 0], [550, 2000], [1800, 5000], [2999, 5000], [3000, 6000], [5000, 10000], [15000, 30000], [10000, 10000]];
    for (const [latency, duration] of cases) assert.equal(strategy.computeNotAvailableDuration(latency), duration, `${latency} ms`);
  });

  it('isolates a failed broker for 10 s and sends elsewhere meanwhile', () => {
    let now = 1_000_000;
    const strategy = new MQFaultStrategy({ sendLatencyFaultEnable: true, now: () => now });
    const info = twoBrokers();
    strategy.updateFaultItem('b', 5, true, true);
    assert.equal(strategy.isAvailable('b'), false);
    for (let i = 0; i < 20; i++) assert.equal(strategy.selectOneMessageQueue(info, undefined, false)?.brokerName, 'a');
    now += 9_999;
    assert.equal(strategy.isAvailable('b'), false);
    now += 1;
    assert.equal(strategy.isAvailable('b'), true);
    // A slow answer (600 ms) costs 2 s; a fast one nothing.
    strategy.updateFaultItem('a', 600, false, true);
    assert.equal(strategy.isAvailable('a'), false);
    now += 2000;
    strategy.updateFaultItem('a', 10, false, true);
    assert.equal(strategy.isAvailable('a'), true);
  });

  it('avoids the previous attempt’s broker, and falls back to any queue when all are out', () => {
    for (const enabled of [true, false]) {
      const strategy = new MQFaultStrategy({ sendLatencyFaultEnable: enabled, now: () => 0 });
      const info = twoBrokers();
      for (let i = 0; i < 10; i++) assert.equal(strategy.selectOneMessageQueue(info, 'a', i % 2 === 0)?.brokerName, 'b');
      strategy.updateFaultItem('a', 0, true, false);
      strategy.updateFaultItem('b', 0, true, false);
      assert.ok(strategy.selectOneMessageQueue(info, 'a', false) !== undefined);
    }
  });

  it('records nothing when disabled', () => {
    const strategy = new MQFaultStrategy({ sendLatencyFaultEnable: false });
    strategy.updateFaultItem('a', 20_000, true, false);
    assert.equal(strategy.isAvailable('a'), true);
  });
});
