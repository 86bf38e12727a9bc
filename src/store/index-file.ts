import { endianness } from 'node:os';
import { javaStringHashCode, readInt64, writeInt64 } from '../protocol/message/index.js';
import { readFully, writeFully, type StorageIO } from './storage-io.js';

const HEADER_SIZE = 40;
const HASH_SLOT_SIZE = 4;
const INDEX_SIZE = 20;
const INVALID_INDEX = 0;

/** IndexFile.indexKeyHashMethod: |hashCode|, and 0 for Integer.MIN_VALUE. */
export function indexKeyHash(key: string): number {
  const h = Math.abs(javaStringHashCode(key));
  return h < 0 || h > 0x7fffffff ? 0 : h;
}

/** Int32Array holds the platform's byte order; the file holds Java's (big-endian). */
const LITTLE_ENDIAN = endianness() === 'LE';
/** Slots per page of the slot table: dirty slots are written back a 4 KiB page at a time. */
const SLOTS_PER_PAGE = 1024;
/** Pending entries beyond this many bytes are written at once rather than at the next flush. */
const MAX_PENDING_ENTRY_BYTES = 1024 * 1024;

/**
 * IndexFile.java in Java's on-disk format (reference §7.4): a 40-byte header, `hashSlotNum` 4-byte slots, then
 * `indexNum` 20-byte entries (keyHash, phyOffset, timeDiff seconds, prevIndex) chained per slot. The file is
 * preallocated sparse. Java writes slots and entries into a mapped file; we keep the file being written to in
 * memory instead (its slot table, loaded on the first put, and the entries not yet written) so that indexing a
 * key costs no system call, and write the new entries, the dirty slot pages and then the header at flush. After a
 * crash the entries past the written count are ignored and recovery re-dispatches them, since the checkpoint only
 * moves past a record once the flush that wrote its index entries has synced.
 */
export class IndexFile {
  beginTimestamp = 0;
  endTimestamp = 0;
  beginPhyOffset = 0;
  endPhyOffset = 0;
  hashSlotCount = 0;
  indexCount = 1;
  private dirty = false;
  /** The slot table while the file is written to; reads go to it rather than the disk. */
  private slots: Int32Array | undefined;
  private dirtyPages: Set<number> = new Set();
  /** Entries [writtenIndexCount, indexCount) are only in `pendingEntries`. */
  private writtenIndexCount = 1;
  private pendingEntries: Buffer = Buffer.alloc(0);

  private constructor(
    private readonly io: StorageIO,
    readonly fileName: string,
    private readonly hashSlotNum: number,
    private readonly indexNum: number,
    private fd: number,
  ) {}

  static create(io: StorageIO, fileName: string, hashSlotNum: number, indexNum: number, endPhyOffset: number, endTimestamp: number): IndexFile {
    const fd = io.open(fileName, 'wx+');
    const file = new IndexFile(io, fileName, hashSlotNum, indexNum, fd);
    try {
      io.truncate(fd, HEADER_SIZE + hashSlotNum * HASH_SLOT_SIZE + indexNum * INDEX_SIZE);
    } catch (err) {
      file.destroy();
      throw err;
    }
    // Java starts a new file where the previous ended, so time-range checks cover the gap.
    file.beginPhyOffset = file.endPhyOffset = endPhyOffset;
    file.beginTimestamp = file.endTimestamp = endTimestamp;
    file.dirty = true;
    file.slots = new Int32Array(hashSlotNum);
    return file;
  }

  static open(io: StorageIO, fileName: string, hashSlotNum: number, indexNum: number): IndexFile {
    const file = new IndexFile(io, fileName, hashSlotNum, indexNum, io.open(fileName, 'r+'));
    const header = readFully(io, file.fd, HEADER_SIZE, 0);
    if (header.length === HEADER_SIZE) {
      file.beginTimestamp = readInt64(header, 0);
      file.endTimestamp = readInt64(header, 8);
      file.beginPhyOffset = readInt64(header, 16);
      file.endPhyOffset = readInt64(header, 24);
      file.hashSlotCount = header.readInt32BE(32);
      file.indexCount = Math.min(Math.max(1, header.readInt32BE(36)), indexNum);
    }
    file.writtenIndexCount = file.indexCount;
    return file;
  }

