/**
 * Our broker with ACL 2.0 (issue 16) and our signed clients: the initial super user creates users and ACLs
 * (3001-3010); a user sends and consumes where its ACL allows; a wrong secret, an unknown user, no credentials, a
 * disabled user, a forbidden or unknown topic, a consumer without Get, and a normal user's admin calls are
 * refused with 16 and Java 5.3.3's remarks, leaving nothing stored, no offset moved, no topic or config changed;
 * users and ACLs survive a restart.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAuthConfig } from '../../src/broker/auth/auth-config.js';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import { Admin, MQClientManager, Producer, PushConsumer, TransactionProducer, TransactionState, type ConsumerMessage, type SessionCredentials } from '../../src/client/index.js';
import { MQBrokerError, RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/index.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import { AclClientRPCHook } from '../../src/remoting/acl-client-rpc-hook.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

const ROOT: SessionCredentials = { accessKey: 'rocketmq', secretKey: '12345678' };
const ALICE: SessionCredentials = { accessKey: 'alice', secretKey: 'alice-secret' };
const CAROL: SessionCredentials = { accessKey: 'carol', secretKey: 'carol-secret' };
const OFF: SessionCredentials = { accessKey: 'off', secretKey: 'off-secret' };
const ALLOWED = 'AclAllowedTopic';
const FORBIDDEN = 'AclForbiddenTopic';
const GROUP = 'GID_ACL_ALICE';
/** Transactions are checked every 200 ms once 1.5 s old (past the producer's first heartbeat). */
const BROKER = { transactionCheckInterval: 200, transactionTimeOut: 1500 };

const AUTH = parseAuthConfig(
  new Map([
    ['authenticationEnabled', 'true'],
    ['authorizationEnabled', 'true'],
    ['authenticationMetadataProvider', 'org.apache.rocketmq.auth.authentication.provider.LocalAuthenticationMetadataProvider'],
    ['authorizationMetadataProvider', 'org.apache.rocketmq.auth.authorization.provider.LocalAuthorizationMetadataProvider'],
    ['initAuthenticationUser', JSON.stringify({ username: ROOT.accessKey, password: ROOT.secretKey })],
    ['innerClientAuthenticationCredentials', JSON.stringify({ accessKey: ROOT.accessKey, secretKey: ROOT.secretKey })],
  ]),
);

function brokerError(err: unknown): MQBrokerError | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) if (e instanceof MQBrokerError) return e;
  return undefined;
}

