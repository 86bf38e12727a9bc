import { inspect, promisify } from 'node:util';
import { inflate } from 'node:zlib';
import type { SubscriptionData } from '../../protocol/bodies/heartbeat-data.js';
import { decodeStoredMessages } from '../../protocol/message/message-decoder.js';
import { MessageConst } from '../../protocol/message/message-const.js';
import { MessageSysFlag } from '../../protocol/message/message-sys-flag.js';
import type { MessageExt } from '../../protocol/message/message.js';
import type { ClientNamespace } from '../namespace.js';
import { traceContextOf, type W3CTraceContext } from '../trace/w3c-trace-context.js';
import { filtersByTag, tagMatches } from './subscription.js';

const inflateAsync = promisify(inflate);

/**
 * What a listener receives: a read-only view of one consumed message. `properties` and `offsetMsgId` are getters,
 * made on their first read (most listeners never read them, and every message would pay for them): `{ ...msg }`
 * leaves them out, while JSON.stringify and console.log show them.
 */
export interface ConsumerMessage {
  readonly topic: string;
  readonly body: Buffer;
  readonly tags: string | undefined;
  readonly keys: string[];
  /** The producer's id (UNIQ_KEY) when it set one, else the offset id — what Java's MessageClientExt.getMsgId says. */
  readonly msgId: string;
  /** The broker's id: store host and commit-log offset. */
  readonly offsetMsgId: string;
  readonly queueId: number;
  readonly queueOffset: number;
  readonly properties: Readonly<Record<string, string>>;
  readonly reconsumeTimes: number;
  readonly bornTimestamp: number;
  readonly storeTimestamp: number;
  readonly brokerName: string;
  /**
   * The W3C trace context its producer wrote (traceparent, tracestate, baggage properties: the OpenTelemetry Java
   * agent's, or a traceContext given to our Producer); undefined when it has no valid traceparent. For an
   * OpenTelemetry Context to start the consumer's span from, see openTelemetryContextOf.
   */
  readonly traceContext?: W3CTraceContext | undefined;
}

class ReceivedMessage implements ConsumerMessage {
  readonly topic: string;
  readonly body: Buffer;
  readonly tags: string | undefined;
  readonly keys: string[];
  readonly msgId: string;
  readonly queueId: number;
  readonly queueOffset: number;
  readonly reconsumeTimes: number;
  readonly bornTimestamp: number;
  readonly storeTimestamp: number;
  readonly brokerName: string;
  readonly #message: MessageExt;
  #properties: Readonly<Record<string, string>> | undefined;

  constructor(msg: MessageExt, brokerName: string) {
    this.topic = msg.topic;
    this.body = msg.body;
    this.tags = msg.tags;
    this.keys = msg.keyList;
    this.msgId = msg.uniqKey ?? msg.msgId;
    this.queueId = msg.queueId;
    this.queueOffset = msg.queueOffset;
    this.reconsumeTimes = msg.reconsumeTimes;
    this.bornTimestamp = msg.bornTimestamp;
    this.storeTimestamp = msg.storeTimestamp;
    this.brokerName = brokerName;
    this.#message = msg;
  }

  get properties(): Readonly<Record<string, string>> {
    if (this.#properties === undefined) {
      // forEach, not Object.fromEntries or for-of: no entry pair is allocated.
      const properties: Record<string, string> = {};
      this.#message.properties.forEach((value, name) => (properties[name] = value));
      this.#properties = properties;
    }
    return this.#properties;
  }

  get offsetMsgId(): string {
    return this.#message.msgId;
  }

  get traceContext(): W3CTraceContext | undefined {
    return traceContextOf((name) => this.#message.getProperty(name));
  }

  toJSON(): ConsumerMessage {
    const traceContext = this.traceContext;
    return { ...this, offsetMsgId: this.offsetMsgId, properties: this.properties, ...(traceContext === undefined ? {} : { traceContext }) };
  }

  [inspect.custom](): ConsumerMessage {
    return this.toJSON();
  }
}

export function toConsumerMessage(msg: MessageExt, brokerName: string): ConsumerMessage {
  return new ReceivedMessage(msg, brokerName);
}

/**
 * PullAPIWrapper.processPullResult (reference §5.7): decode the records, inflate compressed bodies, keep only the
 * subscribed tags (the broker matched hash codes only), and stamp MIN_OFFSET/MAX_OFFSET as Java does. A record
 * whose body does not inflate is kept compressed and logged by the caller rather than dropped silently. Bodies
 * are views of the pull body (it is never written to): one allocation per pull rather than one per message.
 */
export async function processPullBody(
  body: Buffer,
  subscription: SubscriptionData,
  minOffset: number,
  maxOffset: number,
  onBadBody: (msg: MessageExt, err: unknown) => void,
): Promise<MessageExt[]> {
  const decoded = decodeStoredMessages(body, { copyBody: false });
  const found = filtersByTag(subscription) ? decoded.filter((msg) => tagMatches(subscription, msg.tags)) : decoded;
  const min = String(minOffset);
  const max = String(maxOffset);
  for (const msg of found) {
    if ((msg.sysFlag & MessageSysFlag.COMPRESSED_FLAG) !== 0) {
      try {
        msg.body = await inflateAsync(msg.body);
      } catch (err) {
        onBadBody(msg, err);
      }
    }
    msg.putProperty(MessageConst.PROPERTY_MIN_OFFSET, min);
    msg.putProperty(MessageConst.PROPERTY_MAX_OFFSET, max);
  }
  return found;
}

/**
 * DefaultMQPushConsumerImpl.resetRetryAndNamespace: a message from the group's retry topic shows its original topic
 * (its RETRY_TOPIC property, which keeps the namespace), and every topic is shown without the consumer's namespace.
 */
export function resetRetryAndNamespace(msgs: readonly MessageExt[], groupRetryTopic: string, ns: ClientNamespace): void {
  for (const msg of msgs) {
    const original = msg.topic === groupRetryTopic ? msg.getProperty(MessageConst.PROPERTY_RETRY_TOPIC) : undefined;
    if (original !== undefined) msg.topic = original;
    if (ns.active) msg.topic = ns.unwrap(msg.topic);
  }
}

/** DefaultLitePullConsumerImpl.resetTopic: polled messages show their topic without the namespace. */
export function resetNamespace(msgs: readonly MessageExt[], ns: ClientNamespace): void {
  if (!ns.active) return;
  for (const msg of msgs) msg.topic = ns.unwrap(msg.topic);
}
