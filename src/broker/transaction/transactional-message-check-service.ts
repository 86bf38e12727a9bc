import type { Logger } from '../../common/logger.js';
import { MessageConst, MessageExtBrokerInner, encodeStoredMessage, type MessageExt } from '../../protocol/message/index.js';
import type { BrokerConfig } from '../broker-config.js';
import type { BrokerMessageStore } from '../broker-message-store.js';
import type { TransactionalMessageService } from './transactional-message-service.js';
import { CHECK_MAX_TIME_TOPIC, HALF_TOPIC, OP_TOPIC, immunityMillis, readOpRecords, renewHalfMessage } from './transactional-message-util.js';

/** TransactionalMessageServiceImpl.MAX_PROCESS_TIME_LIMIT: one run looks at half messages for at most this long. */
const MAX_PROCESS_MILLIS = 60_000;
/** How long a check run waits for one CHECK_TRANSACTION_STATE to be written before going on. */
const CHECK_WRITE_WAIT_MILLIS = 3000;
/**
 * Checks in flight at once in a run: their put-backs share a commit-log write and their requests a socket write
 * (one write per check cost the broker about 2 300 socket writes a second in bench:transaction), while a run that
 * checks thousands still never queues more than this many on a producer's connection (the oneway permits, 256,
 * ran out when a run fired them all at once).
 */
const CHECK_WINDOW = 32;

/** CHECK_TRANSACTION_STATE's header (CheckTransactionStateRequestHeader), as a 5.x broker fills it. */
export interface CheckTransactionStateHeader {
  tranStateTableOffset: number;
  commitLogOffset: number;
  msgId: string;
  transactionId: string;
  offsetMsgId: string;
  topic: string;
  bname: string;
}

export interface TransactionalMessageCheckDeps {
  store: Pick<BrokerMessageStore, 'iterateConsumeQueue' | 'lookMessageByOffset' | 'putMessage' | 'getMinOffsetInQueue' | 'getMaxOffsetInQueue'>;
  /** The check's progress on a queue of the half or op topic (group CID_RMQ_SYS_TRANS); -1 when none. */
  queryOffset(topic: string, queueId: number): number;
  commitOffset(topic: string, queueId: number, offset: number): void;
  /**
   * Writes the committed offsets now. The check's progress is saved after every run that moved it, not only every
   * flushConsumerOffsetInterval: a broker killed before that would check again, from the old progress, every
   * message checked since, and a second COMMIT answer delivers the message twice.
   */
  persistOffsets(): void;
  transactions: TransactionalMessageService;
  config: () => Readonly<BrokerConfig>;
  /** TRANS_CHECK_MAX_TIME_TOPIC exists once something is discarded into it (1 queue, read-write). */
  ensureCheckMaxTimeTopic(): void;
  /**
   * Sends CHECK_TRANSACTION_STATE to a live producer of `group` (ProducerManager.getAvailableChannel), resolving
   * once it is written; undefined when the group has none (the check still counts, as in Java).
   */
  sendCheck(group: string, header: CheckTransactionStateHeader, body: Buffer): Promise<void> | undefined;
  /** MessageStoreConfig.fileReservedTime in ms: a half message older than its file's lifetime is discarded. */
  fileReservedMillis: () => number;
  logger: Logger;
  now?: () => number;
}

/**
 * TransactionalMessageCheckService with TransactionalMessageServiceImpl.check: every transactionCheckInterval it
 * walks the half queue from its progress offset. A half message with an op record is finished; one younger than
 * transactionTimeOut (or its CHECK_IMMUNITY_TIME_IN_SECONDS) stops the walk, everything after it being younger;
 * an older one is stored again at the end of the half queue with TRANSACTION_CHECK_TIMES counted, and its
 * producer group is asked about the new copy, whose offsets the producer's END_TRANSACTION then names. A message
 * checked transactionCheckMax times, or older than the files are kept, goes to TRANS_CHECK_MAX_TIME_TOPIC and is
 * never delivered. The progress on the half and op queues is kept as consumer offsets of CID_RMQ_SYS_TRANS, so a
 * restarted broker goes on where it was.
 *
 * Simpler than Java's on one point, with the same outcome: the op records from the op progress to the end are
 * read at once, rather than 32 at a time with the walk retrying a message until the records run out.
 */
export class TransactionalMessageCheckService {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly deps: TransactionalMessageCheckDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** The first run comes one transactionCheckInterval after start, as in Java. */
  start(): void {
    this.stopped = false;
    this.arm();
  }

