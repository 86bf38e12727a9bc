import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AclException } from '../../../../src/broker/acl/acl-exception.js';
import { parseAccessRequest, hostOf } from '../../../../src/broker/acl/plain-access-validator.js';
import { PlainPermissionManager, type AclFileStore } from '../../../../src/broker/acl/plain-permission-manager.js';
import { parseYaml } from '../../../../src/broker/acl/yaml.js';
import { silentLogger } from '../../../../src/common/logger.js';
import { encodeHeartbeatData } from '../../../../src/protocol/bodies/heartbeat-data.js';
import { AclClientRPCHook, RemotingCommand, RequestCode } from '../../../../src/index.js';

/** ACL files in memory; `stamp` changes with every write. */
export class MemoryAclFileStore implements AclFileStore {
  readonly files = new Map<string, { text: string; version: number }>();
  private version = 0;
  writes = 0;

  constructor(readonly defaultFile = '/home/conf/plain_acl.yml') {}

  put(path: string, text: string): void {
    this.files.set(path, { text, version: ++this.version });
  }

  listFiles(): Promise<string[]> {
    const others = [...this.files.keys()].filter((p) => p !== this.defaultFile).sort();
    return Promise.resolve(this.files.has(this.defaultFile) ? [...others, this.defaultFile] : others);
  }

  read(path: string): Promise<string | undefined> {
    return Promise.resolve(this.files.get(path)?.text);
  }

  stamp(path: string): Promise<string | undefined> {
    const file = this.files.get(path);
    return Promise.resolve(file === undefined ? undefined : String(file.version));
  }

  write(path: string, text: string): Promise<void> {
    this.writes++;
    this.put(path, text);
    return Promise.resolve();
  }

  ensureDefaultFile(): Promise<void> {
    if (!this.files.has(this.defaultFile)) this.put(this.defaultFile, '');
    return Promise.resolve();
  }
}

const USER = { accessKey: 'RocketMQ', secretKey: '12345678' };
const ADMIN = { accessKey: 'rocketmq2', secretKey: '87654321' };
const PLAIN_ACL = `globalWhiteRemoteAddresses: [10.10.103.*]
accounts:
  - accessKey: RocketMQ
    secretKey: 12345678
    whiteRemoteAddress: 192.168.9.9
    admin: false
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms: [topicA=PUB|SUB, topicB=DENY, topicS=SUB]
    groupPerms: [groupA=DENY]
  - accessKey: rocketmq2
    secretKey: 87654321
    admin: true
`;

async function manager(text = PLAIN_ACL): Promise<{ manager: PlainPermissionManager; store: MemoryAclFileStore }> {
  const store = new MemoryAclFileStore();
  store.put(store.defaultFile, text);
  const m = new PlainPermissionManager(store, silentLogger, () => 1_700_000_000_000);
  await m.load();
  return { manager: m, store };
}

/** A request as our client signs it, from `addr`. */
function signed(code: number, header: Record<string, string>, credentials?: { accessKey: string; secretKey: string }, body?: Buffer): RemotingCommand {
  const request = RemotingCommand.createRequestCommand(code, header, body);
  if (credentials !== undefined) new AclClientRPCHook(credentials).doBeforeRequest('broker', request);
  return request;
}

function check(m: PlainPermissionManager, request: RemotingCommand, addr = '127.0.0.1:40000'): string | undefined {
  try {
    m.validate(parseAccessRequest(request, addr));
    return undefined;
  } catch (err) {
    assert.ok(err instanceof AclException, String(err));
    assert.equal(err.name, 'org.apache.rocketmq.acl.common.AclException');
    return err.message;
  }
}

const sendV2 = (topic: string, credentials?: { accessKey: string; secretKey: string }, group = 'PID'): RemotingCommand =>
  signed(RequestCode.SEND_MESSAGE_V2, { a: group, b: topic, c: 'TBW102', d: '4', e: '0', f: '0', g: '0', h: '0', i: '', j: '0', k: 'false', m: 'false' }, credentials, Buffer.from('body'));

