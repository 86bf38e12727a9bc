import { join } from 'node:path';
import { silentLogger, type Logger } from '../../common/logger.js';
import { MessageConst, MessageExtBrokerInner, decodeStoredMessage, type MessageExt } from '../../protocol/message/index.js';
import type { CqUnit } from '../consume-queue.js';
import { FdCache } from '../fd-cache.js';
import type { PutMessageResult } from '../message-store.js';
import { StorePathConfigHelper, type MessageStoreConfig } from '../message-store-config.js';
import { nodeStorageIO, type StorageIO } from '../storage-io.js';
import { TimerCheckpoint } from './timer-checkpoint.js';
import { dueTimeOf, TIMER_UNIT_RECALL, TIMER_UNIT_RECALL_KNOWN, TIMER_UNIT_ROLL, TimerLog, withDueOffset, type TimerUnit } from './timer-log.js';
import { TimerMetrics } from './timer-metrics.js';
import { TimerWheel } from './timer-wheel.js';
import { Histogram } from '../../common/histogram.js';

/** DefaultStoreMetricsManager's delay message latency buckets, in seconds: 1 min, 10 min, 1 h, 12 h, 1 day, 3 days. */
export const DELAY_LATENCY_BUCKETS_SECONDS: readonly number[] = [60, 600, 3600, 12 * 3600, 24 * 3600, 3 * 24 * 3600];

/** TimerMessageStore.TIMER_TOPIC: a timer message waits here (queue 0) until its time. */
export const TIMER_TOPIC = 'rmq_sys_wheel_timer';
/** A consume-queue entry of this size fills a hole; it is no message. */
const BLANK_UNIT_SIZE = 0x7fffffff;
/** Timer-topic entries filed per look; the enqueue yields to the event loop between looks. */
const ENQUEUE_BATCH = 256;
/**
 * Deliveries written together (one intent record covers them). Each batch waits a turn of the event loop for its
 * puts: 32 made a crowded slot (16 k messages at 1 000 timers a second spread over 16 s) take some 500 turns, each
 * as long as the broker's other work in it, and the slot's last messages half a second late.
 */
const DELIVER_BATCH = 256;
/** Empty slots passed before the cursor yields to the event loop (a broker back after a long stop has many). */
const SLOTS_PER_TURN = 4096;
const RETRY_AFTER_MILLIS = 1000;
/**
 * The shortest wait between two looks for due messages within a slot: what comes due meanwhile shares a batch (up to
 * this much later than its time) instead of a wake-up each.
 */
const DUE_TICK_MILLIS = 10;

/** What the timer store needs of the message store. */
export interface TimerStoreDeps {
  putMessage(msg: MessageExtBrokerInner): Promise<PutMessageResult>;
  iterateConsumeQueue(topic: string, queueId: number, startOffset: number, maxCount: number): CqUnit[];
  lookMessageByOffset(commitLogOffset: number): MessageExt | null;
  /** The stored record at an offset (the timer store decodes it without its body where the body is not needed). */
  selectOneMessageByOffset(commitLogOffset: number): Buffer | null;
  getMaxPhyOffset(): number;
  getMaxOffsetInQueue(topic: string, queueId: number): number;
  getMessageStoreTimeStamp(topic: string, queueId: number, consumeQueueOffset: number): number;
}

export interface TimerMessageStoreOptions {
  store: TimerStoreDeps;
  config: Pick<
    MessageStoreConfig,
    'storePathRootDir' | 'mappedFileSizeCommitLog' | 'timerPrecisionMs' | 'timerRollWindowSlot' | 'timerFlushIntervalMs' | 'maxOpenSegmentFiles'
  >;
  io?: StorageIO;
  logger?: Logger;
  clock?: () => number;
}

/** Counters for the runtime info and GET_TIMER_METRICS. */
export interface TimerStats {
  enqueued: number;
  delivered: number;
  rolled: number;
  /** Messages a recall marker cancelled. */
  recalled: number;
  pending: number;
}

