/**
 * Our broker with ACL 1.0 (aclEnable, $ROCKETMQ_HOME/conf/plain_acl.yml) and our signed clients: an account sends
 * and consumes what it may; a wrong secret, an unknown key, no key, a DENY topic and a non-admin topic creation
 * are refused with code 1 and Java's AclException remarks, and leave nothing behind; a whitelisted address needs no
 * key; an edit of the file and the admin codes 50-54 take effect without a restart, and neither loses the other's
 * change.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { defaultBrokerConfig } from '../../src/broker/broker-config.js';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import { formatYaml, parseYaml, type YamlMap } from '../../src/broker/acl/yaml.js';
import { createBrokerController } from '../../src/broker/broker-startup.js';
import { silentLogger } from '../../src/common/logger.js';
import { Admin, MQClientManager, Producer, PushConsumer, type ConsumerMessage, type SessionCredentials } from '../../src/client/index.js';
import { MQBrokerError, ResponseCode } from '../../src/index.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import { createMessageStoreConfig } from '../../src/store/message-store-config.js';
import { startTestNamesrv } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

const USER: SessionCredentials = { accessKey: 'RocketMQ', secretKey: '12345678' };
const ADMIN: SessionCredentials = { accessKey: 'rocketmq2', secretKey: '87654321' };
const TOPIC = 'AclV1Topic';
const DENIED = 'AclV1Denied';
const GROUP = 'GID_ACL_V1';
const PLAIN_ACL_YML = `globalWhiteRemoteAddresses:
accounts:
  - accessKey: ${USER.accessKey}
    secretKey: ${USER.secretKey}
    whiteRemoteAddress:
    admin: false
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - ${TOPIC}=PUB|SUB
    groupPerms:
      - ${GROUP}=SUB
  - accessKey: ${ADMIN.accessKey}
    secretKey: ${ADMIN.secretKey}
    whiteRemoteAddress:
    admin: true
`;

/** The compiled CLI (the same code as dist/cli/main.js), signing with `credentials` through its environment. */
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

function brokerError(err: unknown): MQBrokerError | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) if (e instanceof MQBrokerError) return e;
  return undefined;
}

