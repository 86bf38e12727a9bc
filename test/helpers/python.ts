/**
 * Python side of the interop harness: a virtual environment with interop/python/requirements.txt (the RocketMQ 5.x
 * Python SDK, pinned), made under the system temp directory on first use and reused while the requirements are the
 * same (its name carries their hash), so a clean clone needs only python3 and PyPI.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './java.js';

const run = promisify(execFile);
export const PYTHON_DIR = path.join(REPO_ROOT, 'interop', 'python');

/** Whether python3 with venv can be run; in CI a missing python is a failure, elsewhere a skip with a warning. */
export async function pythonInteropSkip(): Promise<false | string> {
  try {
    await run('python3', ['-c', 'import venv, ensurepip'], { timeout: 30_000 });
    return false;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    if (process.env.CI !== undefined) throw new Error(`Python interop tests need python3 with venv: ${why}`);
    console.warn(`\n*** SKIPPING Python interop tests: ${why} ***\n`);
    return `python3 with venv missing: ${why}`;
  }
}

let venv: Promise<string> | undefined;

/** The python executable of the virtual environment with the requirements installed. */
export function pythonSdk(): Promise<string> {
  venv ??= makeVenv();
  venv.catch(() => (venv = undefined));
  return venv;
}

async function makeVenv(): Promise<string> {
  const requirements = path.join(PYTHON_DIR, 'requirements.txt');
  const hash = createHash('sha256').update(await readFile(requirements)).digest('hex').slice(0, 12);
  const dir = path.join(tmpdir(), `rocketmq-ts-python-${hash}`);
  const python = path.join(dir, 'bin', 'python');
  const done = path.join(dir, 'installed');
  if (existsSync(done)) return python;
  await rm(dir, { recursive: true, force: true });
  await run('python3', ['-m', 'venv', dir], { timeout: 120_000 });
  await run(python, ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '-r', requirements], { timeout: 10 * 60_000 });
  await writeFile(done, `${new Date().toISOString()}\n`);
  return python;
}

/** Runs a script of interop/python with the SDK's python; resolves with its output (rejects on a non-zero exit). */
export async function runPython(script: string, args: string[], timeoutMs = 90_000): Promise<{ stdout: string; stderr: string }> {
  const python = await pythonSdk();
  // The SDK logs under ~/logs: a home of its own, removed afterwards.
  const home = await mkdtemp(path.join(tmpdir(), 'rmqts-python-'));
  try {
    return await run(python, [path.join(PYTHON_DIR, script), ...args], { timeout: timeoutMs, cwd: PYTHON_DIR, env: { ...process.env, HOME: home } });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
