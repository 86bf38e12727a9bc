import type { HostAddress } from './host-address.js';
import { MessageConst } from './message-const.js';
import { createMessageId } from './message-id.js';
import { findMessageProperty, messageProperties2String, string2messageProperties } from './message-properties.js';

/**
 * Java's String.hashCode over UTF-16 code units with 32-bit wrap-around (reference Appendix A): the tag code in
 * the consume queue and the key hash in the index must equal what a Java broker computes, because clients
 * filter by these codes.
 */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** MessageExtBrokerInner.tagsString2tagsCode: 0 for no tag, otherwise the tag's hashCode. */
export function tagsString2tagsCode(tags: string | undefined): number {
  return tags === undefined || tags === '' ? 0 : javaStringHashCode(tags);
}

/** Shared by messages made without a body: a zero-length buffer has nothing to write to. */
const NO_BODY = Buffer.alloc(0);

/**
 * Message.java: what a producer sends. Properties keep insertion order, which is the order they are stored in.
 * A decoded message keeps its properties as the stored string until something needs the whole map: single names
 * are looked up in the string and puts are held aside, with the outcome the map would give (message-properties).
 */
export class Message {
  topic: string;
  flag = 0;
  body: Buffer;
  /** The properties, or undefined while they are only `propertiesString` and `pendingPuts`. */
  private propertyMap: Map<string, string> | undefined;
  private propertiesString = '';
  /** Puts made before the map was built: name, value, name, value..., applied to it in order when it is. */
  private pendingPuts: string[] | undefined;

  /** Without `properties`, none: an empty string until the map is asked for, so a decoder's message builds none. */
  constructor(topic = '', body: Buffer = NO_BODY, properties?: Map<string, string>) {
    this.topic = topic;
    this.body = body;
    this.propertyMap = properties;
  }

  get properties(): Map<string, string> {
    if (this.propertyMap === undefined) {
      const map = string2messageProperties(this.propertiesString);
      const puts = this.pendingPuts;
      if (puts !== undefined) for (let i = 0; i < puts.length; i += 2) map.set(puts[i] as string, puts[i + 1] as string);
      this.propertyMap = map;
      this.propertiesString = '';
      this.pendingPuts = undefined;
    }
    return this.propertyMap;
  }

  set properties(properties: Map<string, string>) {
    this.propertyMap = properties;
    this.propertiesString = '';
    this.pendingPuts = undefined;
  }

  /** Properties in their stored form (messageProperties2String's), to be parsed when first needed whole. */
  setPropertiesString(text: string): void {
    this.propertyMap = undefined;
    this.propertiesString = text;
    this.pendingPuts = undefined;
  }

  /**
   * The properties in their stored form: the string they were read as when nothing parsed or changed them (a
   * stored record's properties re-put as they are costs no parse and no re-join), else the map's.
   */
  storedProperties(): string {
    if (this.propertyMap === undefined && this.pendingPuts === undefined) return this.propertiesString;
    return messageProperties2String(this.properties);
  }

  getProperty(name: string): string | undefined {
    if (this.propertyMap !== undefined) return this.propertyMap.get(name);
    const puts = this.pendingPuts;
    if (puts !== undefined) for (let i = puts.length - 2; i >= 0; i -= 2) if (puts[i] === name) return puts[i + 1];
    return findMessageProperty(this.propertiesString, name);
  }

  putProperty(name: string, value: string): void {
    if (this.propertyMap !== undefined) this.propertyMap.set(name, value);
    else (this.pendingPuts ??= []).push(name, value);
  }

  clearProperty(name: string): void {
    this.properties.delete(name);
  }

  get tags(): string | undefined {
    return this.getProperty(MessageConst.PROPERTY_TAGS);
  }

  set tags(tags: string | undefined) {
    if (tags === undefined) this.properties.delete(MessageConst.PROPERTY_TAGS);
    else this.properties.set(MessageConst.PROPERTY_TAGS, tags);
  }