describe('our broker with ACL 2.0 and our signed clients', { timeout: 120_000 }, () => {
  let dir: string;
  let namesrv: NamesrvController;
  let namesrvAddr: string;
  let broker: BrokerController;
  let manager: MQClientManager;
  let admin: Admin;
  const started: { shutdown(): Promise<void> }[] = [];
  const raw = new RemotingClient();

  async function add<T extends { start(): Promise<void>; shutdown(): Promise<void> }>(client: T): Promise<T> {
    await client.start();
    started.push(client);
    return client;
  }
  const producer = (group: string, credentials?: SessionCredentials): Promise<Producer> =>
    add(new Producer({ nameServer: namesrvAddr, group, clientManager: manager, clientIP: '127.0.0.1', retryTimesWhenSendFailed: 0, ...(credentials === undefined ? {} : { credentials }) }));
  const refusal = async (p: Producer, topic: string): Promise<MQBrokerError | undefined> =>
    brokerError(await p.send({ topic, body: Buffer.from('x') }).then(() => undefined, (err: unknown) => err));
  /** One request to the broker, signed with `credentials` (unsigned without). */
  async function call(credentials: SessionCredentials | undefined, code: number, header: Record<string, string | number>): Promise<RemotingCommand> {
    const request = RemotingCommand.createRequestCommand(code, header);
    if (credentials !== undefined) new AclClientRPCHook(credentials).doBeforeRequest(broker.brokerAddr, request);
    return raw.invokeSync(broker.brokerAddr, request, 5000);
  }
  const stored = (topic: string): number => [0, 1].reduce((n, q) => n + broker.messageStore.getMaxOffsetInQueue(topic, q), 0);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-acl2-'));
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    broker = await startTestBroker(dir, namesrvAddr, { auth: AUTH, broker: BROKER });
    await raw.start();
    manager = new MQClientManager();
    admin = await add(new Admin({ nameServer: namesrvAddr, clientManager: manager, clientIP: '127.0.0.1', credentials: ROOT }));
    // The broker registered with the name server (it signs with its inner credentials).
    let registered = 0;
    for (let i = 0; i < 100 && registered === 0; i++) {
      registered = (await admin.clusterInfo()).brokerAddrTable.size;
      if (registered === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(registered, 1, 'the broker registered');
    for (const topic of [ALLOWED, FORBIDDEN]) await admin.createTopic({ brokerAddr: broker.brokerAddr }, topic, { readQueueNums: 2, writeQueueNums: 2 });
    await admin.createUser(broker.brokerAddr, { username: ALICE.accessKey, password: ALICE.secretKey, userType: 'Normal' });
    await admin.createUser(broker.brokerAddr, { username: CAROL.accessKey, password: CAROL.secretKey });
    await admin.createUser(broker.brokerAddr, { username: OFF.accessKey, password: OFF.secretKey, userStatus: 'disable' });
    await admin.createAcl(broker.brokerAddr, {
      subject: `User:${ALICE.accessKey}`,
      policies: [{ policyType: 'Custom', entries: [{ resource: `Topic:${ALLOWED}`, actions: ['Pub', 'Sub', 'Get'], decision: 'Allow' }, { resource: `Group:${GROUP}`, actions: ['Sub', 'Get'], decision: 'Allow' }] }],
    });
    await admin.createAcl(broker.brokerAddr, {
      subject: `User:${CAROL.accessKey}`,
      policies: [{ entries: [{ resource: `Topic:${ALLOWED}`, actions: ['Pub', 'Sub'], decision: 'Allow' }, { resource: 'Group:GID_CAROL', actions: ['Sub'], decision: 'Allow' }] }],
    });
  });

  after(async () => {
    for (const client of started.reverse()) await client.shutdown().catch(() => undefined);
    await raw.shutdown();
    await broker?.shutdown();
    await namesrv?.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it('the super user reads back users and ACLs (3004, 3005, 3009); a missing user is SUCCESS without a body, as Java', async () => {
    const user = await admin.getUser(broker.brokerAddr, ALICE.accessKey);
    assert.deepEqual({ ...user, password: undefined }, { username: 'alice', userType: 'Normal', userStatus: 'enable', password: undefined });
    assert.deepEqual((await admin.listUsers(broker.brokerAddr)).map((u) => u.username).sort(), ['alice', 'carol', 'off', 'rocketmq']);
    const acl = await admin.getAcl(broker.brokerAddr, 'User:alice');
    assert.deepEqual(acl.policies[0]?.entries.map((e) => `${e.resource}=${e.actions.join(',')}/${e.decision}`), [`Topic:${ALLOWED}=Pub,Sub,Get/Allow`, `Group:${GROUP}=Sub,Get/Allow`]);
    const missing = await call(ROOT, RequestCode.AUTH_GET_USER, { username: 'nobody' });
    assert.equal(missing.code, ResponseCode.SUCCESS);
    assert.equal(missing.body, undefined);
    const noAcl = await call(ROOT, RequestCode.AUTH_GET_ACL, { subject: 'User:nobody' });
    assert.deepEqual([noAcl.code, noAcl.remark], [ResponseCode.NO_PERMISSION, 'The subject is not exist.']);
    const dup = await call(ROOT, RequestCode.AUTH_CREATE_USER, { username: 'alice' });
    assert.equal(dup.code, ResponseCode.SYSTEM_ERROR, 'no body');
  });

  it("a user sends where its ACL allows and is refused elsewhere (16, Java's remark); a refused topic is not created", async () => {
    const p = await producer('PID_ACL_ALICE', ALICE);
    assert.equal((await p.send({ topic: ALLOWED, body: Buffer.from('allowed'), keys: 'acl-allowed' })).status, 'SEND_OK');
    const forbidden = await refusal(p, FORBIDDEN);
    assert.equal(forbidden?.responseCode, ResponseCode.NO_PERMISSION);
    assert.equal(forbidden?.remark, `User:alice has no permission to access Topic:${FORBIDDEN} from 127.0.0.1, no matched policies.`);
    assert.equal(stored(FORBIDDEN), 0);
    // autoCreateTopicEnable is on: a send to an unknown topic would create it, but the refusal comes first.
    const created = await call(ALICE, RequestCode.SEND_MESSAGE_V2, { a: 'PID_ACL_ALICE', b: 'AclNewTopic', c: 'TBW102', d: 4, e: 0, f: 0, g: Date.now(), h: 0, j: 0, k: 'false' });
    assert.deepEqual([created.code, created.remark], [ResponseCode.NO_PERMISSION, 'User:alice has no permission to access Topic:AclNewTopic from 127.0.0.1, no matched policies.']);
    assert.equal(broker.topicConfigManager.selectTopicConfig('AclNewTopic'), undefined);
  });

  it('a wrong secret, an unknown user, no credentials and a disabled user are refused (16): nothing stored', async () => {
    const before = stored(ALLOWED);
    const cases: [SessionCredentials | undefined, string][] = [
      [{ accessKey: ALICE.accessKey, secretKey: 'not-the-secret' }, 'check signature failed.'],
      [{ accessKey: 'nobody', secretKey: 'whatever' }, 'User:nobody is not found.'],
      [undefined, 'username cannot be null.'],
      [OFF, 'User:off is disabled.'],
    ];
    for (const [credentials, remark] of cases) {
      const error = await refusal(await producer(`PID_ACL_${remark.length}`, credentials), ALLOWED);
      assert.deepEqual([error?.responseCode, error?.remark], [ResponseCode.NO_PERMISSION, remark]);
    }
    assert.equal(stored(ALLOWED), before, 'no refused send was stored');
  });

  it('a consumer without Get cannot ask for offsets, and cannot move the offsets of a group it may not use', async () => {
    const max = await call(CAROL, RequestCode.GET_MAX_OFFSET, { topic: ALLOWED, queueId: 0 });
    assert.deepEqual([max.code, max.remark], [ResponseCode.NO_PERMISSION, `User:carol has no permission to access Topic:${ALLOWED} from 127.0.0.1, no matched policies.`]);
    const before = broker.consumerOffsetManager.queryOffset(GROUP, ALLOWED, 0);
    const update = await call(CAROL, RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: GROUP, topic: ALLOWED, queueId: 0, commitOffset: 1 });
    assert.deepEqual([update.code, update.remark], [ResponseCode.NO_PERMISSION, `User:carol has no permission to access Group:${GROUP} from 127.0.0.1, no matched policies.`]);
    assert.equal(broker.consumerOffsetManager.queryOffset(GROUP, ALLOWED, 0), before);
  });

  it('a normal user cannot create topics, change the broker config or create a super user', async () => {
    const topic = await call(ALICE, RequestCode.UPDATE_AND_CREATE_TOPIC, { topic: 'AclByAlice', defaultTopic: 'TBW102', readQueueNums: 1, writeQueueNums: 1, perm: 6, topicFilterType: 'SINGLE_TAG' });
    assert.deepEqual([topic.code, topic.remark], [ResponseCode.NO_PERMISSION, 'User:alice has no permission to access Topic:AclByAlice from 127.0.0.1, no matched policies.']);
    assert.equal(broker.topicConfigManager.selectTopicConfig('AclByAlice'), undefined);
    const request = RemotingCommand.createRequestCommand(RequestCode.UPDATE_BROKER_CONFIG);
    request.body = Buffer.from('brokerPermission=2\n');
    new AclClientRPCHook(ALICE).doBeforeRequest(broker.brokerAddr, request);
    const config = await raw.invokeSync(broker.brokerAddr, request, 5000);
    assert.equal(config.code, ResponseCode.NO_PERMISSION);
    assert.equal(broker.config.brokerPermission, 6);
    const user = await call(ALICE, RequestCode.AUTH_CREATE_USER, { username: 'mallory' });
    assert.deepEqual([user.code, user.remark], [ResponseCode.NO_PERMISSION, `User:alice has no permission to access Cluster:${broker.config.brokerClusterName} from 127.0.0.1, no matched policies.`]);
  });

  it("a user's push consumer receives what was sent to the topic it may read", async () => {
    const received: ConsumerMessage[] = [];
    const consumer = new PushConsumer({ nameServer: namesrvAddr, group: GROUP, clientManager: manager, clientIP: '127.0.0.1', credentials: ALICE, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    consumer.subscribe(ALLOWED, '*', (msg) => void received.push(msg));
    await add(consumer);
    await waitFor(() => received.some((m) => m.keys.includes('acl-allowed')), 30_000, 'the allowed message');
  });

  it('binary (ROCKETMQ) headers, checked from their bytes: a send and a push consumer where allowed, refusals elsewhere', async () => {
    // Clients of their own: the serialize type belongs to the client instance.
    const binary = new MQClientManager();
    const options = { nameServer: namesrvAddr, clientManager: binary, clientIP: '127.0.0.1', serializeType: 'ROCKETMQ' as const };
    const p = await add(new Producer({ ...options, group: 'PID_ACL_BINARY', credentials: ALICE, retryTimesWhenSendFailed: 0 }));
    assert.equal((await p.send({ topic: ALLOWED, body: Buffer.from('binary'), keys: 'acl-binary', tags: 'é✓' })).status, 'SEND_OK');
    const forbidden = await refusal(p, FORBIDDEN);
    assert.deepEqual([forbidden?.responseCode, forbidden?.remark], [ResponseCode.NO_PERMISSION, `User:alice has no permission to access Topic:${FORBIDDEN} from 127.0.0.1, no matched policies.`]);
    const wrong = await add(new Producer({ ...options, group: 'PID_ACL_BINARY_WRONG', credentials: { accessKey: ALICE.accessKey, secretKey: 'not-the-secret' }, retryTimesWhenSendFailed: 0 }));
    const refused = await refusal(wrong, ALLOWED);
    assert.deepEqual([refused?.responseCode, refused?.remark], [ResponseCode.NO_PERMISSION, 'check signature failed.']);
    // A group of its own, so that the earlier consumer of GROUP does not take queues from this one.
    await admin.updateAcl(broker.brokerAddr, { subject: `User:${ALICE.accessKey}`, policies: [{ policyType: 'Custom', entries: [{ resource: 'Group:GID_ACL_BINARY', actions: ['Sub'], decision: 'Allow' }] }] });
    const received: ConsumerMessage[] = [];
    const consumer = new PushConsumer({ ...options, group: 'GID_ACL_BINARY', credentials: ALICE, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    consumer.subscribe(ALLOWED, '*', (msg) => void received.push(msg));
    await add(consumer);
    await waitFor(() => received.some((m) => m.keys.includes('acl-binary')), 30_000, 'the message sent with a binary header');
  });

  it("a normal user's transaction committed when the broker checks it is delivered: the answer is authorized on the real topic", async () => {
    const before = stored(ALLOWED);
    const checked: string[] = [];
    const tx = await add(
      new TransactionProducer({
        group: 'PID_ACL_TX',
        nameServer: namesrvAddr,
        clientIP: '127.0.0.1',
        credentials: ALICE,
        heartbeatBrokerInterval: 1000,
        checkLocalTransaction: (msg) => {
          checked.push(msg.keys ?? '');
          return TransactionState.COMMIT;
        },
      }),
    );
    const sent = await tx.sendMessageInTransaction({ topic: ALLOWED, body: 'tx', keys: 'acl-tx' }, () => TransactionState.UNKNOWN);
    assert.equal(sent.localTransactionState, 'UNKNOW');
    // The check names RMQ_SYS_TRANS_HALF_TOPIC, which the answer echoes; alice may not publish there (Java 5.3.3
    // refuses this commit and keeps checking).
    await waitFor(() => stored(ALLOWED) === before + 1, 20_000, 'the message committed by the check in its topic');
    assert.deepEqual(checked, ['acl-tx']);
  });

  it('even the super user cannot point a path, the home or a config file elsewhere (25, 318): 16, nothing applied, nothing written', async () => {
    // Java 5.3.3 refuses only its blacklists (broker: brokerConfigPath, configBlackList; name server: configStorePath,
    // kvConfigPath, configBlackList; checked against it in test/interop/acl-java.test.ts) and takes the other paths,
    // writing them to its config file; ours changes at runtime only what its allow-list names.
    const target = await mkdtemp(join(tmpdir(), 'rmq-acl2-paths-'));
    try {
      const signed = (code: number, body?: string): RemotingCommand => {
        const request = RemotingCommand.createRequestCommand(code, undefined, body === undefined ? undefined : Buffer.from(body));
        new AclClientRPCHook(ROOT).doBeforeRequest(broker.brokerAddr, request);
        return request;
      };
      const brokerConfig = async (): Promise<string> => (await raw.invokeSync(broker.brokerAddr, signed(RequestCode.GET_BROKER_CONFIG), 5000)).body?.toString('utf8') ?? '';
      const namesrvConfig = async (): Promise<string> => (await raw.invokeSync(namesrvAddr, signed(RequestCode.GET_NAMESRV_CONFIG), 5000)).body?.toString('utf8') ?? '';
      const brokerBefore = await brokerConfig();
      const brokerKeys = ['brokerConfigPath', 'configBlackList', 'rocketmqHome', 'storePathRootDir', 'storePathCommitLog', 'storePathConsumeQueue', 'storePathIndex', 'storeCheckpoint', 'abortFile', 'kvConfigPath', 'configStorePath'];
      for (const key of brokerKeys) {
        // With a key the broker may change in the same body: a refused update applies none of it.
        const response = await raw.invokeSync(broker.brokerAddr, signed(RequestCode.UPDATE_BROKER_CONFIG, `brokerPermission=4\n${key}=${join(target, key)}\n`), 5000);
        assert.equal(response.code, ResponseCode.NO_PERMISSION, `${key}: ${response.remark ?? ''}`);
      }
      assert.equal(await brokerConfig(), brokerBefore);
      assert.equal(broker.config.brokerPermission, 6);
      const namesrvBefore = await namesrvConfig();
      for (const key of ['configStorePath', 'kvConfigPath', 'rocketmqHome', 'configBlackList']) {
        const response = await raw.invokeSync(namesrvAddr, signed(RequestCode.UPDATE_NAMESRV_CONFIG, `orderMessageEnable=true\n${key}=${join(target, key)}\n`), 5000);
        assert.equal(response.code, ResponseCode.NO_PERMISSION, `${key}: ${response.remark ?? ''}`);
      }
      assert.equal(await namesrvConfig(), namesrvBefore);
      assert.deepEqual(await readdir(target), [], 'nothing written where the refused updates pointed');
    } finally {
      await rm(target, { recursive: true, force: true });
    }
  });

  it('users and ACLs survive a restart (users.json, acls.json under config/)', async () => {
    for (const client of started.splice(0).reverse()) await client.shutdown();
    await broker.shutdown();
    const users = JSON.parse(await readFile(join(dir, 'broker', 'config', 'users.json'), 'utf8')) as { username: string }[];
    assert.deepEqual(users.map((u) => u.username).sort(), ['alice', 'carol', 'off', 'rocketmq']);
    broker = await startTestBroker(dir, namesrvAddr, { auth: AUTH, broker: BROKER });
    const acl = await call(ROOT, RequestCode.AUTH_GET_ACL, { subject: 'User:alice' });
    assert.equal(acl.code, ResponseCode.SUCCESS);
    assert.match(acl.body?.toString('utf8') ?? '', /Topic:AclAllowedTopic/);
    const send = await call(ALICE, RequestCode.GET_MAX_OFFSET, { topic: ALLOWED, queueId: 0 });
    assert.equal(send.code, ResponseCode.SUCCESS, 'alice still authenticates and is authorized');
    const wrong = await call({ ...ALICE, secretKey: 'x' }, RequestCode.GET_MAX_OFFSET, { topic: ALLOWED, queueId: 0 });
    assert.equal(wrong.remark, 'check signature failed.');
  });
});
