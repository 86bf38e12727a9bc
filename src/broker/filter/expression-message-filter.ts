import type { EvaluationContext } from '../../filter/index.js';
import type { SubscriptionData } from '../../protocol/bodies/heartbeat-data.js';
import { findMessageProperty, javaStringHashCode, MessageConst, readStoredPropertiesString } from '../../protocol/message/index.js';
import type { MessageFilter } from '../../store/message-store.js';
import type { ConsumerFilterData } from './consumer-filter-manager.js';

/** SubscriptionData.SUB_ALL. */
export const SUB_ALL = '*';
/** MixAll.RETRY_GROUP_TOPIC_PREFIX. */
const RETRY_GROUP_TOPIC_PREFIX = '%RETRY%';

/** ExpressionType.isTagType: TAG, or no type at all (clients before 4.1). */
export function isTagType(expressionType: string | undefined): boolean {
  return expressionType === undefined || expressionType === '' || expressionType === 'TAG';
}

/**
 * FilterAPI.build. A TAG expression: "*" (or nothing) subscribes to all, otherwise "TagA || TagB" gives the tag set
 * and their Java String.hashCode codes, which the consume queue is matched against. Any other type (SQL92) keeps
 * its expression as it is, and must have one.
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
  if (!isTagType(expressionType)) {
    if (subString === undefined || subString === '') throw new RangeError(`Expression can't be null! ${expressionType}`);
    data.subString = subString;
    return data;
  }
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
 * ExpressionMessageFilter for a TAG subscription: "*" matches everything, otherwise the consume-queue entry's tag
 * code must be one of the subscription's codes. Hash collisions pass; the client filters again by the tag string.
 * It never reads the message.
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

/**
 * ExpressionMessageFilter for a SQL92 subscription: the consume queue says nothing (no bloom filter bitmap here),
 * each message's properties are evaluated, and only TRUE delivers it. No compiled filter delivers everything, as
 * in Java.
 */
export class PropertyMessageFilter implements MessageFilter {
  readonly verdictScope: MessageFilter['verdictScope'];

  /** @param judgedAlone whether a verdict depends on the record alone, so that the store may judge in bulk. */
  constructor(
    protected readonly filterData: ConsumerFilterData | undefined,
    judgedAlone = true,
  ) {
    const expression = filterData?.compiledExpression;
    this.verdictScope = !judgedAlone || expression === undefined || filterData === undefined ? undefined : { key: expression, topic: filterData.topic };
  }

  isMatchedByConsumeQueue(): boolean {
    return true;
  }

  isMatchedByCommitLog(record: Buffer | undefined, properties?: ReadonlyMap<string, string>): boolean {
    const expression = this.filterData?.compiledExpression;
    if (expression === undefined) return true;
    const context = contextOf(record, properties);
    return context === undefined || expression.matches(context);
  }
}

/**
 * ExpressionForRetryMessageFilter (filterSupportRetry): as PropertyMessageFilter, except that a pull of a retry
 * topic (%RETRY%group) with a SQL92 subscription evaluates each message with the group's filter of the topic the
 * message was first sent to (its RETRY_TOPIC property); a group with no filter there gets every message.
 */
export class RetryPropertyMessageFilter extends PropertyMessageFilter {
  private readonly retryGroup: string | undefined;

  constructor(
    subscriptionData: SubscriptionData,
    filterData: ConsumerFilterData | undefined,
    private readonly filterOf: (topic: string, group: string) => ConsumerFilterData | undefined,
  ) {
    // A retry topic's verdicts follow each message's first topic's filter, which can change: judged one by one.
    const retryGroup = subscriptionData.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX) ? parseGroup(subscriptionData.topic) : undefined;
    super(filterData, retryGroup === undefined);
    this.retryGroup = retryGroup;
  }

  override isMatchedByCommitLog(record: Buffer | undefined, properties?: ReadonlyMap<string, string>): boolean {
    if (this.retryGroup === undefined) return super.isMatchedByCommitLog(record, properties);
    const context = contextOf(record, properties);
    if (context === undefined) return true;
    const realTopic = context.get(MessageConst.PROPERTY_RETRY_TOPIC);
    const expression = realTopic === undefined ? undefined : this.filterOf(realTopic, this.retryGroup)?.compiledExpression;
    return expression === undefined || expression.matches(context);
  }
}

/** KeyBuilder.parseGroup: the group of %RETRY%group, or of a POP v2 retry topic %RETRY%group+topic. */
function parseGroup(retryTopic: string): string {
  const parts = retryTopic.split('+');
  return parts.length === 2 ? (parts[0] as string).slice(RETRY_GROUP_TOPIC_PREFIX.length) : retryTopic.slice(RETRY_GROUP_TOPIC_PREFIX.length);
}

/**
 * The properties to evaluate: the dispatched message's map, or a lookup in the stored record's properties string
 * (MessageDecoder.decodeProperties, without building the map). undefined: neither.
 */
function contextOf(record: Buffer | undefined, properties: ReadonlyMap<string, string> | undefined): EvaluationContext | undefined {
  if (properties !== undefined) return properties;
  if (record === undefined) return undefined;
  const text = readStoredPropertiesString(record);
  return { get: (name) => findMessageProperty(text, name) };
}
