import { BLANK_MAGIC_CODE } from '../protocol/message/index.js';
import type { CommitLog } from './commit-log.js';
import { dispatchRequestAt, type DeliverTimestampFn, type DispatchRequest } from './dispatch-request.js';

/** Records re-read from the log are dispatched in batches of this many, so recovery writes few large chunks. */
const REPUT_BATCH = 1024;
/** The log is read for the reput in views of this size (one pread, or none when the bytes are fresh in memory). */
const REPUT_VIEW_BYTES = 1024 * 1024;

/**
 * ReputMessageService.java, run on the event loop: appends queue the just-written records (`enqueue`) and the
 * store dispatches them (consume queues, index, then the arriving listener) in one batch per tick, after the
 * puts of that tick were acknowledged, so a send's RT does not include its dispatch and each consume queue gets
 * one write per tick. Readers of the queues call `dispatchPending` first, so a pull still sees every message
 * whose put was acknowledged. It keeps `reputFromOffset`, the commit-log offset everything below which is
 * dispatched; when a dispatch fails (a full disk under the consume queue) the offset stays, and the next batch
 * or the flush tick catches up by reading the records back from the log (`doReput`), as recovery does. A slave
 * queues nothing: the store reads what its HA client appended and checked back with `doReput`, in turns.
 */
export class ReputMessageService {
  reputFromOffset = 0;
  private pending: DispatchRequest[] = [];
  /** The last view of the log read, kept across calls: a catch-up dispatched in turns reads each byte once. */
  private view: Buffer | null = null;
  private viewStart = 0;

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

  /**
   * Dispatches the records from reputFromOffset up to `end` (the end of the log by default), reading the log in
   * views of REPUT_VIEW_BYTES (from memory when fresh) and only the fields each dispatch needs, in place, without
   * body or CRC (as Java's reput: the CRC was checked when the record was stored or received). With `budgetBytes`
   * it stops after that many bytes and returns true: the rest is left to the next call, so a slave's catch-up is
   * dispatched in turns of the event loop. Throws when a dispatch fails.
   */
  doReput(end = this.commitLog.getMaxOffset(), budgetBytes = Number.POSITIVE_INFINITY): boolean {
    this.pending = [];
    this.reputFromOffset = Math.max(this.reputFromOffset, this.commitLog.getMinOffset());
    const stopAt = this.reputFromOffset + budgetBytes;
    let batch: DispatchRequest[] = [];
    let batchEnd = this.reputFromOffset;
    const flush = () => {
      if (batch.length > 0) this.dispatch(batch);
      batch = [];
      this.reputFromOffset = batchEnd;
    };
    // Bytes below the end never change (a slave cuts only what it has not checked), so a kept view stays good.
    let view = this.view;
    let viewStart = this.viewStart;
    if (view !== null && batchEnd < viewStart) view = null;
    for (let guard = 0; batchEnd + 8 <= end && guard < 1e9; guard++) {
      if (batchEnd >= stopAt) {
        flush();
        this.view = view;
        this.viewStart = viewStart;
        return true;
      }
      const want = Math.min(end, this.commitLog.rollNextFile(batchEnd), batchEnd + REPUT_VIEW_BYTES) - batchEnd;
      if (view === null || batchEnd + 8 > viewStart + view.length) {
        view = this.commitLog.viewAt(batchEnd, 8, want);
        viewStart = batchEnd;
      }
      if (view === null || view.readInt32BE(batchEnd - viewStart + 4) === BLANK_MAGIC_CODE) {
        flush();
        batchEnd = this.commitLog.rollNextFile(batchEnd);
        this.reputFromOffset = batchEnd;
        view = null;
        continue;
      }
      const size = view.readInt32BE(batchEnd - viewStart);
      // A slave's log ends wherever the master's last frame did, often inside a record: wait for the rest of it
      // (Java's slave does too) rather than skip to the next segment as after a filler.
      if (batchEnd + size > end) break;
      if (batchEnd + size > viewStart + view.length) {
        view = this.commitLog.viewAt(batchEnd, size, want);
        viewStart = batchEnd;
        if (view === null) {
          flush();
          throw new Error(`cannot read the record at commit-log offset ${batchEnd}`);
        }
      }
      const request = dispatchRequestAt(view, batchEnd - viewStart, this.computeDeliverTimestamp);
      batch.push(request);
      batchEnd += request.msgSize;
      if (batch.length >= REPUT_BATCH) flush();
    }
    flush();
    this.view = null;
    return false;
  }
}
