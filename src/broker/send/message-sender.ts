import type { TopicConfig } from '../../protocol/bodies/topic-config.js';
import {
  MessageConst,
  MessageExtBatch,
  MessageExtBrokerInner,
  MessageSysFlag,
  parseHostAddress,
  string2messageProperties,
  type HostAddress,
} from '../../protocol/message/index.js';
import { PermName } from '../../protocol/perm-name.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { PutMessageResult } from '../../store/message-store.js';
import type { BrokerConfig } from '../broker-config.js';
import type { BrokerMessageStore } from '../broker-message-store.js';
import type { RebalanceLockManager } from '../client/rebalance-lock-manager.js';
import type { SubscriptionGroupManager } from '../subscription/subscription-group-manager.js';
import type { PutRefusal } from '../timer/timer-message-hook.js';
import { recallHandleOf } from '../timer/timer-message-hook.js';
import type { TopicConfigManager } from '../topic/topic-config-manager.js';
import { RETRY_GROUP_TOPIC_PREFIX, TOPIC_MAX_LENGTH, TopicValidator, dlqTopic, validateTopic } from '../topic/topic-validator.js';
import type { TransactionalMessageService } from '../transaction/transactional-message-service.js';
import { isHalfMessageSend } from '../transaction/transactional-message-util.js';
import type { Logger } from '../../common/logger.js';
import type { BrokerStatsManager } from '../stats/broker-stats-manager.js';
import { isRetryOrDlqTopic, type BrokerMetricsManager } from '../stats/broker-metrics-manager.js';
import { MessageClientIDSetter } from '../processors/message-client-id-setter.js';

/** SendMessageRequestHeader as the send path uses it, whichever encoding (or transport) it arrived in. */
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

/** One send: the header, the body, who sent it and the client's version (MQVersion ordinal). */
export interface SendInput {
  header: SendHeader;
  body: Buffer;
  /** The producer's address (`host:port`): the born host, and the name in logs. */
  remoteAddr: string;
  version: number;
}

/** What a send came to: a remoting response code and, once stored, where. */
export interface SendOutcome {
  code: number;
  remark: string | undefined;
  /** The offset message id of the stored record. */
  msgId?: string;
  queueId?: number;
  queueOffset?: number;
  /** UNIQ_KEY of the message (a batch: of its first message). */
  transactionId?: string;
  /** The handle RECALL_MESSAGE takes, for a timer message. */
  recallHandle?: string;
}

/** What the send path needs of the broker. */
export interface SendContext {
  readonly config: Readonly<BrokerConfig>;
  readonly logger: Logger;
  readonly topicConfigManager: TopicConfigManager;
  readonly subscriptionGroupManager: SubscriptionGroupManager;
  readonly messageStore: BrokerMessageStore;
  readonly rebalanceLockManager: RebalanceLockManager;
  readonly transactionalMessageService: TransactionalMessageService;
  readonly brokerStatsManager: BrokerStatsManager;
  readonly brokerMetricsManager: BrokerMetricsManager;
  readonly brokerAddr: string;
  handlePutHooks(msg: MessageExtBrokerInner): PutRefusal | undefined;
}

/** MQVersion.Version.V3_4_9.ordinal(): from this version a client's maxReconsumeTimes header counts. */
export const V3_4_9 = 121;
/** MixAll.DLQ_NUMS_PER_GROUP: a dead-letter topic has one queue. */
export const DLQ_NUMS_PER_GROUP = 1;
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
export const FLAG_UNIT_SUB = 0x2;

/** Statuses after which the record is in the log (Java's sendOK): only these produce a SendResult. */
const STORED: Readonly<Record<string, number>> = {
  PUT_OK: ResponseCode.SUCCESS,
  FLUSH_DISK_TIMEOUT: ResponseCode.FLUSH_DISK_TIMEOUT,
  // SYNC_MASTER: stored here, not (yet) on a slave; Java's client maps them to SendStatus values, not errors.
  FLUSH_SLAVE_TIMEOUT: ResponseCode.FLUSH_SLAVE_TIMEOUT,
  SLAVE_NOT_AVAILABLE: ResponseCode.SLAVE_NOT_AVAILABLE,
};

/**
 * The transport-free core of SendMessageProcessor.java (sendMessage / sendBatchMessage): checks the topic
 * (validation, auto-creation from the header's default topic, write permission, queue id), builds the message as
 * Java's broker does (MSG_REGION/TRACE_ON/CLUSTER properties, UNIQ_KEY when missing, born and store hosts), stores
 * it (a half message through the transaction service, a timer or delay message through the put hooks) and maps
 * the store's status to a response code. Only a stored message is acknowledged. The remoting processor and the
 * gRPC SendMessage activity both send through it.
 */
