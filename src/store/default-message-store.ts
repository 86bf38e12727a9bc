import { totalmem } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../common/logger.js';
import { silentLogger } from '../common/logger.js';
import {
  MessageExtBrokerInner,
  createMessageId,
  decodeMessages,
  decodeStoredMessage,
  type MessageExt,
  type MessageExtBatch,
} from '../protocol/message/index.js';
import { CleanCommitLogService } from './clean-commit-log-service.js';
import { AppendError, CommitLog, type AppendedRecords } from './commit-log.js';
import { BLANK_UNIT_SIZE, CQ_STORE_UNIT_SIZE, ConsumeQueue, type CqUnit } from './consume-queue.js';
import { parseDelayLevel } from './delay-level.js';
import { consumeQueueTagsCode, isDispatchedToConsumeQueue, type DispatchRequest } from './dispatch-request.js';
import { FdCache } from './fd-cache.js';
import { FilterVerdictCache } from './filter-verdict-cache.js';
import { FlushCommitLogService } from './flush-commit-log-service.js';
import { IndexService } from './index-service.js';
import {
  StorePathConfigHelper,
  createMessageStoreConfig,
  type MessageStoreConfig,
} from './message-store-config.js';
import type {
  GetMessageResult,
  GetMessageStatus,
  MessageArrivingListener,
  MessageFilter,
  MessageStore,
  PutMessageResult,
  PutMessageStatus,
  QueryMessageResult,
  StorageMetrics,
} from './message-store.js';
import { ReputMessageService } from './reput-message-service.js';
import { nodeStorageIO, writeFully, type StorageIO } from './storage-io.js';
import { StoreCheckpoint } from './store-checkpoint.js';
import { FREQUENCY_OF_SAMPLING, StoreStatsService, humanReadableByteCount, javaDoubleToString } from './store-stats-service.js';

/** DefaultMessageStore.MAX_PULL_MSG_SIZE: the byte cap of one getMessage when the caller sets none. */
const MAX_PULL_MSG_SIZE = 128 * 1024 * 1024;
/** Java's normal recovery looks at the last 3 segments. */
const RECOVER_FILES = 3;
/** StoreUtil.TOTAL_PHYSICAL_MEMORY_SIZE, read once: os.totalmem() reads /proc/meminfo on every call. */
const TOTAL_PHYSICAL_MEMORY_SIZE = totalmem();
/**
 * A slave dispatches its received records in turns of the event loop: at most this many bytes in a turn that also
 * appended (its HA client takes up to 1 MiB a turn), so during a catch-up appends and acks run ahead of the
 * dispatch, as Java's HA client runs ahead of its reput thread...
 */
const REPUT_BYTES_WHILE_RECEIVING = 64 * 1024;
/** ...and this many in a turn without appends, when it catches up (a few ms of work: pulls still get turns). */
const REPUT_BYTES_PER_TURN = 512 * 1024;
/** Enough of a record to hold its store timestamp even with an IPv6 born host (MESSAGE_STORE_TIMESTAMP_POSITION + 20). */
const STORE_TIMESTAMP_READ_SIZE = 76;

/** Resolves when the replicas hold the log up to `nextOffset`, or with why not (CommitLog.handleHA's statuses). */
export type ReplicaWaiter = (nextOffset: number) => Promise<'PUT_OK' | 'FLUSH_SLAVE_TIMEOUT' | 'SLAVE_NOT_AVAILABLE'>;

export interface DefaultMessageStoreOptions {
  /** Data-file I/O; tests inject faults through it. */
  readonly io?: StorageIO;
  readonly logger?: Logger;
  /** The clock for store timestamps and retention. */
  readonly clock?: () => number;
}

/**
 * DefaultMessageStore.java: the commit log, the consume queues built from it, the index, the checkpoint and
 * the services that flush, recover and clean them. Puts are synchronous up to the write(2) of the record and
 * its dispatch, then wait for an fsync in SYNC_FLUSH. Reads are synchronous.
 */
export class DefaultMessageStore implements MessageStore {
  readonly config: MessageStoreConfig;
  readonly commitLog: CommitLog;
  private readonly filterVerdicts: FilterVerdictCache;
  readonly indexService: IndexService;
  readonly flushCommitLogService: FlushCommitLogService;
  readonly cleanCommitLogService: CleanCommitLogService;
  readonly storeStatsService: StoreStatsService;
  /** Delay level (1-based) -> delay in ms, from messageDelayLevel. */
  readonly delayLevelTable: ReadonlyMap<number, number>;
  private readonly io: StorageIO;
  private readonly logger: Logger;
  private readonly clock: () => number;
  private readonly checkpoint: StoreCheckpoint;
  private readonly fdCache: FdCache;
  private readonly reput: ReputMessageService;
  /** topic -> queueId -> queue. */
  private readonly consumeQueueTable = new Map<string, Map<number, ConsumeQueue>>();
  /** CommitLog.topicQueueTable: `topic-queueId` -> the next queue offset. */
  private readonly topicQueueTable = new Map<string, number>();
  private listener: MessageArrivingListener | undefined;
  private state: 'new' | 'running' | 'shutdown' = 'new';
  private diskFull = false;
  private writeFailure: Error | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private flushingLogics: Promise<boolean> | undefined;
  private lastDispatchedStoreTimestamp = 0;
  private dispatchScheduled = false;
  private dispatching = false;
  /** A slave: the end of the last whole record its HA client checked (P1), up to which the reput may dispatch. */
  private replicatedEnd = 0;
  private reputScheduled = false;
  /** A slave appended since its last reput turn: the reput takes a small turn. */
  private appendedSinceReput = false;
  /** SYNC_MASTER: waits until the replicas have a put's bytes (the HA service's GroupTransferService). */
  private replicaWaiter: ReplicaWaiter | undefined;

