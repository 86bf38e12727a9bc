import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { FrameDecoder, RemotingClient, RemotingCommand, ResponseCode, decodeFrame, encodeCommand } from '../../../src/index.js';
import { PeerCode, startPeerServer } from '../../helpers/peer.js';

/** A raw TCP peer: send bytes, read decoded frames, learn when the server closes the connection. */
async function rawConnect(addr: string): Promise<{ socket: Socket; frames: RemotingCommand[]; closed: Promise<void> }> {
  const [host, port] = addr.split(':') as [string, string];
  const socket = connect({ host, port: Number(port) });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const frames: RemotingCommand[] = [];
  const decoder = new FrameDecoder();
  socket.on('data', (chunk: Buffer) => decoder.push(chunk, (frame) => frames.push(decodeFrame(frame))));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  return { socket, frames, closed };
}

const garbage: Record<string, Buffer> = {
  'a frame over the 16 MiB limit': Buffer.from([0x01, 0x00, 0x00, 0x00, 0, 0, 0, 0]),
  'a negative length': Buffer.from([0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 0]),
  'a header length beyond the frame': Buffer.from([0, 0, 0, 8, 0x00, 0x00, 0x00, 0x10, 1, 2, 3, 4]),
  'an unknown serialize type': Buffer.from([0, 0, 0, 6, 0x07, 0x00, 0x00, 0x02, 0x7b, 0x7d]),
  'a JSON header that is not JSON': Buffer.concat([Buffer.from([0, 0, 0, 9, 0, 0, 0, 5]), Buffer.from('{oops')]),
  'a ROCKETMQ header with a lying remark length': Buffer.concat([
    Buffer.from([0, 0, 0, 25, 1, 0, 0, 21]),
    Buffer.from([0, 10, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0]),
  ]),
  'a TLS ClientHello on a plain-only server': Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01]),
};

describe('bad input', () => {
  for (const [name, bytes] of Object.entries(garbage)) {
    it(`closes the connection on ${name}, and keeps serving other clients`, async () => {
      const peer = await startPeerServer();
      const good = new RemotingClient();
      await good.start();
      try {
        await good.invokeSync(peer.addr, RemotingCommand.createRequestCommand(PeerCode.ECHO), 3000);
        const raw = await rawConnect(peer.addr);
        raw.socket.write(bytes);
        await raw.closed;
        assert.deepEqual(raw.frames, [], 'no response to a frame that cannot be decoded');
        const response = await good.invokeSync(peer.addr, RemotingCommand.createRequestCommand(PeerCode.ECHO), 3000);
        assert.equal(response.code, ResponseCode.SUCCESS);
      } finally {
        await good.shutdown();
        await peer.server.shutdown();
      }
    });
  }

  it('answers a request missing a required header field with a clear error and keeps the connection', async () => {
    const peer = await startPeerServer();
    peer.server.registerProcessor(7100, {
      processRequest(_ctx, req) {
        const header = req.decodeCommandCustomHeader({ topic: 'string', queueId: 'int' });
        return RemotingCommand.createResponseCommand(ResponseCode.SUCCESS, `${header.topic}/${header.queueId}`);
      },
    });
    const client = new RemotingClient();
    await client.start();
    try {
      const missing = await client.invokeSync(peer.addr, RemotingCommand.createRequestCommand(7100, { topic: 'T' }), 3000);
      assert.equal(missing.code, ResponseCode.SYSTEM_ERROR);
      assert.match(missing.remark ?? '', /RemotingCommandError: the custom header field 'queueId' is missing/);
      const ok = await client.invokeSync(peer.addr, RemotingCommand.createRequestCommand(7100, { topic: 'T', queueId: 3 }), 3000);
      assert.equal(ok.remark, 'T/3');
    } finally {
      await client.shutdown();
      await peer.server.shutdown();
    }
  });

  it('never answers oneway requests, not even with an error', async () => {
    const peer = await startPeerServer();
    const raw = await rawConnect(peer.addr);
    try {
      for (const code of [PeerCode.THROW, 4242, PeerCode.REJECT]) {
        const oneway = RemotingCommand.createRequestCommand(code);
        oneway.markOnewayRPC();
        raw.socket.write(encodeCommand(oneway));
      }
      const probe = RemotingCommand.createRequestCommand(PeerCode.ECHO);
      raw.socket.write(encodeCommand(probe));
      const deadline = Date.now() + 3000;
      while (raw.frames.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      assert.equal(raw.frames.length, 1);
      assert.equal(raw.frames[0]?.opaque, probe.opaque);
    } finally {
      raw.socket.destroy();
      await peer.server.shutdown();
    }
  });

  it('refuses frames above a configured smaller limit on the client too', async () => {
    const peer = await startPeerServer();
    const client = new RemotingClient({ maxFrameLength: 64 * 1024 });
    await client.start();
    try {
      const big = RemotingCommand.createRequestCommand(PeerCode.ECHO, undefined, Buffer.alloc(128 * 1024));
      await assert.rejects(client.invokeSync(peer.addr, big, 3000), /closed before the response/);
    } finally {
      await client.shutdown();
      await peer.server.shutdown();
    }
  });
});
