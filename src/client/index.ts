export { Producer, type ProducerOptions, type SendOptions, type RequestOptions } from './producer/producer.js';
export { RMQ_SYS_TRACE_TOPIC, type TraceOption } from './trace/async-trace-dispatcher.js';
export { openTelemetryContextOf, type OpenTelemetryContext, type TraceContextInput } from './trace/propagation.js';
export { parseTraceparent, type TraceParent, type W3CTraceContext } from './trace/w3c-trace-context.js';
export type { ConsumeAttempt, ConsumerGroupTrace, EndTransactionTrace, MessageTrace, PubTrace, RecallTrace } from './trace/message-trace.js';
export type { ProducerMessage } from './producer/producer-message.js';
export { createReplyMessage, getReplyTopic, REPLY_MESSAGE_FLAG, type ReplyMessage, type RequestMessageLike } from './producer/reply-message.js';
export {
  TransactionProducer,
  TransactionState,
  type LocalTransaction,
  type LocalTransactionState,
  type TransactionChecker,
  type TransactionProducerOptions,
  type TransactionSendResult,
} from './producer/transaction-producer.js';
export type { SendResult, SendStatus } from './producer/send-result.js';
export { decodeRecallHandle, type RecallHandle } from './producer/recall-handle.js';
export {
  selectMessageQueueByHash,
  selectMessageQueueByRandom,
  javaHashCode,
  type MessageQueueSelector,
} from './producer/message-queue-selector.js';
export type { MessageQueue } from '../protocol/bodies/message-queue.js';
export { MQClientError, ClientErrorCode, RequestTimeoutError, type MQClientErrorOptions } from './errors.js';
export { MQClientInstance, type TopicTemplate } from './client-instance.js';
export { MQClientManager } from './client-manager.js';
export { AclClientRPCHook, type SessionCredentials } from './acl/acl-client-rpc-hook.js';
export { aclSignature, ACCESS_KEY, SECURITY_TOKEN, SIGNATURE } from '../protocol/acl-signature.js';
export { type ClientOptions, type ClientConfig, buildMQClientId, getLocalAddress, resolveClientConfig } from './config.js';
export { MessageClientIDSetter, parseUniqID } from './message-client-id.js';
export { MQFaultStrategy, DEFAULT_LATENCY_MAX, DEFAULT_NOT_AVAILABLE_DURATION, type MQFaultStrategyOptions } from './route/mq-fault-strategy.js';
export { TopicPublishInfo, topicRouteData2TopicPublishInfo, type QueueFilter } from './route/topic-publish-info.js';
export { Admin, type AdminOptions, type BrokerAclConfigVersion, type BrokerTarget, type CreateTopicOptions, type PullResult } from './admin/admin.js';
export type { AclFileVersion, BrokerClusterAclConfig, PlainAccessConfigBody } from '../protocol/bodies/acl-v1.js';
export type { TopicOffset, QueueProgress, ConsumeProgress, ConsumerRunningInfo, ProcessQueueInfo } from './admin/admin-bodies.js';
export { PushConsumer, type PushConsumerOptions } from './consumer/push-consumer.js';
export { LitePullConsumer, type LitePullConsumerOptions } from './consumer/lite-pull-consumer.js';
export type { ConsumerMessage } from './consumer/consumer-message.js';
export { MessageSelector, type ExpressionType } from './consumer/subscription.js';
export type { ConsumeResult, MessageListener } from './consumer/consume-service.js';
export {
  AllocateMessageQueueAveragely,
  AllocateMessageQueueAveragelyByCircle,
  AllocateMessageQueueConsistentHash,
  AllocateMessageQueueByConfig,
  type AllocateMessageQueueStrategy,
} from './consumer/allocate-strategy.js';
export {
  ProducerEvents,
  ConsumerEvents,
  LitePullConsumerEvents,
  InstrumentationEmitter,
  type InstrumentationEvent,
  type InstrumentationListener,
  type RemoveInstrumentationListener,
  type PrefixedPayloads,
  type NetworkEventSink,
  type NetworkEventPayloads,
  type ProducerEventPayloads,
  type ConsumerEventPayloads,
  type LitePullConsumerEventPayloads,
  type ProducerEventType,
  type ConsumerEventType,
  type LitePullConsumerEventType,
  type ProducerEventMap,
  type ConsumerEventMap,
  type LitePullConsumerEventMap,
  type RequestPayload,
  type RequestTimeoutPayload,
  type ConnectionPayload,
  type HeartbeatPayload,
  type LifecyclePayload,
  type TransactionEndPayload,
  type TransactionCheckPayload,
  type RequestEndPayload,
  type RebalancePayload,
  type PullPayload,
  type ConsumeStartPayload,
  type ConsumeEndPayload,
  type PollPayload,
  type CommitOffsetsPayload,
  type CrashPayload,
} from './instrumentation.js';
export { enableOpenTelemetryMetrics, type OpenTelemetryMeterProvider } from './otel-metrics.js';
