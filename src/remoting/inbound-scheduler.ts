/** What the scheduler needs of a channel whose read frames wait to be processed. */
export interface InboundQueue {
  /** True while the queue sits in the scheduler's ready list. */
  scheduled: boolean;
  /** Processes queued frames, at least one, until none is left or `deadline` (performance.now()) passes; true if
   * frames remain that may run now. */
  runQueued(deadline: number): boolean;
  /** The server stopped: forget the queued frames. */
  dropQueued(): void;
}

/** Default length of a turn: short enough that a client writing as fast as it can rarely fills its window. */
export const DEFAULT_TURN_MILLIS = 1;

/**
 * Decouples reading from processing on one server's connections, as Netty's I/O threads do for Java: a channel
 * queues every frame it reads, and the requests run in turns of at most `turnMillis`, after which the event loop
 * goes back to its sockets. Without it one read of 64 KiB (and libuv reads up to 32 in a row) ran every request in
 * it before the next read; a client that wrote faster meanwhile filled its TCP window and kept the rest in its own
 * kernel, where a reset (closing with responses unread) discarded it.
 *
 * Per event-loop iteration there are at most two turns: frames read in the poll phase run at once while nothing
 * else waits and the current turn lasts (the common, unloaded case costs no hop), the rest in one turn of the
 * check phase (setImmediate); channels take the turn in arrival order.
 */
export class InboundScheduler {
  private readonly ready: InboundQueue[] = [];
  private readyHead = 0;
  /** End of the current turn (performance.now()); 0 when none is running. */
  private turnEnd = 0;
  private immediate: NodeJS.Immediate | undefined;
  private stopped = false;

  constructor(readonly turnMillis: number = DEFAULT_TURN_MILLIS) {}

  /** Frames are waiting in `queue`: run them now if this turn allows, else when the check phase comes. */
  offer(queue: InboundQueue): void {
    if (this.stopped) {
      queue.dropQueued();
      return;
    }
    if (queue.scheduled) return;
    if (this.readyHead === this.ready.length && this.turnOpen() && !queue.runQueued(this.turnEnd)) return;
    queue.scheduled = true;
    this.ready.push(queue);
    this.schedule();
  }

  /** Drops every queued frame; later offers drop theirs too. */
  stop(): void {
    this.stopped = true;
    clearImmediate(this.immediate);
    this.immediate = undefined;
    for (let i = this.readyHead; i < this.ready.length; i++) {
      const queue = this.ready[i] as InboundQueue;
      queue.scheduled = false;
      queue.dropQueued();
    }
    this.ready.length = 0;
    this.readyHead = 0;
  }

  /** Starts a turn if none runs (and the immediate that ends it); false once the current one is used up. */
  private turnOpen(): boolean {
    const now = performance.now();
    if (this.turnEnd === 0) {
      this.turnEnd = now + this.turnMillis;
      this.schedule();
      return true;
    }
    return now < this.turnEnd;
  }

  private schedule(): void {
    if (this.immediate === undefined) this.immediate = setImmediate(this.runTurn);
  }

  private readonly runTurn = (): void => {
    this.immediate = undefined;
    const end = performance.now() + this.turnMillis;
    this.turnEnd = end;
    // Each waiting queue once, in order, while the turn lasts; one that still has frames goes to the back.
    let visits = this.ready.length - this.readyHead;
    while (visits-- > 0 && performance.now() < end) {
      const queue = this.ready[this.readyHead] as InboundQueue;
      this.ready[this.readyHead++] = undefined as unknown as InboundQueue;
      queue.scheduled = false;
      if (queue.runQueued(end) && !this.stopped) {
        queue.scheduled = true;
        this.ready.push(queue);
      }
    }
    if (this.readyHead === this.ready.length) {
      this.ready.length = 0;
      this.readyHead = 0;
    } else if (this.readyHead > 1024) {
      this.ready.splice(0, this.readyHead);
      this.readyHead = 0;
    }
    // The next poll phase starts a fresh turn for what it reads.
    this.turnEnd = 0;
    if (this.readyHead < this.ready.length) this.schedule();
  };
}
