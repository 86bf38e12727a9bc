import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AllocateMessageQueueAveragely,
  AllocateMessageQueueAveragelyByCircle,
  AllocateMessageQueueByConfig,
  AllocateMessageQueueConsistentHash,
  compareMessageQueue,
  type AllocateMessageQueueStrategy,
} from '../../../../src/client/consumer/allocate-strategy.js';
import type { MessageQueue } from '../../../../src/client/index.js';

/**
 * Computed once with rocketmq-client 5.3.3 (the jars of interop/target/5.3.3/classpath.txt) by a single-file Java
 * program: for each "<queues>x<clients>" shape, queues MessageQueue("TopicTest", i % 2 == 0 ? "broker-a" :
 * "broker-b", i / 2) and client ids "127.0.0.1@<1000 + 37 i>#node<i>", both Collections.sort'ed as RebalanceImpl
 * does, then strategy.allocate("cg", cid, mqs, cids) for every cid, printed as indexes into the sorted queues.
 */
const JAVA_VECTORS: Record<string, Record<string, number[][]>> = {
  AVG: {
    '8x1': [[0, 1, 2, 3, 4, 5, 6, 7]],
    '8x2': [[0, 1, 2, 3], [4, 5, 6, 7]],
    '8x3': [[0, 1, 2], [3, 4, 5], [6, 7]],
    '5x3': [[0, 1], [2, 3], [4]],
    '3x5': [[0], [1], [2], [], []],
    '16x6': [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11], [12, 13], [14, 15]],
    '7x4': [[0, 1], [2, 3], [4, 5], [6]],
  },
  AVG_BY_CIRCLE: {
    '8x1': [[0, 1, 2, 3, 4, 5, 6, 7]],
    '8x2': [[0, 2, 4, 6], [1, 3, 5, 7]],
    '8x3': [[0, 3, 6], [1, 4, 7], [2, 5]],
    '5x3': [[0, 3], [1, 4], [2]],
    '3x5': [[0], [1], [2], [], []],
    '16x6': [[0, 6, 12], [1, 7, 13], [2, 8, 14], [3, 9, 15], [4, 10], [5, 11]],
    '7x4': [[0, 4], [1, 5], [2, 6], [3]],
  },
  CONSISTENT_HASH: {
    '8x1': [[0, 1, 2, 3, 4, 5, 6, 7]],
    '8x2': [[0, 4, 5], [1, 2, 3, 6, 7]],
    '8x3': [[5], [1, 2, 3, 6, 7], [0, 4]],
    '5x3': [[4], [1, 2], [0, 3]],
    '3x5': [[], [], [], [0, 1], [2]],
    '16x6': [[5, 9, 12], [3, 4, 7, 10, 11, 14], [15], [0, 1, 2], [], [6, 8, 13]],
    '7x4': [[5], [3, 6], [4], [0, 1, 2]],
  },
};

function shape(queues: number, clients: number): { mqs: MessageQueue[]; cids: string[] } {
  const mqs: MessageQueue[] = [];
  for (let i = 0; i < queues; i++) mqs.push({ topic: 'TopicTest', brokerName: i % 2 === 0 ? 'broker-a' : 'broker-b', queueId: Math.floor(i / 2) });
  const cids: string[] = [];
  for (let i = 0; i < clients; i++) cids.push(`127.0.0.1@${1000 + i * 37}#node${i}`);
  return { mqs: mqs.sort(compareMessageQueue), cids: cids.sort() };
}

describe('allocation strategies equal Java 5.3.3', () => {
  const strategies: AllocateMessageQueueStrategy[] = [
    new AllocateMessageQueueAveragely(),
    new AllocateMessageQueueAveragelyByCircle(),
    new AllocateMessageQueueConsistentHash(),
  ];
  for (const strategy of strategies) {
    it(strategy.name, () => {
      for (const [key, expected] of Object.entries(JAVA_VECTORS[strategy.name] ?? {})) {
        const [q, c] = key.split('x').map(Number) as [number, number];
        const { mqs, cids } = shape(q, c);
        const got = cids.map((cid) => strategy.allocate('cg', cid, mqs, cids).map((mq) => mqs.indexOf(mq)));
        assert.deepEqual(got, expected, `${strategy.name} ${key}`);
      }
    });
  }

  it('a client not in the list gets nothing; by config gets its queues', () => {
    const { mqs, cids } = shape(8, 2);
    for (const s of strategies) assert.deepEqual(s.allocate('cg', 'stranger', mqs, cids), []);
    const byConfig = new AllocateMessageQueueByConfig([{ topic: 'TopicTest', brokerName: 'broker-b', queueId: 1 }]);
    assert.deepEqual(byConfig.allocate('cg', 'x', mqs, cids), [{ topic: 'TopicTest', brokerName: 'broker-b', queueId: 1 }]);
  });
});
