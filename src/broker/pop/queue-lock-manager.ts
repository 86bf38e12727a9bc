/**
 * QueueLockManager (PopMessageProcessor): one holder at a time per key. Node runs one callback at a time, but
 * the engine awaits the store between reading a queue and recording what it handed out: without the lock two pops
 * of one queue could read the same offsets. Waiters run in arrival order; a key with no holder is forgotten.
 */
export class QueueLockManager {
  private readonly tails = new Map<string, Promise<void>>();

  async withLock<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => held);
    this.tails.set(key, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** How many keys have a holder (tests: nothing stays locked). */
  get size(): number {
    return this.tails.size;
  }
}
