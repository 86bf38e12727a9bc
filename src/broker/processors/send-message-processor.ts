import { SendMessageRequestHeader, SendMessageRequestHeaderV2 } from '../../protocol/headers/broker.js';
import { ConsumerSendMsgBackRequestHeader } from '../../protocol/headers/consumer-admin.js';
import {
  MessageConst,
  MessageExtBatch,
  MessageExtBrokerInner,
  MessageSysFlag,
  parseHostAddress,
  string2messageProperties,
  type HostAddress,
} from '../../protocol/message/index.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RequestContext, RequestProcessor } from '../../remoting/request-processor.js';
import type { PutMessageResult } from '../../store/message-store.js';
import type { TopicConfig } from '../../protocol/bodies/topic-config.js';
import type { SendThreadPoolQueue } from '../latency/send-thread-pool-queue.js';
import { recallHandleOf } from '../timer/timer-message-hook.js';
import { PermName } from '../../protocol/perm-name.js';
import { RETRY_GROUP_TOPIC_PREFIX, TOPIC_MAX_LENGTH, TopicValidator, dlqTopic, retryTopic, validateTopic } from '../topic/topic-validator.js';
import { answeringBadInput } from './bad-input.js';
import { isHalfMessageSend } from '../transaction/transactional-message-util.js';
import type { BrokerContext } from './broker-context.js';
import { MessageClientIDSetter } from './message-client-id-setter.js';

/** SendMessageRequestHeader as the processor uses it, whichever encoding it arrived in. */
export interface SendHeader {
  producerGroup: string;
  topic: string;
  defaultTopic: string;
  defaultTopicQueueNums: number;
  queueId: number;
  sysFlag: number;
  bornTimestamp: number;
  flag: number;
  properties: string;
  reconsumeTimes: number;
  unitMode: boolean;
  batch: boolean;
  maxReconsumeTimes: number | undefined;
}

/** MQVersion.Version.V3_4_9.ordinal(): from this version a client's maxReconsumeTimes header counts. */
const V3_4_9 = 121;
/** MixAll.DLQ_NUMS_PER_GROUP: a dead-letter topic has one queue. */
const DLQ_NUMS_PER_GROUP = 1;
/** A send refused before reaching the store. */
interface Refusal {
  code: number;
  remark: string;
}

/** TopicValidator.NOT_ALLOWED_SEND_TOPIC_SET: internal topics a producer may not write. */
const NOT_ALLOWED_SEND_TOPICS: ReadonlySet<string> = new Set([
  TopicValidator.RMQ_SYS_SCHEDULE_TOPIC,
  TopicValidator.RMQ_SYS_TRANS_HALF_TOPIC,
  TopicValidator.RMQ_SYS_TRANS_OP_HALF_TOPIC,
  TopicValidator.RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC,
  TopicValidator.RMQ_SYS_SELF_TEST_TOPIC,
  TopicValidator.RMQ_SYS_OFFSET_MOVED_EVENT,
]);
/** Half messages are stored in queue 0 of the half topic, and counted there. */
const HALF_QUEUE = { topic: TopicValidator.RMQ_SYS_TRANS_HALF_TOPIC, queueId: 0 } as const;
/** TopicSysFlag.buildSysFlag(unit, unitSub). */
const FLAG_UNIT = 0x1;
const FLAG_UNIT_SUB = 0x2;

/** Statuses after which the record is in the log (Java's sendOK): only these produce a SendResult. */
const STORED: Readonly<Record<string, number>> = {
  PUT_OK: ResponseCode.SUCCESS,
  FLUSH_DISK_TIMEOUT: ResponseCode.FLUSH_DISK_TIMEOUT,
};

/**
 * SendMessageProcessor.java: SEND_MESSAGE (10), SEND_MESSAGE_V2 (310) and SEND_BATCH_MESSAGE (320). Checks the
 * topic (validation, auto-creation from the header's default topic, write permission, queue id), builds the
 * message as Java's broker does (MSG_REGION/TRACE_ON/CLUSTER properties, UNIQ_KEY when missing, born and store
 * hosts), hands it to the store through the send queue, and maps the store's status to a response code. Only a
 * stored message is acknowledged: every failure status is an error code, never SUCCESS.
 *
 * A send to `%RETRY%<group>` past the group's retry limit goes to `%DLQ%<group>` (handleRetryAndDLQ); a message
 * with a DELAY level is parked in SCHEDULE_TOPIC_XXXX for the ScheduleMessageService. CONSUMER_SEND_MSG_BACK (36),
 * a consumer giving a message back, runs here too, as in Java, through the same send queue.
 */
