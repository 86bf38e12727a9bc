/**
 * A counting semaphore with timed acquisition, the stand-in for Java's `Semaphore.tryAcquire(timeout)` that
 * bounds async and oneway requests in flight. A permit comes as a release-once function, so a permit can never be
 * returned twice however many paths (response, timeout scan, connection close) try to release it.
 */
export type Release = () => void;

interface Waiter {
  grant: (release: Release) => void;
  timer: NodeJS.Timeout | undefined;
}

export class Semaphore {
  private available: number;
  private readonly waiters: Waiter[] = [];

  constructor(readonly permits: number) {
    this.available = permits;
  }

  get availablePermits(): number {
    return this.available;
  }

  /** Resolves to a release function, or to undefined when no permit freed up within `timeoutMillis`. */
  tryAcquire(timeoutMillis: number): Promise<Release | undefined> | Release | undefined {
    if (this.available > 0 && this.waiters.length === 0) {
      this.available--;
      return this.releaseOnce();
    }
    if (timeoutMillis <= 0) return undefined;
    return new Promise((resolve) => {
      const waiter: Waiter = {
        grant: (release) => resolve(release),
        timer: undefined,
      };
      waiter.timer = setTimeout(() => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        resolve(undefined);
      }, timeoutMillis);
      this.waiters.push(waiter);
    });
  }

  private releaseOnce(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next === undefined) {
        this.available++;
        return;
      }
      clearTimeout(next.timer);
      next.grant(this.releaseOnce());
    };
  }
}
