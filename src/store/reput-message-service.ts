import { BLANK_MAGIC_CODE, decodeStoredMessage } from '../protocol/message/index.js';
import type { CommitLog } from './commit-log.js';
import { dispatchRequestOf, type DeliverTimestampFn, type DispatchRequest } from './dispatch-request.js';

/**
 * ReputMessageService.java, run synchronously: after each append the store dispatches the new records (consume
 * queue, index) before the put resolves, so a pull sees a message as soon as its put is acknowledged. It keeps
 * `reputFromOffset`, the commit-log offset everything below which is dispatched; when a dispatch fails (a full
 * disk under the consume queue) the offset stays, and the next append or the flush tick catches up by reading
 * the records back from the log. Recovery uses the same catch-up to rebuild queues and index.
 */
export class ReputMessageService {
  reputFromOffset = 0;

  constructor(
    private readonly commitLog: CommitLog,
    private readonly dispatch: (request: DispatchRequest) => void,
    private readonly computeDeliverTimestamp: DeliverTimestampFn,
  ) {}

  get dispatchBehindBytes(): number {
    return this.commitLog.getMaxOffset() - this.reputFromOffset;
  }

  /** Fast path for a just-appended record whose fields the caller has; falls back to reading the log. */
  dispatchAppended(wroteOffset: number, requests: readonly DispatchRequest[]): void {
    if (this.reputFromOffset !== wroteOffset) {
      this.doReput();
      return;
    }
    for (const request of requests) {
      this.dispatch(request);
      this.reputFromOffset = request.commitLogOffset + request.msgSize;
    }
  }

  /** Dispatches every record from reputFromOffset to the end of the log; throws when a dispatch fails. */
  doReput(): void {
    const fileSize = this.commitLog.mappedFileQueue.mappedFileSize;
    this.reputFromOffset = Math.max(this.reputFromOffset, this.commitLog.getMinOffset());
    for (let guard = 0; this.reputFromOffset < this.commitLog.getMaxOffset() && guard < 1e9; guard++) {
      const head = this.commitLog.getMessage(this.reputFromOffset, 8);
      if (head === null || head.readInt32BE(4) === BLANK_MAGIC_CODE) {
        this.reputFromOffset = this.reputFromOffset - (this.reputFromOffset % fileSize) + fileSize;
        continue;
      }
      const record = this.commitLog.getMessage(this.reputFromOffset, head.readInt32BE(0));
      if (record === null) throw new Error(`cannot read the record at commit-log offset ${this.reputFromOffset}`);
      const msg = decodeStoredMessage(record, 0, { readBody: false });
      this.dispatch(dispatchRequestOf(msg, this.computeDeliverTimestamp));
      this.reputFromOffset += msg.storeSize;
    }
  }
}
