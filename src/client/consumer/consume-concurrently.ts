import type { MessageModel } from '../../protocol/bodies/heartbeat-data.js';
import type { MessageQueue } from '../../protocol/bodies/message-queue.js';
import type { MessageExt } from '../../protocol/message/message.js';
import type { ConsumeInstrumentation } from '../instrumentation.js';
import type { ConsumeMessageTraceHook } from '../trace/consume-message-trace-hook.js';
import type { ConsumerStatsManager } from './consumer-stats-manager.js';
import { invokeListener, type ConsumeContext, type ConsumeMessageService } from './consume-service.js';
import type { ProcessQueue } from './process-queue.js';

/** Java's submitConsumeRequestLater: a message the broker did not take back is consumed again locally after 5 s. */
const LOCAL_RETRY_DELAY_MILLIS = 5000;
/**
 * How long one turn of consumption may run before it yields to the event loop, so that pull responses and the
 * next pulls get through while a backlog is consumed (Java's pull thread and consume threads run side by side).
 * Too short a turn starves consumption instead: pulls then fill the process queues past pullThresholdForQueue
 * and each stalls for 50 ms of flow control (with 64 calls a turn, against the Java broker: 300-400 stalls a
 * second and 104k msg/s; with this budget, about 20 and 121-131k).
 */
const TURN_BUDGET_MILLIS = 2;
/** The clock is read once every this many listener calls. */
const CALLS_PER_CLOCK_READ = 8;

/** The messages of one pull, waiting from `next` on: one entry per batch, not one per message. */
interface PulledBatch {
  readonly msgs: readonly MessageExt[];
  readonly pq: ProcessQueue;
  readonly mq: MessageQueue;
  next: number;
}

/**
 * ConsumeMessageConcurrentlyService.java: every message is its own consume request (consumeMessageBatchMaxSize 1),
 * taken in arrival order, with at most `concurrency` listener calls in progress (the consume thread pool). A
 * failure goes back to the broker (CONSUMER_SEND_MSG_BACK, delay level by reconsume count); only if that fails is
 * it kept and retried here. The committed offset is the lowest still held.
 */
export class ConsumeMessageConcurrentlyService implements ConsumeMessageService {
  /** Batches not fully started yet, from `head` on (a queue without per-shift copying). */
  private waiting: (PulledBatch | undefined)[] = [];
  private head = 0;
  /** Listener calls in progress, a failure's send-back included. */
  private running = 0;
  /** The calls that did not finish within their turn: what shutdown waits for. */
  private readonly inFlight = new Set<Promise<void>>();
  private turnScheduled = false;
  private stopped = false;

  constructor(
    private readonly ctx: ConsumeContext,
    private readonly messageModel: MessageModel,
    private readonly concurrency: number,
    private readonly stats: ConsumerStatsManager,
    private readonly events?: ConsumeInstrumentation,
    private readonly trace?: ConsumeMessageTraceHook,
  ) {}

  get activeCount(): number {
    return this.running;
  }

  submitConsumeRequest(msgs: MessageExt[], pq: ProcessQueue, mq: MessageQueue): void {
    if (this.stopped) return;
    if (msgs.length === 0) return;
    this.waiting.push({ msgs, pq, mq, next: 0 });
    this.scheduleTurn();
  }

