import { crc32Masked } from '../../common/crc32.js';
import { addressBytes, formatAddressBytes, type HostAddress } from './host-address.js';
import { Message, MessageExt, type MessageExtBrokerInner } from './message.js';
import { readInt64, writeInt64 } from './int64.js';
import { MessageSysFlag } from './message-sys-flag.js';
import { messageProperties2String, string2messageProperties } from './message-properties.js';

/** MessageDecoder.java and MessageExtEncoder.java, pure: properties strings, stored records, msgIds, batch bodies. */

/** MessageVersion V1: topic length is one signed byte. */
export const MESSAGE_MAGIC_CODE = -626843481;
/** MessageVersion V2 (5.x): topic length is an int16, used when the topic is longer than 127 bytes. */
export const MESSAGE_MAGIC_CODE_V2 = -626843477;
/** The end-of-file filler a commit-log segment ends with when the next record does not fit. */
export const BLANK_MAGIC_CODE = -875286124;
/** Fixed field positions in a stored record (MessageDecoder.*_POSITION). */
export const QUEUE_OFFSET_POSITION = 20;
export const PHY_POS_POSITION = 28;
export const SYSFLAG_POSITION = 36;
export const MAX_PROPERTIES_LENGTH = 32767;

function hostLength(sysFlag: number, v6Flag: number): number {
  return (sysFlag & v6Flag) === 0 ? 8 : 20;
}

/** MessageExtEncoder.calMsgLength: the stored size of a record with these field lengths. */
export function calMsgLength(sysFlag: number, bodyLength: number, topicLength: number, propertiesLength: number): number {
  const topicLengthSize = topicLength > 127 ? 2 : 1;
  return (
    4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 +
    hostLength(sysFlag, MessageSysFlag.BORNHOST_V6_FLAG) +
    8 +
    hostLength(sysFlag, MessageSysFlag.STOREHOSTADDRESS_V6_FLAG) +
    4 + 8 +
    4 + bodyLength +
    topicLengthSize + topicLength +
    2 + propertiesLength
  );
}

/** The sysFlag with the IPv6 host bits set from the actual addresses, so the widths in the record always agree. */
export function sysFlagForHosts(sysFlag: number, bornHost: HostAddress, storeHost: HostAddress): number {
  let flag = sysFlag & ~(MessageSysFlag.BORNHOST_V6_FLAG | MessageSysFlag.STOREHOSTADDRESS_V6_FLAG);
  if (addressBytes(bornHost.address).length === 16) flag |= MessageSysFlag.BORNHOST_V6_FLAG;
  if (addressBytes(storeHost.address).length === 16) flag |= MessageSysFlag.STOREHOSTADDRESS_V6_FLAG;
  return flag;
}

function writeHost(buf: Buffer, host: HostAddress, at: number): number {
  const bytes = addressBytes(host.address);
  bytes.copy(buf, at);
  buf.writeInt32BE(host.port, at + bytes.length);
  return at + bytes.length + 4;
}

/**
 * One stored record (reference §5.4), exactly as MessageExtEncoder.encode writes it: magic V1 unless the topic
 * needs more than 127 bytes, body CRC masked as UtilAll.crc32, host widths from sysFlag bits 4/5 (which this sets
 * from the addresses). Throws RangeError when the properties exceed the int16 length; the store checks first.
 */
export function encodeStoredMessage(inner: MessageExtBrokerInner, physicalOffset: number, queueOffset: number): Buffer {
  const properties = Buffer.from(inner.storedProperties(), 'utf8');
  if (properties.length > MAX_PROPERTIES_LENGTH) throw new RangeError(`properties length ${properties.length} exceeds ${MAX_PROPERTIES_LENGTH}`);
  const topic = Buffer.from(inner.topic, 'utf8');
  if (topic.length > 32767) throw new RangeError(`topic length ${topic.length} exceeds 32767`);
  const sysFlag = sysFlagForHosts(inner.sysFlag, inner.bornHost, inner.storeHost);
  const body = inner.body;
  const length = calMsgLength(sysFlag, body.length, topic.length, properties.length);
  const buf = Buffer.allocUnsafe(length);
  let at = 0;
  at = buf.writeInt32BE(length, at);
  at = buf.writeInt32BE(topic.length > 127 ? MESSAGE_MAGIC_CODE_V2 : MESSAGE_MAGIC_CODE, at);
  at = buf.writeInt32BE(inner.knownBodyCRC ?? crc32Masked(body), at);
  at = buf.writeInt32BE(inner.queueId, at);
  at = buf.writeInt32BE(inner.flag | 0, at);
  writeInt64(buf, queueOffset, at);
  writeInt64(buf, physicalOffset, at + 8);
  at = buf.writeInt32BE(sysFlag, at + 16);
  writeInt64(buf, inner.bornTimestamp, at);
  at = writeHost(buf, inner.bornHost, at + 8);
  writeInt64(buf, inner.storeTimestamp, at);
  at = writeHost(buf, inner.storeHost, at + 8);
  at = buf.writeInt32BE(inner.reconsumeTimes, at);
  writeInt64(buf, inner.preparedTransactionOffset, at);
  at = buf.writeInt32BE(body.length, at + 8);
  at += body.copy(buf, at);
  at = topic.length > 127 ? buf.writeInt16BE(topic.length, at) : buf.writeInt8(topic.length, at);
  at += topic.copy(buf, at);
  at = buf.writeInt16BE(properties.length, at);
  properties.copy(buf, at);
  return buf;
}

