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

/**
 * IndexFile.java in Java's on-disk format (reference §7.4): a 40-byte header, `hashSlotNum` 4-byte slots, then
 * `indexNum` 20-byte entries (keyHash, phyOffset, timeDiff seconds, prevIndex) chained per slot. The file is
 * preallocated sparse. The header is kept in memory and written at flush: after a crash the entries past the
 * written count are ignored and recovery re-dispatches them.
 */
export class IndexFile {
  beginTimestamp = 0;
  endTimestamp = 0;
  beginPhyOffset = 0;
  endPhyOffset = 0;
  hashSlotCount = 0;
  indexCount = 1;
  private dirty = false;

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
    return file;
  }

  isWriteFull(): boolean {
    return this.indexCount >= this.indexNum;
  }

  /** IndexFile.putKey. False when the file is full. */
  putKey(key: string, phyOffset: number, storeTimestamp: number): boolean {
    if (this.isWriteFull()) return false;
    const keyHash = indexKeyHash(key);
    const slotPosition = HEADER_SIZE + (keyHash % this.hashSlotNum) * HASH_SLOT_SIZE;
    let slotValue = readFully(this.io, this.fd, 4, slotPosition).readInt32BE(0);
    if (slotValue <= INVALID_INDEX || slotValue >= this.indexCount) slotValue = INVALID_INDEX;
    let timeDiff = this.indexCount <= 1 || this.beginTimestamp <= 0 ? 0 : Math.floor((storeTimestamp - this.beginTimestamp) / 1000);
    timeDiff = Math.min(Math.max(timeDiff, 0), 0x7fffffff);
    const entry = Buffer.allocUnsafe(INDEX_SIZE);
    entry.writeInt32BE(keyHash, 0);
    writeInt64(entry, phyOffset, 4);
    entry.writeInt32BE(timeDiff, 12);
    entry.writeInt32BE(slotValue, 16);
    writeFully(this.io, this.fd, entry, HEADER_SIZE + this.hashSlotNum * HASH_SLOT_SIZE + this.indexCount * INDEX_SIZE);
    const slot = Buffer.allocUnsafe(4);
    slot.writeInt32BE(this.indexCount, 0);
    writeFully(this.io, this.fd, slot, slotPosition);
    if (this.indexCount <= 1) {
      this.beginPhyOffset = phyOffset;
      this.beginTimestamp = storeTimestamp;
    }
    if (slotValue === INVALID_INDEX) this.hashSlotCount++;
    this.indexCount++;
    this.endPhyOffset = phyOffset;
    this.endTimestamp = storeTimestamp;
    this.dirty = true;
    return true;
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
    const slotPosition = HEADER_SIZE + (keyHash % this.hashSlotNum) * HASH_SLOT_SIZE;
    let next = readFully(this.io, this.fd, 4, slotPosition).readInt32BE(0);
    while (out.length < maxNum && next > INVALID_INDEX && next < this.indexCount) {
      const entry = readFully(this.io, this.fd, INDEX_SIZE, HEADER_SIZE + this.hashSlotNum * HASH_SLOT_SIZE + next * INDEX_SIZE);
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

  /** Writes the header and syncs, when anything changed. */
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
      writeFully(this.io, this.fd, header, 0);
      await this.io.fdatasync(this.fd);
    } catch (err) {
      this.dirty = true;
      throw err;
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
