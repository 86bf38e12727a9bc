/**
 * Writes exact bytes to a server on a new connection and reads back one response frame: for requests a client
 * library would never send as they are (a captured frame sent again, a PROXY protocol header in front of a frame).
 */
import { connect } from 'node:net';
import { decodeCommand } from '../../src/protocol/command-codec.js';
import type { RemotingCommand } from '../../src/protocol/remoting-command.js';

/** The response, or how the exchange ended without one. */
export type RawOutcome = RemotingCommand | 'closed' | 'timeout';

export function exchangeRaw(addr: string, bytes: Buffer, timeoutMillis = 5000): Promise<RawOutcome> {
  const colon = addr.lastIndexOf(':');
  const socket = connect({ host: addr.slice(0, colon), port: Number(addr.slice(colon + 1)), noDelay: true });
  return new Promise<RawOutcome>((resolve) => {
    let received = Buffer.alloc(0);
    const finish = (outcome: RawOutcome): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMillis);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4) return;
      const total = received.readInt32BE(0) + 4;
      if (received.length >= total) finish(decodeCommand(received.subarray(0, total)));
    });
    // A reset or an orderly close before a whole frame: the server closed the connection.
    socket.on('error', () => finish('closed'));
    socket.on('close', () => finish('closed'));
  });
}

/** A PROXY protocol v1 line (HAProxy) claiming the connection comes from `sourceIp`. */
export function proxyV1Header(sourceIp: string, destination: string): Buffer {
  const colon = destination.lastIndexOf(':');
  return Buffer.from(`PROXY TCP4 ${sourceIp} ${destination.slice(0, colon)} 40000 ${destination.slice(colon + 1)}\r\n`, 'latin1');
}
