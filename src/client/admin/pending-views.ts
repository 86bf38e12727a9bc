import type { ClusterInfo } from '../../protocol/bodies/cluster-info.js';
import type { MessageQueue } from '../../protocol/bodies/message-queue.js';
import { MessageConst } from '../../protocol/message/message-const.js';
import type { MessageExt } from '../../protocol/message/message.js';
import type { Admin } from './admin.js';
import { TOOLS_CONSUMER_GROUP } from './admin-views.js';

/**
 * Transactions not yet ended and timer messages not yet due, read the way an operator could read them from any
 * 5.x broker, Java's included: ordinary pulls (under TOOLS_CONSUMER, nothing committed) of the system topics where
 * the broker keeps them, and the transaction check's committed offset. No call of ours only; the reading rules
 * (which records are finished) are Java's TransactionalMessageServiceImpl and TimerMessageStore, in the pure
 * functions below.
 */

/** TopicValidator's names of the topics read here (queue 0 each). */
export const HALF_TOPIC = 'RMQ_SYS_TRANS_HALF_TOPIC';
export const OP_TOPIC = 'RMQ_SYS_TRANS_OP_HALF_TOPIC';
export const TIMER_TOPIC = 'rmq_sys_wheel_timer';
/** MixAll.CID_SYS_RMQ_TRANS: the transaction check commits its progress on the half queue under this group. */
const TRANSACTION_CHECK_GROUP = 'CID_RMQ_SYS_TRANS';
/** The most records read of one queue for one page: the newest ones (a pull returns at most 32). */
export const MAX_SCAN = 2048;
const PULL_BATCH = 32;
/** The most entries of one page. */
export const MAX_PAGE = 100;

/** One half message neither committed nor rolled back: its latest record and how often the broker asked. */
export interface PendingTransaction {
  brokerName: string;
  /** Its UNIQ_KEY (the producer's message id, __transactionId__ in 5.x). */
  msgId: string;
  /** The topic it is for (REAL_TOPIC). */
  topic: string;
  producerGroup: string | undefined;
  tags: string | undefined;
  keys: string[];
  bornTimestamp: number;
  /** Now - bornTimestamp, ms: what the check's immunity time is measured against. */
  ageMillis: number;
  /** TRANSACTION_CHECK_TIMES of its latest record: how many times the broker asked the producer. */
  checkTimes: number;
  /** Its latest record in queue 0 of RMQ_SYS_TRANS_HALF_TOPIC. */
  halfOffset: number;
  body: string;
}

/** One timer message waiting for its time. */
export interface PendingTimerMessage {
  brokerName: string;
  msgId: string;
  /** The topic it is delivered to (REAL_TOPIC). */
  topic: string;
  tags: string | undefined;
  keys: string[];
  /** When the broker delivers it (TIMER_OUT_MS), ms since the epoch. */
  deliverTimestamp: number;
  bornTimestamp: number;
  /** How many times the broker moved it on because its time was beyond the wheel (TIMER_ROLL_TIMES). */
  rollTimes: number;
  /** Its record in queue 0 of rmq_sys_wheel_timer. */
  wheelOffset: number;
  body: string;
}

export interface PendingPage<T> {
  /** Every pending entry found by the scan (the page is a slice of them). */
  total: number;
  from: number;
  entries: T[];
  /** Records read; `truncated` when older ones were left unread (more than MAX_SCAN per broker). */
  scanned: number;
  truncated: boolean;
  /** Brokers that could not be read, with why (a topic never created there is not a problem: nothing is pending). */
  problems: { brokerName: string; error: string }[];
}

/**
 * TransactionalMessageServiceImpl's reading of the half and op queues. A transaction is finished when an op record
 * names the offset of one of its half records, or the offset its renewed copies carry (TRAN_PREPARED_QUEUE_OFFSET):
 * an end of transaction names the record the producer was told about, which the check may have renewed since.
 * The check renews what it asked about at the end of the half queue and moves its committed offset past the old
 * record (or past one it gave up on), so a pending transaction has a record at or after `checkedOffset`.
 */
