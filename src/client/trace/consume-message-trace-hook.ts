import { MessageConst } from '../../protocol/message/message-const.js';
import type { MessageExt } from '../../protocol/message/message.js';
import type { AsyncTraceDispatcher } from './async-trace-dispatcher.js';
import { ConsumeReturnType, type ConsumeReturnTypeName, type SubBean, type SubBeforeContext } from './trace-context.js';

/**
 * ConsumeMessageTraceHookImpl: a SubBefore record before the listener gets messages, and a SubAfter with its
 * outcome, both under one request id. Messages the broker marked TRACE_ON=false are left out; messages with no
 * MSG_REGION are not traced at all (Java 5.x's dispatcher drops contexts without a region).
 */
export class ConsumeMessageTraceHook {
  constructor(
    private readonly dispatcher: AsyncTraceDispatcher,
    /** The consumer group without the namespace. */
    private readonly groupName: string,
    /** A fresh id in the UNIQ_KEY form, for the request id (TraceContext's createUniqID). */
    private readonly createRequestId: () => string,
  ) {}

  /** Appends the SubBefore record; what it returns goes to consumeMessageAfter (undefined: nothing traced). */
  consumeMessageBefore(msgs: readonly MessageExt[]): SubBeforeContext | undefined {
    let regionId: string | undefined;
    const beans: SubBean[] = [];
    for (const msg of msgs) {
      if (msg.getProperty(MessageConst.PROPERTY_TRACE_SWITCH) === 'false') continue;
      regionId = msg.getProperty(MessageConst.PROPERTY_MSG_REGION);
      // MessageClientExt.getMsgId: the producer's UNIQ_KEY when there is one.
      beans.push({ msgId: msg.uniqKey ?? msg.msgId, keys: msg.keys ?? null, retryTimes: msg.reconsumeTimes });
    }
    if (beans.length === 0 || regionId === undefined) return undefined;
    const ctx: SubBeforeContext = {
      traceType: 'SubBefore',
      timeStamp: Date.now(),
      regionId,
      groupName: this.groupName,
      requestId: this.createRequestId(),
      beans,
    };
    this.dispatcher.append(ctx);
    return ctx;
  }

  /** Appends the SubAfter record of a listener call over `msgCount` messages. */
  consumeMessageAfter(before: SubBeforeContext | undefined, msgCount: number, returnType: ConsumeReturnTypeName): void {
    if (before === undefined) return;
    const now = Date.now();
    this.dispatcher.append({
      traceType: 'SubAfter',
      requestId: before.requestId,
      costTime: Math.trunc((now - before.timeStamp) / msgCount),
      success: returnType === 'SUCCESS',
      contextCode: ConsumeReturnType[returnType],
      timeStamp: now,
      groupName: this.groupName,
      beans: before.beans,
    });
  }
}
