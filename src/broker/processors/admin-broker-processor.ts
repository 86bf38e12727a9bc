import { RemotingCommandError } from '../../common/errors.js';
import { parseJavaProperties } from '../../common/java-properties.js';
import { encodeKVTable } from '../../protocol/bodies/kv-table.js';
import { decodeSubscriptionGroupConfig } from '../../protocol/bodies/subscription-group-config.js';
import { encodeTopicConfigSerializeWrapper } from '../../protocol/bodies/topic-config-serialize-wrapper.js';
import { defaultTopicConfig, topicConfigToJson, type TopicConfig } from '../../protocol/bodies/topic-config.js';
import {
  CreateTopicRequestHeader,
  DeleteTopicRequestHeader,
  GetMaxOffsetRequestHeader,
  GetTopicConfigRequestHeader,
  GetTopicStatsInfoRequestHeader,
  SearchOffsetRequestHeader,
  TopicQueueRequestHeader,
} from '../../protocol/headers/broker.js';
import { toFastjson } from '../../protocol/bodies/fastjson-writer.js';
import { CURRENT_VERSION } from '../../protocol/language-code.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RequestContext, RequestProcessor } from '../../remoting/request-processor.js';
import { BrokerConfigError, formatBrokerConfig } from '../broker-config.js';
import { topicConfigEquals } from '../topic/topic-config-manager.js';
import { validateTopic } from '../topic/topic-validator.js';
import { answeringBadInput, success } from './bad-input.js';
import type { BrokerContext } from './broker-context.js';

/** MQVersion.getVersionDesc(CURRENT_VERSION): what mqadmin clusterList prints as the broker's version. */
const BROKER_VERSION_DESC = 'V5_3_3';

/**
 * AdminBrokerProcessor.java, the broker's default processor: topic and subscription-group administration, the
 * broker's configuration and runtime info, the slave-sync reads, the queue offset queries (29-32) and what
 * mqadmin topicStatus reads (202, 351). Every code nobody serves lands here and is answered
 * REQUEST_CODE_NOT_SUPPORTED naming the code, as Java does.
 */
export class AdminBrokerProcessor implements RequestProcessor {
  constructor(private readonly broker: BrokerContext) {}

  processRequest(ctx: RequestContext, request: RemotingCommand): RemotingCommand | Promise<RemotingCommand> {
    return answeringBadInput(() => this.dispatch(ctx, request));
  }

  private dispatch(ctx: RequestContext, request: RemotingCommand): RemotingCommand | Promise<RemotingCommand> {
    const { topicConfigManager, subscriptionGroupManager, consumerOffsetManager } = this.broker;
    switch (request.code) {
      case RequestCode.UPDATE_AND_CREATE_TOPIC:
        return this.updateAndCreateTopic(ctx.remoteAddr, request);
      case RequestCode.DELETE_TOPIC_IN_BROKER:
        return this.deleteTopic(ctx.remoteAddr, request);
      case RequestCode.GET_ALL_TOPIC_CONFIG:
        return success(encodeTopicConfigSerializeWrapper(topicConfigManager.buildTopicConfigSerializeWrapper()));
      case RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP:
        return this.updateAndCreateSubscriptionGroup(ctx.remoteAddr, request);
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
      default:
        return RemotingCommand.createResponseCommand(ResponseCode.REQUEST_CODE_NOT_SUPPORTED, ` request type ${request.code} not supported`);
    }
  }

  /**
   * Validation as 5.x (INVALID_PARAMETER; 4.9 said SYSTEM_ERROR): the name's characters and length, and no system
   * topic. An unchanged config answers SUCCESS without a new DataVersion. The answer leaves after the name servers
   * have the new route, as in Java, so a client may use the topic as soon as the admin call returns.
   */
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
   * The keys mqadmin clusterList and brokerStatus read. Counters the broker does not keep yet read 0; the store
   * adds its own figures (putTps, getTransferredTps, commitLogDiskRatio, ...) over these.
   */
  private runtimeInfo(): Map<string, string> {
    const info = new Map<string, string>([
      ['brokerActive', 'true'],
      ['brokerVersionDesc', BROKER_VERSION_DESC],
      ['brokerVersion', String(CURRENT_VERSION)],
      ['bootTimestamp', String(this.broker.startupTimeMillis)],
      ['msgPutTotalYesterdayMorning', '0'],
      ['msgPutTotalTodayMorning', '0'],
      ['msgPutTotalTodayNow', '0'],
      ['msgGetTotalYesterdayMorning', '0'],
      ['msgGetTotalTodayMorning', '0'],
      ['msgGetTotalTodayNow', '0'],
      ['sendThreadPoolQueueSize', '0'],
      ['sendThreadPoolQueueHeadWaitTimeMills', '0'],
      ['pullThreadPoolQueueSize', '0'],
      ['pullThreadPoolQueueHeadWaitTimeMills', '0'],
      ['pageCacheLockTimeMills', '0'],
      ['timerReadBehind', '0'],
      ['timerOffsetBehind', '0'],
      ['timerCongestNum', '0'],
      ['timerEnqueueTps', '0.0'],
      ['timerDequeueTps', '0.0'],
    ]);
    for (const [key, value] of this.broker.messageStore.getRuntimeInfo()) info.set(key, value);
    return info;
  }
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
