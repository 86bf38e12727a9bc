import type { BrokerStatsManager } from '../stats/broker-stats-manager.js';
import type { BrokerMetricsManager } from '../stats/broker-metrics-manager.js';
import type { Logger } from '../../common/logger.js';
import { MessageConst, MessageSysFlag, type HostAddress, type MessageExt, type MessageExtBrokerInner } from '../../protocol/message/index.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { PutMessageResult } from '../../store/message-store.js';
import type { BrokerConfig } from '../broker-config.js';
import type { BrokerMessageStore } from '../broker-message-store.js';
import { TransactionalOpBatch } from './transactional-op-batch.js';
import {
  HALF_TOPIC,
  immunityMillis,
  makeOpMessage,
  readOpRecords,
  toCommittedMessage,
  toHalfMessage,
} from './transactional-message-util.js';

/** What ending a transaction needs to know, whichever way the request arrived. */
export interface EndTransactionRequest {
  producerGroup: string;
  tranStateTableOffset: number;
  commitLogOffset: number;
  /** 0 unknown, 8 commit, 12 rollback. */
  commitOrRollback: number;
  fromTransactionCheck: boolean;
  msgId: string;
}

/** The answer to an END_TRANSACTION (oneway for Java clients, so mostly for logs and tests). */
export interface EndTransactionOutcome {
  code: number;
  remark?: string;
}

export interface TransactionalMessageServiceDeps {
  store: Pick<BrokerMessageStore, 'putMessage' | 'lookMessageByOffset' | 'iterateConsumeQueue' | 'getMaxOffsetInQueue'>;
  config: () => Readonly<BrokerConfig>;
  /** The broker's address as written into the records it makes itself (op records). */
  storeHost: () => HostAddress;
  createUniqID: () => string;
  /**
   * The put hooks (HookUtils.handleScheduleMessage): a committed timer message waits in the timer topic, one with
   * DELAY in the schedule topic; a refusal (an illegal timer) fails the commit, as Java's put does.
   */
  beforeCommitPut: (msg: MessageExtBrokerInner) => { code: number; remark: string } | undefined;
  /** A committed message counts as a put to the topic it was stored in, as Java's EndTransactionProcessor counts it. */
  stats?: Pick<BrokerStatsManager, 'incTopicPut'>;
  /** rocketmq_commit_messages_total, rocketmq_rollback_messages_total and the finish latency. */
  metrics?: Pick<BrokerMetricsManager, 'recordTransactionEnd'>;
  logger: Logger;
  now?: () => number;
}

/** Put statuses after which the record is in the log: END_TRANSACTION's sendFinalMessage counts them as done. */
const STORED = new Set(['PUT_OK', 'FLUSH_DISK_TIMEOUT', 'FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE']);

/**
 * TransactionalMessageServiceImpl with EndTransactionProcessor's logic, over the store: half messages go to the
 * half topic; a commit puts the message into its real queue and a rollback does not, and both record the half
 * offset as finished in the op topic. All durable state is in those two topics (and the check's consumer offsets),
 * so nothing else needs saving: a broker killed at any point rebuilds what it knows from them.
 *
 * One difference from Java, on purpose: a second END_TRANSACTION for a half offset already finished changes
 * nothing. Java looks the half message up again and commits it a second time (a duplicate delivery) or writes a
 * second op record. The finished offsets are those of the op records written or pending since the check's op
 * offset, read back at start.
 */
export class TransactionalMessageService {
  /** Counts since start, for runtime info and the CLI. */
  readonly stats = { halfMessages: 0, commits: 0, rollbacks: 0, checks: 0, discarded: 0 };
  /** Half offsets (of queue 0) finished by a commit or rollback and not yet passed by the check. */
  private readonly finished = new Set<number>();
  private readonly opBatch: TransactionalOpBatch;
  private readonly now: () => number;

  constructor(private readonly deps: TransactionalMessageServiceDeps) {
    this.now = deps.now ?? Date.now;
    this.opBatch = new TransactionalOpBatch({
      maxSize: () => deps.config().transactionOpMsgMaxSize,
      interval: () => deps.config().transactionOpBatchInterval,
      write: (queueId, body) => this.writeOp(queueId, body),
      logger: deps.logger,
    });
  }

  /** Reads the op records from `opOffset` on (the check's progress), so a restarted broker knows what is finished. */
  load(opOffset: number): void {
    for (const op of readOpRecords(this.deps.store, opOffset)) for (const halfOffset of op.halfOffsets) this.finished.add(halfOffset);
  }

  /** Whether a commit or rollback of half offset `halfOffset` was recorded. */
  isFinished(halfOffset: number): boolean {
    return this.finished.has(halfOffset);
  }

  /** The check passed `halfOffset`: what is below it is no longer asked about. */
  forgetBelow(halfOffset: number): void {
    for (const offset of this.finished) if (offset < halfOffset) this.finished.delete(offset);
  }

  /** Stores `msg` as a half message (it is changed in place: half topic, queue 0, REAL_TOPIC, REAL_QID). */
  async prepareMessage(msg: MessageExtBrokerInner): Promise<PutMessageResult> {
    const result = await this.deps.store.putMessage(toHalfMessage(msg));
    if (result.status === 'PUT_OK') this.stats.halfMessages++;
    return result;
  }

