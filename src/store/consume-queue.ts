import { join } from 'node:path';
import type { FdCache } from './fd-cache.js';
import type { MappedFile } from './mapped-file.js';
import { MappedFileQueue } from './mapped-file-queue.js';
import type { StorageIO } from './storage-io.js';

/** ConsumeQueue.CQ_STORE_UNIT_SIZE: commit-log offset (8), size (4), tag code (8). */
export const CQ_STORE_UNIT_SIZE = 20;
/** fillPreBlank's size: a placeholder entry (0, Integer.MAX_VALUE, 0) that points at no message. */
export const BLANK_UNIT_SIZE = 0x7fffffff;
/** Entries read per pread when scanning. */
const SCAN_UNITS = 3276;

export interface CqUnit {
  readonly queueOffset: number;
  readonly pos: number;
  readonly size: number;
  readonly tagsCode: number;
}

function readUnit(buf: Buffer, at: number, queueOffset: number): CqUnit {
  return {
    queueOffset,
    pos: buf.readInt32BE(at) * 4294967296 + buf.readUInt32BE(at + 4),
    size: buf.readInt32BE(at + 8),
    tagsCode: buf.readInt32BE(at + 12) * 4294967296 + buf.readUInt32BE(at + 16),
  };
}

function writeUnit(buf: Buffer, at: number, pos: number, size: number, tagsCode: number): void {
  buf.writeInt32BE(Math.floor(pos / 4294967296), at);
  buf.writeUInt32BE(pos >>> 0, at + 4);
  buf.writeInt32BE(size, at + 8);
  buf.writeInt32BE(Math.floor(tagsCode / 4294967296), at + 12);
  buf.writeUInt32BE(tagsCode >>> 0, at + 16);
}

function unitBytes(pos: number, size: number, tagsCode: number): Buffer {
  const buf = Buffer.allocUnsafe(CQ_STORE_UNIT_SIZE);
  writeUnit(buf, 0, pos, size, tagsCode);
  return buf;
}

/** The part of a DispatchRequest a consume-queue entry is made of. */
export interface PositionInfo {
  readonly commitLogOffset: number;
  readonly msgSize: number;
  readonly tagsCode: number;
  readonly consumeQueueOffset: number;
}

/**
 * ConsumeQueue.java: one topic/queue's index into the commit log, 20-byte entries at byte offset
 * queueOffset * 20 (reference §7.3), in segments under consumequeue/<topic>/<queueId>/.
 */
export class ConsumeQueue {
  readonly mappedFileQueue: MappedFileQueue;
  /** Byte offset of the first entry that still points into the commit log. */
  private minLogicOffset = 0;

  constructor(
    io: StorageIO,
    fdCache: FdCache,
    readonly topic: string,
    readonly queueId: number,
    consumeQueueRoot: string,
    mappedFileSize: number,
  ) {
    this.mappedFileQueue = new MappedFileQueue(io, fdCache, join(consumeQueueRoot, topic, String(queueId)), mappedFileSize, false, true);
  }

  load(): void {
    this.mappedFileQueue.load();
  }

  /**
   * ConsumeQueue.recover: the valid entries of the last files (offset >= 0 and size > 0, up to the first that is
   * not). Earlier files are full by construction. Up to 3 files are looked at, as Java.
   */
  recover(): void {
    const files = this.mappedFileQueue.files;
    for (let i = files.length - 1; i >= Math.max(0, files.length - 3); i--) {
      const file = files[i]!;
      const valid = this.validLength(file);
      file.setPositions(valid);
      if (valid > 0 || i === 0) {
        for (let j = files.length - 1; j > i; j--) {
          files[j]!.destroy();
          files.pop();
        }
        break;
      }
    }
    this.minLogicOffset = this.mappedFileQueue.getMinOffset();
  }