  isWriteFull(): boolean {
    return this.indexCount >= this.indexNum;
  }

  private get entriesPosition(): number {
    return HEADER_SIZE + this.hashSlotNum * HASH_SLOT_SIZE;
  }

  /** Loads the slot table of a file opened from disk, on its first put. */
  private slotTable(): Int32Array {
    if (this.slots !== undefined) return this.slots;
    const raw = readFully(this.io, this.fd, this.hashSlotNum * HASH_SLOT_SIZE, HEADER_SIZE);
    const slots = new Int32Array(this.hashSlotNum);
    const view = Buffer.from(slots.buffer, 0, raw.length - (raw.length % HASH_SLOT_SIZE));
    raw.copy(view, 0, 0, view.length);
    if (LITTLE_ENDIAN) view.swap32();
    this.slots = slots;
    return slots;
  }

  private slotValue(slot: number): number {
    if (this.slots !== undefined) return this.slots[slot]!;
    return readFully(this.io, this.fd, 4, HEADER_SIZE + slot * HASH_SLOT_SIZE).readInt32BE(0);
  }

  /** IndexFile.putKey. False when the file is full. */
  putKey(key: string, phyOffset: number, storeTimestamp: number): boolean {
    if (this.isWriteFull()) return false;
    const slots = this.slotTable();
    const keyHash = indexKeyHash(key);
    const slot = keyHash % this.hashSlotNum;
    let slotValue = slots[slot]!;
    if (slotValue <= INVALID_INDEX || slotValue >= this.indexCount) slotValue = INVALID_INDEX;
    let timeDiff = this.indexCount <= 1 || this.beginTimestamp <= 0 ? 0 : Math.floor((storeTimestamp - this.beginTimestamp) / 1000);
    timeDiff = Math.min(Math.max(timeDiff, 0), 0x7fffffff);
    const at = (this.indexCount - this.writtenIndexCount) * INDEX_SIZE;
    if (at + INDEX_SIZE > this.pendingEntries.length) {
      const grown = Buffer.allocUnsafe(Math.max(4096, this.pendingEntries.length * 2));
      this.pendingEntries.copy(grown, 0, 0, at);
      this.pendingEntries = grown;
    }
    const entries = this.pendingEntries;
    entries.writeInt32BE(keyHash, at);
    writeInt64(entries, phyOffset, at + 4);
    entries.writeInt32BE(timeDiff, at + 12);
    entries.writeInt32BE(slotValue, at + 16);
    slots[slot] = this.indexCount;
    this.dirtyPages.add(Math.floor(slot / SLOTS_PER_PAGE));
    if (this.indexCount <= 1) {
      this.beginPhyOffset = phyOffset;
      this.beginTimestamp = storeTimestamp;
    }
    if (slotValue === INVALID_INDEX) this.hashSlotCount++;
    this.indexCount++;
    this.endPhyOffset = phyOffset;
    this.endTimestamp = storeTimestamp;
    this.dirty = true;
    if (at + INDEX_SIZE >= MAX_PENDING_ENTRY_BYTES) this.writeEntries();
    return true;
  }

  /** The 20 bytes of entry `index`, from memory when not written yet. */
  private entry(index: number): Buffer {
    if (index >= this.writtenIndexCount) {
      const at = (index - this.writtenIndexCount) * INDEX_SIZE;
      return this.pendingEntries.subarray(at, at + INDEX_SIZE);
    }
    return readFully(this.io, this.fd, INDEX_SIZE, this.entriesPosition + index * INDEX_SIZE);
  }

