/**
 * RebalanceService's wakeup semantics for an async job: it never runs twice at once, and every request made while
 * it runs is served by one more pass after the current one (so the state it saw last is never stale). Bounded:
 * a pass repeats only for a request made during the previous one. The pass returns false to stop early.
 */
export class CoalescedRun {
  private inFlight: Promise<void> | undefined;
  private again = false;

  constructor(private readonly pass: () => Promise<boolean | void>) {}

  /** Runs the job, or asks the run in progress for one more pass; resolves when no pass is left to run. */
  request(): Promise<void> {
    if (this.inFlight !== undefined) {
      this.again = true;
      return this.inFlight;
    }
    const run = async (): Promise<void> => {
      do {
        this.again = false;
        if ((await this.pass()) === false) return;
      } while (this.again);
    };
    this.inFlight = run().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** The run in progress, for a shutdown that waits for it. */
  get running(): Promise<void> | undefined {
    return this.inFlight;
  }
}
