import type { MessageModel } from '../../protocol/bodies/heartbeat-data.js';
import type { MessageQueue } from '../../protocol/bodies/message-queue.js';
import type { MessageExt } from '../../protocol/message/message.js';
import { callListener, TaskLimiter, type ConsumeContext, type ConsumeMessageService } from './consume-service.js';
import type { ConsumeInstrumentation } from '../instrumentation.js';
import type { ProcessQueue } from './process-queue.js';

/** Java's submitConsumeRequestLater: a message the broker did not take back is consumed again locally after 5 s. */
const LOCAL_RETRY_DELAY_MILLIS = 5000;

/**
 * ConsumeMessageConcurrentlyService.java: every message is its own task (consumeMessageBatchMaxSize 1), at most
 * `concurrency` at once. A failure goes back to the broker (CONSUMER_SEND_MSG_BACK, delay level by reconsume
 * count); only if that fails is it kept and retried here. The committed offset is the lowest still held.
 */
export class ConsumeMessageConcurrentlyService implements ConsumeMessageService {
  private readonly limiter: TaskLimiter;
  private stopped = false;

  constructor(
    private readonly ctx: ConsumeContext,
    private readonly messageModel: MessageModel,
    concurrency: number,
    private readonly events?: ConsumeInstrumentation,
  ) {
    this.limiter = new TaskLimiter(concurrency);
  }

  get activeCount(): number {
    return this.limiter.active;
  }

  submitConsumeRequest(msgs: MessageExt[], pq: ProcessQueue, mq: MessageQueue): void {
    for (const msg of msgs) this.limiter.run(() => this.consume(msg, pq, mq));
  }

  async shutdown(timeoutMillis: number): Promise<void> {
    this.stopped = true;
    await this.limiter.drain(timeoutMillis);
  }

  private async consume(msg: MessageExt, pq: ProcessQueue, mq: MessageQueue): Promise<void> {
    if (pq.dropped || this.stopped) return;
    const begin = this.events?.start(mq, [msg]) ?? 0;
    const ok = await callListener(this.ctx, msg, mq.brokerName);
    this.events?.end(mq, [msg], ok, begin);
    // A queue given away meanwhile: its new owner consumes from the committed offset, so do not commit here.
    if (pq.dropped) return;
    let retryLocally = false;
    if (!ok) {
      if (this.messageModel === 'BROADCASTING') {
        this.ctx.logger.warn(`broadcasting: ${msg.topic} ${msg.msgId} failed and is dropped, as Java does`);
      } else if (!(await this.ctx.sendMessageBack(msg, 0, mq.brokerName))) {
        msg.reconsumeTimes++;
        retryLocally = true;
      }
    }
    if (retryLocally) {
      this.ctx.later(LOCAL_RETRY_DELAY_MILLIS, () => {
        if (!this.stopped) this.submitConsumeRequest([msg], pq, mq);
      });
      return;
    }
    const offset = pq.removeMessage([msg]);
    if (offset >= 0 && !pq.dropped) this.ctx.updateOffset(mq, offset, true);
  }
}