describe('our broker with ACL 1.0 (plain_acl.yml) and our signed clients', { timeout: 120_000 }, () => {
  let dir: string;
  let aclFile: string;
  let namesrv: NamesrvController;
  let broker: BrokerController;
  let brokerAddr: string;
  let nameServer: string;
  const manager = new MQClientManager();
  const started: { shutdown(): Promise<void> }[] = [];
  let admin: Admin;
  /** What the broker logged as errors: its own requests to clients must never be refused by its ACL. */
  const errors: string[] = [];
  const logger = { ...silentLogger, error: (message: string, ...args: unknown[]) => void errors.push(`${message} ${args.map(String).join(' ')}`) };

  async function add<T extends { start(): Promise<void>; shutdown(): Promise<void> }>(client: T): Promise<T> {
    await client.start();
    started.push(client);
    return client;
  }
  const producer = (group: string, credentials?: SessionCredentials): Promise<Producer> =>
    add(new Producer({ nameServer, group, clientManager: manager, retryTimesWhenSendFailed: 0, ...(credentials === undefined ? {} : { credentials }) }));
  const refusal = async (p: Producer, topic: string): Promise<MQBrokerError | undefined> =>
    brokerError(await p.send({ topic, body: Buffer.from('x') }).then(() => undefined, (err: unknown) => err));
  const stored = async (topic: string): Promise<number> => (await admin.topicStats(topic)).reduce((n, q) => n + q.maxOffset, 0);
  const aclDoc = async (): Promise<YamlMap> => parseYaml(await readFile(aclFile, 'utf8')) as YamlMap;
  const accessKeys = (doc: YamlMap): string[] => ((doc.get('accounts') ?? []) as YamlMap[]).map((a) => a.get('accessKey') as string);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-acl1-'));
    const home = join(dir, 'home');
    aclFile = join(home, 'conf', 'plain_acl.yml');
    await mkdir(join(home, 'conf'), { recursive: true });
    await writeFile(aclFile, PLAIN_ACL_YML);
    ({ namesrv, namesrvAddr: nameServer } = await startTestNamesrv(join(dir, 'namesrv')));
    const storePathRootDir = join(dir, 'broker');
    broker = createBrokerController(
      {
        ...defaultBrokerConfig(dir, home),
        brokerName: 'broker-acl',
        namesrvAddr: nameServer,
        brokerIP1: '127.0.0.1',
        brokerIP2: '127.0.0.1',
        listenPort: 0,
        bindAddress: '127.0.0.1',
        storePathRootDir,
        aclEnable: true,
      },
      createMessageStoreConfig({ storePathRootDir }),
      logger,
      { aclWatchIntervalMillis: 100 },
    );
    await broker.start();
    brokerAddr = broker.brokerAddr;
    admin = await add(new Admin({ nameServer, clientManager: manager, credentials: ADMIN }));
    for (const topic of [TOPIC, DENIED]) await admin.createTopic({ brokerAddr }, topic, { readQueueNums: 2, writeQueueNums: 2 });
  });

  after(async () => {
    for (const client of started.reverse()) await client.shutdown().catch(() => undefined);
    await broker?.shutdown();
    await namesrv?.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it('an account sends to its topic and is refused a DENY topic (1, AclException), nothing stored', async () => {
    const p = await producer('PID_ACL_V1', USER);
    assert.equal((await p.send({ topic: TOPIC, body: Buffer.from('v1'), keys: 'acl-v1' })).status, 'SEND_OK');
    const before = await stored(DENIED);
    const denied = await refusal(p, DENIED);
    assert.equal(denied?.responseCode, ResponseCode.SYSTEM_ERROR);
    assert.match(denied?.remark ?? '', /^org\.apache\.rocketmq\.acl\.common\.AclException: No default permission for topic:AclV1Denied, /);
    assert.equal(await stored(DENIED), before);
  });

  it('a wrong secret, an unknown key and no key are refused with Java remarks, nothing stored', async () => {
    const before = await stored(TOPIC);
    const cases: [SessionCredentials | undefined, string][] = [
      [{ accessKey: USER.accessKey, secretKey: 'not-the-secret' }, 'Check signature failed for accessKey=RocketMQ'],
      [{ accessKey: 'stranger', secretKey: 'whatever1' }, 'No acl config for stranger'],
      [undefined, 'No accessKey is configured'],
    ];
    for (const [credentials, message] of cases) {
      const error = await refusal(await producer(`PID_ACL_V1_${credentials?.accessKey ?? 'NONE'}`, credentials), TOPIC);
      assert.equal(error?.responseCode, ResponseCode.SYSTEM_ERROR, message);
      assert.ok(error?.remark?.startsWith(`org.apache.rocketmq.acl.common.AclException: ${message}`), error?.remark);
    }
    assert.equal(await stored(TOPIC), before);
  });

  it('a non-admin account cannot create a topic: refused, and the topic does not exist', async () => {
    const user = await add(new Admin({ nameServer, clientManager: manager, credentials: USER }));
    const created = await user.createTopic({ brokerAddr }, 'AclV1ByUser').then(() => undefined, (err: unknown) => err);
    assert.match(brokerError(created)?.remark ?? String(created), /AclException: Need admin permission for request code=17, but accessKey=RocketMQ is not/);
    assert.equal(broker.topicConfigManager.selectTopicConfig('AclV1ByUser'), undefined);
  });

  it("an account's push consumer receives what was sent to its topic", async () => {
    const received: ConsumerMessage[] = [];
    const consumer = new PushConsumer({ nameServer, group: GROUP, clientManager: manager, credentials: USER, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    consumer.subscribe(TOPIC, '*', (msg) => void received.push(msg));
    await add(consumer);
    await waitFor(() => received.some((m) => m.keys.includes('acl-v1')), 30_000, 'the message sent with the account');
    // The broker's own requests to clients are not validated (Java runs server hooks on incoming requests only): a
    // second member makes the broker send NOTIFY_CONSUMER_IDS_CHANGED, unsigned, to both.
    const second = new PushConsumer({ nameServer, group: GROUP, clientManager: new MQClientManager(), credentials: USER, clientIP: '127.0.0.2' });
    second.subscribe(TOPIC, '*', () => undefined);
    await add(second);
    const info = await admin.consumerRunningInfo(GROUP, consumer.clientId ?? '');
    assert.ok(info.mqTable.length > 0, 'a forwarded GET_CONSUMER_RUNNING_INFO is answered');
    await waitFor(() => (broker.consumerManager.getConsumerGroupInfo(GROUP)?.channelInfoTable.size ?? 0) === 2, 10_000, 'two members');
    await new Promise((resolve) => setTimeout(resolve, 200));
    // (Refused requests are logged as processing failures, as Java logs them; nothing else may fail.)
    assert.deepEqual(errors.filter((e) => !e.startsWith('process request ')), []);
  });

  it('an edit of plain_acl.yml takes effect without a restart', async () => {
    const p = await producer('PID_ACL_V1_EDIT', USER);
    await writeFile(aclFile, PLAIN_ACL_YML.replace(`- ${TOPIC}=PUB|SUB`, `- ${TOPIC}=PUB|SUB\n      - ${DENIED}=PUB`));
    // The broker checks the file every 100 ms here: the send is refused until the reload, then stored.
    let sent = false;
    for (let i = 0; i < 100 && !sent; i++) {
      sent = await p.send({ topic: DENIED, body: Buffer.from('now allowed') }).then(() => true, () => false);
      if (!sent) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(sent, 'the edited permission took effect');
  });

  it('admin codes 50, 51, 52, 54 change the file and take effect; a file edit before an update is kept', async () => {
    const versionBefore = (await admin.aclConfigVersion(brokerAddr)).version.counter;
    // A file edit the broker may not have reloaded yet, then an update: both end up in the file.
    const doc = await aclDoc();
    (doc.get('accounts') as YamlMap[]).push(new Map<string, string | boolean>([['accessKey', 'edited-key'], ['secretKey', 'edited-secret'], ['admin', false]]));
    await writeFile(aclFile, formatYaml(doc));
    await admin.updatePlainAccessConfig(brokerAddr, { accessKey: 'newcomer1', secretKey: 'newcomer-secret', admin: false, defaultTopicPerm: 'PUB', topicPerms: [`${DENIED}=DENY`] });
    assert.deepEqual(accessKeys(await aclDoc()).sort(), ['RocketMQ', 'edited-key', 'newcomer1', 'rocketmq2']);
    const version = await admin.aclConfigVersion(brokerAddr);
    assert.equal(version.version.counter, versionBefore + 1);
    assert.equal(version.brokerName, 'broker-acl');
    assert.equal(version.allAclFileVersion.get(aclFile)?.counter, versionBefore + 1);
    const newcomer = await producer('PID_ACL_NEWCOMER', { accessKey: 'newcomer1', secretKey: 'newcomer-secret' });
    assert.equal((await newcomer.send({ topic: TOPIC, body: Buffer.from('by newcomer') })).status, 'SEND_OK');
    assert.match((await refusal(newcomer, DENIED))?.remark ?? '', /No default permission for topic:AclV1Denied/);
    const all = await admin.brokerClusterAclConfig(brokerAddr);
    assert.deepEqual(all.plainAccessConfigs.find((c) => c.accessKey === 'newcomer1')?.topicPerms, [`${DENIED}=DENY`]);
    await admin.deletePlainAccessConfig(brokerAddr, 'newcomer1');
    assert.match((await refusal(newcomer, TOPIC))?.remark ?? '', /No acl config for newcomer1/);
    assert.ok(!accessKeys(await aclDoc()).includes('newcomer1'));
    const missing = await admin.deletePlainAccessConfig(brokerAddr, 'newcomer1').then(() => undefined, (err: unknown) => err);
    assert.equal(brokerError(missing)?.responseCode, 210);
    const bad = await admin.updatePlainAccessConfig(brokerAddr, { accessKey: 'short', secretKey: 'x', admin: false }).then(() => undefined, (err: unknown) => err);
    assert.equal(brokerError(bad)?.responseCode, 209);
    assert.doesNotMatch(brokerError(bad)?.remark ?? '', /secretKey=x\b/, 'the secret is not echoed');
  });

  it('a non-admin account cannot change the ACL (50), and a whitelisted address needs no key (53)', async () => {
    const user = await add(new Admin({ nameServer, clientManager: manager, credentials: USER }));
    const refused = await user.updatePlainAccessConfig(brokerAddr, { accessKey: 'sneaky-key', secretKey: 'sneaky-secret', admin: true }).then(() => undefined, (err: unknown) => err);
    assert.match(brokerError(refused)?.remark ?? String(refused), /Need admin permission for request code=50/);
    assert.ok(!accessKeys(await aclDoc()).includes('sneaky-key'));
    const anonymous = await producer('PID_ACL_V1_WHITE');
    assert.match((await refusal(anonymous, DENIED))?.remark ?? '', /No accessKey is configured/);
    await admin.updateGlobalWhiteAddrs(brokerAddr, ['127.0.0.1']);
    assert.equal((await anonymous.send({ topic: DENIED, body: Buffer.from('whitelisted') })).status, 'SEND_OK');
    await admin.updateGlobalWhiteAddrs(brokerAddr, []);
    assert.match((await refusal(anonymous, DENIED))?.remark ?? '', /No accessKey is configured/);
  });

  it('the CLI manages accounts (acl update-config, version, get-config, delete-config), signed as an admin', async () => {
    const signer = { ROCKETMQ_ACCESS_KEY: ADMIN.accessKey, ROCKETMQ_SECRET_KEY: ADMIN.secretKey };
    const n = ['-n', nameServer, '-b', brokerAddr];
    const created = await cli(['acl', 'update-config', ...n, '-a', 'cli-account', '-i', 'PUB', '-t', `${DENIED}=DENY,${TOPIC}=SUB`], { ...signer, ROCKETMQ_ACL_SECRET_KEY: 'cli-secret' });
    assert.equal(created.code, 0, created.stderr);
    const version = await cli(['acl', 'version', ...n], signer);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, new RegExp(`broker-acl\\s+${brokerAddr.replace(/\./g, '\\.')}\\s+${aclFile.replace(/[.]/g, '\\.')}\\s+\\d+`));
    const config = await cli(['acl', 'get-config', ...n], signer);
    assert.match(config.stdout, /cli-account\s+false\s+PUB\s+AclV1Denied=DENY,AclV1Topic=SUB/);
    assert.doesNotMatch(config.stdout, /cli-secret/, 'secrets only with --json');
    assert.equal((await cli(['acl', 'delete-config', ...n, '-a', 'cli-account'], signer)).code, 0);
    assert.ok(!accessKeys(await aclDoc()).includes('cli-account'));
    const unsigned = await cli(['acl', 'version', ...n], {});
    assert.equal(unsigned.code, 1);
    assert.match(unsigned.stderr, /No accessKey is configured/);
  });
});