  private validLength(file: MappedFile): number {
    for (let at = 0; at < file.fileSize; at += SCAN_UNITS * CQ_STORE_UNIT_SIZE) {
      const chunk = file.readRaw(at, SCAN_UNITS * CQ_STORE_UNIT_SIZE);
      for (let i = 0; i + CQ_STORE_UNIT_SIZE <= chunk.length; i += CQ_STORE_UNIT_SIZE) {
        const unit = readUnit(chunk, i, 0);
        if (unit.pos < 0 || unit.size <= 0) return at + i;
      }
      if (chunk.length < SCAN_UNITS * CQ_STORE_UNIT_SIZE) return at + chunk.length;
    }
    return file.fileSize;
  }

  getMinOffsetInQueue(): number {
    return this.minLogicOffset / CQ_STORE_UNIT_SIZE;
  }

  getMaxOffsetInQueue(): number {
    return this.mappedFileQueue.getMaxOffset() / CQ_STORE_UNIT_SIZE;
  }

  /**
   * ConsumeQueue.putMessagePositionInfo, idempotent so recovery can re-dispatch: an entry already present for the
   * same record is kept; a different one (left by a lost commit-log tail) is cut off and rewritten. The first
   * entry of a new queue at a non-zero offset is preceded by blanks (fillPreBlank); a gap anywhere else is a bug
   * upstream, filled with blanks so offsets stay aligned. Returns false when the entry was already there.
   */
  putMessagePositionInfo(pos: number, size: number, tagsCode: number, queueOffset: number): boolean {
    const expect = queueOffset * CQ_STORE_UNIT_SIZE;
    // Below the min the entry's segment is already deleted: nothing to write, and nothing to cut.
    if (expect < this.minLogicOffset) return false;
    if (expect < this.mappedFileQueue.getMaxOffset()) {
      const existing = this.get(queueOffset);
      if (existing !== undefined && existing.pos === pos && existing.size === size) return false;
      this.mappedFileQueue.truncateDirtyFiles(expect);
    }
    if (this.mappedFileQueue.files.length === 0) {
      const file = this.mappedFileQueue.getLastMappedFileOrCreate(expect);
      this.minLogicOffset = expect;
      this.appendBlanks(file.fileFromOffset, expect);
    } else if (expect > this.mappedFileQueue.getMaxOffset()) {
      this.appendBlanks(this.mappedFileQueue.getMaxOffset(), expect);
    }
    this.mappedFileQueue.getLastMappedFileOrCreate(expect).append(unitBytes(pos, size, tagsCode));
    return true;
  }

  /**
   * putMessagePositionInfo for a run of entries of this queue in queue-offset order. When they extend the queue
   * exactly (the running case) they go out as one write per segment; anything else takes the per-entry path.
   * Returns, per entry, whether it was appended.
   */
  putMessagePositionInfos(units: readonly PositionInfo[]): boolean[] {
    const first = units[0];
    if (first === undefined) return [];
    const start = this.mappedFileQueue.getMaxOffset();
    let consecutive = this.mappedFileQueue.files.length > 0 && first.consumeQueueOffset * CQ_STORE_UNIT_SIZE === start;
    for (let i = 1; consecutive && i < units.length; i++) consecutive = units[i]!.consumeQueueOffset === first.consumeQueueOffset + i;
    if (!consecutive) return units.map((u) => this.putMessagePositionInfo(u.commitLogOffset, u.msgSize, u.tagsCode, u.consumeQueueOffset));
    const data = Buffer.allocUnsafe(units.length * CQ_STORE_UNIT_SIZE);
    for (let i = 0; i < units.length; i++) {
      const u = units[i]!;
      writeUnit(data, i * CQ_STORE_UNIT_SIZE, u.commitLogOffset, u.msgSize, u.tagsCode);
    }
    for (let at = 0; at < data.length; ) {
      const file = this.mappedFileQueue.getLastMappedFileOrCreate(start + at);
      const length = Math.min(file.remaining, data.length - at);
      file.append(data.subarray(at, at + length));
      at += length;
    }
    return units.map(() => true);
  }

  private appendBlanks(from: number, to: number): void {
    for (let at = from; at < to; ) {
      const file = this.mappedFileQueue.getLastMappedFileOrCreate(at);
      const count = Math.min((to - at) / CQ_STORE_UNIT_SIZE, file.remaining / CQ_STORE_UNIT_SIZE);
      const blanks = Buffer.allocUnsafe(count * CQ_STORE_UNIT_SIZE);
      const blank = unitBytes(0, BLANK_UNIT_SIZE, 0);
      for (let i = 0; i < count; i++) blank.copy(blanks, i * CQ_STORE_UNIT_SIZE);
      file.append(blanks);
      at += blanks.length;
    }
  }

