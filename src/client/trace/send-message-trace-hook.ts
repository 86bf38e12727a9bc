import { MessageConst } from '../../protocol/message/message-const.js';
import type { Message } from '../../protocol/message/message.js';
import type { SendResult } from '../producer/send-result.js';
import type { AsyncTraceDispatcher } from './async-trace-dispatcher.js';
import { MessageType, type MessageTypeOrdinal } from './trace-context.js';

/** The timer property of Java's old delay API, which sendKernelImpl also counts as a delay message. */
const PROPERTY_START_DELIVER_TIME = '__STARTDELIVERTIME';

/** One attempt that the broker answered: what SendMessageHook's context holds after the send. */
export interface SentMessages {
  /** The message, or a batch's messages, as built (their UNIQ_KEY, TAGS, KEYS). */
  readonly messages: readonly Message[];
  readonly batch: boolean;
  /** The body as sent (compressed when it was). */
  readonly wireBody: Buffer;
  readonly brokerAddr: string;
  /** When the attempt began, ms. */
  readonly begin: number;
}

/**
 * SendMessageTraceHookImpl: a Pub record for each message a broker took, when the broker's answer allows tracing
 * (TRACE_ON not "false"; Java's processSendResponse defaults a missing MSG_REGION to DefaultRegion, so the region
 * never stops it). Sends to the trace topic itself are never traced. Unlike Java, whose batch is one record with
 * the ids joined by ',', each message of a batch gets its own record, so that the dashboard finds it by its id.
 */
export class SendMessageTraceHook {
  constructor(
    private readonly dispatcher: AsyncTraceDispatcher,
    /** The producer group without the namespace. */
    private readonly groupName: string,
  ) {}

  sendMessageAfter(sent: SentMessages, result: SendResult): void {
    // The result's queue names the topic without the namespace.
    const topic = result.messageQueue.topic;
    if (topic.startsWith(this.dispatcher.traceTopic) || !result.traceOn) return;
    const { messages } = sent;
    const costTime = Math.trunc((Date.now() - sent.begin) / messages.length);
    // A batch's response names each stored message's offset id, joined by ','; a single message's is the whole.
    const offsetMsgIds = messages.length === 1 ? [result.offsetMsgId] : result.offsetMsgId.split(',');
    messages.forEach((message, i) => {
      this.dispatcher.append({
        traceType: 'Pub',
        timeStamp: sent.begin,
        regionId: result.regionId,
        groupName: this.groupName,
        topic,
        msgId: message.uniqKey ?? result.msgId,
        tags: message.tags ?? null,
        keys: message.keys ?? null,
        storeHost: sent.brokerAddr,
        bodyLength: sent.batch ? message.body.length : sent.wireBody.length,
        costTime,
        msgType: messageTypeOf(message),
        offsetMsgId: offsetMsgIds.length === messages.length ? (offsetMsgIds[i] as string) : result.offsetMsgId,
        success: result.status === 'SEND_OK',
      });
    });
  }
}

/** sendKernelImpl's MessageType: a half message, or a delayed one (which wins). */
function messageTypeOf(message: Message): MessageTypeOrdinal {
  if (message.getProperty(PROPERTY_START_DELIVER_TIME) !== undefined || message.getProperty(MessageConst.PROPERTY_DELAY_TIME_LEVEL) !== undefined) {
    return MessageType.Delay_Msg;
  }
  if (message.getProperty(MessageConst.PROPERTY_TRANSACTION_PREPARED) === 'true') return MessageType.Trans_Msg_Half;
  return MessageType.Normal_Msg;
}
