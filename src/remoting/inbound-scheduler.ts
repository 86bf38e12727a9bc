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
 * Decouples reading from processing on one server's connections, as Netty's I/O threads do for Java: the requests
 * a channel reads run in turns of at most `turnMillis`, after which the event loop goes back to its sockets.
 * Without it one read of 64 KiB (and libuv reads up to 32 in a row) ran every request in it before the next read;
 * meanwhile the kernel, not read, stopped acknowledging promptly, and a client that closed then kept its last
 * writes in its own kernel, where the reset our answer caused discarded them.
 *
 * Frames read in the poll phase run at once while nothing else waits and the current turn lasts: the common,
 * unloaded case costs neither a queue nor a hop. Once a turn is used up, what is read after it waits, and one turn
 * of the check phase (setImmediate) runs the waiting channels in arrival order; then the loop polls its sockets
 * again before the next turn. The immediate is only scheduled then: one in every loop iteration showed in the
 * profile of bench:remoting's server (oneway echo, 450 k requests a second) as a third more V8 and libuv time.
 */
export class InboundScheduler {
  private readonly ready: InboundQueue[] = [];
  private readyHead = 0;
  /** End of the current turn (performance.now()). */
  private turnEnd = 0;
  /** A turn ran out by work in this poll phase: nothing more runs inline until the check-phase turn. */
  private exhausted = false;
  private immediate: NodeJS.Immediate | undefined;
  private stopped = false;

  constructor(readonly turnMillis: number = DEFAULT_TURN_MILLIS) {}

  /**
   * The deadline (performance.now()) until which `queue` may run frames as it reads them, or 0 when it must queue
   * them: others are waiting, or the turn is used up. Lets a channel skip its inbox in the common case.
   */
  inlineDeadline(queue: InboundQueue): number {
    if (this.stopped || queue.scheduled || this.readyHead !== this.ready.length) return 0;
    return this.turnOpen() ? this.turnEnd : 0;
  }

  /** A channel running frames inline reached the turn's end. */
  turnUsedUp(): void {
    this.exhausted = true;
    this.schedule();
  }

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

  /** False once a turn was used up in this poll phase; otherwise the current turn, or a new one if it is over. */
  private turnOpen(): boolean {
    if (this.exhausted) return false;
    const now = performance.now();
    if (now >= this.turnEnd) this.turnEnd = now + this.turnMillis;
    return true;
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
    this.exhausted = false;
    if (this.readyHead < this.ready.length) this.schedule();
  };
}
