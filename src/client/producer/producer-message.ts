import { promisify } from 'node:util';
import { deflate } from 'node:zlib';
import { MessageConst } from '../../protocol/message/message-const.js';
import { MAX_PROPERTIES_LENGTH, encodeMessages } from '../../protocol/message/message-decoder.js';
import { messageProperties2String } from '../../protocol/message/message-properties.js';
import { Message } from '../../protocol/message/message.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { MQClientError } from '../errors.js';
import type { MessageClientIDSetter } from '../message-client-id.js';
import type { TraceContextInput } from '../trace/propagation.js';
import { REPLY_MESSAGE_FLAG } from './reply-message.js';
import { Validators } from '../validators.js';

const deflateAsync = promisify(deflate);

/** What an application sends (the fields of Java's Message it sets). */
export interface ProducerMessage {
  topic: string;
  /** A string is sent as UTF-8. */
  body: Buffer | Uint8Array | string;
  tags?: string;
  /** Business keys, indexed by the broker for queries by key. */
  keys?: string | readonly string[];
  /**
   * User properties. The keys set by the fields here (TAGS, KEYS, WAIT, DELAY, TIMER_DELIVER_MS, TIMER_DELAY_SEC,
   * TIMER_DELAY_MS) and the other timer keys the broker writes (TIMER_OUT_MS, TIMER_ENQUEUE_MS, ...) are refused,
   * as Java's putUserProperty refuses them.
   */
  properties?: Readonly<Record<string, string>>;
  /**
   * Delay level 1..18 of the broker's messageDelayLevel (1s 5s 10s 30s 1m ... 2h); 0 or absent: none. Not with a
   * timer field (below).
   */
  delayLevel?: number;
  /**
   * A timer message (5.x brokers, `timerWheelEnable`): delivered at this time, epoch milliseconds, by the broker's
   * clock (Message.setDeliverTimeMs, property TIMER_DELIVER_MS). A time not in the future is an ordinary send,
   * delivered at once. At most one of deliverTimeMs, delayTimeSec and delayTimeMs, and no delayLevel with it: the
   * client refuses both (MESSAGE_ILLEGAL, before any I/O), where Java's setters each set their property and the
   * broker silently picks one (a level first, dropping the timer; then TIMER_DELAY_SEC, TIMER_DELAY_MS,
   * TIMER_DELIVER_MS). Not in a batch (Java's brokers skip timers there). The broker refuses a time further than its
   * timerMaxDelaySec (3 days by default) with MESSAGE_ILLEGAL (13), which is not retried; 4.9.x brokers ignore it
   * and deliver at once. The delivered message keeps it and has TIMER_OUT_MS, TIMER_ENQUEUE_MS and TIMER_DEQUEUE_MS.
   */
  deliverTimeMs?: number;
  /** A timer message delivered this many seconds after the broker receives it (Message.setDelayTimeSec, TIMER_DELAY_SEC). See deliverTimeMs. */
  delayTimeSec?: number;
  /** A timer message delivered this many milliseconds after the broker receives it (Message.setDelayTimeMs, TIMER_DELAY_MS). See deliverTimeMs. */
  delayTimeMs?: number;
  /** Stored as is, for the application (Message.flag). */
  flag?: number;
  /** false: the broker may answer before the message is flushed or replicated (WAIT). Default true. */
  waitStoreMsgOK?: boolean;
  /**
   * W3C Trace Context for the consumers: a traceparent string, `{ traceparent, tracestate?, baggage? }`, or an
   * OpenTelemetry Context (its span; needs the optional peer dependency @opentelemetry/api, loaded then). Written
   * as the user properties traceparent, tracestate and baggage, as the OpenTelemetry Java agent does.
   */
  traceContext?: TraceContextInput;
}

/** A message ready to go: validated, with its UNIQ_KEY, and its wire body (compressed or batch-encoded). */
export interface PreparedMessage {
  readonly topic: string;
  readonly flag: number;
  readonly properties: string;
  readonly body: Buffer;
  readonly sysFlag: number;
  readonly batch: boolean;
  /** A reply (MSG_TYPE=reply, see createReplyMessage): sent with SEND_REPLY_MESSAGE_V2, as Java's MQClientAPIImpl does. */
  readonly reply: boolean;
  /** SendResult.msgId: the UNIQ_KEY, or the comma-joined ones of a batch. */
  readonly msgId: string;
  /** The message, or a batch's messages, as built: what a send trace records (tags, keys, type). */
  readonly messages: readonly Message[];
}

/** Limits a producer applies before any I/O. */
export interface MessageLimits {
  maxMessageSize: number;
  compressMsgBodyOverHowmuch: number;
  compressLevel: number;
}

