import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { RemotingCommand, encodeCommand } from '../../../src/index.js';
import { RemotingChannel, type ChannelHandler } from '../../../src/remoting/remoting-channel.js';
import { tcpSocketInfo } from '../../helpers/proc-net-tcp.js';
import { waitFor } from '../../helpers/wait.js';

describe('a peer that resets with requests still unread by us', { skip: process.platform === 'linux' ? false : 'reads /proc/net/tcp' }, () => {
  it('has every request it delivered before the reset decoded, when our next write fails', async () => {
    const commands: RemotingCommand[] = [];
    const errors: Error[] = [];
    let closed = false;
    const handler: ChannelHandler = {
      onCommand: (_channel, command) => void commands.push(command),
      onIdle: () => undefined,
      onException: (_channel, error) => void errors.push(error),
      onClose: () => void (closed = true),
    };
    let serverSide: Socket | undefined;
    const server = createServer({ pauseOnConnect: true }, (socket) => {
      serverSide = socket;
      socket.pause(); // our event loop is busy elsewhere: nothing is read yet
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = connect({ host: '127.0.0.1', port: (server.address() as { port: number }).port, noDelay: true });
    client.pause(); // the client reads nothing either
    try {
      await new Promise<void>((resolve) => client.once('connect', resolve));
      await waitFor(() => serverSide !== undefined, 2000, 'the accepted socket');
      const socket = serverSide as Socket;
      const channel = new RemotingChannel(socket, handler, { maxFrameLength: 1 << 20, idleMillis: 0, pauseReadingOnBackpressure: true, maxCoalescedFrames: Infinity });
      socket.pause();
      const serverPort = socket.localPort ?? 0;
      const clientPort = socket.remotePort ?? 0;

      // An answer the client will leave unread, so that its close resets the connection.
      channel.write(RemotingCommand.createResponseCommand(0, 'unread'));
      await waitFor(() => (tcpSocketInfo(clientPort, serverPort)?.rxQueue ?? 0) > 0, 2000, 'the unread answer');
      // 30 requests in separate writes, all in our kernel's receive queue (nothing reads them yet).
      let sent = 0;
      for (let i = 0; i < 30; i++) {
        const frame = encodeCommand(RemotingCommand.createRequestCommand(7400, { i: String(i) }));
        sent += frame.length;
        await new Promise<void>((resolve) => client.write(frame, () => resolve()));
      }
      await waitFor(() => tcpSocketInfo(serverPort, clientPort)?.rxQueue === sent, 2000, 'the requests in our receive queue');
      client.destroy();
      await waitFor(() => tcpSocketInfo(serverPort, clientPort)?.state !== '01', 2000, 'the reset to reach our socket');

      // Our next write fails (EPIPE or ECONNRESET) and Node destroys the socket.
      channel.write(RemotingCommand.createResponseCommand(0, 'too late'));
      await waitFor(() => closed, 2000, 'the channel to close');
      assert.deepEqual(
        commands.map((c) => c.extFields?.['i']),
        Array.from({ length: 30 }, (_, i) => String(i)),
        'every request the peer delivered, in order',
      );
      assert.equal(channel.isActive, false);
    } finally {
      client.destroy();
      serverSide?.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
