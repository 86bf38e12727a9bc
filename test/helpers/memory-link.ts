import type { HALink } from '../../src/store/ha/ha-link.js';

/**
 * Two connected in-memory HALinks, for the HA state machines without sockets (a fake transport, as no socket is
 * needed to test what they do with bytes). Delivery is asynchronous (a later turn, in order), `write` returns
 * false once more than `highWaterMark` bytes wait on a paused or slow reader, and 'drain' follows delivery.
 */
export function memoryLinkPair(highWaterMark = 256 * 1024): [MemoryLink, MemoryLink] {
  const a = new MemoryLink('10.0.0.1:40001', highWaterMark);
  const b = new MemoryLink('10.0.0.2:10912', highWaterMark);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

export class MemoryLink implements HALink {
  peer: MemoryLink | undefined;
  closed = false;
  /** Every chunk written by this side, for assertions on the wire bytes. */
  readonly written: Buffer[] = [];
  private readonly inbox: Buffer[] = [];
  private inboxBytes = 0;
  private paused = false;
  private needDrain = false;
  private scheduled = false;
  private readonly dataListeners: ((chunk: Buffer) => void)[] = [];
  private readonly drainListeners: (() => void)[] = [];
  private readonly closeListeners: (() => void)[] = [];

  constructor(
    readonly remoteAddress: string,
    private readonly highWaterMark: number,
  ) {}

  write(data: Buffer | readonly Buffer[]): boolean {
    const peer = this.peer;
    if (this.closed || peer === undefined || peer.closed) return false;
    const bytes = Buffer.isBuffer(data) ? Buffer.from(data) : Buffer.concat(data);
    this.written.push(bytes);
    peer.receive(Buffer.from(bytes));
    const ok = peer.inboxBytes <= this.highWaterMark;
    if (!ok) this.needDrain = true;
    return ok;
  }

  private receive(data: Buffer): void {
    this.inbox.push(data);
    this.inboxBytes += data.length;
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.paused) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.deliver();
    });
  }

  private deliver(): void {
    while (!this.paused && !this.closed && this.inbox.length > 0) {
      const chunk = this.inbox.shift()!;
      this.inboxBytes -= chunk.length;
      for (const listener of this.dataListeners) listener(chunk);
    }
    const writer = this.peer;
    if (writer !== undefined && writer.needDrain && this.inboxBytes <= this.highWaterMark) {
      writer.needDrain = false;
      for (const listener of writer.drainListeners) listener();
    }
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.schedule();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const listener of this.closeListeners.splice(0)) listener();
    const peer = this.peer;
    if (peer !== undefined && !peer.closed) setImmediate(() => peer.close());
  }

  onData(listener: (chunk: Buffer) => void): void {
    this.dataListeners.push(listener);
  }

  onDrain(listener: () => void): void {
    this.drainListeners.push(listener);
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }
}
