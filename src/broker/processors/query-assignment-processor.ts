import type { MessageQueue } from '../../protocol/bodies/message-queue.js';
import {
  decodeQueryAssignmentRequestBody,
  decodeSetMessageRequestModeRequestBody,
  encodeQueryAssignmentResponseBody,
  type SetMessageRequestModeRequestBody,
} from '../../protocol/bodies/message-request-mode.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RequestContext, RequestProcessor } from '../../remoting/request-processor.js';
import type { MessageRequestModeManager } from '../loadbalance/message-request-mode-manager.js';
import { RETRY_GROUP_TOPIC_PREFIX } from '../pop/key-builder.js';
import type { BrokerContext } from './broker-context.js';

/**
 * QueryAssignmentProcessor.java: server-side rebalance for Java 5.x clients with clientRebalance off.
 * QUERY_ASSIGNMENT (400) answers the queues a client is to consume and how (PULL or POP); SET_MESSAGE_REQUEST_MODE
 * (401, mqadmin setConsumeMode) sets the mode per (topic, group). A POP group gets one assignment per broker with
 * queueId -1 (every client pops every queue: popShareQueueNum <= 0, Java's default); a PULL group gets its share
 * of the queues (AVG or AVG_BY_CIRCLE over the group's client ids, as Java). The queues are this broker's: Java
 * asks the name server for the topic's route over all brokers, which a single broker's own table equals.
 */
export class QueryAssignmentProcessor implements RequestProcessor {
  constructor(
    private readonly broker: BrokerContext,
    private readonly modes: MessageRequestModeManager,
  ) {}

  async processRequest(_ctx: RequestContext, request: RemotingCommand): Promise<RemotingCommand> {
    let body;
    try {
      body = request.code === RequestCode.QUERY_ASSIGNMENT ? decodeQueryAssignmentRequestBody(request.body) : decodeSetMessageRequestModeRequestBody(request.body);
    } catch (err) {
      return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, (err as Error).message);
    }
    if (!('clientId' in body)) return this.setMessageRequestMode(body);
    const { topic, consumerGroup, clientId, strategyName, messageModel } = body;
    const { config } = this.broker;
    const mode: SetMessageRequestModeRequestBody = this.modes.getMessageRequestMode(topic, consumerGroup) ?? {
      topic,
      consumerGroup,
      // Retry topics are always pulled.
      mode: !topic.startsWith(RETRY_GROUP_TOPIC_PREFIX) && config.defaultMessageRequestMode === 'POP' ? 'POP' : 'PULL',
      popShareQueueNum: config.defaultPopShareQueueNum,
    };
    const queues = this.doLoadBalance(topic, consumerGroup, clientId, messageModel, strategyName, mode);
    const response = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS);
    response.body = encodeQueryAssignmentResponseBody(queues?.map((messageQueue) => ({ messageQueue, mode: mode.mode })));
    return response;
  }

  private async setMessageRequestMode(body: SetMessageRequestModeRequestBody): Promise<RemotingCommand> {
    if (body.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) return RemotingCommand.createResponseCommand(ResponseCode.NO_PERMISSION, 'retry topic is not allowed to set mode');
    if (this.broker.topicConfigManager.selectTopicConfig(body.topic) === undefined) {
      return RemotingCommand.createResponseCommand(ResponseCode.TOPIC_NOT_EXIST, `topic[${body.topic}] not exist`);
    }
    if (this.broker.subscriptionGroupManager.findSubscriptionGroupConfig(body.consumerGroup) === undefined) {
      return RemotingCommand.createResponseCommand(ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, 'subscription group does not exist');
    }
    await this.modes.setMessageRequestMode(body);
    return RemotingCommand.createResponseCommand(ResponseCode.SUCCESS);
  }

  /** QueryAssignmentProcessor.doLoadBalance; undefined: no assignment (unknown topic, group or strategy). */
  private doLoadBalance(
    topic: string,
    group: string,
    clientId: string,
    messageModel: 'BROADCASTING' | 'CLUSTERING',
    strategyName: string,
    mode: SetMessageRequestModeRequestBody,
  ): MessageQueue[] | undefined {
    const topicConfig = this.broker.topicConfigManager.selectTopicConfig(topic);
    if (topicConfig === undefined) return undefined;
    const brokerName = this.broker.config.brokerName;
    const mqAll = Array.from({ length: topicConfig.readQueueNums }, (_, queueId) => ({ topic, brokerName, queueId }));
    if (messageModel === 'BROADCASTING' || !this.broker.config.serverLoadBalancerEnable) return mqAll;
    const cidAll = this.broker.consumerManager.getConsumerGroupInfo(group)?.getAllClientId().sort();
    if (cidAll === undefined) return undefined;
    if (mode.mode === 'POP' && (mode.popShareQueueNum <= 0 || mode.popShareQueueNum >= cidAll.length - 1)) {
      // allocate4Pop: every client pops all the broker's queues, one assignment with queueId -1.
      return [{ topic, brokerName, queueId: -1 }];
    }
    const index = cidAll.indexOf(clientId);
    if (index < 0) return [];
    if (strategyName === 'AVG') return allocateAveragely(mqAll, cidAll.length, index);
    if (strategyName === 'AVG_BY_CIRCLE') return mqAll.filter((_, i) => i % cidAll.length === index);
    this.broker.logger.warn(`QueryLoad: unsupported strategy [${strategyName}]`);
    return undefined;
  }
}

/** AllocateMessageQueueAveragely.allocate: a contiguous share, the first `mod` clients one queue more. */
function allocateAveragely(mqAll: readonly MessageQueue[], clients: number, index: number): MessageQueue[] {
  const mod = mqAll.length % clients;
  const averageSize = mqAll.length <= clients ? 1 : mod > 0 && index < mod ? Math.floor(mqAll.length / clients) + 1 : Math.floor(mqAll.length / clients);
  const startIndex = mod > 0 && index < mod ? index * averageSize : index * averageSize + mod;
  const range = Math.min(averageSize, mqAll.length - startIndex);
  return Array.from({ length: Math.max(0, range) }, (_, i) => mqAll[(startIndex + i) % mqAll.length] as MessageQueue);
}
