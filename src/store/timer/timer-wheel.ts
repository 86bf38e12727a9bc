import { readInt64, writeInt64 } from '../../protocol/message/index.js';

const SLOT_SIZE = 20;

/**
 * The timer wheel: one slot per precision step over the window ahead of the read cursor, a ring in memory
 * (20 bytes a slot: its time, the last unit filed in it, how many). It holds no message, only where each slot's
 * chain of units ends in the timer log, so memory does not grow with the number of pending timers. It is rebuilt
 * from the timer log at start, so it is never written to disk itself.
 */
export class TimerWheel {
  private readonly ring: Buffer;

  constructor(
    readonly precisionMs: number,
    readonly slots: number,
  ) {
    this.ring = Buffer.alloc(slots * SLOT_SIZE);
  }

  /** The last unit filed at `slotTimeMs` and the count, or undefined when nothing is. */
  get(slotTimeMs: number): { lastPos: number; count: number } | undefined {
    const at = this.offsetOf(slotTimeMs);
    if (readInt64(this.ring, at) !== slotTimeMs + 1) return undefined;
    return { lastPos: readInt64(this.ring, at + 8), count: this.ring.readInt32BE(at + 16) };
  }

  /** Files the unit at `pos` in its slot; returns the previous last unit of that slot (-1 for none). */
  link(slotTimeMs: number, pos: number): number {
    const at = this.offsetOf(slotTimeMs);
    const current = this.get(slotTimeMs);
    // Slot times are stored plus one, so that the zeroed ring holds no valid slot, even slot time 0.
    writeInt64(this.ring, slotTimeMs + 1, at);
    writeInt64(this.ring, pos, at + 8);
    this.ring.writeInt32BE((current?.count ?? 0) + 1, at + 16);
    return current?.lastPos ?? -1;
  }

  /** Forgets a slot once delivered (its ring place then serves the time one window later). */
  clear(slotTimeMs: number): void {
    const at = this.offsetOf(slotTimeMs);
    if (readInt64(this.ring, at) === slotTimeMs + 1) this.ring.fill(0, at, at + SLOT_SIZE);
  }

  get windowMs(): number {
    return this.slots * this.precisionMs;
  }

  private offsetOf(slotTimeMs: number): number {
    return (Math.floor(slotTimeMs / this.precisionMs) % this.slots) * SLOT_SIZE;
  }
}
