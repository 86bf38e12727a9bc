import { existsSync, openSync, readSync, closeSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The commit-log bytes of `[from, to)` from a store's segment files (`<storeRoot>/commitlog/<20-digit offset>`). */
export function readCommitLog(storeRoot: string, segmentSize: number, from: number, to: number): Buffer {
  const dir = join(storeRoot, 'commitlog');
  const out = Buffer.alloc(Math.max(0, to - from));
  for (const name of existsSync(dir) ? readdirSync(dir).filter((n) => /^\d{20}$/.test(n)) : []) {
    const start = Number(name);
    const lo = Math.max(from, start);
    const hi = Math.min(to, start + segmentSize);
    if (lo >= hi) continue;
    const fd = openSync(join(dir, name), 'r');
    try {
      readSync(fd, out, lo - from, hi - lo, lo - start);
    } finally {
      closeSync(fd);
    }
  }
  return out;
}

/**
 * Compares two stores' commit logs over `[from, to)` (the range a slave was shipped): undefined when
 * byte-identical, else the first differing offset.
 */
export function firstCommitLogDifference(a: string, b: string, segmentSize: number, from: number, to: number): number | undefined {
  const step = 4 * 1024 * 1024;
  for (let at = from; at < to; at += step) {
    const end = Math.min(to, at + step);
    const x = readCommitLog(a, segmentSize, at, end);
    const y = readCommitLog(b, segmentSize, at, end);
    if (x.equals(y)) continue;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return at + i;
  }
  return undefined;
}
