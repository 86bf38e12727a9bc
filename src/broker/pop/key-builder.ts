/** MixAll.RETRY_GROUP_TOPIC_PREFIX. */
export const RETRY_GROUP_TOPIC_PREFIX = '%RETRY%';
/** MixAll.DLQ_GROUP_TOPIC_PREFIX. */
export const DLQ_GROUP_TOPIC_PREFIX = '%DLQ%';
/** KeyBuilder.POP_ORDER_REVIVE_QUEUE: the reviveQid of an orderly (FIFO) pop; FIFO pops write no checkpoint. */
export const POP_ORDER_REVIVE_QUEUE = 999;
/** PopAckConstants.REVIVE_GROUP: the revive log's progress is this group's offset on the revive topic. */
export const REVIVE_GROUP = 'CID_RMQ_SYS_REVIVE_GROUP';
/** PopAckConstants.CK_TAG / ACK_TAG: the tags of checkpoint and ack records in the revive log. */
export const CK_TAG = 'ck';
export const ACK_TAG = 'ack';

/** PopAckConstants.buildClusterReviveTopic: rmq_sys_REVIVE_LOG_<cluster>. */
export function buildClusterReviveTopic(clusterName: string): string {
  return `rmq_sys_REVIVE_LOG_${clusterName}`;
}

/** KeyBuilder.buildPopRetryTopic: %RETRY%<group>_<topic> (v1) or %RETRY%<group>+<topic> (v2, enableRetryTopicV2). */
export function buildPopRetryTopic(topic: string, group: string, enableRetryTopicV2: boolean): string {
  return `${RETRY_GROUP_TOPIC_PREFIX}${group}${enableRetryTopicV2 ? '+' : '_'}${topic}`;
}

/** KeyBuilder.parseNormalTopic(topic, cid): the topic a POP retry topic of `group` stands for. */
export function parseNormalTopic(topic: string, group: string): string {
  if (!topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) return topic;
  const v2 = `${RETRY_GROUP_TOPIC_PREFIX}${group}+`;
  if (topic.startsWith(v2)) return topic.slice(v2.length);
  return topic.slice(`${RETRY_GROUP_TOPIC_PREFIX}${group}_`.length);
}

/** KeyBuilder.isPopRetryTopicV2. */
export function isPopRetryTopicV2(topic: string): boolean {
  return topic.startsWith(RETRY_GROUP_TOPIC_PREFIX) && topic.includes('+');
}

/** MixAll.getDLQTopic. */
export function dlqTopicOf(group: string): string {
  return `${DLQ_GROUP_TOPIC_PREFIX}${group}`;
}

/** KeyBuilder.buildPollingKey / the queue lock key: topic@group@queueId. */
export function buildPollingKey(topic: string, group: string, queueId: number): string {
  return `${topic}@${group}@${queueId}`;
}
