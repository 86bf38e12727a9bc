import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { FrameDecoder, RemotingCommand, decodeFrame, type RemotingCommand as Cmd } from '../../../src/index.js';
import { RemotingChannel, type ChannelHandler } from '../../../src/remoting/remoting-channel.js';
import { waitFor } from '../../helpers/wait.js';

const handler: ChannelHandler = { onCommand: () => undefined, onIdle: () => undefined, onException: () => undefined, onClose: () => undefined };

/** Writes `count` frames in one callback through a channel, and returns the frames each socket write carried. */
async function framesPerSocketWrite(maxCoalescedFrames: number, count: number): Promise<number[]> {
  const received: Cmd[] = [];
  const server = createServer((peer) => {
    const decoder = new FrameDecoder();
    peer.on('data', (chunk: Buffer) => decoder.push(chunk, (frame) => received.push(decodeFrame(frame))));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket: Socket = connect({ host: '127.0.0.1', port: (server.address() as { port: number }).port });
  try {
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const channel = new RemotingChannel(socket, handler, { maxFrameLength: 1 << 20, idleMillis: 0, pauseReadingOnBackpressure: false, maxCoalescedFrames });
    const perWrite: number[] = [];
    const write = socket.write.bind(socket) as (chunk: Buffer, cb?: () => void) => boolean;
    socket.write = ((chunk: Buffer, cb?: () => void) => {
      let frames = 0;
      for (let at = 0; at < chunk.length; at += 4 + chunk.readInt32BE(at)) frames++;
      perWrite.push(frames);
      return write(chunk, cb);
    }) as typeof socket.write;
    for (let i = 0; i < count; i++) channel.write(RemotingCommand.createRequestCommand(7300, { i }));
    await waitFor(() => received.length === count, 5000, 'every frame');
    assert.deepEqual(received.map((c) => c.extFields?.['i']), Array.from({ length: count }, (_, i) => String(i)), 'in order');
    return perWrite;
  } finally {
    socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('RemotingChannel writes', () => {
  it("coalesces one callback's frames into one socket write, without a limit (servers)", async () => {
    assert.deepEqual(await framesPerSocketWrite(Infinity, 10), [10]);
  });

  it('writes as soon as maxCoalescedFrames are queued, and the rest at the end of the callback (clients)', async () => {
    assert.deepEqual(await framesPerSocketWrite(4, 10), [4, 4, 2]);
  });
});
