import { MessageConst } from '../../protocol/message/message-const.js';
import type { EndTransactionContext, MessageTypeOrdinal, TraceContext } from './trace-context.js';

/** TraceConstants.CONTENT_SPLITOR: between the fields of a record. */
export const CONTENT_SPLITOR = '\u0001';
/** TraceConstants.FIELD_SPLITOR: after each record. */
export const FIELD_SPLITOR = '\u0002';

/**
 * TraceDataEncoder.encoderFromContextBean's text: the records Java's decoderFromTraceDataString and the dashboard
 * read, one per message of the context. SubAfter carries the timestamp and group (Java leaves them out only for
 * AccessChannel.CLOUD).
 */
export function encodeTraceData(ctx: TraceContext): string {
  switch (ctx.traceType) {
    // A record per message sent, two per message consumed: written out rather than through record(), which would
    // build an array of fields for each. A template prints null, numbers and booleans as String() does. The
    // literal \u0001 and \u0002 are CONTENT_SPLITOR and FIELD_SPLITOR.
    case 'Pub':
      return (
        `Pub\u0001${ctx.timeStamp}\u0001${ctx.regionId}\u0001${ctx.groupName}\u0001${ctx.topic}\u0001${ctx.msgId}\u0001${ctx.tags}\u0001${ctx.keys}` +
        `\u0001${ctx.storeHost}\u0001${ctx.bodyLength}\u0001${ctx.costTime}\u0001${ctx.msgType}\u0001${ctx.offsetMsgId}\u0001${ctx.success}\u0002`
      );
    case 'SubBefore': {
      let data = '';
      for (const bean of ctx.beans) {
        data += `SubBefore\u0001${ctx.timeStamp}\u0001${ctx.regionId}\u0001${ctx.groupName}\u0001${ctx.requestId}\u0001${bean.msgId}\u0001${bean.retryTimes}\u0001${bean.keys}\u0002`;
      }
      return data;
    }
    case 'SubAfter': {
      let data = '';
      const tail = `\u0001${ctx.contextCode}\u0001${ctx.timeStamp}\u0001${ctx.groupName}\u0002`;
      for (const bean of ctx.beans) data += `SubAfter\u0001${ctx.requestId}\u0001${bean.msgId}\u0001${ctx.costTime}\u0001${ctx.success}\u0001${bean.keys}${tail}`;
      return data;
    }
    case 'EndTransaction':
      return record([
        'EndTransaction', ctx.timeStamp, ctx.regionId, ctx.groupName, ctx.topic, ctx.msgId, ctx.tags, ctx.keys,
        ctx.storeHost, ctx.msgType, ctx.transactionId, ctx.transactionState, ctx.fromTransactionCheck,
      ]);
    case 'Recall':
      return record(['Recall', ctx.timeStamp, ctx.regionId, ctx.groupName, ctx.topic, ctx.msgId, ctx.success]);
  }
}

/**
 * encoderFromContextBean's transKey: the traced messages' msgIds and their own keys, which the trace message is
 * indexed by (what the dashboard queries the trace topic by), added to `keys` (a trace message's set, as Java's
 * keySet). Returns the UTF-8 bytes the new keys add to the KEYS property, a separator each.
 */
export function addTraceKeys(ctx: TraceContext, keys: Set<string>): number {
  if (ctx.traceType === 'Pub' || ctx.traceType === 'EndTransaction') return addKeys(ctx.msgId, ctx.keys, keys);
  if (ctx.traceType === 'Recall') return addKeys(ctx.msgId, null, keys);
  let bytes = 0;
  for (const bean of ctx.beans) bytes += addKeys(bean.msgId, bean.keys, keys);
  return bytes;
}

/**
 * At most the UTF-8 bytes addTraceKeys can add for `ctx` (a UTF-16 unit is at most 3 bytes), without looking at
 * which keys are new: what a trace message must have room for before the context's records go in it.
 */
export function traceKeysBound(ctx: TraceContext): number {
  if (ctx.traceType === 'Pub' || ctx.traceType === 'EndTransaction') return 3 * (ctx.msgId.length + (ctx.keys?.length ?? 0)) + 2;
  if (ctx.traceType === 'Recall') return 3 * ctx.msgId.length + 1;
  let units = 0;
  for (const bean of ctx.beans) units += bean.msgId.length + (bean.keys?.length ?? 0) + 1;
  return 3 * units + ctx.beans.length;
}

type Field = string | number | boolean | null;

/** Java's StringBuilder.append: null prints as "null". For the rarer records (transaction ends, recalls). */
function record(fields: readonly Field[]): string {
  let line = String(fields[0]);
  for (let i = 1; i < fields.length; i++) line += CONTENT_SPLITOR + String(fields[i]);
  return line + FIELD_SPLITOR;
}

function addKeys(msgId: string, messageKeys: string | null, keys: Set<string>): number {
  let bytes = addKey(msgId, keys);
  if (messageKeys === null || messageKeys === '') return bytes;
  if (!messageKeys.includes(MessageConst.KEY_SEPARATOR)) return bytes + addKey(messageKeys, keys);
  for (const key of messageKeys.split(MessageConst.KEY_SEPARATOR)) if (key !== '') bytes += addKey(key, keys);
  return bytes;
}

