import type { Logger } from '../common/logger.js';

/**
 * A periodic background job (Java's scheduleAtFixedRate on the instance's executor) that can never crash the
 * process: a throw or a rejection is logged and the next run is still scheduled. Runs never overlap — the next
 * one is timed from the end of the previous — and the timer is unref'd, so an idle client never keeps Node alive.
 */
export class ScheduledTask {
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;

  constructor(
    private readonly name: string,
    private readonly task: () => void | Promise<void>,
    private readonly logger: Logger,
  ) {}

  start(initialDelayMillis: number, periodMillis: number): void {
    if (!this.stopped) return;
    this.stopped = false;
    const run = async (): Promise<void> => {
      this.timer = undefined;
      try {
        await this.task();
      } catch (err) {
        this.logger.error(`scheduled task ${this.name} failed`, err);
      }
      if (!this.stopped) this.arm(run, periodMillis);
    };
    this.arm(run, initialDelayMillis);
  }

  /** Clears the timer; a run in progress finishes but schedules no other. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(run: () => Promise<void>, delayMillis: number): void {
    this.timer = setTimeout(() => void run(), delayMillis);
    this.timer.unref();
  }
}
