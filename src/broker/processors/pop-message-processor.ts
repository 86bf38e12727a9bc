import { PopMessageRequestHeader } from '../../protocol/headers/pop.js';
import { PermName } from '../../protocol/perm-name.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RequestContext, RequestProcessor } from '../../remoting/request-processor.js';
import { buildSubscriptionData } from '../filter/expression-message-filter.js';
import { resolvePullMessageFilter } from '../filter/pull-message-filter.js';
import { MAX_POP_MSG_NUMS, type PopEngine, type PopResult } from '../pop/pop-engine.js';
import { answeringBadInput } from './bad-input.js';
import type { BrokerContext } from './broker-context.js';

/**
 * PopMessageProcessor.java (POP_MESSAGE 200050) over the POP engine: Java's checks and codes, the request's
 * TAG/SQL92 expression compiled as a pull's carried subscription, and the response answered later (a long poll
 * does not hold an executor slot). Body: the stored records; header: popTime, invisibleTime, reviveQid, restNum
 * and the offset summaries the client builds each message's POP_CK from.
 */
export class PopMessageProcessor implements RequestProcessor {
  constructor(
    private readonly broker: BrokerContext,
    private readonly engine: PopEngine,
  ) {}

  processRequest(ctx: RequestContext, request: RemotingCommand): RemotingCommand | null | Promise<RemotingCommand | null> {
    return answeringBadInput(() => this.pop(ctx, request));
  }

  private pop(ctx: RequestContext, request: RemotingCommand): RemotingCommand | null {
    const header = request.decodeCommandCustomHeader(PopMessageRequestHeader);
    const { config } = this.broker;
    const fail = (code: number, remark: string): RemotingCommand => RemotingCommand.createResponseCommand(code, remark);
    if (header.maxMsgNums > MAX_POP_MSG_NUMS || header.maxMsgNums <= 0) {
      return fail(ResponseCode.INVALID_PARAMETER, `the broker's max msgs num is ${MAX_POP_MSG_NUMS}, and it must be positive: ${header.maxMsgNums}`);
    }
    if (header.invisibleTime <= 0) return fail(ResponseCode.INVALID_PARAMETER, `invisibleTime must be positive: ${header.invisibleTime}`);
    const refused = checkPopTarget(this.broker, ctx.remoteAddr, header);
    if (refused !== undefined) return refused;
    let subscriptionData;
    try {
      subscriptionData = buildSubscriptionData(header.topic, header.exp, header.expType);
    } catch {
      return fail(ResponseCode.SUBSCRIPTION_PARSE_FAILED, "parse the consumer's subscription failed");
    }
    const filter = resolvePullMessageFilter(this.broker.consumerFilterManager, config, {
      topic: header.topic,
      consumerGroup: header.consumerGroup,
      subVersion: subscriptionData.subVersion,
      subscriptionData,
      carried: true,
    });
    if (!('messageFilter' in filter)) return fail(filter.code, filter.remark);
    // Java counts the poll from the client's bornTime; a clock far off the broker's would make it meaningless.
    const pollTime = Math.max(0, Math.min(header.pollTime, header.bornTime + header.pollTime - Date.now()));
    void this.engine
      .pop({
        group: header.consumerGroup,
        topic: header.topic,
        queueId: header.queueId,
        maxMsgNums: header.maxMsgNums,
        invisibleTime: header.invisibleTime,
        pollTime: Number.isFinite(pollTime) ? pollTime : 0,
        order: header.order === true,
        ...(header.attemptId === undefined ? {} : { attemptId: header.attemptId }),
        initMode: header.initMode,
        filter: filter.messageFilter,
        isActive: () => ctx.channel.isActive,
      })
      .then(
        (result) => ctx.writeResponse(request, toResponse(result)),
        (err: unknown) => {
          this.broker.logger.error(`POP of ${header.topic} for ${header.consumerGroup} failed`, err);
          ctx.writeResponse(request, fail(ResponseCode.SYSTEM_ERROR, String(err)));
        },
      );
    return null;
  }
}

/**
 * The checks POP_MESSAGE, PEEK_MESSAGE, NOTIFICATION and POLLING_INFO share (in Java's order, with its codes):
 * the broker and the topic readable, the queue id within the topic's read queues, the group existing and enabled.
 */
export function checkPopTarget(
  broker: Pick<BrokerContext, 'config' | 'subscriptionGroupManager' | 'topicConfigManager'>,
  remoteAddr: string,
  header: { readonly consumerGroup: string; readonly topic: string; readonly queueId: number },
): RemotingCommand | undefined {
  const { config, subscriptionGroupManager, topicConfigManager } = broker;
  const fail = (code: number, remark: string): RemotingCommand => RemotingCommand.createResponseCommand(code, remark);
  if (!PermName.isReadable(config.brokerPermission)) return fail(ResponseCode.NO_PERMISSION, `the broker[${config.brokerIP1}] peeking message is forbidden`);
  const topicConfig = topicConfigManager.selectTopicConfig(header.topic);
  if (topicConfig === undefined) return fail(ResponseCode.TOPIC_NOT_EXIST, `topic[${header.topic}] not exist, apply first please!`);
  if (!PermName.isReadable(topicConfig.perm)) return fail(ResponseCode.NO_PERMISSION, `the topic[${header.topic}] peeking message is forbidden`);
  if (header.queueId >= topicConfig.readQueueNums) {
    return fail(
      ResponseCode.INVALID_PARAMETER,
      `queueId[${header.queueId}] is illegal, topic:[${header.topic}] topicConfig.readQueueNums:[${topicConfig.readQueueNums}] consumer:[${remoteAddr}]`,
    );
  }
  const groupConfig = subscriptionGroupManager.findSubscriptionGroupConfig(header.consumerGroup);
  if (groupConfig === undefined) return fail(ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, `subscription group [${header.consumerGroup}] does not exist`);
  if (!groupConfig.consumeEnable) return fail(ResponseCode.NO_PERMISSION, `subscription group no permission, ${header.consumerGroup}`);
  return undefined;
}

function toResponse(result: PopResult): RemotingCommand {
  const base = { popTime: result.popTime, invisibleTime: result.invisibleTime, reviveQid: result.reviveQid, restNum: result.restNum };
  if (result.status !== 'FOUND') {
    const code = result.status === 'POLLING_FULL' ? ResponseCode.POLLING_FULL : ResponseCode.POLLING_TIMEOUT;
    return RemotingCommand.createResponseCommand(code, 'NO_MESSAGE_IN_QUEUE', base);
  }
  const response = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS, 'FOUND', {
    ...base,
    startOffsetInfo: result.startOffsetInfo,
    msgOffsetInfo: result.msgOffsetInfo,
    ...(result.orderCountInfo === '' ? {} : { orderCountInfo: result.orderCountInfo }),
  });
  response.body = Buffer.concat(result.messages.map((m) => m.record));
  return response;
}
