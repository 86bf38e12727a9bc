import type { SubscriptionData } from '../../protocol/bodies/heartbeat-data.js';
import { javaStringHashCode } from '../../protocol/message/message.js';

/** SubscriptionData.SUB_ALL. */
export const SUB_ALL = '*';
/** MixAll.RETRY_GROUP_TOPIC_PREFIX: where a group's failed messages come back. */
export const RETRY_GROUP_TOPIC_PREFIX = '%RETRY%';

export function retryTopic(group: string): string {
  return `${RETRY_GROUP_TOPIC_PREFIX}${group}`;
}

/** ExpressionType: TAG (tag expressions, the default) and SQL92 (selectors on message properties). */
export type ExpressionType = 'TAG' | 'SQL92';

/**
 * MessageSelector.java: what a consumer subscribes with. A plain string is a tag expression ("*", "TagA || TagB");
 * `MessageSelector.bySql("a BETWEEN 3 AND 5 AND TAGS = 'x'")` filters on the broker by message properties (the
 * broker needs enablePropertyFilter=true), and the consumer's start() fails when the broker cannot.
 */
export interface MessageSelector {
  readonly type: ExpressionType;
  readonly expression: string;
}

export const MessageSelector = {
  /** A SQL92 selector over message properties (user properties and TAGS, KEYS...). */
  bySql(sql: string): MessageSelector {
    return { type: 'SQL92', expression: sql };
  },
  /** A tag expression: "*" or "TagA || TagB". */
  byTag(tag: string): MessageSelector {
    return { type: 'TAG', expression: tag };
  },
} as const;

/** ExpressionType.isTagType: TAG, or no type (clients before 4.1). */
export function isTagType(expressionType: string | undefined): boolean {
  return expressionType === undefined || expressionType === '' || expressionType === 'TAG';
}

/**
 * DefaultMQPushConsumerImpl.subscribe(topic, MessageSelector): a tag expression (a string, or a TAG selector) or a
 * SQL92 selector, kept as written (the broker compiles it; no tag codes).
 */
export function buildSubscription(topic: string, selector: string | MessageSelector | undefined): SubscriptionData {
  if (selector === undefined) return buildSubscriptionData(topic, SUB_ALL);
  if (typeof selector === 'string') return buildSubscriptionData(topic, selector);
  if (selector.type === 'TAG') return buildSubscriptionData(topic, selector.expression);
  if (selector.type !== 'SQL92') throw new RangeError(`unknown expression type ${String(selector.type)}; TAG or SQL92`);
  // As FilterAPI.build: only an empty expression is refused here; the broker judges the rest.
  if (typeof selector.expression !== 'string' || selector.expression === '') throw new RangeError("Expression can't be null! SQL92");
  return {
    topic,
    subString: selector.expression,
    tagsSet: [],
    codeSet: [],
    subVersion: Date.now(),
    expressionType: 'SQL92',
    classFilterMode: false,
  };
}

/**
 * FilterAPI.buildSubscriptionData for TAG expressions: "*" (or empty) takes everything; otherwise tags separated
 * by "||", each trimmed, with its Java hashCode (the broker filters its consume queue by these codes).
 */
export function buildSubscriptionData(topic: string, subString: string): SubscriptionData {
  const trimmed = subString.trim();
  const data: SubscriptionData = {
    topic,
    subString: trimmed === '' ? SUB_ALL : trimmed,
    tagsSet: [],
    codeSet: [],
    subVersion: Date.now(),
    expressionType: 'TAG',
    classFilterMode: false,
  };
  if (data.subString === SUB_ALL) return data;
  for (const tag of data.subString.split('||')) {
    const t = tag.trim();
    if (t === '' || data.tagsSet.includes(t)) continue;
    data.tagsSet.push(t);
    data.codeSet.push(javaStringHashCode(t));
  }
  if (data.tagsSet.length === 0) throw new RangeError(`subscription expression '${subString}' names no tag`);
  return data;
}

/**
 * PullAPIWrapper.processPullResult's re-check: the broker filters by tag hash code, so two tags with the same
 * hashCode both arrive; only the tag itself tells them apart.
 */
export function tagMatches(subscription: SubscriptionData, tags: string | undefined): boolean {
  if (!filtersByTag(subscription)) return true;
  return tags !== undefined && subscription.tagsSet.includes(tags);
}

/** Whether tagMatches can turn a message away: the subscription names tags (not "*") and is no class filter. */
export function filtersByTag(subscription: SubscriptionData): boolean {
  return subscription.tagsSet.length > 0 && !subscription.classFilterMode;
}
