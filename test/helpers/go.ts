/**
 * Go side of the interop harness: builds the Go module in interop/go (drivers around the Apache RocketMQ Go client,
 * github.com/apache/rocketmq-client-go/v2, pinned in its go.mod) and runs its programs.
 *
 * Every process started here is tracked and killed when this Node process exits.
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from './java.js';
import { signal, track } from './processes.js';

export const GO_DIR = path.join(REPO_ROOT, 'interop', 'go');
/** Build output, ignored by git (.gitignore). */
const BIN_DIR = path.join(GO_DIR, 'bin');
const STAMP = path.join(BIN_DIR, 'rocketmq-ts-build.stamp');

/** The programs of interop/go, one directory (package main) each. */
export type GoProgram = 'producer' | 'consumer' | 'txproducer';
const PROGRAMS: readonly GoProgram[] = ['producer', 'consumer', 'txproducer'];

const MAX_CAPTURE = 8 * 1024 * 1024;
const TAIL_LINES = 60;

function lastLines(text: string, count = TAIL_LINES): string {
  return text.split('\n').slice(-count).join('\n');
}

/**
 * The environment of every go command and program: the caller's (GOPROXY, GOPATH, GOCACHE... as configured), with
 * -mod=mod added to GOFLAGS so that a clean clone builds from go.mod/go.sum and the module proxy alone, and the
 * Go client's logging (logrus on stderr) down to errors unless ROCKETMQ_GO_LOG_LEVEL says otherwise.
 */
function goEnv(): NodeJS.ProcessEnv {
  const goflags = (process.env.GOFLAGS ?? '').split(/\s+/).filter((flag) => flag !== '' && !flag.startsWith('-mod='));
  return {
    ...process.env,
    GOFLAGS: [...goflags, '-mod=mod'].join(' '),
    ROCKETMQ_GO_LOG_LEVEL: process.env.ROCKETMQ_GO_LOG_LEVEL ?? 'error',
  };
}

// ------------------------------------------------------------------------------------------------------------------
// Processes