const COMPRESSED_FLAG = 0x1;
const TRANSACTION_PREPARED_TYPE = 0x4;
/** CompressionType.ZLIB's flag in bits 8-10 (0x300); readers that predate the bits ignore them. */
const COMPRESSION_ZLIB_TYPE = 0x300;
const RESERVED_PROPERTIES: ReadonlySet<string> = new Set([
  MessageConst.PROPERTY_TAGS,
  MessageConst.PROPERTY_KEYS,
  MessageConst.PROPERTY_WAIT_STORE_MSG_OK,
  MessageConst.PROPERTY_DELAY_TIME_LEVEL,
  // Java's STRING_HASH_SET holds every timer key: set by the fields below, or by the broker.
  MessageConst.PROPERTY_TIMER_DELIVER_MS,
  MessageConst.PROPERTY_TIMER_DELAY_SEC,
  MessageConst.PROPERTY_TIMER_DELAY_MS,
  MessageConst.PROPERTY_TIMER_OUT_MS,
  MessageConst.PROPERTY_TIMER_ENQUEUE_MS,
  MessageConst.PROPERTY_TIMER_DEQUEUE_MS,
  MessageConst.PROPERTY_TIMER_ROLL_TIMES,
  MessageConst.PROPERTY_TIMER_DEL_UNIQKEY,
  MessageConst.PROPERTY_TIMER_DELAY_LEVEL,
]);
/** The three ways to ask for a timer, field and property. */
const TIMER_FIELDS = [
  ['deliverTimeMs', MessageConst.PROPERTY_TIMER_DELIVER_MS],
  ['delayTimeSec', MessageConst.PROPERTY_TIMER_DELAY_SEC],
  ['delayTimeMs', MessageConst.PROPERTY_TIMER_DELAY_MS],
] as const;
const RETRY_GROUP_TOPIC_PREFIX = '%RETRY%';

/** Validates one message (Validators.checkMessage and Message's setters) and builds its protocol form. */
export function toMessage(input: ProducerMessage, maxMessageSize: number): Message {
  if (typeof input !== 'object' || input === null) throw illegal('the message is null');
  if (typeof input.topic !== 'string') throw new MQClientError('The specified topic is blank');
  Validators.checkTopic(input.topic);
  const body = toBuffer(input.body);
  Validators.checkBody(body, maxMessageSize);
  const message = new Message(input.topic, body);
  if (input.flag !== undefined) {
    if (!Number.isInteger(input.flag) || input.flag < -0x80000000 || input.flag > 0x7fffffff) throw illegal(`flag must be an int32, not ${input.flag}`);
    message.flag = input.flag;
  }
  if (input.keys !== undefined) {
    const keys = typeof input.keys === 'string' ? [input.keys] : input.keys;
    for (const key of keys) checkText('key', key);
    if (keys.length > 0) message.keys = keys;
  }
  if (input.tags !== undefined && input.tags !== '') message.tags = checkText('tags', input.tags);
  message.putProperty(MessageConst.PROPERTY_WAIT_STORE_MSG_OK, String(input.waitStoreMsgOK ?? true));
  if (input.delayLevel !== undefined && input.delayLevel !== 0) {
    if (!Number.isInteger(input.delayLevel) || input.delayLevel < 0) throw illegal(`delayLevel must be a non-negative integer, not ${input.delayLevel}`);
    message.putProperty(MessageConst.PROPERTY_DELAY_TIME_LEVEL, String(input.delayLevel));
  }
  const timer = timerOf(input);
  if (timer !== undefined) {
    if (input.delayLevel !== undefined && input.delayLevel !== 0) {
      throw illegal(`give delayLevel or ${timer.field}, not both: the broker would drop the timer for the level`);
    }
    message.putProperty(timer.property, String(timer.value));
  }
  for (const [name, value] of Object.entries(input.properties ?? {})) {
    if (RESERVED_PROPERTIES.has(name)) {
      throw illegal(`the property ${name} is reserved: set by the message's fields (tags, keys, waitStoreMsgOK, delayLevel, deliverTimeMs, delayTimeSec, delayTimeMs) or by the broker`);
    }
    if (typeof value !== 'string') throw illegal(`the property ${name} must be a string`);
    checkText('property name', name);
    checkText(`property ${name}`, value);
    message.putProperty(name, value);
  }
  return message;
}

/**
 * Gives the message its UNIQ_KEY and its wire form, compressing a body of compressMsgBodyOverHowmuch bytes or more.
 * A promise only when it compresses, so the usual send waits for nothing here. Throws (synchronously) on bad
 * properties.
 */
export function prepareMessage(message: Message, limits: MessageLimits, idSetter: MessageClientIDSetter): PreparedMessage | Promise<PreparedMessage> {
  idSetter.setUniqID(message);
  const properties = checkedProperties(message);
  // sendKernelImpl: a half message (TRAN_MSG) is flagged as a prepared transaction.
  const tranFlag = message.getProperty(MessageConst.PROPERTY_TRANSACTION_PREPARED) === 'true' ? TRANSACTION_PREPARED_TYPE : 0;
  const reply = message.getProperty(MessageConst.PROPERTY_MESSAGE_TYPE) === REPLY_MESSAGE_FLAG;
  const prepared = { topic: message.topic, flag: message.flag, properties, body: message.body, sysFlag: tranFlag, batch: false, reply, msgId: message.uniqKey as string, messages: [message] };
  if (message.body.length < limits.compressMsgBodyOverHowmuch) return prepared;
  return deflateAsync(message.body, { level: limits.compressLevel }).then((body) => ({ ...prepared, body, sysFlag: tranFlag | COMPRESSED_FLAG | COMPRESSION_ZLIB_TYPE }));
}

