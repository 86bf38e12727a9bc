import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { RemotingClient, RemotingCommand, ResponseCode, type TlsMode } from '../../../src/index.js';
import { PeerCode, startPeerServer } from '../../helpers/peer.js';

// Compiled to dist-test/test/unit/remoting: the fixtures stay in the source tree.
const fixtures = fileURLToPath(new URL('../../../../test/fixtures/tls/', import.meta.url));
const cert = readFileSync(`${fixtures}server.crt`);
const key = readFileSync(`${fixtures}server.key`);

async function call(addr: string, useTLS: boolean): Promise<string> {
  const client = new RemotingClient({ useTLS, tls: { ca: cert }, connectTimeoutMillis: 2000 });
  await client.start();
  try {
    const response = await client.invokeSync(addr, RemotingCommand.createRequestCommand(PeerCode.ECHO, undefined, Buffer.from('x')), 2000);
    assert.equal(response.code, ResponseCode.SUCCESS);
    assert.equal(response.body?.toString(), 'x');
    return 'ok';
  } catch (err) {
    return (err as Error).name;
  } finally {
    await client.shutdown();
  }
}

const expectations: Record<TlsMode, { tls: string; plain: string }> = {
  permissive: { tls: 'ok', plain: 'ok' },
  enforcing: { tls: 'ok', plain: 'RemotingSendRequestError' },
  disabled: { tls: 'RemotingConnectError', plain: 'ok' },
};

describe('TLS server modes', () => {
  for (const [mode, expected] of Object.entries(expectations) as [TlsMode, { tls: string; plain: string }][]) {
    it(`${mode}: TLS client -> ${expected.tls}, plain client -> ${expected.plain}`, async () => {
      const peer = await startPeerServer({ tls: { mode, cert, key } });
      try {
        assert.equal(await call(peer.addr, true), expected.tls);
        assert.equal(await call(peer.addr, false), expected.plain);
      } finally {
        await peer.server.shutdown();
      }
    });
  }

  it('verifies the server certificate: an untrusted server fails the TLS connect', async () => {
    const peer = await startPeerServer({ tls: { mode: 'enforcing', cert, key } });
    const client = new RemotingClient({ useTLS: true, connectTimeoutMillis: 2000 });
    await client.start();
    try {
      await assert.rejects(
        client.invokeSync(peer.addr, RemotingCommand.createRequestCommand(PeerCode.ECHO), 2000),
        (err: Error) => err.name === 'RemotingConnectError' && /self.signed|certificate/i.test(err.message),
      );
    } finally {
      await client.shutdown();
      await peer.server.shutdown();
    }
  });
});
