import { readFully, writeFully, type StorageIO } from './storage-io.js';

/**
 * MappedFile.java without the mmap: one fixed-size segment file, preallocated (sparse, by ftruncate) so that
 * fdatasync after a write never has a file-size change to persist, and so that the layout matches Java's.
 * Writes go to the kernel with pwrite before they count; reads use pread and never go past the write position.
 */
export class MappedFile {
  /** Bytes written so far; a full file (END_OF_FILE record included) has wrotePosition === fileSize. */
  wrotePosition = 0;
  /** Bytes known to be on disk. */
  flushedPosition = 0;

  private constructor(
    private readonly io: StorageIO,
    readonly fileName: string,
    readonly fileFromOffset: number,
    readonly fileSize: number,
    private fd: number,
  ) {}

  /** Creates and preallocates a new segment; the caller makes the directory entry durable at the next flush. */
  static create(io: StorageIO, fileName: string, fileFromOffset: number, fileSize: number): MappedFile {
    const fd = io.open(fileName, 'wx+');
    try {
      io.truncate(fd, fileSize);
    } catch (err) {
      io.close(fd);
      io.unlink(fileName);
      throw err;
    }
    return new MappedFile(io, fileName, fileFromOffset, fileSize, fd);
  }

  /** Opens an existing segment; recovery sets the positions. */
  static open(io: StorageIO, fileName: string, fileFromOffset: number, fileSize: number): MappedFile {
    const file = new MappedFile(io, fileName, fileFromOffset, fileSize, io.open(fileName, 'r+'));
    file.wrotePosition = fileSize;
    file.flushedPosition = fileSize;
    return file;
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
    try {
      writeFully(this.io, this.fd, data, position);
    } catch (err) {
      try {
        writeFully(this.io, this.fd, Buffer.alloc(data.length), position);
      } catch {
        // The bytes past the write position are ignored while running and cut off by recovery.
      }
      throw err;
    }
    this.wrotePosition = position + data.length;
  }

  /** Java's END_OF_FILE: the filler record is written and the segment counts as full. */
  appendEndOfFile(blank: Uint8Array): void {
    this.append(blank);
    this.wrotePosition = this.fileSize;
  }

  /** Reads `length` bytes at `position` within the file, never past what was written. */
  read(position: number, length: number): Buffer {
    const end = Math.min(position + length, this.wrotePosition);
    if (end <= position) return Buffer.alloc(0);
    return readFully(this.io, this.fd, end - position, position);
  }

  /** Reads raw bytes regardless of the write position: recovery inspects what is on disk. */
  readRaw(position: number, length: number): Buffer {
    return readFully(this.io, this.fd, Math.max(0, Math.min(length, this.fileSize - position)), position);
  }

  /** Syncs what was written; resolves to the position now durable. */
  async flush(): Promise<number> {
    const target = this.wrotePosition;
    if (target > this.flushedPosition) {
      await this.io.fdatasync(this.fd);
      this.flushedPosition = Math.max(this.flushedPosition, target);
    }
    return this.flushedPosition;
  }

  /** Cuts the file back to `position` and zeroes the rest (cheaply: shrink, then grow back sparse). */
  truncateTo(position: number): void {
    this.io.truncate(this.fd, position);
    this.io.truncate(this.fd, this.fileSize);
    this.wrotePosition = position;
    this.flushedPosition = Math.min(this.flushedPosition, position);
  }

  lastModified(): number {
    return this.io.stat(this.fileName)?.mtimeMs ?? 0;
  }

  close(): void {
    if (this.fd < 0) return;
    this.io.close(this.fd);
    this.fd = -1;
  }

  destroy(): void {
    this.close();
    this.io.unlink(this.fileName);
  }
}