export interface DecodeOptions {
  /** false skips the body (Java readBody=false); the message gets an empty body. */
  readonly readBody?: boolean;
  /** Verify the body CRC and throw on a mismatch. */
  readonly checkCRC?: boolean;
  /**
   * false: the body is a view of `buf`, not a copy, so `buf` lives as long as any of its messages. For a pull
   * body, decoded once and never written to, this saves a copy and an allocation per message.
   */
  readonly copyBody?: boolean;
}

function need(at: number, n: number, end: number): void {
  if (n < 0 || at + n > end) throw new RangeError(`record truncated at ${at} (+${n} > ${end})`);
}

// Records decoded together (a pull body, a commit-log scan) nearly all share their born and store hosts: IPv4
// ones are remembered, shared and frozen, rather than formatted and allocated for every record.
const HOST_CACHE_LIMIT = 1024;
const ipv4Hosts = new Map<number, HostAddress>();

function readHost(buf: Buffer, at: number, ipLength: number, end: number): HostAddress {
  need(at, ipLength + 4, end);
  const port = buf.readInt32BE(at + ipLength);
  if (ipLength !== 4 || port < 0 || port > 0xffff) return { address: formatAddressBytes(buf.subarray(at, at + ipLength)), port };
  const key = buf.readUInt32BE(at) * 0x10000 + port;
  let host = ipv4Hosts.get(key);
  if (host === undefined) {
    host = Object.freeze({ address: `${buf[at] as number}.${buf[at + 1] as number}.${buf[at + 2] as number}.${buf[at + 3] as number}`, port });
    if (ipv4Hosts.size >= HOST_CACHE_LIMIT) ipv4Hosts.clear();
    ipv4Hosts.set(key, host);
  }
  return host;
}

/**
 * MessageDecoder.decode of one stored record starting at `at`. Bodies stay as stored (compressed bodies are the
 * client's to inflate). Throws on a bad magic code, a size that does not add up, or (checkCRC) a CRC mismatch.
 */
export function decodeStoredMessage(buf: Buffer, at = 0, options: DecodeOptions = {}): MessageExt {
  need(at, 8, buf.length);
  const storeSize = buf.readInt32BE(at);
  const end = at + storeSize;
  if (storeSize < 8 || end > buf.length) throw new RangeError(`stored message size ${storeSize} at ${at} does not fit ${buf.length}`);
  const magic = buf.readInt32BE(at + 4);
  if (magic !== MESSAGE_MAGIC_CODE && magic !== MESSAGE_MAGIC_CODE_V2) throw new Error(`bad magic code ${magic} at ${at}`);
  need(at, 40, end);
  const msg = new MessageExt();
  msg.storeSize = storeSize;
  msg.bodyCRC = buf.readInt32BE(at + 8);
  msg.queueId = buf.readInt32BE(at + 12);
  msg.flag = buf.readInt32BE(at + 16);
  msg.queueOffset = readInt64(buf, at + 20);
  msg.commitLogOffset = readInt64(buf, at + 28);
  msg.sysFlag = buf.readInt32BE(at + 36);
  let p = at + 40;
  need(p, 8, end);
  msg.bornTimestamp = readInt64(buf, p);
  const bornIp = (msg.sysFlag & MessageSysFlag.BORNHOST_V6_FLAG) === 0 ? 4 : 16;
  msg.bornHost = readHost(buf, p + 8, bornIp, end);
  p += 8 + bornIp + 4;
  need(p, 8, end);
  msg.storeTimestamp = readInt64(buf, p);
  const storeIp = (msg.sysFlag & MessageSysFlag.STOREHOSTADDRESS_V6_FLAG) === 0 ? 4 : 16;
  msg.storeHost = readHost(buf, p + 8, storeIp, end);
  p += 8 + storeIp + 4;
  need(p, 16, end);
  msg.reconsumeTimes = buf.readInt32BE(p);
  msg.preparedTransactionOffset = readInt64(buf, p + 4);
  const bodyLength = buf.readInt32BE(p + 12);
  p += 16;
  need(p, bodyLength, end);
  const body = buf.subarray(p, p + bodyLength);
  if (options.checkCRC === true && crc32Masked(body) !== msg.bodyCRC) throw new Error(`body CRC mismatch at ${at}`);
  msg.body = options.readBody === false ? Buffer.alloc(0) : options.copyBody === false ? body : Buffer.from(body);
  p += bodyLength;
  const topicLengthSize = magic === MESSAGE_MAGIC_CODE_V2 ? 2 : 1;
  need(p, topicLengthSize, end);
  const topicLength = topicLengthSize === 2 ? buf.readInt16BE(p) : buf.readInt8(p);
  p += topicLengthSize;
  need(p, topicLength, end);
  msg.topic = buf.toString('utf8', p, p + topicLength);
  p += topicLength;
  need(p, 2, end);
  const propertiesLength = buf.readInt16BE(p);
  p += 2;
  need(p, propertiesLength, end);
  msg.setPropertiesString(buf.toString('utf8', p, p + propertiesLength));
  if (p + propertiesLength !== end) throw new RangeError(`stored message at ${at} has ${end - p - propertiesLength} bytes past its properties`);
  msg.msgIdFromStoreHost();
  return msg;
}

