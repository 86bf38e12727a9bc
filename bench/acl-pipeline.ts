/**
 * The broker's ACL 2.0 work per request, without sockets or clients: CPU microseconds to decode a signed
 * ROCKETMQ-header frame and read its custom header (what every request costs), and the same with the auth
 * pipeline (signature check and authorization) in between. SEND_MESSAGE_V2 as the Java 5.3.3 producer sends it
 * (1 KiB body) and PULL_MESSAGE as its push consumer does. Builds are measured in alternation, so that a busy
 * machine's drift falls on each alike: `--builds <dist>,<dist>` A/B-tests two builds (e.g. main's dist/).
 */
import { cpuUsage } from 'node:process';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AclClientRPCHook, RemotingCommand, RequestCode, encodeCommand } from '../src/index.js';
import type { ConfigStore } from '../src/broker/config-store.js';

interface Build {
  dir: string;
  decodeCommand: typeof import('../src/protocol/command-codec.js').decodeCommand;
  pipeline: import('../src/broker/auth/auth-pipeline.js').AuthPipeline;
  headers: typeof import('../src/protocol/headers/broker.js');
}

const USER = { accessKey: 'benchUser', secretKey: 'benchUserSecret' };

class MemoryConfigStore implements ConfigStore {
  private readonly files = new Map<string, string>();
  load<T>(name: string, decode: (text: string) => T): Promise<T | undefined> {
    const text = this.files.get(name);
    return Promise.resolve(text === undefined ? undefined : decode(text));
  }
  persist(name: string, text: string): Promise<void> {
    this.files.set(name, text);
    return Promise.resolve();
  }
}

async function loadBuild(dir: string): Promise<Build> {
  const load = <T>(path: string): Promise<T> => import(pathToFileURL(resolve(dir, path)).href) as Promise<T>;
  const config = await load<typeof import('../src/broker/auth/auth-config.js')>('broker/auth/auth-config.js');
  const authn = await load<typeof import('../src/broker/auth/authentication-evaluator.js')>('broker/auth/authentication-evaluator.js');
  const authz = await load<typeof import('../src/broker/auth/authorization-evaluator.js')>('broker/auth/authorization-evaluator.js');
  const usersModule = await load<typeof import('../src/broker/auth/authentication-metadata-manager.js')>('broker/auth/authentication-metadata-manager.js');
  const aclsModule = await load<typeof import('../src/broker/auth/authorization-metadata-manager.js')>('broker/auth/authorization-metadata-manager.js');
  const { AuthPipeline } = await load<typeof import('../src/broker/auth/auth-pipeline.js')>('broker/auth/auth-pipeline.js');
  const { aclFromInfo } = await load<typeof import('../src/broker/auth/acl.js')>('broker/auth/acl.js');
  const { silentLogger } = await load<typeof import('../src/common/logger.js')>('common/logger.js');
  const { decodeCommand } = await load<typeof import('../src/protocol/command-codec.js')>('protocol/command-codec.js');
  const headers = await load<typeof import('../src/protocol/headers/broker.js')>('protocol/headers/broker.js');
  const auth = config.parseAuthConfig(
    new Map([
      ['authenticationEnabled', 'true'],
      ['authorizationEnabled', 'true'],
      ['authenticationMetadataProvider', 'org.apache.rocketmq.auth.authentication.provider.LocalAuthenticationMetadataProvider'],
      ['authorizationMetadataProvider', 'org.apache.rocketmq.auth.authorization.provider.LocalAuthorizationMetadataProvider'],
    ]),
  );
  const store = new MemoryConfigStore();
  const users = new usersModule.AuthenticationMetadataManager(store, silentLogger);
  const acls = new aclsModule.AuthorizationMetadataManager(store, silentLogger, () => true);
  await users.createUser({ username: USER.accessKey, password: USER.secretKey });
  const entries = [
    { resource: 'Topic:BenchTopic', actions: ['All'], decision: 'Allow' },
    { resource: 'Group:BenchGroup', actions: ['All'], decision: 'Allow' },
  ];
  await acls.putAcl(aclFromInfo({ subject: `User:${USER.accessKey}`, policies: [{ entries }] }, `User:${USER.accessKey}`));
  const pipeline = new AuthPipeline(new authn.AuthenticationEvaluator(auth, users), new authz.AuthorizationEvaluator(auth, users, acls), () => 'DefaultCluster', () => undefined, silentLogger);
  return { dir, decodeCommand, pipeline, headers };
}

