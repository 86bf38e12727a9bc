import { MessageConst, MessageExtBrokerInner, parseHostAddress } from '../../protocol/message/index.js';
import { PermName } from '../../protocol/perm-name.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { TopicValidator, dlqTopic, retryTopic } from '../topic/topic-validator.js';
import { DLQ_NUMS_PER_GROUP, FLAG_UNIT_SUB, V3_4_9, countPut, randomQueueId, type SendContext } from './message-sender.js';

/**
 * AbstractSendMessageProcessor.consumerSendMsgBack (CONSUMER_SEND_MSG_BACK 36): the consumer gives back the
 * message stored at `offset`. It is stored again, reconsumeTimes + 1, in `%RETRY%<group>` (created on demand,
 * retryQueueNums queues) parked at delay level 3 + reconsumeTimes, or the level the client asks for; with
 * RETRY_TOPIC (its first topic) and ORIGIN_MESSAGE_ID (its first msgId) kept across retries. Past the retry
 * limit, or when the client asks a negative level, it goes to `%DLQ%<group>` instead, not delayed.
 */
export async function consumerSendMsgBack(
  broker: SendContext,
  header: { offset: number; group: string; delayLevel: number; unitMode?: boolean; maxReconsumeTimes?: number; originTopic?: string },
  version: number,
): Promise<{ code: number; remark?: string }> {
  const { config, subscriptionGroupManager, topicConfigManager, messageStore, logger } = broker;
  const refuse = (code: number, remark: string) => ({ code, remark });
  const groupConfig = subscriptionGroupManager.findSubscriptionGroupConfig(header.group);
  if (groupConfig === undefined) return refuse(ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, `subscription group not exist, ${header.group}`);
  if (!PermName.isWriteable(config.brokerPermission)) return refuse(ResponseCode.NO_PERMISSION, `the broker[${config.brokerIP1}] sending message is forbidden`);
  // A group without retry queues drops what its consumers give back, as in Java.
  if (groupConfig.retryQueueNums <= 0) return { code: ResponseCode.SUCCESS };

  let newTopic = retryTopic(header.group);
  let queueId = randomQueueId(groupConfig.retryQueueNums);
  const topicSysFlag = header.unitMode === true ? FLAG_UNIT_SUB : 0;
  const topicConfig = topicConfigManager.createTopicInSendMessageBackMethod(newTopic, groupConfig.retryQueueNums, PermName.PERM_WRITE | PermName.PERM_READ, false, topicSysFlag);
  if (!PermName.isWriteable(topicConfig.perm)) return refuse(ResponseCode.NO_PERMISSION, `the topic[${newTopic}] sending message is forbidden`);

  const msgExt = messageStore.lookMessageByOffset(header.offset);
  if (msgExt === null) return refuse(ResponseCode.SYSTEM_ERROR, `look message by offset failed, ${header.offset}`);
  const properties = new Map(msgExt.properties);
  if (!properties.has(MessageConst.PROPERTY_RETRY_TOPIC)) properties.set(MessageConst.PROPERTY_RETRY_TOPIC, msgExt.topic);
  properties.set(MessageConst.PROPERTY_WAIT_STORE_MSG_OK, 'false');

  let maxReconsumeTimes = groupConfig.retryMaxTimes;
  if (version >= V3_4_9 && header.maxReconsumeTimes !== undefined) maxReconsumeTimes = header.maxReconsumeTimes;
  let delayLevel = header.delayLevel;
  const isDLQ = msgExt.reconsumeTimes >= maxReconsumeTimes || delayLevel < 0;
  if (isDLQ) {
    const originTopic = header.originTopic ?? msgExt.topic;
    broker.brokerMetricsManager.recordSendToDlq(header.group, originTopic, topicConfigManager.isSystemTopic(originTopic));
    newTopic = dlqTopic(header.group);
    queueId = randomQueueId(DLQ_NUMS_PER_GROUP);
    topicConfigManager.createTopicInSendMessageBackMethod(newTopic, DLQ_NUMS_PER_GROUP, PermName.PERM_WRITE | PermName.PERM_READ, false, 0);
    properties.set(MessageConst.PROPERTY_DELAY_TIME_LEVEL, '0');
  } else {
    if (delayLevel === 0) delayLevel = 3 + msgExt.reconsumeTimes;
    properties.set(MessageConst.PROPERTY_DELAY_TIME_LEVEL, String(delayLevel));
  }
  if ((properties.get(MessageConst.PROPERTY_ORIGIN_MESSAGE_ID) ?? '').trim() === '') {
    // As Java, the broker-side msgId: the offset id of the first stored copy.
    properties.set(MessageConst.PROPERTY_ORIGIN_MESSAGE_ID, msgExt.msgId);
  }

  const msgInner = new MessageExtBrokerInner();
  msgInner.topic = newTopic;
  msgInner.queueId = queueId;
  msgInner.body = msgExt.body;
  msgInner.flag = msgExt.flag;
  msgInner.properties = properties;
  msgInner.sysFlag = msgExt.sysFlag;
  msgInner.bornTimestamp = msgExt.bornTimestamp;
  msgInner.bornHost = msgExt.bornHost;
  msgInner.storeHost = parseHostAddress(broker.brokerAddr);
  msgInner.reconsumeTimes = msgExt.reconsumeTimes + 1;
  const refusedByHook = broker.handlePutHooks(msgInner);
  if (refusedByHook !== undefined) return refuse(refusedByHook.code, refusedByHook.remark);

  const result = await messageStore.putMessage(msgInner);
  if (result.status !== 'PUT_OK') return refuse(ResponseCode.SYSTEM_ERROR, result.status);
  // As Java: a send-back counts as a put only when parked at a delay level, and always as the group's send-back.
  if (msgInner.topic === TopicValidator.RMQ_SYS_SCHEDULE_TOPIC && result.appendResult !== undefined) {
    countPut(broker.brokerStatsManager, msgInner.topic, msgInner.queueId, 1, result.appendResult.wroteBytes);
  }
  broker.brokerStatsManager.incSendBackNums(header.group, properties.get(MessageConst.PROPERTY_RETRY_TOPIC) ?? msgExt.topic);
  if (isDLQ) {
    logger.info(`send msg to DLQ ${newTopic}, originalTopic=${header.originTopic ?? msgExt.topic}, consumerId=${header.group}, msgUniqKey=${msgExt.uniqKey ?? ''}, reconsumeTimes=${msgInner.reconsumeTimes}`);
  }
  return { code: ResponseCode.SUCCESS };
}