describe('PlainPermissionManager.validate: the order of 4.9.8', () => {
  it('a globally whitelisted address passes without any key, even a wrong one', async () => {
    const { manager: m } = await manager();
    assert.equal(check(m, sendV2('topicB'), '10.10.103.7:1234'), undefined);
    assert.equal(check(m, sendV2('topicB', { accessKey: 'nobody!!', secretKey: 'whatever' }), '10.10.103.7:1234'), undefined);
  });

  it('no key, an unknown key, then the account whitelist (which skips the signature)', async () => {
    const { manager: m } = await manager();
    assert.equal(check(m, sendV2('topicA')), 'No accessKey is configured');
    assert.equal(check(m, sendV2('topicA', { accessKey: 'stranger', secretKey: 'whatever' })), 'No acl config for stranger');
    assert.equal(check(m, sendV2('topicB', { accessKey: USER.accessKey, secretKey: 'wrong-secret' }), '192.168.9.9:1'), undefined);
  });

  it('a wrong or missing signature, or content changed after signing, fails the signature', async () => {
    const { manager: m } = await manager();
    const failed = `Check signature failed for accessKey=${USER.accessKey}`;
    assert.equal(check(m, sendV2('topicA', { accessKey: USER.accessKey, secretKey: 'wrong-secret' })), failed);
    const tampered = sendV2('topicA', USER);
    tampered.addExtField('b', 'topicC');
    assert.equal(check(m, tampered), failed);
    const unsigned = RemotingCommand.createRequestCommand(RequestCode.SEND_MESSAGE_V2, { AccessKey: USER.accessKey, b: 'topicA' });
    assert.equal(check(m, unsigned), failed);
    assert.equal(check(m, sendV2('topicA', USER)), undefined);
  });

  it('the signature leaves out _UNIQUE_KEY_QUERY, as a 4.9.8 broker does', async () => {
    const { manager: m } = await manager();
    const query = signed(RequestCode.QUERY_MESSAGE, { topic: 'topicA', key: 'k', maxNum: '32', beginTimestamp: '0', endTimestamp: '1' }, USER);
    query.addExtField('_UNIQUE_KEY_QUERY', 'true');
    assert.equal(check(m, query), undefined);
  });

  it('a PUB to RMQ_SYS_TRACE_TOPIC passes any topic permission', async () => {
    const { manager: m } = await manager();
    assert.equal(check(m, sendV2('RMQ_SYS_TRACE_TOPIC', USER)), undefined);
  });

  it('admin-only codes need an admin account, whatever the resources', async () => {
    const { manager: m } = await manager();
    const create = (c: { accessKey: string; secretKey: string }): RemotingCommand => signed(RequestCode.UPDATE_AND_CREATE_TOPIC, { topic: 'topicA' }, c);
    assert.equal(check(m, create(USER)), `Need admin permission for request code=17, but accessKey=${USER.accessKey} is not`);
    assert.equal(check(m, create(ADMIN)), undefined);
    for (const code of [18, 25, 215, 200, 207, 50, 51, 52, 53, 54]) assert.match(check(m, signed(code, {}, USER)) ?? '', /^Need admin permission/, String(code));
  });

  it('each resource: its own permission, else the default; DENY wins; groups by their retry topic', async () => {
    const { manager: m } = await manager();
    assert.equal(check(m, sendV2('topicA', USER)), undefined);
    assert.equal(check(m, sendV2('topicB', USER)), 'No default permission for topic:topicB');
    assert.equal(check(m, sendV2('topicZ', USER)), 'No default permission for topic:topicZ');
    assert.equal(check(m, sendV2('topicS', USER)), 'No default permission for topic:topicS');
    const pull = (topic: string, group: string): RemotingCommand => signed(RequestCode.PULL_MESSAGE, { topic, consumerGroup: group, queueId: '0' }, USER);
    assert.equal(check(m, pull('topicS', 'groupX')), undefined);
    assert.equal(check(m, pull('topicS', 'groupA')), 'No default permission for group:groupA');
    assert.equal(check(m, signed(RequestCode.CONSUMER_SEND_MSG_BACK, { group: 'groupA', offset: '0' }, USER)), 'No default permission for group:groupA');
    // A send back into a retry topic needs SUB on the group.
    assert.equal(check(m, sendV2('%RETRY%groupX', USER, 'groupX')), undefined);
    assert.equal(check(m, sendV2('%RETRY%groupA', USER, 'groupA')), 'No default permission for group:groupA');
  });

  it('an admin without permission lists passes every resource; codes without resources need only the signature', async () => {
    const { manager: m } = await manager();
    assert.equal(check(m, sendV2('anything', ADMIN)), undefined);
    assert.equal(check(m, signed(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'topicB' }, USER)), undefined);
  });

  it('batches (320) are checked like 310, and RECALL_MESSAGE (370) needs PUB (5.x; 4.9.8 checked neither)', async () => {
    const { manager: m } = await manager();
    const batch = signed(RequestCode.SEND_BATCH_MESSAGE, { a: 'PID', b: 'topicB' }, USER);
    assert.equal(check(m, batch), 'No default permission for topic:topicB');
    assert.equal(check(m, signed(RequestCode.RECALL_MESSAGE, { topic: 'topicB', recallHandle: 'h' }, USER)), 'No default permission for topic:topicB');
  });

  it("a heartbeat needs SUB on every consumer's group and subscribed topic", async () => {
    const { manager: m } = await manager();
    const heartbeat = (group: string, topic: string): RemotingCommand =>
      signed(
        RequestCode.HEART_BEAT,
        {},
        USER,
        encodeHeartbeatData({
          clientID: 'c',
          heartbeatFingerprint: 0,
          withoutSub: false,
          producerDataSet: [],
          consumerDataSet: [
            {
              groupName: group,
              consumeType: 'CONSUME_PASSIVELY',
              messageModel: 'CLUSTERING',
              consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET',
              unitMode: false,
              subscriptionDataSet: [{ topic, subString: '*', classFilterMode: false, tagsSet: [], codeSet: [], subVersion: 0, expressionType: 'TAG' }],
            },
          ],
        }),
      );
    assert.equal(check(m, heartbeat('groupX', 'topicS')), undefined);
    assert.equal(check(m, heartbeat('groupX', 'topicB')), 'No default permission for topic:topicB');
    assert.equal(check(m, heartbeat('groupA', 'topicS')), 'No default permission for group:groupA');
    const broken = signed(RequestCode.HEART_BEAT, {}, USER, Buffer.from('{not json'));
    assert.throws(() => m.validate(parseAccessRequest(broken, '127.0.0.1:1')), AclException);
  });

  it('hostOf cuts the port as Java does, IPv6 brackets too', () => {
    assert.equal(hostOf('127.0.0.1:10911'), '127.0.0.1');
    assert.equal(hostOf('[::1]:10911'), '::1');
  });
});

