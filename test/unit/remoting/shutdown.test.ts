import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const script = `
import { RemotingClient, RemotingCommand } from ${JSON.stringify(fileURLToPath(new URL('../../../src/index.js', import.meta.url)))};
import { startPeerServer, PeerCode } from ${JSON.stringify(fileURLToPath(new URL('../../helpers/peer.js', import.meta.url)))};
const peer = await startPeerServer({ channelEventListener: { onChannelConnect() {} } });
const client = new RemotingClient({ namesrvAddrList: [peer.addr] });
await client.start();
await client.invokeSync(peer.addr, RemotingCommand.createRequestCommand(PeerCode.ECHO), 3000);
await client.invokeAsync(null, RemotingCommand.createRequestCommand(PeerCode.ECHO), 3000);
await client.invokeOneway(peer.addr, RemotingCommand.createRequestCommand(PeerCode.ONEWAY_SINK), 3000);
const pending = client.invokeAsync(peer.addr, RemotingCommand.createRequestCommand(PeerCode.SLOW, { sleepMs: 100 }), 30000).catch(() => 'failed');
await client.shutdown();
await client.shutdown();
await peer.server.shutdown();
await peer.server.shutdown();
console.log(await pending);
// A closed handle is listed until the loop's close phase has run; give that a few turns (bounded).
const ours = () => process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'PipeWrap' && r !== 'Timeout');
for (let i = 0; i < 20 && ours().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
console.log(JSON.stringify(ours()));
`;

describe('shutdown', () => {
  it('is idempotent and leaves no socket, server or timer behind: the process exits by itself', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearTimeout(killer);
    assert.equal(code, 0, `child exited with ${code}: ${err}`);
    const [pending, resources] = out.trim().split('\n');
    assert.equal(pending, 'failed', 'a call pending at shutdown fails');
    // Timers are left out of the list (the SLOW processor's own delay may still run); a timer of ours that outlived
    // shutdown would keep the process alive past the killer, which the exit code catches.
    assert.deepEqual(JSON.parse(resources ?? '[]'), []);
  });
});
