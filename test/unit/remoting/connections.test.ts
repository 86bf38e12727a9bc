import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { describe, it } from 'node:test';
import {
  RemotingClient,
  RemotingCommand,
  RemotingConnectError,
  ResponseCode,
} from '../../../src/index.js';
import { PeerCode, startPeerServer } from '../../helpers/peer.js';

/** A port with nobody listening: bind, note the port, close. */
async function deadAddr(): Promise<string> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.ok(address !== null && typeof address === 'object');
  return `127.0.0.1:${address.port}`;
}

describe('connections', () => {
  it('share one connection between concurrent first calls to an address', async () => {
    const peer = await startPeerServer();
    const client = new RemotingClient();
    await client.start();
    try {
      await Promise.all(
        Array.from({ length: 20 }, () => client.invokeSync(peer.addr, RemotingCommand.createRequestCommand(PeerCode.ECHO), 3000)),
      );
      assert.equal(peer.server.channelCount, 1);
    } finally {
      await client.shutdown();
      await peer.server.shutdown();
    }
  });

  it('reconnect after the peer restarts on the same port', async () => {
    const first = await startPeerServer();
    const port = first.server.port;
    const client = new RemotingClient();
    await client.start();
    try {
      await client.invokeSync(first.addr, RemotingCommand.createRequestCommand(PeerCode.ECHO), 3000);
      await first.server.shutdown();
      const second = await startPeerServer({ listenPort: port });
      try {
        let response: RemotingCommand | undefined;
        // The client may still hold the dead connection for an instant: at most one call fails, never more.
        for (let attempt = 0; attempt < 2 && response === undefined; attempt++) {
          response = await client
            .invokeSync(first.addr, RemotingCommand.createRequestCommand(PeerCode.ECHO), 3000)
            .catch(() => undefined);
        }
        assert.equal(response?.code, ResponseCode.SUCCESS);
      } finally {
        await second.server.shutdown();
      }
    } finally {
      await client.shutdown();
    }
  });

  it('report an unreachable address as RemotingConnectError with the address', async () => {
    const addr = await deadAddr();
    const client = new RemotingClient();
    await client.start();
    try {
      const error = await client.invokeSync(addr, RemotingCommand.createRequestCommand(PeerCode.ECHO), 3000).catch((e: unknown) => e);
      assert.ok(error instanceof RemotingConnectError);
      assert.equal(error.addr, addr);
      assert.equal(error.retriable, true);
    } finally {
      await client.shutdown();
    }
  });

  it('fail over to a reachable name server and keep using it', async () => {
    const peer = await startPeerServer();
    const dead = await deadAddr();
    const client = new RemotingClient({ namesrvAddrList: [dead, peer.addr] });
    await client.start();
    try {
      for (let i = 0; i < 3; i++) {
        const response = await client.invokeSync(null, RemotingCommand.createRequestCommand(PeerCode.ECHO), 3000);
        assert.equal(response.code, ResponseCode.SUCCESS);
      }
      assert.equal(client.getChosenNameServerAddress(), peer.addr);
      const before = client.getNameServerAddressList();
      client.updateNameServerAddressList([peer.addr, dead]);
      assert.deepEqual(client.getNameServerAddressList(), before, 'an unchanged list is kept as it is');
      client.updateNameServerAddressList([dead]);
      await assert.rejects(client.invokeSync(null, RemotingCommand.createRequestCommand(PeerCode.ECHO), 3000), RemotingConnectError);
    } finally {
      await client.shutdown();
      await peer.server.shutdown();
    }
  });

  it('reject calls before start and after shutdown', async () => {
    const client = new RemotingClient();
    await assert.rejects(client.invokeSync('127.0.0.1:1', RemotingCommand.createRequestCommand(1), 100), /created/);
    await client.start();
    await client.shutdown();
    await client.shutdown();
    await assert.rejects(client.invokeSync('127.0.0.1:1', RemotingCommand.createRequestCommand(1), 100), /stopped/);
  });
});
