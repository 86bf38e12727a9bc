import { ConsumeReturnType, type ConsumeReturnTypeName } from './trace-context.js';
import { messageTypeName, type DecodedTraceContext } from './trace-data-encoder.js';

/** A record read from the trace topic, with the client that wrote it (the trace message's born host, as TraceView). */
export interface FoundTraceRecord {
  readonly record: DecodedTraceContext;
  readonly clientHost: string;
}

/** A send that stored the message (Pub). */
export interface PubTrace {
  readonly timeStamp: number;
  readonly regionId: string;
  readonly groupName: string;
  readonly topic: string;
  readonly tags: string | null;
  readonly keys: string | null;
  readonly storeHost: string;
  readonly clientHost: string;
  readonly bodyLength: number;
  /** ms, per message of the send. */
  readonly costTime: number;
  /** MessageType's name: Normal_Msg, Trans_Msg_Half, Trans_msg_Commit, Delay_Msg or Order_Msg. */
  readonly msgType: string;
  readonly offsetMsgId: string | null;
  readonly success: boolean;
}

/** A transactional producer ending the message's transaction (EndTransaction). */
export interface EndTransactionTrace {
  readonly timeStamp: number;
  readonly groupName: string;
  readonly storeHost: string;
  readonly clientHost: string;
  readonly transactionId: string | null;
  readonly transactionState: 'COMMIT_MESSAGE' | 'ROLLBACK_MESSAGE' | 'UNKNOW';
  readonly fromTransactionCheck: boolean;
}

/** A timer message recalled (Recall, written by Java 5.3.x clients). */
export interface RecallTrace {
  readonly timeStamp: number;
  readonly groupName: string;
  readonly clientHost: string;
  readonly success: boolean;
}

/**
 * One delivery of the message to a consumer group: a SubBefore and the SubAfter of the same request id. PENDING:
 * no SubAfter (yet): the listener is still at it, or its client died, or the record was dropped.
 */
export interface ConsumeAttempt {
  readonly requestId: string;
  readonly retryTimes: number;
  /** When the listener got it (SubBefore); undefined when only the SubAfter was found. */
  readonly beginTimestamp: number | undefined;
  /** When the listener returned (SubAfter); undefined while PENDING, or from writers that leave it out. */
  readonly endTimestamp: number | undefined;
  /** ms, per message of the listener call; undefined while PENDING. */
  readonly costTime: number | undefined;
  readonly status: ConsumeReturnTypeName | 'PENDING';
  readonly success: boolean | undefined;
  readonly clientHost: string;
}

export interface ConsumerGroupTrace {
  readonly groupName: string;
  /** In the order they happened. */
  readonly attempts: readonly ConsumeAttempt[];
}

/** A message's life as the trace topic holds it: what the dashboard's message trace shows. */
export interface MessageTrace {
  readonly msgId: string;
  readonly traceTopic: string;
  /** Pub records, oldest first (more than one when a send was retried after a broker had stored it). */
  readonly sends: readonly PubTrace[];
  readonly transactions: readonly EndTransactionTrace[];
  /** By group, the group first consuming it first. */
  readonly consumerGroups: readonly ConsumerGroupTrace[];
  readonly recalls: readonly RecallTrace[];
}

const RETURN_TYPE_NAMES = Object.keys(ConsumeReturnType) as ConsumeReturnTypeName[];

/**
 * The dashboard's MessageTraceServiceImpl: keeps the records of `msgId` (a trace message holds other messages'
 * records too), and joins each SubBefore with the SubAfter of its request id into an attempt of its group. A
 * SubAfter without a group (old writers, or AccessChannel.CLOUD) takes its SubBefore's.
 */
export function buildMessageTrace(msgId: string, traceTopic: string, found: readonly FoundTraceRecord[]): MessageTrace {
  const sends: PubTrace[] = [];
  const transactions: EndTransactionTrace[] = [];
  const recalls: RecallTrace[] = [];
  const befores = new Map<string, FoundTraceRecord & { record: { traceType: 'SubBefore' } }>();
  const afters = new Map<string, FoundTraceRecord & { record: { traceType: 'SubAfter' } }>();
  for (const entry of found) {
    const { record, clientHost } = entry;
    switch (record.traceType) {
      case 'Pub':
        if (record.msgId !== msgId) break;
        sends.push({
          timeStamp: record.timeStamp, regionId: record.regionId, groupName: record.groupName, topic: record.topic, tags: record.tags, keys: record.keys,
          storeHost: record.storeHost, clientHost, bodyLength: record.bodyLength, costTime: record.costTime, msgType: messageTypeName(record.msgType),
          offsetMsgId: record.offsetMsgId, success: record.success,
        });
        break;
      case 'EndTransaction':
        if (record.msgId !== msgId) break;
        transactions.push({
          timeStamp: record.timeStamp, groupName: record.groupName, storeHost: record.storeHost, clientHost, transactionId: record.transactionId,
          transactionState: record.transactionState, fromTransactionCheck: record.fromTransactionCheck,
        });
        break;
      case 'Recall':
        if (record.msgId === msgId) recalls.push({ timeStamp: record.timeStamp, groupName: record.groupName, clientHost, success: record.success });
        break;
      case 'SubBefore':
        if (record.beans.some((bean) => bean.msgId === msgId)) befores.set(record.requestId, { record, clientHost });
        break;
      case 'SubAfter':
        if (record.beans.some((bean) => bean.msgId === msgId)) afters.set(record.requestId, { record, clientHost });
        break;
    }
  }
  const groups = new Map<string, ConsumeAttempt[]>();
  for (const requestId of new Set([...befores.keys(), ...afters.keys()])) {
    const before = befores.get(requestId);
    const after = afters.get(requestId);
    const groupName = before?.record.groupName ?? after?.record.groupName ?? '';
    const attempt: ConsumeAttempt = {
      requestId,
      retryTimes: before?.record.beans.find((bean) => bean.msgId === msgId)?.retryTimes ?? 0,
      beginTimestamp: before?.record.timeStamp,
      endTimestamp: after === undefined || after.record.timeStamp === 0 ? undefined : after.record.timeStamp,
      costTime: after?.record.costTime,
      status: after === undefined ? 'PENDING' : statusOf(after.record.success, after.record.contextCode),
      success: after?.record.success,
      clientHost: (before ?? after)?.clientHost ?? '',
    };
    groups.set(groupName, [...(groups.get(groupName) ?? []), attempt]);
  }
  const at = (a: ConsumeAttempt): number => a.beginTimestamp ?? a.endTimestamp ?? 0;
  const consumerGroups = [...groups].map(([groupName, attempts]) => ({ groupName, attempts: attempts.sort((a, b) => at(a) - at(b)) }));
  consumerGroups.sort((a, b) => at(a.attempts[0] as ConsumeAttempt) - at(b.attempts[0] as ConsumeAttempt));
  return {
    msgId,
    traceTopic,
    sends: sends.sort((a, b) => a.timeStamp - b.timeStamp),
    transactions: transactions.sort((a, b) => a.timeStamp - b.timeStamp),
    consumerGroups,
    recalls: recalls.sort((a, b) => a.timeStamp - b.timeStamp),
  };
}

/** The listener's outcome: its ConsumeReturnType, except a failure written without one (old writers: code 0) is FAILED. */
function statusOf(success: boolean, contextCode: number): ConsumeReturnTypeName {
  const name = RETURN_TYPE_NAMES[contextCode];
  if (name === undefined || (!success && name === 'SUCCESS')) return success ? 'SUCCESS' : 'FAILED';
  return name;
}
