import { javaStringHashCode } from '../../protocol/message/message.js';
import type { MessageQueue } from '../../protocol/bodies/message-queue.js';
import type { ProducerMessage } from './producer-message.js';

/**
 * MessageQueueSelector.java: picks the queue of an ordered send. Messages sent with the same selector and `arg`
 * land on the same queue, in send order, as long as the topic's queues do not change.
 */
export type MessageQueueSelector = (mqs: readonly MessageQueue[], msg: ProducerMessage, arg: unknown) => MessageQueue | undefined;

/**
 * SelectMessageQueueByHash: `arg.hashCode() % size`, made non-negative, with Java's hashCode of the argument,
 * so a TypeScript and a Java producer put the same key on the same queue.
 */
export const selectMessageQueueByHash: MessageQueueSelector = (mqs, _msg, arg) => {
  let value = javaHashCode(arg) % mqs.length;
  if (value < 0) value = Math.abs(value);
  return mqs[value];
};

/** SelectMessageQueueByRandom. */
export const selectMessageQueueByRandom: MessageQueueSelector = (mqs) => mqs[Math.floor(Math.random() * mqs.length)];

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

/**
 * The hashCode Java computes for the boxed argument: String.hashCode for a string, Integer's for an integer in
 * int32 range, Long's for a larger integer or a bigint (int64), Double's for a fraction, Boolean's for a boolean.
 */
export function javaHashCode(arg: unknown): number {
  switch (typeof arg) {
    case 'string':
      return javaStringHashCode(arg);
    case 'boolean':
      return arg ? 1231 : 1237;
    case 'bigint':
      return longHashCode(BigInt.asIntN(64, arg));
    case 'number':
      if (Number.isInteger(arg) && arg >= INT32_MIN && arg <= INT32_MAX) return arg;
      if (Number.isSafeInteger(arg)) return longHashCode(BigInt(arg));
      return doubleHashCode(arg);
    default:
      throw new TypeError(`no Java hashCode for a ${arg === null ? 'null' : typeof arg} argument: pass a string, number or bigint`);
  }
}

/** Long.hashCode: (int)(value ^ (value >>> 32)). */
function longHashCode(value: bigint): number {
  const bits = BigInt.asUintN(64, value);
  return Number(BigInt.asIntN(32, bits ^ (bits >> 32n)));
}

/** Double.hashCode: Long.hashCode of doubleToLongBits (every NaN is the canonical one). */
function doubleHashCode(value: number): number {
  const buf = Buffer.alloc(8);
  buf.writeDoubleBE(Number.isNaN(value) ? NaN : value);
  return longHashCode(buf.readBigInt64BE());
}