export class MessageSender {
  private readonly idSetter: MessageClientIDSetter;

  constructor(private readonly broker: SendContext) {
    this.idSetter = new MessageClientIDSetter(broker.config.brokerIP1);
  }

  async send(input: SendInput): Promise<SendOutcome> {
    const { header, remoteAddr } = input;
    const topicConfig = msgCheck(this.broker, remoteAddr, header);
    if ('code' in topicConfig) return refused(topicConfig.code, topicConfig.remark);
    if (!PermName.isWriteable(topicConfig.perm)) return refused(ResponseCode.NO_PERMISSION, `the topic[${header.topic}] sending message is forbidden`);
    const queueId = header.queueId < 0 ? randomQueueId(topicConfig.writeQueueNums) : header.queueId;
    let sysFlag = header.sysFlag;
    if (topicConfig.topicFilterType === 'MULTI_TAG') sysFlag |= MessageSysFlag.MULTI_TAGS_FLAG;

    const properties = string2messageProperties(header.properties);
    // clearReservedProperties, then buildMsgContext (5.x stores both of these on every message).
    properties.delete(MessageConst.PROPERTY_POP_CK);
    properties.set(MessageConst.PROPERTY_MSG_REGION, this.broker.config.regionId);
    properties.set(MessageConst.PROPERTY_TRACE_SWITCH, String(this.broker.config.traceOn));
    const bornHost = parseHostAddress(remoteAddr);
    const storeHost = parseHostAddress(this.broker.brokerAddr);

    let result: PutMessageResult;
    if (header.batch) {
      if (header.topic.length > TOPIC_MAX_LENGTH) return refused(ResponseCode.MESSAGE_ILLEGAL, `message topic length too long ${header.topic.length}`);
      if (header.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) return refused(ResponseCode.MESSAGE_ILLEGAL, `batch request does not support retry group ${header.topic}`);
      const batch = new MessageExtBatch();
      fill(batch, header, queueId, sysFlag, input.body, properties, bornHost, storeHost);
      batch.properties.set(MessageConst.PROPERTY_CLUSTER, this.broker.config.brokerClusterName);
      result = await this.broker.messageStore.putMessages(batch);
      return this.handlePutMessageResult(result, queueId, batch, batch.uniqKey);
    }
    if (properties.get(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX) === undefined) {
      properties.set(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX, this.idSetter.createUniqID());
    }
    const msg = new MessageExtBrokerInner();
    fill(msg, header, queueId, sysFlag, input.body, properties, bornHost, storeHost);
    const refusedRetry = this.handleRetryAndDLQ(input, msg);
    if (refusedRetry !== undefined) return refused(refusedRetry.code, refusedRetry.remark);
    msg.properties.set(MessageConst.PROPERTY_CLUSTER, this.broker.config.brokerClusterName);
    if (isHalfMessageSend(msg.properties, msg.reconsumeTimes)) {
      if (this.broker.config.rejectTransactionMessage) {
        return refused(ResponseCode.NO_PERMISSION, `the broker[${this.broker.config.brokerIP1}] sending transaction message is forbidden`);
      }
      // No schedule hook for the half: a delay level is applied when the message is committed, not looped back
      // into the half topic (Java's issue #1540).
      const uniqKey = msg.uniqKey;
      result = await this.broker.transactionalMessageService.prepareMessage(msg);
      return this.handlePutMessageResult(result, queueId, HALF_QUEUE, uniqKey);
    }
    const refusedByHook = this.broker.handlePutHooks(msg);
    if (refusedByHook !== undefined) return refused(refusedByHook.code, refusedByHook.remark);
    result = await this.broker.messageStore.putMessage(msg);
    const outcome = this.handlePutMessageResult(result, queueId, msg, msg.uniqKey);
    if (outcome.code === ResponseCode.SUCCESS) {
      const recallHandle = recallHandleOf(msg, this.broker.config.brokerName);
      if (recallHandle !== undefined) outcome.recallHandle = recallHandle;
    }
    return outcome;
  }

