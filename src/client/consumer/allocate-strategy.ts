import { createHash } from 'node:crypto';
import type { MessageQueue } from '../../protocol/bodies/message-queue.js';
import { messageQueueKey } from '../../protocol/bodies/message-queue.js';

/**
 * AllocateMessageQueueStrategy.java: which of a topic's queues `currentCID` consumes. Every member of a group runs
 * the same function on the same sorted inputs (RebalanceImpl sorts both), so the shares never overlap — which is
 * why a mixed Java/TypeScript group works only if these functions equal Java's exactly.
 */
export interface AllocateMessageQueueStrategy {
  readonly name: string;
  allocate(consumerGroup: string, currentCID: string, mqAll: readonly MessageQueue[], cidAll: readonly string[]): MessageQueue[];
}

/** AllocateMessageQueueAveragely (Java's default): consecutive blocks, the first `mod` consumers one queue more. */
export class AllocateMessageQueueAveragely implements AllocateMessageQueueStrategy {
  readonly name = 'AVG';

  allocate(_group: string, currentCID: string, mqAll: readonly MessageQueue[], cidAll: readonly string[]): MessageQueue[] {
    const index = cidAll.indexOf(currentCID);
    if (index < 0 || mqAll.length === 0) return [];
    const mod = mqAll.length % cidAll.length;
    const quotient = Math.floor(mqAll.length / cidAll.length);
    const averageSize = mqAll.length <= cidAll.length ? 1 : mod > 0 && index < mod ? quotient + 1 : quotient;
    const startIndex = mod > 0 && index < mod ? index * averageSize : index * averageSize + mod;
    const range = Math.min(averageSize, mqAll.length - startIndex);
    const result: MessageQueue[] = [];
    for (let i = 0; i < range; i++) result.push(mqAll[(startIndex + i) % mqAll.length] as MessageQueue);
    return result;
  }
}

/** AllocateMessageQueueAveragelyByCircle: queue i goes to consumer i % consumers. */
export class AllocateMessageQueueAveragelyByCircle implements AllocateMessageQueueStrategy {
  readonly name = 'AVG_BY_CIRCLE';

  allocate(_group: string, currentCID: string, mqAll: readonly MessageQueue[], cidAll: readonly string[]): MessageQueue[] {
    const index = cidAll.indexOf(currentCID);
    if (index < 0) return [];
    return mqAll.filter((_, i) => i >= index && i % cidAll.length === index);
  }
}

/**
 * AllocateMessageQueueConsistentHash over Java's ConsistentHashRouter: `virtualNodeCnt` points per client on a
 * ring keyed by the first 4 bytes of MD5("<clientId>-<replica>") as an unsigned int; a queue (its Java toString)
 * goes to the first point at or after its own hash, wrapping around. A later point with an equal hash replaces
 * an earlier one, as TreeMap.put does.
 */
export class AllocateMessageQueueConsistentHash implements AllocateMessageQueueStrategy {
  readonly name = 'CONSISTENT_HASH';

  constructor(private readonly virtualNodeCnt = 10) {
    if (!Number.isInteger(virtualNodeCnt) || virtualNodeCnt < 0) throw new RangeError(`illegal virtualNodeCnt: ${virtualNodeCnt}`);
  }

  allocate(_group: string, currentCID: string, mqAll: readonly MessageQueue[], cidAll: readonly string[]): MessageQueue[] {
    if (!cidAll.includes(currentCID)) return [];
    const ring = new Map<number, string>();
    for (const cid of cidAll) for (let i = 0; i < this.virtualNodeCnt; i++) ring.set(md5Hash(`${cid}-${i}`), cid);
    const points = [...ring.keys()].sort((a, b) => a - b);
    const first = points[0];
    if (first === undefined) return [];
    return mqAll.filter((mq) => {
      const hash = md5Hash(`MessageQueue [topic=${mq.topic}, brokerName=${mq.brokerName}, queueId=${mq.queueId}]`);
      return ring.get(points.find((p) => p >= hash) ?? first) === currentCID;
    });
  }
}

/** AllocateMessageQueueByConfig: exactly the queues configured, whoever else is in the group. */
export class AllocateMessageQueueByConfig implements AllocateMessageQueueStrategy {
  readonly name = 'CONFIG';
  private readonly keys: Set<string>;

  constructor(messageQueueList: readonly MessageQueue[]) {
    this.keys = new Set(messageQueueList.map(messageQueueKey));
  }

  allocate(_group: string, _currentCID: string, mqAll: readonly MessageQueue[], _cidAll: readonly string[]): MessageQueue[] {
    return mqAll.filter((mq) => this.keys.has(messageQueueKey(mq)));
  }
}

/** ConsistentHashRouter.MD5Hash: the digest's first four bytes, big-endian, as a non-negative long. */
function md5Hash(key: string): number {
  return createHash('md5').update(key, 'utf8').digest().readUInt32BE(0);
}

/** MessageQueue.compareTo: topic, then broker name, then queue id (String.compareTo is by UTF-16 unit, as `<`). */
export function compareMessageQueue(a: MessageQueue, b: MessageQueue): number {
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  if (a.brokerName !== b.brokerName) return a.brokerName < b.brokerName ? -1 : 1;
  return a.queueId - b.queueId;
}
