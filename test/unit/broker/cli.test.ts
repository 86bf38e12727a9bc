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

  it('exits 2 with the usage on a bad option or a bad config value', async () => {
    assert.equal(await startCli(['--bogus']).exit, 2);
    const bad = startCli(['--listen-port', 'x']);
    assert.equal(await bad.exit, 2);
    assert.match(bad.output(), /listenPort/);
  });
});
