import { enums } from '../../grpc/schema.js';
import type { Msg } from '../../grpc/types.js';
import { MessageConst, MessageSysFlag } from '../../protocol/message/index.js';
import { GrpcStatusError } from './grpc-status.js';
import { SYSTEM_PROPERTY_NAMES, containsControlCharacter } from './system-properties.js';

const Code = enums.Code;

/** ProxyConfig's limits for what a producer sends (Java's defaults). */
export interface SendLimits {
  /** maxMessageSize: the largest body. */
  maxMessageSize: number;
  /** userPropertyMaxNum. */
  maxUserProperties: number;
  /** maxUserPropertySize: user properties, tag and keys together, in UTF-8 bytes. */
  maxUserPropertySize: number;
  /** maxMessageGroupSize: a message group must be shorter, in UTF-8 bytes. */
  maxMessageGroupSize: number;
  /** maxDelayTimeMills: how far ahead a delivery timestamp may be. */
  maxDelayTimeMillis: number;
  /** maxTransactionRecoverySecond: the largest orphaned-transaction recovery duration. */
  maxTransactionRecoverySeconds: number;
}

export const DEFAULT_SEND_LIMITS: SendLimits = {
  maxMessageSize: 4 * 1024 * 1024,
  maxUserProperties: 128,
  maxUserPropertySize: 16 * 1024,
  maxMessageGroupSize: 64,
  maxDelayTimeMillis: 24 * 3600_000,
  maxTransactionRecoverySeconds: 3600,
};

/** A proto message as the send path stores it. */
export interface BuiltMessage {
  topic: string;
  body: Buffer;
  properties: Map<string, string>;
  sysFlag: number;
  bornTimestamp: number;
  messageId: string;
  /** FIFO: the message group the queue is chosen from. */
  messageGroup: string | undefined;
}

const utf8 = (text: string): number => Buffer.byteLength(text, 'utf8');

function refuse(code: number, message: string): never {
  throw new GrpcStatusError(code, message);
}

/**
 * SendMessageActivity.buildMessage / buildMessageProperty / buildSysFlag: validates one message of `topic` (its wire
 * name, namespace included) with the proxy's
 * codes and texts (the numbers named) and builds its stored properties — TAGS, KEYS (space-joined), UNIQ_KEY = the
 * client's message id, PGROUP = the topic (the proxy's producer group, which transaction checks use),
 * __SHARDINGKEY = the message group, TIMER_DELIVER_MS, TRAN_MSG and CHECK_IMMUNITY_TIME_IN_SECONDS, TRACE_CONTEXT,
 * __BORNHOST, BORN_TIMESTAMP, RECONSUME_TIME — and its sysFlag (GZIP body, transaction half).
 */