  /**
   * SendMessageProcessor.handleRetryAndDLQ: a message sent to a group's retry topic (the Java client does this
   * when CONSUMER_SEND_MSG_BACK fails, and its orderly consumer always) goes to the group's dead-letter topic
   * once its reconsumeTimes passes the limit: the group's retryMaxTimes, or the header's maxReconsumeTimes from
   * clients >= V3_4_9. A group holding queue locks is orderly: its retries go to the DLQ at once (5.x).
   */
  private handleRetryAndDLQ(input: SendInput, msg: MessageExtBrokerInner): Refusal | undefined {
    const { header } = input;
    if (!header.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) return undefined;
    const group = header.topic.slice(RETRY_GROUP_TOPIC_PREFIX.length);
    const groupConfig = this.broker.subscriptionGroupManager.findSubscriptionGroupConfig(group);
    if (groupConfig === undefined) return { code: ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, remark: `subscription group not exist, ${group}` };
    let maxReconsumeTimes = groupConfig.retryMaxTimes;
    if (input.version >= V3_4_9 && header.maxReconsumeTimes !== undefined) maxReconsumeTimes = header.maxReconsumeTimes;
    const toDLQDirectly = !this.broker.rebalanceLockManager.isLockAllExpired(group);
    if (header.reconsumeTimes <= maxReconsumeTimes && !toDLQDirectly) return undefined;
    if (toDLQDirectly) this.broker.logger.info(`Group has unexpired lock record, which show it is ordered message, send it to DLQ right now group=${group}, topic=${header.topic}`);
    const newTopic = dlqTopic(group);
    this.broker.brokerMetricsManager.recordSendToDlq(header.producerGroup ?? '', header.topic, this.broker.topicConfigManager.isSystemTopic(header.topic));
    this.broker.topicConfigManager.createTopicInSendMessageBackMethod(newTopic, DLQ_NUMS_PER_GROUP, PermName.PERM_WRITE | PermName.PERM_READ, false, 0);
    // -1 keeps the schedule hook away, as in Java.
    msg.properties.set(MessageConst.PROPERTY_DELAY_TIME_LEVEL, '-1');
    msg.topic = newTopic;
    msg.queueId = randomQueueId(DLQ_NUMS_PER_GROUP);
    return undefined;
  }

  /**
   * SendMessageProcessor.handlePutMessageResult, with its stats: a stored send counts under the topic and queue
   * it was `stored` in (SCHEDULE_TOPIC_XXXX for a delay level, the half topic for a transaction), as in Java,
   * while the answer names the queue the producer chose.
   */
  private handlePutMessageResult(
    result: PutMessageResult,
    queueId: number,
    stored: { readonly topic: string; readonly queueId: number },
    uniqKey: string | undefined,
  ): SendOutcome {
    const code = STORED[result.status];
    const appended = result.appendResult;
    if (code === undefined || appended === undefined) {
      const [failCode, remark] = failure(result.status, this.broker.messageStore.getRuntimeInfo().get('commitLogDiskRatio'));
      return refused(failCode, remark);
    }
    countPut(this.broker.brokerStatsManager, stored.topic, stored.queueId, appended.msgNum, appended.wroteBytes);
    // Java's rocketmq_message_size leaves retry and DLQ topics out, as messages in/out do.
    if (!isRetryOrDlqTopic(stored.topic)) this.broker.brokerMetricsManager.recordMessageSize(stored.topic, appended.msgNum, appended.wroteBytes);
    const outcome: SendOutcome = { code, remark: undefined, msgId: appended.msgId, queueId, queueOffset: appended.logicsOffset };
    if (uniqKey !== undefined) outcome.transactionId = uniqKey;
    return outcome;
  }
}

function refused(code: number, remark: string): SendOutcome {
  return { code, remark };
}

/** AbstractSendMessageProcessor.msgCheck: the topic (found or auto-created), or why the send is refused. */
export function msgCheck(broker: SendContext, remoteAddr: string, header: SendHeader): TopicConfig | Refusal {
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
    broker.logger.warn(`the topic ${header.topic} not exist, producer: ${remoteAddr}`);
    topicConfig = topicConfigManager.createTopicInSendMessageMethod(header.topic, header.defaultTopic, remoteAddr, header.defaultTopicQueueNums, topicSysFlag);
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
      remark: `request queueId[${header.queueId}] is illegal, topic ${header.topic} has ${idValid} queues, Producer: ${remoteAddr}`,
    };
  }
  return topicConfig;
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

/** A stored put in the broker's stats (a delay-level put also per queue of SCHEDULE_TOPIC_XXXX, as Java). */
export function countPut(stats: BrokerStatsManager, topic: string, queueId: number, msgNum: number, wroteBytes: number): void {
  if (topic === TopicValidator.RMQ_SYS_SCHEDULE_TOPIC) stats.incQueuePut(topic, queueId, msgNum, wroteBytes);
  stats.incTopicPut(topic, msgNum, wroteBytes);
}

/** AbstractSendMessageProcessor.randomQueueId. */
export function randomQueueId(writeQueueNums: number): number {
  return Math.floor(Math.random() * 99999999) % Math.max(1, writeQueueNums);
}
