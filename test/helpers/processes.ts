import type { ChildProcess } from 'node:child_process';

/**
 * Child processes a test started (JVMs, Go programs). Every tracked process is killed when the test process exits
 * or is interrupted, so a failing or interrupted suite never leaves a broker running.
 */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Sends a signal to one process by pid; a process that is already gone is not an error. */
export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

function killAllLive(): void {
  for (const child of live) {
    if (child.pid !== undefined) signal(child.pid, 'SIGKILL');
  }
  live.clear();
}

export function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', killAllLive);
    for (const name of ['SIGINT', 'SIGTERM'] as const) {
      process.once(name, () => {
        killAllLive();
        process.kill(process.pid, name);
      });
    }
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
}