/**
 * The timer store (Java's TimerMessageStore, our own design): a message whose TIMER_OUT_MS is set was put in
 * rmq_sys_wheel_timer queue 0 by the broker's hook. Enqueueing files each entry of that queue as a unit in the timer
 * log, chained into its slot of the wheel (one slot per precision step, a ring over the roll window ahead of the
 * read cursor). The read cursor takes slot T once the clock reaches T and puts each of its messages back on its real
 * topic and queue, with TIMER_ENQUEUE_MS and TIMER_DEQUEUE_MS, when the time it was asked for comes (recorded in its
 * unit; Java waits for the slot's end, T + precision, since TIMER_OUT_MS is rounded down), so a message is never
 * early and late by milliseconds rather than by up to the precision; a unit filed at the window's end because its
 * time was further away goes back to the timer topic with TIMER_ROLL_TIMES + 1 and is filed again.
 *
 * Durable state is the timer log (the wheel is rebuilt from it at start) and `config/timercheck`, both written
 * straight to the kernel at every step and fsynced every timerFlushIntervalMs. A restart resumes enqueueing after
 * the last filed entry and delivers from the read cursor, at once for every slot that came due while the broker
 * was down. A crash in the middle of writing a batch of deliveries is found by the intent record: the copies the
 * commit log already holds are not written again, so the store itself delivers nothing twice.
 */
export class TimerMessageStore {
  readonly stats: TimerStats = { enqueued: 0, delivered: 0, rolled: 0, recalled: 0, pending: 0 };
  /** Pending timer messages per real topic (GET_TIMER_METRICS). */
  readonly metrics: TimerMetrics;
  /** Timer messages filed and delivered since start, per real topic (rocketmq_timer_enqueue_total / _dequeue_total). */
  readonly enqueueTotal = new Map<string, number>();
  readonly dequeueTotal = new Map<string, number>();
  /** Each filed message's delay from its birth to its delivery time, in seconds (rocketmq_delay_message_latency). */
  readonly delayLatency = new Histogram(DELAY_LATENCY_BUCKETS_SECONDS);
  private readonly store: TimerStoreDeps;
  private readonly log: TimerLog;
  private readonly wheel: TimerWheel;
  private readonly checkpoint: TimerCheckpoint;
  private readonly logger: Logger;
  private readonly clock: () => number;
  private readonly precision: number;
  private started = false;
  private startedAt = 0;
  /**
   * The slot at the read cursor is being delivered: its deliveries are fixed in due order, so a timer filed now for
   * it goes to the next slot (due at once there); only recall markers still join it (see slotRecalled).
   */
  private delivering = false;
  /** What the recall markers of the slot being delivered cancel, "<real topic>+<UNIQ_KEY>"; markers filed meanwhile join. */
  private slotRecalled = new Set<string>();
  /** The wait for the next due message of the slot being delivered; shutdown ends it. */
  private dueWait: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  private enqueueRun: Promise<void> | undefined;
  private enqueueAgain = false;
  private deliverRun: Promise<void> | undefined;
  private deliverTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  /** Counters at the last flush tick, for the TPS figures of the runtime info. */
  private tick = { at: 0, enqueued: 0, delivered: 0 };
  private lastTps = { enqueue: 0, dequeue: 0 };

  constructor(private readonly options: TimerMessageStoreOptions) {
    const { config } = options;
    const io = options.io ?? nodeStorageIO;
    this.store = options.store;
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? Date.now;
    this.precision = Math.max(1, config.timerPrecisionMs);
    this.log = new TimerLog(io, new FdCache(Math.max(8, Math.floor(config.maxOpenSegmentFiles / 8))), StorePathConfigHelper.timerLog(config.storePathRootDir));
    this.wheel = new TimerWheel(this.precision, Math.max(2, config.timerRollWindowSlot));
    this.checkpoint = new TimerCheckpoint(io, StorePathConfigHelper.timerCheckpoint(config.storePathRootDir));
    this.metrics = new TimerMetrics(join(StorePathConfigHelper.config(config.storePathRootDir), 'timermetrics'));
  }

