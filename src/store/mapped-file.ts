import type { CachedFd, FdCache } from './fd-cache.js';
import { readFully, writeFully, type StorageIO } from './storage-io.js';

/** A write-behind segment writes its buffered tail once it reaches this size, flush or not. */
const MAX_UNCOMMITTED_BYTES = 64 * 1024;
/**
 * After a commit the last bytes stay readable from memory (32 consume-queue entries, a pull's batch): pulls of a
 * consumer that keeps up read them. Little enough for thousands of idle queues.
 */
const KEPT_AFTER_COMMIT = 640;

/**
 * MappedFile.java without the mmap: one fixed-size segment file, preallocated (sparse, by ftruncate) so that
 * fdatasync after a write never has a file-size change to persist, and so that the layout matches Java's.
 * Writes go to the kernel with pwrite before they count; reads use pread and never go past the write position.
 * The descriptor is opened on first access and may be closed by the FdCache while idle, then reopened.
 *
 * A `writeBehind` segment (a consume queue's, which recovery can rebuild from the commit log) keeps what is
 * appended in memory and writes it at the next flush (or once 64 KiB gathered), Java's transientStorePool idea:
 * appends and reads of the fresh tail cost no system call. Reads see the buffered bytes.
 */
export class MappedFile implements CachedFd {
  /** Bytes written so far; a full file (END_OF_FILE record included) has wrotePosition === fileSize. */
  wrotePosition = 0;
  /** Bytes known to be on disk. */
  flushedPosition = 0;
  private pinned = false;
  private flushing = 0;
  private closed = false;
  /** Bytes handed to the kernel; below wrotePosition only for a write-behind segment. */
  private committedPosition = 0;
  /**
   * The bytes [windowStart, wrotePosition) of a write-behind segment: the uncommitted ones, and some committed
   * ones before them (windowStart <= committedPosition).
   */
  private window: Buffer = Buffer.alloc(0);
  private windowStart = 0;

  private constructor(
    private readonly io: StorageIO,
    private readonly fdCache: FdCache,
    readonly fileName: string,
    readonly fileFromOffset: number,
    readonly fileSize: number,
    private fd: number,
    private readonly writeBehind: boolean,
  ) {
    if (fd >= 0) fdCache.touch(this);
  }

  /** Creates and preallocates a new segment; the caller makes the directory entry durable at the next flush. */
  static create(io: StorageIO, fdCache: FdCache, fileName: string, fileFromOffset: number, fileSize: number, writeBehind = false): MappedFile {
    const fd = io.open(fileName, 'wx+');
    try {
      io.truncate(fd, fileSize);
    } catch (err) {
      io.close(fd);
      io.unlink(fileName);
      throw err;
    }
    return new MappedFile(io, fdCache, fileName, fileFromOffset, fileSize, fd, writeBehind);
  }

  /** An existing segment, opened on first access (loading thousands of queues opens nothing); recovery sets the positions. */
  static open(io: StorageIO, fdCache: FdCache, fileName: string, fileFromOffset: number, fileSize: number, writeBehind = false): MappedFile {
    const file = new MappedFile(io, fdCache, fileName, fileFromOffset, fileSize, -1, writeBehind);
    file.setPositions(fileSize);
    return file;
  }

  /** Recovery: everything up to `position` is on disk. */
  setPositions(position: number): void {
    this.wrotePosition = position;
    this.flushedPosition = position;
    this.committedPosition = position;
    this.window = Buffer.alloc(0);
    this.windowStart = position;
  }

  get busy(): boolean {
    return this.flushing > 0;
  }

  /** The descriptor, reopened if the cache closed it; every access counts as a use for the LRU. */
  private descriptor(): number {
    if (this.closed) throw new Error(`${this.fileName} is closed`);
    if (this.fd < 0) this.fd = this.io.open(this.fileName, 'r+');
    if (!this.pinned) this.fdCache.touch(this);
    return this.fd;
  }

  /** Called by the FdCache: closes the idle descriptor; the next access reopens it. */
  releaseFd(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    this.io.close(fd);
  }

  /** The segment being appended to keeps its descriptor whatever the cache's load. */
  pin(): void {
    if (this.pinned) return;
    this.pinned = true;
    this.fdCache.remove(this);
  }

  unpin(): void {
    if (!this.pinned) return;
    this.pinned = false;
    if (this.fd >= 0) this.fdCache.touch(this);
  }

  get remaining(): number {
    return this.fileSize - this.wrotePosition;
  }

  isFull(): boolean {
    return this.wrotePosition === this.fileSize;
  }

