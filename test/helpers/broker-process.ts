import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';

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

export interface SlaveProcessOptions {
  readonly namesrvAddr: string;
  readonly storePathRootDir: string;
  readonly mappedFileSizeCommitLog: number;
  readonly brokerClusterName?: string;
}

/**
 * A loopback slave (brokerId 1 of broker-a, any free port) in a child process: its broker.conf is written to
 * `conf`, which startBrokerProcess can start again after a kill.
 */
export async function startSlaveProcess(conf: string, options: SlaveProcessOptions): Promise<RunningBroker> {
  const lines = [
    ...(options.brokerClusterName === undefined ? [] : [`brokerClusterName=${options.brokerClusterName}`]),
    'brokerName=broker-a',
    'brokerId=1',
    'brokerRole=SLAVE',
    'listenPort=0',
    'bindAddress=127.0.0.1',
    'brokerIP1=127.0.0.1',
    'brokerIP2=127.0.0.1',
    `namesrvAddr=${options.namesrvAddr}`,
    `storePathRootDir=${options.storePathRootDir}`,
    `mappedFileSizeCommitLog=${options.mappedFileSizeCommitLog}`,
  ];
  await writeFile(conf, `${lines.join('\n')}\n`);
  return startBrokerProcess(conf);
}
