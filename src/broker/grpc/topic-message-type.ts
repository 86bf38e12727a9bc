import { enums } from '../../grpc/schema.js';
import type { TopicConfig } from '../../protocol/bodies/topic-config.js';
import { MessageConst } from '../../protocol/message/index.js';

/** TopicMessageType.java: the topic attribute `message.type` and what a message's properties make it. */
export const TOPIC_MESSAGE_TYPES = ['UNSPECIFIED', 'NORMAL', 'FIFO', 'DELAY', 'TRANSACTION', 'MIXED'] as const;
export type TopicMessageType = (typeof TOPIC_MESSAGE_TYPES)[number];

/** TopicAttributes.TOPIC_MESSAGE_TYPE_ATTRIBUTE's key. */
export const MESSAGE_TYPE_ATTRIBUTE = 'message.type';

export function isTopicMessageType(value: string): value is TopicMessageType {
  return (TOPIC_MESSAGE_TYPES as readonly string[]).includes(value);
}

/** TopicConfig.getTopicMessageType: the attribute, NORMAL when absent; an unknown value reads as UNSPECIFIED. */
export function topicMessageTypeOf(config: TopicConfig): TopicMessageType {
  const value = config.attributes?.get(MESSAGE_TYPE_ATTRIBUTE);
  if (value === undefined) return 'NORMAL';
  return isTopicMessageType(value) ? value : 'UNSPECIFIED';
}

/** TopicMessageType.parseFromMessageProperty: what kind of message its properties make. */
export function messageTypeOfProperties(properties: ReadonlyMap<string, string>): TopicMessageType {
  if (properties.get(MessageConst.PROPERTY_TRANSACTION_PREPARED) === 'true') return 'TRANSACTION';
  if (
    properties.has(MessageConst.PROPERTY_DELAY_TIME_LEVEL) ||
    properties.has(MessageConst.PROPERTY_TIMER_DELIVER_MS) ||
    properties.has(MessageConst.PROPERTY_TIMER_DELAY_SEC) ||
    properties.has(MessageConst.PROPERTY_TIMER_DELAY_MS)
  ) {
    return 'DELAY';
  }
  if (properties.has(MessageConst.PROPERTY_SHARDING_KEY)) return 'FIFO';
  return 'NORMAL';
}

const PROTO_TYPE: Readonly<Record<Exclude<TopicMessageType, 'MIXED'>, number>> = {
  UNSPECIFIED: enums.MessageType.MESSAGE_TYPE_UNSPECIFIED,
  NORMAL: enums.MessageType.NORMAL,
  FIFO: enums.MessageType.FIFO,
  DELAY: enums.MessageType.DELAY,
  TRANSACTION: enums.MessageType.TRANSACTION,
};

/** RouteActivity.parseTopicMessageType: the route's accept_message_types; MIXED accepts all four. */
export function acceptMessageTypes(type: TopicMessageType): number[] {
  if (type === 'MIXED') return [PROTO_TYPE.NORMAL, PROTO_TYPE.FIFO, PROTO_TYPE.DELAY, PROTO_TYPE.TRANSACTION];
  return [PROTO_TYPE[type]];
}

/** The proto MessageType of a kind of message (never MIXED). */
export function protoMessageType(type: TopicMessageType): number {
  return type === 'MIXED' ? PROTO_TYPE.UNSPECIFIED : PROTO_TYPE[type];
}

/**
 * DefaultTopicMessageTypeValidator.validate: undefined when a topic of type `expected` takes a message of type
 * `actual`, else the refusal text — Java's sentence, with the way out added (users meet it when a topic was made
 * without a type, apache/rocketmq#5261).
 */
export function messageTypeConflict(topic: string, expected: TopicMessageType, actual: TopicMessageType): string | undefined {
  if (actual !== 'UNSPECIFIED' && (actual === expected || expected === 'MIXED')) return undefined;
  const hint =
    expected === 'FIFO'
      ? `; send with a message group, or create the topic with --type ${actual} or MIXED`
      : `; create the topic with --type ${actual} or MIXED (rocketmq-ts topic create -t ${topic} --type MIXED)`;
  return `TopicMessageType validate failed, the expected type is ${expected}, but actual type is ${actual}: topic ${topic} is ${expected}${hint}`;
}
