import {
  BLANK_MAGIC_CODE,
  MESSAGE_MAGIC_CODE,
  MESSAGE_MAGIC_CODE_V2,
  MessageSysFlag,
  PHY_POS_POSITION,
  checkStoredRecord,
  decodeStoredMessage,
  encodeStoredMessage,
  readInt64,
  type MessageExt,
  type MessageExtBrokerInner,
} from '../protocol/message/index.js';
import type { FdCache } from './fd-cache.js';
import type { MappedFile } from './mapped-file.js';
import { MappedFileQueue } from './mapped-file-queue.js';
import type { MessageStoreConfig } from './message-store-config.js';
import type { StorageIO } from './storage-io.js';

/** CommitLog.END_FILE_MIN_BLANK_LENGTH: a segment always keeps room for the END_OF_FILE record. */
const END_FILE_MIN_BLANK_LENGTH = 8;
/** The last groups written stay readable from memory, up to this many of them... */
const RECENT_GROUPS = 1024;
/** ...and this many bytes: a consumer that keeps up pulls what was written a few milliseconds ago. */
const RECENT_BYTES = 8 * 1024 * 1024;
/** Recovery reads segments in windows of this size. */
const SCAN_WINDOW = 4 * 1024 * 1024;

/** An append that failed, with the PutMessageStatus it maps to. */
export class AppendError extends Error {
  override readonly name = 'AppendError';
  constructor(
    readonly status: 'CREATE_MAPPED_FILE_FAILED' | 'SERVICE_NOT_AVAILABLE' | 'UNKNOWN_ERROR' | 'MESSAGE_ILLEGAL' | 'PROPERTIES_SIZE_EXCEEDED',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Recovery found invalid data followed by valid records: we refuse to start rather than delete them (D5). */
export class StoreCorruptionError extends Error {
  override readonly name = 'StoreCorruptionError';
}

export interface AppendedRecords {
  /** Offset of the first record. */
  readonly wroteOffset: number;
  readonly records: readonly Buffer[];
}

/** Puts reserved in one turn of the event loop, written together. */
interface AppendGroup {
  readonly file: MappedFile;
  readonly records: Buffer[];
  length: number;
  readonly onWritten: (() => void)[];
  readonly onFailed: ((err: AppendError) => void)[];
}

type RecordCheck =
  | { kind: 'message'; msg: MessageExt }
  | { kind: 'blank' }
  | { kind: 'end' }
  | { kind: 'invalid'; reason: string };

/** Reads a segment through a window, so recovery costs one pread per few MiB instead of two per record. */
class SegmentScanner {
  private window: Buffer = Buffer.alloc(0);
  private windowStart = 0;

  constructor(
    readonly file: MappedFile,
    private readonly windowSize = SCAN_WINDOW,
  ) {}

  bytes(position: number, length: number): Buffer {
    if (position < this.windowStart || position + length > this.windowStart + this.window.length) {
      this.windowStart = position;
      this.window = this.file.readRaw(position, Math.max(length, this.windowSize));
    }
    const at = position - this.windowStart;
    return this.window.subarray(at, Math.min(at + length, this.window.length));
  }
}

/**
 * CommitLog.java: the append-only log of stored records (reference §5.4, §7.2) in fixed-size segments. Appends
 * are serialized by the JS thread and written in groups (one pwrite per iteration of the event loop); a record never
 * spans segments (END_OF_FILE filler instead).
 */
export class CommitLog {
  readonly mappedFileQueue: MappedFileQueue;
  private group: AppendGroup | undefined;
  /** Groups written lately, by ascending offset, from `recentHead`: reads of them need no pread. */
  private recent: { readonly offset: number; readonly data: Buffer }[] = [];
  private recentHead = 0;
  private recentBytes = 0;
  /** Told the new end of the log after every write (the HA master pushes on it instead of polling). */
  private readonly appendedListeners = new Set<(maxOffset: number) => void>();

  constructor(
    io: StorageIO,
    fdCache: FdCache,
    private readonly config: MessageStoreConfig,
  ) {
    this.mappedFileQueue = new MappedFileQueue(io, fdCache, config.storePathCommitLog, config.mappedFileSizeCommitLog, true);
  }

  load(): void {
    this.mappedFileQueue.load();
  }

  getMinOffset(): number {
    return this.mappedFileQueue.getMinOffset();
  }

  getMaxOffset(): number {
    return this.mappedFileQueue.getMaxOffset();
  }

  /**
   * Encodes records for the end of the log (a batch is never split across segments) and queues them for the
   * group write, which runs in the check phase of the event loop (an immediate): the puts of every socket read of
   * the poll phase become one pwrite. A microtask wrote one record at a time: processors await, so each put's
   * write ran before the next request was decoded (bench:transaction: a pwrite per record, 19.6 % of the broker's
   * busy time; with the immediate 10-15 % less broker CPU per transaction). `onWritten` runs after that write, in reservation order; `onFailed` when it
   * failed, for every put of the group. When the records do not fit the segment, the group so far is written
   * first, then an END_OF_FILE record, and they go to a new segment. Queue offsets are consecutive from
   * `queueOffset`. Throws AppendError when the records cannot be stored; nothing is readable or counted unless
   * the whole write completed.
   */
  reserveMessages(inners: readonly MessageExtBrokerInner[], queueOffset: number, onWritten: () => void, onFailed: (err: AppendError) => void): AppendedRecords {
    let file = this.lastFileForAppend();
    let wroteOffset = this.appendOffset(file);
    let records = this.encode(inners, wroteOffset, queueOffset);
    let length = records.reduce((n, r) => n + r.length, 0);
    if (length + END_FILE_MIN_BLANK_LENGTH > this.config.mappedFileSizeCommitLog) {
      throw new AppendError('MESSAGE_ILLEGAL', `${length} bytes cannot fit a ${this.config.mappedFileSizeCommitLog}-byte segment`);
    }
    if (length + END_FILE_MIN_BLANK_LENGTH > file.fileFromOffset + file.fileSize - wroteOffset) {
      const failure = this.writeGroup();
      if (failure !== undefined) throw failure;
      const blank = Buffer.alloc(END_FILE_MIN_BLANK_LENGTH);
      blank.writeInt32BE(file.remaining, 0);
      blank.writeInt32BE(BLANK_MAGIC_CODE, 4);
      const full = file;
      this.write(() => full.appendEndOfFile(blank));
      file = this.lastFileForAppend();
      wroteOffset = this.appendOffset(file);
      records = this.encode(inners, wroteOffset, queueOffset);
      length = records.reduce((n, r) => n + r.length, 0);
    }
    let group = this.group;
    if (group === undefined) {
      group = this.group = { file, records: [], length: 0, onWritten: [], onFailed: [] };
      setImmediate(() => void this.writeGroup());
    }
    for (const record of records) group.records.push(record);
    group.length += length;
    group.onWritten.push(onWritten);
    group.onFailed.push(onFailed);
    return { wroteOffset, records };
  }

  /** Where the next record goes: after the queued group, if any. */
  private appendOffset(file: MappedFile): number {
    const group = this.group;
    return file.fileFromOffset + file.wrotePosition + (group?.file === file ? group.length : 0);
  }

  /**
   * Writes the queued group in one pwrite and tells its puts; returns the error when the write failed. Readers of
   * the store call it too, so a message is readable as soon as its put was made.
   */
  writeGroup(): AppendError | undefined {
    const group = this.group;
    if (group === undefined) return undefined;
    this.group = undefined;
    const data = group.records.length === 1 ? group.records[0]! : Buffer.concat(group.records, group.length);
    const offset = group.file.fileFromOffset + group.file.wrotePosition;
    try {
      this.write(() => group.file.append(data));
      this.remember(offset, data);
    } catch (err) {
      const failure = err instanceof AppendError ? err : new AppendError('UNKNOWN_ERROR', (err as Error).message, { cause: err });
      for (const onFailed of group.onFailed) onFailed(failure);
      return failure;
    }
    for (const onWritten of group.onWritten) onWritten();
    this.notifyAppended();
    return undefined;
  }

  /** Registers a listener of appends; returns the function that removes it. */
  onAppended(listener: (maxOffset: number) => void): () => void {
    this.appendedListeners.add(listener);
    return () => this.appendedListeners.delete(listener);
  }

  private notifyAppended(): void {
    const max = this.getMaxOffset();
    for (const listener of this.appendedListeners) listener(max);
  }

  /**
   * CommitLog.getData for the HA master: up to `maxBytes` from `offset` to the write position of the segment
   * holding it, never across a segment (a Java slave refuses a frame that crosses its own segment end). A full
   * segment is shipped to its end, END_OF_FILE filler and zero tail included, so both logs stay byte-identical.
   * Empty at the end of the log; null below the oldest segment (retention took it), as Java.
   */
  getData(offset: number, maxBytes: number): Buffer | null {
    if (offset < this.getMinOffset()) return null;
    if (offset >= this.getMaxOffset()) return Buffer.alloc(0);
    const file = this.mappedFileQueue.findMappedFileByOffset(offset);
    if (file === undefined) return null;
    const position = offset - file.fileFromOffset;
    return file.read(position, Math.min(maxBytes, file.fileSize - position));
  }

  /**
   * CommitLog.appendData for a slave: raw bytes from the master, written as received at the end of the log with
   * no parsing (records arrive cut anywhere). `startOffset` must be the end of our log, or for an empty log the
   * start of a segment (where the master's first frame always begins); the bytes must fit the segment, which a
   * master with our segment size guarantees. Throws AppendError otherwise, before writing anything.
   */
  appendData(startOffset: number, data: Buffer): void {
    if (this.group !== undefined) this.writeGroup();
    const size = this.config.mappedFileSizeCommitLog;
    const empty = this.mappedFileQueue.getLastMappedFile() === undefined;
    if (empty ? startOffset % size !== 0 : startOffset !== this.getMaxOffset()) {
      throw new AppendError('MESSAGE_ILLEGAL', empty ? `an empty log starts at a segment start, not at ${startOffset}` : `data for offset ${startOffset}, but the log ends at ${this.getMaxOffset()}`);
    }
    if (data.length === 0) return;
    let file: MappedFile;
    try {
      file = this.mappedFileQueue.getLastMappedFileOrCreate(startOffset);
    } catch (err) {
      throw new AppendError('CREATE_MAPPED_FILE_FAILED', `cannot create a commit-log segment: ${(err as Error).message}`, { cause: err });
    }
    if (data.length > file.remaining) {
      throw new AppendError('MESSAGE_ILLEGAL', `${data.length} bytes at offset ${startOffset} cross the end of segment ${file.fileName}`);
    }
    this.write(() => file.append(data));
    // The P1 check and the dispatch read them next: from memory, not back from the file.
    this.remember(startOffset, data);
    this.notifyAppended();
  }

  private encode(inners: readonly MessageExtBrokerInner[], wroteOffset: number, queueOffset: number): Buffer[] {
    let at = wroteOffset;
    try {
      return inners.map((inner, i) => {
        const record = encodeStoredMessage(inner, at, queueOffset + i);
        at += record.length;
        return record;
      });
    } catch (err) {
      if (err instanceof RangeError) throw new AppendError('PROPERTIES_SIZE_EXCEEDED', err.message, { cause: err });
      throw err;
    }
  }

  private lastFileForAppend(): MappedFile {
    try {
      return this.mappedFileQueue.getLastMappedFileOrCreate(0);
    } catch (err) {
      throw new AppendError('CREATE_MAPPED_FILE_FAILED', `cannot create a commit-log segment: ${(err as Error).message}`, { cause: err });
    }
  }

  private write(append: () => void): void {
    try {
      append();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const status = code === 'ENOSPC' || code === 'EDQUOT' ? 'SERVICE_NOT_AVAILABLE' : 'UNKNOWN_ERROR';
      throw new AppendError(status, `commit-log write failed: ${(err as Error).message}`, { cause: err });
    }
  }

  private remember(offset: number, data: Buffer): void {
    this.recent.push({ offset, data });
    this.recentBytes += data.length;
    while (this.recent.length - this.recentHead > RECENT_GROUPS || this.recentBytes > RECENT_BYTES) {
      this.recentBytes -= this.recent[this.recentHead]!.data.length;
      this.recent[this.recentHead++] = undefined as never;
    }
    if (this.recentHead >= RECENT_GROUPS) {
      this.recent = this.recent.slice(this.recentHead);
      this.recentHead = 0;
    }
  }

  /** A view of up to `maxBytes` from `offset` to the end of the recent group holding it; the groups are never modified. */
  private recentFrom(offset: number, maxBytes: number): Buffer | undefined {
    let low = this.recentHead;
    let high = this.recent.length - 1;
    if (high < low || offset < this.recent[low]!.offset) return undefined;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if (this.recent[mid]!.offset <= offset) low = mid;
      else high = mid - 1;
    }
    const group = this.recent[low]!;
    const at = offset - group.offset;
    return at < group.data.length ? group.data.subarray(at, Math.min(group.data.length, at + maxBytes)) : undefined;
  }

  /**
   * A view of the log from `offset` of at least `need` bytes and up to `want` (never past its segment), from memory
   * when a recent group holds them, else read from the file; null when that part of the log is gone or unwritten.
   * Readers of many records (a slave's check, the reput) take one view per span instead of one read per record. A
   * record that straddles two recent groups is read alone (`need` bytes): the next group holds what follows.
   */
  viewAt(offset: number, need: number, want: number): Buffer | null {
    const file = this.mappedFileQueue.findMappedFileByOffset(offset);
    if (file === undefined) return null;
    const recent = this.recentFrom(offset, want);
    if (recent !== undefined && recent.length >= need) return recent;
    const position = offset - file.fileFromOffset;
    const data = file.read(position, Math.min(recent === undefined ? Math.max(need, want) : need, file.fileSize - position));
    return data.length >= need ? data : null;
  }

  /**
   * The bytes of the record at `offset` of `size` bytes, or null when that part of the log is gone or unwritten.
   * Fresh records come from memory: the result may be a view and must not be modified.
   */
  getMessage(offset: number, size: number): Buffer | null {
    const file = this.mappedFileQueue.findMappedFileByOffset(offset);
    if (file === undefined) return null;
    const recent = this.recentFrom(offset, size);
    if (recent?.length === size) return recent;
    const data = file.read(offset - file.fileFromOffset, size);
    return data.length === size ? data : null;
  }

  /** Up to `maxBytes` of the log from `offset`, never past its segment or what was written; empty when none. */
  readSpan(offset: number, maxBytes: number): Buffer {
    const file = this.mappedFileQueue.findMappedFileByOffset(offset);
    if (file === undefined) return Buffer.alloc(0);
    const position = offset - file.fileFromOffset;
    return file.read(position, Math.min(maxBytes, file.fileSize - position));
  }

  /** CommitLog.rollNextFile: the start of the segment after the one holding `offset`. */
  rollNextFile(offset: number): number {
    const size = this.config.mappedFileSizeCommitLog;
    return offset + size - (offset % size);
  }

  /**
   * The whole record starting at `offset`, its size read from the log; null unless a message's magic code follows,
   * so an offset inside a record or at an END_OF_FILE filler does not return arbitrary bytes.
   */
  getRecordAt(offset: number): Buffer | null {
    const head = this.getMessage(offset, 8);
    if (head === null) return null;
    const size = head.readInt32BE(0);
    const magic = head.readInt32BE(4);
    if (magic !== MESSAGE_MAGIC_CODE && magic !== MESSAGE_MAGIC_CODE_V2) return null;
    return size > 8 ? this.getMessage(offset, size) : null;
  }

  /** CommitLog.pickupStoreTimestamp: -1 when the record is not readable. */
  pickupStoreTimestamp(offset: number, size: number): number {
    const head = this.getMessage(offset, Math.min(size, 72));
    if (head === null || head.length < 64) return -1;
    const bornHostLength = (head.readInt32BE(36) & MessageSysFlag.BORNHOST_V6_FLAG) === 0 ? 8 : 20;
    return readInt64(head, 48 + bornHostLength);
  }

  /** CommitLog.checkMessageAndReturnSize, plus: a record must carry its own offset (so stale bytes never pass). */
  private checkRecord(scanner: SegmentScanner, position: number): RecordCheck {
    const file = scanner.file;
    const remaining = file.fileSize - position;
    if (remaining < 8) return { kind: 'invalid', reason: `${remaining} bytes left in the segment` };
    const head = scanner.bytes(position, 8);
    const totalSize = head.readInt32BE(0);
    const magic = head.readInt32BE(4);
    if (totalSize === 0 && magic === 0) return { kind: 'end' };
    if (magic === BLANK_MAGIC_CODE) {
      return totalSize === remaining ? { kind: 'blank' } : { kind: 'invalid', reason: `END_OF_FILE record of ${totalSize} bytes with ${remaining} left` };
    }
    if (magic !== MESSAGE_MAGIC_CODE && magic !== MESSAGE_MAGIC_CODE_V2) return { kind: 'invalid', reason: `bad magic code ${magic}` };
    if (totalSize <= 8 || totalSize > remaining) return { kind: 'invalid', reason: `record size ${totalSize} with ${remaining} left` };
    let msg: MessageExt;
    try {
      msg = decodeStoredMessage(scanner.bytes(position, totalSize), 0, { readBody: false, checkCRC: this.config.checkCRCOnRecover });
    } catch (err) {
      return { kind: 'invalid', reason: (err as Error).message };
    }
    const expected = file.fileFromOffset + position;
    if (msg.commitLogOffset !== expected) return { kind: 'invalid', reason: `record says offset ${msg.commitLogOffset}` };
    return { kind: 'message', msg };
  }

  /** The offset of the first valid record at or after `from` in this segment, if any. */
  private findValidRecord(file: MappedFile, from: number): number | undefined {
    const scanner = new SegmentScanner(file);
    const magics = [Buffer.alloc(4), Buffer.alloc(4)];
    magics[0]!.writeInt32BE(MESSAGE_MAGIC_CODE, 0);
    magics[1]!.writeInt32BE(MESSAGE_MAGIC_CODE_V2, 0);
    for (let base = from; base < file.fileSize; base += SCAN_WINDOW) {
      const chunk = file.readRaw(base, SCAN_WINDOW + 8);
      for (const magic of magics) {
        for (let at = chunk.indexOf(magic, 4); at >= 4 && at - 4 < SCAN_WINDOW; at = chunk.indexOf(magic, at + 1)) {
          if (this.checkRecord(scanner, base + at - 4).kind === 'message') return base + at - 4;
        }
      }
    }
    return undefined;
  }

  /**
   * Recovery: validates records from the start of the segment holding `startOffset` until the end of the data,
   * then decides whether what stops the scan is the end, a torn tail (cut off), or corruption with valid records
   * after it (StoreCorruptionError naming the file and offset; Java would delete them). Segments after the end
   * must hold no valid record; empty ones are removed. `thorough` (after a crash) also searches the rest of the
   * last segment behind a clean end, since a power loss can leave a hole before data that did reach the disk.
   * Returns the end of the log.
   */
  recover(startOffset: number, thorough: boolean): number {
    const files = this.mappedFileQueue.files;
    if (files.length === 0) return 0;
    let index = Math.max(0, files.findIndex((f) => startOffset < f.fileFromOffset + f.fileSize));
    if (startOffset >= files.at(-1)!.fileFromOffset + files.at(-1)!.fileSize) index = files.length - 1;
    let position = 0;
    let stop: RecordCheck | undefined;
    for (let bound = 0; bound <= files.length; bound++) {
      const file = files[index]!;
      const scanner = new SegmentScanner(file);
      stop = undefined;
      for (position = 0; position < file.fileSize; ) {
        const check = this.checkRecord(scanner, position);
        if (check.kind !== 'message') {
          stop = check;
          break;
        }
        position += check.msg.storeSize;
      }
      if (stop?.kind === 'blank' || stop === undefined) {
        if (index === files.length - 1) {
          position = file.fileSize;
          stop = { kind: 'end' };
          break;
        }
        index++;
        continue;
      }
      break;
    }
    const file = files[index]!;
    const endOffset = file.fileFromOffset + position;
    if (stop?.kind === 'invalid' || thorough) {
      const valid = this.findValidRecord(file, position + 1);
      if (valid !== undefined) this.refuse(file, position, stop, file.fileFromOffset + valid);
    }
    for (const later of files.slice(index + 1)) {
      const valid = this.findValidRecord(later, 0);
      if (valid !== undefined) this.refuse(file, position, stop, later.fileFromOffset + valid);
    }
    for (let i = files.length - 1; i > index; i--) {
      files[i]!.destroy();
      files.pop();
    }
    if (position < file.fileSize) {
      if (stop?.kind === 'invalid') file.truncateTo(position);
      file.setPositions(position);
    }
    this.mappedFileQueue.flushedWhere = endOffset;
    return endOffset;
  }

  /**
   * P1, for a slave: checks the whole records in [from, to) of bytes received from a master (magic code, field
   * lengths, body CRC unless checkCRCOnRecover is off, and the offset each record carries, which must be where it
   * sits), reading the span from memory (appendData keeps it). Returns the end of the last whole valid record (a
   * partial one at `to` waits for its bytes), and the reason when a record is invalid: a stream cut at the wrong
   * place or corrupted, which a Java slave would append and serve. Nothing is decoded: dispatch reads the records
   * later, as Java's reput does.
   */
  checkReplicatedRecords(from: number, to: number): { validTo: number; error?: string } {
    let at = from;
    let view: Buffer | null = null;
    let viewStart = from;
    while (at + 8 <= to) {
      const segmentEnd = this.rollNextFile(at);
      const want = Math.min(to, segmentEnd) - at;
      if (view === null || at + 8 > viewStart + view.length) {
        view = this.viewAt(at, 8, want);
        viewStart = at;
        if (view === null) return { validTo: at, error: `no segment holds offset ${at}` };
      }
      const totalSize = view.readInt32BE(at - viewStart);
      const magic = view.readInt32BE(at - viewStart + 4);
      if (magic === BLANK_MAGIC_CODE) {
        if (totalSize !== segmentEnd - at) return { validTo: at, error: `END_OF_FILE record of ${totalSize} bytes at offset ${at}, ${segmentEnd - at} left in the segment` };
        if (segmentEnd > to) break;
        at = segmentEnd;
        continue;
      }
      if (magic !== MESSAGE_MAGIC_CODE && magic !== MESSAGE_MAGIC_CODE_V2) return { validTo: at, error: `bad magic code ${magic} at offset ${at}` };
      if (totalSize <= 8 || totalSize > segmentEnd - at) return { validTo: at, error: `record size ${totalSize} with ${segmentEnd - at} left at offset ${at}` };
      if (at + totalSize > to) break;
      if (at + totalSize > viewStart + view.length) {
        view = this.viewAt(at, totalSize, want);
        viewStart = at;
        if (view === null) return { validTo: at, error: `cannot read the record at offset ${at}` };
      }
      const problem = checkStoredRecord(view, at - viewStart, this.config.checkCRCOnRecover);
      if (problem !== undefined) return { validTo: at, error: `${problem} (offset ${at})` };
      const carried = readInt64(view, at - viewStart + PHY_POS_POSITION);
      if (carried !== at) return { validTo: at, error: `record says offset ${carried} at offset ${at}` };
      at += totalSize;
    }
    return { validTo: at };
  }

  private refuse(file: MappedFile, position: number, stop: RecordCheck | undefined, validAt: number): never {
    const why = stop?.kind === 'invalid' ? stop.reason : 'no record (zeros)';
    throw new StoreCorruptionError(
      `commit log is corrupt in the middle: ${file.fileName} at file position ${position} (offset ${file.fileFromOffset + position}): ` +
        `${why}; a valid record follows at offset ${validAt}. Refusing to start instead of deleting the data after it; ` +
        'move the damaged segment aside or repair it, then restart.',
    );
  }

  /**
   * Reads a whole record for the dispatcher or lookMessageByOffset. The body is a view of the bytes read (a fresh
   * read, or a recent group, which is never modified): a re-put (commit, check, delay level) copies it once, into
   * its new record, rather than twice.
   */
  lookMessageByOffset(offset: number): MessageExt | null {
    const record = this.getRecordAt(offset);
    if (record === null) return null;
    try {
      return decodeStoredMessage(record, 0, { copyBody: false });
    } catch {
      return null;
    }
  }

  flush(): Promise<number> {
    return this.mappedFileQueue.flush();
  }

  shutdown(): void {
    this.writeGroup();
    this.mappedFileQueue.shutdown();
  }
}
