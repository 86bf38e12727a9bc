/**
 * Runs the official RocketMQ 5.x gRPC SDKs' scenario drivers (test/fixtures/grpc-sdk/, interop GrpcSdkDriver)
 * against an endpoint and parses their one-JSON-line-per-check output: Node rocketmq-client-nodejs 1.0.8 (from
 * node_modules), Python rocketmq-python-client 5.1.2 (a venv under the OS temp directory, created once and reused),
 * Java rocketmq-client-java 5.2.0 (from the interop Maven project).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildInterop, REPO_ROOT, runJava } from './java.js';
import { track } from './processes.js';

export const NODE_SDK_VERSION = '1.0.8';
export const PYTHON_SDK_VERSION = '5.1.2';
const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'grpc-sdk');
const MAX_CAPTURE = 4 * 1024 * 1024;

/** The topics every driver uses, with their message.type; each SDK also needs its FIFO group (fifoGroup). */
export const SDK_TOPICS = [
  ['TopicNORMAL', 'NORMAL'],
  ['TopicFIFO', 'FIFO'],
  ['TopicDELAY', 'DELAY'],
  ['TopicTRANSACTION', 'TRANSACTION'],
] as const;

/** The FIFO consumer group a driver's push consumer uses (created with consumeMessageOrderly). */
export const fifoGroup = (sdk: string): string => `GroupFifo-${sdk}`;

/** One line a driver printed: {"sdk", "check", ...fields}. */
export interface SdkCheck {
  sdk: string;
  check: string;
  [field: string]: unknown;
}

export interface SdkRun {
  /** The checks by name (the last line wins if one repeats). */
  checks: Map<string, SdkCheck>;
  code: number | null;
  stderr: string;
  ms: number;
}

export function parseChecks(stdout: string): Map<string, SdkCheck> {
  const checks = new Map<string, SdkCheck>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const parsed = JSON.parse(line) as SdkCheck;
    checks.set(parsed.check, parsed);
  }
  return checks;
}

function runProcess(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; timeoutMs: number; cwd?: string },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    track(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (stdout.length < MAX_CAPTURE) stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < MAX_CAPTURE) stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} ran over ${options.timeoutMs} ms:\n${stdout}\n[stderr]\n${stderr.slice(-4000)}`));
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function timed(
  run: () => Promise<{ code: number | null; stdout: string; stderr: string }>,
): Promise<SdkRun> {
  const started = Date.now();
  const { code, stdout, stderr } = await run();
  return { checks: parseChecks(stdout), code, stderr, ms: Date.now() - started };
}

/** What every driver takes: the endpoint, a run id that makes its bodies unique, and the consumer timings. */
export interface DriverOptions {
  endpoint: string;
  run: string;
  /** SimpleConsumer await duration (long polling) in ms; default 2000. */
  awaitMs?: number;
  /** The redelivery check's invisible time in ms; the server must accept it (Java: minInvisibleTimeMillsForRecv). */
  invisibleMs?: number;
  timeoutMs?: number;
}

const driverEnv = (options: DriverOptions): Record<string, string> => ({
  ENDPOINTS: options.endpoint,
  RUN: options.run,
  AWAIT_MS: String(options.awaitMs ?? 2000),
  INVISIBLE_MS: String(options.invisibleMs ?? 2000),
});

// ------------------------------------------------------------------------------------------------------------------
// Node

/** Whether rocketmq-client-nodejs resolves from the repository (a devDependency; absent until it is installed). */
export function nodeSdkAvailable(): { ok: boolean; why?: string } {
  try {
    const require = createRequire(path.join(REPO_ROOT, 'package.json'));
    const manifest = require('rocketmq-client-nodejs/package.json') as { version: string };
    if (manifest.version !== NODE_SDK_VERSION) {
      return { ok: false, why: `rocketmq-client-nodejs ${manifest.version} installed, the drivers expect ${NODE_SDK_VERSION}` };
    }
    return { ok: true };
  } catch (error) {
    return { ok: false, why: `rocketmq-client-nodejs not installed (${String(error)})` };
  }
}

export function runNodeSdkDriver(options: DriverOptions): Promise<SdkRun> {
  return timed(() =>
    runProcess(process.execPath, [path.join(FIXTURES, 'node-sdk.cjs')], {
      env: driverEnv(options),
      timeoutMs: options.timeoutMs ?? 150_000,
    }),
  );
}

// ------------------------------------------------------------------------------------------------------------------
// Python

/** The venv, outside the repository so `git clean` keeps it and every worktree shares it. */
export const PYTHON_VENV = path.join(tmpdir(), `rocketmq-ts-pyvenv-${PYTHON_SDK_VERSION}`);
const VENV_READY = path.join(PYTHON_VENV, '.rocketmq-ts-ready');
let venv: Promise<string> | undefined;

/** Whether `python3 -m venv` works here. */
export async function pythonAvailable(): Promise<{ ok: boolean; why?: string }> {
  try {
    const { code, stdout, stderr } = await runProcess('python3', ['-c', 'import venv, sys; print(sys.version)'], { timeoutMs: 30_000 });
    return code === 0 ? { ok: true } : { ok: false, why: `python3 cannot create venvs: ${stdout}${stderr}` };
  } catch (error) {
    return { ok: false, why: `python3 missing: ${String(error)}` };
  }
}

/**
 * The venv's python with rocketmq-python-client installed: reused when a previous run completed it (marker file),
 * otherwise created afresh (about a minute and 66 MB of wheels from PyPI the first time).
 */
export function pythonSdkVenv(): Promise<string> {
  venv ??= (async () => {
    const python = path.join(PYTHON_VENV, 'bin', 'python');
    if (existsSync(VENV_READY)) return python;
    await rm(PYTHON_VENV, { recursive: true, force: true });
    const steps: [string, string[]][] = [
      ['python3', ['-m', 'venv', PYTHON_VENV]],
      [python, ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', `rocketmq-python-client==${PYTHON_SDK_VERSION}`]],
    ];
    for (const [command, args] of steps) {
      const { code, stdout, stderr } = await runProcess(command, args, { timeoutMs: 10 * 60_000 });
      if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${String(code)}:\n${stdout}\n${stderr}`);
    }
    await writeFile(VENV_READY, `rocketmq-python-client==${PYTHON_SDK_VERSION}\n`);
    return python;
  })();
  venv.catch(() => (venv = undefined));
  return venv;
}

