import { mkdir, open, readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { readTextFile, writeFileAtomic } from './config-file.js';

/** Deeper directories under conf/acl are not searched (a symlink loop must not hang a reload). */
const MAX_DEPTH = 16;

/**
 * The ACL 1.0 files where Java's PlainPermissionManager finds them: `$ROCKETMQ_HOME/conf/plain_acl.yml` (or the
 * path relative to ROCKETMQ_HOME that Java's -Drocketmq.acl.plain.file gives) and every *.yml / *.yaml under
 * `$ROCKETMQ_HOME/conf/acl/`, recursively. Written atomically (temp file, fsync, rename; the old content kept as
 * `<file>.bak`, which is no .yml and so never loaded). The broker's PlainPermissionManager reads them through this.
 */
export class PlainAclFileStore {
  readonly defaultFile: string;
  readonly aclDir: string;

  constructor(rocketmqHome: string, plainAclFile = 'conf/plain_acl.yml') {
    if (rocketmqHome === '') throw new Error('ACL 1.0 needs rocketmqHome (ROCKETMQ_HOME): plain_acl.yml is read from $ROCKETMQ_HOME/conf');
    this.defaultFile = resolve(rocketmqHome, plainAclFile);
    this.aclDir = resolve(rocketmqHome, 'conf', 'acl');
  }

  async listFiles(): Promise<string[]> {
    const files = await this.aclFilesUnder(this.aclDir, 0);
    files.sort();
    if (!files.includes(this.defaultFile) && (await this.stamp(this.defaultFile)) !== undefined) files.push(this.defaultFile);
    return files;
  }

  read(path: string): Promise<string | undefined> {
    return readTextFile(path);
  }

  async stamp(path: string): Promise<string | undefined> {
    try {
      const s = await stat(path);
      return s.isFile() ? `${s.mtimeMs}:${s.ctimeMs}:${s.size}:${s.ino}` : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  write(path: string, text: string): Promise<void> {
    return writeFileAtomic(path, text);
  }

  async ensureDefaultFile(): Promise<void> {
    await mkdir(dirname(this.defaultFile), { recursive: true });
    // 'a' creates the file when missing and never truncates an existing one.
    await (await open(this.defaultFile, 'a', 0o644)).close();
  }

  private async aclFilesUnder(dir: string, depth: number): Promise<string[]> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: string[] = [];
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.name.endsWith('.yml') || entry.name.endsWith('.yaml')) {
        if ((await this.stamp(path)) !== undefined) out.push(path);
      } else if (entry.isDirectory() && depth < MAX_DEPTH) out.push(...(await this.aclFilesUnder(path, depth + 1)));
    }
    return out;
  }
}
