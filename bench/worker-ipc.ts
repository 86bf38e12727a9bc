/**
 * A bench worker: a client of ours in a process of its own, started by the bench with `fork` (forkWorker, the
 * parent's side) and talking over the IPC channel (report, nextRequest, runWindow: the worker's side):
 *   child -> parent  { type: 'ready' }     once the client has started
 *   parent -> child  { type: 'measure' }   the measured window begins (profiling starts, if asked)
 *   parent -> child  { type: 'stop' }      the window ends
 *   child -> parent  { type: 'result', ... } what the worker measured; then it exits
 */
import { fork } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import path from 'node:path';

export type WorkerRequest = { type: 'measure' } | { type: 'stop' };

/** Sends `message` to the parent; resolves once it is written. */
export function report<T extends { type: string }>(message: T): Promise<void> {
  return new Promise((resolve, reject) => process.send?.(message, undefined, {}, (err) => (err === null ? resolve() : reject(err))));
}

/** The next request of the parent; the IPC channel closing (parent gone) counts as 'stop'. */
export function nextRequest(): Promise<WorkerRequest> {
  return new Promise((resolve) => {
    const onMessage = (message: WorkerRequest): void => {
      process.off('disconnect', onDisconnect);
      resolve(message);
    };
    const onDisconnect = (): void => {
      process.off('message', onMessage);
      resolve({ type: 'stop' });
    };
    process.once('message', onMessage);
    process.once('disconnect', onDisconnect);
  });
}

/** The inspector's sampling profiler over the measured window only, when the parent asked for a profile. */
export async function startProfile(file: string | undefined): Promise<() => Promise<void>> {
  if (file === undefined) return () => Promise.resolve();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(profile));
  };
}

/** 'ready', then the measured window between 'measure' and 'stop' (profiled if asked), with `onMeasuring(true|false)`. */
export async function runWindow(profileFile: string | undefined, onMeasuring: (measuring: boolean) => void = () => undefined): Promise<void> {
  await report({ type: 'ready' });
  let request = await nextRequest();
  if (request.type === 'measure') {
    const stopProfile = await startProfile(profileFile);
    onMeasuring(true);
    request = await nextRequest();
    onMeasuring(false);
    await stopProfile();
  }
}

/** The parent's handle on a worker that has reported 'ready'. */
export interface ForkedWorker<R> {
  pid: number;
  /** The worker's exit code, once it has exited. */
  exit: Promise<number | null>;
  /** The measured window begins. */
  measure(): void;
  /** Ends the window and the worker; resolves with its 'result' report once it has shut down and exited. */
  stop(): Promise<R>;
  kill(): void;
}

/** Forks `script` with `args` (stdout and stderr inherited) and waits for its 'ready'; `name` is for errors. */
export async function forkWorker<R extends { type: 'result' }>(script: string, args: string[], name: string, env: NodeJS.ProcessEnv = {}): Promise<ForkedWorker<R>> {
  const child = fork(script, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...env } });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const reports: { type: string }[] = [];
  const waiters: (() => void)[] = [];
  child.on('message', (message: { type: string }) => {
    reports.push(message);
    for (const wake of waiters.splice(0)) wake();
  });
  // The next report of the worker, or an error if it exits first.
  const next = async (type: string): Promise<unknown> => {
    for (;;) {
      const found = reports.find((r) => r.type === type);
      if (found !== undefined) return found;
      const code = await Promise.race([exit, new Promise<'report'>((resolve) => waiters.push(() => resolve('report')))]);
      if (code !== 'report') throw new Error(`${name} exited (code ${code}) before its '${type}' report`);
    }
  };
  const send = (request: WorkerRequest): void => {
    child.send(request);
  };
  try {
    await next('ready');
  } catch (err) {
    child.kill();
    throw err;
  }
  if (child.pid === undefined) throw new Error(`${name} has no pid`);
  return {
    pid: child.pid,
    exit,
    measure: () => send({ type: 'measure' }),
    stop: async () => {
      send({ type: 'stop' });
      const result = (await next('result')) as R;
      await exit;
      return result;
    },
    kill: () => child.kill('SIGKILL'),
  };
}
