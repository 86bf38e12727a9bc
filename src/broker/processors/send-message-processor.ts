import { SendMessageRequestHeader, SendMessageRequestHeaderV2 } from '../../protocol/headers/broker.js';
import { ConsumerSendMsgBackRequestHeader } from '../../protocol/headers/consumer-admin.js';
import { MessageConst, MessageExtBrokerInner, parseHostAddress, type HostAddress } from '../../protocol/message/index.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RequestContext, RequestProcessor } from '../../remoting/request-processor.js';
import type { SendThreadPoolQueue } from '../latency/send-thread-pool-queue.js';
import { PermName } from '../../protocol/perm-name.js';
import { TopicValidator, dlqTopic, retryTopic } from '../topic/topic-validator.js';
import { DLQ_NUMS_PER_GROUP, FLAG_UNIT_SUB, MessageSender, V3_4_9, countPut, randomQueueId, type SendHeader } from '../send/message-sender.js';
import { answeringBadInput } from './bad-input.js';
import type { BrokerContext } from './broker-context.js';

/**
 * SendMessageProcessor.java: SEND_MESSAGE (10), SEND_MESSAGE_V2 (310) and SEND_BATCH_MESSAGE (320), adapted to
 * the transport-free MessageSender (src/broker/send/message-sender.ts: topic checks, message building, store,
 * status mapping) through the send queue. Only a stored message is acknowledged: every failure status is an
 * error code, never SUCCESS.
 *
 * A send to `%RETRY%<group>` past the group's retry limit goes to `%DLQ%<group>` (handleRetryAndDLQ); a message
 * with a DELAY level is parked in SCHEDULE_TOPIC_XXXX for the ScheduleMessageService. CONSUMER_SEND_MSG_BACK (36),
 * a consumer giving a message back, runs here too, as in Java, through the same send queue.
 */
export class SendMessageProcessor implements RequestProcessor {
  private readonly sender: MessageSender;

  constructor(
    private readonly broker: BrokerContext,
    private readonly sendQueue: SendThreadPoolQueue,
  ) {
    this.sender = new MessageSender(broker);
  }

  processRequest(ctx: RequestContext, request: RemotingCommand): RemotingCommand | Promise<RemotingCommand> {
    return answeringBadInput(() => {
      if (request.code === RequestCode.CONSUMER_SEND_MSG_BACK) {
        const backHeader = request.decodeCommandCustomHeader(ConsumerSendMsgBackRequestHeader);
        return this.sendQueue.submit(() => this.consumerSendMsgBack(request, backHeader));
      }
      const header = parseSendHeader(request);
      return this.sendQueue.submit(() => this.send(ctx, request, header));
    });
  }

