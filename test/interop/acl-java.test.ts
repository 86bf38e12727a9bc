/**
 * Our clients with credentials (issue 16): every request signed as Java's AclClientRPCHook signs it.
 * - ACL 2.0, the same cases against the Java 5.3.3 broker and against ours (both configured with the same
 *   broker.conf keys): our Admin, as the initial super user, creates two topics, a Normal user and its ACL (codes
 *   17, 3001, 3006) and reads them back (3004, 3005, 3009); the user's Producer sends where its ACL allows and is
 *   refused elsewhere; a wrong secret and no credentials are refused with the broker's remarks (16), nothing
 *   stored; the user's PushConsumer receives what was sent; Java 5.3.3's DefaultMQAdminExt, producer and push
 *   consumer do the same (AclDriver).
 * - ACL 1.0 (plain_acl.yml), the same cases against the Java 4.9.8 broker and against ours: an account sends to its
 *   topic and is refused a DENY one, a wrong secret and no credentials are refused (1, AclException), a non-admin
 *   account cannot create topics, the account's PushConsumer receives; then Java 4.9.8's own clients do the same
 *   and drive updateAclConfig / clusterAclConfigVersion / deleteAclConfig (DefaultMQAdminExt).
 * Skipped (loudly) without java and mvn, unless CI is set.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Admin, MQClientManager, Producer, PushConsumer, type ConsumerMessage, type SessionCredentials } from '../../src/client/index.js';
import { MQBrokerError, ResponseCode } from '../../src/index.js';
import { acl2BrokerConfig, buildInterop, interopSkip, runJava, startJavaBroker, startJavaNameServer } from '../helpers/java.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { parseAuthConfig } from '../../src/broker/auth/auth-config.js';
import { waitFor } from '../helpers/wait.js';

const skip = await interopSkip();
const ROOT: SessionCredentials = { accessKey: 'rocketmq', secretKey: '12345678' };
const ALICE: SessionCredentials = { accessKey: 'alice', secretKey: 'alice-secret' };
const ALLOWED = 'AclAllowedTopic';
const FORBIDDEN = 'AclForbiddenTopic';
const GROUP = 'GID_ACL_ALICE';

/** The compiled CLI next to this test (the same code as dist/cli/main.js). */
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Runs the CLI as a child process, signing with `credentials` through its environment when given. */
function cli(args: string[], credentials?: SessionCredentials): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, ROCKETMQ_ACCESS_KEY: credentials?.accessKey ?? '', ROCKETMQ_SECRET_KEY: credentials?.secretKey ?? '' };
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

/** The MQBrokerError a failed call carries, wherever the client wrapped it. */
function brokerError(err: unknown): MQBrokerError | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) if (e instanceof MQBrokerError) return e;
  return undefined;
}

/** The MQBrokerError of a send that was refused. */
async function refusal(p: Producer, topic: string): Promise<MQBrokerError | undefined> {
  return brokerError(await p.send({ topic, body: Buffer.from('x') }).then(() => undefined, (err: unknown) => err));
}

/** The clients a suite started (shut down at its end), in one client manager. */
class StartedClients {
  readonly manager = new MQClientManager();
  private readonly started: { shutdown(): Promise<void> }[] = [];

  async add<T extends { start(): Promise<void>; shutdown(): Promise<void> }>(client: T): Promise<T> {
    await client.start();
    this.started.push(client);
    return client;
  }

  /** A producer that does not retry, so a refusal is seen once. */
  producer(nameServer: string, group: string, credentials?: SessionCredentials): Promise<Producer> {
    return this.add(new Producer({ nameServer, group, clientManager: this.manager, retryTimesWhenSendFailed: 0, ...(credentials === undefined ? {} : { credentials }) }));
  }

  async shutdown(): Promise<void> {
    for (const client of this.started.reverse()) await client.shutdown().catch(() => undefined);
  }
}

/** A name server and a broker with ACL 2.0 on, as acl2Config says. */
interface Acl2Cluster {
  namesrvAddr: string;
  brokerAddr: string;
  stop(): Promise<void>;
}

