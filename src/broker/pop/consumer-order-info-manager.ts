import { silentLogger, type Logger } from '../../common/logger.js';
import type { ConfigStore } from '../config-store.js';

/** Where Java keeps the FIFO order info, in the broker's config directory. */
export const CONSUMER_ORDER_INFO_FILE = 'consumerOrderInfo.json';

/**
 * ConsumerOrderInfoManager.OrderInfo: the batch a FIFO group has in flight on one queue. Offsets are stored as
 * Java does (the first absolute, the others as differences from it); `commitOffsetBit` has bit i set once the i-th
 * offset is acked.
 */
interface OrderInfo {
  attemptId: string | undefined;
  popTime: number;
  invisibleTime: number;
  offsetList: number[];
  /** Offsets whose invisible time was changed: their own next-visible time. */
  offsetNextVisibleTime: Map<number, number>;
  /** How many times each offset was handed out again (0, i.e. absent, on its first delivery). */
  offsetConsumedCount: Map<number, number>;
  lastConsumeTimestamp: number;
  commitOffsetBit: number;
}

/** What a FIFO pop records: the batch's offsets with their consumed counts (delivery attempt = count + 1). */
export interface OrderedBatch {
  readonly consumedCounts: ReadonlyMap<number, number>;
}

/**
 * ConsumerOrderInfoManager.java: per (topic, group, queue), the FIFO batch in flight. A queue with unacked offsets
 * whose next-visible time has not passed blocks every pop but one carrying the batch's attempt id; an ack commits
 * its offset and tells where the queue's consume offset now stands. Every change is written to
 * consumerOrderInfo.json before the engine answers (Java writes it every few seconds): a FIFO queue's blocking
 * state and consumed counts then survive a kill -9.
 */
export class ConsumerOrderInfoManager {
  /** topic@group -> queueId -> order info (ConsumerOrderInfoManager.buildKey). */
  private readonly table = new Map<string, Map<number, OrderInfo>>();
  private persisting: Promise<void> | undefined;
  private persistQueued: Promise<void> | undefined;

  constructor(
    private readonly configStore: ConfigStore,
    private readonly now: () => number = Date.now,
    private readonly logger: Logger = silentLogger,
  ) {}

  async load(): Promise<void> {
    const loaded = await this.configStore.load(CONSUMER_ORDER_INFO_FILE, decodeTable);
    if (loaded === undefined) return;
    this.table.clear();
    for (const [key, queues] of loaded) this.table.set(key, queues);
  }

  /** OrderInfo.needBlock: whether a pop with `attemptId` must get nothing from the queue now. */
  checkBlock(attemptId: string | undefined, topic: string, group: string, queueId: number, invisibleTime: number): boolean {
    const info = this.get(topic, group, queueId);
    if (info === undefined || info.offsetList.length === 0) return false;
    if (info.attemptId !== undefined && info.attemptId === attemptId) return false;
    const invisible = info.invisibleTime > 0 ? info.invisibleTime : invisibleTime;
    const now = this.now();
    for (let i = 0; i < info.offsetList.length; i++) {
      if (isAcked(info, i)) continue;
      const nextVisibleTime = info.offsetNextVisibleTime.get(queueOffsetAt(info, i)) ?? info.popTime + invisible;
      if (now < nextVisibleTime) return true;
    }
    return false;
  }

  /** When checkBlock stops blocking the queue (every unacked offset visible again); undefined: not blocked by time. */
  unblockTime(topic: string, group: string, queueId: number): number | undefined {
    const info = this.get(topic, group, queueId);
    if (info === undefined) return undefined;
    let latest: number | undefined;
    for (let i = 0; i < info.offsetList.length; i++) {
      if (isAcked(info, i)) continue;
      const nextVisibleTime = info.offsetNextVisibleTime.get(queueOffsetAt(info, i)) ?? info.popTime + info.invisibleTime;
      latest = Math.max(latest ?? 0, nextVisibleTime);
    }
    return latest;
  }

  /**
   * ConsumerOrderInfoManager.update: a new batch replaces the last one. Offsets handed out again get their
   * consumed count + 1, unless the pop repeats the last one's attempt id (an idempotent retry keeps the counts).
   */
  update(attemptId: string | undefined, topic: string, group: string, queueId: number, popTime: number, invisibleTime: number, offsets: readonly number[]): OrderedBatch {
    const previous = this.get(topic, group, queueId);
    const offsetList = offsets.length === 0 ? [] : [offsets[0] as number, ...offsets.slice(1).map((o) => o - (offsets[0] as number))];
    const info: OrderInfo = {
      attemptId,
      popTime,
      invisibleTime,
      offsetList,
      offsetNextVisibleTime: new Map(),
      offsetConsumedCount: new Map(),
      lastConsumeTimestamp: this.now(),
      commitOffsetBit: 0,
    };
    if (previous !== undefined) {
      if (previous.attemptId !== undefined && previous.attemptId === attemptId) {
        info.offsetConsumedCount = previous.offsetConsumedCount;
      } else {
        const before = new Set(previous.offsetList.map((_, i) => queueOffsetAt(previous, i)));
        for (const offset of offsets) if (before.has(offset)) info.offsetConsumedCount.set(offset, (previous.offsetConsumedCount.get(offset) ?? 0) + 1);
      }
    }
    let queues = this.table.get(`${topic}@${group}`);
    if (queues === undefined) this.table.set(`${topic}@${group}`, (queues = new Map<number, OrderInfo>()));
    queues.set(queueId, info);
    return { consumedCounts: info.offsetConsumedCount };
  }