  /** Recovers from the timer log and the progress file, then files and delivers; after the message store started. */
  async start(): Promise<void> {
    if (this.started) return;
    await this.metrics.load();
    const fresh = !this.checkpoint.load();
    if (fresh) {
      this.checkpoint.readCursorMs = this.floor(this.clock());
      this.checkpoint.enqueueOffset = 0;
      this.checkpoint.slotDone = 0;
      this.checkpoint.intentPhyOffset = -1;
    }
    let lastQueueOffset = -1;
    this.log.load((unit, pos) => {
      lastQueueOffset = Math.max(lastQueueOffset, unit.timerQueueOffset);
      // A slot before the read cursor was delivered; its units stay in the log until their segment goes.
      if (unit.slotTimeMs < this.checkpoint.readCursorMs) return;
      this.wheel.link(unit.slotTimeMs, pos);
      this.stats.pending++;
    });
    this.stats.pending -= this.checkpoint.slotDone;
    this.checkpoint.enqueueOffset = Math.max(this.checkpoint.enqueueOffset, lastQueueOffset + 1);
    this.checkpoint.write();
    this.started = true;
    this.startedAt = this.clock();
    this.logger.info(
      `timer store started: read cursor ${new Date(this.checkpoint.readCursorMs).toISOString()}, ${this.stats.pending} pending, enqueue offset ${this.checkpoint.enqueueOffset}${this.checkpoint.intentPhyOffset >= 0 ? ', a delivery batch to check' : ''}`,
    );
    this.kickEnqueue();
    this.scheduleDelivery();
    this.flushTimer = setInterval(() => void this.flush(), Math.max(10, this.options.config.timerFlushIntervalMs));
    this.flushTimer.unref?.();
  }

  async shutdown(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    clearTimeout(this.deliverTimer);
    clearInterval(this.flushTimer);
    if (this.dueWait !== undefined) {
      clearTimeout(this.dueWait.timer);
      this.dueWait.resolve();
    }
    await Promise.allSettled([this.enqueueRun, this.deliverRun, this.flushing]);
    await this.flush();
    this.log.shutdown();
    this.checkpoint.shutdown();
  }

  /** The store's arrival listener: an entry in the timer topic is filed at once. */
  onMessageArriving(topic: string): void {
    if (topic === TIMER_TOPIC) this.kickEnqueue();
  }

  /** Entries of the timer topic not filed yet. */
  get enqueueBehind(): number {
    return Math.max(0, this.store.getMaxOffsetInQueue(TIMER_TOPIC, 0) - this.checkpoint.enqueueOffset);
  }

  /** How long the oldest entry not filed yet has waited, in ms (0 when none waits). */
  enqueueBehindMillis(now: number): number {
    if (this.enqueueBehind === 0) return 0;
    const storeTime = this.store.getMessageStoreTimeStamp(TIMER_TOPIC, 0, this.checkpoint.enqueueOffset);
    return storeTime > 0 ? Math.max(0, now - storeTime) : 0;
  }

  /** How far the read cursor is behind the clock, in ms. */
  dequeueBehindMillis(now: number): number {
    return Math.max(0, now - this.checkpoint.readCursorMs - this.precision);
  }

  /** Messages filed in slots that came due and are not delivered yet (bounded by the wheel's window). */
  dequeueBehindMessages(now: number): number {
    let total = 0;
    const end = Math.min(this.floor(now), this.checkpoint.readCursorMs + this.wheel.windowMs);
    for (let slot = this.checkpoint.readCursorMs; slot < end; slot += this.precision) total += this.wheel.get(slot)?.count ?? 0;
    return total;
  }

  /**
   * Messages waiting in the wheel within each bound (seconds from now), counted between the previous bound and
   * this one (TimerMetrics.timerDistList, rocketmq_timer_message_snapshot); slots beyond the window are not seen.
   */
  timingSnapshot(now: number, boundsSeconds: readonly number[]): number[] {
    const base = this.floor(now);
    const windowEnd = this.checkpoint.readCursorMs + this.wheel.windowMs;
    let from = base;
    return boundsSeconds.map((bound) => {
      const to = Math.min(base + bound * 1000, windowEnd);
      let count = 0;
      for (let slot = from; slot < to; slot += this.precision) count += this.wheel.get(slot)?.count ?? 0;
      from = Math.max(from, to);
      return count;
    });
  }