/**
 * MessageDecoder.decodeProperties without the map: the properties string of the stored record at `at`, found by
 * the field lengths alone (nothing else is decoded). Throws RangeError when the record does not hold one.
 */
export function readStoredPropertiesString(buf: Buffer, at = 0): string {
  const { end, topicAt, topicLength } = storedTopicField(buf, at);
  const p = topicAt + topicLength;
  need(p, 2, end);
  const propertiesLength = buf.readInt16BE(p);
  need(p + 2, propertiesLength, end);
  return propertiesLength > 0 ? buf.toString('utf8', p + 2, p + 2 + propertiesLength) : '';
}

/**
 * CommitLog.checkMessageAndReturnSize's checks without decoding: the stored record at `at` (whose totalSize the
 * caller read and found within `buf`) has a message magic code, field lengths that add up to its totalSize, and,
 * with `checkCRC`, a body whose CRC is the one it carries. Returns what is wrong, or undefined. No strings or
 * objects are made, so a slave can check a stream of records at the rate it receives them.
 */
export function checkStoredRecord(buf: Buffer, at: number, checkCRC: boolean): string | undefined {
  const end = at + buf.readInt32BE(at);
  const magic = buf.readInt32BE(at + 4);
  if (magic !== MESSAGE_MAGIC_CODE && magic !== MESSAGE_MAGIC_CODE_V2) return `bad magic code ${magic}`;
  let fields: StoredFields;
  try {
    fields = storedTopicField(buf, at);
  } catch (err) {
    return (err as Error).message;
  }
  const p = fields.topicAt + fields.topicLength;
  if (p + 2 > end) return `record at ${at} ends inside its topic`;
  const propertiesLength = buf.readInt16BE(p);
  if (p + 2 + propertiesLength !== end) return `stored message at ${at} has ${end - p - 2 - propertiesLength} bytes past its properties`;
  if (checkCRC && crc32Masked(buf.subarray(fields.bodyAt, fields.bodyAt + fields.bodyLength)) !== buf.readInt32BE(at + 8)) return `body CRC mismatch at ${at}`;
  return undefined;
}

/** What dispatching a stored record needs of it (Java's DispatchRequest fields), read without a MessageExt. */
export interface StoredDispatchFields {
  readonly storeSize: number;
  readonly queueId: number;
  readonly queueOffset: number;
  readonly commitLogOffset: number;
  readonly sysFlag: number;
  readonly storeTimestamp: number;
  readonly topic: string;
  readonly propertiesString: string;
}

/**
 * The dispatch fields of the stored record at `at` (CommitLog.checkMessageAndReturnSize without body or CRC):
 * hosts, body and the other fields are skipped, so a reput of many records makes one object and two strings each.
 * Throws RangeError when the record's lengths do not fit.
 */
export function readStoredDispatchFields(buf: Buffer, at: number): StoredDispatchFields {
  const fields = storedTopicField(buf, at);
  const p = fields.topicAt + fields.topicLength;
  need(p, 2, fields.end);
  const propertiesLength = buf.readInt16BE(p);
  need(p + 2, propertiesLength, fields.end);
  const sysFlag = buf.readInt32BE(at + SYSFLAG_POSITION);
  const bornIp = (sysFlag & MessageSysFlag.BORNHOST_V6_FLAG) === 0 ? 4 : 16;
  return {
    storeSize: fields.end - at,
    queueId: buf.readInt32BE(at + 12),
    queueOffset: readInt64(buf, at + QUEUE_OFFSET_POSITION),
    commitLogOffset: readInt64(buf, at + PHY_POS_POSITION),
    sysFlag,
    // After the 40 fixed bytes, the born timestamp and the born host.
    storeTimestamp: readInt64(buf, at + 40 + 8 + bornIp + 4),
    topic: buf.toString('utf8', fields.topicAt, fields.topicAt + fields.topicLength),
    propertiesString: propertiesLength > 0 ? buf.toString('utf8', p + 2, p + 2 + propertiesLength) : '',
  };
}

