import { copyFile, mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Atomic JSON config files (ConfigManager.persist / MixAll.string2File): the broker's topics.json,
 * consumerOffset.json, subscriptionGroup.json, delayOffset.json, and the name server's kvConfig.json. A write
 * goes to `<file>.tmp` and is fsynced, the current file is copied to `<file>.bak`, the temp file is renamed over
 * the original and the directory is fsynced, so a crash leaves either the old or the new content, never half.
 * Loading falls back to the .bak when the file is missing or does not decode, as ConfigManager.load does.
 */
export async function readTextFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.tmp`;
  const handle = await open(tmp, 'w', 0o644);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await copyFile(path, `${path}.bak`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await rename(tmp, path);
  await syncDirectory(dir);
}

/**
 * Reads and decodes `path`, or its .bak when the file is missing, empty or does not decode. Undefined when
 * neither exists; throws when the file is damaged and there is no good .bak (the caller must not start with
 * defaults over data it could not read).
 */
export async function loadConfigFile<T>(
  path: string,
  decode: (text: string) => T,
  onDamaged?: (err: Error) => void,
): Promise<T | undefined> {
  const main = await readTextFile(path);
  let failure: Error | undefined;
  if (main !== undefined && main.length > 0) {
    try {
      return decode(main);
    } catch (err) {
      failure = err as Error;
      onDamaged?.(failure);
    }
  }
  const backup = await readTextFile(`${path}.bak`);
  if (backup !== undefined && backup.length > 0) return decode(backup);
  if (failure !== undefined) throw failure;
  return undefined;
}

/** The rename is only durable once the directory entry is. */
async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Some platforms cannot open or fsync a directory; the data file itself is already synced.
  } finally {
    await handle?.close();
  }
}
