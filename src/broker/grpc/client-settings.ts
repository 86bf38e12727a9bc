import type { GroupRetryPolicy } from '../../protocol/bodies/subscription-group-wrapper.js';
import { enums } from '../../grpc/schema.js';
import type { Msg, MsgInit } from '../../grpc/types.js';

/** The server's side of the Settings a client receives (ProxyConfig's keys, our defaults). */
export interface GrpcSettingsConfig {
  /** grpcClientProducerMaxAttempts. */
  producerMaxAttempts: number;
  /** grpcClientProducerBackoffInitialMillis / …MaxMillis / …Multiplier. */
  producerBackoffInitialMillis: number;
  producerBackoffMaxMillis: number;
  producerBackoffMultiplier: number;
  /** The store's maxMessageSize: producers refuse larger bodies before sending. */
  maxMessageSize: number;
  /** enableTopicMessageTypeCheck: producers check a message's type against the route's accept types. */
  enableTopicMessageTypeCheck: boolean;
  /** grpcClientConsumerLongPollingBatchSize. */
  receiveBatchSize: number;
  /** grpcClientConsumerMaxLongPollingTimeoutMillis (20 s; tests use shorter ones). */
  longPollingTimeoutMillis: number;
}

export function defaultGrpcSettingsConfig(maxMessageSize: number): GrpcSettingsConfig {
  return {
    producerMaxAttempts: 3,
    producerBackoffInitialMillis: 10,
    producerBackoffMaxMillis: 1000,
    producerBackoffMultiplier: 2,
    maxMessageSize,
    enableTopicMessageTypeCheck: true,
    receiveBatchSize: 32,
    longPollingTimeoutMillis: 20_000,
  };
}

/** What a consumer's group contributes: its FIFO flag and retry policy (SubscriptionGroupConfig). */
export interface GroupSettings {
  consumeMessageOrderly: boolean;
  retryMaxTimes: number;
  groupRetryPolicy: GroupRetryPolicy;
}

/** CustomizedRetryPolicy.java's default schedule: 1 s, 5 s, 10 s, 30 s, 1 m … 10 m, 20 m, 30 m, 1 h, 2 h. */
const DEFAULT_CUSTOMIZED_NEXT = [1, 5, 10, 30, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 1200, 1800, 3600, 7200].map((s) => s * 1000);
/** ExponentialRetryPolicy.java's defaults. */
const DEFAULT_EXPONENTIAL = { initial: 5000, max: 7_200_000, multiplier: 2 };

/**
 * GrpcClientSettingsManager.mergeSettings: the Settings written back to a client on Telemetry = what it sent,
 * completed with the server's values. Producers get an exponential backoff (Java and Node SDKs insist on that
 * strategy), the largest body and the message-type check; consumers the batch size, the long-polling timeout,
 * the FIFO flag and the retry policy of their group (max attempts = retryMaxTimes + 1). Metrics stay off.
 */
export function mergeSettings(client: Msg<'Settings'>, config: GrpcSettingsConfig, group: GroupSettings | undefined): MsgInit<'Settings'> {
  const merged: MsgInit<'Settings'> = { ...client, metric: { on: false } };
  const type = client.clientType;
  if (type === enums.ClientType.PRODUCER) {
    merged.backoffPolicy = {
      maxAttempts: config.producerMaxAttempts,
      exponentialBackoff: {
        initial: config.producerBackoffInitialMillis,
        max: config.producerBackoffMaxMillis,
        multiplier: config.producerBackoffMultiplier,
      },
    };
    merged.publishing = {
      topics: client.publishing?.topics ?? [],
      maxBodySize: config.maxMessageSize,
      validateMessageType: config.enableTopicMessageTypeCheck,
    };
    return merged;
  }
  if (client.subscription !== undefined) {
    merged.subscription = {
      ...client.subscription,
      fifo: group?.consumeMessageOrderly ?? false,
      receiveBatchSize: config.receiveBatchSize,
      longPollingTimeout: config.longPollingTimeoutMillis,
    };
    if (group !== undefined) merged.backoffPolicy = retryPolicyOf(group);
  }
  return merged;
}

function retryPolicyOf(group: GroupSettings): MsgInit<'RetryPolicy'> {
  const maxAttempts = group.retryMaxTimes + 1;
  const policy = group.groupRetryPolicy;
  if (policy.type === 'EXPONENTIAL') {
    const e = policy.exponentialRetryPolicy ?? DEFAULT_EXPONENTIAL;
    return { maxAttempts, exponentialBackoff: { initial: e.initial, max: e.max, multiplier: e.multiplier } };
  }
  return { maxAttempts, customizedBackoff: { next: policy.customizedRetryPolicy?.next ?? DEFAULT_CUSTOMIZED_NEXT } };
}

/** RetryPolicy.nextDelayDuration of the group's policy (defaults as Java's): the delay before attempt reconsumeTimes + 2. */
export function nextRetryDelay(group: GroupSettings | undefined, reconsumeTimes: number): number {
  const policy = group?.groupRetryPolicy;
  if (policy?.type === 'EXPONENTIAL') {
    const e = policy.exponentialRetryPolicy ?? DEFAULT_EXPONENTIAL;
    return Math.min(e.max, e.initial * Math.pow(e.multiplier, Math.max(0, reconsumeTimes)));
  }
  const next = policy?.customizedRetryPolicy?.next ?? DEFAULT_CUSTOMIZED_NEXT;
  return next[Math.min(Math.max(0, reconsumeTimes), next.length - 1)] ?? 1000;
}
