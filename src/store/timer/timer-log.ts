import { crc32 } from '../../common/crc32.js';
import { readInt64, writeInt64 } from '../../protocol/message/index.js';
import type { FdCache } from '../fd-cache.js';
import { MappedFileQueue } from '../mapped-file-queue.js';
import type { StorageIO } from '../storage-io.js';

/**
 * One pending timer message in the timer log, 56 bytes:
 *   0 magic int32 | 4 flags int32 | 8 prevPos int64 (the previous unit of the same slot, -1 for none) |
 *   16 slotTimeMs int64 | 24 commitLogOffset int64 | 32 timerQueueOffset int64 (its entry in rmq_sys_wheel_timer) |
 *   40 enqueueTimeMs int64 | 48 size int32 | 52 crc32 of bytes 0-51.
 * Our own layout (brokers never share a store, so Java's 52-byte timerlog unit buys nothing): the queue offset lets
 * recovery know how far enqueueing got, and the CRC tells a torn or unwritten unit from a real one.
 */
export interface TimerUnit {
  flags: number;
  prevPos: number;
  slotTimeMs: number;
  commitLogOffset: number;
  timerQueueOffset: number;
  enqueueTimeMs: number;
  size: number;
}

export const TIMER_UNIT_SIZE = 56;
const MAGIC = 0x544d5231; // "TMR1"
const CRC_AT = 52;
/** The unit was filed at the window's end, not at its time: at that slot it goes back to the timer topic. */
export const TIMER_UNIT_ROLL = 1;
/** The unit is a recall marker (RECALL_MESSAGE): it names a message of its slot not to deliver. */
export const TIMER_UNIT_RECALL = 2;
/**
 * TIMER_UNIT_RECALL is set when it applies: units filed before the flag existed lack this bit, and delivery reads
 * their messages to find the markers among them.
 */
export const TIMER_UNIT_RECALL_KNOWN = 4;
/**
 * The unit carries when its message is due, as an offset from its slot's time in the flag bits from
 * TIMER_UNIT_DUE_SHIFT on (the slot's time alone is TIMER_OUT_MS rounded down, so it cannot say). Units without it
 * (filed by an older build, or a precision too coarse for the bits) are due at their slot's end, as before.
 */
export const TIMER_UNIT_DUE_KNOWN = 8;
const TIMER_UNIT_DUE_SHIFT = 8;
/** The largest due offset the flag bits hold (23 bits, so the flags stay a positive int32): 2.3 hours. */
export const TIMER_UNIT_MAX_DUE_OFFSET = 0x7fffff;

/** `flags` with the due offset recorded (TIMER_UNIT_DUE_KNOWN), when it fits. */
export function withDueOffset(flags: number, offsetMs: number): number {
  if (!Number.isInteger(offsetMs) || offsetMs < 0 || offsetMs > TIMER_UNIT_MAX_DUE_OFFSET) return flags;
  return flags | TIMER_UNIT_DUE_KNOWN | (offsetMs << TIMER_UNIT_DUE_SHIFT);
}

/** When the unit's message is due: its slot's time plus the recorded offset, else the slot's end. */
export function dueTimeOf(unit: Pick<TimerUnit, 'flags' | 'slotTimeMs'>, precisionMs: number): number {
  if ((unit.flags & TIMER_UNIT_DUE_KNOWN) === 0) return unit.slotTimeMs + precisionMs;
  return unit.slotTimeMs + (unit.flags >>> TIMER_UNIT_DUE_SHIFT);
}

/** Units per segment: 7 MiB files. */
const UNITS_PER_FILE = 1 << 17;

export function encodeTimerUnit(unit: TimerUnit): Buffer {
  const buf = Buffer.alloc(TIMER_UNIT_SIZE);
  buf.writeInt32BE(MAGIC, 0);
  buf.writeInt32BE(unit.flags, 4);
  writeInt64(buf, unit.prevPos, 8);
  writeInt64(buf, unit.slotTimeMs, 16);
  writeInt64(buf, unit.commitLogOffset, 24);
  writeInt64(buf, unit.timerQueueOffset, 32);
  writeInt64(buf, unit.enqueueTimeMs, 40);
  buf.writeInt32BE(unit.size, 48);
  buf.writeUInt32BE(crc32(buf.subarray(0, CRC_AT)), CRC_AT);
  return buf;
}