  /** The entry at `queueOffset`, or undefined when it is below the min or not written. */
  get(queueOffset: number): CqUnit | undefined {
    return this.iterateFrom(queueOffset, 1)[0];
  }

  /**
   * ConsumeQueue.iterateFrom: up to `maxCount` entries from `startIndex` to the end of its segment (Java's
   * iterator also stops at the segment's end). Empty when the start is below the min or past the end.
   */
  iterateFrom(startIndex: number, maxCount: number): CqUnit[] {
    const offset = startIndex * CQ_STORE_UNIT_SIZE;
    if (offset < this.minLogicOffset) return [];
    const file = this.mappedFileQueue.findMappedFileByOffset(offset);
    if (file === undefined) return [];
    const data = file.read(offset - file.fileFromOffset, maxCount * CQ_STORE_UNIT_SIZE);
    const units: CqUnit[] = [];
    for (let i = 0; i + CQ_STORE_UNIT_SIZE <= data.length; i += CQ_STORE_UNIT_SIZE) units.push(readUnit(data, i, startIndex + i / CQ_STORE_UNIT_SIZE));
    return units;
  }

  /** ConsumeQueue.truncateDirtyLogicFiles: drops entries for records at or past the commit log's end. */
  truncateDirtyLogicFiles(maxPhyOffset: number): void {
    const max = this.getMaxOffsetInQueue();
    let keep = max;
    for (let index = max - 1; index >= this.getMinOffsetInQueue(); index--) {
      const unit = this.get(index);
      if (unit === undefined || unit.size === BLANK_UNIT_SIZE || unit.pos + unit.size <= maxPhyOffset) break;
      keep = index;
    }
    if (keep < max) this.mappedFileQueue.truncateDirtyFiles(keep * CQ_STORE_UNIT_SIZE);
  }

  /**
   * ConsumeQueue.correctMinOffset: the min moves to the first real entry whose record is still in the commit
   * log. A queue whose entries all point below it keeps its max as min (Java: "contains no valid entries").
   */
  correctMinOffset(minPhyOffset: number): void {
    const max = this.getMaxOffsetInQueue();
    let index = Math.max(this.getMinOffsetInQueue(), this.mappedFileQueue.getMinOffset() / CQ_STORE_UNIT_SIZE);
    for (let guard = 0; index < max && guard < max; guard++) {
      const units = this.iterateFrom(index, SCAN_UNITS);
      if (units.length === 0) break;
      const first = units.find((u) => u.size !== BLANK_UNIT_SIZE && u.pos >= minPhyOffset);
      if (first !== undefined) {
        index = first.queueOffset;
        break;
      }
      index = units.at(-1)!.queueOffset + 1;
    }
    this.minLogicOffset = Math.min(index, max) * CQ_STORE_UNIT_SIZE;
  }

  /** ConsumeQueue.deleteExpiredFile: leading segments whose every entry points below the commit log's min. */
  deleteExpiredFile(minPhyOffset: number): number {
    let deleted = 0;
    const files = this.mappedFileQueue.files;
    while (files.length > 1) {
      const first = files[0]!;
      const last = first.read(first.fileSize - CQ_STORE_UNIT_SIZE, CQ_STORE_UNIT_SIZE);
      if (last.length < CQ_STORE_UNIT_SIZE) break;
      const unit = readUnit(last, 0, 0);
      if (unit.size !== BLANK_UNIT_SIZE && unit.pos + unit.size > minPhyOffset) break;
      this.mappedFileQueue.deleteFirstFile();
      deleted++;
    }
    this.correctMinOffset(minPhyOffset);
    return deleted;
  }

  flush(): Promise<number> {
    return this.mappedFileQueue.flush();
  }

  destroy(): void {
    this.mappedFileQueue.destroy();
  }

  shutdown(): void {
    this.mappedFileQueue.shutdown();
  }
}
