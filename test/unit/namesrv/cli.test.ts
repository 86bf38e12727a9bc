import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../../src/index.js';

const cliModule = new URL('../../../src/cli/namesrv.js', import.meta.url).href;

/** Runs `runNamesrv(args)` in a child process, as main.ts will. */
function startCli(args: string[]): { child: ReturnType<typeof spawn>; output: () => string; port: Promise<number>; exit: Promise<number | null> } {
  const script = `import { runNamesrv } from ${JSON.stringify(cliModule)}; process.exitCode = await runNamesrv(process.argv.slice(1));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, '--', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const port = new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /boot success\. .*:(\d+)\n/.exec(out);
      if (match !== null) resolve(Number(match[1]));
    });
    child.once('exit', () => reject(new Error(`the name server exited early:\n${out}`)));
  });
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  port.catch(() => undefined);
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, port, exit };
}

describe('rocketmq-ts namesrv', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-cli-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves with a properties file and command-line overrides, and exits 0 on SIGTERM', async () => {
    const properties = join(dir, 'namesrv.properties');
    await writeFile(properties, '# Java names\nlistenPort=1\norderMessageEnable=true\nnotAKey=1\n');
    const cli = startCli(['-c', properties, '--listen-port', '0', '--data-dir', join(dir, 'data')]);
    const port = await cli.port;
    const client = new RemotingClient();
    await client.start();
    try {
      const config = await client.invokeSync(`127.0.0.1:${port}`, RemotingCommand.createRequestCommand(RequestCode.GET_NAMESRV_CONFIG), 3000);
      const text = config.body?.toString() ?? '';
      assert.match(text, /\norderMessageEnable=true\n/);
      assert.ok(text.includes(`kvConfigPath=${join(dir, 'data', 'kvConfig.json')}\n`));
      const put = RemotingCommand.createRequestCommand(RequestCode.PUT_KV_CONFIG, { namespace: 'n', key: 'k', value: 'v' });
      assert.equal((await client.invokeSync(`127.0.0.1:${port}`, put, 3000)).code, ResponseCode.SUCCESS);
    } finally {
      await client.shutdown();
    }
    cli.child.kill('SIGTERM');
    assert.equal(await cli.exit, 0);
    assert.match(cli.output(), /unknown name server config 'notAKey'/);
    assert.match(cli.output(), /SIGTERM received, shutting down/);
  });

  it('exits 2 with the usage on a bad option or a bad config value', async () => {
    const bad = startCli(['--bogus']);
    assert.equal(await bad.exit, 2);
    assert.match(bad.output(), /usage: rocketmq-ts namesrv/);
    const badPort = startCli(['--listen-port', 'http']);
    assert.equal(await badPort.exit, 2);
    assert.match(badPort.output(), /listenPort/);
  });
});
