import { encodeConsumerListByGroup } from '../../protocol/bodies/consumer-list-by-group.js';
import {
  GetConsumerListByGroupRequestHeader,
  QueryConsumerOffsetRequestHeader,
  UpdateConsumerOffsetRequestHeader,
} from '../../protocol/headers/broker.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RequestContext, RequestProcessor } from '../../remoting/request-processor.js';
import { answeringBadInput, success } from './bad-input.js';
import type { BrokerContext } from './broker-context.js';

/** ConsumerManageProcessor.java: GET_CONSUMER_LIST_BY_GROUP (38), UPDATE_CONSUMER_OFFSET (15), QUERY_CONSUMER_OFFSET (14). */
export class ConsumerManageProcessor implements RequestProcessor {
  constructor(private readonly broker: BrokerContext) {}

  processRequest(ctx: RequestContext, request: RemotingCommand): RemotingCommand | Promise<RemotingCommand> {
    return answeringBadInput(() => {
      switch (request.code) {
        case RequestCode.GET_CONSUMER_LIST_BY_GROUP:
          return this.getConsumerListByGroup(request);
        case RequestCode.UPDATE_CONSUMER_OFFSET:
          return this.updateConsumerOffset(ctx.remoteAddr, request);
        case RequestCode.QUERY_CONSUMER_OFFSET:
          return this.queryConsumerOffset(request);
        default:
          return RemotingCommand.createResponseCommand(ResponseCode.REQUEST_CODE_NOT_SUPPORTED, ` request type ${request.code} not supported`);
      }
    });
  }

  private getConsumerListByGroup(request: RemotingCommand): RemotingCommand {
    const { consumerGroup } = request.decodeCommandCustomHeader(GetConsumerListByGroupRequestHeader);
    const clientIds = this.broker.consumerManager.getConsumerGroupInfo(consumerGroup)?.getAllClientId() ?? [];
    if (clientIds.length === 0) {
      this.broker.logger.warn(`getConsumerListByGroup: no consumer for group ${consumerGroup}`);
      return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, `no consumer for this group, ${consumerGroup}`);
    }
    return success(encodeConsumerListByGroup(clientIds));
  }

  /** 5.x refuses offsets of unknown groups and topics (4.9 stored them). */
  private updateConsumerOffset(clientHost: string, request: RemotingCommand): RemotingCommand {
    const header = request.decodeCommandCustomHeader(UpdateConsumerOffsetRequestHeader);
    const { consumerGroup: group, topic, queueId, commitOffset } = header;
    if (!this.broker.subscriptionGroupManager.containsSubscriptionGroup(group)) {
      return RemotingCommand.createResponseCommand(ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, `Group ${group} not exist!`);
    }
    if (!this.broker.topicConfigManager.containsTopic(topic)) {
      return RemotingCommand.createResponseCommand(ResponseCode.TOPIC_NOT_EXIST, `Topic ${topic} not exist!`);
    }
    this.broker.consumerOffsetManager.commitOffset(clientHost, group, topic, queueId, commitOffset);
    return RemotingCommand.createResponseCommand(ResponseCode.SUCCESS);
  }

  /**
   * The committed offset; for a group that never committed one: QUERY_NOT_FOUND when the client asked not to
   * fall back (setZeroIfNotFound=false), else 0 while the queue still starts at 0 and its head is in memory (a
   * young queue: the new group reads it all), else QUERY_NOT_FOUND (the client then starts where its
   * consumeFromWhere says).
   */
  private queryConsumerOffset(request: RemotingCommand): RemotingCommand {
    const { consumerGroup, topic, queueId, setZeroIfNotFound } = request.decodeCommandCustomHeader(QueryConsumerOffsetRequestHeader);
    const offset = this.broker.consumerOffsetManager.queryOffset(consumerGroup, topic, queueId);
    if (offset >= 0) return RemotingCommand.createResponseCommand(ResponseCode.SUCCESS, undefined, { offset });
    if (setZeroIfNotFound === false) {
      return RemotingCommand.createResponseCommand(ResponseCode.QUERY_NOT_FOUND, 'Not found, do not set to zero, maybe this group boot first');
    }
    const store = this.broker.messageStore;
    if (store.getMinOffsetInQueue(topic, queueId) <= 0 && store.checkInMemByConsumeOffset(topic, queueId, 0, 1)) {
      return RemotingCommand.createResponseCommand(ResponseCode.SUCCESS, undefined, { offset: 0 });
    }
    return RemotingCommand.createResponseCommand(ResponseCode.QUERY_NOT_FOUND, 'Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first');
  }
}
