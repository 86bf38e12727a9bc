import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  RemotingClient,
  RemotingCommand,
  ResponseCode,
  type ChannelEventListener,
  type RPCHook,
} from '../../../src/index.js';
import { PeerCode, startPeerServer } from '../../helpers/peer.js';
import { deferred } from '../../helpers/wait.js';

describe('RPC hooks', () => {
  it('run on both sides, before the request and after the response, and may modify the commands', async () => {
    const seen: string[] = [];
    const peer = await startPeerServer();
    peer.server.registerRPCHook({
      doBeforeRequest(addr, req) {
        seen.push(`server before ${req.code} sig=${req.extFields?.['Signature']} from=${addr.startsWith('127.0.0.1:')}`);
      },
      doAfterResponse(_addr, req, resp) {
        seen.push(`server after ${req.code} -> ${resp.code}`);
        resp.addExtField('served-by', 'ts');
      },
    });
    const clientHook: RPCHook = {
      doBeforeRequest(addr, req) {
        assert.equal(addr, peer.addr);
        req.addExtField('Signature', 'abc');
      },
      doAfterResponse(_addr, req, resp) {
        seen.push(`client after ${req.code} -> ${resp.code} served-by=${resp.extFields?.['served-by']}`);
      },
    };
    const client = new RemotingClient();
    client.registerRPCHook(clientHook);
    client.registerRPCHook(clientHook); // registering twice must not run it twice
    await client.start();
    try {
      const response = await client.invokeSync(peer.addr, RemotingCommand.createRequestCommand(PeerCode.ECHO), 3000);
      assert.equal(response.extFields?.['Signature'], 'abc');
      assert.deepEqual(seen, [
        `server before ${PeerCode.ECHO} sig=abc from=true`,
        `server after ${PeerCode.ECHO} -> 0`,
        `client after ${PeerCode.ECHO} -> 0 served-by=ts`,
      ]);
    } finally {
      await client.shutdown();
      await peer.server.shutdown();
    }
  });

  it("run on a server around the requests it receives only, not around those it sends to clients (Java's NettyRemotingServer)", async () => {
    const seen: string[] = [];
    const peer = await startPeerServer();
    const CALL_BACK = 9101;
    const CALLED = 9102;
    // The server answers CALL_BACK by calling the client back over the client's own connection.
    peer.server.registerProcessor(CALL_BACK, {
      processRequest: async (ctx) => {
        const back = await peer.server.invokeSync(ctx.channel, RemotingCommand.createRequestCommand(CALLED), 3000);
        return RemotingCommand.createResponseCommand(back.code, 'called back');
      },
    });
    peer.server.registerRPCHook({
      doBeforeRequest: (_addr, req) => void seen.push(`server before ${req.code}`),
      doAfterResponse: (_addr, req) => void seen.push(`server after ${req.code}`),
    });
    const client = new RemotingClient();
    client.registerProcessor(CALLED, { processRequest: () => RemotingCommand.createResponseCommand(ResponseCode.SUCCESS) });
    client.registerRPCHook({
      doBeforeRequest: (_addr, req) => void seen.push(`client before ${req.code}`),
      doAfterResponse: (_addr, req) => void seen.push(`client after ${req.code}`),
    });
    await client.start();
    try {
      const response = await client.invokeSync(peer.addr, RemotingCommand.createRequestCommand(CALL_BACK), 3000);
      assert.equal(response.remark, 'called back');
      assert.deepEqual(seen, [
        `client before ${CALL_BACK}`,
        `server before ${CALL_BACK}`,
        // The call back: the client's hooks run around the request it received, the server's not at all.
        `client before ${CALLED}`,
        `client after ${CALLED}`,
        `server after ${CALL_BACK}`,
        `client after ${CALL_BACK}`,
      ]);
    } finally {
      await client.shutdown();
      await peer.server.shutdown();
    }
  });

  it('turn a throwing server hook into SYSTEM_ERROR, and a throwing client hook into a rejected call', async () => {
    const peer = await startPeerServer();
    peer.server.registerRPCHook({
      doBeforeRequest(_addr, req) {
        if (req.extFields?.['deny'] === 'yes') throw new Error('No acl config for you');
      },
      doAfterResponse() {},
    });
    const client = new RemotingClient();
    await client.start();
    try {
      const denied = await client.invokeSync(peer.addr, RemotingCommand.createRequestCommand(PeerCode.ECHO, { deny: 'yes' }), 3000);
      assert.equal(denied.code, ResponseCode.SYSTEM_ERROR);
      assert.match(denied.remark ?? '', /No acl config for you/);
      client.registerRPCHook({
        doBeforeRequest() {
          throw new Error('client hook failed');
        },
        doAfterResponse() {},
      });
      await assert.rejects(client.invokeAsync(peer.addr, RemotingCommand.createRequestCommand(PeerCode.ECHO), 3000), /send request/);
    } finally {
      await client.shutdown();
      await peer.server.shutdown();
    }
  });
});

