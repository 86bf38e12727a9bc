import { MessageConst } from '../../protocol/message/message-const.js';
import type { AsyncTraceDispatcher } from './async-trace-dispatcher.js';
import { MessageType, type EndTransactionContext } from './trace-context.js';

/** MixAll.DEFAULT_TRACE_REGION_ID: the region of a record whose message names none. */
const DEFAULT_TRACE_REGION_ID = 'DefaultRegion';

/** What DefaultMQProducerImpl.doExecuteEndTransactionHook hands the hook: one transaction's end, before it is sent. */
export interface EndedTransaction {
  /** The topic without the namespace. */
  readonly topic: string;
  readonly tags: string | undefined;
  /** Space separated, as on the message. */
  readonly keys: string | undefined;
  /** The message's MSG_REGION (a checked half message has the broker's; a message just sent has none). */
  readonly regionId: string | undefined;
  readonly msgId: string;
  readonly transactionId: string | undefined;
  readonly brokerAddr: string;
  readonly state: EndTransactionContext['transactionState'];
  readonly fromTransactionCheck: boolean;
}

/**
 * EndTransactionTraceHookImpl: an EndTransaction record for every END_TRANSACTION a transactional producer sends,
 * after its local transaction or in answer to a broker's check. As Java's, the record's msgType is always
 * Trans_msg_Commit, whatever the state, and the trace topic itself is never traced.
 */
export class EndTransactionTraceHook {
  constructor(
    private readonly dispatcher: AsyncTraceDispatcher,
    /** The producer group without the namespace. */
    private readonly groupName: string,
  ) {}

  endTransaction(ended: EndedTransaction): void {
    if (ended.topic.startsWith(this.dispatcher.traceTopic)) return;
    this.dispatcher.append({
      traceType: 'EndTransaction',
      timeStamp: Date.now(),
      regionId: ended.regionId === undefined || ended.regionId === '' ? DEFAULT_TRACE_REGION_ID : ended.regionId,
      groupName: this.groupName,
      topic: ended.topic,
      msgId: ended.msgId,
      tags: ended.tags ?? null,
      keys: ended.keys ?? null,
      storeHost: ended.brokerAddr,
      msgType: MessageType.Trans_msg_Commit,
      transactionId: ended.transactionId ?? null,
      transactionState: ended.state,
      fromTransactionCheck: ended.fromTransactionCheck,
    });
  }
}

/** A message's keys as the KEYS property holds them. */
export function keysProperty(keys: string | readonly string[] | undefined): string | undefined {
  if (keys === undefined) return undefined;
  return typeof keys === 'string' ? keys : keys.join(MessageConst.KEY_SEPARATOR);
}
