import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/index.js';

/** `rocketmq-ts dev` with these arguments in a child process: its stdout and stderr as they come, and its exit. */
function spawnDev(args: string[]) {
  const cliModule = new URL('../../src/cli/dev.js', import.meta.url).href;
  const script = `import { runDev } from ${JSON.stringify(cliModule)}; process.exitCode = await runDev(process.argv.slice(1));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, '--', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  /** Resolves once stdout holds `lines` complete lines; fails if the process exits first or after 15 s. */
  const stdoutLines = (lines: number) =>
    new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${lines} lines within 15 s:\n${output.stdout}\n${output.stderr}`)), 15_000);
      const check = () => {
        const complete = output.stdout.split('\n').slice(0, -1);
        if (complete.length < lines) return;
        clearTimeout(timer);
        child.stdout.off('data', check);
        resolve(complete);
      };
      child.stdout.on('data', check);
      void exit.then(() => {
        clearTimeout(timer);
        reject(new Error(`dev exited early:\n${output.stdout}\n${output.stderr}`));
      });
    });
  return { child, output, exit, stdoutLines };
}

describe('rocketmq-ts dev for test suites in other languages', () => {
  it('--print-env prints the three addresses alone on stdout, --ready-file holds them while ready, -c reads a broker.conf', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rmq-dev-env-'));
    const readyFile = join(dir, 'ready.json');
    const conf = join(dir, 'broker.conf');
    await writeFile(conf, ['# Java keys, as for `rocketmq-ts broker -c`', 'defaultTopicQueueNums=3', 'namesrvAddr=10.9.9.9:9876', 'noSuchKey=1', ''].join('\n'));
    const dev = spawnDev(['--namesrv-port', '0', '--broker-port', '0', '--grpc-port', '0', '--console-port', 'off', '--data-dir', dir, '--print-env', '--ready-file', readyFile, '-c', conf]);
    const client = new RemotingClient();
    try {
      const lines = await dev.stdoutLines(3);
      assert.equal(lines.length, 3, dev.output.stdout);
      assert.match(lines[0] ?? '', /^NAMESRV_ADDR=127\.0\.0\.1:\d+$/);
      assert.match(lines[1] ?? '', /^ROCKETMQ_BROKER=127\.0\.0\.1:\d+$/);
      assert.match(lines[2] ?? '', /^ROCKETMQ_GRPC_ENDPOINT=127\.0\.0\.1:\d+$/);
      const env = Object.fromEntries(lines.map((line) => line.split('=') as [string, string]));

      // Written before the addresses were printed: whoever waits on the file or on stdout sees the same.
      const ready = JSON.parse(await readFile(readyFile, 'utf8')) as Record<string, unknown>;
      assert.deepEqual(ready, { nameServer: env['NAMESRV_ADDR'], brokerAddr: env['ROCKETMQ_BROKER'], grpcEndpoint: env['ROCKETMQ_GRPC_ENDPOINT'], pid: dev.child.pid });

      await client.start();
      const config = await client.invokeSync(env['ROCKETMQ_BROKER'] ?? '', RemotingCommand.createRequestCommand(RequestCode.GET_BROKER_CONFIG, {}), 3000);
      assert.equal(config.code, ResponseCode.SUCCESS);
      const text = config.body?.toString() ?? '';
      assert.match(text, /^defaultTopicQueueNums=3$/m, 'the file applied');
      assert.match(text, new RegExp(`^namesrvAddr=${env['NAMESRV_ADDR']}$`, 'm'), 'dev keeps its own name server');
      assert.match(dev.output.stderr, /'noSuchKey' is not a broker or store config key, ignored/);
      assert.match(dev.output.stderr, /'namesrvAddr' ignored: dev sets it/);
      assert.doesNotMatch(dev.output.stdout, /INFO|WARN/, 'the log goes to stderr');

      dev.child.kill('SIGTERM');
      assert.equal(await dev.exit, 0, dev.output.stderr);
      assert.equal(existsSync(readyFile), false, 'removed on stop');
    } finally {
      await client.shutdown();
      dev.child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('prints an empty ROCKETMQ_GRPC_ENDPOINT with --grpc-port off, and replaces a stale ready file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rmq-dev-env-'));
    const readyFile = join(dir, 'ready.json');
    // What a dev killed with -9 leaves: it must not read as ready before this run is.
    await writeFile(readyFile, '{"nameServer":"127.0.0.1:1","brokerAddr":"127.0.0.1:2","grpcEndpoint":null,"pid":1}\n');
    const dev = spawnDev(['--namesrv-port', '0', '--broker-port', '0', '--grpc-port', 'off', '--console-port', 'off', '--data-dir', dir, '--print-env', '--ready-file', readyFile]);
    try {
      const lines = await dev.stdoutLines(3);
      assert.equal(lines[2], 'ROCKETMQ_GRPC_ENDPOINT=');
      const ready = JSON.parse(await readFile(readyFile, 'utf8')) as Record<string, unknown>;
      assert.equal(ready['nameServer'], (lines[0] ?? '').slice('NAMESRV_ADDR='.length));
      assert.equal(ready['grpcEndpoint'], null);
      dev.child.kill('SIGTERM');
      assert.equal(await dev.exit, 0, dev.output.stderr);
      assert.equal(existsSync(readyFile), false);
    } finally {
      dev.child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