export class SendMessageProcessor implements RequestProcessor {
  private readonly idSetter: MessageClientIDSetter;

  constructor(
    private readonly broker: BrokerContext,
    private readonly sendQueue: SendThreadPoolQueue,
  ) {
    this.idSetter = new MessageClientIDSetter(broker.config.brokerIP1);
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
    const topicConfig = msgCheck(this.broker, ctx, header);
    if ('code' in topicConfig) return fail(response, topicConfig.code, topicConfig.remark);
    if (!PermName.isWriteable(topicConfig.perm)) {
      return fail(response, ResponseCode.NO_PERMISSION, `the topic[${header.topic}] sending message is forbidden`);
    }
    const queueId = header.queueId < 0 ? randomQueueId(topicConfig.writeQueueNums) : header.queueId;
    let sysFlag = header.sysFlag;
    if (topicConfig.topicFilterType === 'MULTI_TAG') sysFlag |= MessageSysFlag.MULTI_TAGS_FLAG;

    const properties = string2messageProperties(header.properties);
    // clearReservedProperties, then buildMsgContext (5.x stores both of these on every message).
    properties.delete(MessageConst.PROPERTY_POP_CK);
    properties.set(MessageConst.PROPERTY_MSG_REGION, this.broker.config.regionId);
    properties.set(MessageConst.PROPERTY_TRACE_SWITCH, String(this.broker.config.traceOn));
    const body = request.body ?? Buffer.alloc(0);
    const bornHost = parseHostAddress(ctx.remoteAddr);
    const storeHost = this.storeHost();

    let result: PutMessageResult;
    if (header.batch) {
      if (header.topic.length > TOPIC_MAX_LENGTH) return fail(response, ResponseCode.MESSAGE_ILLEGAL, `message topic length too long ${header.topic.length}`);
      if (header.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) {
        return fail(response, ResponseCode.MESSAGE_ILLEGAL, `batch request does not support retry group ${header.topic}`);
      }
      const batch = new MessageExtBatch();
      fill(batch, header, queueId, sysFlag, body, properties, bornHost, storeHost);
      batch.properties.set(MessageConst.PROPERTY_CLUSTER, this.broker.config.brokerClusterName);
      result = await this.broker.messageStore.putMessages(batch);
      return this.handlePutMessageResult(result, response, queueId, batch, batch.uniqKey);
    }
    if (properties.get(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX) === undefined) {
      properties.set(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX, this.idSetter.createUniqID());
    }
    const msg = new MessageExtBrokerInner();
    fill(msg, header, queueId, sysFlag, body, properties, bornHost, storeHost);
    const refused = this.handleRetryAndDLQ(request, header, msg);
    if (refused !== undefined) return fail(response, refused.code, refused.remark);
    msg.properties.set(MessageConst.PROPERTY_CLUSTER, this.broker.config.brokerClusterName);
    if (isHalfMessageSend(msg.properties, msg.reconsumeTimes)) {
      if (this.broker.config.rejectTransactionMessage) {
        return fail(response, ResponseCode.NO_PERMISSION, `the broker[${this.broker.config.brokerIP1}] sending transaction message is forbidden`);
      }
      // No schedule hook for the half: a delay level is applied when the message is committed, not looped back
      // into the half topic (Java's issue #1540).
      const uniqKey = msg.uniqKey;
      result = await this.broker.transactionalMessageService.prepareMessage(msg);
      return this.handlePutMessageResult(result, response, queueId, HALF_QUEUE, uniqKey);
    }
    const refusedByHook = this.broker.handlePutHooks(msg);
    if (refusedByHook !== undefined) return fail(response, refusedByHook.code, refusedByHook.remark);
    result = await this.broker.messageStore.putMessage(msg);
    const answer = this.handlePutMessageResult(result, response, queueId, msg, msg.uniqKey);
    const recallHandle = answer.code === ResponseCode.SUCCESS ? recallHandleOf(msg, this.broker.config.brokerName) : undefined;
    if (recallHandle !== undefined) answer.addExtField('recallHandle', recallHandle);
    return answer;
  }

