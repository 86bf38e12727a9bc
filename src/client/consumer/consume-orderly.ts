import type { MessageModel } from '../../protocol/bodies/heartbeat-data.js';
import type { MessageQueue } from '../../protocol/bodies/message-queue.js';
import { MessageConst } from '../../protocol/message/message-const.js';
import type { MessageExt } from '../../protocol/message/message.js';
import { callListener, type ConsumeContext, type ConsumeMessageService, type ListenerOutcome } from './consume-service.js';
import type { ConsumeInstrumentation } from '../instrumentation.js';
import type { ConsumeMessageTraceHook } from '../trace/consume-message-trace-hook.js';
import type { ProcessQueue } from './process-queue.js';
import type { ConsumerStatsManager } from './consumer-stats-manager.js';

/** ConsumeMessageOrderlyService: a queue yields to the others after a minute of continuous consumption. */
const MAX_TIME_CONSUME_CONTINUOUSLY = 60_000;
/** Java's delays before trying a queue whose lock is missing: soon if the lock was just taken, else 3 s. */
const RELOCK_DELAY_MILLIS = 3000;
/** consumeMessageBatchMaxSize. */
const BATCH_SIZE = 1;

/**
 * ConsumeMessageOrderlyService.java: one message at a time per queue, in offset order, and (clustering) only
 * while this client holds the broker's lock on the queue. A failure suspends the queue for
 * suspendCurrentQueueTimeMillis and consumes the same message again, up to maxReconsumeTimes; past that the
 * message goes to the dead-letter queue (CONSUMER_SEND_MSG_BACK with delay level -1) and the queue moves on.
 */
export class ConsumeMessageOrderlyService implements ConsumeMessageService {
  private readonly running = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly ctx: ConsumeContext,
    private readonly messageModel: MessageModel,
    private readonly maxReconsumeTimes: number,
    private readonly suspendCurrentQueueTimeMillis: number,
    private readonly stats: ConsumerStatsManager,
    private readonly events?: ConsumeInstrumentation,
    private readonly trace?: ConsumeMessageTraceHook,
  ) {}

  submitConsumeRequest(_msgs: MessageExt[], pq: ProcessQueue, mq: MessageQueue, dispatchToConsume: boolean): void {
    if (dispatchToConsume) this.start(pq, mq);
  }

  async shutdown(timeoutMillis: number): Promise<void> {
    this.stopped = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMillis)));
    await Promise.race([Promise.allSettled([...this.running]), timeout]);
    clearTimeout(timer);
  }

  private start(pq: ProcessQueue, mq: MessageQueue): void {
    const run = this.consumeQueue(pq, mq).finally(() => this.running.delete(run));
    this.running.add(run);
  }

  private later(pq: ProcessQueue, mq: MessageQueue, delayMillis: number): void {
    this.ctx.later(delayMillis, () => {
      if (!this.stopped && !pq.dropped) this.start(pq, mq);
    });
  }

  /** Consumes until the queue is empty; `pq.consuming` stays true while a later run is scheduled. */
  private async consumeQueue(pq: ProcessQueue, mq: MessageQueue): Promise<void> {
    const begin = Date.now();
    // Bounded: each pass consumes one message or leaves.
    for (;;) {
      if (pq.dropped || this.stopped) return;
      if (this.messageModel === 'CLUSTERING' && (!pq.locked || pq.isLockExpired())) {
        this.later(pq, mq, RELOCK_DELAY_MILLIS);
        return;
      }
      if (Date.now() - begin > MAX_TIME_CONSUME_CONTINUOUSLY) {
        this.later(pq, mq, 10);
        return;
      }
      const msgs = pq.takeMessages(BATCH_SIZE);
      if (msgs.length === 0) return;
      let outcome: ListenerOutcome = 'SUCCESS';
      const consumeBegin = this.events?.start(mq, msgs) ?? 0;
      const traced = this.trace?.consumeMessageBefore(msgs);
      const started = performance.now();
      for (const msg of msgs) {
        const returned = await callListener(this.ctx, msg, mq.brokerName);
        if (returned !== 'SUCCESS') outcome = returned;
      }
      const ok = outcome === 'SUCCESS';
      // Java's consume RT of the request, and processConsumeResult: SUCCESS counts the batch OK, SUSPEND failed.
      this.stats.incConsumeRT(this.ctx.consumerGroup, mq.topic, performance.now() - started);
      if (ok) this.stats.incConsumeOKTPS(this.ctx.consumerGroup, mq.topic, msgs.length);
      else this.stats.incConsumeFailedTPS(this.ctx.consumerGroup, mq.topic, msgs.length);
      this.events?.end(mq, msgs, ok, consumeBegin);
      this.trace?.consumeMessageAfter(traced, msgs.length, outcome);
      if (pq.dropped) return;
      if (!ok && (await this.checkReconsumeTimes(msgs, mq))) {
        pq.makeMessageToConsumeAgain(msgs);
        this.later(pq, mq, this.suspendCurrentQueueTimeMillis);
        return;
      }
      const offset = pq.commit();
      if (offset >= 0) this.ctx.updateOffset(mq, offset, false);
    }
  }

  /** True when the batch must be consumed again (some message may still be retried, or its DLQ send failed). */
  private async checkReconsumeTimes(msgs: readonly MessageExt[], mq: MessageQueue): Promise<boolean> {
    let suspend = false;
    for (const msg of msgs) {
      if (msg.reconsumeTimes >= this.maxReconsumeTimes) {
        msg.putProperty(MessageConst.PROPERTY_RECONSUME_TIME, String(msg.reconsumeTimes));
        if (await this.ctx.sendMessageBack(msg, -1, mq.brokerName)) continue;
      }
      suspend = true;
      msg.reconsumeTimes++;
    }
    return suspend;
  }
}
