import { createHash } from 'node:crypto';
import { enums } from '../../grpc/schema.js';
import type { MsgInit } from '../../grpc/types.js';
import { MessageConst, MessageSysFlag, type HostAddress, type MessageExt } from '../../protocol/message/index.js';
import { resourceOf } from './grpc-status.js';
import { INTERNAL_PROPERTY_NAMES, SYSTEM_PROPERTY_NAMES } from './system-properties.js';
import { messageTypeOfProperties, protoMessageType } from './topic-message-type.js';

/** What only the delivery knows: the receipt handle and the delivery attempt (consumers), nothing for a check. */
export interface DeliveryInfo {
  receiptHandle?: string;
  /** reconsumeTimes + 1 on a normal delivery. */
  deliveryAttempt?: number;
  /** Where the message is read from, when that is a dead-letter topic. */
  deadLetterQueue?: { topic: string; messageId: string };
}

function hostString(host: HostAddress): string {
  return `${host.address}:${host.port}`;
}

/**
 * GrpcConverter.buildMessage: a stored message as the SDKs receive it (a consumer's delivery, or the message of an
 * orphaned-transaction check). The body digest is always MD5, upper-case hex of the body as stored: Node's SDK
 * throws on a message without one and writes CRC32 in decimal where Java writes hex, so MD5 is the one both
 * verify. User properties are the properties the system does not own. The topic is the real one (a retry or
 * transaction-check copy carries it in REAL_TOPIC / RETRY_TOPIC), its namespace split off as the SDKs expect.
 */
export function toProtoMessage(msg: MessageExt, delivery: DeliveryInfo = {}): MsgInit<'Message'> {
  const props = msg.properties;
  const userProperties = new Map<string, string>();
  for (const [key, value] of props) if (!SYSTEM_PROPERTY_NAMES.has(key) && !INTERNAL_PROPERTY_NAMES.has(key)) userProperties.set(key, value);
  const topic = props.get(MessageConst.PROPERTY_RETRY_TOPIC) ?? props.get(MessageConst.PROPERTY_REAL_TOPIC) ?? msg.topic;
  const keys = (props.get(MessageConst.PROPERTY_KEYS) ?? '').split(MessageConst.KEY_SEPARATOR).filter((k) => k !== '');
  const deliverMs = Number(props.get(MessageConst.PROPERTY_TIMER_DELIVER_MS));
  const bornHost = props.get('__BORNHOST') ?? hostString(msg.bornHost);
  const compressed = (msg.sysFlag & MessageSysFlag.COMPRESSED_FLAG) !== 0;
  return {
    topic: resourceOf(topic),
    userProperties,
    systemProperties: {
      tag: props.get(MessageConst.PROPERTY_TAGS),
      keys,
      messageId: msg.uniqKey ?? msg.msgId,
      bodyDigest: { type: enums.DigestType.MD5, checksum: createHash('md5').update(msg.body).digest('hex').toUpperCase() },
      bodyEncoding: compressed ? enums.Encoding.GZIP : enums.Encoding.IDENTITY,
      messageType: protoMessageType(messageTypeOfProperties(props)),
      bornTimestamp: msg.bornTimestamp,
      bornHost,
      storeTimestamp: msg.storeTimestamp,
      storeHost: hostString(msg.storeHost),
      deliveryTimestamp: Number.isFinite(deliverMs) && deliverMs > 0 ? deliverMs : undefined,
      receiptHandle: delivery.receiptHandle,
      queueId: msg.queueId,
      queueOffset: msg.queueOffset,
      deliveryAttempt: delivery.deliveryAttempt,
      messageGroup: props.get(MessageConst.PROPERTY_SHARDING_KEY),
      traceContext: props.get('TRACE_CONTEXT'),
      deadLetterQueue: delivery.deadLetterQueue,
    },
    body: msg.body,
  };
}