export function buildMessage(message: Msg<'Message'>, topic: string, peer: string, limits: SendLimits, now: number): BuiltMessage {
  const sys = message.systemProperties;
  if (sys === undefined) refuse(Code.MESSAGE_CORRUPTED, 'message has no system properties');
  if (message.body.length === 0) refuse(Code.MESSAGE_BODY_EMPTY, 'message body cannot be empty');
  if (limits.maxMessageSize > 0 && message.body.length > limits.maxMessageSize) {
    refuse(Code.MESSAGE_BODY_TOO_LARGE, `message body cannot exceed the max ${limits.maxMessageSize} (it is ${message.body.length} bytes)`);
  }
  if (sys.messageType === enums.MessageType.LITE || sys.liteTopic !== undefined) refuse(Code.NOT_IMPLEMENTED, 'lite topics are not supported by this broker yet');
  if (sys.messageType === enums.MessageType.PRIORITY || sys.priority !== undefined) refuse(Code.NOT_IMPLEMENTED, 'priority messages are not supported by this broker yet');

  const properties = new Map<string, string>();
  if (message.userProperties.size > limits.maxUserProperties) {
    refuse(Code.MESSAGE_PROPERTIES_TOO_LARGE, `too many user properties, max is ${limits.maxUserProperties} (got ${message.userProperties.size})`);
  }
  let userPropertySize = 0;
  for (const [key, value] of message.userProperties) {
    if (SYSTEM_PROPERTY_NAMES.has(key)) refuse(Code.ILLEGAL_MESSAGE_PROPERTY_KEY, `property is used by system: ${key}`);
    if (containsControlCharacter(key)) refuse(Code.ILLEGAL_MESSAGE_PROPERTY_KEY, 'the key of property cannot contain control character');
    if (containsControlCharacter(value)) refuse(Code.ILLEGAL_MESSAGE_PROPERTY_KEY, 'the value of property cannot contain control character');
    userPropertySize += utf8(key) + utf8(value);
    properties.set(key, value);
  }

  const tag = sys.tag ?? '';
  if (tag !== '') {
    if (tag.trim() === '') refuse(Code.ILLEGAL_MESSAGE_TAG, 'tag cannot be the char sequence of whitespace');
    if (tag.includes('|')) refuse(Code.ILLEGAL_MESSAGE_TAG, "tag cannot contain '|'");
    if (containsControlCharacter(tag)) refuse(Code.ILLEGAL_MESSAGE_TAG, 'tag cannot contain control character');
    properties.set(MessageConst.PROPERTY_TAGS, tag);
    userPropertySize += utf8(tag);
  }
  for (const key of sys.keys) {
    if (key === '') continue;
    if (key.trim() === '') refuse(Code.ILLEGAL_MESSAGE_KEY, 'key cannot be the char sequence of whitespace');
    if (containsControlCharacter(key)) refuse(Code.ILLEGAL_MESSAGE_KEY, 'key cannot contain control character');
    userPropertySize += utf8(key);
  }
  if (sys.keys.length > 0) properties.set(MessageConst.PROPERTY_KEYS, sys.keys.join(MessageConst.KEY_SEPARATOR));
  if (userPropertySize > limits.maxUserPropertySize) {
    refuse(Code.MESSAGE_PROPERTIES_TOO_LARGE, `the total size of user property is too large, max is ${limits.maxUserPropertySize} (got ${userPropertySize})`);
  }

  const messageId = sys.messageId;
  if (messageId.trim() === '') refuse(Code.ILLEGAL_MESSAGE_ID, 'message id cannot be empty');
  properties.set(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX, messageId);

  let sysFlag = sys.bodyEncoding === enums.Encoding.GZIP ? MessageSysFlag.COMPRESSED_FLAG : 0;
  if (sys.messageType === enums.MessageType.TRANSACTION) {
    sysFlag |= MessageSysFlag.TRANSACTION_PREPARED_TYPE;
    properties.set(MessageConst.PROPERTY_TRANSACTION_PREPARED, 'true');
    const recovery = sys.orphanedTransactionRecoveryDuration;
    if (recovery !== undefined) {
      const seconds = Math.trunc(recovery / 1000);
      if (limits.maxTransactionRecoverySeconds > 0 && seconds > limits.maxTransactionRecoverySeconds) {
        refuse(Code.BAD_REQUEST, `the max transaction recovery time of message is too large, max is ${limits.maxTransactionRecoverySeconds} (got ${seconds}) seconds`);
      }
      properties.set(MessageConst.PROPERTY_CHECK_IMMUNITY_TIME_IN_SECONDS, String(seconds));
    }
  }

  const delivery = sys.deliveryTimestamp;
  if (delivery !== undefined) {
    // The proxy answered an out-of-range Timestamp with INTERNAL_SERVER_ERROR; it is the delivery time that is wrong.
    if (!Number.isSafeInteger(Math.trunc(delivery)) || delivery < 0) refuse(Code.ILLEGAL_DELIVERY_TIME, `delivery timestamp ${delivery} is not a valid time`);
    if (limits.maxDelayTimeMillis > 0 && delivery - now > limits.maxDelayTimeMillis) {
      refuse(Code.ILLEGAL_DELIVERY_TIME, `the max delay time of message is too large, max is ${limits.maxDelayTimeMillis} ms (asked: ${Math.trunc(delivery - now)} ms ahead)`);
    }
    properties.set(MessageConst.PROPERTY_TIMER_DELIVER_MS, String(Math.trunc(delivery)));
  }

  properties.set(MessageConst.PROPERTY_RECONSUME_TIME, String(sys.deliveryAttempt ?? 0));
  properties.set(MessageConst.PROPERTY_PRODUCER_GROUP, topic);
  const group = sys.messageGroup ?? '';
  if (group !== '') {
    if (group.trim() === '') refuse(Code.ILLEGAL_MESSAGE_GROUP, 'message group cannot be the char sequence of whitespace');
    if (limits.maxMessageGroupSize > 0 && utf8(group) >= limits.maxMessageGroupSize) {
      refuse(Code.ILLEGAL_MESSAGE_GROUP, `message group exceed the max size ${limits.maxMessageGroupSize} (got ${utf8(group)} bytes)`);
    }
    if (containsControlCharacter(group)) refuse(Code.ILLEGAL_MESSAGE_GROUP, 'message group cannot contain control character');
    properties.set(MessageConst.PROPERTY_SHARDING_KEY, group);
  }
  const traceContext = sys.traceContext ?? '';
  if (traceContext !== '') properties.set('TRACE_CONTEXT', traceContext);
  const bornHost = sys.bornHost.trim() === '' ? peer : sys.bornHost;
  if (bornHost.trim() !== '') properties.set('__BORNHOST', bornHost);
  const born = sys.bornTimestamp;
  const bornValid = born !== undefined && Number.isSafeInteger(Math.trunc(born)) && born > 0;
  if (bornValid) properties.set('BORN_TIMESTAMP', String(Math.trunc(born)));
  return { topic, body: message.body, properties, sysFlag, bornTimestamp: bornValid ? Math.trunc(born) : now, messageId, messageGroup: group === '' ? undefined : group };
}
