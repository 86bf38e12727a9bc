import type { Logger } from '../common/logger.js';
import type { CommitLog } from './commit-log.js';
import type { MessageStoreConfig } from './message-store-config.js';
import type { StorageIO } from './storage-io.js';

/** DefaultMessageStore.isTimeToDelete: is this hour one of deleteWhen's (`04`, `04;16`)? */
export function isTimeToDelete(deleteWhen: string, now: number): boolean {
  const hour = new Date(now).getHours();
  return deleteWhen.split(';').some((h) => h.trim() !== '' && Number(h) === hour);
}

/**
 * CleanCommitLogService.java: deletes the oldest commit-log segments once they are older than fileReservedTime,
 * at the deleteWhen hour or whenever the disk is above diskMaxUsedSpaceRatio; above diskSpaceCleanForciblyRatio
 * even unexpired ones go. It also keeps the disk-full flag (above diskSpaceWarningLevelRatio puts are refused)
 * and never deletes the last segment or a segment whose records are not all dispatched.
 */
export class CleanCommitLogService {
  constructor(
    private readonly io: StorageIO,
    private readonly commitLog: CommitLog,
    private readonly config: MessageStoreConfig,
    private readonly logger: Logger,
    private readonly hooks: {
      readonly now: () => number;
      readonly dispatchedOffset: () => number;
      readonly setDiskFull: (full: boolean) => void;
      /** Consume queues and index drop what points below the new min. */
      readonly afterDelete: (minPhyOffset: number) => void;
    },
  ) {}

  /** One pass; `manual` deletes expired segments whatever the hour. Returns how many segments were deleted. */
  run(manual = false): number {
    const ratio = this.io.diskUsageRatio(this.config.storePathCommitLog) * 100;
    this.hooks.setDiskFull(ratio > this.config.diskSpaceWarningLevelRatio);
    const now = this.hooks.now();
    const timeUp = isTimeToDelete(this.config.deleteWhen, now);
    const spaceFull = ratio > this.config.diskMaxUsedSpaceRatio;
    if (!timeUp && !spaceFull && !manual) return 0;
    const cleanAtOnce = ratio > this.config.diskSpaceCleanForciblyRatio;
    const reserved = this.config.fileReservedTime * 3600 * 1000;
    const queue = this.commitLog.mappedFileQueue;
    let deleted = 0;
    while (deleted < this.config.deleteFileBatchMax && queue.files.length > 1) {
      const first = queue.files[0]!;
      if (first.fileFromOffset + first.fileSize > this.hooks.dispatchedOffset()) break;
      if (!cleanAtOnce && now < first.lastModified() + reserved) break;
      this.logger.info(`deleting commit-log segment ${first.fileName} (disk ${ratio.toFixed(1)}% used)`);
      queue.deleteFirstFile();
      deleted++;
    }
    if (deleted > 0) this.hooks.afterDelete(this.commitLog.getMinOffset());
    return deleted;
  }
}
