import type { MessageExt } from '../../protocol/message/message.js';

/** ProcessQueue.java: a lock held on the broker counts for 30 s (REBALANCE_LOCK_MAX_LIVE_TIME). */
export const REBALANCE_LOCK_MAX_LIVE_TIME = 30_000;
/** Dead entries ahead of the oldest held offset are cut once there are this many and they are half the array. */
const COMPACT_AFTER = 1024;

/**
 * ProcessQueue.java: the messages pulled from one queue and not yet consumed, ordered by queue offset. The
 * committable offset is the smallest offset still held, so a slow message holds the offset back and a crash
 * replays it (at least once) instead of skipping it.
 */
export class ProcessQueue {
  /**
   * Offsets held, ascending (messages of one queue arrive in order, but orderly retries put some back), from index
   * `first` on. A consumed offset is only deleted from `msgs`; its entry goes when it reaches either end (the ends
   * are always held offsets), so removing the oldest of a thousand messages moves no memory.
   */
  private readonly offsets: number[] = [];
  private first = 0;
  private readonly msgs = new Map<number, MessageExt>();
  /** Orderly: the batch being consumed, out of `msgs` until committed or put back. */
  private readonly consumingOrderly = new Map<number, MessageExt>();
  private msgSizeBytes = 0;
  queueOffsetMax = 0;
  dropped = false;
  locked = false;
  lastLockTimestamp = Date.now();
  lastPullTimestamp = Date.now();
  lastConsumeTimestamp = Date.now();
  /** Orderly: a consumer is working through this queue. */
  consuming = false;

  get msgCount(): number {
    return this.msgs.size + this.consumingOrderly.size;
  }

  get msgSize(): number {
    return this.msgSizeBytes;
  }

  /** Offset distance from the oldest to the newest message held (consumeConcurrentlyMaxSpan flow control). */
  get maxSpan(): number {
    return this.offsets.length === this.first ? 0 : (this.offsets[this.offsets.length - 1] as number) - (this.offsets[this.first] as number);
  }

  isLockExpired(now = Date.now()): boolean {
    return now - this.lastLockTimestamp > REBALANCE_LOCK_MAX_LIVE_TIME;
  }

  /** Adds what is not held yet; true when an orderly consumer must be started (Java's dispatchToConsume). */
  putMessage(msgs: readonly MessageExt[]): boolean {
    for (const msg of msgs) {
      if (!this.msgs.has(msg.queueOffset) && !this.consumingOrderly.has(msg.queueOffset)) {
        this.insert(msg);
        this.msgSizeBytes += msg.body.length;
      }
      this.queueOffsetMax = Math.max(this.queueOffsetMax, msg.queueOffset);
    }
    if (this.msgs.size > 0 && !this.consuming) {
      this.consuming = true;
      return true;
    }
    return false;
  }

  /**
   * Concurrent mode: forgets consumed messages and returns the offset to commit — the smallest still held, or
   * one past the newest when none is — or -1 when nothing was held.
   */
  removeMessage(msgs: readonly MessageExt[]): number {
    if (this.msgs.size === 0) return -1;
    let result = this.queueOffsetMax + 1;
    for (const msg of msgs) {
      const held = this.msgs.get(msg.queueOffset);
      if (held === undefined) continue;
      this.msgs.delete(msg.queueOffset);
      this.msgSizeBytes -= held.body.length;
    }
    this.trimEnds();
    if (this.offsets.length > this.first) result = this.offsets[this.first] as number;
    this.lastConsumeTimestamp = Date.now();
    return result;
  }

  /** Orderly: moves up to `batchSize` of the oldest messages to the consuming batch; none ends `consuming`. */
  takeMessages(batchSize: number): MessageExt[] {
    const taken: MessageExt[] = [];
    this.lastConsumeTimestamp = Date.now();
    while (taken.length < batchSize && this.offsets.length > this.first) {
      const offset = this.offsets[this.first++] as number;
      const msg = this.msgs.get(offset);
      if (msg === undefined) continue;
      this.msgs.delete(offset);
      this.consumingOrderly.set(offset, msg);
      taken.push(msg);
    }
    this.trimEnds();
    if (taken.length === 0) this.consuming = false;
    return taken;
  }

  /** Orderly: the batch was consumed; returns the offset to commit (one past it), or -1 for an empty batch. */
  commit(): number {
    let last = -1;
    for (const [offset, msg] of this.consumingOrderly) {
      last = Math.max(last, offset);
      this.msgSizeBytes -= msg.body.length;
    }
    this.consumingOrderly.clear();
    return last < 0 ? -1 : last + 1;
  }

  /** Orderly: the batch failed and will be consumed again, before anything newer. */
  makeMessageToConsumeAgain(msgs: readonly MessageExt[]): void {
    for (const msg of msgs) {
      if (!this.consumingOrderly.delete(msg.queueOffset)) continue;
      this.insert(msg);
    }
  }

  /** Drops everything held (rebalance release, offset reset). */
  clear(): void {
    this.offsets.length = 0;
    this.first = 0;
    this.msgs.clear();
    this.consumingOrderly.clear();
    this.msgSizeBytes = 0;
    this.queueOffsetMax = 0;
    this.consuming = false;
  }

  /** The lowest offset held (orderly batch included), for running info. */
  get minOffset(): number | undefined {
    const heldMin = this.offsets.length > this.first ? this.offsets[this.first] : undefined;
    let min = heldMin;
    for (const offset of this.consumingOrderly.keys()) if (min === undefined || offset < min) min = offset;
    return min;
  }

  private insert(msg: MessageExt): void {
    const offset = msg.queueOffset;
    const last = this.offsets.length > this.first ? (this.offsets[this.offsets.length - 1] as number) : -1;
    if (offset > last) {
      this.offsets.push(offset);
    } else {
      const at = this.lowerBound(offset);
      // An entry left by a consumed offset is taken over, never doubled; a new oldest one reuses the dead prefix.
      if (this.offsets[at] !== offset) {
        if (at === this.first && this.first > 0) this.offsets[--this.first] = offset;
        else this.offsets.splice(at, 0, offset);
      }
    }
    this.msgs.set(offset, msg);
  }

  /** Drops the entries of offsets no longer held from both ends, and the dead prefix once it is most of the array. */
  private trimEnds(): void {
    const offsets = this.offsets;
    while (offsets.length > this.first && !this.msgs.has(offsets[this.first] as number)) this.first++;
    while (offsets.length > this.first && !this.msgs.has(offsets[offsets.length - 1] as number)) offsets.pop();
    if (this.first === offsets.length) {
      offsets.length = 0;
      this.first = 0;
    } else if (this.first >= COMPACT_AFTER && this.first * 2 >= offsets.length) {
      offsets.splice(0, this.first);
      this.first = 0;
    }
  }

  /** The first index from `first` on whose offset is >= `offset` (binary search: a few thousand at most). */
  private lowerBound(offset: number): number {
    let lo = this.first;
    let hi = this.offsets.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.offsets[mid] as number) < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