/** The topic of the stored record at `at`, found as readStoredPropertiesString finds the properties. */
export function readStoredTopic(buf: Buffer, at = 0): string {
  const { topicAt, topicLength } = storedTopicField(buf, at);
  return buf.toString('utf8', topicAt, topicAt + topicLength);
}

/** Where the body and the topic of a stored record lie, by the field lengths before them. */
interface StoredFields {
  readonly end: number;
  readonly bodyAt: number;
  readonly bodyLength: number;
  readonly topicAt: number;
  readonly topicLength: number;
}

/** Where the body and topic of the stored record at `at` lie, by the field lengths before them. */
function storedTopicField(buf: Buffer, at: number): StoredFields {
  need(at, 40, buf.length);
  const end = at + buf.readInt32BE(at);
  const magic = buf.readInt32BE(at + 4);
  const sysFlag = buf.readInt32BE(at + 36);
  const bornIp = (sysFlag & MessageSysFlag.BORNHOST_V6_FLAG) === 0 ? 4 : 16;
  const storeIp = (sysFlag & MessageSysFlag.STOREHOSTADDRESS_V6_FLAG) === 0 ? 4 : 16;
  // 40 fixed bytes, born timestamp and host, store timestamp and host, reconsume times, prepared offset.
  const bodySizeAt = at + 40 + 8 + bornIp + 4 + 8 + storeIp + 4 + 4 + 8;
  need(bodySizeAt, 4, end);
  const bodyLength = buf.readInt32BE(bodySizeAt);
  need(bodySizeAt + 4, bodyLength, end);
  const p = bodySizeAt + 4 + bodyLength;
  const topicLengthSize = magic === MESSAGE_MAGIC_CODE_V2 ? 2 : 1;
  need(p, topicLengthSize, end);
  const topicLength = topicLengthSize === 2 ? buf.readInt16BE(p) : buf.readInt8(p);
  need(p + topicLengthSize, topicLength, end);
  return { end, bodyAt: bodySizeAt + 4, bodyLength, topicAt: p + topicLengthSize, topicLength };
}

/** MessageDecoder.decodes: every record of a pull body, stopping at the first one that does not decode (as Java). */
export function decodeStoredMessages(buf: Buffer, options: DecodeOptions = {}): MessageExt[] {
  const out: MessageExt[] = [];
  let at = 0;
  while (at < buf.length) {
    let msg: MessageExt;
    try {
      msg = decodeStoredMessage(buf, at, options);
    } catch {
      break;
    }
    out.push(msg);
    at += msg.storeSize;
  }
  return out;
}

/** MessageDecoder.encodeMessage: one record of a SEND_BATCH_MESSAGE body (magic and CRC written as 0). */
export function encodeMessage(message: Message): Buffer {
  const properties = Buffer.from(messageProperties2String(message.properties), 'utf8');
  const total = 4 + 4 + 4 + 4 + 4 + message.body.length + 2 + properties.length;
  const buf = Buffer.alloc(total);
  buf.writeInt32BE(total, 0);
  buf.writeInt32BE(message.flag | 0, 12);
  buf.writeInt32BE(message.body.length, 16);
  message.body.copy(buf, 20);
  buf.writeInt16BE(properties.length, 20 + message.body.length);
  properties.copy(buf, 22 + message.body.length);
  return buf;
}

/** MessageDecoder.encodeMessages: the batch body is the records back to back. */
export function encodeMessages(messages: readonly Message[]): Buffer {
  return Buffer.concat(messages.map(encodeMessage));
}

/**
 * MessageDecoder.decodeMessages: the records of a batch body, read field by field as Java does (the record's
 * own totalSize is not trusted). Throws on a body that ends inside a record.
 */
export function decodeMessages(body: Buffer): Message[] {
  const out: Message[] = [];
  let at = 0;
  while (at < body.length) {
    need(at, 20, body.length);
    const flag = body.readInt32BE(at + 12);
    const bodyLength = body.readInt32BE(at + 16);
    at += 20;
    need(at, bodyLength, body.length);
    const msgBody = Buffer.from(body.subarray(at, at + bodyLength));
    at += bodyLength;
    need(at, 2, body.length);
    const propertiesLength = body.readInt16BE(at);
    at += 2;
    need(at, propertiesLength, body.length);
    const message = new Message('', msgBody, string2messageProperties(body.toString('utf8', at, at + propertiesLength)));
    message.flag = flag;
    at += propertiesLength;
    out.push(message);
  }
  return out;
}
