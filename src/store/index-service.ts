import { join } from 'node:path';
import { MessageConst, MessageSysFlag, getTransactionValue } from '../protocol/message/index.js';
import type { DispatchRequest } from './dispatch-request.js';
import { IndexFile } from './index-file.js';
import type { MessageStoreConfig } from './message-store-config.js';
import type { StorageIO } from './storage-io.js';

export interface QueryOffsetResult {
  readonly phyOffsets: number[];
  readonly indexLastUpdateTimestamp: number;
  readonly indexLastUpdatePhyoffset: number;
}

/** UtilAll.timeMillisToHumanString: yyyyMMddHHmmssSSS in local time, Java's index file name. */
function timeMillisToHumanString(t: number): string {
  const d = new Date(t);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}${p(d.getMilliseconds(), 3)}`;
}

/** IndexService.java: the index files under index/, keyed by `topic#key` for UNIQ_KEY and every KEYS entry. */
export class IndexService {
  private readonly files: IndexFile[] = [];
  private readonly storePath: string;
  private directoryDirty = false;

  constructor(
    private readonly io: StorageIO,
    storePathRootDir: string,
    private readonly config: MessageStoreConfig,
    private readonly now: () => number,
  ) {
    this.storePath = join(storePathRootDir, 'index');
  }

  load(): void {
    if (!this.io.exists(this.storePath)) return;
    for (const name of this.io.readdir(this.storePath).filter((n) => /^\d{17}$/.test(n)).sort()) {
      this.files.push(IndexFile.open(this.io, join(this.storePath, name), this.config.maxHashSlotNum, this.config.maxIndexNum));
    }
  }

  /** IndexService.buildIndex; ROLLBACK records are not indexed. */
  buildIndex(req: DispatchRequest): void {
    if (!this.config.messageIndexEnable || getTransactionValue(req.sysFlag) === MessageSysFlag.TRANSACTION_ROLLBACK_TYPE) return;
    const keys = req.uniqKey !== undefined ? [req.uniqKey] : [];
    if (req.keys !== undefined) keys.push(...req.keys.split(MessageConst.KEY_SEPARATOR).filter((k) => k.length > 0));
    for (const key of keys) this.putKey(`${req.topic}#${key}`, req.commitLogOffset, req.storeTimestamp);
  }

  private putKey(key: string, phyOffset: number, storeTimestamp: number): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      if (this.lastFileForWrite().putKey(key, phyOffset, storeTimestamp)) return;
    }
    throw new Error(`cannot index ${key}: a fresh index file is full`);
  }

  private lastFileForWrite(): IndexFile {
    const last = this.files.at(-1);
    if (last !== undefined && !last.isWriteFull()) return last;
    this.io.mkdir(this.storePath);
    let time = this.now();
    while (this.io.exists(join(this.storePath, timeMillisToHumanString(time)))) time++;
    const file = IndexFile.create(
      this.io,
      join(this.storePath, timeMillisToHumanString(time)),
      this.config.maxHashSlotNum,
      this.config.maxIndexNum,
      last?.endPhyOffset ?? 0,
      last?.endTimestamp ?? 0,
    );
    this.files.push(file);
    this.directoryDirty = true;
    return file;
  }

  /** IndexService.queryOffset: newest files first, at most min(maxNum, maxMsgsNumBatch) offsets. */
  queryOffset(topic: string, key: string, maxNum: number, begin: number, end: number): QueryOffsetResult {
    const limit = Math.min(maxNum, this.config.maxMsgsNumBatch);
    const phyOffsets: number[] = [];
    const last = this.files.at(-1);
    for (let i = this.files.length - 1; i >= 0 && phyOffsets.length < limit; i--) {
      const file = this.files[i]!;
      if (file.isTimeMatched(begin, end)) file.selectPhyOffset(phyOffsets, `${topic}#${key}`, limit, begin, end);
      if (file.beginTimestamp < begin) break;
    }
    return {
      phyOffsets,
      indexLastUpdateTimestamp: last?.endTimestamp ?? 0,
      indexLastUpdatePhyoffset: last?.endPhyOffset ?? 0,
    };
  }

  /** IndexService.deleteExpiredFile: files (never the last) whose entries all point below the commit log's min. */
  deleteExpiredFile(minPhyOffset: number): void {
    while (this.files.length > 1 && this.files[0]!.endPhyOffset < minPhyOffset) {
      this.files.shift()!.destroy();
      this.directoryDirty = true;
    }
  }

  async flush(): Promise<void> {
    if (this.directoryDirty) {
      this.directoryDirty = false;
      await this.io.fsyncDirectory(this.storePath);
    }
    for (const file of this.files) await file.flush();
  }

  shutdown(): void {
    for (const file of this.files) file.close();
  }
}
