import { enums } from '../../grpc/schema.js';
import type { Msg, MsgInit } from '../../grpc/types.js';
import { Message, MessageConst, decodeMessageId, encodeMessages, messageProperties2String } from '../../protocol/message/index.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { MessageSender, SendHeader, SendOutcome } from '../send/message-sender.js';
import type { TopicConfig } from '../../protocol/bodies/topic-config.js';
import { DLQ_GROUP_TOPIC_PREFIX, RETRY_GROUP_TOPIC_PREFIX, TopicValidator } from '../topic/topic-validator.js';
import { GrpcStatusError, OK, resourceName, status, statusOfRemoting, type Status } from './grpc-status.js';
import { buildMessage, type BuiltMessage, type SendLimits } from './message-builder.js';
import type { QueueSelector } from './queue-selector.js';
import { messageTypeConflict, messageTypeOfProperties, topicMessageTypeOf } from './topic-message-type.js';
import type { TransactionActivity } from './transaction-activity.js';

const Code = enums.Code;
/** MQVersion of the 5.x line: a gRPC producer counts as a current client. */
const CURRENT_CLIENT_VERSION = 479;

export interface SendMessageActivityDeps {
  sender: MessageSender;
  /** Runs a send through the broker's send queue (its flow control and fast failure), as remoting sends are. */
  throughSendQueue: (send: () => Promise<SendOutcome>) => Promise<SendOutcome>;
  /** The topic's config (auto-created when the endpoint does that); throws GrpcStatusError for a refused topic. */
  resolveTopic: (name: string) => TopicConfig;
  queueSelector: QueueSelector;
  transactions: TransactionActivity;
  limits: () => SendLimits;
  /** enableTopicMessageTypeCheck. */
  checkMessageType: () => boolean;
}

/**
 * SendMessageActivity.java over the broker's own send path (MessageSender): validates every message (the proxy's
 * table, see message-builder.ts), checks its type against the topic's `message.type`, picks the queue on the
 * server, and stores one message (SEND_MESSAGE_V2) or a batch (SEND_BATCH_MESSAGE) with producer group = topic.
 * Each message gets an entry: its id (the client's UNIQ_KEY), the transaction id, the queue offset and, for a
 * delay message, the recall handle.
 */
export class SendMessageActivity {
  constructor(private readonly deps: SendMessageActivityDeps) {}

  async sendMessage(request: Msg<'SendMessageRequest'>, peer: string): Promise<MsgInit<'SendMessageResponse'>> {
    const messages = request.messages;
    const first = messages[0];
    if (first === undefined) return { status: status(Code.MESSAGE_CORRUPTED, 'no message to send') };
    const topic = resourceName(first.topic);
    if (messages.some((m) => resourceName(m.topic) !== topic)) throw new GrpcStatusError(Code.MESSAGE_CORRUPTED, 'topic in message is not same');
    const topicConfig = this.deps.resolveTopic(topic);
    const now = Date.now();
    const built = messages.map((m) => buildMessage(m, topic, peer, this.deps.limits(), now));
    if (this.deps.checkMessageType() && !topic.startsWith(RETRY_GROUP_TOPIC_PREFIX) && !topic.startsWith(DLQ_GROUP_TOPIC_PREFIX)) {
      const expected = topicMessageTypeOf(topicConfig);
      for (const message of built) {
        const conflict = messageTypeConflict(topic, expected, messageTypeOfProperties(message.properties));
        if (conflict !== undefined) throw new GrpcStatusError(Code.MESSAGE_PROPERTY_CONFLICT_WITH_TYPE, conflict);
      }
    }
    const queueId = this.deps.queueSelector.select(topicConfig.writeQueueNums, built.length === 1 ? first.systemProperties?.messageGroup : undefined);
    const input = { header: headerOf(built, queueId), body: bodyOf(built), remoteAddr: peer, version: CURRENT_CLIENT_VERSION };
    const outcome = await this.deps.throughSendQueue(() => this.deps.sender.send(input));
    return this.response(built, outcome);
  }

  private response(built: BuiltMessage[], outcome: SendOutcome): MsgInit<'SendMessageResponse'> {
    const stored = outcome.msgId !== undefined;
    const entryStatus: Status = outcome.code === ResponseCode.SUCCESS ? OK : statusOfRemoting(outcome.code, outcome.remark ?? `send message failed, code ${outcome.code}`);
    if (!stored) return { status: entryStatus, entries: built.map(() => ({ status: entryStatus })) };
    const single = built.length === 1 ? built[0] : undefined;
    if (single !== undefined && single.properties.get(MessageConst.PROPERTY_TRANSACTION_PREPARED) === 'true') {
      this.deps.transactions.remember(single.topic, single.messageId, {
        tranStateTableOffset: outcome.queueOffset ?? 0,
        commitLogOffset: decodeMessageId(outcome.msgId ?? '').offset,
      });
    }
    const entries = built.map((m, i) => ({
      status: entryStatus,
      messageId: m.messageId,
      transactionId: m.messageId,
      offset: (outcome.queueOffset ?? 0) + i,
      recallHandle: single !== undefined ? outcome.recallHandle : undefined,
    }));
    return { status: entryStatus, entries };
  }
}

function headerOf(built: BuiltMessage[], queueId: number): SendHeader {
  const first = built[0] as BuiltMessage;
  const batch = built.length > 1;
  return {
    producerGroup: first.topic,
    topic: first.topic,
    defaultTopic: TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC,
    defaultTopicQueueNums: 4,
    queueId,
    sysFlag: batch ? 0 : first.sysFlag,
    bornTimestamp: first.bornTimestamp,
    flag: 0,
    properties: batch ? '' : messageProperties2String(first.properties),
    reconsumeTimes: 0,
    unitMode: false,
    batch,
    maxReconsumeTimes: undefined,
  };
}

/** One message's body, or a batch body (MessageDecoder.encodeMessages of every message with its properties). */
function bodyOf(built: BuiltMessage[]): Buffer {
  if (built.length === 1) return (built[0] as BuiltMessage).body;
  return encodeMessages(
    built.map((m) => {
      return new Message(m.topic, m.body, m.properties);
    }),
  );
}
