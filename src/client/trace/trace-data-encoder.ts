import { MessageConst } from '../../protocol/message/message-const.js';
import type { TraceContext } from './trace-context.js';

/** TraceConstants.CONTENT_SPLITOR: between the fields of a record. */
export const CONTENT_SPLITOR = '\u0001';
/** TraceConstants.FIELD_SPLITOR: after each record. */
export const FIELD_SPLITOR = '\u0002';

/** A context as it goes into a trace message: its records, and the keys the trace message is indexed by. */
export interface TraceTransferBean {
  readonly transData: string;
  /** The traced messages' msgIds and their own keys: what the dashboard queries the trace topic by. */
  readonly transKeys: readonly string[];
}

/**
 * TraceDataEncoder.encoderFromContextBean: the record text Java's decoderFromTraceDataString and the dashboard
 * read. SubAfter carries the timestamp and group (Java leaves them out only for AccessChannel.CLOUD).
 */
export function encodeTraceContext(ctx: TraceContext): TraceTransferBean {
  switch (ctx.traceType) {
    case 'Pub':
      return {
        transData: record([
          'Pub', ctx.timeStamp, ctx.regionId, ctx.groupName, ctx.topic, ctx.msgId, ctx.tags, ctx.keys, ctx.storeHost,
          ctx.bodyLength, ctx.costTime, ctx.msgType, ctx.offsetMsgId, ctx.success,
        ]),
        transKeys: keysOf([ctx]),
      };
    case 'SubBefore':
      return {
        transData: ctx.beans
          .map((bean) => record(['SubBefore', ctx.timeStamp, ctx.regionId, ctx.groupName, ctx.requestId, bean.msgId, bean.retryTimes, bean.keys]))
          .join(''),
        transKeys: keysOf(ctx.beans),
      };
    case 'SubAfter':
      return {
        transData: ctx.beans
          .map((bean) => record(['SubAfter', ctx.requestId, bean.msgId, ctx.costTime, ctx.success, bean.keys, ctx.contextCode, ctx.timeStamp, ctx.groupName]))
          .join(''),
        transKeys: keysOf(ctx.beans),
      };
    case 'EndTransaction':
      return {
        transData: record([
          'EndTransaction', ctx.timeStamp, ctx.regionId, ctx.groupName, ctx.topic, ctx.msgId, ctx.tags, ctx.keys,
          ctx.storeHost, ctx.msgType, ctx.transactionId, ctx.transactionState, ctx.fromTransactionCheck,
        ]),
        transKeys: keysOf([ctx]),
      };
  }
}

type Field = string | number | boolean | null;

/** Java's StringBuilder.append: null prints as "null". Concatenated, not joined: this runs twice per consumed message. */
function record(fields: readonly Field[]): string {
  let line = String(fields[0]);
  for (let i = 1; i < fields.length; i++) line += CONTENT_SPLITOR + String(fields[i]);
  return line + FIELD_SPLITOR;
}

function keysOf(beans: readonly { msgId: string; keys: string | null }[]): string[] {
  const keys: string[] = [];
  for (const bean of beans) {
    keys.push(bean.msgId);
    if (bean.keys !== null) for (const key of bean.keys.split(MessageConst.KEY_SEPARATOR)) if (key !== '') keys.push(key);
  }
  return keys;
}