describe('channel events', () => {
  it('deliver CONNECT and CLOSE on the server and the client', async () => {
    const serverEvents: string[] = [];
    const serverClosed = deferred();
    const serverListener: ChannelEventListener = {
      onChannelConnect: (addr) => void serverEvents.push(`connect ${addr.startsWith('127.0.0.1')}`),
      onChannelClose: (addr) => {
        serverEvents.push(`close ${addr.startsWith('127.0.0.1')}`);
        serverClosed.resolve();
      },
    };
    const clientEvents: string[] = [];
    const clientClosed = deferred();
    const peer = await startPeerServer({ channelEventListener: serverListener });
    const client = new RemotingClient({
      channelEventListener: {
        onChannelConnect: (addr) => void clientEvents.push(`connect ${addr}`),
        onChannelClose: (addr) => {
          clientEvents.push(`close ${addr}`);
          clientClosed.resolve();
        },
      },
    });
    await client.start();
    try {
      await client.invokeSync(peer.addr, RemotingCommand.createRequestCommand(PeerCode.ECHO), 3000);
      client.closeChannel(peer.addr);
      await Promise.all([serverClosed.promise, clientClosed.promise]);
      assert.deepEqual(serverEvents, ['connect true', 'close true']);
      assert.deepEqual(clientEvents, [`connect ${peer.addr}`, `close ${peer.addr}`]);
    } finally {
      await client.shutdown();
      await peer.server.shutdown();
    }
  });

  it('close idle connections and report IDLE before CLOSE', async () => {
    const events: string[] = [];
    const closed = deferred();
    const peer = await startPeerServer({
      serverChannelMaxIdleTimeSeconds: 0.3,
      channelEventListener: {
        onChannelIdle: () => void events.push('idle'),
        onChannelClose: () => {
          events.push('close');
          closed.resolve();
        },
      },
    });
    const client = new RemotingClient();
    await client.start();
    try {
      const started = Date.now();
      await client.invokeSync(peer.addr, RemotingCommand.createRequestCommand(PeerCode.ECHO), 3000);
      await closed.promise;
      assert.deepEqual(events, ['idle', 'close']);
      assert.ok(Date.now() - started >= 250);
      assert.equal(peer.server.channelCount, 0);
    } finally {
      await client.shutdown();
      await peer.server.shutdown();
    }
  });

  it('keep delivering after a listener throws', async () => {
    let connects = 0;
    const second = deferred();
    const peer = await startPeerServer({
      channelEventListener: {
        onChannelConnect() {
          connects++;
          if (connects === 2) second.resolve();
          throw new Error('listener bug');
        },
      },
    });
    const a = new RemotingClient();
    const b = new RemotingClient();
    await a.start();
    await b.start();
    try {
      await a.invokeSync(peer.addr, RemotingCommand.createRequestCommand(PeerCode.ECHO), 3000);
      await b.invokeSync(peer.addr, RemotingCommand.createRequestCommand(PeerCode.ECHO), 3000);
      await second.promise;
      assert.equal(connects, 2);
    } finally {
      await a.shutdown();
      await b.shutdown();
      await peer.server.shutdown();
    }
  });
});
