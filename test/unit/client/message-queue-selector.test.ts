import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { javaHashCode, selectMessageQueueByHash, type MessageQueue } from '../../../src/client/index.js';

/**
 * Produced once with Java 17 (`java HashVectors.java`), running SelectMessageQueueByHash's own arithmetic
 * (`int value = arg.hashCode() % size; if (value < 0) value = Math.abs(value);`) on a String, Integer or Long
 * argument: [argument, arg.hashCode(), queue index for 1, 2, 3, 4, 7, 8 and 16 queues]. A bigint stands for a
 * Java Long.
 */
const JAVA_VECTORS: [string | number | bigint, number, number[]][] = [
  ['', 0, [0, 0, 0, 0, 0, 0, 0]],
  ['a', 97, [0, 1, 1, 1, 6, 1, 1]],
  ['order-1', -1207111310, [0, 0, 2, 2, 6, 6, 14]],
  ['order-12345', 478832884, [0, 0, 1, 0, 5, 4, 4]],
  ['TagA', 2598919, [0, 1, 1, 3, 1, 7, 7]],
  ['user:42', -147170163, [0, 1, 0, 3, 0, 3, 3]],
  ['polygenelubricants', -2147483648, [0, 0, 2, 0, 2, 0, 0]],
  ['\u00e9t\u00e9', 227742, [0, 0, 0, 2, 4, 6, 14]],
  ['\u4e2d\u6587\u952e', 20076404, [0, 0, 2, 0, 5, 4, 4]],
  ['\ud83d\ude00emoji', -1233692477, [0, 1, 2, 1, 3, 5, 13]],
  ['zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz', 1577242880, [0, 0, 2, 0, 3, 0, 0]],
  [0, 0, [0, 0, 0, 0, 0, 0, 0]],
  [1, 1, [0, 1, 1, 1, 1, 1, 1]],
  [-1, -1, [0, 1, 1, 1, 1, 1, 1]],
  [7, 7, [0, 1, 1, 3, 0, 7, 7]],
  [-7, -7, [0, 1, 1, 3, 0, 7, 7]],
  [2147483647, 2147483647, [0, 1, 1, 3, 1, 7, 15]],
  [-2147483648, -2147483648, [0, 0, 2, 0, 2, 0, 0]],
  [123456789n, 123456789, [0, 1, 0, 1, 1, 5, 5]],
  [-123456789012n, -1097262577, [0, 1, 1, 1, 5, 1, 1]],
  [9007199254740991n, -2097152, [0, 0, 2, 0, 1, 0, 0]],
];
const SIZES = [1, 2, 3, 4, 7, 8, 16];

function queues(size: number): MessageQueue[] {
  return Array.from({ length: size }, (_, queueId) => ({ topic: 'T', brokerName: 'broker-a', queueId }));
}

describe('SelectMessageQueueByHash', () => {
  it("computes Java's hashCode of the argument", () => {
    for (const [arg, hash] of JAVA_VECTORS) assert.equal(javaHashCode(arg), hash, String(arg));
    // A JavaScript integer beyond int32 is a Java Long.
    assert.equal(javaHashCode(-123456789012), -1097262577);
    assert.equal(javaHashCode(9007199254740991), -2097152);
  });

  it('picks the queue Java picks, including for a hashCode of Integer.MIN_VALUE', () => {
    for (const [arg, , expected] of JAVA_VECTORS) {
      const picked = SIZES.map((size) => selectMessageQueueByHash(queues(size), { topic: 'T', body: 'x' }, arg)?.queueId);
      assert.deepEqual(picked, expected, String(arg));
    }
  });

  it('refuses an argument Java would hash by identity', () => {
    assert.throws(() => javaHashCode({}), TypeError);
    assert.throws(() => javaHashCode(null), TypeError);
  });
});
