import type { SubscriptionData } from '../../protocol/bodies/heartbeat-data.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { MessageFilter } from '../../store/message-store.js';
import type { ConsumerFilterData, ConsumerFilterManager } from './consumer-filter-manager.js';
import { ExpressionMessageFilter, isTagType, PropertyMessageFilter, RetryPropertyMessageFilter } from './expression-message-filter.js';

/** The filter a pull reads with, or the answer that refuses the pull. */
export type PullMessageFilter = { readonly messageFilter: MessageFilter } | { readonly code: number; readonly remark: string };

export interface PullFilterRequest {
  readonly topic: string;
  readonly consumerGroup: string;
  /** The pull header's subVersion. */
  readonly subVersion: number;
  readonly subscriptionData: SubscriptionData;
  /** The pull carried its subscription (FLAG_SUBSCRIPTION): its expression is compiled now, not looked up. */
  readonly carried: boolean;
}

/**
 * PullMessageProcessor's filter choice (5.3.3): a TAG subscription filters by tag code; any other needs its
 * compiled filter — the pull's own expression, or the one the group's heartbeat registered (none:
 * FILTER_DATA_NOT_EXIST; one older than the pull's subVersion: FILTER_DATA_NOT_LATEST) — and enablePropertyFilter
 * (off: SYSTEM_ERROR, checked after the filter data as Java does). filterSupportRetry picks the retry-aware filter.
 *
 * A carried expression that does not compile is SUBSCRIPTION_PARSE_FAILED; Java (assertions off) would instead
 * read with no filter and deliver everything.
 */
export function resolvePullMessageFilter(
  manager: ConsumerFilterManager,
  config: { readonly enablePropertyFilter: boolean; readonly filterSupportRetry: boolean },
  request: PullFilterRequest,
): PullMessageFilter {
  const { subscriptionData } = request;
  if (isTagType(subscriptionData.expressionType) || subscriptionData.classFilterMode) {
    return { messageFilter: new ExpressionMessageFilter(subscriptionData) };
  }
  let filterData: ConsumerFilterData | undefined;
  if (request.carried) {
    filterData = manager.build(request.topic, request.consumerGroup, subscriptionData.subString, subscriptionData.expressionType, request.subVersion);
    if (filterData === undefined) return { code: ResponseCode.SUBSCRIPTION_PARSE_FAILED, remark: "parse the consumer's subscription failed" };
  } else {
    filterData = manager.get(request.topic, request.consumerGroup);
    if (filterData === undefined) {
      return { code: ResponseCode.FILTER_DATA_NOT_EXIST, remark: "The broker's consumer filter data is not exist!Your expression may be wrong!" };
    }
    if (filterData.clientVersion < request.subVersion) {
      return { code: ResponseCode.FILTER_DATA_NOT_LATEST, remark: "the consumer's consumer filter data not latest" };
    }
  }
  if (!config.enablePropertyFilter) {
    return { code: ResponseCode.SYSTEM_ERROR, remark: `The broker does not support consumer to filter message by ${subscriptionData.expressionType}` };
  }
  return {
    messageFilter: config.filterSupportRetry
      ? new RetryPropertyMessageFilter(subscriptionData, filterData, (topic, group) => manager.get(topic, group))
      : new PropertyMessageFilter(filterData),
  };
}

/**
 * ClientManageProcessor.checkClientConfig (CHECK_CLIENT_CONFIG, 46): a TAG subscription (or none) is fine;
 * otherwise enablePropertyFilter must be on (SYSTEM_ERROR) and the expression must compile
 * (SUBSCRIPTION_PARSE_FAILED with the compiler's message).
 */
export function checkClientConfig(
  compile: (expressionType: string, expression: string) => unknown,
  enablePropertyFilter: boolean,
  subscriptionData: SubscriptionData | undefined,
): { readonly code: number; readonly remark?: string } {
  if (subscriptionData === undefined || isTagType(subscriptionData.expressionType)) return { code: ResponseCode.SUCCESS };
  if (!enablePropertyFilter) {
    return { code: ResponseCode.SYSTEM_ERROR, remark: `The broker does not support consumer to filter message by ${subscriptionData.expressionType}` };
  }
  try {
    compile(subscriptionData.expressionType, subscriptionData.subString);
  } catch (err) {
    return { code: ResponseCode.SUBSCRIPTION_PARSE_FAILED, remark: (err as Error).message };
  }
  return { code: ResponseCode.SUCCESS };
}
