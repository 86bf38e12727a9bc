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
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Admin, MQClientManager, Producer, PushConsumer, type ConsumerMessage, type SessionCredentials } from '../../src/client/index.js';
import { MQBrokerError, RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/index.js';
import { encodeCommand } from '../../src/protocol/command-codec.js';
import { AclClientRPCHook } from '../../src/remoting/acl-client-rpc-hook.js';
import { acl2BrokerConfig, buildInterop, interopSkip, runJava, startJavaBroker, startJavaNameServer } from '../helpers/java.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { parseAuthConfig } from '../../src/broker/auth/auth-config.js';
import { pollFor, waitFor } from '../helpers/wait.js';
import { exchangeRaw, proxyV1Header } from '../helpers/raw-exchange.js';
import { MIGRATED_ACLS, MIGRATED_USERS, V1_ACL_DIR_FILES, V1_MIGRATED, V1_PLAIN_ACL_YML } from '../fixtures/acl-migration.js';

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

/**
 * The broker.conf keys both brokers get: Java's providers, the root user as initial and inner user, and the ACL 1.0
 * files of test/fixtures/acl-migration.ts migrated at startup.
 */
const ACL2_CONFIG = { ...acl2BrokerConfig(ROOT), migrateAuthFromV1Enabled: 'true' };
const V1_FILES: Record<string, string> = { 'conf/plain_acl.yml': V1_PLAIN_ACL_YML, ...V1_ACL_DIR_FILES };

async function javaAcl2Cluster(): Promise<Acl2Cluster> {
  const namesrv = await startJavaNameServer();
  const broker = await startJavaBroker({ namesrvAddr: namesrv.addr, config: ACL2_CONFIG, rocketmqHomeFiles: V1_FILES }).catch(async (err: unknown) => {
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
  const home = join(dir, 'rocketmq-home');
  await mkdir(join(home, 'conf', 'acl'), { recursive: true });
  for (const [file, text] of Object.entries(V1_FILES)) await writeFile(join(home, file), text);
  const { namesrv, namesrvAddr } = await startTestNamesrv(dir);
  const broker = await startTestBroker(dir, namesrvAddr, { auth: parseAuthConfig(new Map(Object.entries(ACL2_CONFIG))), broker: { rocketmqHome: home } });
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

/** A SEND_MESSAGE (10) of one message to queue 0 of `topic`, signed with `credentials`. */
function signedSend(credentials: SessionCredentials, topic: string, body: string): RemotingCommand {
  const header = { producerGroup: 'PID_ACL_RAW', topic, defaultTopic: 'TBW102', defaultTopicQueueNums: 4, queueId: 0, sysFlag: 0, bornTimestamp: Date.now(), flag: 0, properties: '', reconsumeTimes: 0, unitMode: false, batch: false };
  const request = RemotingCommand.createRequestCommand(RequestCode.SEND_MESSAGE, header, Buffer.from(body));
  new AclClientRPCHook(credentials).doBeforeRequest('', request);
  return request;
}

/** The response's code and remark, or how the connection ended without one. */
function outcomeOf(outcome: Awaited<ReturnType<typeof exchangeRaw>>): [number, string | undefined] | string {
  return typeof outcome === 'string' ? outcome : [outcome.code, outcome.remark];
}

/**
 * The same cases against the Java 5.3.3 broker (the expectation) and against ours. `proxyHeader`: what a PROXY
 * protocol v1 line in front of a request does. Java 5.3.3's remoting server detects one on every connection, with no
 * switch to turn it off, and takes its source address as the client's (so an ACL's sourceIps can be met by writing
 * the address); ours has no PROXY protocol support, reads the line as a frame length and closes the connection.
 */
for (const [brokerName, startCluster, proxyHeader] of [
  ['the Java 5.3.3 broker', javaAcl2Cluster, 'takes its address'],
  ['our broker', ourAcl2Cluster, 'closes'],
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

    it('migrateAuthFromV1Enabled: the ACL 1.0 accounts are users and ACLs (3005, 3010), served as ACL 2.0', async () => {
      const users = (await admin.listUsers(cluster.brokerAddr)).filter((u) => u.username !== ALICE.accessKey);
      assert.deepEqual(users.map((u) => `${u.username}/${u.userType}/${u.userStatus}`).sort(), MIGRATED_USERS);
      const acls = (await admin.listAcls(cluster.brokerAddr)).filter((a) => a.subject !== `User:${ALICE.accessKey}`);
      assert.deepEqual(acls.map((a) => ({ subject: a.subject, policies: a.policies })).sort((a, b) => a.subject.localeCompare(b.subject)), MIGRATED_ACLS);
      await admin.createTopic({ brokerAddr: cluster.brokerAddr }, V1_MIGRATED.topic, { readQueueNums: 1, writeQueueNums: 1 });
      const p = await producer('PID_ACL_MIGRATED', V1_MIGRATED.user);
      assert.equal((await p.send({ topic: V1_MIGRATED.topic, body: Buffer.from('migrated') })).status, 'SEND_OK');
      const denied = await refusal(p, FORBIDDEN);
      assert.equal(denied?.responseCode, ResponseCode.NO_PERMISSION);
      assert.match(denied?.remark ?? '', /^User:migrated_user has no permission to access Topic:AclForbiddenTopic from [0-9.]+, the decision is deny\.$/);
      // The global whitelist (127.0.0.1) was not migrated.
      assert.equal((await refusal(await producer('PID_ACL_MIGRATED_NONE'), V1_MIGRATED.topic))?.remark, 'username cannot be null.');
      const p2 = await producer('PID_ACL_MIGRATED_ADMIN', V1_MIGRATED.admin);
      assert.equal((await p2.send({ topic: FORBIDDEN, body: Buffer.from('super') })).status, 'SEND_OK', 'an admin account is a Super user');
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
        [ALICE.accessKey, 'bob', ...MIGRATED_USERS.map((u) => u.split('/')[0])].sort(),
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

    it("Java 5.3.3 clients: the super user's DefaultMQAdminExt creates a user and its ACL, the user sends and consumes where allowed, is refused elsewhere (16); JSON and binary headers", async () => {
      const { classpath } = await buildInterop('5.3.3');
      // The Java client's default (JSON), and the binary header its benchmark tools use, which our broker checks
      // from the bytes.
      for (const [serialize, user, suffix] of [['JSON', 'carol', ''], ['ROCKETMQ', 'erin', 'Binary']] as const) {
        const run = await runJava({
          mainClass: 'io.rocketmqts.interop.AclDriver',
          classpath,
          timeoutMs: 120_000,
          jvmArgs: [`-Drocketmq.serialize.type=${serialize}`],
          args: ['--namesrv', cluster.namesrvAddr, '--broker', cluster.brokerAddr, '--root-ak', ROOT.accessKey, '--root-sk', ROOT.secretKey,
            '--user', user, '--password', `${user}-secret`, '--allowed', `AclJavaAllowed${suffix}`, '--forbidden', `AclJavaForbidden${suffix}`, '--group', `GID_ACL_JAVA${suffix}`],
        });
        assert.equal(run.code, 0, run.stderr);
        const report = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '') as AclDriverReport;
        assert.equal(report.userType, 'Normal');
        assert.deepEqual(report.acl, [`Topic:AclJavaAllowed${suffix}=Pub,Sub,Get/Allow`, `Group:GID_ACL_JAVA${suffix}=Pub,Sub,Get/Allow`]);
        assert.equal(report.allowed, 'SEND_OK', serialize);
        assert.equal(report.forbidden.code, ResponseCode.NO_PERMISSION, JSON.stringify(report.forbidden));
        assert.match(report.forbidden.remark ?? '', new RegExp(`^User:${user} has no permission to access Topic:AclJavaForbidden${suffix} from [0-9.]+, no matched policies\\.$`));
        assert.deepEqual(report.wrongPassword, { code: ResponseCode.NO_PERMISSION, remark: 'check signature failed.' }, serialize);
        assert.equal(report.consumed, true, serialize);
      }
    });

    it('the super user updates and deletes users and ACLs (3002, 3003, 3007, 3008) and lists them with filters (3010)', async () => {
      const addr = cluster.brokerAddr;
      const dave = { username: 'dave', password: 'dave-secret' };
      await admin.createUser(addr, dave);
      await admin.updateUser(addr, { username: 'dave', userType: 'Super', userStatus: 'disable' });
      const updated = await admin.getUser(addr, 'dave');
      assert.deepEqual([updated.userType, updated.userStatus], ['Super', 'disable']);
      await admin.updateUser(addr, { username: 'dave', password: 'dave-secret2', userType: 'Normal', userStatus: 'enable' });
      const p = await producer('PID_ACL_DAVE', { accessKey: 'dave', secretKey: 'dave-secret2' });
      assert.equal((await refusal(p, ALLOWED))?.remark?.endsWith('no matched policies.'), true, 'the new password signs; no ACL yet');
      await admin.createAcl(addr, { subject: 'User:dave', policies: [{ policyType: 'Custom', entries: [{ resource: 'Topic:DaveA', actions: ['Pub'], decision: 'Allow' }] }] });
      await admin.updateAcl(addr, {
        subject: 'User:dave',
        policies: [
          {
            policyType: 'Custom',
            entries: [
              { resource: 'Topic:DaveA', actions: ['Sub'], decision: 'Deny' },
              { resource: 'Topic:DaveB*', actions: ['Pub', 'Sub'], sourceIps: ['127.0.0.1'], decision: 'Allow' },
            ],
          },
          { policyType: 'Default', entries: [{ resource: 'Group:*', actions: ['Sub'], decision: 'Allow' }] },
        ],
      });
      assert.deepEqual(await admin.listAcls(addr, { subject: 'User:dave' }), [
        {
          subject: 'User:dave',
          policies: [
            {
              policyType: 'Custom',
              entries: [
                { resource: 'Topic:DaveA', actions: ['Sub'], decision: 'Deny' },
                { resource: 'Topic:DaveB*', actions: ['Pub', 'Sub'], sourceIps: ['127.0.0.1'], decision: 'Allow' },
              ],
            },
            { policyType: 'Default', entries: [{ resource: 'Group:*', actions: ['Sub'], decision: 'Allow' }] },
          ],
        },
      ]);
      assert.deepEqual(await admin.listAcls(addr, { subject: 'dave', resource: 'DaveB' }), [
        { subject: 'User:dave', policies: [{ policyType: 'Custom', entries: [{ resource: 'Topic:DaveB*', actions: ['Pub', 'Sub'], sourceIps: ['127.0.0.1'], decision: 'Allow' }] }] },
      ]);
      await admin.deleteAcl(addr, 'User:dave', { policyType: 'Custom', resource: 'Topic:DaveA' });
      assert.deepEqual(
        (await admin.listAcls(addr, { subject: 'User:dave' })).flatMap((a) => a.policies.flatMap((policy) => policy.entries.map((e) => `${policy.policyType} ${e.resource}`))),
        ['Custom Topic:DaveB*', 'Default Group:*'],
      );
      await admin.deleteAcl(addr, 'User:dave');
      assert.deepEqual(await admin.listAcls(addr, { subject: 'User:dave' }), []);
      await admin.deleteUser(addr, 'dave');
      assert.deepEqual(await admin.listUsers(addr, 'dave'), []);
      assert.equal((await refusal(p, ALLOWED))?.remark, 'User:dave is not found.');
    });

    const stored = async (topic: string): Promise<number> => (await admin.topicStats(topic)).reduce((n, q) => n + q.maxOffset, 0);

    it('S6: a signed request whose body or one ext field changed after signing is refused (16), nothing stored', async () => {
      const before = await stored(ALLOWED);
      const body = signedSend(ALICE, ALLOWED, 'signed');
      body.body = Buffer.from('changed');
      assert.deepEqual(outcomeOf(await exchangeRaw(cluster.brokerAddr, encodeCommand(body))), [ResponseCode.NO_PERMISSION, 'check signature failed.']);
      const ext = signedSend(ALICE, ALLOWED, 'signed');
      ext.addExtField('queueId', '1');
      assert.deepEqual(outcomeOf(await exchangeRaw(cluster.brokerAddr, encodeCommand(ext))), [ResponseCode.NO_PERMISSION, 'check signature failed.']);
      assert.equal(await stored(ALLOWED), before);
    });

    it('S6: a captured signed SEND sent again on a new connection is accepted and stored again (no nonce in the signature)', async () => {
      const before = await stored(ALLOWED);
      const frame = encodeCommand(signedSend(ALICE, ALLOWED, 'replayed'));
      for (let i = 0; i < 2; i++) {
        const outcome = await exchangeRaw(cluster.brokerAddr, frame);
        assert.equal(typeof outcome === 'string' ? outcome : outcome.code, ResponseCode.SUCCESS, `attempt ${i}`);
      }
      assert.equal(await stored(ALLOWED), before + 2);
    });

    it(`S6: a PROXY protocol header naming the address an ACL allows: the broker ${proxyHeader}`, async () => {
      await admin.createUser(cluster.brokerAddr, { username: 'eve', password: 'eve-secret' });
      await admin.createAcl(cluster.brokerAddr, {
        subject: 'User:eve',
        policies: [{ policyType: 'Custom', entries: [{ resource: `Topic:${ALLOWED}`, actions: ['Pub'], sourceIps: ['10.9.8.7'], decision: 'Allow' }] }],
      });
      const eve = { accessKey: 'eve', secretKey: 'eve-secret' };
      const before = await stored(ALLOWED);
      const direct = outcomeOf(await exchangeRaw(cluster.brokerAddr, encodeCommand(signedSend(eve, ALLOWED, 'direct'))));
      assert.deepEqual(direct, [ResponseCode.NO_PERMISSION, `User:eve has no permission to access Topic:${ALLOWED} from 127.0.0.1, no matched policies.`]);
      const frame = encodeCommand(signedSend(eve, ALLOWED, 'spoofed'));
      const spoofed = await exchangeRaw(cluster.brokerAddr, Buffer.concat([proxyV1Header('10.9.8.7', cluster.brokerAddr), frame]));
      if (proxyHeader === 'takes its address') {
        assert.equal(typeof spoofed === 'string' ? spoofed : spoofed.code, ResponseCode.SUCCESS);
        assert.equal(await stored(ALLOWED), before + 1);
      } else {
        assert.equal(spoofed, 'closed');
        assert.equal(await stored(ALLOWED), before);
      }
    });

    it("S6: even the super user cannot change Java's blacklisted config paths (25, 318): 16, nothing applied, no file written", async () => {
      const dir = await mkdtemp(join(tmpdir(), 'rmq-acl-paths-'));
      const raw = new RemotingClient();
      await raw.start();
      try {
        const signed = (code: number, body?: string): RemotingCommand => {
          const request = RemotingCommand.createRequestCommand(code, undefined, body === undefined ? undefined : Buffer.from(body));
          new AclClientRPCHook(ROOT).doBeforeRequest('', request);
          return request;
        };
        for (const key of ['brokerConfigPath', 'configBlackList']) {
          const target = join(dir, `${key}.properties`);
          const response = await raw.invokeSync(cluster.brokerAddr, signed(RequestCode.UPDATE_BROKER_CONFIG, `${key}=${target}\n`), 5000);
          assert.equal(response.code, ResponseCode.NO_PERMISSION, `${key}: ${response.remark ?? ''}`);
          const config = await raw.invokeSync(cluster.brokerAddr, signed(RequestCode.GET_BROKER_CONFIG), 5000);
          assert.equal(config.body?.toString('utf8').includes(target), false, key);
        }
        for (const key of ['configStorePath', 'kvConfigPath', 'configBlackList']) {
          const target = join(dir, `${key}.json`);
          const response = await raw.invokeSync(cluster.namesrvAddr, signed(RequestCode.UPDATE_NAMESRV_CONFIG, `${key}=${target}\n`), 5000);
          assert.equal(response.code, ResponseCode.NO_PERMISSION, `${key}: ${response.remark ?? ''}`);
          const config = await raw.invokeSync(cluster.namesrvAddr, signed(RequestCode.GET_NAMESRV_CONFIG), 5000);
          assert.equal(config.body?.toString('utf8').includes(target), false, key);
        }
        // A refused update wrote nothing: neither at the paths named nor anywhere under the directory.
        assert.deepEqual(await readdir(dir), []);
      } finally {
        await raw.shutdown();
        await rm(dir, { recursive: true, force: true });
      }
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
function aclV1Suite(title: string, start: () => Promise<AclV1Cluster>, narrowsWhitelist: boolean): void {
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

    it(`our Admin's updateGlobalWhiteAddrs (53): the whitelisted address sends unsigned; narrowed, the whitelist ${narrowsWhitelist ? 'refuses it' : 'still lets it in'}`, async () => {
      const admin = await clients.add(new Admin({ nameServer: cluster.namesrvAddr, clientManager: clients.manager, credentials: V1_ADMIN }));
      const versionOf = async (): Promise<number> => {
        const versions = (await admin.aclConfigVersion(cluster.brokerAddr)).allAclFileVersion;
        const file = [...versions.keys()].find((f) => f.endsWith('/conf/plain_acl.yml'));
        return versions.get(file ?? '')?.counter ?? -1;
      };
      const before = await versionOf();
      const unsigned = await producer('PID_ACL_V1_WHITE');
      const attempt = (): Promise<string> => unsigned.send({ topic: V1_TOPIC, body: Buffer.from('white') }).then((r) => r.status, (err: unknown) => brokerError(err)?.remark ?? String(err));
      await admin.updateGlobalWhiteAddrs(cluster.brokerAddr, ['127.0.0.1']);
      // Java 4.9.8 applies the written file when its watcher sees it (within a few seconds); ours at once.
      await pollFor(attempt, (r) => r === 'SEND_OK', { timeoutMillis: 30_000, intervalMillis: 500, what: 'an unsigned send from the whitelisted address' });
      const widened = await versionOf();
      assert.ok(widened > before, 'the default file has a new version');
      await admin.updateGlobalWhiteAddrs(cluster.brokerAddr, ['10.255.255.254']);
      await pollFor(versionOf, (v) => v > widened, { timeoutMillis: 30_000, intervalMillis: 500, what: 'the narrowed whitelist loaded' });
      if (narrowsWhitelist) assert.match(await attempt(), /No accessKey is configured/);
      // Java 4.9.8's PlainPermissionManager.load(path) adds a reloaded file's addresses and removes the old ones only
      // for a file that had a whitelist at startup: this one had none, so 127.0.0.1 stays until a restart.
      else assert.equal(await attempt(), 'SEND_OK');
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
}, false);

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
}, true);
