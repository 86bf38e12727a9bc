import type { SubscriptionData } from '../../protocol/bodies/heartbeat-data.js';
import { javaStringHashCode } from '../../protocol/message/message.js';

/** SubscriptionData.SUB_ALL. */
export const SUB_ALL = '*';
/** MixAll.RETRY_GROUP_TOPIC_PREFIX: where a group's failed messages come back. */
export const RETRY_GROUP_TOPIC_PREFIX = '%RETRY%';

export function retryTopic(group: string): string {
  return `${RETRY_GROUP_TOPIC_PREFIX}${group}`;
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
