import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A new, empty directory under the OS temp dir for a throw-away store (rocketmq-ts/testing's clusters). */
export function createTempStoreDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Removes a throw-away store and everything in it, once its servers are shut down. */
export function removeTempStoreDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}
