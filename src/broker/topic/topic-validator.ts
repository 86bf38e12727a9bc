/** TopicValidator.java and the MixAll topic/group names the broker knows. */
export const TopicValidator = {
  AUTO_CREATE_TOPIC_KEY_TOPIC: 'TBW102',
  RMQ_SYS_SCHEDULE_TOPIC: 'SCHEDULE_TOPIC_XXXX',
  RMQ_SYS_BENCHMARK_TOPIC: 'BenchmarkTest',
  RMQ_SYS_TRANS_HALF_TOPIC: 'RMQ_SYS_TRANS_HALF_TOPIC',
  RMQ_SYS_TRACE_TOPIC: 'RMQ_SYS_TRACE_TOPIC',
  RMQ_SYS_TRANS_OP_HALF_TOPIC: 'RMQ_SYS_TRANS_OP_HALF_TOPIC',
  RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC: 'TRANS_CHECK_MAX_TIME_TOPIC',
  RMQ_SYS_SELF_TEST_TOPIC: 'SELF_TEST_TOPIC',
  RMQ_SYS_OFFSET_MOVED_EVENT: 'OFFSET_MOVED_EVENT',
  RMQ_SYS_ROCKSDB_OFFSET_TOPIC: 'CHECKPOINT_TOPIC',
  /** TimerMessageStore.TIMER_TOPIC (src/store/timer): timer messages wait here, queue 0, until their time. */
  RMQ_SYS_WHEEL_TIMER_TOPIC: 'rmq_sys_wheel_timer',
  SYSTEM_TOPIC_PREFIX: 'rmq_sys_',
} as const;

export const RETRY_GROUP_TOPIC_PREFIX = '%RETRY%';
export const DLQ_GROUP_TOPIC_PREFIX = '%DLQ%';
export const REPLY_TOPIC_POSTFIX = 'REPLY_TOPIC';
export const TOPIC_MAX_LENGTH = 127;
/** Validators.CHARACTER_MAX_LENGTH: the longest group name the broker auto-creates. */
export const GROUP_MAX_LENGTH = 255;

/** The system topics every broker knows; the controller adds its cluster and broker names and the reply topic. */
export const STATIC_SYSTEM_TOPICS: readonly string[] = [
  TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC,
  TopicValidator.RMQ_SYS_SCHEDULE_TOPIC,
  TopicValidator.RMQ_SYS_BENCHMARK_TOPIC,
  TopicValidator.RMQ_SYS_TRANS_HALF_TOPIC,
  TopicValidator.RMQ_SYS_TRACE_TOPIC,
  TopicValidator.RMQ_SYS_TRANS_OP_HALF_TOPIC,
  TopicValidator.RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC,
  TopicValidator.RMQ_SYS_SELF_TEST_TOPIC,
  TopicValidator.RMQ_SYS_OFFSET_MOVED_EVENT,
  TopicValidator.RMQ_SYS_ROCKSDB_OFFSET_TOPIC,
];

/** ^[%|a-zA-Z0-9_-]+$ without the empty case (Java's VALID_CHAR_BIT_MAP walk). */
const VALID_CHARS = /^[%|a-zA-Z0-9_-]*$/;

export function isTopicOrGroupIllegal(name: string): boolean {
  return !VALID_CHARS.test(name);
}

/** validateTopic: the remark of the first rule broken, or undefined when the name is valid. */
export function validateTopic(topic: string): string | undefined {
  if (topic.trim() === '') return 'The specified topic is blank.';
  if (isTopicOrGroupIllegal(topic)) return 'The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$';
  if (topic.length > TOPIC_MAX_LENGTH) return 'The specified topic is longer than topic max length.';
  return undefined;
}

export function retryTopic(consumerGroup: string): string {
  return RETRY_GROUP_TOPIC_PREFIX + consumerGroup;
}

/** MixAll.getDLQTopic: where a group's messages go once they have been retried too often. */
export function dlqTopic(consumerGroup: string): string {
  return DLQ_GROUP_TOPIC_PREFIX + consumerGroup;
}