  /** KEYS as one string (space-separated, as stored). */
  get keys(): string | undefined {
    return this.getProperty(MessageConst.PROPERTY_KEYS);
  }

  set keys(keys: string | readonly string[] | undefined) {
    if (keys === undefined) this.properties.delete(MessageConst.PROPERTY_KEYS);
    else this.properties.set(MessageConst.PROPERTY_KEYS, typeof keys === 'string' ? keys : keys.join(MessageConst.KEY_SEPARATOR));
  }

  /** The non-empty business keys, split as the index splits them. */
  get keyList(): string[] {
    return (this.keys ?? '').split(MessageConst.KEY_SEPARATOR).filter((k) => k.length > 0);
  }

  /** UNIQ_KEY, the producer's message id. */
  get uniqKey(): string | undefined {
    return this.getProperty(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX);
  }

  /** Message.isWaitStoreMsgOK: true unless WAIT is "false" (the Java constructor always sets it). */
  get waitStoreMsgOK(): boolean {
    return this.getProperty(MessageConst.PROPERTY_WAIT_STORE_MSG_OK) !== 'false';
  }
}

const NO_HOST: HostAddress = { address: '0.0.0.0', port: 0 };

/** MessageExt.java: a message as stored, with everything the broker adds. Offsets and times fit a double exactly. */
export class MessageExt extends Message {
  queueId = 0;
  storeSize = 0;
  queueOffset = 0;
  sysFlag = 0;
  bornTimestamp = 0;
  bornHost: HostAddress = NO_HOST;
  storeTimestamp = 0;
  storeHost: HostAddress = NO_HOST;
  /** The offset msgId; undefined: to be made from storeHost and commitLogOffset when first read. */
  private offsetMsgId: string | undefined = '';
  commitLogOffset = 0;
  bodyCRC = 0;
  reconsumeTimes = 0;
  preparedTransactionOffset = 0;

  /** The offset msgId (store host + commit-log offset), set when appended and made on first read when decoded. */
  get msgId(): string {
    if (this.offsetMsgId === undefined) this.offsetMsgId = createMessageId(this.storeHost, this.commitLogOffset);
    return this.offsetMsgId;
  }

  set msgId(msgId: string) {
    this.offsetMsgId = msgId;
  }

  /** For a decoder: msgId comes from storeHost and commitLogOffset, hexed only if read (most never are). */
  msgIdFromStoreHost(): void {
    this.offsetMsgId = undefined;
  }
}

/** MessageExtBrokerInner.java: what the broker hands the store to append. */
export class MessageExtBrokerInner extends MessageExt {
  /**
   * The masked CRC of `body` when it is a stored record's body, unchanged (a committed half message), so the store
   * does not hash it again. Whoever sets it must not change the body afterwards.
   */
  knownBodyCRC: number | undefined;

  /**
   * A stored message to be stored again (a re-put: delay levels, timers): body, flag, a copy of the properties,
   * sysFlag, born time and hosts, store host and reconsume times; the caller sets topic and queue.
   */
  static copyOf(msg: MessageExt): MessageExtBrokerInner {
    const copy = new MessageExtBrokerInner();
    copy.body = msg.body;
    copy.flag = msg.flag;
    copy.properties = new Map(msg.properties);
    copy.sysFlag = msg.sysFlag;
    copy.bornTimestamp = msg.bornTimestamp;
    copy.bornHost = msg.bornHost;
    copy.storeHost = msg.storeHost;
    copy.reconsumeTimes = msg.reconsumeTimes;
    return copy;
  }

  /** The consume-queue tag code: the TAGS hash (reference §7.3). */
  get tagsCode(): number {
    return tagsString2tagsCode(this.tags);
  }
}

/**
 * MessageExtBatch.java: a SEND_BATCH_MESSAGE as the store receives it. `body` is the batch body of reference
 * §4.7 (concatenated inner records); `properties` are the batch-level ones, which every stored record gets
 * appended to its own (4.9.8 and 5.x up to 5.3.3), so later keys of the batch win when read back.
 */
export class MessageExtBatch extends MessageExtBrokerInner {}
