import { RemotingCommandError, RemotingTimeoutError } from '../../common/errors.js';
import { parseJavaProperties } from '../../common/java-properties.js';
import {
  encodeConsumeStats,
  encodeConsumerConnection,
  encodeGroupList,
  encodeProducerConnection,
  type Connection,
  type OffsetWrapper,
} from '../../protocol/bodies/consumer-admin.js';
import { encodeBrokerStatsData, encodeProducerTableInfo, type ProducerInfo } from '../../protocol/bodies/broker-stats.js';
import { encodeKVTable } from '../../protocol/bodies/kv-table.js';
import { encodeTopicList } from '../../protocol/bodies/topic-list.js';
import { decodeLockBatchRequestBody, encodeLockBatchResponseBody } from '../../protocol/bodies/lock-batch.js';
import type { MessageQueue } from '../../protocol/bodies/message-queue.js';
import { decodeSubscriptionGroupConfig } from '../../protocol/bodies/subscription-group-config.js';
import { encodeTopicConfigSerializeWrapper } from '../../protocol/bodies/topic-config-serialize-wrapper.js';
import { encodeSubscriptionGroupConfig } from '../../protocol/bodies/subscription-group-wrapper.js';
import { defaultTopicConfig, topicConfigToJson, type TopicConfig } from '../../protocol/bodies/topic-config.js';
import {
  CreateTopicRequestHeader,
  DeleteTopicRequestHeader,
  GetMaxOffsetRequestHeader,
  GetTopicConfigRequestHeader,
  GetSubscriptionGroupConfigRequestHeader,
  GetTopicStatsInfoRequestHeader,
  SearchOffsetRequestHeader,
  TopicQueueRequestHeader,
  ViewBrokerStatsDataRequestHeader,
} from '../../protocol/headers/broker.js';
import {
  CloneGroupOffsetRequestHeader,
  ConsumeMessageDirectlyResultRequestHeader,
  DeleteSubscriptionGroupRequestHeader,
  GetConsumeStatsRequestHeader,
  GetConsumerConnectionListRequestHeader,
  GetConsumerRunningInfoRequestHeader,
  GetConsumerStatusRequestHeader,
  GetProducerConnectionListRequestHeader,
  QueryTopicConsumeByWhoRequestHeader,
  ResetOffsetRequestHeader,
} from '../../protocol/headers/consumer-admin.js';
import { toFastjson } from '../../protocol/bodies/fastjson-writer.js';
import { decodeMessageId } from '../../protocol/message/index.js';
import { CURRENT_VERSION } from '../../protocol/language-code.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { ClientChannel } from '../client/client-channel.js';
import type { RequestContext, RequestProcessor } from '../../remoting/request-processor.js';
import type { ClientChannelInfo } from '../client/client-channel-info.js';
import { BrokerConfigError, formatBrokerConfig } from '../broker-config.js';
import { topicConfigEquals } from '../topic/topic-config-manager.js';
import { validateTopic } from '../topic/topic-validator.js';
import { isSlave } from '../slave/broker-role.js';
import { answeringBadInput, success } from './bad-input.js';
import type { BrokerContext } from './broker-context.js';

/** The admin writes a slave refuses (4.9 validateSlave; 5.3.3 defines the check but no longer calls it). */
const SLAVE_REFUSED_CODES: ReadonlySet<number> = new Set([
  RequestCode.UPDATE_AND_CREATE_TOPIC,
  RequestCode.DELETE_TOPIC_IN_BROKER,
  RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
  RequestCode.DELETE_SUBSCRIPTIONGROUP,
]);
/** MQVersion.getVersionDesc(CURRENT_VERSION): what mqadmin clusterList prints as the broker's version. */
const BROKER_VERSION_DESC = 'V5_3_3';
/** MQVersion.Version.V3_1_8_SNAPSHOT.ordinal(): older clients cannot answer forwarded calls. */
const V3_1_8_SNAPSHOT = 62;

/**
 * AdminBrokerProcessor.java, the broker's default processor: topic and subscription-group administration, the
 * broker's configuration and runtime info, the slave-sync reads, the queue offset queries (29-32) and what
 * mqadmin topicStatus reads (202, 351), a group's config (352, read by the proxy), and what the Java dashboard and rocketmq-exporter read: the system topics
 * (305), a stats item's windows (315) and every online producer (328). Every code nobody serves lands here and is answered
 * REQUEST_CODE_NOT_SUPPORTED naming the code, as Java does.
 */
export class AdminBrokerProcessor implements RequestProcessor {
  constructor(private readonly broker: BrokerContext) {}