  /**
   * ConsumerOrderInfoManager.commitAndNext: marks `queueOffset` acked. Returns the queue's next consume offset
   * (the first unacked offset of the batch, or one past its last), -1 when the offset is not in the batch, -2 when
   * `popTime` is not the batch's (a handle of an older batch).
   */
  commitAndNext(topic: string, group: string, queueId: number, queueOffset: number, popTime: number): number {
    const info = this.get(topic, group, queueId);
    if (info === undefined) return queueOffset + 1;
    if (info.offsetList.length === 0) return -1;
    if (popTime !== info.popTime) return -2;
    const index = info.offsetList.findIndex((_, i) => queueOffsetAt(info, i) === queueOffset);
    if (index < 0) return -1;
    info.commitOffsetBit |= 2 ** index;
    info.lastConsumeTimestamp = this.now();
    return nextOffsetOf(info);
  }

  /** ConsumerOrderInfoManager.updateNextVisibleTime (change-invisible of a FIFO message); false for an older batch. */
  updateNextVisibleTime(topic: string, group: string, queueId: number, queueOffset: number, popTime: number, nextVisibleTime: number): boolean {
    const info = this.get(topic, group, queueId);
    if (info === undefined || popTime !== info.popTime) return false;
    info.offsetNextVisibleTime.set(queueOffset, nextVisibleTime);
    info.lastConsumeTimestamp = this.now();
    return true;
  }

  /** Where the queue's consume offset stands by its order info: -1 when there is none. */
  nextOffset(topic: string, group: string, queueId: number): number {
    const info = this.get(topic, group, queueId);
    return info === undefined || info.offsetList.length === 0 ? -1 : nextOffsetOf(info);
  }

  /** The consumed count of an offset of the current batch (0 when it was never handed out again). */
  consumedCount(topic: string, group: string, queueId: number, queueOffset: number): number {
    return this.get(topic, group, queueId)?.offsetConsumedCount.get(queueOffset) ?? 0;
  }

  /** ConsumerOrderInfoManager.clearBlock (an offset reset). */
  clearBlock(topic: string, group: string, queueId: number): void {
    this.table.get(`${topic}@${group}`)?.delete(queueId);
  }

  /**
   * Writes the table. Calls while a write is in flight share one follow-up write, which starts after it and
   * captures every change made before it starts: a caller resolved has its change on disk.
   */
  persist(): Promise<void> {
    if (this.persistQueued !== undefined) return this.persistQueued;
    const previous = this.persisting ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(() => {
        this.persistQueued = undefined;
        return this.configStore.persist(CONSUMER_ORDER_INFO_FILE, this.encode());
      });
    this.persistQueued = next;
    this.persisting = next;
    void next.then(
      () => {
        if (this.persisting === next) this.persisting = undefined;
      },
      (err: unknown) => this.logger.error(`persisting ${CONSUMER_ORDER_INFO_FILE} failed`, err),
    );
    return next;
  }

  /** Java's JSON (OrderInfo's @JSONField names): {"table":{"topic@group":{"queueId":{"popTime","i","o","ot","oc","l","cm","a"}}}}. */
  encode(): string {
    const table: Record<string, Record<string, unknown>> = {};
    for (const [key, queues] of this.table) {
      const entry: Record<string, unknown> = {};
      for (const [queueId, info] of queues) {
        entry[String(queueId)] = {
          ...(info.attemptId === undefined ? {} : { a: info.attemptId }),
          popTime: info.popTime,
          i: info.invisibleTime,
          o: info.offsetList,
          ot: Object.fromEntries(info.offsetNextVisibleTime),
          oc: Object.fromEntries(info.offsetConsumedCount),
          l: info.lastConsumeTimestamp,
          cm: info.commitOffsetBit,
        };
      }
      table[key] = entry;
    }
    return JSON.stringify({ table }, null, 2);
  }

  private get(topic: string, group: string, queueId: number): OrderInfo | undefined {
    return this.table.get(`${topic}@${group}`)?.get(queueId);
  }
}

function queueOffsetAt(info: OrderInfo, i: number): number {
  const first = info.offsetList[0] as number;
  return i === 0 ? first : first + (info.offsetList[i] as number);
}

function isAcked(info: OrderInfo, i: number): boolean {
  return Math.floor(info.commitOffsetBit / 2 ** i) % 2 === 1;
}

/** OrderInfo.getNextOffset. */
function nextOffsetOf(info: OrderInfo): number {
  const n = info.offsetList.length;
  for (let i = 0; i < n; i++) if (!isAcked(info, i)) return queueOffsetAt(info, i);
  return queueOffsetAt(info, n - 1) + 1;
}

function decodeTable(text: string): Map<string, Map<number, OrderInfo>> {
  const raw = JSON.parse(text) as { table?: Record<string, Record<string, Record<string, unknown>>> };
  const table = new Map<string, Map<number, OrderInfo>>();
  for (const [key, queues] of Object.entries(raw.table ?? {})) {
    const decoded = new Map<number, OrderInfo>();
    for (const [queueId, info] of Object.entries(queues)) {
      decoded.set(Number(queueId), {
        attemptId: typeof info.a === 'string' ? info.a : undefined,
        popTime: Number(info.popTime ?? 0),
        invisibleTime: Number(info.i ?? 0),
        offsetList: Array.isArray(info.o) ? info.o.map(Number) : [],
        offsetNextVisibleTime: numberMap(info.ot),
        offsetConsumedCount: numberMap(info.oc),
        lastConsumeTimestamp: Number(info.l ?? 0),
        commitOffsetBit: Number(info.cm ?? 0),
      });
    }
    table.set(key, decoded);
  }
  return table;
}

function numberMap(value: unknown): Map<number, number> {
  const map = new Map<number, number>();
  if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) map.set(Number(k), Number(v));
  return map;
}