  /** Appends the pending entries to the file in one write; the header still counts only the flushed ones. */
  private writeEntries(): void {
    const count = this.indexCount - this.writtenIndexCount;
    if (count === 0) return;
    writeFully(this.io, this.fd, this.pendingEntries.subarray(0, count * INDEX_SIZE), this.entriesPosition + this.writtenIndexCount * INDEX_SIZE);
    this.writtenIndexCount = this.indexCount;
  }

  /** Writes the dirty pages of the slot table, adjacent pages in one write. */
  private writeSlots(): void {
    const slots = this.slots;
    if (slots === undefined || this.dirtyPages.size === 0) return;
    const pages = [...this.dirtyPages].sort((a, b) => a - b);
    for (let i = 0; i < pages.length; ) {
      let j = i + 1;
      while (j < pages.length && pages[j] === pages[j - 1]! + 1) j++;
      const from = pages[i]! * SLOTS_PER_PAGE;
      const to = Math.min((pages[j - 1]! + 1) * SLOTS_PER_PAGE, this.hashSlotNum);
      const raw = Buffer.from(slots.slice(from, to).buffer);
      if (LITTLE_ENDIAN) raw.swap32();
      writeFully(this.io, this.fd, raw, HEADER_SIZE + from * HASH_SLOT_SIZE);
      for (let k = i; k < j; k++) this.dirtyPages.delete(pages[k]!);
      i = j;
    }
  }

  /** IndexFile.isTimeMatched. */
  isTimeMatched(begin: number, end: number): boolean {
    return (
      (begin < this.beginTimestamp && end > this.endTimestamp) ||
      (begin >= this.beginTimestamp && begin <= this.endTimestamp) ||
      (end >= this.beginTimestamp && end <= this.endTimestamp)
    );
  }

  /**
   * IndexFile.selectPhyOffset: walks the key's chain, newest first, collecting offsets whose hash matches and
   * whose time is in [begin, end]. Each step must go to an older entry, so a damaged chain cannot loop.
   */
  selectPhyOffset(out: number[], key: string, maxNum: number, begin: number, end: number): void {
    const keyHash = indexKeyHash(key);
    let next = this.slotValue(keyHash % this.hashSlotNum);
    while (out.length < maxNum && next > INVALID_INDEX && next < this.indexCount) {
      const entry = this.entry(next);
      if (entry.length < INDEX_SIZE) break;
      const timeDiff = entry.readInt32BE(12);
      if (timeDiff < 0) break;
      const time = this.beginTimestamp + timeDiff * 1000;
      if (entry.readInt32BE(0) === keyHash && time >= begin && time <= end) out.push(readInt64(entry, 4));
      const prev = entry.readInt32BE(16);
      if (prev >= next) break;
      next = prev;
    }
  }

  /**
   * Writes the new entries, the dirty slots and then the header, and syncs, when anything changed. A full file
   * drops its slot table afterwards: nothing is added to it any more, and reads of it go to the disk.
   */
  async flush(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    const header = Buffer.allocUnsafe(HEADER_SIZE);
    writeInt64(header, this.beginTimestamp, 0);
    writeInt64(header, this.endTimestamp, 8);
    writeInt64(header, this.beginPhyOffset, 16);
    writeInt64(header, this.endPhyOffset, 24);
    header.writeInt32BE(this.hashSlotCount, 32);
    header.writeInt32BE(this.indexCount, 36);
    try {
      this.writeEntries();
      this.writeSlots();
      writeFully(this.io, this.fd, header, 0);
      await this.io.fdatasync(this.fd);
    } catch (err) {
      this.dirty = true;
      throw err;
    }
    if (this.isWriteFull() && !this.dirty && this.dirtyPages.size === 0) {
      this.slots = undefined;
      this.pendingEntries = Buffer.alloc(0);
    }
  }

  close(): void {
    if (this.fd >= 0) this.io.close(this.fd);
    this.fd = -1;
  }

  destroy(): void {
    this.close();
    this.io.unlink(this.fileName);
  }
}