  processRequest(ctx: RequestContext, request: RemotingCommand): RemotingCommand | Promise<RemotingCommand> {
    return answeringBadInput(() => this.dispatch(ctx, request));
  }

  private dispatch(ctx: RequestContext, request: RemotingCommand): RemotingCommand | Promise<RemotingCommand> {
    const { topicConfigManager, subscriptionGroupManager, consumerOffsetManager } = this.broker;
    // 4.9's validateSlave: a slave's topics and groups are its master's copy, changed only by SlaveSynchronize.
    if (SLAVE_REFUSED_CODES.has(request.code) && isSlave(this.broker.config)) {
      return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, "Can't modify topic or subscription group from slave broker, please execute it from master broker.");
    }
    switch (request.code) {
      case RequestCode.UPDATE_AND_CREATE_TOPIC:
        return this.timed(() => this.updateAndCreateTopic(ctx.remoteAddr, request), (millis, ok) => {
          const topic = request.extFields?.['topic'] ?? '';
          this.broker.brokerMetricsManager.recordTopicCreate(millis, ok, topicConfigManager.isSystemTopic(topic));
        });
      case RequestCode.DELETE_TOPIC_IN_BROKER:
        return this.deleteTopic(ctx.remoteAddr, request);
      case RequestCode.GET_ALL_TOPIC_CONFIG:
        return success(encodeTopicConfigSerializeWrapper(topicConfigManager.buildTopicConfigSerializeWrapper()));
      case RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP:
        return this.timed(() => this.updateAndCreateSubscriptionGroup(ctx.remoteAddr, request), (millis, ok) =>
          this.broker.brokerMetricsManager.recordGroupCreate(millis, ok),
        );
      case RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG:
        return success(Buffer.from(subscriptionGroupManager.encode(), 'utf8'));
      case RequestCode.GET_ALL_CONSUMER_OFFSET:
        return success(Buffer.from(consumerOffsetManager.encode(), 'utf8'));
      case RequestCode.UPDATE_BROKER_CONFIG:
        return this.updateBrokerConfig(ctx.remoteAddr, request);
      case RequestCode.GET_BROKER_CONFIG: {
        const response = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS, undefined, { version: this.broker.configVersionJson });
        response.body = Buffer.from(formatBrokerConfig(this.broker.config), 'utf8');
        return response;
      }
      case RequestCode.GET_BROKER_RUNTIME_INFO:
        return success(encodeKVTable(this.runtimeInfo()));
      case RequestCode.GET_TIMER_CHECK_POINT: {
        // What a 5.x slave reads from its master; a broker without the timer store has no checkpoint.
        const timer = this.broker.timerMessageStore;
        if (timer === undefined) return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, 'The checkpoint is null');
        return success(timer.encodeCheckpoint());
      }
      case RequestCode.GET_ALL_MESSAGE_REQUEST_MODE:
        // What a 5.x slave syncs; Java answers SYSTEM_ERROR for an empty encoding, which ours never is.
        return success(Buffer.from(this.broker.messageRequestModeManager.encode(), 'utf8'));
      case RequestCode.GET_TIMER_METRICS: {
        const timer = this.broker.timerMessageStore;
        if (timer === undefined) return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, 'The timer message store is null');
        return success(Buffer.from(timer.metrics.encode(), 'utf8'));
      }
      case RequestCode.GET_MAX_OFFSET: {
        const { topic, queueId } = request.decodeCommandCustomHeader(GetMaxOffsetRequestHeader);
        return offsetResponse({ offset: this.broker.messageStore.getMaxOffsetInQueue(topic, queueId) });
      }
      case RequestCode.GET_MIN_OFFSET: {
        const { topic, queueId } = request.decodeCommandCustomHeader(TopicQueueRequestHeader);
        return offsetResponse({ offset: this.broker.messageStore.getMinOffsetInQueue(topic, queueId) });
      }
      case RequestCode.GET_EARLIEST_MSG_STORETIME: {
        const { topic, queueId } = request.decodeCommandCustomHeader(TopicQueueRequestHeader);
        return offsetResponse({ timestamp: this.broker.messageStore.getEarliestMessageTime(topic, queueId) });
      }
      case RequestCode.SEARCH_OFFSET_BY_TIMESTAMP: {
        const { topic, queueId, timestamp } = request.decodeCommandCustomHeader(SearchOffsetRequestHeader);
        return offsetResponse({ offset: this.broker.messageStore.getOffsetInQueueByTime(topic, queueId, timestamp) });
      }
      case RequestCode.GET_TOPIC_STATS_INFO:
        return this.getTopicStatsInfo(request);
      case RequestCode.GET_TOPIC_CONFIG: {
        // TopicConfigAndQueueMapping without a mapping: we serve no static topics.
        const { topic } = request.decodeCommandCustomHeader(GetTopicConfigRequestHeader);
        const config = topicConfigManager.selectTopicConfig(topic);
        if (config === undefined) return RemotingCommand.createResponseCommand(ResponseCode.TOPIC_NOT_EXIST, `No topic in this broker. topic: ${topic}`);
        return success(Buffer.from(toFastjson(topicConfigToJson(config)), 'utf8'));
      }
      case RequestCode.GET_SUBSCRIPTIONGROUP_CONFIG: {
        // findSubscriptionGroupConfig, as Java: an unknown group is auto-created when autoCreateSubscriptionGroup is on.
        const { group } = request.decodeCommandCustomHeader(GetSubscriptionGroupConfigRequestHeader);
        const config = subscriptionGroupManager.findSubscriptionGroupConfig(group);
        if (config === undefined) return RemotingCommand.createResponseCommand(ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, 'No group in this broker');
        return success(encodeSubscriptionGroupConfig(config));
      }
      case RequestCode.LOCK_BATCH_MQ: {
        // A single broker: onlyThisBroker (set by a broker forwarding to its replicas) changes nothing.
        const body = decodeLockBatchRequestBody(request.body);
        return success(encodeLockBatchResponseBody(this.broker.rebalanceLockManager.tryLockBatch(body.consumerGroup, body.mqSet, body.clientId)));
      }
      case RequestCode.UNLOCK_BATCH_MQ: {
        const body = decodeLockBatchRequestBody(request.body, 'UnlockBatchRequestBody');
        this.broker.rebalanceLockManager.unlockBatch(body.consumerGroup, body.mqSet, body.clientId);
        return success();
      }
      case RequestCode.GET_ALL_DELAY_OFFSET:
        return success(Buffer.from(this.broker.scheduleMessageService.encode(), 'utf8'));
      case RequestCode.GET_CONSUMER_CONNECTION_LIST:
        return this.getConsumerConnectionList(request);
      case RequestCode.GET_PRODUCER_CONNECTION_LIST:
        return this.getProducerConnectionList(request);
      case RequestCode.DELETE_SUBSCRIPTIONGROUP:
        return this.deleteSubscriptionGroup(ctx.remoteAddr, request);
      case RequestCode.GET_CONSUME_STATS:
        return this.getConsumeStats(request);
      case RequestCode.INVOKE_BROKER_TO_RESET_OFFSET: {
        const { topic, group, timestamp, isForce } = request.decodeCommandCustomHeader(ResetOffsetRequestHeader);
        this.broker.logger.info(`[reset-offset] reset offset started by ${ctx.remoteAddr}. topic=${topic}, group=${group}, timestamp=${timestamp}, isForce=${isForce}`);
        return this.broker.broker2Client.resetOffset(topic, group, timestamp, isForce);
      }
      case RequestCode.INVOKE_BROKER_TO_GET_CONSUMER_STATUS: {
        const { topic, group, clientAddr } = request.decodeCommandCustomHeader(GetConsumerStatusRequestHeader);
        return this.broker.broker2Client.getConsumeStatus(topic, group, clientAddr);
      }
      case RequestCode.QUERY_TOPIC_CONSUME_BY_WHO: {
        const { topic } = request.decodeCommandCustomHeader(QueryTopicConsumeByWhoRequestHeader);
        const groups = this.broker.consumerManager.queryTopicConsumeByWho(topic);
        for (const group of consumerOffsetManager.whichGroupByTopic(topic)) groups.add(group);
        return success(encodeGroupList(groups));
      }
      case RequestCode.GET_CONSUMER_RUNNING_INFO: {
        const { consumerGroup, clientId } = request.decodeCommandCustomHeader(GetConsumerRunningInfoRequestHeader);
        return this.callConsumer(RequestCode.GET_CONSUMER_RUNNING_INFO, request, consumerGroup, clientId);
      }
      case RequestCode.CONSUME_MESSAGE_DIRECTLY:
        return this.consumeMessageDirectly(request);
      case RequestCode.CLONE_GROUP_OFFSET:
        return this.cloneGroupOffset(request);
      case RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_BROKER:
        // The dashboard's Topic page asks the name server (304), then the broker it names, for the system topics.
        return success(encodeTopicList({ topicList: [...topicConfigManager.systemTopicSet()] }));
      case RequestCode.VIEW_BROKER_STATS_DATA:
        return this.viewBrokerStatsData(request);
      case RequestCode.GET_ALL_PRODUCER_INFO:
        return success(encodeProducerTableInfo(this.producerTable()));
      default:
        return RemotingCommand.createResponseCommand(ResponseCode.REQUEST_CODE_NOT_SUPPORTED, ` request type ${request.code} not supported`);
    }
  }

  /** mqadmin consumerConnection: the group's members, its subscriptions and how it consumes. */
  private getConsumerConnectionList(request: RemotingCommand): RemotingCommand {
    const { consumerGroup } = request.decodeCommandCustomHeader(GetConsumerConnectionListRequestHeader);
    const info = this.broker.consumerManager.getConsumerGroupInfo(consumerGroup);
    if (info === undefined) return RemotingCommand.createResponseCommand(ResponseCode.CONSUMER_NOT_ONLINE, `the consumer group[${consumerGroup}] not online`);
    return success(
      encodeConsumerConnection({
        connectionSet: [...info.channelInfoTable.values()].map(connectionOf),
        subscriptionTable: info.subscriptionTable,
        consumeType: info.consumeType,
        messageModel: info.messageModel,
        consumeFromWhere: info.consumeFromWhere,
      }),
    );
  }

  /**
   * mqadmin statsAll, the dashboard's charts and rocketmq-exporter's TPS families: one stats item's minute, hour
   * and day windows. An item nothing was counted under is SYSTEM_ERROR, as in Java (the exporter skips those).
   */
  private viewBrokerStatsData(request: RemotingCommand): RemotingCommand {
    const { statsName, statsKey } = request.decodeCommandCustomHeader(ViewBrokerStatsDataRequestHeader);
    const item = this.broker.brokerStatsManager.getStatsItem(statsName, statsKey);
    if (item === undefined) return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, `The stats <${statsName}> <${statsKey}> not exist`);
    return success(encodeBrokerStatsData({ statsMinute: item.snapshot('minute'), statsHour: item.snapshot('hour'), statsDay: item.snapshot('day') }));
  }

  /** ProducerManager.getProducerTable: every online producer by group (rocketmq-exporter's producer families). */
  private producerTable(): Map<string, ProducerInfo[]> {
    const table = new Map<string, ProducerInfo[]>();
    for (const [group, members] of this.broker.producerManager.groups()) {
      table.set(
        group,
        [...members.values()].map((info) => ({
          clientId: info.clientId,
          // Netty's InetSocketAddress.toString(), which Java puts here.
          remoteIP: `/${info.channel.remoteAddr}`,
          language: info.language,
          version: info.version,
          lastUpdateTimestamp: info.lastUpdateTimestamp,
        })),
      );
    }
    return table;
  }

  /** mqadmin producerConnection. */
  private getProducerConnectionList(request: RemotingCommand): RemotingCommand {
    const { producerGroup } = request.decodeCommandCustomHeader(GetProducerConnectionListRequestHeader);
    const members = this.broker.producerManager.getGroupChannelTable(producerGroup);
    if (members === undefined) return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, `the producer group[${producerGroup}] not exist`);
    return success(encodeProducerConnection([...members.values()].map(connectionOf)));
  }

  private async deleteSubscriptionGroup(caller: string, request: RemotingCommand): Promise<RemotingCommand> {
    const { groupName, cleanOffset } = request.decodeCommandCustomHeader(DeleteSubscriptionGroupRequestHeader);
    this.broker.logger.info(`deleteSubscriptionGroup ${groupName}, caller=${caller}`);
    await this.broker.subscriptionGroupManager.deleteSubscriptionGroupConfig(groupName);
    if (cleanOffset === true) this.broker.consumerOffsetManager.removeOffset(groupName);
    this.broker.brokerStatsManager.onGroupDeleted(groupName);
    return success();
  }

  /**
   * mqadmin consumerProgress: per queue of each topic, the broker's max offset, the group's committed offset and
   * the store time of the last consumed message. The topics: the header's list (5.x), else its topic, else every
   * topic the group committed on; an online group's are kept to what it subscribes to.
   */
  private getConsumeStats(request: RemotingCommand): RemotingCommand {
    const header = request.decodeCommandCustomHeader(GetConsumeStatsRequestHeader);
    const { consumerManager, consumerOffsetManager, topicConfigManager, messageStore } = this.broker;
    const group = header.consumerGroup;
    const topicList = (header.topicList ?? '').split(';').filter((t) => t.trim() !== '');
    let topics: Set<string>;
    if (topicList.length > 0) {
      topics = new Set(topicList);
    } else {
      topics = header.topic !== undefined && header.topic.trim() !== '' ? new Set([header.topic]) : consumerOffsetManager.whichTopicByConsumer(group);
      if (consumerManager.findSubscriptionDataCount(group) > 0) {
        for (const topic of [...topics]) if (consumerManager.findSubscriptionData(group, topic) === undefined) topics.delete(topic);
      }
    }
    const offsetTable: [MessageQueue, OffsetWrapper][] = [];
    let consumeTps = 0;
    for (const topic of topics) {
      const topicConfig = topicConfigManager.selectTopicConfig(topic);
      if (topicConfig === undefined) continue;
      // BrokerStatsManager.tpsGroupGetNums: the minute window of GROUP_GET_NUMS (topic@group), truncated as Java's (long) cast.
      consumeTps += Math.trunc(this.broker.brokerStatsManager.getStatsItem('GROUP_GET_NUMS', `${topic}@${group}`)?.snapshot('minute').tps ?? 0);
      for (let queueId = 0; queueId < topicConfig.readQueueNums; queueId++) {
        const brokerOffset = Math.max(0, messageStore.getMaxOffsetInQueue(topic, queueId));
        const consumerOffset = Math.max(0, consumerOffsetManager.queryOffset(group, topic, queueId));
        const lastTimestamp = consumerOffset > 0 ? Math.max(0, messageStore.getMessageStoreTimeStamp(topic, queueId, consumerOffset - 1)) : 0;
        offsetTable.push([
          { topic, brokerName: this.broker.config.brokerName, queueId },
          { brokerOffset, consumerOffset, pullOffset: consumerOffset, lastTimestamp },
        ]);
      }
    }
    return success(encodeConsumeStats(offsetTable, consumeTps));
  }

  /** The stored message goes to the client as body, with the broker's name and the topic's and group's flags. */
  private async consumeMessageDirectly(request: RemotingCommand): Promise<RemotingCommand> {
    const header = request.decodeCommandCustomHeader(ConsumeMessageDirectlyResultRequestHeader);
    request.addExtField('brokerName', this.broker.config.brokerName);
    const topicConfig = header.topic === undefined ? undefined : this.broker.topicConfigManager.selectTopicConfig(header.topic);
    if (topicConfig !== undefined) request.addExtField('topicSysFlag', String(topicConfig.topicSysFlag));
    const groupConfig = this.broker.subscriptionGroupManager.findSubscriptionGroupConfig(header.consumerGroup);
    if (groupConfig !== undefined) request.addExtField('groupSysFlag', String(groupConfig.groupSysFlag));
    if (header.msgId !== undefined) {
      let offset: number;
      try {
        offset = decodeMessageId(header.msgId).offset;
      } catch (err) {
        throw new RemotingCommandError(`msgId '${header.msgId.slice(0, 64)}' is not an offset message id: ${(err as Error).message}`);
      }
      request.body = this.broker.messageStore.selectOneMessageByOffset(offset) ?? undefined;
    }
    return this.callConsumer(RequestCode.CONSUME_MESSAGE_DIRECTLY, request, header.consumerGroup, header.clientId ?? '');
  }

  /** AdminBrokerProcessor.callConsumer: the request forwarded to one member over its own connection. */
  private async callConsumer(code: number, request: RemotingCommand, consumerGroup: string, clientId: string): Promise<RemotingCommand> {
    const info = this.broker.consumerManager.findChannel(consumerGroup, clientId);
    if (info === undefined) return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, `The Consumer <${consumerGroup}> <${clientId}> not online`);
    if (info.version < V3_1_8_SNAPSHOT) {
      return RemotingCommand.createResponseCommand(
        ResponseCode.SYSTEM_ERROR,
        `The Consumer <${clientId}> Version <${info.version}> too low to finish, please upgrade it to V3_1_8_SNAPSHOT`,
      );
    }
    const forwarded = RemotingCommand.createRequestCommand(code);
    forwarded.extFields = { ...request.extFields };
    forwarded.body = request.body;
    try {
      return await this.broker.broker2Client.callClient(info.channel, forwarded);
    } catch (err) {
      if (err instanceof RemotingTimeoutError) {
        return RemotingCommand.createResponseCommand(ResponseCode.CONSUME_MSG_TIMEOUT, `consumer <${consumerGroup}> <${clientId}> Timeout: ${err.message}`);
      }
      return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, `invoke consumer <${consumerGroup}> <${clientId}> Exception: ${String(err)}`);
    }
  }

  /** mqadmin cloneGroupOffset: unless offline, only topics the online source group subscribes to. */
  private cloneGroupOffset(request: RemotingCommand): RemotingCommand {
    const { srcGroup, destGroup, topic, offline } = request.decodeCommandCustomHeader(CloneGroupOffsetRequestHeader);
    const { consumerManager, consumerOffsetManager, topicConfigManager, logger } = this.broker;
    const topics = topic === undefined || topic.trim() === '' ? consumerOffsetManager.whichTopicByConsumer(srcGroup) : new Set([topic]);
    for (const t of topics) {
      if (!topicConfigManager.containsTopic(t)) {
        logger.warn(`[cloneGroupOffset], topic config not exist, ${t}`);
        continue;
      }
      if (offline !== true && consumerManager.findSubscriptionDataCount(srcGroup) > 0 && consumerManager.findSubscriptionData(srcGroup, t) === undefined) {
        logger.warn(`cloneGroupOffset: topic does not exist in consumer group's subscription, topic=${t}, consumer group=${srcGroup}`);
        continue;
      }
      consumerOffsetManager.cloneOffset(srcGroup, destGroup, t);
    }
    return success();
  }

  /**
   * Validation as 5.x (INVALID_PARAMETER; 4.9 said SYSTEM_ERROR): the name's characters and length, and no system
   * topic. An unchanged config answers SUCCESS without a new DataVersion. The answer leaves after the name servers
   * have the new route, as in Java, so a client may use the topic as soon as the admin call returns.
   */
  /** AdminBrokerProcessor's create execution time: how long the answer took, and whether it is a success. */
  private async timed(answer: () => Promise<RemotingCommand>, record: (millis: number, success: boolean) => void): Promise<RemotingCommand> {
    const start = Date.now();
    let success = false;
    try {
      const response = await answer();
      success = response.code === ResponseCode.SUCCESS;
      return response;
    } finally {
      record(Date.now() - start, success);
    }
  }

  private async updateAndCreateTopic(caller: string, request: RemotingCommand): Promise<RemotingCommand> {
    const header = request.decodeCommandCustomHeader(CreateTopicRequestHeader);
    const { topic } = header;
    this.broker.logger.info(`receive request to update or create topic=${topic}, caller address=${caller}`);
    const invalid = validateTopic(topic);
    if (invalid !== undefined) return RemotingCommand.createResponseCommand(ResponseCode.INVALID_PARAMETER, invalid);
    if (this.broker.config.validateSystemTopicWhenUpdateTopic && this.broker.topicConfigManager.isSystemTopic(topic)) {
      return RemotingCommand.createResponseCommand(ResponseCode.INVALID_PARAMETER, `The topic[${topic}] is conflict with system topic.`);
    }
    if (header.topicFilterType !== 'SINGLE_TAG' && header.topicFilterType !== 'MULTI_TAG') {
      return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, `No enum constant TopicFilterType.${header.topicFilterType.slice(0, 64)}`);
    }
    const existing = this.broker.topicConfigManager.selectTopicConfig(topic);
    const config: TopicConfig = {
      ...defaultTopicConfig(topic),
      readQueueNums: header.readQueueNums,
      writeQueueNums: header.writeQueueNums,
      perm: header.perm,
      topicFilterType: header.topicFilterType,
      topicSysFlag: header.topicSysFlag ?? 0,
      order: header.order,
      attributes: alterAttributes(existing?.attributes, header.attributes),
    };
    if (existing !== undefined && topicConfigEquals(config, existing)) return success();
    await this.broker.topicConfigManager.updateTopicConfig(config);
    await this.broker.registerBrokerAll();
    return success();
  }

  /** Java leaves the name servers to notice at the next periodic registration; we register at once. */
  private async deleteTopic(caller: string, request: RemotingCommand): Promise<RemotingCommand> {
    const { topic } = request.decodeCommandCustomHeader(DeleteTopicRequestHeader);
    this.broker.logger.info(`receive request to delete topic=${topic}, caller=${caller}`);
    if (topic.trim() === '') return RemotingCommand.createResponseCommand(ResponseCode.INVALID_PARAMETER, 'The specified topic is blank.');
    if (this.broker.config.validateSystemTopicWhenUpdateTopic && this.broker.topicConfigManager.isSystemTopic(topic)) {
      return RemotingCommand.createResponseCommand(ResponseCode.INVALID_PARAMETER, `The topic[${topic}] is conflict with system topic.`);
    }
    const deleted = await this.broker.topicConfigManager.deleteTopicConfig(topic);
    this.broker.consumerOffsetManager.cleanOffsetByTopic(topic);
    this.broker.messageStore.deleteTopics(new Set([topic]));
    this.broker.brokerStatsManager.onTopicDeleted(topic);
    this.broker.brokerMetricsManager.onTopicDeleted(topic);
    if (deleted) await this.broker.registerBrokerAll();
    return success();
  }

  private async updateAndCreateSubscriptionGroup(caller: string, request: RemotingCommand): Promise<RemotingCommand> {
    const config = decodeSubscriptionGroupConfig(request.body);
    if (config.groupName === '') throw new RemotingCommandError('SubscriptionGroupConfig: groupName is missing');
    this.broker.logger.info(`updateAndCreateSubscriptionGroup ${config.groupName} called by ${caller}`);
    await this.broker.subscriptionGroupManager.updateSubscriptionGroupConfig(config);
    return success();
  }

  /** Keys outside the runtime allow-list answer NO_PERMISSION, as Java's deny-list does; nothing is applied then. */
  private async updateBrokerConfig(caller: string, request: RemotingCommand): Promise<RemotingCommand> {
    if (request.body === undefined) return success();
    let properties: Map<string, string>;
    try {
      properties = parseJavaProperties(request.body.toString('utf8'));
    } catch (err) {
      throw new RemotingCommandError(`string2Properties error: ${(err as Error).message}`);
    }
    this.broker.logger.info(`updateBrokerConfig, new config: [${[...properties].map(([k, v]) => `${k}=${v}`).join(', ')}] client: ${caller}`);
    try {
      await this.broker.updateConfig(properties);
    } catch (err) {
      if (!(err instanceof BrokerConfigError)) throw err;
      return RemotingCommand.createResponseCommand(err.forbidden ? ResponseCode.NO_PERMISSION : ResponseCode.SYSTEM_ERROR, err.message);
    }
    return success();
  }

  /** mqadmin topicStatus: min, max and last update time of every queue of the topic. */
  private getTopicStatsInfo(request: RemotingCommand): RemotingCommand {
    const { topic } = request.decodeCommandCustomHeader(GetTopicStatsInfoRequestHeader);
    const topicConfig = this.broker.topicConfigManager.selectTopicConfig(topic);
    if (topicConfig === undefined) return RemotingCommand.createResponseCommand(ResponseCode.TOPIC_NOT_EXIST, `topic[${topic}] not exist`);
    const store = this.broker.messageStore;
    const offsets: TopicStatsEntry[] = [];
    for (let queueId = 0; queueId < topicConfig.writeQueueNums; queueId++) {
      const maxOffset = store.getMaxOffsetInQueue(topic, queueId);
      // As Java: the store time of the queue's last message, 0 when the queue is empty, -1 when it is unreadable.
      const lastUpdateTimestamp = maxOffset > 0 ? store.getMessageStoreTimeStamp(topic, queueId, maxOffset - 1) : 0;
      offsets.push({
        mq: { brokerName: this.broker.config.brokerName, queueId, topic },
        minOffset: store.getMinOffsetInQueue(topic, queueId),
        maxOffset,
        lastUpdateTimestamp,
      });
    }
    return success(encodeTopicStatsTable(offsets));
  }

  /**
   * AdminBrokerProcessor.prepareRuntimeInfo: the keys mqadmin clusterList and brokerStatus, the dashboard and
   * rocketmq-exporter read, with Java 5.3.3's names and formats. The store adds its own figures (putTps,
   * getTransferredTps, commitLogDiskRatio, commitLogDirCapacity, ...). Java's thread-pool queues are our
   * executors: the send queue is measured; the pull, query, ack and end-transaction executors report the
   * capacities they are built with (Java's defaults) and an empty queue.
   */
  private runtimeInfo(): Map<string, string> {
    const totals = this.broker.brokerStatsManager.dailyTotals();
    const sendQueue = this.broker.sendThreadPoolQueue;
    const info = new Map<string, string>([
      ['brokerActive', 'true'],
      ['brokerVersionDesc', BROKER_VERSION_DESC],
      ['brokerVersion', String(CURRENT_VERSION)],
      ['bootTimestamp', String(this.broker.startupTimeMillis)],
      ['msgPutTotalYesterdayMorning', String(totals.msgPutTotalYesterdayMorning)],
      ['msgPutTotalTodayMorning', String(totals.msgPutTotalTodayMorning)],
      ['msgPutTotalTodayNow', String(totals.msgPutTotalTodayNow)],
      ['msgGetTotalYesterdayMorning', String(totals.msgGetTotalYesterdayMorning)],
      ['msgGetTotalTodayMorning', String(totals.msgGetTotalTodayMorning)],
      ['msgGetTotalTodayNow', String(totals.msgGetTotalTodayNow)],
      ['startAcceptSendRequestTimeStamp', '0'],
      ['sendThreadPoolQueueSize', String(sendQueue.size)],
      ['sendThreadPoolQueueCapacity', String(this.broker.config.sendThreadPoolQueueCapacity)],
      ['sendThreadPoolQueueHeadWaitTimeMills', String(sendQueue.headWaitMillis())],
      ['pullThreadPoolQueueSize', '0'],
      ['pullThreadPoolQueueCapacity', '100000'],
      ['pullThreadPoolQueueHeadWaitTimeMills', '0'],
      ['litePullThreadPoolQueueSize', '0'],
      ['litePullThreadPoolQueueCapacity', '100000'],
      ['litePullThreadPoolQueueHeadWaitTimeMills', '0'],
      ['queryThreadPoolQueueSize', '0'],
      ['queryThreadPoolQueueCapacity', '20000'],
      ['queryThreadPoolQueueHeadWaitTimeMills', '0'],
      ['ackThreadPoolQueueSize', '0'],
      ['ackThreadPoolQueueCapacity', '100000'],
      ['ackThreadPoolQueueHeadWaitTimeMills', '0'],
      ['EndTransactionQueueSize', '0'],
      ['EndTransactionThreadPoolQueueCapacity', '100000'],
      ['pageCacheLockTimeMills', '0'],
      ['timerReadBehind', '0'],
      ['timerOffsetBehind', '0'],
      ['timerCongestNum', '0'],
      ['timerEnqueueTps', '0.0'],
      ['timerDequeueTps', '0.0'],
    ]);
    for (const [key, value] of this.broker.scheduleMessageService.buildRunningStats()) info.set(key, value);
    for (const [key, value] of this.broker.messageStore.getRuntimeInfo()) info.set(key, value);
    for (const [key, value] of this.broker.timerMessageStore?.runtimeInfo() ?? []) info.set(key, value);
    // Ours (Java 5.x exports these as metrics only): transactions since start.
    const tx = this.broker.transactionalMessageService.stats;
    info.set('transactionHalfMessages', String(tx.halfMessages));
    info.set('transactionCommits', String(tx.commits));
    info.set('transactionRollbacks', String(tx.rollbacks));
    info.set('transactionChecks', String(tx.checks));
    info.set('transactionDiscarded', String(tx.discarded));
    return info;
  }
}

