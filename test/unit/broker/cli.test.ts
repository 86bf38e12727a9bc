import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../../src/index.js';
import { defaultNamesrvConfig } from '../../../src/namesrv/config.js';
import { NamesrvController } from '../../../src/namesrv/name-server.js';
import { decodeClusterInfo } from '../../../src/protocol/bodies/index.js';
import { enums } from '../../../src/grpc/schema.js';
import { RawMessagingClient } from '../../helpers/grpc-client.js';

const cliModule = new URL('../../../src/cli/broker.js', import.meta.url).href;

/** Runs `runBroker(args)` in a child process, as main.ts will. */
function startCli(args: string[]): { child: ReturnType<typeof spawn>; output: () => string; addr: Promise<string>; exit: Promise<number | null> } {
  const script = `import { runBroker } from ${JSON.stringify(cliModule)}; process.exitCode = await runBroker(process.argv.slice(1));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, '--', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const addr = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /The broker\[[^,]+, ([^\]]+)\] boot success\./.exec(out);
      if (match !== null) resolve(match[1] as string);
    });
    child.once('exit', () => reject(new Error(`the broker exited early:\n${out}`)));
  });
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  addr.catch(() => undefined);
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, addr, exit };
}

describe('rocketmq-ts broker', () => {
  let dir: string;
  let namesrv: NamesrvController;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-broker-cli-'));
    namesrv = new NamesrvController({ ...defaultNamesrvConfig(dir), listenPort: 0, bindAddress: '127.0.0.1' });
    await namesrv.start();
  });
  after(async () => {
    await namesrv.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves with a broker.conf and command-line overrides, registers, persists under --data-dir, and exits 0 on SIGTERM', async () => {
    const conf = join(dir, 'broker.conf');
    await writeFile(conf, '# Java names\nbrokerClusterName=CliCluster\nbrokerName=cli-broker\nbrokerIP1=127.0.0.1\nlistenPort=1\nflushDiskType=ASYNC_FLUSH\nnoSuchKey=1\n');
    const dataDir = join(dir, 'store');
    const cli = startCli(['-c', conf, '--listen-port', '0', '-n', `127.0.0.1:${namesrv.port}`, '--data-dir', dataDir]);
    const addr = await cli.addr;
    const client = new RemotingClient();
    await client.start();
    try {
      const config = await client.invokeSync(addr, RemotingCommand.createRequestCommand(RequestCode.GET_BROKER_CONFIG), 3000);
      const text = config.body?.toString() ?? '';
      assert.match(text, /\nbrokerName=cli-broker\n/);
      assert.ok(text.includes(`storePathRootDir=${dataDir}\n`));
      const info = await client.invokeSync(`127.0.0.1:${namesrv.port}`, RemotingCommand.createRequestCommand(RequestCode.GET_BROKER_CLUSTER_INFO), 3000);
      assert.equal(decodeClusterInfo(info.body).brokerAddrTable.get('cli-broker')?.brokerAddrs.get(0), addr);
      const create = RemotingCommand.createRequestCommand(RequestCode.UPDATE_AND_CREATE_TOPIC, {
        topic: 'CliTopic', defaultTopic: 'TBW102', readQueueNums: 2, writeQueueNums: 2, perm: 6, topicFilterType: 'SINGLE_TAG', order: false,
      });
      assert.equal((await client.invokeSync(addr, create, 3000)).code, ResponseCode.SUCCESS);
    } finally {
      await client.shutdown();
    }
    cli.child.kill('SIGTERM');
    assert.equal(await cli.exit, 0);
    assert.match(cli.output(), /'noSuchKey' is not a broker or store config key/);
    assert.doesNotMatch(cli.output(), /'flushDiskType'/);
    assert.match(cli.output(), /SIGTERM received, shutting down/);
    assert.match(await readFile(join(dataDir, 'config', 'topics.json'), 'utf8'), /"CliTopic"/);
    assert.match(await readFile(join(dataDir, 'config', 'consumerOffset.json'), 'utf8'), /"offsetTable":\{\}/);
  });

  it('serves the 5.x gRPC protocol when broker.conf sets grpcServerPort (Java proxy keys), and logs its endpoint', async () => {
    const conf = join(dir, 'grpc-broker.conf');
    await writeFile(conf, 'brokerName=grpc-broker\nbrokerIP1=127.0.0.1\ngrpcServerPort=0\ntlsTestModeEnable=false\n');
    const cli = startCli(['-c', conf, '--listen-port', '0', '-n', `127.0.0.1:${namesrv.port}`, '--data-dir', join(dir, 'grpc-store')]);
    const addr = await cli.addr;
    const remoting = new RemotingClient();
    await remoting.start();
    const create = RemotingCommand.createRequestCommand(RequestCode.UPDATE_AND_CREATE_TOPIC, {
      topic: 'GrpcCliTopic', defaultTopic: 'TBW102', readQueueNums: 2, writeQueueNums: 2, perm: 6, topicFilterType: 'SINGLE_TAG', order: false, attributes: '+message.type=FIFO',
    });
    assert.equal((await remoting.invokeSync(addr, create, 3000)).code, ResponseCode.SUCCESS);
    await remoting.shutdown();
    const endpoint = /gRPC endpoint \(RocketMQ 5\.x SDKs, plaintext\) listening on (127\.0\.0\.1:\d+)/.exec(cli.output())?.[1];
    assert.ok(endpoint !== undefined, cli.output());
    const client = new RawMessagingClient(endpoint);
    try {
      const route = await client.unary('QueryRoute', { topic: { name: 'GrpcCliTopic' } });
      assert.equal(route.status?.code, enums.Code.OK, route.status?.message);
      assert.equal(route.messageQueues[0]?.broker?.name, 'grpc-broker');
      assert.deepEqual(route.messageQueues[0]?.acceptMessageTypes, [enums.MessageType.FIFO]);
      // Not dev: an unknown topic is not created.
      assert.equal((await client.unary('QueryRoute', { topic: { name: 'GrpcCliUnknown' } })).status?.code, enums.Code.TOPIC_NOT_FOUND);
    } finally {
      client.close();
    }
    cli.child.kill('SIGTERM');
    assert.equal(await cli.exit, 0);
    assert.doesNotMatch(cli.output(), /'grpcServerPort' is not a broker or store config key/);
  });

  it('exits 2 with the usage on a bad option or a bad config value', async () => {
    assert.equal(await startCli(['--bogus']).exit, 2);
    const bad = startCli(['--listen-port', 'x']);
    assert.equal(await bad.exit, 2);
    assert.match(bad.output(), /listenPort/);
    const conf = join(dir, 'bad-grpc.conf');
    await writeFile(conf, 'grpcServerPort=eighty\n');
    const badGrpc = startCli(['-c', conf]);
    assert.equal(await badGrpc.exit, 2);
    assert.match(badGrpc.output(), /grpcServerPort must be a port number, not 'eighty'/);
    // BrokerStartup's role check: a Java slave's broker.conf without its brokerId.
    const slaveConf = join(dir, 'bad-slave.conf');
    await writeFile(slaveConf, 'brokerRole=SLAVE\nbrokerId=0\n');
    const badSlave = startCli(['-c', slaveConf]);
    assert.equal(await badSlave.exit, 2);
    assert.match(badSlave.output(), /Slave's brokerId must be > 0/);
  });
});
