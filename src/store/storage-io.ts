import {
  closeSync,
  existsSync,
  fdatasync,
  fsync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  readdirSync,
  rmSync,
  statSync,
  statfsSync,
  unlinkSync,
  writeSync,
} from 'node:fs';

/**
 * Every data-file operation of the store goes through this interface, so tests can inject faults (ENOSPC, EIO,
 * slow fsync) and a disk-usage probe. Reads, writes and truncation are synchronous on purpose: the store has one
 * writer (the JS thread), a record is in the kernel (write(2) returned) before its put resolves (target D1), and a
 * read can never see half an append. Only the durability calls are asynchronous, because fsync can take long and
 * must not block the event loop.
 */
export interface StorageIO {
  /** flags as fs.openSync: 'r+' to reuse a file, 'wx+' to create one that must not exist. */
  open(path: string, flags: 'r' | 'r+' | 'wx+' | 'w'): number;
  close(fd: number): void;
  /** Positional write; may write fewer bytes than asked (the caller loops) or throw (ENOSPC, EIO). */
  write(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  read(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  truncate(fd: number, length: number): void;
  /** fsync(2): data and metadata. */
  fsync(fd: number): Promise<void>;
  /** fdatasync(2): data, and the metadata needed to read it back (enough for preallocated segments). */
  fdatasync(fd: number): Promise<void>;
  /** Makes a created, renamed or deleted directory entry durable. */
  fsyncDirectory(path: string): Promise<void>;
  mkdir(path: string): void;
  readdir(path: string): string[];
  stat(path: string): { size: number; mtimeMs: number; isDirectory: boolean } | undefined;
  exists(path: string): boolean;
  unlink(path: string): void;
  /** Removes a directory tree (a deleted topic's consume queues). */
  removeTree(path: string): void;
  /** Used fraction (0..1) of the file system holding `path`: the retention and disk-full probe. */
  diskUsageRatio(path: string): number;
  /** Size and free bytes of the file system holding `path` (Java's File.getTotalSpace / getFreeSpace). */
  diskSpace(path: string): { total: number; free: number };
}

function promisify(fn: (fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => void, fd: number): Promise<void> {
  return new Promise((resolve, reject) => fn(fd, (err) => (err === null ? resolve() : reject(err))));
}

export const nodeStorageIO: StorageIO = {
  open: (path, flags) => openSync(path, flags, 0o644),
  close: (fd) => closeSync(fd),
  write: (fd, buffer, offset, length, position) => writeSync(fd, buffer, offset, length, position),
  read: (fd, buffer, offset, length, position) => readSync(fd, buffer, offset, length, position),
  truncate: (fd, length) => ftruncateSync(fd, length),
  fsync: (fd) => promisify(fsync, fd),
  fdatasync: (fd) => promisify(fdatasync, fd),
  async fsyncDirectory(path) {
    let fd: number | undefined;
    try {
      fd = openSync(path, 'r');
      await promisify(fsync, fd);
    } catch (err) {
      // Some platforms cannot open or fsync a directory (EISDIR, EPERM, EINVAL); data files are synced anyway.
      if (!['EISDIR', 'EPERM', 'EINVAL', 'EBADF'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  },
  mkdir: (path) => void mkdirSync(path, { recursive: true }),
  readdir: (path) => readdirSync(path),
  stat(path) {
    try {
      const s = statSync(path);
      return { size: s.size, mtimeMs: s.mtimeMs, isDirectory: s.isDirectory() };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  },
  exists: (path) => existsSync(path),
  unlink: (path) => unlinkSync(path),
  removeTree: (path) => rmSync(path, { recursive: true, force: true }),
  diskUsageRatio(path) {
    const s = statfsSync(path);
    return s.blocks === 0 ? 0 : (s.blocks - s.bfree) / s.blocks;
  },
  diskSpace(path) {
    const s = statfsSync(path);
    return { total: s.blocks * s.bsize, free: s.bfree * s.bsize };
  },
};

/** Writes the whole buffer at `position`, looping over short writes. */
export function writeFully(io: StorageIO, fd: number, buffer: Uint8Array, position: number): void {
  let done = 0;
  for (let attempts = 0; done < buffer.length; attempts++) {
    if (attempts > 1000) throw new Error('write makes no progress');
    done += io.write(fd, buffer, done, buffer.length - done, position + done);
  }
}

/** Reads exactly `length` bytes at `position` (fewer only at end of file). */
export function readFully(io: StorageIO, fd: number, length: number, position: number): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = io.read(fd, buffer, done, length - done, position + done);
    if (n === 0) return buffer.subarray(0, done);
    done += n;
  }
  return buffer;
}
