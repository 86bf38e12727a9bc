/**
 * A client that writes requests and leaves without reading a response, as a script, a crashing process or the Go
 * client's SendOneWay does. Run as its own process (the race needs two event loops):
 *
 *   node raw-sender.js HOST PORT TOPIC COUNT close|reset
 *
 * It connects, never reads, writes COUNT SEND_MESSAGE_V2 requests (flag 0, not oneway) to queue 0 of TOPIC, one
 * socket write each, then waits until its kernel has delivered them all (tx_queue 0 in /proc/net/tcp: the broker's
 * kernel acknowledged every byte) and has received responses it leaves unread (rx_queue > 0), and then closes
 * (`close`: the kernel resets, since responses are unread) or calls resetAndDestroy (`reset`). Requests still in
 * the client's own kernel when it resets would be dropped by that kernel, whatever the server: the wait makes
 * the test about what the server does with what was delivered. Prints one JSON line: { written, rxQueue }.
 */
import { connect, type Socket } from 'node:net';
import { RemotingCommand } from '../../src/protocol/remoting-command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { encodeCommand } from '../../src/protocol/command-codec.js';
import { tcpSocketInfo } from './proc-net-tcp.js';

const WAIT_MILLIS = 10_000;

async function main(): Promise<void> {
  const [host = '127.0.0.1', port = '0', topic = 'RawSender', countText = '1', mode = 'close'] = process.argv.slice(2);
  const count = Number(countText);
  const socket: Socket = connect({ host, port: Number(port), noDelay: true });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.pause();
  for (let i = 0; i < count; i++) {
    const header = { a: 'RawSenderPG', b: topic, c: 'TBW102', d: 4, e: 0, f: 0, g: Date.now(), h: 0, i: '', j: 0, k: false, m: false };
    const frame = encodeCommand(RemotingCommand.createRequestCommand(RequestCode.SEND_MESSAGE_V2, header, Buffer.from(`raw ${i}`)));
    await new Promise<void>((resolve, reject) => socket.write(frame, (err) => (err ? reject(err) : resolve())));
  }
  const deadline = Date.now() + WAIT_MILLIS;
  let state = tcpSocketInfo(socket.localPort ?? 0, Number(port));
  while (state !== undefined && (state.txQueue > 0 || state.rxQueue === 0) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    state = tcpSocketInfo(socket.localPort ?? 0, Number(port));
  }
  if (mode === 'reset') socket.resetAndDestroy();
  else socket.destroy();
  process.stdout.write(`${JSON.stringify({ written: count, txQueue: state?.txQueue ?? -1, rxQueue: state?.rxQueue ?? -1 })}\n`);
}

await main();
