/** The proxy's consumption settings (ProxyConfig.java names and defaults), in ms. */
export interface GrpcConsumerConfig {
  /** grpcClientConsumerMinLongPollingTimeoutMillis (5 s). */
  minLongPollingTimeoutMillis: number;
  /** grpcClientConsumerMaxLongPollingTimeoutMillis (20 s). */
  maxLongPollingTimeoutMillis: number;
  /** defaultInvisibleTimeMills: what an auto-renewed (push) delivery starts with (60 s). */
  defaultInvisibleTimeMillis: number;
  /** minInvisibleTimeMillsForRecv (10 s). */
  minInvisibleTimeMillisForRecv: number;
  /** maxInvisibleTimeMills (12 h). */
  maxInvisibleTimeMillis: number;
  /** invisibleTimeMillisWhenClear: how soon a message nobody will consume is visible again (1 s). */
  invisibleTimeMillisWhenClear: number;
  /** renewAheadTimeMillis: an auto-renewed handle is renewed this long before it expires (10 s). */
  renewAheadTimeMillis: number;
  /** renewMaxTimeMillis: after this long held, a message is no longer renewed but given back (3 h). */
  renewMaxTimeMillis: number;
  /** renewSchedulePeriodMillis (5 s). */
  renewSchedulePeriodMillis: number;
  /** maxRenewRetryTimes (3). */
  maxRenewRetryTimes: number;
}

export function defaultGrpcConsumerConfig(): GrpcConsumerConfig {
  return {
    minLongPollingTimeoutMillis: 5_000,
    maxLongPollingTimeoutMillis: 20_000,
    defaultInvisibleTimeMillis: 60_000,
    minInvisibleTimeMillisForRecv: 10_000,
    maxInvisibleTimeMillis: 12 * 3600_000,
    invisibleTimeMillisWhenClear: 1_000,
    renewAheadTimeMillis: 10_000,
    renewMaxTimeMillis: 3 * 3600_000,
    renewSchedulePeriodMillis: 5_000,
    maxRenewRetryTimes: 3,
  };
}
