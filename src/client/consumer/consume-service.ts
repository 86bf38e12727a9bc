import type { Logger } from '../../common/logger.js';
import type { MessageQueue } from '../../protocol/bodies/message-queue.js';
import { MessageConst } from '../../protocol/message/message-const.js';
import type { MessageExt } from '../../protocol/message/message.js';
import { toConsumerMessage, type ConsumerMessage } from './consumer-message.js';
import type { ProcessQueue } from './process-queue.js';

/** What a listener may return; anything else (undefined included) is success, a throw is RECONSUME_LATER. */
export type ConsumeResult = 'CONSUME_SUCCESS' | 'RECONSUME_LATER' | void;
export type MessageListener = (msg: ConsumerMessage) => ConsumeResult | Promise<ConsumeResult>;

/** ConsumeMessageService.java: what the pull loop hands pulled messages to. */
export interface ConsumeMessageService {
  submitConsumeRequest(msgs: MessageExt[], pq: ProcessQueue, mq: MessageQueue, dispatchToConsume: boolean): void;
  /** Stops taking work and waits (up to `timeoutMillis`) for consumption in progress to finish. */
  shutdown(timeoutMillis: number): Promise<void>;
}

/** The consumer's side the services call back into. */
export interface ConsumeContext {
  readonly consumerGroup: string;
  readonly logger: Logger;
  listener(topic: string): MessageListener | undefined;
  /** CONSUMER_SEND_MSG_BACK to the broker the message came from; false when that failed. */
  sendMessageBack(msg: MessageExt, delayLevel: number, brokerName: string): Promise<boolean>;
  updateOffset(mq: MessageQueue, offset: number, increaseOnly: boolean): void;
  /** A timer the consumer cancels on shutdown. */
  later(delayMillis: number, task: () => void | Promise<void>): void;
}

/** Runs one listener call; true on success. Never throws. */
export async function callListener(ctx: ConsumeContext, msg: MessageExt, brokerName: string): Promise<boolean> {
  const listener = ctx.listener(msg.topic);
  if (listener === undefined) {
    ctx.logger.warn(`no listener for topic ${msg.topic}; the message is retried later`);
    return false;
  }
  msg.putProperty(MessageConst.PROPERTY_CONSUME_START_TIMESTAMP, String(Date.now()));
  try {
    return (await listener(toConsumerMessage(msg, brokerName))) !== 'RECONSUME_LATER';
  } catch (err) {
    ctx.logger.warn(`the listener of ${ctx.consumerGroup} threw on ${msg.topic} ${msg.msgId}; retrying later`, err);
    return false;
  }
}

/** At most `limit` async tasks run at once (the consume thread pool); the rest wait in order. */
export class TaskLimiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly limit: number) {}

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  run(task: () => Promise<void>): void {
    const start = (): void => {
      this.running++;
      const done = task().finally(() => {
        this.running--;
        this.inFlight.delete(done);
        this.waiting.shift()?.();
      });
      this.inFlight.add(done);
    };
    if (this.running < this.limit) start();
    else this.waiting.push(start);
  }

  /** Forgets what has not started, then waits for what runs, up to `timeoutMillis`. */
  async drain(timeoutMillis: number): Promise<void> {
    this.waiting.length = 0;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMillis)));
    await Promise.race([Promise.allSettled([...this.inFlight]), timeout]);
    clearTimeout(timer);
  }
}
