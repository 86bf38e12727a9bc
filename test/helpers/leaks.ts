import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';

/**
 * Runs `body` (ES module code, top-level await allowed) in a child Node process that sees every timer and socket,
 * unref'd ones included, from creation to clearing (async_hooks). After the body, and a moment for closes to
 * settle, it reports what the body left in `globalThis.probeResult` and the handles still alive.
 */
export async function runLeakProbe(body: string, timeoutMillis: number): Promise<{ result: unknown; live: string[] }> {
  const script = `
    const { createHook } = await import('node:async_hooks');
    const live = new Map();
    createHook({
      init(id, type) { if (type === 'Timeout' || type === 'TCPWRAP') live.set(id, type); },
      destroy(id) { live.delete(id); },
    }).enable();
    ${body}
    await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setImmediate(resolve));
    console.log(JSON.stringify({ result: globalThis.probeResult ?? null, live: [...live.values()] }));
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMillis);
  const code = await exited;
  clearTimeout(timer);
  assert.equal(code, 0, output);
  return JSON.parse(output.trim()) as { result: unknown; live: string[] };
}