/** The broker.conf keys both brokers get: Java's providers, the root user as initial and inner user. */
const ACL2_CONFIG = acl2BrokerConfig(ROOT);

async function javaAcl2Cluster(): Promise<Acl2Cluster> {
  const namesrv = await startJavaNameServer();
  const broker = await startJavaBroker({ namesrvAddr: namesrv.addr, config: ACL2_CONFIG }).catch(async (err: unknown) => {
    await namesrv.stop();
    throw err;
  });
  return {
    namesrvAddr: namesrv.addr,
    brokerAddr: broker.addr,
    async stop() {
      await broker.stop();
      await namesrv.stop();
    },
  };
}

/** Ours, in this process, reading the same keys as `rocketmq-ts broker -c broker.conf` does. */
async function ourAcl2Cluster(): Promise<Acl2Cluster> {
  const dir = await mkdtemp(join(tmpdir(), 'rmq-acl2-interop-'));
  const { namesrv, namesrvAddr } = await startTestNamesrv(dir);
  const broker = await startTestBroker(dir, namesrvAddr, { auth: parseAuthConfig(new Map(Object.entries(ACL2_CONFIG))) });
  return {
    namesrvAddr,
    brokerAddr: broker.brokerAddr,
    async stop() {
      await broker.shutdown();
      await namesrv.shutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Java 5.3.3's clients (DefaultMQAdminExt, producer, push consumer) with AclClientRPCHook: what AclDriver reports. */
interface AclDriverReport {
  userType: string | null;
  acl: string[];
  allowed: string;
  forbidden: { code?: number; remark?: string; sent?: string; error?: string };
  wrongPassword: { code?: number; remark?: string; sent?: string; error?: string };
  consumed: boolean;
}

// The same cases against the Java 5.3.3 broker (the expectation) and against ours.
for (const [brokerName, startCluster] of [
  ['the Java 5.3.3 broker', javaAcl2Cluster],
  ['our broker', ourAcl2Cluster],
] as const) {
  describe(`clients signing their requests: ${brokerName} with ACL 2.0`, { skip, timeout: 5 * 60_000 }, () => {
    let cluster: Acl2Cluster;
    let admin: Admin;
    const clients = new StartedClients();
    const producer = (group: string, credentials?: SessionCredentials): Promise<Producer> => clients.producer(cluster.namesrvAddr, group, credentials);

    before(async () => {
      cluster = await startCluster();
      admin = await clients.add(new Admin({ nameServer: cluster.namesrvAddr, clientManager: clients.manager, credentials: ROOT }));
      // The broker registers with its inner credentials; the name server (no ACL in 5.3.3) then knows it.
      for (let i = 0; i < 600 && (await admin.clusterInfo()).brokerAddrTable.size === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      for (const topic of [ALLOWED, FORBIDDEN]) await admin.createTopic({ brokerAddr: cluster.brokerAddr }, topic, { readQueueNums: 2, writeQueueNums: 2 });
      await admin.createUser(cluster.brokerAddr, { username: ALICE.accessKey, password: ALICE.secretKey, userType: 'Normal' });
      await admin.createAcl(cluster.brokerAddr, {
        subject: `User:${ALICE.accessKey}`,
        policies: [
          {
            policyType: 'Custom',
            entries: [
              { resource: `Topic:${ALLOWED}`, actions: ['Pub', 'Sub', 'Get'], decision: 'Allow' },
              { resource: `Group:${GROUP}`, actions: ['Sub', 'Get'], decision: 'Allow' },
            ],
          },
        ],
      });
    });

    after(async () => {
      await clients.shutdown();
      await cluster?.stop();
    });

    it('the super user reads back the user and the ACL it created (3004, 3005, 3009)', async () => {
      const user = await admin.getUser(cluster.brokerAddr, ALICE.accessKey);
      assert.equal(user.username, ALICE.accessKey);
      assert.equal(user.userType, 'Normal');
      assert.ok((await admin.listUsers(cluster.brokerAddr)).some((u) => u.username === ALICE.accessKey));
      const acl = await admin.getAcl(cluster.brokerAddr, `User:${ALICE.accessKey}`);
      const resources = acl.policies.flatMap((p) => p.entries.map((e) => `${e.resource}=${[...e.actions].sort().join(',')}/${e.decision}`));
      assert.deepEqual(resources.sort(), [`Group:${GROUP}=Get,Sub/Allow`, `Topic:${ALLOWED}=Get,Pub,Sub/Allow`]);
    });

    it("a user's producer sends where its ACL allows and is refused elsewhere (16, Java's remark)", async () => {
      const p = await producer('PID_ACL_ALICE', ALICE);
      const sent = await p.send({ topic: ALLOWED, body: Buffer.from('allowed'), keys: 'acl-allowed' });
      assert.equal(sent.status, 'SEND_OK');
      const refused = await p.send({ topic: FORBIDDEN, body: Buffer.from('forbidden') }).then(
        () => undefined,
        (err: unknown) => err,
      );
      const error = brokerError(refused);
      assert.equal(error?.responseCode, ResponseCode.NO_PERMISSION, String(refused));
      assert.match(error?.remark ?? '', /^User:alice has no permission to access Topic:AclForbiddenTopic from [0-9.]+, no matched policies\.$/);
    });

    it('a wrong secret and no credentials are refused (16): nothing is stored', async () => {
      const before = (await admin.topicStats(ALLOWED)).reduce((n, q) => n + q.maxOffset, 0);
      const wrong = await producer('PID_ACL_WRONG', { accessKey: ALICE.accessKey, secretKey: 'not-the-secret' });
      const wrongErr = await refusal(wrong, ALLOWED);
      assert.equal(wrongErr?.responseCode, ResponseCode.NO_PERMISSION);
      assert.equal(wrongErr?.remark, 'check signature failed.');
      const anonymous = await producer('PID_ACL_NONE');
      const anonymousErr = await refusal(anonymous, ALLOWED);
      assert.equal(anonymousErr?.responseCode, ResponseCode.NO_PERMISSION);
      assert.equal(anonymousErr?.remark, 'username cannot be null.');
      assert.equal((await admin.topicStats(ALLOWED)).reduce((n, q) => n + q.maxOffset, 0), before, 'no refused send was stored');
    });

    it('the CLI creates and reads users and ACLs, signed from its environment, and fails unsigned', async () => {
      const n = ['-n', cluster.namesrvAddr, '-b', cluster.brokerAddr];
      const created = await cli(['user', 'create', ...n, '-u', 'bob', '-p', 'bob-secret', '-t', 'Normal'], ROOT);
      assert.equal(created.code, 0, created.stderr);
      const acl = await cli(['acl', 'create', ...n, '-s', 'User:bob', '-r', `Topic:${ALLOWED},Group:GID_BOB`, '-a', 'Sub,Get', '-d', 'Allow'], ROOT);
      assert.equal(acl.code, 0, acl.stderr);
      const users = await cli(['user', 'list', ...n, '--json'], ROOT);
      assert.equal(users.code, 0, users.stderr);
      assert.deepEqual(
        (JSON.parse(users.stdout) as { username: string }[]).map((u) => u.username).sort(),
        [ALICE.accessKey, 'bob', ROOT.accessKey].sort(),
      );
      const got = await cli(['acl', 'get', ...n, '-s', 'User:bob'], ROOT);
      assert.equal(got.code, 0, got.stderr);
      assert.match(got.stdout, /User:bob\s+Custom\s+Topic:AclAllowedTopic\s+Sub,Get\s+Allow/);
      const unsigned = await cli(['user', 'get', ...n, '-u', 'bob']);
      assert.equal(unsigned.code, 1);
      assert.match(unsigned.stderr, /CODE: 16\s+DESC: username cannot be null\./);
    });

    it("a user's push consumer receives what was sent to the topic it may read", async () => {
      const received: ConsumerMessage[] = [];
      const consumer = new PushConsumer({ nameServer: cluster.namesrvAddr, group: GROUP, clientManager: clients.manager, credentials: ALICE, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
      consumer.subscribe(ALLOWED, '*', (msg) => void received.push(msg));
      await clients.add(consumer);
      await waitFor(() => received.some((m) => m.keys.includes('acl-allowed')), 60_000, 'the allowed message');
    });

    it("Java 5.3.3 clients: the super user's DefaultMQAdminExt creates a user and its ACL, the user sends and consumes where allowed, is refused elsewhere (16)", async () => {
      const { classpath } = await buildInterop('5.3.3');
      const run = await runJava({
        mainClass: 'io.rocketmqts.interop.AclDriver',
        classpath,
        timeoutMs: 120_000,
        args: ['--namesrv', cluster.namesrvAddr, '--broker', cluster.brokerAddr, '--root-ak', ROOT.accessKey, '--root-sk', ROOT.secretKey,
          '--user', 'carol', '--password', 'carol-secret', '--allowed', 'AclJavaAllowed', '--forbidden', 'AclJavaForbidden', '--group', 'GID_ACL_JAVA'],
      });
      assert.equal(run.code, 0, run.stderr);
      const report = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '') as AclDriverReport;
      assert.equal(report.userType, 'Normal');
      assert.deepEqual(report.acl, ['Topic:AclJavaAllowed=Pub,Sub,Get/Allow', 'Group:GID_ACL_JAVA=Pub,Sub,Get/Allow']);
      assert.equal(report.allowed, 'SEND_OK');
      assert.equal(report.forbidden.code, ResponseCode.NO_PERMISSION, JSON.stringify(report.forbidden));
      assert.match(report.forbidden.remark ?? '', /^User:carol has no permission to access Topic:AclJavaForbidden from [0-9.]+, no matched policies\.$/);
      assert.deepEqual(report.wrongPassword, { code: ResponseCode.NO_PERMISSION, remark: 'check signature failed.' });
      assert.equal(report.consumed, true);
    });
  });
}

const V1_USER: SessionCredentials = { accessKey: 'RocketMQ', secretKey: '12345678' };
const V1_ADMIN: SessionCredentials = { accessKey: 'rocketmq2', secretKey: '87654321' };
const V1_TOPIC = 'AclV1Topic';
const V1_DENIED = 'AclV1Denied';
const V1_GROUP = 'GID_ACL_V1';
/** Java's sample plain_acl.yml, cut to what the cases need: nothing whitelisted, one user and one admin account. */
const PLAIN_ACL_YML = `globalWhiteRemoteAddresses:
accounts:
  - accessKey: ${V1_USER.accessKey}
    secretKey: ${V1_USER.secretKey}
    whiteRemoteAddress:
    admin: false
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - ${V1_TOPIC}=PUB|SUB
    groupPerms:
      - ${V1_GROUP}=SUB
  - accessKey: ${V1_ADMIN.accessKey}
    secretKey: ${V1_ADMIN.secretKey}
    whiteRemoteAddress:
    admin: true
`;

/** Where an ACL 1.0 suite runs: a name server and a broker that reads PLAIN_ACL_YML. */
interface AclV1Cluster {
  namesrvAddr: string;
  brokerAddr: string;
  stop(): Promise<void>;
}

/** One outcome of the Java driver: `ok`, or the broker's code and remark. */
interface JavaOutcome {
  ok?: unknown;
  code?: number;
  remark?: string;
  error?: string;
}

/**
 * The same cases against both brokers: our clients (send, refusals, topic creation, push consumer), then Java
 * 4.9.8's clients in one JVM (AclV1Driver: AclClientRPCHook producers and consumer, DefaultMQAdminExt's
 * updateAclConfig, clusterAclConfigVersion and deleteAclConfig). What the Java 4.9.8 broker answers is what ours must.
 */
function aclV1Suite(title: string, start: () => Promise<AclV1Cluster>): void {
  describe(title, { skip, timeout: 5 * 60_000 }, () => {
    let cluster: AclV1Cluster;
    const clients = new StartedClients();
    const producer = (group: string, credentials?: SessionCredentials): Promise<Producer> => clients.producer(cluster.namesrvAddr, group, credentials);

    before(async () => {
      cluster = await start();
      const admin = await clients.add(new Admin({ nameServer: cluster.namesrvAddr, clientManager: clients.manager, credentials: V1_ADMIN }));
      for (let i = 0; i < 600 && (await admin.clusterInfo()).brokerAddrTable.size === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      // UPDATE_AND_CREATE_TOPIC (17) is for admin accounts.
      for (const topic of [V1_TOPIC, V1_DENIED]) await admin.createTopic({ brokerAddr: cluster.brokerAddr }, topic, { readQueueNums: 2, writeQueueNums: 2 });
    });

    after(async () => {
      await clients.shutdown();
      await cluster?.stop();
    });

    it('an account sends to the topic it may publish to, and is refused a DENY topic (1, AclException)', async () => {
      const p = await producer('PID_ACL_V1', V1_USER);
      assert.equal((await p.send({ topic: V1_TOPIC, body: Buffer.from('v1'), keys: 'acl-v1' })).status, 'SEND_OK');
      const denied = await refusal(p, V1_DENIED);
      assert.equal(denied?.responseCode, ResponseCode.SYSTEM_ERROR);
      assert.match(denied?.remark ?? '', /^org\.apache\.rocketmq\.acl\.common\.AclException: No default permission for topic:AclV1Denied, /);
    });

    it('a wrong secret and no credentials are refused (1, AclException), and an account cannot create topics', async () => {
      const wrong = await refusal(await producer('PID_ACL_V1_WRONG', { accessKey: V1_USER.accessKey, secretKey: 'not-the-secret' }), V1_TOPIC);
      assert.equal(wrong?.responseCode, ResponseCode.SYSTEM_ERROR);
      assert.match(wrong?.remark ?? '', /AclException: Check signature failed for accessKey=RocketMQ/);
      const none = await refusal(await producer('PID_ACL_V1_NONE'), V1_TOPIC);
      assert.equal(none?.responseCode, ResponseCode.SYSTEM_ERROR);
      assert.match(none?.remark ?? '', /AclException: No accessKey is configured/);
      const user = await clients.add(new Admin({ nameServer: cluster.namesrvAddr, clientManager: clients.manager, credentials: V1_USER }));
      const created = await user.createTopic({ brokerAddr: cluster.brokerAddr }, 'AclV1ByUser').then(() => undefined, (err: unknown) => err);
      assert.match(brokerError(created)?.remark ?? String(created), /AclException: Need admin permission for request code=17, but accessKey=RocketMQ is not/);
    });

    it("an account's push consumer receives what was sent to its topic", async () => {
      const received: ConsumerMessage[] = [];
      const consumer = new PushConsumer({ nameServer: cluster.namesrvAddr, group: V1_GROUP, clientManager: clients.manager, credentials: V1_USER, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
      consumer.subscribe(V1_TOPIC, '*', (msg) => void received.push(msg));
      await clients.add(consumer);
      await waitFor(() => received.some((m) => m.keys.includes('acl-v1')), 60_000, 'the message sent with the account');
    });

    it("Java 4.9.8's clients: sends, refusals, updateAclConfig, clusterAclConfigVersion, deleteAclConfig, push consumer", async () => {
      const { classpath } = await buildInterop('4.9.8');
      const run = await runJava({
        mainClass: 'io.rocketmqts.interop.AclV1Driver',
        args: [
          '--namesrv', cluster.namesrvAddr, '--broker', cluster.brokerAddr,
          '--user', `${V1_USER.accessKey}:${V1_USER.secretKey}`, '--admin', `${V1_ADMIN.accessKey}:${V1_ADMIN.secretKey}`,
          '--topic', V1_TOPIC, '--denied', V1_DENIED, '--group', 'GID_ACL_V1_JAVA',
        ],
        classpath,
        timeoutMs: 180_000,
      });
      assert.equal(run.code, 0, run.stderr);
      const out = JSON.parse(run.stdout.split('\n').find((l) => l.startsWith('{')) ?? '{}') as Record<string, JavaOutcome>;
      const refused = (step: string, remark: RegExp): void => {
        assert.equal(out[step]?.code, ResponseCode.SYSTEM_ERROR, `${step}: ${JSON.stringify(out[step])}`);
        assert.match(out[step]?.remark ?? '', remark, step);
      };
      assert.deepEqual(out['send'], { ok: 'SEND_OK' });
      // Java 4.9.4+ signs the _UNIQUE_KEY_QUERY field it adds to QUERY_MESSAGE and a 4.9.8 broker leaves it out of
      // the content: the signature fails, which MQAdminImpl reports as finding nothing. Ours does the same.
      assert.deepEqual(out['queryByKey'], { code: 208, remark: 'query message by key finished, but no message.' });
      refused('sendDenied', /^org\.apache\.rocketmq\.acl\.common\.AclException: No default permission for topic:AclV1Denied, /);
      refused('wrongSecret', /AclException: Check signature failed for accessKey=RocketMQ/);
      refused('noCredentials', /AclException: No accessKey is configured/);
      refused('createTopicAsUser', /AclException: Need admin permission for request code=17, but accessKey=RocketMQ is not/);
      assert.deepEqual(out['updateAclConfig'], { ok: 'updated' });
      assert.deepEqual(out['sendAsNewcomer'], { ok: 'SEND_OK' });
      refused('sendDeniedAsNewcomer', /AclException: No default permission for topic:AclV1Denied/);
      const version = out['clusterAclConfigVersion']?.ok as { brokerName: string; clusterName: string; versions: Record<string, number> } | undefined;
      assert.equal(version?.brokerName, 'broker-a', JSON.stringify(out['clusterAclConfigVersion']));
      assert.equal(version?.clusterName, 'DefaultCluster');
      const file = Object.keys(version?.versions ?? {}).find((f) => f.endsWith('/conf/plain_acl.yml'));
      assert.ok(file !== undefined && (version?.versions[file] ?? 0) >= 1, JSON.stringify(version));
      assert.deepEqual(out['deleteAclConfig'], { ok: 'deleted' });
      refused('sendAfterDelete', /AclException: No acl config for java-newcomer/);
      assert.deepEqual(out['consume'], { ok: true });
    });
  });
}

aclV1Suite('ACL 1.0 (plain_acl.yml): Java 4.9.8 broker', async () => {
  const namesrv = await startJavaNameServer({ version: '4.9.8' });
  const broker = await startJavaBroker({ version: '4.9.8', namesrvAddr: namesrv.addr, config: { aclEnable: true }, rocketmqHomeFiles: { 'conf/plain_acl.yml': PLAIN_ACL_YML } });
  return {
    namesrvAddr: namesrv.addr,
    brokerAddr: broker.addr,
    stop: async () => {
      await broker.stop();
      await namesrv.stop();
    },
  };
});

aclV1Suite('ACL 1.0 (plain_acl.yml): our broker', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'rmqts-acl1-'));
  const home = path.join(dir, 'home');
  await mkdir(path.join(home, 'conf'), { recursive: true });
  await writeFile(path.join(home, 'conf', 'plain_acl.yml'), PLAIN_ACL_YML);
  const { namesrv, namesrvAddr } = await startTestNamesrv(path.join(dir, 'namesrv'));
  const broker = await startTestBroker(dir, namesrvAddr, { broker: { rocketmqHome: home, aclEnable: true } });
  return {
    namesrvAddr,
    brokerAddr: broker.brokerAddr,
    stop: async () => {
      await broker.shutdown();
      await namesrv.shutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