/** Signed frames as the Java 5.3.3 benchmark clients send them (rocketmq.serialize.type=ROCKETMQ). */
function frame(code: number, header: Record<string, string | number | boolean>, body?: Buffer): Buffer {
  const request = RemotingCommand.createRequestCommand(code, header, body);
  request.version = 475; // V5_3_3
  request.serializeTypeCurrentRPC = 'ROCKETMQ';
  new AclClientRPCHook(USER).doBeforeRequest('127.0.0.1:10911', request);
  return encodeCommand(request);
}

const SEND = frame(
  RequestCode.SEND_MESSAGE_V2,
  { a: 'benchmark_producer', b: 'BenchTopic', c: 'TBW102', d: 4, e: 3, f: 0, g: 1765000000000, h: 0, i: 'UNIQ_KEY\u00017F0000010B5C18B4AAC27E1A2F3B0000\u0002WAIT\u0001true\u0002TAGS\u0001TagA', j: 0, k: false, m: false, n: 'broker-a' },
  Buffer.alloc(1024, 0x61),
);
const PULL = frame(RequestCode.PULL_MESSAGE, {
  consumerGroup: 'BenchGroup',
  topic: 'BenchTopic',
  queueId: 3,
  queueOffset: 123456,
  maxMsgNums: 32,
  sysFlag: 3,
  commitOffset: 123400,
  suspendTimeoutMillis: 15000,
  subscription: '*',
  subVersion: 1765000000000,
  expressionType: 'TAG',
  maxMsgBytes: 2147483647,
  requestSource: -1,
  brokerName: 'broker-a',
});

/** CPU microseconds per request. */
function measure(build: Build, bytes: Buffer, acl: boolean, requests: number): number {
  const schema = bytes === SEND ? build.headers.SendMessageRequestHeaderV2 : build.headers.PullMessageRequestHeader;
  const start = cpuUsage();
  for (let i = 0; i < requests; i++) {
    const request = build.decodeCommand(bytes);
    if (acl) build.pipeline.execute('127.0.0.1:50000', request);
    request.decodeCommandCustomHeader(schema);
  }
  const used = cpuUsage(start);
  return (used.user + used.system) / requests;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const option = (name: string, fallback: string): string => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
  };
  if (args.includes('-h') || args.includes('--help')) {
    console.log(`usage: node dist-test/bench/acl-pipeline.js [options]
  --builds <dir,...>  dist directories to measure in alternation (default this repository's dist/)
  --requests <n>      requests per measurement (default 50000)
  --rounds <n>        measurements per build, request and ACL off/on; medians are shown (default 5)`);
    return;
  }
  const here = fileURLToPath(new URL('.', import.meta.url));
  const dirs = option('--builds', resolve(here, '../../dist')).split(',');
  const requests = Number(option('--requests', '50000'));
  const rounds = Number(option('--rounds', '5'));
  const builds = await Promise.all(dirs.map(loadBuild));
  const samples = new Map<string, number[]>();
  const kinds = [['send', SEND], ['pull', PULL]] as const;
  // A warm-up round, then the measured ones, each build in turn.
  for (let round = -1; round < rounds; round++) {
    for (const build of builds) {
      for (const [kind, bytes] of kinds) {
        for (const acl of [false, true]) {
          const us = measure(build, bytes, acl, requests);
          if (round >= 0) samples.set(`${build.dir} ${kind} ${acl}`, [...(samples.get(`${build.dir} ${kind} ${acl}`) ?? []), us]);
        }
      }
    }
  }
  const results = builds.map((build) => {
    const row: Record<string, number | string> = { build: build.dir };
    for (const [kind] of kinds) {
      const off = median(samples.get(`${build.dir} ${kind} false`)!);
      const on = median(samples.get(`${build.dir} ${kind} true`)!);
      Object.assign(row, { [`${kind}_off_us`]: +off.toFixed(2), [`${kind}_acl_on_us`]: +on.toFixed(2), [`${kind}_acl_cost_us`]: +(on - off).toFixed(2) });
    }
    return row;
  });
  console.log('| build | send: ACL off / on / cost (CPU us) | pull: ACL off / on / cost (CPU us) |');
  console.log('|---|---|---|');
  for (const r of results) {
    console.log(`| ${String(r['build'])} | ${String(r['send_off_us'])} / ${String(r['send_acl_on_us'])} / ${String(r['send_acl_cost_us'])} | ${String(r['pull_off_us'])} / ${String(r['pull_acl_on_us'])} / ${String(r['pull_acl_cost_us'])} |`);
  }
  console.log(JSON.stringify({ bench: 'acl-pipeline', requests, rounds, results }));
}

await main();
