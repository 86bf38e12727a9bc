import type { SubscriptionData } from '../../protocol/bodies/heartbeat-data.js';
import { javaStringHashCode } from '../../protocol/message/index.js';
import type { MessageFilter } from '../../store/message-store.js';

/** SubscriptionData.SUB_ALL. */
export const SUB_ALL = '*';

/** ExpressionType.TAG: the only expression type this broker filters by (enablePropertyFilter is off). */
export function isTagType(expressionType: string | undefined): boolean {
  return expressionType === undefined || expressionType === '' || expressionType === 'TAG';
}

/**
 * FilterAPI.build for a TAG expression: "*" (or nothing) subscribes to all, otherwise "TagA || TagB" gives the
 * tag set and their Java String.hashCode codes, which the consume queue is matched against.
 */
export function buildSubscriptionData(topic: string, subString: string | undefined, expressionType: string | undefined): SubscriptionData {
  const data: SubscriptionData = {
    topic,
    subString: SUB_ALL,
    tagsSet: [],
    codeSet: [],
    subVersion: Date.now(),
    expressionType: expressionType === undefined || expressionType === '' ? 'TAG' : expressionType,
    classFilterMode: false,
  };
  if (subString === undefined || subString.trim() === '' || subString === SUB_ALL) return data;
  data.subString = subString;
  for (const tag of subString.split('||')) {
    const trimmed = tag.trim();
    if (trimmed === '') continue;
    data.tagsSet.push(trimmed);
    data.codeSet.push(javaStringHashCode(trimmed));
  }
  return data;
}

/**
 * ExpressionMessageFilter, the consume-queue half for TAG subscriptions: "*" matches everything, otherwise the
 * entry's tag code must be one of the subscription's codes. Hash collisions pass; the client filters again by
 * the tag string.
 */
export class ExpressionMessageFilter implements MessageFilter {
  private readonly codes: ReadonlySet<number>;
  private readonly all: boolean;

  constructor(subscriptionData: SubscriptionData) {
    this.all = subscriptionData.classFilterMode || subscriptionData.subString === SUB_ALL;
    this.codes = new Set(subscriptionData.codeSet);
  }

  isMatchedByConsumeQueue(tagsCode: number | undefined): boolean {
    return tagsCode === undefined || this.all || this.codes.has(tagsCode);
  }
}