/** The unit in `buf`, or undefined when the bytes are not a whole, intact unit. */
export function decodeTimerUnit(buf: Buffer): TimerUnit | undefined {
  if (buf.length < TIMER_UNIT_SIZE || buf.readInt32BE(0) !== MAGIC) return undefined;
  if (buf.readUInt32BE(CRC_AT) !== crc32(buf.subarray(0, CRC_AT))) return undefined;
  return {
    flags: buf.readInt32BE(4),
    prevPos: readInt64(buf, 8),
    slotTimeMs: readInt64(buf, 16),
    commitLogOffset: readInt64(buf, 24),
    timerQueueOffset: readInt64(buf, 32),
    enqueueTimeMs: readInt64(buf, 40),
    size: buf.readInt32BE(48),
  };
}

/**
 * The timer log: an append-only queue of units in segments, written straight to the kernel (a killed process
 * loses none), fsynced by the timer store's flush. A segment goes once every unit in it belongs to a slot the read
 * cursor has passed: the store tracks the latest slot each segment holds.
 */
export class TimerLog {
  private readonly queue: MappedFileQueue;
  /** Segment start -> the latest slot time of a unit in it. */
  private readonly latestSlot = new Map<number, number>();

  constructor(io: StorageIO, fdCache: FdCache, dir: string) {
    this.queue = new MappedFileQueue(io, fdCache, dir, TIMER_UNIT_SIZE * UNITS_PER_FILE);
  }

  /**
   * Opens the segments and cuts the log after its last intact unit; calls `visit` for every unit in order (the
   * store rebuilds its wheel from them).
   */
  load(visit: (unit: TimerUnit, pos: number) => void): void {
    this.queue.load();
    let validEnd = this.queue.getMinOffset();
    // Every segment counts as written to its end until the cut below zeroes what follows the last intact unit.
    for (const file of this.queue.files) file.setPositions(file.fileSize);
    for (const file of this.queue.files) {
      let position = 0;
      const chunk = 4096 * TIMER_UNIT_SIZE;
      scan: while (position < file.fileSize) {
        const bytes = file.readRaw(position, chunk);
        for (let at = 0; at + TIMER_UNIT_SIZE <= bytes.length; at += TIMER_UNIT_SIZE) {
          const unit = decodeTimerUnit(bytes.subarray(at, at + TIMER_UNIT_SIZE));
          if (unit === undefined) break scan;
          const pos = file.fileFromOffset + position + at;
          this.noteSlot(pos, unit.slotTimeMs);
          visit(unit, pos);
          validEnd = pos + TIMER_UNIT_SIZE;
        }
        if (bytes.length < chunk) break;
        position += chunk;
      }
      if (validEnd < file.fileFromOffset + file.fileSize) break;
    }
    this.queue.truncateDirtyFiles(validEnd);
  }

  /** Appends a unit; returns its position. */
  append(unit: TimerUnit): number {
    const file = this.queue.getLastMappedFileOrCreate(0);
    const pos = file.fileFromOffset + file.wrotePosition;
    file.append(encodeTimerUnit(unit));
    this.noteSlot(pos, unit.slotTimeMs);
    return pos;
  }

  read(pos: number): TimerUnit | undefined {
    const file = this.queue.findMappedFileByOffset(pos);
    if (file === undefined) return undefined;
    return decodeTimerUnit(file.read(pos - file.fileFromOffset, TIMER_UNIT_SIZE));
  }

  flush(): Promise<number> {
    return this.queue.flush();
  }

  /** Deletes the leading segments whose every unit's slot is before `readCursorMs` (never the last one). */
  deleteExpired(readCursorMs: number): number {
    let deleted = 0;
    while (this.queue.files.length > 1) {
      const first = this.queue.getFirstMappedFile()!;
      if ((this.latestSlot.get(first.fileFromOffset) ?? -Infinity) >= readCursorMs) break;
      this.latestSlot.delete(first.fileFromOffset);
      this.queue.deleteFirstFile();
      deleted++;
    }
    return deleted;
  }

  get maxOffset(): number {
    return this.queue.getMaxOffset();
  }

  shutdown(): void {
    this.queue.shutdown();
  }

  private noteSlot(pos: number, slotTimeMs: number): void {
    const start = pos - (pos % this.queue.mappedFileSize);
    if ((this.latestSlot.get(start) ?? -Infinity) < slotTimeMs) this.latestSlot.set(start, slotTimeMs);
  }
}