/**
 * MessageBatch.generateFromList and DefaultMQProducer.batch: one topic, one waitStoreMsgOK, no delay, no retry
 * topic; each message validated and given its UNIQ_KEY; the body is MessageDecoder.encodeMessages. Never
 * compressed. Unlike Java 5.x, the batch itself gets no UNIQ_KEY: brokers up to 5.3.3 append the batch's
 * properties to every stored message, which would give all of them the batch's id instead of their own.
 * `instanceId`: a namespaced producer's INSTANCE_ID, a property of the batch, as Java's.
 */
export function prepareBatch(inputs: readonly ProducerMessage[], limits: MessageLimits, idSetter: MessageClientIDSetter, instanceId?: string): PreparedMessage {
  if (inputs.length === 0) throw illegal('the batch is empty');
  const messages = inputs.map((input) => toMessage(input, limits.maxMessageSize));
  const first = messages[0] as Message;
  for (const message of messages) {
    if (message.getProperty(MessageConst.PROPERTY_DELAY_TIME_LEVEL) !== undefined) throw new MQClientError('TimeDelayLevel is not supported for batching');
    if (TIMER_FIELDS.some(([, property]) => message.getProperty(property) !== undefined)) {
      throw new MQClientError('Timer messages (deliverTimeMs, delayTimeSec, delayTimeMs) are not supported for batching');
    }
    if (message.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) throw new MQClientError('Retry Group is not supported for batching');
    if (message.topic !== first.topic) throw new MQClientError('The topic of the messages in one batch should be the same');
    if (message.waitStoreMsgOK !== first.waitStoreMsgOK) throw new MQClientError('The waitStoreMsgOK of the messages in one batch should the same');
    idSetter.setUniqID(message);
    checkedProperties(message);
  }
  const body = encodeMessages(messages);
  Validators.checkBody(body, limits.maxMessageSize);
  return {
    topic: first.topic,
    flag: 0,
    properties: batchProperties(first.waitStoreMsgOK, instanceId),
    body,
    sysFlag: 0,
    batch: true,
    reply: false,
    msgId: messages.map((m) => m.uniqKey as string).join(','),
    messages,
  };
}

/** A batch's own properties: its messages' WAIT, and a namespaced producer's INSTANCE_ID (sendKernelImpl sets it on the batch, not on its messages). */
export function batchProperties(waitStoreMsgOK: boolean, instanceId: string | undefined): string {
  const properties = new Map<string, string>([[MessageConst.PROPERTY_WAIT_STORE_MSG_OK, String(waitStoreMsgOK)]]);
  if (instanceId !== undefined) properties.set(MessageConst.PROPERTY_INSTANCE_ID, instanceId);
  return messageProperties2String(properties);
}

/** The one timer field given (a whole number >= 0), or undefined; several at once are refused. */
function timerOf(input: ProducerMessage): { field: string; property: string; value: number } | undefined {
  let timer: { field: string; property: string; value: number } | undefined;
  for (const [field, property] of TIMER_FIELDS) {
    const value: unknown = input[field];
    if (value === undefined) continue;
    if (timer !== undefined) throw illegal(`give one of deliverTimeMs, delayTimeSec and delayTimeMs, not ${timer.field} and ${field}`);
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw illegal(`${field} must be a whole number >= 0, not ${typeof value === 'number' ? value : typeof value}`);
    timer = { field, property, value };
  }
  return timer;
}

function toBuffer(body: ProducerMessage['body'] | undefined | null): Buffer {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw illegal('the message body is null');
}

/** Names and values travel unescaped between separators \u0001 and \u0002, so they may not contain them. */
function checkText(what: string, text: string): string {
  if (typeof text !== 'string' || text === '') throw illegal(`${what} must be a non-empty string`);
  if (text.includes('\u0001') || text.includes('\u0002')) throw illegal(`${what} contains a \\u0001 or \\u0002 separator character`);
  return text;
}

/** The properties string, within the store's int16 length. */
function checkedProperties(message: Message): string {
  const text = messageProperties2String(message.properties);
  // A UTF-16 unit is at most 3 UTF-8 bytes: short texts, nearly all, need no byte count.
  if (text.length * 3 > MAX_PROPERTIES_LENGTH && Buffer.byteLength(text, 'utf8') > MAX_PROPERTIES_LENGTH) {
    throw illegal(`the message properties are longer than ${MAX_PROPERTIES_LENGTH} bytes`);
  }
  return text;
}

function illegal(message: string): MQClientError {
  return new MQClientError(message, { responseCode: ResponseCode.MESSAGE_ILLEGAL });
}