  constructor(config: Partial<MessageStoreConfig> & { storePathRootDir: string }, options: DefaultMessageStoreOptions = {}) {
    this.config = createMessageStoreConfig(config);
    if (this.config.mappedFileSizeConsumeQueue % CQ_STORE_UNIT_SIZE !== 0) {
      throw new Error(`mappedFileSizeConsumeQueue must be a multiple of ${CQ_STORE_UNIT_SIZE}`);
    }
    this.io = options.io ?? nodeStorageIO;
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? Date.now;
    this.delayLevelTable = parseDelayLevel(this.config.messageDelayLevel);
    this.fdCache = new FdCache(this.config.maxOpenSegmentFiles);
    this.commitLog = new CommitLog(this.io, this.fdCache, this.config);
    this.filterVerdicts = new FilterVerdictCache((offset, maxBytes) => this.commitLog.readSpan(offset, maxBytes));
    this.indexService = new IndexService(this.io, this.config.storePathRootDir, this.config, this.clock);
    this.checkpoint = new StoreCheckpoint(this.io, StorePathConfigHelper.checkpoint(this.config.storePathRootDir));
    this.storeStatsService = new StoreStatsService(this.clock, () => performance.now());
    this.reput = new ReputMessageService(
      this.commitLog,
      (request) => this.doDispatch(request),
      (level, storeTimestamp) => this.computeDeliverTimestamp(level, storeTimestamp),
    );
    this.flushCommitLogService = new FlushCommitLogService(this.commitLog, this.logger, (err) => {
      this.writeFailure = err;
    });
    this.cleanCommitLogService = new CleanCommitLogService(this.io, this.commitLog, this.config, this.logger, {
      now: () => this.now(),
      dispatchedOffset: () => this.reput.reputFromOffset,
      setDiskFull: (full) => {
        if (full !== this.diskFull) this.logger.warn(full ? 'disk is full: refusing puts' : 'disk has room again: accepting puts');
        this.diskFull = full;
      },
      afterDelete: (minPhyOffset) => {
        for (const queues of this.consumeQueueTable.values()) for (const cq of queues.values()) cq.deleteExpiredFile(minPhyOffset);
        this.indexService.deleteExpiredFile(minPhyOffset);
      },
    });
  }

  private get root(): string {
    return this.config.storePathRootDir;
  }

  /**
   * Loads and recovers, then starts the services. Refuses to start (rejects) on a segment of the wrong size
   * (StoreLoadError) or on a corrupt record with valid records after it (StoreCorruptionError).
   */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('the message store was already started');
    this.io.mkdir(this.root);
    this.io.mkdir(this.config.storePathCommitLog);
    const abortFile = StorePathConfigHelper.abortFile(this.root);
    const lastExitOK = !this.io.exists(abortFile);
    try {
      this.commitLog.load();
      const checkpointValid = this.checkpoint.load();
      this.loadConsumeQueues();
      this.indexService.load();
      this.recover(lastExitOK, checkpointValid);
    } catch (err) {
      this.state = 'shutdown';
      this.closeFiles();
      throw err;
    }

    const fd = this.io.open(abortFile, 'w');
    try {
      writeFully(this.io, fd, Buffer.from(String(process.pid)), 0);
      await this.io.fsync(fd);
    } finally {
      this.io.close(fd);
    }
    await this.io.fsyncDirectory(this.root);
    this.diskFull = this.io.diskUsageRatio(this.config.storePathCommitLog) * 100 > this.config.diskSpaceWarningLevelRatio;
    this.state = 'running';

