import { isPopRetryTopicV2, POP_ORDER_REVIVE_QUEUE, RETRY_GROUP_TOPIC_PREFIX, buildPopRetryTopic } from './key-builder.js';

/**
 * ExtraInfoUtil.java: the POP receipt handle ("extraInfo", the POP_CK property) and the offset summaries of a
 * POP_MESSAGE response header, in Java's text formats so that Java clients, the Java proxy and our own transports
 * can all hand them back.
 */

/** ExtraInfoUtil's topic type: 0 normal, 1 a v1 retry topic (%RETRY%group_topic), 2 a v2 one (%RETRY%group+topic). */
export type TopicType = '0' | '1' | '2';

/** The eight fields of a receipt handle: "ckQueueOffset popTime invisibleTime reviveQid topicType brokerName queueId queueOffset". */
export interface ExtraInfo {
  /** The start offset of the checkpoint the message was popped under. */
  readonly ckQueueOffset: number;
  readonly popTime: number;
  readonly invisibleTime: number;
  /** POP_ORDER_REVIVE_QUEUE (999) for a FIFO pop. */
  readonly reviveQid: number;
  readonly topicType: TopicType;
  readonly brokerName: string;
  readonly queueId: number;
  readonly queueOffset: number;
}

/** ExtraInfoUtil.getRetry. */
export function topicTypeOf(topic: string): TopicType {
  if (isPopRetryTopicV2(topic)) return '2';
  return topic.startsWith(RETRY_GROUP_TOPIC_PREFIX) ? '1' : '0';
}

/** ExtraInfoUtil.buildExtraInfo (the eight-field form). */
export function buildExtraInfo(info: Omit<ExtraInfo, 'topicType'> & { readonly topic: string }): string {
  const { ckQueueOffset, popTime, invisibleTime, reviveQid, topic, brokerName, queueId, queueOffset } = info;
  return `${ckQueueOffset} ${popTime} ${invisibleTime} ${reviveQid} ${topicTypeOf(topic)} ${brokerName} ${queueId} ${queueOffset}`;
}

/**
 * ExtraInfoUtil.split and its getters. The proxy's handles carry a ninth field (the commit-log offset), which is
 * ignored. Throws a RangeError naming what is wrong: a handle that does not parse is bad input.
 */
export function parseExtraInfo(text: string): ExtraInfo {
  const fields = text.split(' ');
  if (fields.length < 8) throw new RangeError(`Parse failed, dataList size ${fields.length}`);
  const integer = (index: number, name: string): number => {
    const raw = fields[index] as string;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(value)) throw new RangeError(`Parse failed, ${name} is not a number: ${raw}`);
    return value;
  };
  const topicType = fields[4];
  if (topicType !== '0' && topicType !== '1' && topicType !== '2') throw new RangeError(`Parse failed, unknown topic type ${String(topicType)}`);
  return {
    ckQueueOffset: integer(0, 'ckQueueOffset'),
    popTime: integer(1, 'popTime'),
    invisibleTime: integer(2, 'invisibleTime'),
    reviveQid: integer(3, 'reviveQid'),
    topicType,
    brokerName: fields[5] as string,
    queueId: integer(6, 'queueId'),
    queueOffset: integer(7, 'queueOffset'),
  };
}

/** ExtraInfoUtil.isOrder. */
export function isOrder(info: ExtraInfo): boolean {
  return info.reviveQid === POP_ORDER_REVIVE_QUEUE;
}

/**
 * ExtraInfoUtil.getRealTopic: the topic the handle's message was popped from (the group's retry topic for types 1
 * and 2). Java clients and the proxy convert before they ack (the request then names the retry topic itself),
 * the gRPC SDKs name the topic they subscribed: both are accepted.
 */
export function realTopicOf(info: ExtraInfo, topic: string, group: string): string {
  if (topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) return topic;
  if (info.topicType === '1') return buildPopRetryTopic(topic, group, false);
  if (info.topicType === '2') return buildPopRetryTopic(topic, group, true);
  return topic;
}

/** ExtraInfoUtil.buildStartOffsetInfo: "topicType queueId startOffset", entries joined by ';'. */
export function startOffsetInfoEntry(topic: string, queueId: number, startOffset: number): string {
  return `${topicTypeOf(topic)} ${queueId} ${startOffset}`;
}

/** ExtraInfoUtil.buildMsgOffsetInfo: "topicType queueId o1,o2,...", entries joined by ';'. */
export function msgOffsetInfoEntry(topic: string, queueId: number, offsets: readonly number[]): string {
  return `${topicTypeOf(topic)} ${queueId} ${offsets.join(',')}`;
}

/** ExtraInfoUtil.buildQueueOffsetOrderCountInfo: "topicType qo<queueId>%<offset> count", entries joined by ';'. */
export function orderCountInfoEntry(topic: string, queueId: number, queueOffset: number, count: number): string {
  return `${topicTypeOf(topic)} qo${queueId}%${queueOffset} ${count}`;
}
