import { spawn, type ChildProcess } from 'node:child_process';

const cliModule = new URL('../../src/cli/broker.js', import.meta.url).href;

export interface RunningBroker {
  child: ChildProcess;
  addr: string;
  exit: Promise<number | null>;
}

/** `rocketmq-ts broker -c conf` in a child process (one that can be killed with SIGKILL); resolves once it printed its boot line. */
export async function startBrokerProcess(conf: string): Promise<RunningBroker> {
  const script = `import { runBroker } from ${JSON.stringify(cliModule)}; process.exitCode = await runBroker(process.argv.slice(1));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, '--', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const addr = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /The broker\[[^,]+, ([^\]]+)\] boot success\./.exec(out);
      if (match !== null) resolve(match[1] as string);
    });
    void exit.then(() => reject(new Error(`the broker exited early:\n${out}`)));
  });
  return { child, addr, exit };
}
