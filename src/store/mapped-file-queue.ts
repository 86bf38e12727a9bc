import { join } from 'node:path';
import type { FdCache } from './fd-cache.js';
import { MappedFile } from './mapped-file.js';
import { offset2FileName } from './message-store-config.js';
import type { StorageIO } from './storage-io.js';

export class StoreLoadError extends Error {
  override readonly name = 'StoreLoadError';
}

/**
 * MappedFileQueue.java: the segments of one log (the commit log, or one consume queue) in a directory, named by
 * their 20-digit starting offset, contiguous and all of the same size.
 */
export class MappedFileQueue {
  readonly files: MappedFile[] = [];
  /** Offset up to which every segment is synced. */
  flushedWhere = 0;
  /** A segment was created or deleted since the last flush: the directory must be synced too. */
  private directoryDirty = false;

  /**
   * `pinLastFile`: the segment appended to keeps its descriptor out of the FdCache (the commit log, written by
   * every put); a consume queue's last segment goes through the cache like the rest, as thousands of queues would
   * otherwise pin thousands of descriptors. `writeBehind`: appends stay in memory until the flush (MappedFile).
   */
  constructor(
    private readonly io: StorageIO,
    private readonly fdCache: FdCache,
    readonly storePath: string,
    readonly mappedFileSize: number,
    private readonly pinLastFile = false,
    private readonly writeBehind = false,
  ) {}

  /**
   * Opens every segment. As Java's doLoad, a segment of the wrong size or a gap in the names refuses to load,
   * except that an empty last file (a crash while creating it) is removed.
   */
  load(): void {
    if (!this.io.exists(this.storePath)) return;
    const names = this.io.readdir(this.storePath).filter((n) => /^\d{20}$/.test(n)).sort();
    for (const [i, name] of names.entries()) {
      const path = join(this.storePath, name);
      const size = this.io.stat(path)?.size ?? -1;
      if (size === 0 && i === names.length - 1) {
        this.io.unlink(path);
        this.directoryDirty = true;
        continue;
      }
      if (size !== this.mappedFileSize) {
        throw new StoreLoadError(`${path}: length ${size} is not the segment size ${this.mappedFileSize}; refusing to load`);
      }
      const offset = Number(name);
      const previous = this.files.at(-1);
      if (previous !== undefined && offset !== previous.fileFromOffset + this.mappedFileSize) {
        throw new StoreLoadError(`${path}: segment does not follow ${previous.fileName}; refusing to load`);
      }
      if (offset % this.mappedFileSize !== 0) throw new StoreLoadError(`${path}: offset is not a multiple of the segment size`);
      this.files.push(MappedFile.open(this.io, this.fdCache, path, offset, this.mappedFileSize, this.writeBehind));
    }
  }

  getFirstMappedFile(): MappedFile | undefined {
    return this.files[0];
  }

  getLastMappedFile(): MappedFile | undefined {
    return this.files.at(-1);
  }

  /** The segment to append to: the last one, or a new one after it (or at `startOffset` when there is none). */
  getLastMappedFileOrCreate(startOffset: number): MappedFile {
    const last = this.getLastMappedFile();
    if (last !== undefined && !last.isFull()) {
      if (this.pinLastFile) last.pin();
      return last;
    }
    const from = last !== undefined ? last.fileFromOffset + this.mappedFileSize : startOffset - (startOffset % this.mappedFileSize);
    this.io.mkdir(this.storePath);
    const file = MappedFile.create(this.io, this.fdCache, join(this.storePath, offset2FileName(from)), from, this.mappedFileSize, this.writeBehind);
    if (this.pinLastFile) {
      last?.unpin();
      file.pin();
    }
    this.files.push(file);
    this.directoryDirty = true;
    if (this.files.length === 1) this.flushedWhere = from;
    return file;
  }

  findMappedFileByOffset(offset: number): MappedFile | undefined {
    const first = this.files[0];
    if (first === undefined || offset < first.fileFromOffset) return undefined;
    return this.files[Math.floor((offset - first.fileFromOffset) / this.mappedFileSize)];
  }

  getMinOffset(): number {
    return this.files[0]?.fileFromOffset ?? 0;
  }

  getMaxOffset(): number {
    const last = this.getLastMappedFile();
    return last === undefined ? 0 : last.fileFromOffset + last.wrotePosition;
  }

  /** Syncs every segment with unsynced bytes (and the directory after a create or delete); returns the synced offset. */
  async flush(): Promise<number> {
    const target = this.getMaxOffset();
    if (this.directoryDirty) {
      this.directoryDirty = false;
      try {
        await this.io.fsyncDirectory(this.storePath);
      } catch (err) {
        this.directoryDirty = true;
        throw err;
      }
    }
    for (const file of this.files) {
      if (file.fileFromOffset + file.fileSize <= this.flushedWhere) continue;
      await file.flush();
    }
    this.flushedWhere = Math.max(this.flushedWhere, target);
    return this.flushedWhere;
  }

  /** Drops everything at and after `offset`: later segments are deleted, the one holding it is cut. */
  truncateDirtyFiles(offset: number): void {
    for (let i = this.files.length - 1; i >= 0; i--) {
      const file = this.files[i]!;
      if (file.fileFromOffset >= offset && !(i === 0 && file.fileFromOffset === offset)) {
        file.destroy();
        this.files.pop();
        this.directoryDirty = true;
      } else if (file.fileFromOffset + file.wrotePosition > offset) {
        file.truncateTo(offset - file.fileFromOffset);
        break;
      } else {
        break;
      }
    }
    this.flushedWhere = Math.min(this.flushedWhere, offset);
  }

  /** Deletes the first segment (retention); the caller never deletes the last one. */
  deleteFirstFile(): void {
    const file = this.files.shift();
    if (file === undefined) return;
    file.destroy();
    this.directoryDirty = true;
  }

  /** Deletes every segment and the directory: a deleted topic's queue. */
  destroy(): void {
    for (const file of this.files) file.close();
    this.files.length = 0;
    this.io.removeTree(this.storePath);
  }

  shutdown(): void {
    for (const file of this.files) file.close();
  }
}
