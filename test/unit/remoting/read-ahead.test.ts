/**
 * A server channel reads ahead from the kernel between the frames it runs (READ_AHEAD_MILLIS), as Netty's I/O
 * threads read independently of processing, so that the kernel keeps acknowledging a client that writes while a
 * burst runs (issue 13: the Go client's oneway sends). The client here writes with writeSync on its descriptor
 * from inside the server's handler: the bytes are in the server's receive queue before the handler returns, and
 * only a read by the channel itself, not libuv's next poll, can fetch them before an immediate it scheduled runs.
 */
import assert from 'node:assert/strict';
import { writeSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { RemotingCommand, encodeCommand } from '../../../src/index.js';
import { InboundScheduler } from '../../../src/remoting/inbound-scheduler.js';
import { READ_AHEAD_MILLIS, RemotingChannel, type ChannelHandler } from '../../../src/remoting/remoting-channel.js';
import { tcpSocketInfo } from '../../helpers/proc-net-tcp.js';
import { waitFor } from '../../helpers/wait.js';

const frame = (i: number): Buffer => encodeCommand(RemotingCommand.createRequestCommand(7400, { i: String(i) }));

function spin(millis: number): void {
  const end = performance.now() + millis;
  while (performance.now() < end) {
    // a request that keeps the event loop busy, as a slow one on a loaded machine does
  }
}

/** Both ends of the connection, and the client's descriptor. */
interface Peer {
  serverSide: Socket;
  client: Socket;
  clientFd: number;
}

/** A server whose one channel runs `onCommand`, and a connected client. */
async function pair(onCommand: (command: RemotingCommand, peer: Peer) => void): Promise<{
  server: Server;
  client: Socket;
  errors: Error[];
  closed: () => boolean;
  stop: () => Promise<void>;
}> {
  const errors: Error[] = [];
  let closed = false;
  const scheduler = new InboundScheduler();
  let serverSide: Socket | undefined;
  const peer = {} as Peer; // filled in once connected, before any request
  const server = createServer((socket) => {
    serverSide = socket;
    const handler: ChannelHandler = {
      onCommand: (_channel, command) => onCommand(command, peer),
      onIdle: () => undefined,
      onException: (_channel, error) => void errors.push(error),
      onClose: () => void (closed = true),
    };
    new RemotingChannel(socket, handler, { maxFrameLength: 1 << 20, idleMillis: 0, pauseReadingOnBackpressure: true, maxCoalescedFrames: Infinity, inbound: scheduler });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = connect({ host: '127.0.0.1', port: (server.address() as { port: number }).port, noDelay: true });
  await new Promise<void>((resolve) => client.once('connect', resolve));
  await waitFor(() => serverSide !== undefined, 2000, 'the accepted socket');
  const clientFd = (client as unknown as { _handle: { fd: number } })._handle.fd;
  Object.assign(peer, { serverSide, client, clientFd });
  return {
    server,
    client,
    errors,
    closed: () => closed,
    stop: async () => {
      scheduler.stop();
      client.destroy();
      serverSide?.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('a server channel reading ahead while it runs frames', { skip: process.platform === 'linux' ? false : 'reads /proc/net/tcp' }, () => {
  it('reads what arrived during a slow request before the event loop gets back to its sockets', async () => {
    const seen: string[] = [];
    /** Bytes in the server socket's kernel receive queue when frame 0's immediate ran: before libuv's next poll. */
    let unreadAtImmediate = -1;
    const setup = await pair((command, { serverSide, clientFd }) => {
      const i = command.extFields?.['i'] ?? '';
      seen.push(i);
      if (i !== '0') return;
      // Five requests arrive, each its own segment, while this one runs for longer than READ_AHEAD_MILLIS.
      for (let n = 1; n <= 5; n++) writeSync(clientFd, frame(n));
      setImmediate(() => (unreadAtImmediate = tcpSocketInfo(serverSide.localPort ?? 0, serverSide.remotePort ?? 0)?.rxQueue ?? -1));
      spin(READ_AHEAD_MILLIS * 3);
    });
    try {
      setup.client.write(frame(0));
      await waitFor(() => seen.length === 6 && unreadAtImmediate >= 0, 2000, 'six requests');
      assert.deepEqual(seen, ['0', '1', '2', '3', '4', '5']);
      // Without reading ahead the five wait in the kernel until the poll phase after the immediate (measured with
      // read-ahead disabled: 640 bytes unread; and the reset of the next test went unreported).
      assert.equal(unreadAtImmediate, 0, 'the channel read them itself, right after the slow request');
      assert.deepEqual(setup.errors, []);
    } finally {
      await setup.stop();
    }
  });

  it('runs what the peer sent before a reset it finds, then reports the reset and closes', async () => {
    const seen: string[] = [];
    const setup = await pair((command, { client, clientFd }) => {
      const i = command.extFields?.['i'] ?? '';
      seen.push(i);
      if (i === '0') {
        for (let n = 1; n <= 3; n++) writeSync(clientFd, frame(n));
        client.resetAndDestroy(); // the RST follows the three requests
      }
      spin(READ_AHEAD_MILLIS * 2); // each request outlasts the read-ahead gap: the next read finds the reset
    });
    try {
      setup.client.write(frame(0));
      await waitFor(setup.closed, 2000, 'the channel to close');
      assert.deepEqual(seen, ['0', '1', '2', '3'], 'every request delivered before the reset, in order');
      assert.ok(
        setup.errors.some((e) => (e as NodeJS.ErrnoException).code === 'ECONNRESET'),
        `the reset was reported: ${setup.errors.map((e) => e.message).join('; ')}`,
      );
    } finally {
      await setup.stop();
    }
  });
});
