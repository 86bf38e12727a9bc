import type { Logger } from '../../common/logger.js';
import { OFFSET_SEPARATOR } from './transactional-message-util.js';

export interface OpBatchOptions {
  /** transactionOpMsgMaxSize: an op queue's pending text is written once it reaches this many characters. */
  maxSize(): number;
  /** transactionOpBatchInterval (ms): and at the latest this long after its first pending offset. */
  interval(): number;
  /** Stores one op record with `body` in queue `queueId` of the op topic; false if it was not stored. */
  write(queueId: number, body: string): Promise<boolean>;
  logger: Logger;
}

interface Pending {
  text: string;
  /** When the first offset of `text` was added (Date.now()). */
  since: number;
}

/**
 * TransactionalOpBatchService (5.x): the half offsets a commit or rollback finished are written as op records in
 * batches, "17,18,21,", one record per op queue when the text reaches transactionOpMsgMaxSize or
 * transactionOpBatchInterval after its first offset. Fewer records to read in every check; what is pending when the
 * broker dies is lost, which costs an extra check of those messages, never a commit (the producer answers it
 * again). A graceful stop writes everything pending.
 */
export class TransactionalOpBatch {
  private readonly pending = new Map<number, Pending>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: OpBatchOptions) {}

  /** Marks half offset `halfOffset` of half queue `queueId` finished. */
  add(queueId: number, halfOffset: number, now = Date.now()): void {
    const entry = this.pending.get(queueId);
    const text = `${halfOffset}${OFFSET_SEPARATOR}`;
    if (entry === undefined) this.pending.set(queueId, { text, since: now });
    else entry.text += text;
    const size = entry?.text.length ?? text.length;
    if (this.stopped || size >= this.options.maxSize()) void this.flush(queueId);
    else this.arm();
  }

  /** Writes what is due now (or everything, with `all`) and resolves once every write so far is done. */
  flushDue(all = false, now = Date.now()): Promise<void> {
    for (const [queueId, entry] of [...this.pending]) {
      if (all || now - entry.since >= this.options.interval()) void this.flush(queueId);
    }
    this.arm();
    return this.writing;
  }

  /** Stops the timer and writes everything pending; later offsets are written at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushDue(true);
  }

  private flush(queueId: number): Promise<void> {
    const entry = this.pending.get(queueId);
    if (entry === undefined) return this.writing;
    this.pending.delete(queueId);
    const body = entry.text;
    // One write after another: op records of a queue stay in the order their offsets were finished.
    this.writing = this.writing.then(async () => {
      const stored = await this.options.write(queueId, body).catch((err: unknown) => {
        this.options.logger.error(`transaction op record write failed: ${String(err)}`);
        return false;
      });
      if (!stored) this.options.logger.error(`transaction op record not stored, queueId=${queueId}, body=${body}`);
    });
    return this.writing;
  }

  private arm(): void {
    if (this.stopped || this.timer !== undefined || this.pending.size === 0) return;
    let first = Infinity;
    for (const entry of this.pending.values()) first = Math.min(first, entry.since);
    const delay = Math.max(0, first + this.options.interval() - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flushDue();
    }, delay);
    this.timer.unref();
  }
}
