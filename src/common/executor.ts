/**
 * A bounded concurrency pool: Node's stand-in for the Java ExecutorService that each request processor runs on.
 * At most `maxConcurrency` tasks run at once (a task runs until its promise settles); up to `queueCapacity` more
 * wait their turn; beyond that `execute` refuses, which the server turns into SYSTEM_BUSY "[OVERLOAD]".
 */
export interface ExecutorOptions {
  maxConcurrency: number;
  queueCapacity: number;
}

export type Task = () => void | Promise<void>;

export class BoundedExecutor {
  private active = 0;
  private readonly queue: Task[] = [];
  private queueHead = 0;
  private draining = false;
  private readonly onTaskDone = (): void => this.taskDone();

  constructor(readonly options: ExecutorOptions) {
    if (!(options.maxConcurrency >= 1)) throw new RangeError('maxConcurrency must be >= 1');
    if (!(options.queueCapacity >= 0)) throw new RangeError('queueCapacity must be >= 0');
  }

  get activeCount(): number {
    return this.active;
  }

  get queuedCount(): number {
    return this.queue.length - this.queueHead;
  }

  /** Runs or queues the task; false when the queue is full. A task must handle its own errors. */
  execute(task: Task): boolean {
    if (this.active < this.options.maxConcurrency) {
      this.run(task);
      return true;
    }
    if (this.queuedCount >= this.options.queueCapacity) return false;
    this.queue.push(task);
    return true;
  }

  private run(task: Task): void {
    this.active++;
    let result: void | Promise<void>;
    try {
      result = task();
    } catch {
      this.taskDone();
      return;
    }
    if (result instanceof Promise) result.then(this.onTaskDone, this.onTaskDone);
    else this.taskDone();
  }

  private taskDone(): void {
    this.active--;
    this.drain();
  }

  // A loop, not recursion: a long queue of synchronous tasks must not grow the stack.
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.active < this.options.maxConcurrency && this.queueHead < this.queue.length) {
        const next = this.queue[this.queueHead] as Task;
        this.queue[this.queueHead] = undefined as unknown as Task;
        this.queueHead++;
        this.run(next);
      }
      if (this.queueHead === this.queue.length) {
        this.queue.length = 0;
        this.queueHead = 0;
      } else if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
        this.queue.splice(0, this.queueHead);
        this.queueHead = 0;
      }
    } finally {
      this.draining = false;
    }
  }
}