  /**
   * GET_TIMER_CHECK_POINT's body, Java's TimerCheckpoint layout (56 bytes, big-endian): lastReadTimeMs,
   * lastTimerLogFlushPos, lastTimerQueueOffset, masterTimerQueueOffset, then the DataVersion's stateVersion,
   * timestamp and counter (ours never changes: there are no slaves to follow it).
   */
  encodeCheckpoint(): Buffer {
    const buf = Buffer.alloc(56);
    const values = [this.checkpoint.readCursorMs, this.log.maxOffset, this.checkpoint.enqueueOffset, this.checkpoint.enqueueOffset, 0, this.startedAt, 0];
    values.forEach((value, i) => buf.writeBigInt64BE(BigInt(value), i * 8));
    return buf;
  }

  /** GET_BROKER_RUNTIME_INFO's timer keys, as Java names and formats them. */
  runtimeInfo(): [string, string][] {
    const javaFloat = (n: number): string => (Number.isInteger(n) ? n.toFixed(1) : String(Math.round(n * 10) / 10));
    return [
      ['timerReadBehind', String(Math.max(0, Math.floor((this.clock() - this.checkpoint.readCursorMs) / 1000)))],
      ['timerOffsetBehind', String(this.enqueueBehind)],
      ['timerCongestNum', String(Math.max(0, this.stats.pending))],
      ['timerEnqueueTps', javaFloat(this.lastTps.enqueue)],
      ['timerDequeueTps', javaFloat(this.lastTps.dequeue)],
    ];
  }

