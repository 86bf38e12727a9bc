/**
 * migrateAuthFromV1Enabled (issue 16): our broker started with ACL 2.0, a plain_acl.yml and conf/acl/*.yml under its
 * rocketmqHome, and the flag, turns the ACL 1.0 accounts into users and ACLs as 5.3.3's AuthMigrator does, then
 * serves the migrated users as ACL 2.0: their old secrets sign, their permissions are the ACL's, the global
 * whitelist no longer lets anything in. A restart migrates nothing twice. (The same files against the Java 5.3.3
 * broker: test/interop/acl-java.test.ts.)
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAuthConfig } from '../../src/broker/auth/auth-config.js';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import { Admin, MQClientManager, PushConsumer, type ConsumerMessage, type SessionCredentials } from '../../src/client/index.js';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/index.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import { AclClientRPCHook } from '../../src/remoting/acl-client-rpc-hook.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { acl2BrokerConfig } from '../helpers/java.js';
import { waitFor } from '../helpers/wait.js';
import { MIGRATED_ACLS, MIGRATED_USERS, V1_ACL_DIR_FILES, V1_MIGRATED, V1_PLAIN_ACL_YML } from '../fixtures/acl-migration.js';

const ROOT: SessionCredentials = { accessKey: 'rocketmq', secretKey: '12345678' };
const AUTH = parseAuthConfig(new Map(Object.entries({ ...acl2BrokerConfig(ROOT), migrateAuthFromV1Enabled: 'true' })));
const { user: USER, admin: ADMIN, team: TEAM, topic: TOPIC, denied: DENIED, group: GROUP } = V1_MIGRATED;

describe('our broker with migrateAuthFromV1Enabled: ACL 1.0 accounts become ACL 2.0 users and ACLs', { timeout: 120_000 }, () => {
  let dir: string;
  let home: string;
  let namesrv: NamesrvController;
  let namesrvAddr: string;
  let broker: BrokerController;
  let admin: Admin;
  const manager = new MQClientManager();
  const started: { shutdown(): Promise<void> }[] = [];
  const raw = new RemotingClient();

  async function call(credentials: SessionCredentials | undefined, code: number, header: Record<string, string | number>, body?: Buffer): Promise<RemotingCommand> {
    const request = RemotingCommand.createRequestCommand(code, header);
    if (body !== undefined) request.body = body;
    if (credentials !== undefined) new AclClientRPCHook(credentials).doBeforeRequest(broker.brokerAddr, request);
    return raw.invokeSync(broker.brokerAddr, request, 5000);
  }
  const sendHeader = (topic: string): Record<string, string | number> => ({
    producerGroup: 'PID_MIGRATED',
    topic,
    defaultTopic: 'TBW102',
    defaultTopicQueueNums: 4,
    queueId: 0,
    sysFlag: 0,
    bornTimestamp: Date.now(),
    flag: 0,
    properties: '',
    reconsumeTimes: 0,
    unitMode: 'false',
    batch: 'false',
  });
  const send = (credentials: SessionCredentials | undefined, topic: string): Promise<RemotingCommand> =>
    call(credentials, RequestCode.SEND_MESSAGE, sendHeader(topic), Buffer.from('migrated'));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-acl-migrate-'));
    home = join(dir, 'home');
    await mkdir(join(home, 'conf', 'acl'), { recursive: true });
    await writeFile(join(home, 'conf', 'plain_acl.yml'), V1_PLAIN_ACL_YML);
    for (const [file, text] of Object.entries(V1_ACL_DIR_FILES)) await writeFile(join(home, file), text);
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    broker = await startTestBroker(dir, namesrvAddr, { auth: AUTH, broker: { rocketmqHome: home } });
    await raw.start();
    admin = new Admin({ nameServer: namesrvAddr, clientManager: manager, clientIP: '127.0.0.1', credentials: ROOT });
    await admin.start();
    started.push(admin);
  });

  after(async () => {
    for (const client of started.reverse()) await client.shutdown().catch(() => undefined);
    await raw.shutdown();
    await broker?.shutdown();
    await namesrv?.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it("lists the migrated users and ACLs as Java 5.3.3's migration makes them (3005, 3010)", async () => {
    const users = await admin.listUsers(broker.brokerAddr);
    assert.deepEqual(users.map((u) => `${u.username}/${u.userType}/${u.userStatus}`).sort(), MIGRATED_USERS);
    const acls = await admin.listAcls(broker.brokerAddr);
    assert.deepEqual(acls.map((a) => ({ subject: a.subject, policies: a.policies })).sort((a, b) => a.subject.localeCompare(b.subject)), MIGRATED_ACLS);
  });

  it('a migrated user signs with its old secret and is allowed and refused as its ACL says (16, Java remarks)', async () => {
    await admin.createTopic({ brokerAddr: broker.brokerAddr }, TOPIC, { readQueueNums: 1, writeQueueNums: 1 });
    await admin.createTopic({ brokerAddr: broker.brokerAddr }, DENIED, { readQueueNums: 1, writeQueueNums: 1 });
    assert.equal((await send(USER, TOPIC)).code, ResponseCode.SUCCESS);
    const denied = await send(USER, DENIED);
    assert.deepEqual([denied.code, denied.remark], [ResponseCode.NO_PERMISSION, `User:${USER.accessKey} has no permission to access Topic:${DENIED} from 127.0.0.1, the decision is deny.`]);
    const other = await send(USER, 'AclMigratedOther');
    assert.deepEqual([other.code, other.remark], [ResponseCode.NO_PERMISSION, `User:${USER.accessKey} has no permission to access Topic:AclMigratedOther from 127.0.0.1, the decision is deny.`]);
    assert.equal(broker.messageStore.getMaxOffsetInQueue(DENIED, 0), 0, 'nothing stored on refusal');
    const wrong = await send({ ...USER, secretKey: 'not-the-secret' }, TOPIC);
    assert.deepEqual([wrong.code, wrong.remark], [ResponseCode.NO_PERMISSION, 'check signature failed.']);
  });

  it('the global whitelist and whiteRemoteAddress are not migrated: unsigned requests from 127.0.0.1 are refused', async () => {
    const unsigned = await send(undefined, TOPIC);
    assert.deepEqual([unsigned.code, unsigned.remark], [ResponseCode.NO_PERMISSION, 'username cannot be null.']);
  });

  it('an admin account is a Super user; an account of conf/acl/ is migrated; the first of a repeated accessKey wins', async () => {
    const created = await call(ADMIN, RequestCode.UPDATE_AND_CREATE_TOPIC, { topic: 'AclMigratedByAdmin', defaultTopic: 'TBW102', readQueueNums: 1, writeQueueNums: 1, perm: 6, topicFilterType: 'SINGLE_TAG', order: 'false' });
    assert.equal(created.code, ResponseCode.SUCCESS, created.remark ?? '');
    assert.equal((await send(TEAM, TOPIC)).code, ResponseCode.SUCCESS);
  });

  it("a migrated user's push consumer receives from its topic through its group permission", async () => {
    const received: ConsumerMessage[] = [];
    const consumer = new PushConsumer({ nameServer: namesrvAddr, group: GROUP, clientManager: manager, clientIP: '127.0.0.1', credentials: USER, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    consumer.subscribe(TOPIC, '*', (msg) => void received.push(msg));
    await consumer.start();
    started.push(consumer);
    await waitFor(() => received.length >= 2, 30_000, 'the messages sent by the migrated users');
  });

  it('a restart migrates nothing twice: a user changed since keeps its change, a deleted ACL stays deleted', async () => {
    await admin.updateUser(broker.brokerAddr, { username: USER.accessKey, password: 'changed-secret' });
    await admin.deleteAcl(broker.brokerAddr, `User:${TEAM.accessKey}`);
    for (const client of started.splice(0).reverse()) await client.shutdown();
    await broker.shutdown();
    broker = await startTestBroker(dir, namesrvAddr, { auth: AUTH, broker: { rocketmqHome: home } });
    const old = await send(USER, TOPIC);
    assert.deepEqual([old.code, old.remark], [ResponseCode.NO_PERMISSION, 'check signature failed.']);
    assert.equal((await send({ ...USER, secretKey: 'changed-secret' }, TOPIC)).code, ResponseCode.SUCCESS);
    const team = await send(TEAM, TOPIC);
    assert.deepEqual([team.code, team.remark], [ResponseCode.NO_PERMISSION, `User:${TEAM.accessKey} has no permission to access Topic:${TOPIC} from 127.0.0.1, no matched policies.`]);
  });
});