function connectionOf(info: ClientChannelInfo<ClientChannel>): Connection {
  return { clientId: info.clientId, clientAddr: info.channel.remoteAddr, language: info.language, version: info.version };
}

function offsetResponse(header: { offset: number } | { timestamp: number }): RemotingCommand {
  return RemotingCommand.createResponseCommand(ResponseCode.SUCCESS, undefined, header);
}

interface TopicStatsEntry {
  mq: { brokerName: string; queueId: number; topic: string };
  minOffset: number;
  maxOffset: number;
  lastUpdateTimestamp: number;
}

/**
 * TopicStatsTable as fastjson writes it: a Map<MessageQueue, TopicOffset> whose keys are JSON objects, unquoted
 * ({"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{...}}}), which Java's client parses back.
 */
function encodeTopicStatsTable(entries: readonly TopicStatsEntry[]): Buffer {
  const items = entries.map(({ mq, ...offset }) => `${toFastjson(mq)}:${toFastjson(offset)}`);
  return Buffer.from(`{"offsetTable":{${items.join(',')}}}`, 'utf8');
}

/**
 * 5.x attribute modifications, "+key=value,-key": added or replaced, and removed, over the topic's current
 * attributes. Undefined when the topic ends up with none, so 4.9-shaped topics stay 4.9-shaped.
 */
function alterAttributes(current: ReadonlyMap<string, string> | undefined, modifications: string | undefined): Map<string, string> | undefined {
  const attributes = new Map(current ?? []);
  for (const item of (modifications ?? '').split(',')) {
    const entry = item.trim();
    if (entry === '') continue;
    if (entry.startsWith('+') && entry.includes('=')) {
      const split = entry.indexOf('=');
      attributes.set(entry.slice(1, split), entry.slice(split + 1));
    } else if (entry.startsWith('-')) {
      attributes.delete(entry.slice(1));
    } else {
      throw new RemotingCommandError(`attribute '${entry.slice(0, 64)}' must be +key=value or -key`);
    }
  }
  return attributes.size === 0 ? undefined : attributes;
}
