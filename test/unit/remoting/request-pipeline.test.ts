import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AbortProcessError } from '../../../src/common/errors.js';
import { RemotingClient, RemotingCommand, ResponseCode } from '../../../src/index.js';
import { PeerCode, startPeerServer } from '../../helpers/peer.js';
import { waitFor } from '../../helpers/wait.js';

describe('request pipeline', () => {
  it('runs before the processor; AbortProcessError answers its own code and remark and the processor never runs', async () => {
    const peer = await startPeerServer();
    const seen: string[] = [];
    peer.server.setRequestPipeline({
      execute(addr, request) {
        seen.push(`${request.code} from=${addr.startsWith('127.0.0.1:')}`);
        if (request.extFields?.['deny'] === 'yes') throw new AbortProcessError(ResponseCode.NO_PERMISSION, 'User:x is disabled.');
        if (request.extFields?.['deny'] === 'bug') throw new Error('pipeline bug');
      },
    });
    const client = new RemotingClient();
    await client.start();
    try {
      const ok = await client.invokeSync(peer.addr, RemotingCommand.createRequestCommand(PeerCode.ECHO, { v: 'x' }), 3000);
      assert.equal(ok.code, ResponseCode.SUCCESS);
      const denied = await client.invokeSync(peer.addr, RemotingCommand.createRequestCommand(PeerCode.COUNT, { deny: 'yes' }), 3000);
      assert.equal(denied.code, ResponseCode.NO_PERMISSION);
      assert.equal(denied.remark, 'User:x is disabled.');
      const failed = await client.invokeSync(peer.addr, RemotingCommand.createRequestCommand(PeerCode.ECHO, { deny: 'bug' }), 3000);
      assert.equal(failed.code, ResponseCode.SYSTEM_ERROR);
      assert.match(failed.remark ?? '', /^Error: pipeline bug/);
      // A refused oneway request gets no answer and reaches no processor; the next one (allowed) does.
      await client.invokeOneway(peer.addr, RemotingCommand.createRequestCommand(PeerCode.ONEWAY_SINK, { deny: 'yes' }), 3000);
      await client.invokeOneway(peer.addr, RemotingCommand.createRequestCommand(PeerCode.ONEWAY_SINK), 3000);
      await waitFor(() => seen.length === 5 && peer.onewayCount() === 1, 3000, 'both oneway requests through the pipeline');
      const counted = await client.invokeSync(peer.addr, RemotingCommand.createRequestCommand(PeerCode.COUNT), 3000);
      assert.equal(counted.remark, '1', 'only the allowed oneway request reached its processor');
      peer.server.setRequestPipeline(undefined);
      assert.equal((await client.invokeSync(peer.addr, RemotingCommand.createRequestCommand(PeerCode.ECHO, { deny: 'yes' }), 3000)).code, ResponseCode.SUCCESS);
    } finally {
      await client.shutdown();
      await peer.server.shutdown();
    }
  });
});