export async function runPythonSdkDriver(options: DriverOptions): Promise<SdkRun> {
  const python = await pythonSdkVenv();
  return timed(() =>
    runProcess(python, [path.join(FIXTURES, 'python-sdk.py')], {
      env: driverEnv(options),
      timeoutMs: options.timeoutMs ?? 150_000,
    }),
  );
}

// ------------------------------------------------------------------------------------------------------------------
// Java

/**
 * The Java SDK runs on its own class path (our classes + the shaded client jar): next to rocketmq-proxy's
 * rocketmq-proto, whose unshaded apache.rocketmq.v2 classes come first, the client fails with NoSuchMethodError.
 */
export async function javaSdkClasspath(): Promise<string> {
  const entries = (await buildInterop('5.3.3')).classpath.split(path.delimiter);
  const client = entries.filter((entry) => path.basename(entry).startsWith('rocketmq-client-java-'));
  if (client.length !== 1) throw new Error(`expected one rocketmq-client-java jar on the interop class path, found ${client.length}`);
  return [entries[0] ?? '', ...client].join(path.delimiter);
}

export async function runJavaSdkDriver(
  options: DriverOptions & { sdk: string; tls: boolean; scenarios: 'all' | 'basic' },
): Promise<SdkRun> {
  const classpath = await javaSdkClasspath();
  return timed(() =>
    runJava({
      mainClass: 'io.rocketmqts.interop.GrpcSdkDriver',
      name: `GrpcSdkDriver-${options.sdk}`,
      classpath,
      args: [
        '--endpoints', options.endpoint,
        '--run', options.run,
        '--sdk', options.sdk,
        '--tls', String(options.tls),
        '--scenarios', options.scenarios,
        '--await-ms', String(options.awaitMs ?? 2000),
        '--invisible-ms', String(options.invisibleMs ?? 2000),
      ],
      timeoutMs: options.timeoutMs ?? 150_000,
    }),
  );
}

/**
 * For test files that run the Node SDK in their own process: rocketmq-client-nodejs 1.0.8 keeps gRPC channels and
 * timers after its clients' shutdown() (its PushConsumer and SimpleConsumer in particular), so a file's process can
 * stay alive after every test passed and stall the whole suite. Call once at the top of the file: once the tests are
 * reported, an unref'd timer ends a process that would otherwise hang, and never delays one that exits by itself.
 */
export function exitAfterNodeSdkTests(after: (fn: () => void) => void): void {
  after(() => {
    setTimeout(() => process.exit(), 3000).unref();
  });
}

/** A logger for rocketmq-client-nodejs clients in tests (it logs through egg-logger by default): its errors only. */
export const quietSdkLogger = { info: () => undefined, warn: () => undefined, debug: () => undefined, close: () => undefined, error: (...args: unknown[]) => void args };