export function pendingHalfMessages(halfRecords: readonly MessageExt[], finishedOffsets: ReadonlySet<number>, checkedOffset: number, brokerName: string, now: number): PendingTransaction[] {
  const byId = new Map<string, { latest: MessageExt; finished: boolean }>();
  for (const record of halfRecords) {
    const id = record.getProperty(MessageConst.PROPERTY_TRANSACTION_ID) ?? record.uniqKey ?? record.msgId;
    const prepared = Number(record.getProperty(MessageConst.PROPERTY_TRANSACTION_PREPARED_QUEUE_OFFSET) ?? NaN);
    const finished = finishedOffsets.has(record.queueOffset) || (Number.isInteger(prepared) && finishedOffsets.has(prepared));
    const seen = byId.get(id);
    if (seen === undefined) byId.set(id, { latest: record, finished });
    else {
      seen.finished ||= finished;
      if (record.queueOffset > seen.latest.queueOffset) seen.latest = record;
    }
  }
  const pending: PendingTransaction[] = [];
  for (const [msgId, { latest, finished }] of byId) {
    if (finished || latest.queueOffset < checkedOffset) continue;
    pending.push({
      brokerName,
      msgId,
      topic: latest.getProperty(MessageConst.PROPERTY_REAL_TOPIC) ?? latest.topic,
      producerGroup: latest.getProperty(MessageConst.PROPERTY_PRODUCER_GROUP),
      tags: latest.tags,
      keys: latest.keyList,
      bornTimestamp: latest.bornTimestamp,
      ageMillis: Math.max(0, now - latest.bornTimestamp),
      checkTimes: Number(latest.getProperty(MessageConst.PROPERTY_TRANSACTION_CHECK_TIMES) ?? 0) || 0,
      halfOffset: latest.queueOffset,
      body: latest.body.toString('utf8'),
    });
  }
  return pending.sort((a, b) => a.bornTimestamp - b.bornTimestamp || (a.msgId < b.msgId ? -1 : 1));
}

/** The half offsets op records name finished: "17" (4.9) or "17,18,21," (5.x batches them). */
export function finishedHalfOffsets(opRecords: readonly MessageExt[]): Set<number> {
  const offsets = new Set<number>();
  for (const op of opRecords) {
    for (const part of op.body.toString('utf8').split(',')) {
      const text = part.trim();
      if (/^\d{1,16}$/.test(text)) offsets.add(Number(text));
    }
  }
  return offsets;
}

/**
 * TimerMessageStore's reading of its topic: a record waits until TIMER_OUT_MS; a recall marker (TIMER_DEL_UNIQKEY
 * "<topic>+<UNIQ_KEY>") cancels the message it names; a message rolled over (its time beyond the wheel) is stored
 * again, so the newest record of an id is the one that counts.
 */
export function pendingTimerRecords(wheelRecords: readonly MessageExt[], brokerName: string, now: number): PendingTimerMessage[] {
  const recalled = new Set<string>();
  for (const record of wheelRecords) {
    const key = record.getProperty(MessageConst.PROPERTY_TIMER_DEL_UNIQKEY);
    if (key !== undefined) recalled.add(key);
  }
  const newest = new Map<string, MessageExt>();
  for (const record of wheelRecords) {
    if (record.getProperty(MessageConst.PROPERTY_TIMER_DEL_UNIQKEY) !== undefined) continue;
    const id = record.uniqKey ?? record.msgId;
    const seen = newest.get(id);
    if (seen === undefined || record.queueOffset > seen.queueOffset) newest.set(id, record);
  }
  const pending: PendingTimerMessage[] = [];
  for (const [msgId, record] of newest) {
    const topic = record.getProperty(MessageConst.PROPERTY_REAL_TOPIC) ?? record.topic;
    const deliverTimestamp = Number(record.getProperty(MessageConst.PROPERTY_TIMER_OUT_MS) ?? NaN);
    if (!Number.isFinite(deliverTimestamp) || deliverTimestamp <= now || recalled.has(`${topic}+${msgId}`)) continue;
    pending.push({
      brokerName,
      msgId,
      topic,
      tags: record.tags,
      keys: record.keyList,
      deliverTimestamp,
      bornTimestamp: record.bornTimestamp,
      rollTimes: Number(record.getProperty(MessageConst.PROPERTY_TIMER_ROLL_TIMES) ?? 0) || 0,
      wheelOffset: record.queueOffset,
      body: record.body.toString('utf8'),
    });
  }
  return pending.sort((a, b) => a.deliverTimestamp - b.deliverTimestamp || (a.msgId < b.msgId ? -1 : 1));
}