  /**
   * EndTransactionProcessor.processRequest after its slave check: undefined means no answer (an UNKNOW state,
   * which Java logs and drops).
   */
  async endTransaction(request: EndTransactionRequest, remoteAddr: string, remark: string | undefined): Promise<EndTransactionOutcome | undefined> {
    const { logger } = this.deps;
    const state = request.commitOrRollback;
    const origin = request.fromTransactionCheck ? 'Check producer' : 'The producer';
    // Java logs these two at WARN into its transaction log file; one line per transaction on stdout cost our broker
    // 8 % of its CPU under load (bench:transaction), so they are debug lines here.
    if (state === MessageSysFlag.TRANSACTION_NOT_TYPE) {
      logger.debug(`${origin}[${remoteAddr}] transaction state is pending (UNKNOW): msgId=${request.msgId}, remark=${remark ?? ''}`);
      return undefined;
    }
    if (state !== MessageSysFlag.TRANSACTION_COMMIT_TYPE && state !== MessageSysFlag.TRANSACTION_ROLLBACK_TYPE) {
      // EndTransactionRequestHeader.checkFields.
      return { code: ResponseCode.SYSTEM_ERROR, remark: 'commitOrRollback field wrong' };
    }
    const commit = state === MessageSysFlag.TRANSACTION_COMMIT_TYPE;
    if (!commit || request.fromTransactionCheck) {
      logger.debug(`${origin}[${remoteAddr}] ${commit ? 'committed' : 'rolled back'} the message: msgId=${request.msgId}, remark=${remark ?? ''}`);
    }

    const half = this.deps.store.lookMessageByOffset(request.commitLogOffset);
    if (half === null || half.topic !== HALF_TOPIC) return { code: ResponseCode.SYSTEM_ERROR, remark: 'Find prepared transaction message failed' };
    if (this.rejectCommitOrRollback(request, half)) {
      logger.warn(`Message ${commit ? 'commit' : 'rollback'} fail [producer end]. currentTimeMillis - bornTime > checkImmunityTime, msgId=${request.msgId}, commitLogOffset=${request.commitLogOffset}, wait check`);
      return { code: ResponseCode.ILLEGAL_OPERATION };
    }
    const wrong = checkPrepareMessage(half, request);
    if (wrong !== undefined) return { code: ResponseCode.SYSTEM_ERROR, remark: wrong };
    if (this.finished.has(half.queueOffset)) {
      logger.warn(`transaction of half offset ${half.queueOffset} already ended, ${commit ? 'commit' : 'rollback'} ignored: msgId=${request.msgId}`);
      return { code: ResponseCode.SUCCESS };
    }

    // Claimed before the put is awaited, so that a duplicate arriving meanwhile is ignored too.
    this.finished.add(half.queueOffset);
    if (commit) {
      const committed = toCommittedMessage(half);
      const refused = this.deps.beforeCommitPut(committed);
      if (refused !== undefined) {
        this.finished.delete(half.queueOffset);
        return refused;
      }
      const result = await this.deps.store.putMessage(committed);
      if (!STORED.has(result.status)) {
        this.finished.delete(half.queueOffset);
        return { code: ResponseCode.SYSTEM_ERROR, remark: result.status };
      }
      if (result.appendResult !== undefined) this.deps.stats?.incTopicPut(committed.topic, result.appendResult.msgNum, result.appendResult.wroteBytes);
      this.stats.commits++;
      this.deps.metrics?.recordTransactionEnd(committed.topic, true, half.bornTimestamp, this.now());
    } else {
      this.stats.rollbacks++;
      this.deps.metrics?.recordTransactionEnd(half.getProperty(MessageConst.PROPERTY_REAL_TOPIC) ?? half.topic, false, half.bornTimestamp, this.now());
    }
    this.opBatch.add(half.queueId, half.queueOffset, this.now());
    return { code: ResponseCode.SUCCESS };
  }

  /** Writes what op records are pending (a graceful stop loses no finished transaction). */
  shutdown(): Promise<void> {
    return this.opBatch.stop();
  }

  /**
   * EndTransactionProcessor.rejectCommitOrRollback (5.x): a producer's own late commit or rollback of a message with
   * CHECK_IMMUNITY_TIME_IN_SECONDS is refused once the immunity passed; the check decides it instead.
   */
  private rejectCommitOrRollback(request: EndTransactionRequest, half: MessageExt): boolean {
    if (request.fromTransactionCheck) return false;
    const seconds = half.getProperty(MessageConst.PROPERTY_CHECK_IMMUNITY_TIME_IN_SECONDS);
    if (seconds === undefined || seconds === '') return false;
    return this.now() - half.bornTimestamp > immunityMillis(seconds, this.deps.config().transactionTimeOut);
  }

  private async writeOp(queueId: number, body: string): Promise<boolean> {
    const op = makeOpMessage(queueId, body, this.deps.storeHost(), this.deps.createUniqID(), this.now());
    const result = await this.deps.store.putMessage(op);
    return result.status === 'PUT_OK';
  }
}

/** EndTransactionProcessor.checkPrepareMessage: the remark of what does not match, or undefined. */
function checkPrepareMessage(half: MessageExt, request: EndTransactionRequest): string | undefined {
  if (half.getProperty(MessageConst.PROPERTY_PRODUCER_GROUP) !== request.producerGroup) return 'The producer group wrong';
  if (half.queueOffset !== request.tranStateTableOffset) return 'The transaction state table offset wrong';
  if (half.commitLogOffset !== request.commitLogOffset) return 'The commit log offset wrong';
  return undefined;
}
