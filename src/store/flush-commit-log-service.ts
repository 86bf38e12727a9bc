import type { Logger } from '../common/logger.js';
import type { CommitLog } from './commit-log.js';

type FlushOutcome = 'PUT_OK' | 'FLUSH_DISK_TIMEOUT' | 'UNKNOWN_ERROR';

interface GroupCommitRequest {
  readonly nextOffset: number;
  readonly resolve: (outcome: FlushOutcome) => void;
}

/**
 * FlushRealTimeService and GroupCommitService in one: fsyncs of the commit log run one at a time; requests
 * arriving during an fsync are all covered by the next one (group commit). ASYNC_FLUSH calls `requestFlush` on a
 * timer; SYNC_FLUSH puts wait in `waitForFlush` for an fsync covering their record.
 *
 * A failed fsync is not retried: Linux may have dropped the dirty pages and a later fsync would report success
 * falsely. Waiters get UNKNOWN_ERROR and `onFailure` makes the store refuse writes until it is restarted.
 */
export class FlushCommitLogService {
  private running: Promise<void> | undefined;
  private again = false;
  private failure: Error | undefined;
  private readonly waiters = new Set<GroupCommitRequest>();

  constructor(
    private readonly commitLog: CommitLog,
    private readonly logger: Logger,
    private readonly onFailure: (err: Error) => void,
  ) {}

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Syncs everything written so far; resolves when an fsync started after this call has finished. */
  requestFlush(): Promise<void> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async loop(): Promise<void> {
    for (let round = 0; round === 0 || this.again; round++) {
      this.again = false;
      if (this.failure !== undefined) break;
      try {
        const flushed = await this.commitLog.flush();
        for (const waiter of this.waiters) {
          if (waiter.nextOffset <= flushed) {
            this.waiters.delete(waiter);
            waiter.resolve('PUT_OK');
          }
        }
      } catch (err) {
        this.failure = err as Error;
        this.logger.error('commit-log fsync failed; the store refuses writes until restarted', err);
        this.onFailure(this.failure);
        for (const waiter of this.waiters) waiter.resolve('UNKNOWN_ERROR');
        this.waiters.clear();
      }
    }
    // A waiter that came in after the last round's fsync started is picked up by one more round.
    if (this.waiters.size > 0 && this.failure === undefined) void this.requestFlush();
  }

  /** Group commit: resolves once an fsync covers `nextOffset`, or FLUSH_DISK_TIMEOUT after `timeoutMs`. */
  waitForFlush(nextOffset: number, timeoutMs: number): Promise<FlushOutcome> {
    if (this.failure !== undefined) return Promise.resolve('UNKNOWN_ERROR');
    if (nextOffset <= this.commitLog.mappedFileQueue.flushedWhere) return Promise.resolve('PUT_OK');
    return new Promise<FlushOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(request);
        resolve('FLUSH_DISK_TIMEOUT');
      }, timeoutMs);
      const request: GroupCommitRequest = {
        nextOffset,
        resolve: (outcome) => {
          clearTimeout(timer);
          resolve(outcome);
        },
      };
      this.waiters.add(request);
      void this.requestFlush();
    });
  }

  /** Resolves when no fsync is running (shutdown waits for it). */
  async idle(): Promise<void> {
    for (let i = 0; i < 1000 && this.running !== undefined; i++) await this.running;
  }
}