export interface GoProcess {
  readonly name: string;
  readonly pid: number;
  /** Everything written so far (each capped at 8 MiB). */
  readonly stdout: string;
  readonly stderr: string;
  /** Exit code, or the signal's name, once the process has ended ('SPAWN_ERROR' if it never started). */
  readonly exit: Promise<number | string>;
  /** Resolves with the first stdout line (seen so far or to come) that matches; rejects on timeout or exit. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** Waits for the exit, killing the process (SIGKILL) if it runs past `timeoutMs`. */
  waitForExit(timeoutMs: number): Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs` (default 3 s). Idempotent. */
  stop(graceMs?: number): Promise<void>;
  /** The command line and the last lines of stdout and stderr, for assertion messages. */
  describe(): string;
}

/** Starts a command (a Go program, or `go` itself) with the Go environment and tracks it. */
function startProcess(name: string, command: string, args: string[], cwd: string): GoProcess {
  const child = spawn(command, args, { cwd, env: goEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let stdout = '';
  let stderr = '';
  let partial = '';
  const lineListeners = new Set<(line: string) => void>();
  child.stdout?.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    if (stdout.length < MAX_CAPTURE) stdout += text;
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) for (const listener of lineListeners) listener(line);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < MAX_CAPTURE) stderr += chunk.toString('utf8');
  });
  let exited = false;
  const exit = new Promise<number | string>((resolve) => {
    child.once('error', (error) => {
      stderr += `\n[spawn error] ${String(error)}`;
      exited = true;
      resolve('SPAWN_ERROR');
    });
    // 'close', not 'exit': by then stdout and stderr are fully read.
    child.once('close', (code, sig) => {
      exited = true;
      resolve(code ?? sig ?? 'unknown');
    });
  });

  const describe = (): string =>
    `${name} (${command} ${args.join(' ')}; pid ${child.pid ?? '?'})\n--- stdout (tail) ---\n` +
    `${lastLines(stdout.length > 20_000 ? stdout.slice(-20_000) : stdout)}\n--- stderr (tail) ---\n${lastLines(stderr)}`;

  const waitForLine = (pattern: RegExp, timeoutMs: number): Promise<string> => {
    const seen = stdout.split('\n').find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    if (exited) return Promise.reject(new Error(`exited before printing ${String(pattern)}: ${describe()}`));
    return new Promise<string>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        lineListeners.delete(onLine);
      };
      const onLine = (line: string): void => {
        if (!pattern.test(line)) return;
        finish();
        resolve(line);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`printed no line matching ${String(pattern)} within ${timeoutMs} ms: ${describe()}`));
      }, timeoutMs);
      lineListeners.add(onLine);
      void exit.then((status) => {
        finish();
        reject(new Error(`exited (${status}) before printing ${String(pattern)}: ${describe()}`));
      });
    });
  };

  const waitForExit = async (timeoutMs: number): Promise<number | string> => {
    const killer = setTimeout(() => {
      stderr += `\n[killed after ${timeoutMs} ms]`;
      if (child.pid !== undefined) signal(child.pid, 'SIGKILL');
    }, timeoutMs);
    try {
      return await exit;
    } finally {
      clearTimeout(killer);
    }
  };

  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 3000): Promise<void> => {
    stopping ??= (async () => {
      if (exited || child.pid === undefined) return;
      signal(child.pid, 'SIGTERM');
      await waitForExit(graceMs);
    })();
    return stopping;
  };

  return {
    name,
    pid: child.pid ?? -1,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    exit,
    waitForLine,
    waitForExit,
    stop,
    describe,
  };
}

// ------------------------------------------------------------------------------------------------------------------
// Toolchain and build

/** Whether `go` can be run; `version` is `go version`'s output. */
export async function goAvailable(): Promise<{ ok: boolean; why?: string; version?: string }> {
  const go = startProcess('go version', 'go', ['version'], REPO_ROOT);
  const status = await go.waitForExit(60_000);
  if (status !== 0) return { ok: false, why: `go version failed (${status}): ${lastLines(go.stdout + go.stderr, 5).trim()}` };
  return { ok: true, version: go.stdout.trim() };
}

/**
 * The `skip` option for a Go interop suite: false when Go is here; otherwise a reason, announced loudly.
 * In CI a missing toolchain is a failure, never a silent skip.
 */
export async function goInteropSkip(): Promise<false | string> {
  const availability = await goAvailable();
  if (availability.ok) return false;
  if (process.env.CI !== undefined) throw new Error(`Go interop tests need go on PATH: ${availability.why}`);
  console.warn(`\n*** SKIPPING Go interop tests: ${availability.why} ***\n`);
  return `go missing: ${availability.why}`;
}

async function newestMtime(target: string): Promise<number> {
  const info = await stat(target);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of await readdir(target)) newest = Math.max(newest, await newestMtime(path.join(target, entry)));
  return newest;
}

async function mtimeOrZero(file: string): Promise<number> {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return 0;
  }
}

let build: Promise<Record<GoProgram, string>> | undefined;

/**
 * Builds the programs of interop/go into interop/go/bin and returns their paths. `go build` runs only when go.mod,
 * go.sum or a program's source changed since this helper's last successful build (a stamp file records it); the
 * first build downloads the Go client and its dependencies from the module proxy (GOPROXY) into the module cache.
 */
export function buildGoInterop(): Promise<Record<GoProgram, string>> {
  if (build === undefined) {
    build = doBuild();
    build.catch(() => (build = undefined));
  }
  return build;
}

async function doBuild(): Promise<Record<GoProgram, string>> {
  const binaries = Object.fromEntries(PROGRAMS.map((program) => [program, path.join(BIN_DIR, program)])) as Record<GoProgram, string>;
  const inputs = Math.max(
    await newestMtime(path.join(GO_DIR, 'go.mod')),
    await mtimeOrZero(path.join(GO_DIR, 'go.sum')),
    ...(await Promise.all(PROGRAMS.map((program) => newestMtime(path.join(GO_DIR, program))))),
  );
  const built = Math.min(await mtimeOrZero(STAMP), ...(await Promise.all(Object.values(binaries).map(mtimeOrZero))));
  if (built === 0 || built < inputs) {
    await mkdir(BIN_DIR, { recursive: true });
    const args = ['build', '-o', BIN_DIR + path.sep, ...PROGRAMS.map((program) => `./${program}`)];
    const go = startProcess('go build', 'go', args, GO_DIR);
    const status = await go.waitForExit(8 * 60_000);
    if (status !== 0) throw new Error(`go ${args.join(' ')} (in ${GO_DIR}) exited with ${status}:\n${go.describe()}`);
    await writeFile(STAMP, `${new Date().toISOString()} go ${args.join(' ')}\n`);
  }
  return binaries;
}

// ------------------------------------------------------------------------------------------------------------------
// Programs

/** Starts a long-running program of interop/go (built if needed); with `readyLine`, resolves once it printed it. */
export async function startGo(
  program: GoProgram,
  args: string[],
  options: { readyLine?: RegExp; readyTimeoutMs?: number } = {},
): Promise<GoProcess> {
  const binaries = await buildGoInterop();
  const go = startProcess(`go ${program}`, binaries[program], args, GO_DIR);
  if (options.readyLine !== undefined) {
    try {
      await go.waitForLine(options.readyLine, options.readyTimeoutMs ?? 60_000);
    } catch (error) {
      await go.stop(0);
      throw error;
    }
  }
  return go;
}

/** Runs a program of interop/go to completion; it is killed (and `code` is the signal's name) past `timeoutMs`. */
export async function runGo(
  program: GoProgram,
  args: string[],
  timeoutMs = 60_000,
): Promise<{ code: number | string; stdout: string; stderr: string; describe: () => string }> {
  const go = await startGo(program, args);
  const code = await go.waitForExit(timeoutMs);
  return { code, stdout: go.stdout, stderr: go.stderr, describe: () => go.describe() };
}
