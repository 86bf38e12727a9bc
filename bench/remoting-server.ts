/**
 * The server half of `npm run bench:remoting`, run as a child process by bench/remoting-core.ts (never by hand):
 * a RemotingServer on 127.0.0.1 with an echo processor, a oneway sink and a counter (the codes of Java's
 * RemotingPeerServer, so that Java's RemotingPeerClient --bench can drive it too). It reports its port over IPC,
 * answers CPU-usage queries, and exits on {type:'stop'}, on SIGINT/SIGTERM, when the parent goes away, or when its
 * own deadline (argv[2] seconds) passes. It exits through process.exit so that `--cpu-prof` (inherited from the
 * parent's execArgv) gets to write its profile.
 */
import { RemotingCommand, RemotingServer, ResponseCode } from '../src/index.js';
import { CODE_COUNT, CODE_ECHO, CODE_SINK, isDriverMessage, type ServerMessage } from './remoting-protocol.js';

function send(message: ServerMessage): void {
  if (process.connected) process.send?.(message);
}

async function main(): Promise<void> {
  if (process.send === undefined) {
    process.stderr.write('remoting-server: run me through bench/remoting.js (needs an IPC channel)\n');
    process.exit(2);
  }
  const maxSeconds = Number(process.argv[2] ?? '600');
  const server = new RemotingServer({ listenPort: 0, bindAddress: '127.0.0.1' });
  let sunk = 0;

  server.registerProcessor(CODE_ECHO, {
    processRequest(_ctx, request) {
      const response = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS);
      response.body = request.body;
      return response;
    },
  });
  server.registerProcessor(CODE_SINK, {
    processRequest() {
      sunk++;
      return null;
    },
  });
  server.registerProcessor(CODE_COUNT, {
    processRequest() {
      return RemotingCommand.createResponseCommand(ResponseCode.SUCCESS, String(sunk));
    },
  });

  let stopping = false;
  const stop = (code: number): void => {
    if (stopping) return;
    stopping = true;
    const hard = setTimeout(() => process.exit(code), 2000);
    hard.unref();
    server.shutdown().then(
      () => {
        send({ type: 'stopped' });
        process.exit(code);
      },
      () => process.exit(code),
    );
  };

  process.on('message', (message: unknown) => {
    if (!isDriverMessage(message)) return;
    if (message.type === 'stop') {
      stop(0);
    } else {
      const usage = process.cpuUsage();
      send({ type: 'cpu', id: message.id, userMicros: usage.user, systemMicros: usage.system });
    }
  });
  process.on('disconnect', () => stop(0));
  process.on('SIGINT', () => stop(130));
  process.on('SIGTERM', () => stop(143));
  const deadline = setTimeout(() => {
    process.stderr.write(`remoting-server: deadline of ${maxSeconds}s passed, exiting\n`);
    stop(3);
  }, maxSeconds * 1000);
  deadline.unref();

  await server.start();
  send({ type: 'ready', port: server.port });
}

main().catch((err: unknown) => {
  process.stderr.write(`remoting-server: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