/** Adds `key` unless it is there; the bytes it adds to KEYS, its separator included. */
function addKey(key: string, keys: Set<string>): number {
  if (keys.has(key)) return 0;
  keys.add(key);
  return Buffer.byteLength(key, 'utf8') + 1;
}

/** A record as read back: one message each (a consume context of several messages is one record per message). */
export type DecodedTraceContext = TraceContext;

const MESSAGE_TYPES = ['Normal_Msg', 'Trans_Msg_Half', 'Trans_msg_Commit', 'Delay_Msg', 'Order_Msg'] as const;
const TRANSACTION_STATES = new Set(['COMMIT_MESSAGE', 'ROLLBACK_MESSAGE', 'UNKNOW']);

/**
 * TraceDataEncoder.decoderFromTraceDataString: the records of a trace message body, of any writer (Java 4.9 and
 * 5.x, ours). Java's own reader throws on a malformed record; this one skips it, since a trace topic is written by
 * every client of a cluster and one bad record must not hide the others. "null" fields read as null.
 */
export function decodeTraceData(text: string): DecodedTraceContext[] {
  const contexts: DecodedTraceContext[] = [];
  for (const record of text.split(FIELD_SPLITOR)) {
    if (record === '') continue;
    const context = decodeRecord(record.split(CONTENT_SPLITOR));
    if (context !== undefined) contexts.push(context);
  }
  return contexts;
}

function decodeRecord(f: readonly string[]): DecodedTraceContext | undefined {
  const str = (i: number): string => f[i] ?? '';
  const nullable = (i: number): string | null => {
    const value = f[i];
    return value === undefined || value === 'null' ? null : value;
  };
  const int = (i: number): number | undefined => {
    const value = f[i];
    return value !== undefined && /^-?\d+$/.test(value) ? Number(value) : undefined;
  };
  // Boolean.parseBoolean: anything but "true" (any case) is false.
  const bool = (i: number): boolean => str(i).toLowerCase() === 'true';
  switch (f[0]) {
    case 'Pub': {
      const [timeStamp, bodyLength, costTime, msgType] = [int(1), int(9), int(10), int(11)];
      if (f.length < 13 || timeStamp === undefined || bodyLength === undefined || costTime === undefined || msgType === undefined || MESSAGE_TYPES[msgType] === undefined) return undefined;
      // 13 fields: no offsetMsgId (old clients); 14 and more: offsetMsgId, success (and clientHost, older 4.x).
      const withOffset = f.length >= 14;
      return {
        traceType: 'Pub', timeStamp, regionId: str(2), groupName: str(3), topic: str(4), msgId: str(5), tags: nullable(6), keys: nullable(7),
        storeHost: str(8), bodyLength, costTime, msgType: msgType as MessageTypeOrdinal, offsetMsgId: withOffset ? nullable(12) : null, success: bool(withOffset ? 13 : 12),
      };
    }
    case 'SubBefore': {
      const [timeStamp, retryTimes] = [int(1), int(6)];
      if (f.length < 7 || timeStamp === undefined || retryTimes === undefined) return undefined;
      return { traceType: 'SubBefore', timeStamp, regionId: str(2), groupName: str(3), requestId: str(4), beans: [{ msgId: str(5), retryTimes, keys: nullable(7) }] };
    }
    case 'SubAfter': {
      const costTime = int(3);
      if (f.length < 6 || costTime === undefined) return undefined;
      // Older writers stop after keys (no contextCode) or after contextCode (no timestamp and group: AccessChannel.CLOUD).
      return {
        traceType: 'SubAfter', requestId: str(1), costTime, success: bool(4), contextCode: int(6) ?? 0,
        timeStamp: int(7) ?? 0, groupName: str(8), beans: [{ msgId: str(2), retryTimes: 0, keys: nullable(5) }],
      };
    }
    case 'EndTransaction': {
      const [timeStamp, msgType] = [int(1), int(9)];
      if (f.length < 13 || timeStamp === undefined || msgType === undefined || MESSAGE_TYPES[msgType] === undefined || !TRANSACTION_STATES.has(str(11))) return undefined;
      return {
        traceType: 'EndTransaction', timeStamp, regionId: str(2), groupName: str(3), topic: str(4), msgId: str(5), tags: nullable(6), keys: nullable(7),
        storeHost: str(8), msgType: msgType as MessageTypeOrdinal, transactionId: nullable(10),
        transactionState: str(11) as EndTransactionContext['transactionState'], fromTransactionCheck: bool(12),
      };
    }
    case 'Recall': {
      const timeStamp = int(1);
      if (f.length < 7 || timeStamp === undefined) return undefined;
      return { traceType: 'Recall', timeStamp, regionId: str(2), groupName: str(3), topic: str(4), msgId: str(5), success: bool(6) };
    }
    default:
      return undefined;
  }
}

/** MessageType's name for a record's ordinal. */
export function messageTypeName(ordinal: number): string {
  return MESSAGE_TYPES[ordinal] ?? String(ordinal);
}
