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

/**
 * How a listener call ended, by ConsumeReturnType's names (a trace's SubAfter records which): SUCCESS, FAILED
 * (RECONSUME_LATER, or no listener) or EXCEPTION (it threw or its promise rejected).
 */
export type ListenerOutcome = 'SUCCESS' | 'FAILED' | 'EXCEPTION';

/**
 * Runs one listener call. The answer is a promise only when the listener returned one, so a synchronous listener
 * costs no promise and no microtask turn. Never throws; the promise never rejects.
 */
export function invokeListener(ctx: ConsumeContext, msg: MessageExt, brokerName: string): ListenerOutcome | Promise<ListenerOutcome> {
  const listener = ctx.listener(msg.topic);
  if (listener === undefined) {
    ctx.logger.warn(`no listener for topic ${msg.topic}; the message is retried later`);
    return 'FAILED';
  }
  msg.putProperty(MessageConst.PROPERTY_CONSUME_START_TIMESTAMP, consumeStartTimestamp());
  const threw = (err: unknown): 'EXCEPTION' => {
    ctx.logger.warn(`the listener of ${ctx.consumerGroup} threw on ${msg.topic} ${msg.msgId}; retrying later`, err);
    return 'EXCEPTION';
  };
  let result: ConsumeResult | Promise<ConsumeResult>;
  try {
    result = listener(toConsumerMessage(msg, brokerName));
  } catch (err) {
    return threw(err);
  }
  if (isThenable(result)) return Promise.resolve(result).then(outcomeOf, threw);
  return outcomeOf(result);
}

/** invokeListener, always as a promise, for the paths that consume one message at a time anyway. */
export async function callListener(ctx: ConsumeContext, msg: MessageExt, brokerName: string): Promise<ListenerOutcome> {
  return invokeListener(ctx, msg, brokerName);
}

function outcomeOf(result: ConsumeResult): ListenerOutcome {
  return result === 'RECONSUME_LATER' ? 'FAILED' : 'SUCCESS';
}

// Many messages start within one millisecond: their timestamp text is made once.
let lastStart = 0;
let lastStartText = '0';

function consumeStartTimestamp(): string {
  const now = Date.now();
  if (now !== lastStart) {
    lastStart = now;
    lastStartText = String(now);
  }
  return lastStartText;
}

function isThenable(value: unknown): value is PromiseLike<ConsumeResult> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