  private async send(ctx: RequestContext, request: RemotingCommand, header: SendHeader): Promise<RemotingCommand> {
    const response = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS);
    // preSend: every send answer carries the region and the trace switch, whatever the outcome.
    response.addExtField(MessageConst.PROPERTY_MSG_REGION, this.broker.config.regionId);
    response.addExtField(MessageConst.PROPERTY_TRACE_SWITCH, String(this.broker.config.traceOn));
    const outcome = await this.sender.send({ header, body: request.body ?? Buffer.alloc(0), remoteAddr: ctx.remoteAddr, version: request.version });
    response.code = outcome.code;
    response.remark = outcome.remark;
    if (outcome.msgId !== undefined) {
      response.addExtField('msgId', outcome.msgId);
      response.addExtField('queueId', String(outcome.queueId));
      response.addExtField('queueOffset', String(outcome.queueOffset));
      if (outcome.transactionId !== undefined) response.addExtField('transactionId', outcome.transactionId);
      if (outcome.recallHandle !== undefined) response.addExtField('recallHandle', outcome.recallHandle);
    }
    return response;
  }

  /**
   * AbstractSendMessageProcessor.consumerSendMsgBack (CONSUMER_SEND_MSG_BACK 36): the consumer gives back the
   * message stored at `offset`. It is stored again, reconsumeTimes + 1, in `%RETRY%<group>` (created on demand,
   * retryQueueNums queues) parked at delay level 3 + reconsumeTimes, or the level the client asks for; with
   * RETRY_TOPIC (its first topic) and ORIGIN_MESSAGE_ID (its first msgId) kept across retries. Past the retry
   * limit, or when the client asks a negative level, it goes to `%DLQ%<group>` instead, not delayed.
   */
  private async consumerSendMsgBack(
    request: RemotingCommand,
    header: { offset: number; group: string; delayLevel: number; unitMode?: boolean; maxReconsumeTimes?: number; originTopic?: string },
  ): Promise<RemotingCommand> {
    const { config, subscriptionGroupManager, topicConfigManager, messageStore, logger } = this.broker;
    const refuse = (code: number, remark: string): RemotingCommand => RemotingCommand.createResponseCommand(code, remark);
    const groupConfig = subscriptionGroupManager.findSubscriptionGroupConfig(header.group);
    if (groupConfig === undefined) return refuse(ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, `subscription group not exist, ${header.group}`);
    if (!PermName.isWriteable(config.brokerPermission)) return refuse(ResponseCode.NO_PERMISSION, `the broker[${config.brokerIP1}] sending message is forbidden`);
    // A group without retry queues drops what its consumers give back, as in Java.
    if (groupConfig.retryQueueNums <= 0) return RemotingCommand.createResponseCommand(ResponseCode.SUCCESS);

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
    if (request.version >= V3_4_9 && header.maxReconsumeTimes !== undefined) maxReconsumeTimes = header.maxReconsumeTimes;
    let delayLevel = header.delayLevel;
    const isDLQ = msgExt.reconsumeTimes >= maxReconsumeTimes || delayLevel < 0;
    if (isDLQ) {
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
    msgInner.storeHost = this.storeHost();
    msgInner.reconsumeTimes = msgExt.reconsumeTimes + 1;
    const refusedByHook = this.broker.handlePutHooks(msgInner);
    if (refusedByHook !== undefined) return refuse(refusedByHook.code, refusedByHook.remark);

    const result = await messageStore.putMessage(msgInner);
    if (result.status !== 'PUT_OK') return refuse(ResponseCode.SYSTEM_ERROR, result.status);
    // As Java: a send-back counts as a put only when parked at a delay level, and always as the group's send-back.
    if (msgInner.topic === TopicValidator.RMQ_SYS_SCHEDULE_TOPIC && result.appendResult !== undefined) {
      this.countPut(msgInner.topic, msgInner.queueId, 1, result.appendResult.wroteBytes);
    }
    this.broker.brokerStatsManager.incSendBackNums(header.group, properties.get(MessageConst.PROPERTY_RETRY_TOPIC) ?? msgExt.topic);
    if (isDLQ) {
      logger.info(`send msg to DLQ ${newTopic}, originalTopic=${header.originTopic ?? msgExt.topic}, consumerId=${header.group}, msgUniqKey=${msgExt.uniqKey ?? ''}, reconsumeTimes=${msgInner.reconsumeTimes}`);
    }
    return RemotingCommand.createResponseCommand(ResponseCode.SUCCESS);
  }

  private countPut(topic: string, queueId: number, msgNum: number, wroteBytes: number): void {
    countPut(this.broker.brokerStatsManager, topic, queueId, msgNum, wroteBytes);
  }

  private storeHost(): HostAddress {
    return parseHostAddress(this.broker.brokerAddr);
  }
}

/** The send header of SEND_MESSAGE / SEND_REPLY_MESSAGE (v1) or their V2 forms and SEND_BATCH_MESSAGE. */
export function parseSendHeader(request: RemotingCommand): SendHeader {
  const v2Codes: readonly number[] = [RequestCode.SEND_MESSAGE_V2, RequestCode.SEND_BATCH_MESSAGE, RequestCode.SEND_REPLY_MESSAGE_V2];
  if (v2Codes.includes(request.code)) {
    const v2 = request.decodeCommandCustomHeader(SendMessageRequestHeaderV2);
    return {
      producerGroup: v2.a,
      topic: v2.b,
      defaultTopic: v2.c,
      defaultTopicQueueNums: v2.d,
      queueId: v2.e,
      sysFlag: v2.f,
      bornTimestamp: v2.g,
      flag: v2.h,
      properties: v2.i ?? '',
      reconsumeTimes: v2.j ?? 0,
      unitMode: v2.k ?? false,
      maxReconsumeTimes: v2.l,
      batch: v2.m ?? false,
    };
  }
  const v1 = request.decodeCommandCustomHeader(SendMessageRequestHeader);
  return {
    ...v1,
    properties: v1.properties ?? '',
    reconsumeTimes: v1.reconsumeTimes ?? 0,
    unitMode: v1.unitMode ?? false,
    batch: v1.batch ?? false,
    maxReconsumeTimes: v1.maxReconsumeTimes,
  };
}
