import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TopicPublishInfo, topicRouteData2TopicPublishInfo } from '../../../src/client/index.js';
import { topicRouteDataChanged } from '../../../src/client/route/topic-route.js';
import type { BrokerData, QueueData, TopicRouteData } from '../../../src/index.js';

function qd(brokerName: string, writeQueueNums: number, perm = 6): QueueData {
  return { brokerName, readQueueNums: writeQueueNums, writeQueueNums, perm, topicSysFlag: 0 };
}

function bd(brokerName: string, ids: number[]): BrokerData {
  return { cluster: 'C', brokerName, brokerAddrs: new Map(ids.map((id) => [id, `10.0.0.${id + 1}:10911`])), enableActingMaster: false };
}

function route(queueDatas: QueueData[], brokerDatas: BrokerData[], orderTopicConf?: string): TopicRouteData {
  return { queueDatas, brokerDatas, filterServerTable: new Map(), orderTopicConf };
}

describe('topicRouteData2TopicPublishInfo', () => {
  it("orders queues by broker name (QueueData.compareTo) and keeps writable ones whose broker has a master", () => {
    const info = topicRouteData2TopicPublishInfo(
      'T',
      route(
        [qd('broker-c', 2), qd('broker-a', 3), qd('broker-b', 2, 4), qd('broker-d', 1), qd('Broker-Z', 1)],
        [bd('broker-a', [0, 1]), bd('broker-b', [0]), bd('broker-c', [0]), bd('broker-d', [1]), bd('Broker-Z', [0])],
      ),
    );
    assert.equal(info.orderTopic, false);
    assert.deepEqual(
      info.messageQueueList.map((mq) => `${mq.brokerName}/${mq.queueId}`),
      // Upper case sorts first (UTF-16 order); broker-b is read-only; broker-d has no master.
      ['Broker-Z/0', 'broker-a/0', 'broker-a/1', 'broker-a/2', 'broker-c/0', 'broker-c/1'],
    );
  });

  it('takes orderTopicConf as it is', () => {
    const info = topicRouteData2TopicPublishInfo('T', route([qd('broker-a', 8)], [bd('broker-a', [0])], 'broker-b:2;broker-a:1'));
    assert.equal(info.orderTopic, true);
    assert.deepEqual(info.messageQueueList.map((mq) => `${mq.brokerName}/${mq.queueId}`), ['broker-b/0', 'broker-b/1', 'broker-a/0']);
  });
});

describe('TopicPublishInfo', () => {
  it('round-robins over every queue, and filters without skipping a turn', () => {
    const info = topicRouteData2TopicPublishInfo('T', route([qd('a', 2), qd('b', 2)], [bd('a', [0]), bd('b', [0])]));
    const seen = Array.from({ length: 8 }, () => info.selectOneMessageQueue());
    const names = seen.map((mq) => `${mq?.brokerName}/${mq?.queueId}`);
    assert.equal(new Set(names.slice(0, 4)).size, 4);
    assert.deepEqual(names.slice(4), names.slice(0, 4));
    for (let i = 0; i < 10; i++) assert.equal(info.selectOneMessageQueue((mq) => mq.brokerName === 'b')?.brokerName, 'b');
    assert.equal(info.selectOneMessageQueue(() => false), undefined);
    assert.equal(new TopicPublishInfo().selectOneMessageQueue(), undefined);
  });
});

describe('topicRouteDataChanged', () => {
  it('ignores the order of queue and broker data, and sees any other difference', () => {
    const a = route([qd('a', 4), qd('b', 4)], [bd('a', [0, 1]), bd('b', [0])]);
    const reordered = route([qd('b', 4), qd('a', 4)], [bd('b', [0]), { ...bd('a', [1, 0]) }]);
    assert.equal(topicRouteDataChanged(a, reordered), false);
    assert.equal(topicRouteDataChanged(undefined, a), true);
    assert.equal(topicRouteDataChanged(a, route([qd('a', 4), qd('b', 8)], [bd('a', [0, 1]), bd('b', [0])])), true);
    assert.equal(topicRouteDataChanged(a, route([qd('a', 4), qd('b', 4)], [bd('a', [0]), bd('b', [0])])), true);
  });
});