    const every = (ms: number, task: () => void) => this.timers.push(setInterval(task, ms));
    if (this.config.flushDiskType === 'ASYNC_FLUSH') every(this.config.flushIntervalCommitLog, () => void this.flushCommitLogService.requestFlush());
    every(this.config.flushIntervalConsumeQueue, () => void this.flushLogicsAndCheckpoint());
    every(this.config.cleanResourceInterval, () => this.cleanResources());
    every(FREQUENCY_OF_SAMPLING, () => this.storeStatsService.sampling());
    this.logger.info(`message store started at ${this.root} (${lastExitOK ? 'clean' : 'crash'} recovery, max offset ${this.getMaxPhyOffset()})`);
  }

  private loadConsumeQueues(): void {
    const dir = StorePathConfigHelper.consumeQueue(this.root);
    if (!this.io.exists(dir)) return;
    for (const topic of this.io.readdir(dir)) {
      if (!this.io.stat(join(dir, topic))?.isDirectory) continue;
      for (const queueDir of this.io.readdir(join(dir, topic))) {
        if (!/^\d+$/.test(queueDir)) continue;
        const cq = this.findConsumeQueue(topic, Number(queueDir), true)!;
        cq.load();
      }
    }
  }

  /**
   * Recovery. After a clean stop the scan starts at the segment holding the checkpoint's safe offset (Java: the
   * last 3 segments); after a crash, there too, or at the first segment without a checkpoint. The commit log is
   * validated and cut at a torn tail, consume-queue entries past its end are dropped, and everything from the
   * safe offset is dispatched again (idempotently) to rebuild queues and index.
   */
  private recover(lastExitOK: boolean, checkpointValid: boolean): void {
    for (const queues of this.consumeQueueTable.values()) for (const cq of queues.values()) cq.recover();
    const files = this.commitLog.mappedFileQueue.files;
    const lastFiles = files[Math.max(0, files.length - RECOVER_FILES)]?.fileFromOffset ?? 0;
    const fallback = lastExitOK ? lastFiles : this.commitLog.getMinOffset();
    const safe = checkpointValid ? Math.max(this.checkpoint.dispatchSafeOffset, this.commitLog.getMinOffset()) : fallback;
    const maxPhyOffset = this.commitLog.recover(safe, !lastExitOK);
    for (const queues of this.consumeQueueTable.values()) for (const cq of queues.values()) cq.truncateDirtyLogicFiles(maxPhyOffset);
    this.reput.reputFromOffset = Math.min(safe, maxPhyOffset);
    this.reput.doReput();
    this.replicatedEnd = maxPhyOffset;
    for (const [topic, queues] of this.consumeQueueTable) {
      for (const [queueId, cq] of queues) {
        cq.correctMinOffset(this.commitLog.getMinOffset());
        this.topicQueueTable.set(`${topic}-${queueId}`, cq.getMaxOffsetInQueue());
      }
    }
  }

  private findConsumeQueue(topic: string, queueId: number, create: boolean): ConsumeQueue | undefined {
    let queues = this.consumeQueueTable.get(topic);
    let cq = queues?.get(queueId);
    if (cq !== undefined || !create) return cq;
    if (queues === undefined) this.consumeQueueTable.set(topic, (queues = new Map<number, ConsumeQueue>()));
    cq = new ConsumeQueue(this.io, this.fdCache, topic, queueId, StorePathConfigHelper.consumeQueue(this.root), this.config.mappedFileSizeConsumeQueue);
    queues.set(queueId, cq);
    return cq;
  }

  /**
   * CommitLogDispatcherBuildConsumeQueue + CommitLogDispatcherBuildIndex for a batch of records in log order: each
   * consume queue's new entries in one write, the index in memory, then the arriving listener once per new entry,
   * after every write, so a woken pull finds all of them. The listener is told even when indexing fails.
   */
  private doDispatch(requests: readonly DispatchRequest[]): void {
    const byQueue = new Map<ConsumeQueue, DispatchRequest[]>();
    for (const request of requests) {
      if (!isDispatchedToConsumeQueue(request.sysFlag)) continue;
      const cq = this.findConsumeQueue(request.topic, request.queueId, true)!;
      const list = byQueue.get(cq);
      if (list === undefined) byQueue.set(cq, [request]);
      else list.push(request);
    }
    const arrived: DispatchRequest[] = [];
    for (const [cq, list] of byQueue) {
      const appended = cq.putMessagePositionInfos(list);
      for (let i = 0; i < list.length; i++) if (appended[i]) arrived.push(list[i]!);
    }
    try {
      for (const request of requests) this.indexService.buildIndex(request);
      this.lastDispatchedStoreTimestamp = requests.at(-1)?.storeTimestamp ?? this.lastDispatchedStoreTimestamp;
    } finally {
      if (this.listener !== undefined) {
        for (const request of arrived) {
          try {
            // As Java: the logic offset given is the queue's new max (the entry's offset + 1).
            this.listener(request.topic, request.queueId, request.consumeQueueOffset + 1, request.tagsCode, request.storeTimestamp, request.properties);
          } catch (err) {
            this.logger.error('message arriving listener failed', err);
          }
        }
      }
    }
  }

  /**
   * Writes the commit-log group being gathered and dispatches the records appended since the last batch. Runs
   * once per tick after puts (setImmediate) and before every read of the consume queues or the index, so a reader
   * sees every message put so far.
   */
  dispatchPending(): void {
    // The arriving listener may read the store (the hold service asks for the max offset): not a new batch then.
    if (this.dispatching) return;
    this.commitLog.writeGroup();
    if (!this.reput.hasPending) return;
    this.dispatching = true;
    try {
      this.reput.dispatchPending();
    } catch (err) {
      // The records are in the log: the dispatch is retried at the next batch or flush tick.
      this.logger.error(`dispatch of commit-log offset ${this.reput.reputFromOffset} failed; will retry`, err);
    } finally {
      this.dispatching = false;
    }
  }

  /**
   * An immediate: the acknowledgements of the tick's puts are flushed by then (the channels flush in a microtask),
   * so they leave before the dispatch work.
   */
  private scheduleDispatch(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    setImmediate(() => {
      this.dispatchScheduled = false;
      this.dispatchPending();
    });
  }

  private checkStoreStatus(): PutMessageStatus | undefined {
    if (this.state !== 'running' || this.writeFailure !== undefined || this.diskFull) return 'SERVICE_NOT_AVAILABLE';
    // A slave's log is the master's, byte for byte: a put of its own would make them diverge (4.9's status).
    if (this.config.brokerRole === 'SLAVE') return 'SERVICE_NOT_AVAILABLE';
    return undefined;
  }

  /** DefaultMessageStore.getCommitLogData: what the HA master ships from `offset` (see CommitLog.getData). */
  getCommitLogData(offset: number, maxBytes: number): Buffer | null {
    return this.commitLog.getData(offset, maxBytes);
  }

  /**
   * DefaultMessageStore.appendToCommitLog: a slave appends the master's bytes (CommitLog.appendData; throws
   * AppendError when they do not continue the log). The records they complete are dispatched once
   * checkReplicatedRecords found them valid (or by the flush tick's catch-up, as after a failed dispatch).
   */
  appendToCommitLog(startOffset: number, data: Buffer): void {
    if (this.state !== 'running') throw new AppendError('SERVICE_NOT_AVAILABLE', 'the message store is not running');
    this.commitLog.appendData(startOffset, data);
    this.appendedSinceReput = true;
  }

  /** Told the log's new end after every write or appended chunk (the HA master pushes on it). */
  onCommitLogAppended(listener: (maxOffset: number) => void): () => void {
    return this.commitLog.onAppended(listener);
  }

  /**
   * P1: the end of the whole, valid records of [from, to) of a slave's log (see CommitLog.checkReplicatedRecords).
   * The valid ones are dispatched later, in turns of the event loop (reputTurn), as Java's slave leaves
   * them to its reput thread: the HA client appends, checks and acks the next bytes first, so a catch-up is not
   * held to the pace of the consume queues and the index, and a long one never blocks the loop (nor do the pulls
   * a slave serves meanwhile: they see what is dispatched so far, as on Java's).
   */
  checkReplicatedRecords(from: number, to: number): { validTo: number; error?: string } {
    const checked = this.commitLog.checkReplicatedRecords(from, to);
    this.replicatedEnd = checked.validTo;
    this.scheduleReput();
    return checked;
  }

  /** Java's MessageStore.dispatchBehindBytes: bytes of the log not dispatched to the consume queues and index yet. */
  dispatchBehindBytes(): number {
    return this.reput.dispatchBehindBytes;
  }

  /** Where dispatching may go: a slave's checked records, or the whole log. */
  private dispatchEnd(): number {
    return this.config.brokerRole === 'SLAVE' ? this.replicatedEnd : this.getMaxPhyOffset();
  }

  private scheduleReput(): void {
    if (this.reputScheduled) return;
    this.reputScheduled = true;
    setImmediate(() => {
      this.reputScheduled = false;
      this.reputTurn();
    });
  }

  /** One turn of a slave's reput (REPUT_BYTES_WHILE_RECEIVING or REPUT_BYTES_PER_TURN), then the next if more is due. */
  private reputTurn(): void {
    if (this.state !== 'running' || this.dispatching) return;
    this.dispatching = true;
    const budget = this.appendedSinceReput ? REPUT_BYTES_WHILE_RECEIVING : REPUT_BYTES_PER_TURN;
    this.appendedSinceReput = false;
    let more = false;
    try {
      more = this.reput.doReput(this.dispatchEnd(), budget);
    } catch (err) {
      // The records are in the log: the flush tick starts the reput again.
      this.logger.error(`dispatch of commit-log offset ${this.reput.reputFromOffset} failed; will retry`, err);
    } finally {
      this.dispatching = false;
    }
    if (more) this.scheduleReput();
  }

  /**
   * A slave cuts its log back to `offset`: the unfinished record at its end before it asks its master again, or
   * bytes that failed the check. Nothing past the last whole record was dispatched, so no queue points there.
   */
  truncateDirtyCommitLog(offset: number): void {
    if (this.config.brokerRole !== 'SLAVE') throw new Error('only a slave cuts its commit log while running');
    this.commitLog.writeGroup();
    if (offset >= this.getMaxPhyOffset()) return;
    this.logger.info(`cutting the commit log back from ${this.getMaxPhyOffset()} to ${offset}`);
    this.commitLog.mappedFileQueue.truncateDirtyFiles(offset);
    this.replicatedEnd = Math.min(this.replicatedEnd, offset);
  }

  /** Syncs the commit log now (a slave with haAckAfterFlush acks what this made durable). */
  async flushCommitLog(): Promise<number> {
    await this.flushCommitLogService.requestFlush();
    return this.getFlushedPhyOffset();
  }

  /** Set by the HA service of a SYNC_MASTER: puts that wait for storage also wait for their replica. */
  setReplicaWaiter(waiter: ReplicaWaiter | undefined): void {
    this.replicaWaiter = waiter;
  }

  /** Offset up to which the commit log is on disk (what a slave with haAckAfterFlush acks). */
  getFlushedPhyOffset(): number {
    return this.commitLog.mappedFileQueue.flushedWhere;
  }

  async putMessage(msg: MessageExtBrokerInner): Promise<PutMessageResult> {
    const refused = this.checkStoreStatus();
    if (refused !== undefined) return { status: refused };
    if (msg.body.length > this.config.maxMessageSize) return { status: 'MESSAGE_ILLEGAL' };
    msg.storeTimestamp = this.now();
    return this.append([msg], msg.waitStoreMsgOK);
  }

  async putMessages(batch: MessageExtBatch): Promise<PutMessageResult> {
    const refused = this.checkStoreStatus();
    if (refused !== undefined) return { status: refused };
    if (batch.body.length > this.config.maxMessageSize) return { status: 'MESSAGE_ILLEGAL' };
    let records;
    try {
      records = decodeMessages(batch.body);
    } catch (err) {
      this.logger.warn(`malformed batch body for ${batch.topic}: ${(err as Error).message}`);
      return { status: 'MESSAGE_ILLEGAL' };
    }
    if (records.length === 0) return { status: 'MESSAGE_ILLEGAL' };
    const storeTimestamp = this.now();
    const inners = records.map((record) => {
      const inner = new MessageExtBrokerInner();
      inner.topic = batch.topic;
      inner.body = record.body;
      inner.flag = record.flag;
      // 4.9.8 to 5.3.3 append the batch's properties to each record's, so the batch's keys win on reading.
      inner.properties = new Map([...record.properties, ...batch.properties]);
      inner.queueId = batch.queueId;
      inner.sysFlag = batch.sysFlag;
      inner.bornTimestamp = batch.bornTimestamp;
      inner.bornHost = batch.bornHost;
      inner.storeHost = batch.storeHost;
      inner.storeTimestamp = storeTimestamp;
      inner.reconsumeTimes = batch.reconsumeTimes;
      return inner;
    });
    return this.append(inners, batch.waitStoreMsgOK);
  }

  /** Java's asyncPutMessage bookkeeping: every put that got past the checks is timed, and counted if nothing was written. */
  private async append(inners: readonly MessageExtBrokerInner[], waitStoreMsgOK: boolean): Promise<PutMessageResult> {
    const begin = performance.now();
    const result = await this.appendAndFlush(inners, waitStoreMsgOK);
    this.storeStatsService.setPutMessageEntireTimeMax(Math.floor(performance.now() - begin));
    if (result.appendResult === undefined) this.storeStatsService.putMessageFailedTimes++;
    return result;
  }

  /**
   * Reserves the records' place in the log; the put resolves once the group write holding them is done (and, in
   * SYNC_FLUSH with WAIT, synced), never before its bytes went out with pwrite.
   */
  private appendAndFlush(inners: readonly MessageExtBrokerInner[], waitStoreMsgOK: boolean): Promise<PutMessageResult> {
    const first = inners[0]!;
    const key = `${first.topic}-${first.queueId}`;
    const dispatched = isDispatchedToConsumeQueue(first.sysFlag);
    const queueOffset = dispatched ? (this.topicQueueTable.get(key) ?? 0) : 0;
    return new Promise<PutMessageResult>((resolve, reject) => {
      let appended: AppendedRecords | undefined;
      const onWritten = () => {
        try {
          resolve(this.afterAppend(inners, appended!, queueOffset, dispatched, waitStoreMsgOK));
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      };
      const onFailed = (err: AppendError) => {
        // Every put reserved after this one failed with it: the queue's next offset goes back to this one's.
        if (dispatched && (this.topicQueueTable.get(key) ?? 0) > queueOffset) this.topicQueueTable.set(key, queueOffset);
        this.logger.warn(`put to ${key} failed: ${err.message}`);
        resolve({ status: err.status });
      };
      try {
        appended = this.commitLog.reserveMessages(inners, queueOffset, onWritten, onFailed);
      } catch (err) {
        if (!(err instanceof AppendError)) throw err;
        this.logger.warn(`put to ${key} failed: ${err.message}`);
        resolve({ status: err.status });
        return;
      }
      if (dispatched) this.topicQueueTable.set(key, queueOffset + inners.length);
    });
  }

  /** The written records' fields, their dispatch queued, and the put's result (after the fsync in SYNC_FLUSH). */
  private afterAppend(
    inners: readonly MessageExtBrokerInner[],
    appended: AppendedRecords,
    queueOffset: number,
    dispatched: boolean,
    waitStoreMsgOK: boolean,
  ): PutMessageResult | Promise<PutMessageResult> {
    const first = inners[0]!;
    let offset = appended.wroteOffset;
    const requests = inners.map((inner, i): DispatchRequest => {
      const record = appended.records[i]!;
      inner.commitLogOffset = offset;
      inner.queueOffset = dispatched ? queueOffset + i : 0;
      inner.storeSize = record.length;
      inner.bodyCRC = record.readInt32BE(8);
      inner.sysFlag = record.readInt32BE(36);
      inner.msgId = createMessageId(inner.storeHost, offset);
      offset += record.length;
      return {
        topic: inner.topic,
        queueId: inner.queueId,
        commitLogOffset: inner.commitLogOffset,
        msgSize: inner.storeSize,
        tagsCode: consumeQueueTagsCode(inner.topic, inner.properties, inner.storeTimestamp, (level, ts) => this.computeDeliverTimestamp(level, ts)),
        storeTimestamp: inner.storeTimestamp,
        consumeQueueOffset: inner.queueOffset,
        keys: inner.keys,
        uniqKey: inner.uniqKey,
        sysFlag: inner.sysFlag,
        properties: inner.properties,
      };
    });
    this.reput.enqueue(requests);
    this.scheduleDispatch();
    const wroteBytes = offset - appended.wroteOffset;
    this.storeStatsService.putMessageTimesTotal += inners.length;
    this.storeStatsService.putMessageSizeTotal += wroteBytes;
    const appendResult = {
      wroteOffset: appended.wroteOffset,
      wroteBytes,
      msgId: inners.map((m) => m.msgId).join(','),
      storeTimestamp: first.storeTimestamp,
      logicsOffset: queueOffset,
      msgNum: inners.length,
    };
    const replica = this.config.brokerRole === 'SYNC_MASTER' && waitStoreMsgOK ? this.replicaWaiter : undefined;
    if (this.config.flushDiskType === 'SYNC_FLUSH') {
      if (waitStoreMsgOK) {
        const flushed = this.flushCommitLogService.waitForFlush(offset, this.config.syncFlushTimeout);
        if (replica === undefined) return flushed.then((status) => ({ status, appendResult }));
        // As Java's handleDiskFlushAndHA: both waits run together; a replica's failure wins over the disk's.
        return Promise.all([flushed, replica(offset)]).then(([flush, ha]) => ({ status: ha !== 'PUT_OK' ? ha : flush, appendResult }));
      }
      void this.flushCommitLogService.requestFlush();
    }
    if (replica !== undefined) return replica(offset).then((status) => ({ status, appendResult }));
    return { status: 'PUT_OK', appendResult };
  }

  /** DefaultMessageStore.getMessage, with Java's statuses, offsets corrections and transfer limits. */
  getMessage(_group: string, topic: string, queueId: number, offset: number, maxMsgNums: number, filter?: MessageFilter): GetMessageResult {
    this.dispatchPending();
    const begin = performance.now();
    let status: GetMessageStatus = 'NO_MESSAGE_IN_QUEUE';
    let nextBeginOffset = offset;
    let minOffset = 0;
    let maxOffset = 0;
    const messageBuffers: Buffer[] = [];
    let bufferTotalSize = 0;
    let suggestPullingFromSlave = false;
    const maxOffsetPy = this.commitLog.getMaxOffset();
    const cq = this.findConsumeQueue(topic, queueId, false);
    if (cq === undefined) {
      status = 'NO_MATCHED_LOGIC_QUEUE';
      nextBeginOffset = 0;
    } else {
      minOffset = cq.getMinOffsetInQueue();
      maxOffset = cq.getMaxOffsetInQueue();
      if (maxOffset === 0) {
        status = 'NO_MESSAGE_IN_QUEUE';
        nextBeginOffset = 0;
      } else if (offset < minOffset) {
        status = 'OFFSET_TOO_SMALL';
        nextBeginOffset = minOffset;
      } else if (offset === maxOffset) {
        status = 'OFFSET_OVERFLOW_ONE';
        nextBeginOffset = offset;
      } else if (offset > maxOffset) {
        status = 'OFFSET_OVERFLOW_BADLY';
        nextBeginOffset = maxOffset;
      } else {
        const maxFilterMessageSize = Math.max(this.config.maxFilterMessageSize, maxMsgNums * CQ_STORE_UNIT_SIZE);
        status = 'NO_MATCHED_MESSAGE';
        const units = cq.iterateFrom(nextBeginOffset, Math.ceil(maxFilterMessageSize / CQ_STORE_UNIT_SIZE));
        if (units.length === 0) {
          status = 'OFFSET_FOUND_NULL';
          const perFile = this.config.mappedFileSizeConsumeQueue / CQ_STORE_UNIT_SIZE;
          nextBeginOffset = nextBeginOffset + perFile - (nextBeginOffset % perFile);
        }
        let nextPhyFileStartOffset = Number.MIN_SAFE_INTEGER;
        for (const unit of units) {
          if (nextBeginOffset >= maxOffset) break;
          const isInMem = this.isInMem(unit.pos, maxOffsetPy);
          // Java's maxPhyOffsetPulling: the position of the last entry looked at decides the suggestion.
          suggestPullingFromSlave = !isInMem;
          if ((unit.queueOffset - offset) * CQ_STORE_UNIT_SIZE >= maxFilterMessageSize) break;
          if (this.isTheBatchFull(unit.size, maxMsgNums, MAX_PULL_MSG_SIZE, bufferTotalSize, messageBuffers.length, isInMem)) break;
          if (bufferTotalSize >= MAX_PULL_MSG_SIZE) break;
          nextBeginOffset = unit.queueOffset + 1;
          if (unit.pos < nextPhyFileStartOffset) continue;
          // fillPreBlank placeholders point at no message.
          if (unit.size === BLANK_UNIT_SIZE) continue;
          if (filter !== undefined && !filter.isMatchedByConsumeQueue(unit.tagsCode)) {
            if (bufferTotalSize === 0) status = 'NO_MATCHED_MESSAGE';
            continue;
          }
          // Property filters (SQL92) judge the message itself, read here or judged in bulk with its neighbours.
          const verdict = filter?.verdictScope === undefined ? undefined : this.filterVerdicts.verdict(filter, unit.pos);
          if (verdict === false) {
            if (bufferTotalSize === 0) status = 'NO_MATCHED_MESSAGE';
            continue;
          }
          const buffer = this.commitLog.getMessage(unit.pos, unit.size);
          if (buffer === null) {
            if (bufferTotalSize === 0) status = 'MESSAGE_WAS_REMOVING';
            nextPhyFileStartOffset = this.commitLog.rollNextFile(unit.pos);
            continue;
          }
          if (verdict === undefined && filter?.isMatchedByCommitLog !== undefined && !filter.isMatchedByCommitLog(buffer)) {
            if (bufferTotalSize === 0) status = 'NO_MATCHED_MESSAGE';
            continue;
          }
          messageBuffers.push(buffer);
          bufferTotalSize += buffer.length;
          status = 'FOUND';
          nextPhyFileStartOffset = Number.MIN_SAFE_INTEGER;
        }
      }
    }
    const stats = this.storeStatsService;
    if (status === 'FOUND') stats.getMessageTimesTotalFound++;
    else stats.getMessageTimesTotalMiss++;
    stats.getMessageTransferredMsgCount += messageBuffers.length;
    stats.setGetMessageEntireTimeMax(Math.floor(performance.now() - begin));
    return {
      status,
      nextBeginOffset,
      minOffset,
      maxOffset,
      messageBuffers,
      messageCount: messageBuffers.length,
      bufferTotalSize,
      suggestPullingFromSlave,
    };
  }

  /**
   * Whether the record at `offsetPy` counts as in memory. Java 5.x asks the page cache (mincore); we read with
   * pread and keep no view of the page cache, so we use the rule Java used before (and its fallback): the last
   * accessMessageInMemoryMaxRatio percent of physical memory worth of the commit log is hot (40%: 6.4 GiB of log
   * on a 16 GiB host), since that much of a log written and read sequentially stays in the page cache.
   */
  private isInMem(offsetPy: number, maxOffsetPy: number): boolean {
    return maxOffsetPy - offsetPy <= TOTAL_PHYSICAL_MEMORY_SIZE * (this.config.accessMessageInMemoryMaxRatio / 100);
  }

  /**
   * DefaultMessageStore.checkInMemByConsumeOffset: whether the records from `consumeOffset` to the entry
   * `batchSize` after it (Java's bound, one past the batch) are still stored and in memory by isInMem's rule; the
   * range's oldest byte decides. False for a missing entry or a placeholder.
   */
  checkInMemByConsumeOffset(topic: string, queueId: number, consumeOffset: number, batchSize: number): boolean {
    this.dispatchPending();
    const cq = this.findConsumeQueue(topic, queueId, false);
    const first = cq?.get(consumeOffset);
    if (cq === undefined || first === undefined || first.size === BLANK_UNIT_SIZE) return false;
    let end = first.pos + first.size;
    if (batchSize > 1) {
      const last = cq.get(consumeOffset + batchSize);
      if (last !== undefined && last.size !== BLANK_UNIT_SIZE) end = last.pos + last.size;
    }
    const maxOffsetPy = this.getMaxPhyOffset();
    return first.pos >= this.getMinPhyOffset() && end <= maxOffsetPy && this.isInMem(first.pos, maxOffsetPy);
  }

  /** DefaultMessageStore.isTheBatchFull. */
  private isTheBatchFull(sizePy: number, maxMsgNums: number, maxMsgSize: number, bufferTotal: number, messageTotal: number, isInMem: boolean): boolean {
    if (bufferTotal === 0 || messageTotal === 0) return false;
    if (messageTotal + 1 > maxMsgNums) return true;
    if (bufferTotal + sizePy > maxMsgSize) return true;
    if (isInMem) {
      if (bufferTotal + sizePy > this.config.maxTransferBytesOnMessageInMemory) return true;
      return messageTotal > this.config.maxTransferCountOnMessageInMemory - 1;
    }
    if (bufferTotal + sizePy > this.config.maxTransferBytesOnMessageInDisk) return true;
    return messageTotal > this.config.maxTransferCountOnMessageInDisk - 1;
  }

  getMaxOffsetInQueue(topic: string, queueId: number): number {
    this.dispatchPending();
    return this.findConsumeQueue(topic, queueId, false)?.getMaxOffsetInQueue() ?? 0;
  }

  getMinOffsetInQueue(topic: string, queueId: number): number {
    this.dispatchPending();
    return this.findConsumeQueue(topic, queueId, false)?.getMinOffsetInQueue() ?? 0;
  }

  /**
   * ConsumeQueue.getOffsetInQueueByTime with BoundaryType.LOWER: the first offset whose message was stored at or
   * after `timestamp`, the max offset when all are older, clamped to [min, max].
   */
  getOffsetInQueueByTime(topic: string, queueId: number, timestamp: number): number {
    this.dispatchPending();
    const cq = this.findConsumeQueue(topic, queueId, false);
    if (cq === undefined) return 0;
    const minPhy = this.commitLog.getMinOffset();
    let low = cq.getMinOffsetInQueue();
    let high = cq.getMaxOffsetInQueue();
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      const unit = cq.get(mid);
      const older =
        unit === undefined || unit.size === BLANK_UNIT_SIZE || unit.pos < minPhy || this.commitLog.pickupStoreTimestamp(unit.pos, unit.size) < timestamp;
      if (older) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  getEarliestMessageTime(topic: string, queueId: number): number {
    return this.getMessageStoreTimeStamp(topic, queueId, this.getMinOffsetInQueue(topic, queueId));
  }

  /** DefaultMessageStore.getMessageStoreTimeStamp: the store time of the entry's message, -1 when there is none. */
  getMessageStoreTimeStamp(topic: string, queueId: number, consumeQueueOffset: number): number {
    this.dispatchPending();
    const unit = this.findConsumeQueue(topic, queueId, false)?.get(consumeQueueOffset);
    if (unit === undefined || unit.size === BLANK_UNIT_SIZE) return -1;
    return this.commitLog.pickupStoreTimestamp(unit.pos, unit.size);
  }

  getCommitLogOffsetInQueue(topic: string, queueId: number, consumeQueueOffset: number): number {
    this.dispatchPending();
    return this.findConsumeQueue(topic, queueId, false)?.get(consumeQueueOffset)?.pos ?? 0;
  }

  /** ConsumeQueue.iterateFrom: up to `maxCount` entries from `startOffset`, to the end of that segment at most. */
  iterateConsumeQueue(topic: string, queueId: number, startOffset: number, maxCount: number): CqUnit[] {
    this.dispatchPending();
    return this.findConsumeQueue(topic, queueId, false)?.iterateFrom(startOffset, maxCount) ?? [];
  }

  getMaxDelayLevel(): number {
    return this.delayLevelTable.size;
  }

  /** DefaultMessageStore.computeDeliverTimestamp: a level past the last counts as the last; an unknown one as 1 s. */
  computeDeliverTimestamp(delayLevel: number, storeTimestamp: number): number {
    const delay = this.delayLevelTable.get(Math.min(delayLevel, this.getMaxDelayLevel()));
    return delay === undefined ? storeTimestamp + 1000 : storeTimestamp + delay;
  }

  lookMessageByOffset(commitLogOffset: number): MessageExt | null {
    return this.commitLog.lookMessageByOffset(commitLogOffset);
  }

  /**
   * DefaultMessageStore.selectOneMessageByOffset: the stored bytes of the record at `commitLogOffset`, its size
   * read from the log, or null when no record starts there.
   */
  selectOneMessageByOffset(commitLogOffset: number): Buffer | null {
    return this.commitLog.getRecordAt(commitLogOffset);
  }

  /**
   * DefaultMessageStore.queryMessage by KEYS entry or UNIQ_KEY. Unlike Java, hits are checked against the record
   * (topic and key), so hash collisions and index entries left behind by a crash are not returned.
   */
  queryMessage(topic: string, key: string, maxNum: number, begin: number, end: number): QueryMessageResult {
    this.dispatchPending();
    const result = this.indexService.queryOffset(topic, key, maxNum, begin, end);
    const messages: Buffer[] = [];
    for (const offset of [...new Set(result.phyOffsets)].sort((a, b) => a - b)) {
      const record = this.commitLog.getRecordAt(offset);
      if (record === null) continue;
      try {
        const msg = decodeStoredMessage(record, 0, { readBody: false });
        if (msg.commitLogOffset === offset && msg.topic === topic && (msg.uniqKey === key || msg.keyList.includes(key))) messages.push(record);
      } catch {
        // Not a record any more (the log was cut after a crash): skip it.
      }
    }
    return { messages, indexLastUpdateTimestamp: result.indexLastUpdateTimestamp, indexLastUpdatePhyoffset: result.indexLastUpdatePhyoffset };
  }

  deleteTopics(topics: ReadonlySet<string>): void {
    this.dispatchPending();
    for (const topic of topics) {
      const queues = this.consumeQueueTable.get(topic);
      for (const [queueId, cq] of queues ?? []) {
        cq.destroy();
        this.topicQueueTable.delete(`${topic}-${queueId}`);
      }
      this.consumeQueueTable.delete(topic);
      this.io.removeTree(join(StorePathConfigHelper.consumeQueue(this.root), topic));
      this.logger.info(`deleted the consume queues of topic ${topic}`);
    }
  }

  getMaxPhyOffset(): number {
    return this.commitLog.getMaxOffset();
  }

  /**
   * DefaultMessageStore.getRuntimeInfo (StoreStatsService's figures, disk usage and the log's bounds), plus what
   * Java's AdminBrokerProcessor asks the store for one by one (dispatchBehindBytes, earliestMessageTimeStamp,
   * remainHowManyDataToFlush), so the broker needs only this call.
   */
  getRuntimeInfo(): Map<string, string> {
    const result = this.storeStatsService.getRuntimeInfo();
    const commitLogPath = this.config.storePathCommitLog;
    const physicRatio = javaDoubleToString(this.diskPartitionSpaceUsedPercent(commitLogPath));
    result.set(`commitLogDiskRatio_${commitLogPath}`, physicRatio);
    result.set('commitLogDiskRatio', physicRatio);
    result.set('consumeQueueDiskRatio', javaDoubleToString(this.diskPartitionSpaceUsedPercent(StorePathConfigHelper.consumeQueue(this.root))));
    result.set('commitLogMinOffset', String(this.getMinPhyOffset()));
    result.set('commitLogMaxOffset', String(this.getMaxPhyOffset()));
    result.set('dispatchBehindBytes', String(this.reput.dispatchBehindBytes));
    result.set('earliestMessageTimeStamp', String(this.commitLog.pickupStoreTimestamp(this.getMinPhyOffset(), STORE_TIMESTAMP_READ_SIZE)));
    const unflushed = this.getMaxPhyOffset() - this.commitLog.mappedFileQueue.flushedWhere;
    result.set('remainHowManyDataToFlush', humanReadableByteCount(Math.max(0, unflushed)));
    // Java's Integer.MAX_VALUE: no transient store pool, so never short of buffers.
    result.set('remainTransientStoreBufferNumbs', String(2 ** 31 - 1));
    // rocketmq-exporter parses this key for every runtime metric: without it, it drops them all.
    const capacity = this.diskCapacity(this.root);
    if (capacity !== undefined) result.set('commitLogDirCapacity', capacity);
    return result;
  }

  storageMetrics(): StorageMetrics {
    let storageSizeBytes: number | undefined;
    try {
      if (this.io.exists(this.root)) {
        const { total, free } = this.io.diskSpace(this.root);
        if (total > 0) storageSizeBytes = total - free;
      }
    } catch {
      storageSizeBytes = undefined;
    }
    const earliest = this.getMaxPhyOffset() > this.getMinPhyOffset() ? this.commitLog.pickupStoreTimestamp(this.getMinPhyOffset(), STORE_TIMESTAMP_READ_SIZE) : 0;
    return {
      storageSizeBytes,
      flushBehindBytes: Math.max(0, this.getMaxPhyOffset() - this.commitLog.mappedFileQueue.flushedWhere),
      dispatchBehindBytes: this.reput.dispatchBehindBytes,
      earliestMessageTime: Math.max(0, earliest),
    };
  }

  /** AdminBrokerProcessor's commitLogDirCapacity of the store root: "Total : 97.9 GiB, Free : 50.1 GiB.". */
  private diskCapacity(path: string): string | undefined {
    try {
      if (!this.io.exists(path)) return undefined;
      const { total, free } = this.io.diskSpace(path);
      return `Total : ${humanReadableByteCount(total)}, Free : ${humanReadableByteCount(free)}.`;
    } catch {
      return undefined;
    }
  }

  /** UtilAll.getDiskPartitionSpaceUsedPercent: used share rounded up to a whole percent, -1 for a missing path. */
  private diskPartitionSpaceUsedPercent(path: string): number {
    try {
      if (!this.io.exists(path)) return -1;
      return Math.ceil(this.io.diskUsageRatio(path) * 100) / 100;
    } catch {
      return -1;
    }
  }

  getMinPhyOffset(): number {
    return this.commitLog.getMinOffset();
  }

  now(): number {
    return this.clock();
  }

  setMessageArrivingListener(listener: MessageArrivingListener): void {
    this.listener = listener;
  }

  /**
   * Every flushIntervalConsumeQueue: catch up a failed dispatch, sync the commit log, the consume queues and the
   * index, then record the dispatched offset in the checkpoint. Runs one at a time; true when all of it worked.
   */
  flushLogicsAndCheckpoint(final = false): Promise<boolean> {
    this.flushingLogics ??= (async () => {
      try {
        this.dispatchPending();
        // A running slave's backlog goes in turns (reputTurn); everything else, and everything at the end, at once.
        if (this.config.brokerRole === 'SLAVE' && !final) this.scheduleReput();
        else this.reput.doReput(this.dispatchEnd());
        const safe = this.reput.reputFromOffset;
        const timestamp = this.lastDispatchedStoreTimestamp;
        await this.flushCommitLogService.requestFlush();
        for (const queues of this.consumeQueueTable.values()) for (const cq of queues.values()) await cq.flush();
        await this.indexService.flush();
        this.checkpoint.physicMsgTimestamp = timestamp;
        this.checkpoint.logicsMsgTimestamp = timestamp;
        this.checkpoint.indexMsgTimestamp = timestamp;
        this.checkpoint.dispatchSafeOffset = safe;
        await this.checkpoint.flush();
        return !this.flushCommitLogService.failed;
      } catch (err) {
        this.logger.error('flushing consume queues, index or checkpoint failed', err);
        return false;
      } finally {
        this.flushingLogics = undefined;
      }
    })();
    return this.flushingLogics;
  }

  private cleanResources(): void {
    try {
      this.cleanCommitLogService.run();
    } catch (err) {
      this.logger.error('cleaning expired files failed', err);
    }
  }

  /** Flushes everything and removes the abort marker, unless something could not be made durable. */
  async shutdown(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'shutdown';
    for (const timer of this.timers) clearInterval(timer);
    await this.flushingLogics;
    const durable = await this.flushLogicsAndCheckpoint(true);
    await this.flushCommitLogService.idle();
    if (durable && this.reput.dispatchBehindBytes === 0) {
      this.io.unlink(StorePathConfigHelper.abortFile(this.root));
      await this.io.fsyncDirectory(this.root);
    } else {
      this.logger.warn('shutdown abnormally: keeping the abort file so the next start recovers');
    }
    this.closeFiles();
    this.logger.info('message store shut down');
  }

  private closeFiles(): void {
    this.commitLog.shutdown();
    for (const queues of this.consumeQueueTable.values()) for (const cq of queues.values()) cq.shutdown();
    this.indexService.shutdown();
    this.checkpoint.shutdown();
  }
}
