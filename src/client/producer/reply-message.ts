import { promisify } from 'node:util';
import { inflate } from 'node:zlib';
import type { ReplyMessageRequestHeader } from '../../protocol/headers/broker.js';
import type { DecodedHeader } from '../../protocol/custom-header.js';
import { MessageConst } from '../../protocol/message/message-const.js';
import { string2messageProperties } from '../../protocol/message/message-properties.js';
import { MessageSysFlag } from '../../protocol/message/message-sys-flag.js';
import { ClientErrorCode, MQClientError } from '../errors.js';
import type { ProducerMessage } from './producer-message.js';

const inflateAsync = promisify(inflate);

/** MixAll.REPLY_MESSAGE_FLAG: the MSG_TYPE of a reply, which makes a producer send it with SEND_REPLY_MESSAGE_V2. */
export const REPLY_MESSAGE_FLAG = 'reply';

/** MixAll.getReplyTopic: where a cluster's brokers store replies (one queue, created at broker start). */
export function getReplyTopic(cluster: string): string {
  return `${cluster}_REPLY_TOPIC`;
}

/**
 * What `Producer.request` resolves with: the reply as its requester's client received it from the broker
 * (PUSH_REPLY_MESSAGE_TO_CLIENT), Java's MessageExt of ClientRemotingProcessor.receiveReplyMessage. The body is
 * inflated when the replier compressed it.
 */
export interface ReplyMessage {
  /** `<cluster>_REPLY_TOPIC`. */
  readonly topic: string;
  readonly body: Buffer;
  readonly tags: string | undefined;
  readonly keys: string[];
  /** The replier's message id (its UNIQ_KEY), when it set one. */
  readonly msgId: string | undefined;
  /** The request's CORRELATION_ID, which the reply carries back. */
  readonly correlationId: string;
  /**
   * Every property: the replier's (MSG_TYPE=reply, CORRELATION_ID, REPLY_TO_CLIENT, TTL, UNIQ_KEY, user
   * properties), the broker's (PUSH_REPLY_TIME; 5.x brokers MSG_REGION and TRACE_ON) and ARRIVE_TIME, when this
   * client received it (ms since the epoch).
   */
  readonly properties: Readonly<Record<string, string>>;
  readonly queueId: number;
  readonly flag: number;
  readonly sysFlag: number;
  /** When the replier made it, by its clock. */
  readonly bornTimestamp: number;
  /** The replier's address as the broker saw it ("ip:port"). */
  readonly bornHost: string;
  /** When the broker pushed it, by its clock. */
  readonly storeTimestamp: number;
  /** The broker's address ("ip:port"). */
  readonly storeHost: string;
  readonly reconsumeTimes: number;
}

/** What createReplyMessage needs of a request: its properties (a consumed message, or a reply to reply to). */
export interface RequestMessageLike {
  readonly properties: Readonly<Record<string, string>>;
}

/**
 * MessageUtil.createReplyMessage: the reply to a request message a consumer received, for a normal `send` (which
 * goes out as SEND_REPLY_MESSAGE_V2 because of MSG_TYPE=reply). Its topic is the request's cluster's reply topic
 * (`<CLUSTER>_REPLY_TOPIC`; brokers add CLUSTER to every message they store), and it carries the request's
 * CORRELATION_ID, REPLY_TO_CLIENT and TTL back. Throws MQClientError 10007 (CREATE_REPLY_MESSAGE_EXCEPTION) with
 * Java's message when the request lacks CLUSTER. `extra` adds tags, keys or user properties to the reply.
 */
export function createReplyMessage(
  request: RequestMessageLike,
  body: ProducerMessage['body'],
  extra: Pick<ProducerMessage, 'tags' | 'keys' | 'properties'> = {},
): ProducerMessage {
  if (typeof request !== 'object' || request === null) {
    throw new MQClientError('create reply message fail, requestMessage cannot be null.', { responseCode: ClientErrorCode.CREATE_REPLY_MESSAGE_EXCEPTION });
  }
  const requestProperties = request.properties;
  const cluster = requestProperties[MessageConst.PROPERTY_CLUSTER];
  if (cluster === undefined) {
    throw new MQClientError(`create reply message fail, requestMessage error, property[${MessageConst.PROPERTY_CLUSTER}] is null.`, {
      responseCode: ClientErrorCode.CREATE_REPLY_MESSAGE_EXCEPTION,
    });
  }
  const properties: Record<string, string> = { ...extra.properties, [MessageConst.PROPERTY_MESSAGE_TYPE]: REPLY_MESSAGE_FLAG };
  // Java puts each of the three even when the request lacks it (a null value, which is then not sent).
  for (const name of [MessageConst.PROPERTY_CORRELATION_ID, MessageConst.PROPERTY_MESSAGE_REPLY_TO_CLIENT, MessageConst.PROPERTY_MESSAGE_TTL]) {
    const value = requestProperties[name];
    if (value === undefined) delete properties[name];
    else properties[name] = value;
  }
  const reply: ProducerMessage = { topic: getReplyTopic(cluster), body, properties };
  if (extra.tags !== undefined) reply.tags = extra.tags;
  if (extra.keys !== undefined) reply.keys = extra.keys;
  return reply;
}

/**
 * ClientRemotingProcessor.receiveReplyMessage: the reply a broker pushed, with ARRIVE_TIME = `receivedAt`. A
 * compressed body is inflated (zlib: what our producers and Java's use by default); one that does not inflate is
 * kept as it came and reported through `onBadBody`, as Java logs and keeps it.
 */
export async function decodeReplyMessage(
  header: DecodedHeader<typeof ReplyMessageRequestHeader>,
  body: Buffer | undefined,
  receivedAt: number,
  onBadBody: (err: unknown) => void,
): Promise<ReplyMessage> {
  let replyBody = body ?? Buffer.alloc(0);
  if ((header.sysFlag & MessageSysFlag.COMPRESSED_FLAG) !== 0) {
    try {
      replyBody = await inflateAsync(replyBody);
    } catch (err) {
      onBadBody(err);
    }
  }
  const map = string2messageProperties(header.properties ?? '');
  map.set(MessageConst.PROPERTY_REPLY_MESSAGE_ARRIVE_TIME, String(receivedAt));
  const properties: Record<string, string> = {};
  map.forEach((value, name) => (properties[name] = value));
  const keys = properties[MessageConst.PROPERTY_KEYS];
  return {
    topic: header.topic,
    body: replyBody,
    tags: properties[MessageConst.PROPERTY_TAGS],
    keys: keys === undefined ? [] : keys.split(MessageConst.KEY_SEPARATOR).filter((k) => k !== ''),
    msgId: properties[MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX],
    correlationId: properties[MessageConst.PROPERTY_CORRELATION_ID] ?? '',
    properties,
    queueId: header.queueId,
    flag: header.flag,
    sysFlag: header.sysFlag,
    bornTimestamp: header.bornTimestamp,
    bornHost: header.bornHost,
    storeTimestamp: header.storeTimestamp,
    storeHost: header.storeHost,
    reconsumeTimes: header.reconsumeTimes ?? 0,
  };
}
