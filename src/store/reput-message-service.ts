import { BLANK_MAGIC_CODE, decodeStoredMessage } from '../protocol/message/index.js';
import type { CommitLog } from './commit-log.js';
import { dispatchRequestOf, type DeliverTimestampFn, type DispatchRequest } from './dispatch-request.js';

/** Records re-read from the log are dispatched in batches of this many, so recovery writes few large chunks. */
const REPUT_BATCH = 1024;

/**
 * ReputMessageService.java, run on the event loop: appends queue the just-written records (`enqueue`) and the
 * store dispatches them (consume queues, index, then the arriving listener) in one batch per tick, after the
 * puts of that tick were acknowledged, so a send's RT does not include its dispatch and each consume queue gets
 * one write per tick. Readers of the queues call `dispatchPending` first, so a pull still sees every message
 * whose put was acknowledged. It keeps `reputFromOffset`, the commit-log offset everything below which is
 * dispatched; when a dispatch fails (a full disk under the consume queue) the offset stays, and the next batch
 * or the flush tick catches up by reading the records back from the log (`doReput`), as recovery does.
 */
export class ReputMessageService {
  reputFromOffset = 0;
  private pending: DispatchRequest[] = [];

  constructor(
    private readonly commitLog: CommitLog,
    private readonly dispatch: (requests: readonly DispatchRequest[]) => void,
    private readonly computeDeliverTimestamp: DeliverTimestampFn,
  ) {}

  get dispatchBehindBytes(): number {
    // A slave that got a segment's filler before its zero tail is dispatched up to the next segment already.
    return Math.max(0, this.commitLog.getMaxOffset() - this.reputFromOffset);
  }

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Queues just-appended records (in log order) whose fields the caller has, for the next `dispatchPending`. */
  enqueue(requests: readonly DispatchRequest[]): void {
    for (const request of requests) this.pending.push(request);
  }

  /**
   * Dispatches the queued records as one batch when they follow reputFromOffset without a gap; otherwise (a
   * segment rolled, an earlier dispatch failed) reads everything behind from the log. Throws when a dispatch
   * fails; the records are then left to the next catch-up.
   */
  dispatchPending(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    let expected = this.reputFromOffset;
    for (const request of batch) {
      if (request.commitLogOffset !== expected) {
        this.doReput();
        return;
      }
      expected += request.msgSize;
    }
    this.dispatch(batch);
    this.reputFromOffset = expected;
  }

  /** Dispatches every record from reputFromOffset to the end of the log; throws when a dispatch fails. */
  doReput(): void {
    const fileSize = this.commitLog.mappedFileQueue.mappedFileSize;
    this.pending = [];
    this.reputFromOffset = Math.max(this.reputFromOffset, this.commitLog.getMinOffset());
    let batch: DispatchRequest[] = [];
    let batchEnd = this.reputFromOffset;
    const flush = () => {
      if (batch.length > 0) this.dispatch(batch);
      batch = [];
      this.reputFromOffset = batchEnd;
    };
    for (let guard = 0; batchEnd < this.commitLog.getMaxOffset() && guard < 1e9; guard++) {
      // A slave's log ends wherever the master's last frame did, often inside a record: wait for the rest of it
      // (Java's slave does too) rather than skip to the next segment as after a filler.
      const maxOffset = this.commitLog.getMaxOffset();
      if (batchEnd + 8 > maxOffset) break;
      const head = this.commitLog.getMessage(batchEnd, 8);
      if (head !== null && head.readInt32BE(4) !== BLANK_MAGIC_CODE && batchEnd + head.readInt32BE(0) > maxOffset) break;
      if (head === null || head.readInt32BE(4) === BLANK_MAGIC_CODE) {
        flush();
        batchEnd = batchEnd - (batchEnd % fileSize) + fileSize;
        this.reputFromOffset = batchEnd;
        continue;
      }
      const record = this.commitLog.getMessage(batchEnd, head.readInt32BE(0));
      if (record === null) {
        flush();
        throw new Error(`cannot read the record at commit-log offset ${batchEnd}`);
      }
      const msg = decodeStoredMessage(record, 0, { readBody: false });
      batch.push(dispatchRequestOf(msg, this.computeDeliverTimestamp));
      batchEnd += msg.storeSize;
      if (batch.length >= REPUT_BATCH) flush();
    }
    flush();
  }
}
