import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { aclFromInfo, aclToInfo } from '../../../../src/broker/auth/acl.js';
import { AuthenticationMetadataManager } from '../../../../src/broker/auth/authentication-metadata-manager.js';
import { AuthorizationMetadataManager } from '../../../../src/broker/auth/authorization-metadata-manager.js';
import { ConfigFileStore } from '../../../../src/broker/config-file-store.js';
import { silentLogger } from '../../../../src/common/logger.js';

function managers(dir: string): { users: AuthenticationMetadataManager; acls: AuthorizationMetadataManager } {
  const store = new ConfigFileStore(dir);
  const users = new AuthenticationMetadataManager(store, silentLogger);
  const acls = new AuthorizationMetadataManager(store, silentLogger, (s) => users.getUser(s.slice(5)) !== undefined);
  return { users, acls };
}

describe('ACL 2.0 storage', () => {
  it('users and ACLs survive a reload from their files, written atomically (no temp file left)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rmq-auth-'));
    try {
      const first = managers(dir);
      await first.users.initUser([{ username: 'root', password: 'pw' }]);
      await first.users.createUser({ username: 'alice', password: 'a-pw', userStatus: 'disable' });
      await first.users.createUser({ username: 'bob', password: 'b-pw' });
      await first.users.updateUser({ username: 'bob', password: 'b-pw2' });
      const info = {
        subject: 'User:alice',
        policies: [
          { policyType: 'Custom', entries: [{ resource: 'Topic:t*', actions: ['Pub', 'Get'], sourceIps: ['10.0.0.0/8'], decision: 'Allow' }] },
          { policyType: 'Default', entries: [{ resource: '*', actions: ['All'], decision: 'Deny' }] },
        ],
      };
      await first.acls.putAcl(aclFromInfo(info, 'User:alice'));
      await assert.rejects(first.acls.putAcl(aclFromInfo({ ...info, subject: 'User:ghost' }, 'User:ghost')), /The subject of User:ghost is not exist\./);
      await assert.rejects(first.users.createUser({ username: 'bob', password: 'x' }), /The user is existed/);

      const second = managers(dir);
      await second.users.load();
      await second.acls.load();
      assert.deepEqual(second.users.listUsers(undefined), first.users.listUsers(undefined));
      assert.deepEqual(second.users.getUser('root'), { username: 'root', password: 'pw', userType: 'Super', userStatus: 'enable' });
      assert.equal(second.users.getUser('bob')?.password, 'b-pw2');
      assert.equal(second.users.getUser('alice')?.userStatus, 'disable');
      assert.deepEqual(aclToInfo(second.acls.getAcl('User:alice') ?? assert.fail()), info);
      assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.tmp')), []);
      assert.ok(JSON.parse(await readFile(join(dir, 'users.json'), 'utf8')) instanceof Array);

      // initUser keeps an existing user as it is; deleting a user's ACL is durable too.
      await second.users.initUser([{ username: 'bob', password: 'other' }]);
      assert.equal(second.users.getUser('bob')?.userType, 'Normal');
      await second.acls.deleteAclOf('User:alice');
      const third = managers(dir);
      await third.acls.load();
      assert.equal(third.acls.getAcl('User:alice'), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