  /**
   * SendMessageProcessor.handleRetryAndDLQ: a message sent to a group's retry topic (the Java client does this
   * when CONSUMER_SEND_MSG_BACK fails, and its orderly consumer always) goes to the group's dead-letter topic
   * once its reconsumeTimes passes the limit: the group's retryMaxTimes, or the header's maxReconsumeTimes from
   * clients >= V3_4_9. A group holding queue locks is orderly: its retries go to the DLQ at once (5.x).
   */
  private handleRetryAndDLQ(request: RemotingCommand, header: SendHeader, msg: MessageExtBrokerInner): Refusal | undefined {
    if (!header.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) return undefined;
    const group = header.topic.slice(RETRY_GROUP_TOPIC_PREFIX.length);
    const groupConfig = this.broker.subscriptionGroupManager.findSubscriptionGroupConfig(group);
    if (groupConfig === undefined) return { code: ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, remark: `subscription group not exist, ${group}` };
    let maxReconsumeTimes = groupConfig.retryMaxTimes;
    if (request.version >= V3_4_9 && header.maxReconsumeTimes !== undefined) maxReconsumeTimes = header.maxReconsumeTimes;
    const toDLQDirectly = !this.broker.rebalanceLockManager.isLockAllExpired(group);
    if (header.reconsumeTimes <= maxReconsumeTimes && !toDLQDirectly) return undefined;
    if (toDLQDirectly) this.broker.logger.info(`Group has unexpired lock record, which show it is ordered message, send it to DLQ right now group=${group}, topic=${header.topic}`);
    const newTopic = dlqTopic(group);
    this.broker.topicConfigManager.createTopicInSendMessageBackMethod(newTopic, DLQ_NUMS_PER_GROUP, PermName.PERM_WRITE | PermName.PERM_READ, false, 0);
    // -1 keeps the schedule hook away, as in Java.
    msg.properties.set(MessageConst.PROPERTY_DELAY_TIME_LEVEL, '-1');
    msg.topic = newTopic;
    msg.queueId = randomQueueId(DLQ_NUMS_PER_GROUP);
    return undefined;
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

  /**
   * SendMessageProcessor.handlePutMessageResult, with its stats: a stored send counts under the topic and queue
   * it was `stored` in (SCHEDULE_TOPIC_XXXX for a delay level, the half topic for a transaction), as in Java,
   * while the answer names the queue the producer chose.
   */
  private handlePutMessageResult(
    result: PutMessageResult,
    response: RemotingCommand,
    queueId: number,
    stored: { readonly topic: string; readonly queueId: number },
    uniqKey: string | undefined,
  ): RemotingCommand {
    const code = STORED[result.status];
    const appended = result.appendResult;
    if (code === undefined || appended === undefined) {
      const [failCode, remark] = failure(result.status, this.broker.messageStore.getRuntimeInfo().get('commitLogDiskRatio'));
      return fail(response, failCode, remark);
    }
    this.countPut(stored.topic, stored.queueId, appended.msgNum, appended.wroteBytes);
    response.code = code;
    response.remark = undefined;
    response.addExtField('msgId', appended.msgId);
    response.addExtField('queueId', String(queueId));
    response.addExtField('queueOffset', String(appended.logicsOffset));
    if (uniqKey !== undefined) response.addExtField('transactionId', uniqKey);
    return response;
  }

  private countPut(topic: string, queueId: number, msgNum: number, wroteBytes: number): void {
    const stats = this.broker.brokerStatsManager;
    if (topic === TopicValidator.RMQ_SYS_SCHEDULE_TOPIC) stats.incQueuePut(topic, queueId, msgNum, wroteBytes);
    stats.incTopicPut(topic, msgNum, wroteBytes);
  }

  private storeHost(): HostAddress {
    return parseHostAddress(this.broker.brokerAddr);
  }
}

/** AbstractSendMessageProcessor.msgCheck: the topic (found or auto-created), or why the send is refused. */
export function msgCheck(broker: BrokerContext, ctx: RequestContext, header: SendHeader): TopicConfig | Refusal {
  const { config, topicConfigManager } = broker;
  if (!PermName.isWriteable(config.brokerPermission) && topicConfigManager.isOrderTopic(header.topic)) {
    return { code: ResponseCode.NO_PERMISSION, remark: `the broker[${config.brokerIP1}] sending message is forbidden` };
  }
  const invalid = validateTopic(header.topic);
  if (invalid !== undefined) return { code: ResponseCode.INVALID_PARAMETER, remark: invalid };
  if (NOT_ALLOWED_SEND_TOPICS.has(header.topic)) {
    return { code: ResponseCode.NO_PERMISSION, remark: `Sending message to topic[${header.topic}] is forbidden.` };
  }
  let topicConfig = topicConfigManager.selectTopicConfig(header.topic);
  if (topicConfig === undefined) {
    const isRetry = header.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX);
    const topicSysFlag = header.unitMode ? (isRetry ? FLAG_UNIT_SUB : FLAG_UNIT) : 0;
    broker.logger.warn(`the topic ${header.topic} not exist, producer: ${ctx.remoteAddr}`);
    topicConfig = topicConfigManager.createTopicInSendMessageMethod(
      header.topic,
      header.defaultTopic,
      ctx.remoteAddr,
      header.defaultTopicQueueNums,
      topicSysFlag,
    );
    if (topicConfig === undefined && isRetry) {
      topicConfig = topicConfigManager.createTopicInSendMessageBackMethod(header.topic, 1, PermName.PERM_READ | PermName.PERM_WRITE, false, topicSysFlag);
    }
    if (topicConfig === undefined) {
      return { code: ResponseCode.TOPIC_NOT_EXIST, remark: `topic[${header.topic}] not exist, apply first please!` };
    }
  }
  const idValid = Math.max(topicConfig.writeQueueNums, topicConfig.readQueueNums);
  if (header.queueId >= idValid) {
    return {
      code: ResponseCode.INVALID_PARAMETER,
      remark: `request queueId[${header.queueId}] is illegal, topic ${header.topic} has ${idValid} queues, Producer: ${ctx.remoteAddr}`,
    };
  }
  return topicConfig;
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

function fill(
  msg: MessageExtBrokerInner,
  header: SendHeader,
  queueId: number,
  sysFlag: number,
  body: Buffer,
  properties: Map<string, string>,
  bornHost: HostAddress,
  storeHost: HostAddress,
): void {
  msg.topic = header.topic;
  msg.queueId = queueId;
  msg.sysFlag = sysFlag;
  msg.flag = header.flag;
  msg.body = body;
  msg.properties = properties;
  msg.bornTimestamp = header.bornTimestamp;
  msg.bornHost = bornHost;
  msg.storeHost = storeHost;
  msg.reconsumeTimes = header.reconsumeTimes;
}

/** The codes and remarks of Java's handlePutMessageResult for statuses that stored nothing. */
function failure(status: PutMessageResult['status'], diskRatio: string | undefined): [number, string] {
  switch (status) {
    case 'CREATE_MAPPED_FILE_FAILED':
      return [ResponseCode.SYSTEM_ERROR, 'create mapped file failed, server is busy or broken.'];
    case 'MESSAGE_ILLEGAL':
    case 'PROPERTIES_SIZE_EXCEEDED':
      return [
        ResponseCode.MESSAGE_ILLEGAL,
        'the message is illegal, maybe msg body or properties length not matched. msg body length limit 4194304B, msg properties length limit 32KB.',
      ];
    case 'SERVICE_NOT_AVAILABLE':
      return [
        ResponseCode.SERVICE_NOT_AVAILABLE,
        `service not available now. It may be caused by one of the following reasons: the broker's disk is full [${diskRatio ?? '-'}], messages are put to the slave, message store has been shut down, etc.`,
      ];
    case 'OS_PAGE_CACHE_BUSY':
      return [ResponseCode.SYSTEM_BUSY, '[PC_SYNCHRONIZED]broker busy, start flow control for a while'];
    case 'UNKNOWN_ERROR':
      return [ResponseCode.SYSTEM_ERROR, 'UNKNOWN_ERROR'];
    default:
      return [ResponseCode.SYSTEM_ERROR, 'UNKNOWN_ERROR DEFAULT'];
  }
}

function fail(response: RemotingCommand, code: number, remark: string): RemotingCommand {
  response.code = code;
  response.remark = remark;
  return response;
}

/** AbstractSendMessageProcessor.randomQueueId. */
function randomQueueId(writeQueueNums: number): number {
  return Math.floor(Math.random() * 99999999) % Math.max(1, writeQueueNums);
}
