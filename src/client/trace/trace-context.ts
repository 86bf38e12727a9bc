/**
 * The trace records of Java's client (TraceContext, TraceBean, TraceType): what a traced producer and consumer
 * hand their dispatcher, one record per message. Nullable fields are null where Java's are, since the encoder
 * prints them as "null", as Java's StringBuilder does.
 */

/** MessageType.java's ordinals, as a Pub record carries them. Order_Msg (4) is never written: older readers know only 0-3. */
export const MessageType = { Normal_Msg: 0, Trans_Msg_Half: 1, Trans_msg_Commit: 2, Delay_Msg: 3 } as const;
/** 4 is Order_Msg, as Java 5.x clients' records may carry it: read back, never written by ours. */
export type MessageTypeOrdinal = (typeof MessageType)[keyof typeof MessageType] | 4;

/** ConsumeReturnType.java's ordinals: a SubAfter record's contextCode. */
export const ConsumeReturnType = { SUCCESS: 0, TIME_OUT: 1, EXCEPTION: 2, RETURNNULL: 3, FAILED: 4 } as const;
export type ConsumeReturnTypeName = keyof typeof ConsumeReturnType;

/** A message sent: Pub. */
export interface PubContext {
  readonly traceType: 'Pub';
  readonly timeStamp: number;
  readonly regionId: string;
  /** The producer group without the namespace. */
  readonly groupName: string;
  /** The topic without the namespace. */
  readonly topic: string;
  /** UNIQ_KEY. */
  readonly msgId: string;
  readonly tags: string | null;
  /** KEYS as on the message: space separated. */
  readonly keys: string | null;
  /** The broker address the message went to. */
  readonly storeHost: string;
  readonly bodyLength: number;
  readonly costTime: number;
  readonly msgType: MessageTypeOrdinal;
  readonly offsetMsgId: string | null;
  readonly success: boolean;
}

/** One consumed message of a SubBefore or SubAfter record. */
export interface SubBean {
  readonly msgId: string;
  readonly keys: string | null;
  readonly retryTimes: number;
}

/** Messages about to be handed to the listener: SubBefore. */
export interface SubBeforeContext {
  readonly traceType: 'SubBefore';
  readonly timeStamp: number;
  readonly regionId: string;
  readonly groupName: string;
  /** Shared with the SubAfter of the same listener call. */
  readonly requestId: string;
  readonly beans: readonly SubBean[];
}

/** The listener's outcome for the messages of a SubBefore: SubAfter. */
export interface SubAfterContext {
  readonly traceType: 'SubAfter';
  readonly requestId: string;
  /** Per message: the call's time divided by its messages, as Java. */
  readonly costTime: number;
  readonly success: boolean;
  readonly contextCode: number;
  readonly timeStamp: number;
  readonly groupName: string;
  readonly beans: readonly SubBean[];
}

/** A transactional producer's end of a transaction (commit, rollback or unknown): EndTransaction. */
export interface EndTransactionContext {
  readonly traceType: 'EndTransaction';
  readonly timeStamp: number;
  /** The message's MSG_REGION, or DefaultRegion (EndTransactionTraceHookImpl). */
  readonly regionId: string;
  readonly groupName: string;
  readonly topic: string;
  /** UNIQ_KEY. */
  readonly msgId: string;
  readonly tags: string | null;
  readonly keys: string | null;
  /** The broker the END_TRANSACTION goes to. */
  readonly storeHost: string;
  /** Java always writes Trans_msg_Commit here, whatever the state. */
  readonly msgType: MessageTypeOrdinal;
  readonly transactionId: string | null;
  /** LocalTransactionState's name: COMMIT_MESSAGE, ROLLBACK_MESSAGE or UNKNOW. */
  readonly transactionState: 'COMMIT_MESSAGE' | 'ROLLBACK_MESSAGE' | 'UNKNOW';
  /** True when the end answers a broker's check. */
  readonly fromTransactionCheck: boolean;
}

/** A timer message recalled, or a recall the broker refused (Recall, 5.3.x). */
export interface RecallContext {
  readonly traceType: 'Recall';
  readonly timeStamp: number;
  /** The MSG_REGION of the broker's answer. */
  readonly regionId: string;
  /** The producer group without the namespace. */
  readonly groupName: string;
  /** The topic without the namespace. */
  readonly topic: string;
  /** The recall handle's message id (UNIQ_KEY). */
  readonly msgId: string;
  readonly success: boolean;
}

export type TraceContext = PubContext | SubBeforeContext | SubAfterContext | EndTransactionContext | RecallContext;
