import type { Logger } from '../../common/logger.js';
import type { MessageQueue } from '../../protocol/bodies/message-queue.js';
import { ScheduledTask } from '../scheduled-task.js';

/** Told when a one-shot task failed: nothing runs it again (a pull loop that ends so leaves its queue unread). */
export type TaskCrashHandler = (error: unknown, where: string, queue: MessageQueue | undefined) => void;

/**
 * The background work of one consumer — its periodic jobs (offset persistence, lock renewal) and its one-shot
 * delayed tasks (pull loops, offset moves, local retries) — so that shutdown cancels all of it at once and no
 * failure of it ever escapes as an unhandled rejection.
 */
export class ConsumerTimers {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly tasks: ScheduledTask[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly isRunning: () => boolean,
    private readonly onCrash: TaskCrashHandler,
  ) {}

  /** Runs `task` after `delayMillis` unless the consumer stopped meanwhile (or already has). */
  later(delayMillis: number, task: () => void | Promise<void>, where = 'delayed task', queue?: MessageQueue): void {
    if (!this.isRunning()) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.runNow(task, where, queue);
    }, delayMillis);
    this.timers.add(timer);
  }

  /** Runs `task` at once, with the failure handling of `later`. */
  runNow(task: () => void | Promise<void>, where: string, queue?: MessageQueue): void {
    Promise.resolve()
      .then(task)
      .catch((err: unknown) => {
        this.logger.error(`a consumer task (${where}) failed`, err);
        this.onCrash(err, where, queue);
      });
  }

  /** Every `periodMillis`, first after one period; a failed run is logged and the next still comes. */
  schedule(name: string, task: () => unknown, periodMillis: number): void {
    const scheduled = new ScheduledTask(name, async () => void (await task()), this.logger);
    scheduled.start(periodMillis, periodMillis);
    this.tasks.push(scheduled);
  }

  /** Stops the periodic jobs and drops the delayed tasks not yet started. */
  cancelAll(): void {
    for (const task of this.tasks) task.stop();
    this.tasks.length = 0;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
