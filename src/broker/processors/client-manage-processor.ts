import { decodeCheckClientRequestBody } from '../../protocol/bodies/check-client-request-body.js';
import { decodeHeartbeatData, type ConsumerData } from '../../protocol/bodies/heartbeat-data.js';
import { UnregisterClientRequestHeader } from '../../protocol/headers/broker.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RemotingChannel } from '../../remoting/remoting-channel.js';
import type { RequestContext, RequestProcessor } from '../../remoting/request-processor.js';
import { newClientChannelInfo, type ClientChannelInfo } from '../client/client-channel-info.js';
import { PermName } from '../../protocol/perm-name.js';
import { checkClientConfig } from '../filter/pull-message-filter.js';
import { retryTopic } from '../topic/topic-validator.js';
import { answeringBadInput } from './bad-input.js';
import type { BrokerContext } from './broker-context.js';

/** MixAll.IS_SUPPORT_HEART_BEAT_V2 / IS_SUB_CHANGE: 5.x response ext fields of HEART_BEAT. */
const IS_SUPPORT_HEART_BEAT_V2 = 'IS_SUPPORT_HEART_BEAT_V2';
const IS_SUB_CHANGE = 'IS_SUB_CHANGE';
/** TopicSysFlag.buildSysFlag(false, true): the retry topic of a unit-mode group. */
const FLAG_UNIT_SUB = 0x2;

/** ClientManageProcessor.java: HEART_BEAT (34), UNREGISTER_CLIENT (35) and CHECK_CLIENT_CONFIG (46). */
export class ClientManageProcessor implements RequestProcessor {
  /** Heartbeat V2: the last fingerprint of each group's subscriptions. */
  private readonly consumerGroupHeartbeatTable = new Map<string, number>();

  constructor(private readonly broker: BrokerContext) {}

  processRequest(ctx: RequestContext, request: RemotingCommand): RemotingCommand | Promise<RemotingCommand> {
    return answeringBadInput(() => {
      switch (request.code) {
        case RequestCode.HEART_BEAT:
          return this.heartBeat(ctx.channel, request);
        case RequestCode.UNREGISTER_CLIENT:
          return this.unregisterClient(ctx.channel, request);
        case RequestCode.CHECK_CLIENT_CONFIG:
          return this.checkClientConfig(request);
        default:
          return RemotingCommand.createResponseCommand(ResponseCode.REQUEST_CODE_NOT_SUPPORTED, ` request type ${request.code} not supported`);
      }
    });
  }

  /**
   * Registers the client's producer and consumer groups on this connection. For each consumer group: its
   * subscription group is found (or auto-created; a group that may not be created is skipped), its retry topic
   * created, and its members told when membership or subscriptions changed. V2 heartbeats (non-zero fingerprint)
   * may omit unchanged subscriptions; IS_SUB_CHANGE asks the client for a full heartbeat when the fingerprint moved.
   */
  private heartBeat(channel: RemotingChannel, request: RemotingCommand): RemotingCommand {
    const heartbeat = decodeHeartbeatData(request.body);
    const info = newClientChannelInfo(channel, heartbeat.clientID, request.language, request.version);
    const v2 = heartbeat.heartbeatFingerprint !== 0;
    let isSubChange = !v2;
    for (const consumer of heartbeat.consumerDataSet) {
      if (v2) {
        const previous = this.consumerGroupHeartbeatTable.get(consumer.groupName);
        if (previous !== undefined && previous !== heartbeat.heartbeatFingerprint) isSubChange = true;
      }
      this.consumerGroupHeartbeatTable.set(consumer.groupName, heartbeat.heartbeatFingerprint);
      this.registerConsumer(consumer, info, v2 && heartbeat.withoutSub);
    }
    for (const producer of heartbeat.producerDataSet) this.broker.producerManager.registerProducer(producer.groupName, info);
    const response = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS);
    response.addExtField(IS_SUPPORT_HEART_BEAT_V2, 'true');
    response.addExtField(IS_SUB_CHANGE, String(isSubChange));
    return response;
  }

  private registerConsumer(consumer: ConsumerData, info: ClientChannelInfo<RemotingChannel>, withoutSub: boolean): void {
    const { topicConfigManager, subscriptionGroupManager, consumerManager, logger } = this.broker;
    const groupConfig = subscriptionGroupManager.findSubscriptionGroupConfig(consumer.groupName);
    if (groupConfig === undefined) return;
    const hasOrderTopicSub = consumer.subscriptionDataSet.some((s) => topicConfigManager.isOrderTopic(s.topic));
    topicConfigManager.createTopicInSendMessageBackMethod(
      retryTopic(consumer.groupName),
      groupConfig.retryQueueNums,
      PermName.PERM_READ | PermName.PERM_WRITE,
      hasOrderTopicSub,
      consumer.unitMode ? FLAG_UNIT_SUB : 0,
    );
    const notify = groupConfig.notifyConsumerIdsChangedEnable;
    const { groupName, consumeType, messageModel, consumeFromWhere } = consumer;
    const changed = withoutSub
      ? consumerManager.registerConsumerWithoutSub(groupName, info, consumeType, messageModel, consumeFromWhere, notify)
      : consumerManager.registerConsumer(groupName, info, consumeType, messageModel, consumeFromWhere, consumer.subscriptionDataSet, notify);
    if (changed) logger.info(`registerConsumer info changed, group ${groupName}, client ${info.clientId} (${info.channel.remoteAddr})`);
  }

  /** Whether this broker can filter the subscription in the body (a consumer asks before it starts). */
  private checkClientConfig(request: RemotingCommand): RemotingCommand {
    const body = decodeCheckClientRequestBody(request.body);
    const { filterFactory, config, logger } = this.broker;
    const { code, remark } = checkClientConfig((type, expression) => filterFactory.compile(type, expression), config.enablePropertyFilter, body.subscriptionData);
    if (code === ResponseCode.SUBSCRIPTION_PARSE_FAILED) {
      logger.warn(`Client ${body.clientId}@${body.group} filter message, but failed to compile expression! sub=${body.subscriptionData?.subString}, error=${remark}`);
    }
    return RemotingCommand.createResponseCommand(code, remark);
  }

  private unregisterClient(channel: RemotingChannel, request: RemotingCommand): RemotingCommand {
    const header = request.decodeCommandCustomHeader(UnregisterClientRequestHeader);
    if (header.producerGroup !== undefined) this.broker.producerManager.unregisterProducer(header.producerGroup, channel, header.clientID);
    if (header.consumerGroup !== undefined) {
      const groupConfig = this.broker.subscriptionGroupManager.findSubscriptionGroupConfig(header.consumerGroup);
      this.broker.consumerManager.unregisterConsumer(header.consumerGroup, channel, groupConfig?.notifyConsumerIdsChangedEnable ?? true);
    }
    return RemotingCommand.createResponseCommand(ResponseCode.SUCCESS);
  }
}