  /**
   * Appends at the write position. A failed write (ENOSPC, EIO) leaves the position where it was and tries to
   * zero whatever part did land, so no half record is ever readable or found by recovery as "valid data after".
   */
  append(data: Uint8Array): void {
    const position = this.wrotePosition;
    if (data.length > this.remaining) throw new RangeError(`append of ${data.length} bytes overflows ${this.fileName}`);
    if (this.writeBehind) {
      this.buffer(data);
      return;
    }
    try {
      writeFully(this.io, this.descriptor(), data, position);
    } catch (err) {
      try {
        writeFully(this.io, this.descriptor(), Buffer.alloc(data.length), position);
      } catch {
        // The bytes past the write position are ignored while running and cut off by recovery.
      }
      throw err;
    }
    this.wrotePosition = position + data.length;
    this.committedPosition = this.wrotePosition;
  }

  private buffer(data: Uint8Array): void {
    const at = this.wrotePosition - this.windowStart;
    if (at + data.length > this.window.length) {
      const grown = Buffer.allocUnsafe(Math.max(4096, 2 * (at + data.length)));
      this.window.copy(grown, 0, 0, at);
      this.window = grown;
    }
    this.window.set(data, at);
    this.wrotePosition += data.length;
    if (this.wrotePosition - this.committedPosition >= MAX_UNCOMMITTED_BYTES) {
      try {
        this.commit();
      } catch {
        // Kept in memory; the next flush writes it again and reports the error.
      }
    }
  }

  /** Hands the buffered tail of a write-behind segment to the kernel (a failed write leaves it buffered). */
  commit(): void {
    if (!this.writeBehind || this.wrotePosition === this.committedPosition) return;
    const from = this.committedPosition - this.windowStart;
    writeFully(this.io, this.descriptor(), this.window.subarray(from, this.wrotePosition - this.windowStart), this.committedPosition);
    this.committedPosition = this.wrotePosition;
    const kept = Math.min(KEPT_AFTER_COMMIT, this.wrotePosition - this.windowStart);
    const tail = Buffer.allocUnsafe(kept);
    this.window.copy(tail, 0, this.wrotePosition - this.windowStart - kept, this.wrotePosition - this.windowStart);
    this.window = tail;
    this.windowStart = this.wrotePosition - kept;
  }

  /** Java's END_OF_FILE: the filler record is written and the segment counts as full. */
  appendEndOfFile(blank: Uint8Array): void {
    this.append(blank);
    this.wrotePosition = this.fileSize;
    this.committedPosition = this.fileSize;
  }

  /** Reads `length` bytes at `position` within the file, never past what was written. */
  read(position: number, length: number): Buffer {
    const end = Math.min(position + length, this.wrotePosition);
    if (end <= position) return Buffer.alloc(0);
    if (!this.writeBehind || end <= this.windowStart) return readFully(this.io, this.descriptor(), end - position, position);
    const fromMemory = this.window.subarray(Math.max(0, position - this.windowStart), end - this.windowStart);
    if (position >= this.windowStart) return Buffer.from(fromMemory);
    return Buffer.concat([readFully(this.io, this.descriptor(), this.windowStart - position, position), fromMemory]);
  }

  /** Reads raw bytes regardless of the write position: recovery inspects what is on disk. */
  readRaw(position: number, length: number): Buffer {
    return readFully(this.io, this.descriptor(), Math.max(0, Math.min(length, this.fileSize - position)), position);
  }

  /**
   * Syncs what was written; resolves to the position now durable. The descriptor may have been closed and
   * reopened since the writes: fdatasync syncs the file's dirty pages whichever descriptor wrote them, and since
   * Linux 4.16 a writeback error nobody has seen yet is reported to a descriptor opened after it.
   */
  async flush(): Promise<number> {
    this.commit();
    const target = this.wrotePosition;
    if (target > this.flushedPosition) {
      const fd = this.descriptor();
      this.flushing++;
      try {
        await this.io.fdatasync(fd);
      } finally {
        this.flushing--;
      }
      this.flushedPosition = Math.max(this.flushedPosition, target);
    }
    return this.flushedPosition;
  }

  /** Cuts the file back to `position` and zeroes the rest (cheaply: shrink, then grow back sparse). */
  truncateTo(position: number): void {
    if (this.writeBehind && position >= this.committedPosition) {
      // Only buffered bytes go: the file past committedPosition holds nothing yet.
      this.wrotePosition = Math.min(this.wrotePosition, position);
      return;
    }
    const fd = this.descriptor();
    this.io.truncate(fd, position);
    this.io.truncate(fd, this.fileSize);
    this.window = Buffer.alloc(0);
    this.windowStart = position;
    this.wrotePosition = position;
    this.committedPosition = position;
    this.flushedPosition = Math.min(this.flushedPosition, position);
  }

  lastModified(): number {
    return this.io.stat(this.fileName)?.mtimeMs ?? 0;
  }

  close(): void {
    this.closed = true;
    this.fdCache.remove(this);
    this.releaseFd();
  }

  destroy(): void {
    this.close();
    this.io.unlink(this.fileName);
  }
}
