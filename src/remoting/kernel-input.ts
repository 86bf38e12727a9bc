import { readSync } from 'node:fs';
import type { Socket } from 'node:net';

/** Enough for the largest receive queue Linux lets a socket have (tcp_rmem's maximum is 32 MiB by default). */
const MAX_BYTES = 64 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;

/**
 * Reads, synchronously, what still waits in the kernel's receive queue of a plain TCP socket whose write just
 * failed, handing each chunk to `onChunk`; returns the bytes read.
 *
 * Why: a write fails when the peer reset the connection (typically it closed with our responses unread), and Node
 * then destroys the socket at once, closing the descriptor with the requests the peer delivered before its reset
 * still unread: Linux keeps them readable after the reset, Node never asks. Netty reads them (channelRead before
 * channelInactive), so we do too, before Node closes the descriptor. After a reset nothing more arrives, so the
 * queue is finite, and read() ends on EOF, ECONNRESET or EAGAIN.
 *
 * Node has no public way to read a socket other than its stream, which it has just errored; the descriptor is
 * the TCP handle's `fd`, and without one (Windows, a TLS socket, a socket already closed) nothing is read.
 */
export function readKernelInput(socket: Socket, onChunk: (chunk: Buffer) => void): number {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return 0;
  let total = 0;
  while (total < MAX_BYTES) {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    let n: number;
    try {
      n = readSync(fd, chunk, 0, CHUNK_BYTES, null);
    } catch {
      break; // ECONNRESET once the queue is empty, or EAGAIN: nothing left
    }
    if (n === 0) break;
    total += n;
    onChunk(n === CHUNK_BYTES ? chunk : chunk.subarray(0, n));
  }
  return total;
}