  /** Stops the timer; resolves once a run in progress ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One run now (tests and the timer); a run already going is awaited instead of doubled. */
  check(): Promise<void> {
    this.running ??= this.checkHalfQueue()
      .catch((err: unknown) => this.deps.logger.error('transaction check failed', err))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private arm(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.check().finally(() => this.arm());
    }, Math.max(1, this.deps.config().transactionCheckInterval));
    this.timer.unref();
  }

  private async checkHalfQueue(): Promise<void> {
    const { store, config, transactions } = this.deps;
    const startTime = this.now();
    const halfMin = store.getMinOffsetInQueue(HALF_TOPIC, 0);
    const halfMax = store.getMaxOffsetInQueue(HALF_TOPIC, 0);
    const halfOffset = Math.max(this.progress(HALF_TOPIC), halfMin);
    const opOffset = Math.max(this.progress(OP_TOPIC), store.getMinOffsetInQueue(OP_TOPIC, 0));
    const ops = readOpRecords(store, opOffset);
    const removed = new Set<number>();
    for (const op of ops) for (const offset of op.halfOffsets) if (offset >= halfOffset) removed.add(offset);

    // Checks started and not yet awaited, in half-queue order; settled before anything else is stored and at the end.
    const window: { offset: number; done: Promise<boolean> }[] = [];
    /** The offset of the first check in the window whose put-back failed, if one did. */
    const settleWindow = async (): Promise<number | undefined> => {
      if (window.length === 0) return undefined;
      const results = await Promise.all(window.map((w) => w.done));
      const failed = results.indexOf(false);
      const at = failed === -1 ? undefined : window[failed]?.offset;
      window.length = 0;
      return at;
    };

    let i = halfOffset;
    while (i < halfMax && !this.stopped && this.now() - startTime < MAX_PROCESS_MILLIS) {
      if (removed.has(i) || transactions.isFinished(i)) {
        i++;
        continue;
      }
      const half = this.readHalf(i);
      if (half === null) {
        i++; // gone with its file: nothing left to ask about
        continue;
      }
      const cfg = config();
      const checkTimes = Number(half.getProperty(MessageConst.PROPERTY_TRANSACTION_CHECK_TIMES) ?? '0') || 0;
      if (checkTimes >= cfg.transactionCheckMax || this.now() - half.bornTimestamp > this.deps.fileReservedMillis()) {
        const failed = await settleWindow();
        if (failed !== undefined) {
          i = failed;
          break;
        }
        await this.discard(half);
        i++;
        continue;
      }
      if (half.storeTimestamp >= startTime) break; // stored during this run: the next one looks at it
      const age = this.now() - half.bornTimestamp;
      const immunitySeconds = half.getProperty(MessageConst.PROPERTY_CHECK_IMMUNITY_TIME_IN_SECONDS);
      const immunity = immunityMillis(immunitySeconds, cfg.transactionTimeOut);
      if (immunitySeconds !== undefined && age >= 0 && age < immunity) {
        // A producer-chosen first-check time: moved along the half queue, unchecked, until it is due.
        const failed = await settleWindow();
        if (failed !== undefined) {
          i = failed;
          break;
        }
        if (!(await this.putBackImmune(half, i))) break;
        i++;
        continue;
      }
      if (age >= 0 && age < immunity) break; // younger ones follow
      window.push({ offset: i, done: this.putBackAndCheck(half, checkTimes + 1) });
      i++;
      if (window.length >= CHECK_WINDOW) {
        const failed = await settleWindow();
        if (failed !== undefined) {
          i = failed;
          break;
        }
      }
    }
    // A failed put-back (the store refusing writes) ends the run there; the ones after it in its window were
    // checked already and are checked again from their originals next run, as after any interrupted run.
    const failed = await settleWindow();
    if (failed !== undefined) i = failed;

    if (i !== halfOffset) this.deps.commitOffset(HALF_TOPIC, 0, i);
    // The op progress moves over the records that only name half offsets the walk has passed.
    let newOpOffset = opOffset;
    for (const op of ops) {
      if (!op.halfOffsets.every((offset) => offset < i)) break;
      newOpOffset = op.queueOffset + 1;
    }
    if (newOpOffset !== opOffset) this.deps.commitOffset(OP_TOPIC, 0, newOpOffset);
    if (i !== halfOffset || newOpOffset !== opOffset) this.deps.persistOffsets();
    transactions.forgetBelow(i);
  }

  private progress(topic: string): number {
    return this.deps.queryOffset(topic, 0);
  }

  private readHalf(offset: number): MessageExt | null {
    const [unit] = this.deps.store.iterateConsumeQueue(HALF_TOPIC, 0, offset, 1);
    if (unit === undefined || unit.queueOffset !== offset) return null;
    const half = this.deps.store.lookMessageByOffset(unit.pos);
    if (half !== null) half.queueOffset = offset;
    return half;
  }

  /** putBackHalfMsgQueue, then AbstractTransactionalMessageCheckListener.sendCheckMessage with the new copy. */
  private async putBackAndCheck(half: MessageExt, checkTimes: number): Promise<boolean> {
    const properties = new Map(half.properties);
    properties.set(MessageConst.PROPERTY_TRANSACTION_CHECK_TIMES, String(checkTimes));
    const copy = await this.putBack(half, properties);
    if (copy === undefined) return false;
    this.deps.transactions.stats.checks++;
    const group = copy.getProperty(MessageConst.PROPERTY_PRODUCER_GROUP) ?? '';
    const uniqKey = copy.uniqKey ?? '';
    const header: CheckTransactionStateHeader = {
      tranStateTableOffset: copy.queueOffset,
      commitLogOffset: copy.commitLogOffset,
      msgId: uniqKey,
      transactionId: uniqKey,
      offsetMsgId: copy.msgId,
      topic: HALF_TOPIC,
      bname: this.deps.config().brokerName,
    };
    // The producer sees the message in its real topic and queue (the body is the stored record's layout).
    copy.topic = copy.getProperty(MessageConst.PROPERTY_REAL_TOPIC) ?? copy.topic;
    copy.queueId = Number(copy.getProperty(MessageConst.PROPERTY_REAL_QUEUE_ID) ?? copy.queueId);
    const body = encodeStoredMessage(copy, copy.commitLogOffset, copy.queueOffset);
    const sent = this.deps.sendCheck(group, header, body);
    if (sent === undefined) this.deps.logger.warn(`Check transaction failed, channel is null. groupId=${group}`);
    // Awaited before the run goes on past its window (CHECK_WINDOW); a producer whose connection stays blocked
    // holds the run back at most this long.
    else await settledWithin(sent, CHECK_WRITE_WAIT_MILLIS);
    return true;
  }

  /** putImmunityMsgBackToHalfQueue: the copy remembers the offset its producer knows (TRAN_PREPARED_QUEUE_OFFSET). */
  private async putBackImmune(half: MessageExt, offset: number): Promise<boolean> {
    const original = Number(half.getProperty(MessageConst.PROPERTY_TRANSACTION_PREPARED_QUEUE_OFFSET) ?? offset);
    if (this.deps.transactions.isFinished(original)) return true;
    const properties = new Map(half.properties);
    properties.set(MessageConst.PROPERTY_TRANSACTION_PREPARED_QUEUE_OFFSET, String(original));
    return (await this.putBack(half, properties)) !== undefined;
  }

  /** The stored copy (with its new offsets), or undefined if the store refused it. */
  private async putBack(half: MessageExt, properties: Map<string, string>): Promise<MessageExtBrokerInner | undefined> {
    const copy = renewHalfMessage(half, properties);
    const result = await this.deps.store.putMessage(copy);
    const appended = result.appendResult;
    if (result.status !== 'PUT_OK' || appended === undefined) {
      this.deps.logger.error(`putting a half message back failed (${result.status}): msgId=${half.uniqKey ?? ''}`);
      return undefined;
    }
    copy.queueOffset = appended.logicsOffset;
    copy.commitLogOffset = appended.wroteOffset;
    copy.storeTimestamp = appended.storeTimestamp;
    copy.msgId = appended.msgId;
    return copy;
  }

  /** DefaultTransactionalMessageCheckListener.resolveDiscardMsg: kept in TRANS_CHECK_MAX_TIME_TOPIC, never delivered. */
  private async discard(half: MessageExt): Promise<void> {
    this.deps.ensureCheckMaxTimeTopic();
    const copy = renewHalfMessage(half, new Map(half.properties));
    copy.topic = CHECK_MAX_TIME_TOPIC;
    copy.queueId = 0;
    const result = await this.deps.store.putMessage(copy);
    if (result.status === 'PUT_OK') this.deps.transactions.stats.discarded++;
    this.deps.logger.info(
      `The transaction message was checked ${half.getProperty(MessageConst.PROPERTY_TRANSACTION_CHECK_TIMES) ?? 0} times, ` +
        `discarded to ${CHECK_MAX_TIME_TOPIC} (${result.status}): msgId=${half.uniqKey ?? ''}, realTopic=${half.getProperty(MessageConst.PROPERTY_REAL_TOPIC) ?? ''}`,
    );
  }
}

/** Resolves when `promise` settles or after `millis`, whichever comes first. */
async function settledWithin(promise: Promise<void>, millis: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, millis)))]);
  clearTimeout(timer);
}