/** Transactions not yet ended on every master, oldest first: `limit` of them from index `from`. */
export async function pendingTransactions(admin: Admin, from = 0, limit = MAX_PAGE, now = Date.now()): Promise<PendingPage<PendingTransaction>> {
  return pagePerMaster(admin, from, limit, (a, b) => a.bornTimestamp - b.bornTimestamp, async (addr, brokerName) => {
    const half: MessageQueue = { topic: HALF_TOPIC, brokerName, queueId: 0 };
    const op: MessageQueue = { topic: OP_TOPIC, brokerName, queueId: 0 };
    const halfRead = await readNewest(admin, addr, half);
    const opRead = await readNewest(admin, addr, op);
    const checked = (await admin.queryConsumerOffset(addr, TRANSACTION_CHECK_GROUP, half)) ?? 0;
    return { entries: pendingHalfMessages(halfRead.records, finishedHalfOffsets(opRead.records), checked, brokerName, now), scanned: halfRead.records.length + opRead.records.length, truncated: halfRead.truncated || opRead.truncated };
  });
}

/** Timer messages not yet due on every master, soonest first: `limit` of them from index `from`. */
export async function pendingTimerMessages(admin: Admin, from = 0, limit = MAX_PAGE, now = Date.now()): Promise<PendingPage<PendingTimerMessage>> {
  return pagePerMaster(admin, from, limit, (a, b) => a.deliverTimestamp - b.deliverTimestamp, async (addr, brokerName) => {
    const read = await readNewest(admin, addr, { topic: TIMER_TOPIC, brokerName, queueId: 0 });
    return { entries: pendingTimerRecords(read.records, brokerName, now), scanned: read.records.length, truncated: read.truncated };
  });
}

/** Reads every master (a broker that fails is named in `problems`), merges in `order`, and slices the page. */
async function pagePerMaster<T>(
  admin: Admin,
  from: number,
  limit: number,
  order: (a: T, b: T) => number,
  readBroker: (addr: string, brokerName: string) => Promise<{ entries: T[]; scanned: number; truncated: boolean }>,
): Promise<PendingPage<T>> {
  if (!Number.isInteger(from) || from < 0) throw new RangeError(`from must be a whole number >= 0, not ${from}`);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new RangeError(`limit must be a whole number from 1 to ${MAX_PAGE}, not ${limit}`);
  const all: T[] = [];
  const page: PendingPage<T> = { total: 0, from, entries: [], scanned: 0, truncated: false, problems: [] };
  for (const [brokerName, addr] of mastersByName(await admin.clusterInfo())) {
    try {
      const read = await readBroker(addr, brokerName);
      all.push(...read.entries);
      page.scanned += read.scanned;
      page.truncated ||= read.truncated;
    } catch (err) {
      page.problems.push({ brokerName, error: (err as Error).message });
    }
  }
  page.total = all.length;
  page.entries = all.sort(order).slice(from, from + limit);
  return page;
}

/** brokerName -> master address, by name. */
function mastersByName(info: ClusterInfo): [string, string][] {
  const masters: [string, string][] = [];
  for (const [brokerName, data] of info.brokerAddrTable) {
    const addr = data.brokerAddrs.get(0);
    if (addr !== undefined) masters.push([brokerName, addr]);
  }
  return masters.sort(([a], [b]) => (a < b ? -1 : 1));
}

/**
 * The newest MAX_SCAN records of one queue, oldest first. A queue the broker never created (no half message was
 * ever sent, the timer wheel is off) has nothing pending: its empty offsets read as none.
 */
async function readNewest(admin: Admin, addr: string, mq: MessageQueue): Promise<{ records: MessageExt[]; truncated: boolean }> {
  const [min, max] = await Promise.all([admin.minOffset(addr, mq), admin.maxOffset(addr, mq)]);
  const start = Math.max(min, max - MAX_SCAN);
  const records: MessageExt[] = [];
  // Bounded: each pull moves forward or ends the read, and at most MAX_SCAN / PULL_BATCH pulls are needed.
  for (let offset = start, pulls = 0; offset < max && pulls <= MAX_SCAN / PULL_BATCH; pulls++) {
    const result = await admin.pullMessage(addr, TOOLS_CONSUMER_GROUP, mq, offset, Math.min(PULL_BATCH, max - offset));
    if (result.status === 'OFFSET_ILLEGAL' && result.nextBeginOffset > offset) {
      offset = result.nextBeginOffset;
      continue;
    }
    if (result.messages.length === 0 || result.nextBeginOffset <= offset) break;
    records.push(...result.messages);
    offset = result.nextBeginOffset;
  }
  return { records, truncated: start > min };
}
