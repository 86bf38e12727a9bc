import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { FrameDecoder, RemotingCommand, ResponseCode, decodeFrame, encodeCommand, type RemotingCommand as Cmd } from '../../../src/index.js';
import { ChannelEventExecutor } from '../../../src/remoting/channel-event.js';
import type { RemotingChannel } from '../../../src/remoting/remoting-channel.js';
import { silentLogger } from '../../../src/common/logger.js';
import { startPeerServer } from '../../helpers/peer.js';
import { waitFor } from '../../helpers/wait.js';

describe('backpressure', () => {
  it('stops reading from a client that does not read its responses, and loses nothing when it does', async () => {
    const peer = await startPeerServer();
    let processed = 0;
    peer.server.registerProcessor(7200, {
      processRequest(_ctx, req) {
        processed++;
        const response = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS, req.extFields?.['i']);
        response.body = Buffer.alloc(1024 * 1024, Number(req.extFields?.['i']) % 256);
        return response;
      },
    });
    const socket = connect({ host: '127.0.0.1', port: peer.server.port });
    try {
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      socket.pause(); // read nothing for now
      const total = 200; // 200 MiB of responses: far more than any socket buffer
      for (let i = 0; i < total; i++) socket.write(encodeCommand(RemotingCommand.createRequestCommand(7200, { i })));
      // The server serves until its output is stuck, then stops reading: it never buffers all 200 MiB.
      await waitFor(() => processed > 0, 5000, 'the first requests');
      let last = -1;
      while (last !== processed) {
        last = processed;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.ok(processed < total, `server kept processing (${processed}/${total}) although nobody read the responses`);

      const responses: Cmd[] = [];
      const decoder = new FrameDecoder();
      socket.on('data', (chunk: Buffer) => decoder.push(chunk, (frame) => responses.push(decodeFrame(frame))));
      socket.resume();
      await waitFor(() => responses.length === total, 20_000, 'all responses');
      responses.forEach((response, i) => {
        assert.equal(response.remark, String(i));
        assert.equal(response.body?.length, 1024 * 1024);
        assert.equal(response.body?.[1024 * 1024 - 1], i % 256);
      });
    } finally {
      socket.destroy();
      await peer.server.shutdown();
    }
  });
});

describe('queued input', () => {
  it('keeps reading while requests run, up to maxQueuedInputBytes waiting, and serves them all in order', async () => {
    const maxQueuedInputBytes = 256 * 1024;
    const peer = await startPeerServer({ maxQueuedInputBytes });
    let maxQueued = 0;
    peer.server.registerProcessor(7201, {
      processRequest(ctx, req) {
        maxQueued = Math.max(maxQueued, ctx.channel.queuedInputBytes);
        const until = performance.now() + 0.1; // slower than the client writes
        while (performance.now() < until);
        return RemotingCommand.createResponseCommand(ResponseCode.SUCCESS, req.extFields?.['i']);
      },
    });
    const socket = connect({ host: '127.0.0.1', port: peer.server.port });
    try {
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      const responses: Cmd[] = [];
      const decoder = new FrameDecoder();
      socket.on('data', (chunk: Buffer) => decoder.push(chunk, (frame) => responses.push(decodeFrame(frame))));
      // 4000 requests of 2 KiB: 8 MiB, written at once, take 0.4 s to serve.
      const total = 4000;
      const body = Buffer.alloc(2048, 1);
      for (let i = 0; i < total; i++) socket.write(encodeCommand(RemotingCommand.createRequestCommand(7201, { i }, body)));
      await waitFor(() => responses.length === total, 30_000, 'all responses');
      assert.deepEqual(
        responses.map((r) => Number(r.remark)),
        Array.from({ length: total }, (_, i) => i),
      );
      // Input was read ahead of processing, and no further than the bound plus the chunk read when it was reached.
      assert.ok(maxQueued > 64 * 1024, `at most ${maxQueued} bytes waited: reading waited for processing`);
      assert.ok(maxQueued <= maxQueuedInputBytes + 128 * 1024, `${maxQueued} bytes of input waited`);
    } finally {
      socket.destroy();
      await peer.server.shutdown();
    }
  });
});

describe('channel event queue', () => {
  it('drops events beyond its capacity with a warning, and delivers the rest in order', async () => {
    const warnings: string[] = [];
    const delivered: string[] = [];
    const logger = { ...silentLogger, warn: (message: string) => void warnings.push(message) };
    const executor = new ChannelEventExecutor({ onChannelConnect: (addr) => void delivered.push(addr) }, logger, 3);
    const channel = {} as RemotingChannel;
    for (let i = 0; i < 5; i++) executor.putEvent({ type: 'CONNECT', remoteAddr: `a${i}`, channel });
    await waitFor(() => delivered.length === 3, 2000, 'delivery');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(delivered, ['a0', 'a1', 'a2']);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0] ?? '', /queue is full/);
  });
});
