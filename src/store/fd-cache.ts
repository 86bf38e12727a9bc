/** A segment whose descriptor the cache may close; it reopens the file on its next access. */
export interface CachedFd {
  /** An fsync is in flight on the descriptor: closing it now could sync a reused descriptor number. */
  readonly busy: boolean;
  releaseFd(): void;
}

/**
 * Bounds the descriptors held by commit-log and consume-queue segments. Java maps every segment and keeps it
 * mapped; we pread and pwrite through descriptors, and one per segment of every consume queue runs out of
 * descriptors with thousands of queues. Segments register here on each access, and past `maxOpenFiles` the least
 * recently used ones close theirs. The active commit-log segment is not registered (pinned): every put writes it.
 */
export class FdCache {
  /** Open, closable segments, least recently used first (a Map iterates in insertion order). */
  private readonly lru = new Map<CachedFd, true>();

  constructor(readonly maxOpenFiles: number) {
    if (!Number.isSafeInteger(maxOpenFiles) || maxOpenFiles < 1) throw new Error(`maxOpenSegmentFiles must be a positive integer, not ${maxOpenFiles}`);
  }

  get openFiles(): number {
    return this.lru.size;
  }

  /** Marks `file` most recently used, then closes the least recently used idle ones over the cap (never `file`). */
  touch(file: CachedFd): void {
    this.lru.delete(file);
    this.lru.set(file, true);
    if (this.lru.size <= this.maxOpenFiles) return;
    for (const candidate of this.lru.keys()) {
      if (this.lru.size <= this.maxOpenFiles) break;
      if (candidate === file || candidate.busy) continue;
      this.lru.delete(candidate);
      candidate.releaseFd();
    }
  }

  /** Forgets a segment that closed its descriptor itself, or that is pinned. */
  remove(file: CachedFd): void {
    this.lru.delete(file);
  }
}