  /** Syncs the timer log, then the progress, and deletes segments whose slots are all delivered. */
  flush(): Promise<void> {
    this.measureTps();
    this.flushing ??= (async () => {
      try {
        await this.log.flush();
        await this.checkpoint.flush();
        await this.metrics.persist();
        this.log.deleteExpired(this.checkpoint.readCursorMs);
      } catch (err) {
        this.logger.error('timer store flush failed', err);
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }

  private measureTps(): void {
    const now = this.clock();
    const seconds = (now - this.tick.at) / 1000;
    if (this.tick.at > 0 && seconds > 0) {
      this.lastTps = { enqueue: (this.stats.enqueued - this.tick.enqueued) / seconds, dequeue: (this.stats.delivered - this.tick.delivered) / seconds };
    }
    this.tick = { at: now, enqueued: this.stats.enqueued, delivered: this.stats.delivered };
  }

  private floor(ms: number): number {
    return Math.floor(ms / this.precision) * this.precision;
  }

  // ------------------------------------------------------------------------------------------------------------
  // Enqueue: timer-topic entries -> timer log and wheel

  private kickEnqueue(): void {
    if (!this.started) return;
    if (this.enqueueRun !== undefined) {
      this.enqueueAgain = true;
      return;
    }
    this.enqueueAgain = false;
    this.enqueueRun = this.enqueue()
      .catch((err: unknown) => this.logger.error('timer enqueue failed', err))
      .finally(() => {
        this.enqueueRun = undefined;
        if (this.enqueueAgain) this.kickEnqueue();
      });
  }

  private async enqueue(): Promise<void> {
    for (;;) {
      if (!this.started) return;
      const entries = this.store.iterateConsumeQueue(TIMER_TOPIC, 0, this.checkpoint.enqueueOffset, ENQUEUE_BATCH);
      if (entries.length === 0) return;
      for (const entry of entries) this.file(entry);
      this.checkpoint.write();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Files one timer-topic entry: a unit in the log, linked into its slot. */
  private file(entry: CqUnit): void {
    const next = entry.queueOffset + 1;
    const msg = entry.size === BLANK_UNIT_SIZE ? null : this.propertiesAt(entry.pos);
    if (msg === null) {
      if (entry.size !== BLANK_UNIT_SIZE) this.logger.error(`timer store: no message at commit-log offset ${entry.pos} (timer queue offset ${entry.queueOffset}), skipped`);
      this.checkpoint.enqueueOffset = next;
      return;
    }
    const cursor = this.checkpoint.readCursorMs;
    const recallMarker = msg.getProperty(MessageConst.PROPERTY_TIMER_DEL_UNIQKEY) !== undefined;
    // A time already delivered (or in the slot being delivered, whose order is fixed: also after a restart in its
    // middle) goes to the next slot: delivered at once, never lost. A recall marker still joins that slot.
    const current = (this.delivering || this.checkpoint.slotDone > 0) && !recallMarker;
    const earliest = current ? cursor + this.precision : cursor;
    const out = Number(msg.getProperty(MessageConst.PROPERTY_TIMER_OUT_MS));
    let slot = Number.isFinite(out) ? Math.max(this.floor(out), earliest) : earliest;
    let flags = TIMER_UNIT_RECALL_KNOWN | (recallMarker ? TIMER_UNIT_RECALL : 0);
    const latest = cursor + this.wheel.windowMs - this.precision;
    if (slot > latest) {
      slot = latest;
      flags |= TIMER_UNIT_ROLL;
    }
    // Rolled on as soon as its slot comes; otherwise due when asked (never after the slot's end, where Java is).
    const asked = requestedDeliverTime(msg);
    if ((flags & TIMER_UNIT_ROLL) !== 0) flags = withDueOffset(flags, 0);
    else if (asked !== undefined) flags = withDueOffset(flags, Math.min(this.precision, Math.max(0, asked - slot)));
    if (recallMarker && this.delivering && slot === cursor) this.slotRecalled.add(msg.getProperty(MessageConst.PROPERTY_TIMER_DEL_UNIQKEY)!);
    const unit: TimerUnit = {
      flags,
      prevPos: this.wheel.get(slot)?.lastPos ?? -1,
      slotTimeMs: slot,
      commitLogOffset: entry.pos,
      timerQueueOffset: entry.queueOffset,
      enqueueTimeMs: this.floor(this.clock()), // TIMER_ENQUEUE_MS: Java writes the time rounded down to the precision
      size: entry.size,
    };
    const pos = this.log.append(unit);
    this.wheel.link(slot, pos);
    if ((flags & TIMER_UNIT_ROLL) === 0) {
      // A recall marker takes its message out of the pending count at once, as Java's.
      const delta = recallMarker ? -1 : 1;
      this.metrics.add(msg.getProperty(MessageConst.PROPERTY_REAL_TOPIC) ?? msg.topic, delta, unit.enqueueTimeMs);
    }
    // Counted when first filed: a roll-over comes back with TIMER_ROLL_TIMES and is the same message.
    if (msg.getProperty(MessageConst.PROPERTY_TIMER_ROLL_TIMES) === undefined) {
      const topic = msg.getProperty(MessageConst.PROPERTY_REAL_TOPIC) ?? msg.topic;
      this.enqueueTotal.set(topic, (this.enqueueTotal.get(topic) ?? 0) + 1);
      if (Number.isFinite(out) && msg.bornTimestamp > 0) this.delayLatency.record(Math.max(0, Math.floor((out - msg.bornTimestamp) / 1000)));
    }
    this.checkpoint.enqueueOffset = next;
    this.stats.enqueued++;
    this.stats.pending++;
    if (slot <= this.clock()) this.scheduleDelivery();
  }

  // ------------------------------------------------------------------------------------------------------------
  // Delivery: the read cursor walks the slots that came due

  private scheduleDelivery(): void {
    if (!this.started || this.deliverRun !== undefined) return;
    clearTimeout(this.deliverTimer);
    // A slot is taken when it begins; one with nothing filed yet is looked at again at its end (a filing wakes it).
    const slot = this.checkpoint.readCursorMs;
    const due = this.wheel.get(slot) === undefined ? slot + this.precision : slot;
    this.deliverTimer = setTimeout(() => {
      this.deliverTimer = undefined;
      this.deliverRun = this.deliverDue()
        .then(
          () => 0,
          (err: unknown) => {
            this.logger.error('timer delivery failed; retrying', err);
            return RETRY_AFTER_MILLIS;
          },
        )
        .then((pause) => {
          this.deliverRun = undefined;
          if (pause === 0) this.scheduleDelivery();
          else setTimeout(() => this.scheduleDelivery(), pause).unref?.();
        });
    }, Math.max(0, due - this.clock()));
  }

  /** Delivers every slot that has begun, in order; an empty one only once it is over. */
  private async deliverDue(): Promise<void> {
    let passed = 0;
    while (this.started && this.clock() >= this.checkpoint.readCursorMs) {
      const slot = this.checkpoint.readCursorMs;
      if (this.wheel.get(slot) !== undefined) {
        this.delivering = true;
        try {
          await this.deliverSlot(slot);
        } finally {
          this.delivering = false;
          this.slotRecalled = new Set();
        }
        if (!this.started) return;
        this.wheel.clear(slot);
      } else if (this.clock() < slot + this.precision) {
        return; // the slot is still open for filings
      } else if (this.stats.pending === 0) {
        // Nothing is filed anywhere: the cursor jumps to now.
        this.checkpoint.readCursorMs = Math.max(slot, this.floor(this.clock()) - this.precision);
      }
      this.checkpoint.readCursorMs += this.precision;
      this.checkpoint.slotDone = 0;
      this.checkpoint.write();
      if (++passed % SLOTS_PER_TURN === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Puts every unit of the slot back where it belongs as it comes due, in due order (then filing order), from where
   * a previous run stopped; recall markers are not deliveries.
   */
  private async deliverSlot(slot: number): Promise<void> {
    const chain = this.chainOf(slot);
    // Recall markers (RECALL_MESSAGE) of the slot cancel the messages they name: "<real topic>+<UNIQ_KEY>". Read
    // without bodies first; the messages themselves are read a batch at a time, so a crowded slot is not all in memory.
    const recalled = this.slotRecalled;
    const deliveries: { unit: TimerUnit; due: number; index: number }[] = [];
    chain.forEach((unit, index) => {
      const roll = (unit.flags & TIMER_UNIT_ROLL) !== 0;
      let marker = (unit.flags & TIMER_UNIT_RECALL) !== 0;
      if ((unit.flags & TIMER_UNIT_RECALL_KNOWN) === 0) {
        const key = this.propertiesAt(unit.commitLogOffset)?.getProperty(MessageConst.PROPERTY_TIMER_DEL_UNIQKEY);
        marker = key !== undefined;
        if (key !== undefined) recalled.add(key);
      } else if (marker) {
        const key = this.propertiesAt(unit.commitLogOffset)?.getProperty(MessageConst.PROPERTY_TIMER_DEL_UNIQKEY);
        if (key !== undefined) recalled.add(key);
      }
      // A marker rolls on with the message it names; in their slot it is no delivery.
      if (!marker || roll) deliveries.push({ unit, due: dueTimeOf(unit, this.precision), index });
    });
    deliveries.sort((a, b) => a.due - b.due || a.index - b.index);
    const first = this.checkpoint.slotDone;
    for (let i = first; i < deliveries.length && this.started; ) {
      const now = this.clock();
      if (deliveries[i]!.due > now) {
        await this.waitUntil(Math.max(deliveries[i]!.due, now + DUE_TICK_MILLIS));
        continue;
      }
      // The puts resolve in microtasks: without this turn a crowded slot would keep sends and pulls waiting.
      if (i > first) await new Promise<void>((resolve) => setImmediate(resolve));
      let end = i;
      while (end < deliveries.length && end - i < DELIVER_BATCH && deliveries[end]!.due <= now) end++;
      const batch = deliveries.slice(i, end).map((d) => d.unit);
      const copies = batch.map((unit) => this.copyFor(unit, this.store.lookMessageByOffset(unit.commitLogOffset), recalled));
      const identities = copies.map((copy) => (copy === undefined ? undefined : identityOf(copy)));
      // A batch begun before a crash or a failed put: what the commit log already holds is not written again.
      const written = this.checkpoint.intentPhyOffset >= 0 ? this.writtenSince(this.checkpoint.intentPhyOffset, identities) : new Set<string>();
      this.checkpoint.intentPhyOffset = this.store.getMaxPhyOffset();
      this.checkpoint.write();
      const puts: Promise<PutMessageResult>[] = [];
      copies.forEach((copy, k) => {
        if (copy !== undefined && !written.has(identities[k]!)) puts.push(this.store.putMessage(copy));
      });
      const results = await Promise.all(puts);
      const failed = results.find((r) => r.status !== 'PUT_OK' && r.status !== 'FLUSH_DISK_TIMEOUT');
      if (failed !== undefined) throw new Error(`a timer message is due but its put failed: ${failed.status}`);
      for (const copy of copies) {
        if (copy?.topic === TIMER_TOPIC) {
          this.stats.rolled++;
        } else if (copy !== undefined) {
          this.stats.delivered++;
          this.dequeueTotal.set(copy.topic, (this.dequeueTotal.get(copy.topic) ?? 0) + 1);
          this.metrics.add(copy.topic, -1, this.clock());
        }
      }
      this.stats.pending -= batch.length;
      this.checkpoint.slotDone = end;
      this.checkpoint.intentPhyOffset = -1;
      this.checkpoint.write();
      i = end;
    }
    // The slot's markers, those filed while it was delivered included, leave the pending count with it.
    if (this.started) this.stats.pending -= (this.wheel.get(slot)?.count ?? chain.length) - deliveries.length;
  }

  /** Resolves at `time`, or at once when the store shuts down. */
  private waitUntil(time: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.dueWait = undefined;
        resolve();
      }, Math.max(0, time - this.clock()));
      this.dueWait = { timer, resolve };
    });
  }

  /** The message at a commit-log offset without its body (what filing and the recall scan read), or null. */
  private propertiesAt(commitLogOffset: number): MessageExt | null {
    const record = this.store.selectOneMessageByOffset(commitLogOffset);
    if (record === null) return null;
    try {
      return decodeStoredMessage(record, 0, { readBody: false });
    } catch {
      return null;
    }
  }

  /** The slot's units in filing order (the chain runs from the last filed back to the first). */
  private chainOf(slot: number): TimerUnit[] {
    const entry = this.wheel.get(slot);
    if (entry === undefined) return [];
    const units: TimerUnit[] = [];
    let pos = entry.lastPos;
    for (let n = 0; n < entry.count && pos >= 0; n++) {
      const unit = this.log.read(pos);
      if (unit === undefined) {
        this.logger.error(`timer store: unit at ${pos} of slot ${slot} is unreadable; ${entry.count - n} units of the slot lost`);
        break;
      }
      units.push(unit);
      pos = unit.prevPos;
    }
    return units.reverse();
  }

  /**
   * TimerMessageStore.convertMessage: the message back on REAL_TOPIC / REAL_QID with TIMER_ENQUEUE_MS and
   * TIMER_DEQUEUE_MS, or, for a rolled unit, again in the timer topic with TIMER_ROLL_TIMES + 1. REAL_TOPIC and
   * REAL_QID stay in the properties: Java stores the string it built before removing them.
   */
  private copyFor(unit: TimerUnit, msg: MessageExt | null, recalled: ReadonlySet<string>): MessageExtBrokerInner | undefined {
    // A recall marker is never delivered (only rolled on, like the message it names, to their common slot); a
    // message it names is dropped there (it left the metrics when the marker came).
    const roll = (unit.flags & TIMER_UNIT_ROLL) !== 0;
    if (!roll && msg?.getProperty(MessageConst.PROPERTY_TIMER_DEL_UNIQKEY) !== undefined) return undefined;
    const realTopic = msg?.getProperty(MessageConst.PROPERTY_REAL_TOPIC);
    const realQueueId = Number(msg?.getProperty(MessageConst.PROPERTY_REAL_QUEUE_ID));
    if (msg === null || msg === undefined || realTopic === undefined || !Number.isInteger(realQueueId)) {
      this.logger.error(`timer store: the message at commit-log offset ${unit.commitLogOffset} is unreadable or has no real topic, dropped`);
      return undefined;
    }
    if (!roll && recalled.has(`${realTopic}+${msg.getProperty(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX) ?? ''}`)) {
      this.stats.recalled++;
      return undefined;
    }
    const copy = MessageExtBrokerInner.copyOf(msg);
    copy.properties.set(MessageConst.PROPERTY_TIMER_ENQUEUE_MS, String(unit.enqueueTimeMs));
    copy.properties.set(MessageConst.PROPERTY_TIMER_DEQUEUE_MS, String(this.clock()));
    if (roll) {
      const rolled = Number(msg.getProperty(MessageConst.PROPERTY_TIMER_ROLL_TIMES) ?? 0);
      copy.properties.set(MessageConst.PROPERTY_TIMER_ROLL_TIMES, String((Number.isInteger(rolled) ? rolled : 0) + 1));
      copy.topic = TIMER_TOPIC;
      copy.queueId = 0;
    } else {
      copy.topic = realTopic;
      copy.queueId = realQueueId;
    }
    return copy;
  }

  /** The identities (see identityOf) among `wanted` of the records written from `phyOffset` to the log's end. */
  private writtenSince(phyOffset: number, wanted: readonly (string | undefined)[]): Set<string> {
    const want = new Set(wanted.filter((w): w is string => w !== undefined));
    const found = new Set<string>();
    const segment = this.options.config.mappedFileSizeCommitLog;
    const end = this.store.getMaxPhyOffset();
    let offset = phyOffset;
    while (offset < end && found.size < want.size) {
      const msg = this.store.lookMessageByOffset(offset);
      if (msg === null || msg.storeSize <= 0) {
        offset = offset - (offset % segment) + segment; // the filler at a segment's end
        continue;
      }
      const identity = identityOf(msg);
      if (identity !== undefined && want.has(identity)) found.add(identity);
      offset += msg.storeSize;
    }
    if (found.size > 0) this.logger.warn(`timer store: ${found.size} deliveries were written before a crash or failure; not written again`);
    return found;
  }
}

/**
 * What tells a timer copy apart: its UNIQ_KEY, TIMER_OUT_MS, roll count and whether it is a delivery or a roll.
 * Undefined for a record that is neither (everything else in the commit log).
 */
function identityOf(msg: MessageExt): string | undefined {
  const out = msg.getProperty(MessageConst.PROPERTY_TIMER_OUT_MS);
  const dequeued = msg.getProperty(MessageConst.PROPERTY_TIMER_DEQUEUE_MS);
  if (out === undefined || dequeued === undefined) return undefined;
  const kind = `${msg.topic === TIMER_TOPIC ? 'roll' : 'deliver'}${msg.getProperty(MessageConst.PROPERTY_TIMER_DEL_UNIQKEY) === undefined ? '' : '-recall'}`;
  return `${kind}|${msg.getProperty(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX) ?? ''}|${out}|${msg.getProperty(MessageConst.PROPERTY_TIMER_ROLL_TIMES) ?? '0'}`;
}

/**
 * The time the sender asked for, as the put hook computed it (TIMER_DELAY_SEC, else TIMER_DELAY_MS, both from the
 * put, else TIMER_DELIVER_MS), or undefined when it cannot be told again. The record's store time is taken at the put
 * right after the hook, so it is never earlier than the hook's clock; a roll-over's put is not the first one.
 */
function requestedDeliverTime(msg: MessageExt): number | undefined {
  const integer = (text: string | undefined): number | undefined => {
    const n = text === undefined ? NaN : Number(text);
    return Number.isSafeInteger(n) ? n : undefined;
  };
  const firstPut = msg.getProperty(MessageConst.PROPERTY_TIMER_ROLL_TIMES) === undefined;
  const seconds = msg.getProperty(MessageConst.PROPERTY_TIMER_DELAY_SEC);
  if (seconds !== undefined) {
    const n = integer(seconds);
    return firstPut && n !== undefined ? msg.storeTimestamp + n * 1000 : undefined;
  }
  const millis = msg.getProperty(MessageConst.PROPERTY_TIMER_DELAY_MS);
  if (millis !== undefined) {
    const n = integer(millis);
    return firstPut && n !== undefined ? msg.storeTimestamp + n : undefined;
  }
  return integer(msg.getProperty(MessageConst.PROPERTY_TIMER_DELIVER_MS));
}
