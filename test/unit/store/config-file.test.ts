import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfigFile, writeFileAtomic } from '../../../src/store/index.js';
import { tempDir } from './support.js';

const decode = (text: string): unknown => JSON.parse(text);

describe('config files (topics.json, consumerOffset.json, ...)', () => {
  it('replaces atomically, keeps the previous content in .bak and leaves no temp file', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const path = join(dir, 'config', 'topics.json');
      assert.equal(await loadConfigFile(path, decode), undefined);
      await writeFileAtomic(path, '{"v":1}');
      await writeFileAtomic(path, '{"v":2}');
      assert.equal(await readFile(path, 'utf8'), '{"v":2}');
      assert.equal(await readFile(`${path}.bak`, 'utf8'), '{"v":1}');
      assert.deepEqual((await readdir(join(dir, 'config'))).sort(), ['topics.json', 'topics.json.bak']);
      assert.deepEqual(await loadConfigFile(path, decode), { v: 2 });
    } finally {
      await cleanup();
    }
  });

  it('falls back to the .bak when the file is damaged, empty or missing; fails when nothing good is left', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const path = join(dir, 'consumerOffset.json');
      await writeFileAtomic(path, '{"v":1}');
      await writeFileAtomic(path, '{"v":2}');
      const damaged: Error[] = [];
      await writeFile(path, '{"v":');
      assert.deepEqual(await loadConfigFile(path, decode, (err) => damaged.push(err)), { v: 1 });
      assert.equal(damaged.length, 1);
      await writeFile(path, '');
      assert.deepEqual(await loadConfigFile(path, decode), { v: 1 });

      const lonely = join(dir, 'lonely.json');
      await writeFile(lonely, 'garbage');
      await assert.rejects(loadConfigFile(lonely, decode), SyntaxError);
    } finally {
      await cleanup();
    }
  });
});
