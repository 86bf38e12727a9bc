import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { aclToInfo } from '../../../../src/broker/auth/acl.js';
import { actionsOfV1Perm, aclOfV1Account, decisionOfV1Perm, migrateAuthFromV1, readV1Accounts } from '../../../../src/broker/auth/auth-migrator.js';
import { AuthenticationMetadataManager } from '../../../../src/broker/auth/authentication-metadata-manager.js';
import { AuthorizationMetadataManager } from '../../../../src/broker/auth/authorization-metadata-manager.js';
import { ConfigFileStore } from '../../../../src/broker/config-file-store.js';
import { silentLogger, type Logger } from '../../../../src/common/logger.js';
import { PlainAclFileStore } from '../../../../src/store/plain-acl-file-store.js';

describe('ACL 1.0 to 2.0 migration (AuthMigrator)', () => {
  it("maps permissions as 5.3.3's parseActions / parseDecision: exact spellings, anything else All", () => {
    assert.deepEqual(actionsOfV1Perm('PUB'), ['Pub']);
    assert.deepEqual(actionsOfV1Perm('SUB'), ['Sub']);
    assert.deepEqual(actionsOfV1Perm('PUB|SUB'), ['Pub', 'Sub']);
    assert.deepEqual(actionsOfV1Perm('SUB|PUB'), ['Pub', 'Sub']);
    assert.deepEqual(actionsOfV1Perm('DENY'), ['All']);
    assert.deepEqual(actionsOfV1Perm('pub'), ['All']);
    assert.deepEqual(actionsOfV1Perm(''), ['All', 'All']);
    assert.equal(decisionOfV1Perm('DENY'), 'Deny');
    assert.equal(decisionOfV1Perm(''), 'Deny');
    assert.equal(decisionOfV1Perm('deny'), 'Allow');
    assert.equal(decisionOfV1Perm('PUB'), 'Allow');
  });

  it('topic and group permissions make the Custom policy, the defaults the Default policy', () => {
    const acl = aclOfV1Account({
      accessKey: 'RocketMQ',
      secretKey: '12345678',
      admin: false,
      defaultTopicPerm: ' DENY ',
      defaultGroupPerm: 'SUB',
      topicPerms: ['topicA=PUB|SUB', ' topicB = DENY ', 'broken', 'a=b=c', '=PUB', 'topicC==SUB'],
      groupPerms: ['%RETRY%groupA=SUB', '%DLQ%groupB=PUB'],
    });
    assert.deepEqual(aclToInfo(acl ?? assert.fail()), {
      subject: 'User:RocketMQ',
      policies: [
        {
          policyType: 'Custom',
          entries: [
            { resource: 'Topic:topicA', actions: ['Pub', 'Sub'], decision: 'Allow' },
            { resource: 'Topic:topicB', actions: ['All'], decision: 'Deny' },
            { resource: 'Topic:topicC', actions: ['Sub'], decision: 'Allow' },
            { resource: 'Group:groupA', actions: ['Sub'], decision: 'Allow' },
            { resource: 'Group:%DLQ%groupB', actions: ['Pub'], decision: 'Allow' },
          ],
        },
        {
          policyType: 'Default',
          entries: [
            { resource: 'Topic:*', actions: ['All'], decision: 'Deny' },
            { resource: 'Group:*', actions: ['Sub'], decision: 'Allow' },
          ],
        },
      ],
    });
    assert.equal(aclOfV1Account({ accessKey: 'admin1', secretKey: 'x', admin: true, defaultTopicPerm: ' ' }), undefined, 'no permission: no ACL');
  });

  it('reads every ACL file, conf/acl first, the first account of a repeated accessKey, unchecked', async () => {
    const home = await mkdtemp(join(tmpdir(), 'rmq-migrate-home-'));
    try {
      await mkdir(join(home, 'conf', 'acl', 'sub'), { recursive: true });
      await writeFile(join(home, 'conf', 'acl', 'sub', 'team.yml'), 'accounts:\n  - {accessKey: teamuser, secretKey: team-secret}\n  - {accessKey: dup, secretKey: from-team}\n');
      await writeFile(join(home, 'conf', 'acl', 'notes.txt'), 'accounts: [{accessKey: ignored, secretKey: not-yml}]\n');
      await writeFile(
        join(home, 'conf', 'plain_acl.yml'),
        'globalWhiteRemoteAddresses: [10.*]\naccounts:\n  - {accessKey: dup, secretKey: from-default, admin: true}\n  - {accessKey: ab, secretKey: c, topicPerms: [t=NOPE]}\n',
      );
      const accounts = await readV1Accounts(new PlainAclFileStore(home));
      assert.deepEqual(
        accounts.map((a) => `${a.accessKey}:${a.secretKey}:${a.admin}`),
        ['teamuser:team-secret:false', 'dup:from-team:false', 'ab:c:false'],
      );
      const emptyHome = join(home, 'empty');
      assert.deepEqual(await readV1Accounts(new PlainAclFileStore(emptyHome)), []);
      assert.equal(await readFile(join(emptyHome, 'conf', 'plain_acl.yml'), 'utf8'), '', 'the default file is created, as Java does');
      await writeFile(join(home, 'conf', 'plain_acl.yml'), 'accounts: [\n');
      await assert.rejects(readV1Accounts(new PlainAclFileStore(home)), /plain_acl\.yml/);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('creates users (admin: Super) and their ACLs, keeps existing users untouched, logs and skips bad accounts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rmq-migrate-'));
    try {
      const store = new ConfigFileStore(dir);
      const users = new AuthenticationMetadataManager(store, silentLogger);
      const acls = new AuthorizationMetadataManager(store, silentLogger, (s) => users.getUser(s.slice(5)) !== undefined);
      await users.initUser([{ username: 'root', password: 'root-pw' }]);
      const errors: string[] = [];
      const logger: Logger = { ...silentLogger, error: (message: string) => void errors.push(message) };
      const created = await migrateAuthFromV1(
        [
          { accessKey: 'root', secretKey: 'other', admin: false, topicPerms: ['t=PUB'] },
          { accessKey: 'admin1', secretKey: 'admin-secret', admin: true },
          { accessKey: 'user1', secretKey: 'user-secret', admin: false, topicPerms: ['t=PUB'] },
          { accessKey: 'nopass', secretKey: '', admin: false, topicPerms: ['t=PUB'] },
        ],
        users,
        acls,
        logger,
      );
      assert.equal(created, 2);
      assert.deepEqual(users.getUser('root'), { username: 'root', password: 'root-pw', userType: 'Super', userStatus: 'enable' });
      assert.equal(acls.getAcl('User:root'), undefined);
      assert.deepEqual(users.getUser('admin1'), { username: 'admin1', password: 'admin-secret', userType: 'Super', userStatus: 'enable' });
      assert.equal(acls.getAcl('User:admin1'), undefined);
      assert.deepEqual(users.getUser('user1'), { username: 'user1', password: 'user-secret', userType: 'Normal', userStatus: 'enable' });
      assert.deepEqual(aclToInfo(acls.getAcl('User:user1') ?? assert.fail()).policies, [{ policyType: 'Custom', entries: [{ resource: 'Topic:t', actions: ['Pub'], decision: 'Allow' }] }]);
      assert.equal(users.getUser('nopass'), undefined);
      assert.equal(acls.getAcl('User:nopass'), undefined);
      assert.equal(errors.length, 1);
      assert.match(errors[0] ?? '', /AccessKey:nopass: password can not be blank/);

      // A second start migrates nothing: a user changed since keeps its change.
      await users.updateUser({ username: 'user1', password: 'changed' });
      assert.equal(await migrateAuthFromV1([{ accessKey: 'user1', secretKey: 'user-secret', admin: true }], users, acls, logger), 0);
      assert.equal(users.getUser('user1')?.password, 'changed');
      assert.equal(users.getUser('user1')?.userType, 'Normal');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
