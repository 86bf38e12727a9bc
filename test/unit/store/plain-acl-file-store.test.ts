import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PlainAclFileStore } from '../../../src/store/plain-acl-file-store.js';

describe('PlainAclFileStore: the ACL 1.0 files under ROCKETMQ_HOME', () => {
  it('lists conf/acl/**.yml|yaml (sorted) and then conf/plain_acl.yml; creates the default file empty, never truncates it', async () => {
    const home = await mkdtemp(join(tmpdir(), 'rmq-acl-files-'));
    try {
      const store = new PlainAclFileStore(home);
      assert.deepEqual(await store.listFiles(), []);
      await store.ensureDefaultFile();
      assert.equal(await readFile(join(home, 'conf', 'plain_acl.yml'), 'utf8'), '');
      await writeFile(store.defaultFile, 'accounts: []\n');
      await store.ensureDefaultFile();
      assert.equal(await readFile(store.defaultFile, 'utf8'), 'accounts: []\n');
      await mkdir(join(home, 'conf', 'acl', 'team'), { recursive: true });
      for (const name of ['b.yml', 'a.yaml', 'team/c.yml', 'notes.txt', 'x.yml.bak']) await writeFile(join(home, 'conf', 'acl', name), '');
      assert.deepEqual(await store.listFiles(), [
        join(home, 'conf', 'acl', 'a.yaml'),
        join(home, 'conf', 'acl', 'b.yml'),
        join(home, 'conf', 'acl', 'team', 'c.yml'),
        store.defaultFile,
      ]);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('writes atomically (the stamp changes, no .yml left behind but the file), and a custom default file path', async () => {
    const home = await mkdtemp(join(tmpdir(), 'rmq-acl-files-'));
    try {
      const store = new PlainAclFileStore(home, 'conf/acl/main.yml');
      await store.ensureDefaultFile();
      const before = await store.stamp(store.defaultFile);
      await store.write(store.defaultFile, 'globalWhiteRemoteAddresses: []\n');
      assert.notEqual(await store.stamp(store.defaultFile), before);
      assert.equal(await store.read(store.defaultFile), 'globalWhiteRemoteAddresses: []\n');
      assert.deepEqual(await store.listFiles(), [store.defaultFile]);
      assert.equal(await store.stamp(join(home, 'missing.yml')), undefined);
      assert.equal(await store.read(join(home, 'missing.yml')), undefined);
      assert.throws(() => new PlainAclFileStore(''), /ROCKETMQ_HOME/);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