  /** Forgets what has not started, then waits for the calls in progress, up to `timeoutMillis`. */
  async shutdown(timeoutMillis: number): Promise<void> {
    this.stopped = true;
    this.waiting = [];
    this.head = 0;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMillis)));
    await Promise.race([Promise.allSettled([...this.inFlight]), timeout]);
    clearTimeout(timer);
  }

  private scheduleTurn(): void {
    if (this.turnScheduled || this.stopped || this.head === this.waiting.length || this.running >= this.concurrency) return;
    this.turnScheduled = true;
    setImmediate(this.turn);
  }

  private readonly turn = (): void => {
    this.turnScheduled = false;
    const deadline = performance.now() + TURN_BUDGET_MILLIS;
    for (let started = 1; this.running < this.concurrency && this.head < this.waiting.length && !this.stopped; started++) {
      const batch = this.waiting[this.head] as PulledBatch;
      const msg = batch.msgs[batch.next++] as MessageExt;
      if (batch.next === batch.msgs.length) this.waiting[this.head++] = undefined;
      this.consume(msg, batch.pq, batch.mq);
      if (started % CALLS_PER_CLOCK_READ === 0 && performance.now() >= deadline) break;
    }
    if (this.head === this.waiting.length) {
      this.waiting = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    this.scheduleTurn();
  };

  private consume(msg: MessageExt, pq: ProcessQueue, mq: MessageQueue): void {
    if (pq.dropped) return;
    this.running++;
    const events = this.events;
    const begin = events?.start(mq, [msg]) ?? 0;
    const traced = this.trace?.consumeMessageBefore([msg]);
    const started = performance.now();
    const result = invokeListener(this.ctx, msg, mq.brokerName);
    if (result === 'SUCCESS') {
      this.count(mq, started, true);
      events?.end(mq, [msg], true, begin);
      this.trace?.consumeMessageAfter(traced, 1, result);
      this.running--;
      this.consumed(msg, pq, mq);
      return;
    }
    if (typeof result === 'string') {
      this.count(mq, started, false);
      events?.end(mq, [msg], false, begin);
      this.trace?.consumeMessageAfter(traced, 1, result);
    }
    const outcome = typeof result === 'string' ? this.failed(msg, pq, mq) : result.then((returned) => {
      const success = returned === 'SUCCESS';
      this.count(mq, started, success);
      events?.end(mq, [msg], success, begin);
      this.trace?.consumeMessageAfter(traced, 1, returned);
      return success ? this.consumed(msg, pq, mq) : this.failed(msg, pq, mq);
    });
    const done = outcome
      .catch((err: unknown) => this.ctx.logger.error(`consuming ${msg.msgId} failed unexpectedly`, err))
      .finally(() => {
        this.running--;
        this.inFlight.delete(done);
        this.scheduleTurn();
      });
    this.inFlight.add(done);
  }

  /**
   * ConsumeRequest.run's consume RT and processConsumeResult's counts: one message per request, so it is one OK or
   * one failure (Java also adds a 0 to the other counter, which changes no figure it reports).
   */
  private count(mq: MessageQueue, started: number, ok: boolean): void {
    const group = this.ctx.consumerGroup;
    this.stats.incConsumeRT(group, mq.topic, performance.now() - started);
    if (ok) this.stats.incConsumeOKTPS(group, mq.topic, 1);
    else this.stats.incConsumeFailedTPS(group, mq.topic, 1);
  }

  /** processConsumeResult for a success: forget the message and commit the lowest offset still held. */
  private consumed(msg: MessageExt, pq: ProcessQueue, mq: MessageQueue): void {
    // A queue given away meanwhile: its new owner consumes from the committed offset, so do not commit here.
    if (pq.dropped) return;
    const offset = pq.removeMessage([msg]);
    if (offset >= 0) this.ctx.updateOffset(mq, offset, true);
  }

  private async failed(msg: MessageExt, pq: ProcessQueue, mq: MessageQueue): Promise<void> {
    if (pq.dropped) return;
    if (this.messageModel === 'BROADCASTING') {
      this.ctx.logger.warn(`broadcasting: ${msg.topic} ${msg.msgId} failed and is dropped, as Java does`);
    } else if (!(await this.ctx.sendMessageBack(msg, 0, mq.brokerName))) {
      msg.reconsumeTimes++;
      this.ctx.later(LOCAL_RETRY_DELAY_MILLIS, () => this.submitConsumeRequest([msg], pq, mq));
      return;
    }
    this.consumed(msg, pq, mq);
  }
}