describe('PlainPermissionManager files', () => {
  it('a bad file fails the first load; on reload it is logged and the previous content stays in force', async () => {
    const store = new MemoryAclFileStore();
    store.put(store.defaultFile, 'accounts: [\n');
    await assert.rejects(new PlainPermissionManager(store, silentLogger).load(), /unterminated flow collection/);
    const { manager: m, store: good } = await manager();
    good.put(good.defaultFile, 'accounts:\n  - accessKey: short\n    secretKey: 12345678\n');
    await m.reloadIfChanged();
    assert.equal(check(m, sendV2('topicA', USER)), undefined, 'the old accounts are still in force');
    good.put(good.defaultFile, PLAIN_ACL.replace('topicA=PUB|SUB', 'topicA=DENY'));
    await m.reloadIfChanged();
    assert.equal(check(m, sendV2('topicA', USER)), 'No default permission for topic:topicA');
  });

  it('files under conf/acl add accounts; an accessKey belongs to the first file that has it', async () => {
    const { manager: m, store } = await manager();
    store.put('/home/conf/acl/a.yml', 'accounts:\n  - accessKey: RocketMQ\n    secretKey: another-secret\n    defaultTopicPerm: PUB\n  - accessKey: extra-key\n    secretKey: extra-secret\n    defaultTopicPerm: PUB\n');
    await m.reloadIfChanged();
    assert.equal(check(m, sendV2('topicQ', { accessKey: 'extra-key', secretKey: 'extra-secret' })), undefined);
    assert.equal(check(m, sendV2('topicA', { accessKey: USER.accessKey, secretKey: 'another-secret' })), undefined);
    assert.match(check(m, sendV2('topicA', USER)) ?? '', /Check signature failed/);
  });

  it('admin updates re-read the file (an edit since the last reload is kept), bump its dataVersion and take effect', async () => {
    const { manager: m, store } = await manager();
    // Edited on disk, not reloaded yet.
    store.put(store.defaultFile, PLAIN_ACL.replace('globalWhiteRemoteAddresses: [10.10.103.*]', 'globalWhiteRemoteAddresses: [10.10.104.*]'));
    await m.updateAccessConfig({ accessKey: 'newcomer', secretKey: 'newcomer-secret', admin: false, defaultTopicPerm: 'PUB', topicPerms: ['topicB=PUB'] });
    const doc = parseYaml((await store.read(store.defaultFile)) ?? '') as Map<string, unknown>;
    assert.deepEqual(doc.get('globalWhiteRemoteAddresses'), ['10.10.104.*']);
    assert.equal(m.aclConfigVersion().counter, 1);
    assert.equal(check(m, sendV2('topicB', { accessKey: 'newcomer', secretKey: 'newcomer-secret' })), undefined);
    assert.equal(check(m, sendV2('x', USER), '10.10.104.1:1'), undefined);
    // An update of an existing account keeps what it does not set.
    await m.updateAccessConfig({ accessKey: USER.accessKey, secretKey: USER.secretKey, admin: false, topicPerms: ['topicB=PUB'] });
    assert.equal(check(m, sendV2('topicB', USER)), undefined);
    assert.equal(check(m, sendV2('topicB', { accessKey: USER.accessKey, secretKey: 'wrong-secret' }), '192.168.9.9:1'), undefined, 'whiteRemoteAddress kept');
    assert.equal(check(m, signed(RequestCode.CONSUMER_SEND_MSG_BACK, { group: 'groupA', offset: '0' }, USER)), 'No default permission for group:groupA', 'groupPerms kept');
    assert.equal(m.aclConfigVersion().counter, 2);
    assert.equal(await m.deleteAccessConfig('newcomer'), true);
    assert.equal(await m.deleteAccessConfig('newcomer'), false);
    assert.equal(check(m, sendV2('topicB', { accessKey: 'newcomer', secretKey: 'newcomer-secret' })), 'No acl config for newcomer');
  });

  it('a refused update writes nothing', async () => {
    const { manager: m, store } = await manager();
    const before = store.writes;
    await assert.rejects(m.updateAccessConfig({ accessKey: 'short', secretKey: 'x', admin: false }), /The accessKey=short and secretKey=\*+ cannot be null/);
    await assert.rejects(m.updateAccessConfig({ accessKey: 'newcomer', secretKey: 'newcomer-secret', admin: false, topicPerms: ['topicA=ALL'] }), /Parse resource permission error/);
    await assert.rejects(m.updateAccessConfig({ accessKey: 'newcomer', secretKey: 'newcomer-secret', admin: false, whiteRemoteAddress: '1.2.3' }), /Netaddress/);
    assert.equal(await m.updateGlobalWhiteAddrsConfig(['10.*'], undefined).catch((err: Error) => err.message), 'Netaddress examine scope Exception netaddress is 10.*');
    assert.match((await m.updateGlobalWhiteAddrsConfig(['*'], '/etc/passwd')) ?? '', /not an ACL file/);
    store.put(store.defaultFile, 'accounts: [broken\n');
    await assert.rejects(m.updateAccessConfig({ accessKey: 'newcomer', secretKey: 'newcomer-secret', admin: false }), /does not parse/);
    assert.equal(store.writes, before);
  });
});
