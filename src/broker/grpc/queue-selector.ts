import { javaStringHashCode } from '../../protocol/message/index.js';

/**
 * Guava's Hashing.consistentHash(long, int), which the proxy's SendMessageQueueSelector uses for FIFO messages: the
 * same group lands on the same queue as with a Java proxy in front of the same broker, and few groups move when
 * the queue count changes. A 64-bit linear congruential generator seeded with the input.
 */
export function consistentHash(input: bigint, buckets: number): number {
  let state = BigInt.asUintN(64, input);
  let candidate = 0;
  for (;;) {
    state = BigInt.asUintN(64, 2862933555777941757n * state + 1n);
    const nextDouble = (Number(BigInt.asIntN(32, state >> 33n)) + 1) / 2 ** 31;
    const next = Math.trunc((candidate + 1) / nextDouble);
    if (next >= 0 && next < buckets) candidate = next;
    else return candidate;
  }
}

/**
 * SendMessageActivity.SendMessageQueueSelector: the server, not the client, picks the queue (the Node SDK 1.0.8
 * only ever names queue 0). A message group maps to one queue by its Java hashCode; anything else goes round robin.
 */
export class QueueSelector {
  private counter = Math.floor(Math.random() * 1000);

  select(writeQueueNums: number, messageGroup: string | undefined): number {
    const n = Math.max(1, writeQueueNums);
    if (messageGroup !== undefined) return consistentHash(BigInt(javaStringHashCode(messageGroup)), n);
    this.counter = (this.counter + 1) % 1_000_000_000;
    return this.counter % n;
  }
}
