import type { SubscriptionData } from '../../protocol/bodies/heartbeat-data.js';
import type { DecodedHeader } from '../../protocol/custom-header.js';
import { PullMessageRequestHeader } from '../../protocol/headers/broker.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RequestContext, RequestProcessor } from '../../remoting/request-processor.js';
import type { GetMessageResult } from '../../store/message-store.js';
import { buildSubscriptionData } from '../filter/expression-message-filter.js';
import { resolvePullMessageFilter } from '../filter/pull-message-filter.js';
import type { PullRequest, PullRequestHoldService } from '../longpolling/pull-request-hold-service.js';
import { PermName } from '../../protocol/perm-name.js';
import { isSlave } from '../slave/broker-role.js';
import { suggestPullBroker } from '../slave/pull-suggestion.js';
import { answeringBadInput } from './bad-input.js';
import type { BrokerContext } from './broker-context.js';

/** PullSysFlag.java. */
export const PullSysFlag = {
  FLAG_COMMIT_OFFSET: 0x1,
  FLAG_SUSPEND: 0x2,
  FLAG_SUBSCRIPTION: 0x4,
  FLAG_CLASS_FILTER: 0x8,
  FLAG_LITE_PULL_MESSAGE: 0x10,
} as const;

/**
 * The longest a pull is parked, whatever the client asks: the push consumer asks 15 s (and times out at 30 s),
 * the pull consumers 20 s; answering a pull consumer after 15 s only makes it pull again.
 */
export const BROKER_SUSPEND_MAX_TIME_MILLIS = 15_000;

type PullHeader = DecodedHeader<typeof PullMessageRequestHeader>;

/**
 * PullMessageProcessor.java (with DefaultPullMessageResultHandler): PULL_MESSAGE (11) and LITE_PULL_MESSAGE
 * (361). The pre-checks and their codes are Java's; the body is the stored records straight from the log; a
 * caught-up pull (PULL_NOT_FOUND) with FLAG_SUSPEND is parked in the PullRequestHoldService and answered when a
 * matching message arrives or its time is up, by running it again with brokerAllowSuspend=false (which neither
 * parks it nor commits its offset a second time).
 */
export class PullMessageProcessor implements RequestProcessor {
  holdService: PullRequestHoldService | undefined;

  constructor(private readonly broker: BrokerContext) {}

  /** null: the pull is parked and answered later through ctx.writeResponse. */
  processRequest(ctx: RequestContext, request: RemotingCommand): RemotingCommand | null | Promise<RemotingCommand | null> {
    return answeringBadInput(() => this.pull(ctx, request, true));
  }

  /** PullMessageProcessor.executeRequestWhenWakeup: the parked pull runs again and is answered whatever it finds. */
  executeRequestWhenWakeup(pullRequest: PullRequest): void {
    const { ctx, request } = pullRequest;
    let response: RemotingCommand | null;
    try {
      response = this.pull(ctx, request, false);
    } catch (err) {
      this.broker.logger.error(`executing a woken pull from ${ctx.remoteAddr} failed`, err);
      response = RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, String(err));
    }
    if (response !== null) ctx.writeResponse(request, response);
  }

  private pull(ctx: RequestContext, request: RemotingCommand, brokerAllowSuspend: boolean): RemotingCommand | null {
    const header = request.decodeCommandCustomHeader(PullMessageRequestHeader);
    const { config, subscriptionGroupManager, topicConfigManager } = this.broker;
    const fail = (code: number, remark: string): RemotingCommand => RemotingCommand.createResponseCommand(code, remark);
    if (!PermName.isReadable(config.brokerPermission)) {
      return fail(ResponseCode.NO_PERMISSION, `the broker[${config.brokerIP1}] pulling message is forbidden`);
    }
    const groupConfig = subscriptionGroupManager.findSubscriptionGroupConfig(header.consumerGroup);
    if (groupConfig === undefined) {
      return fail(ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, `subscription group [${header.consumerGroup}] does not exist`);
    }
    if (!groupConfig.consumeEnable) return fail(ResponseCode.NO_PERMISSION, `subscription group no permission, ${header.consumerGroup}`);
    const topicConfig = topicConfigManager.selectTopicConfig(header.topic);
    if (topicConfig === undefined) return fail(ResponseCode.TOPIC_NOT_EXIST, `topic[${header.topic}] not exist, apply first please!`);
    if (!PermName.isReadable(topicConfig.perm)) return fail(ResponseCode.NO_PERMISSION, `the topic[${header.topic}] pulling message is forbidden`);
    if (header.queueId < 0 || header.queueId >= topicConfig.readQueueNums) {
      return fail(
        ResponseCode.INVALID_PARAMETER,
        `queueId[${header.queueId}] is illegal, topic:[${header.topic}] topicConfig.readQueueNums:[${topicConfig.readQueueNums}] consumer:[${ctx.remoteAddr}]`,
      );
    }

    let subscriptionData: SubscriptionData | undefined;
    const carried = (header.sysFlag & PullSysFlag.FLAG_SUBSCRIPTION) !== 0;
    if (carried) {
      try {
        subscriptionData = buildSubscriptionData(header.topic, header.subscription, header.expressionType);
      } catch {
        return fail(ResponseCode.SUBSCRIPTION_PARSE_FAILED, "parse the consumer's subscription failed");
      }
    } else {
      const groupInfo = this.broker.consumerManager.getConsumerGroupInfo(header.consumerGroup);
      if (groupInfo === undefined) return fail(ResponseCode.SUBSCRIPTION_NOT_EXIST, "the consumer's group info not exist");
      if (!groupConfig.consumeBroadcastEnable && groupInfo.messageModel === 'BROADCASTING') {
        return fail(ResponseCode.NO_PERMISSION, `the consumer group[${header.consumerGroup}] can not consume by broadcast way`);
      }
      subscriptionData = groupInfo.subscriptionTable.get(header.topic);
      if (subscriptionData === undefined) return fail(ResponseCode.SUBSCRIPTION_NOT_EXIST, "the consumer's subscription not exist");
      if (subscriptionData.subVersion < header.subVersion) return fail(ResponseCode.SUBSCRIPTION_NOT_LATEST, "the consumer's subscription not latest");
    }
    const filter = resolvePullMessageFilter(this.broker.consumerFilterManager, config, {
      topic: header.topic,
      consumerGroup: header.consumerGroup,
      subVersion: header.subVersion,
      subscriptionData,
      carried,
    });
    if (!('messageFilter' in filter)) return fail(filter.code, filter.remark);
    const { messageFilter } = filter;

    const result = this.broker.messageStore.getMessage(header.consumerGroup, header.topic, header.queueId, header.queueOffset, header.maxMsgNums, messageFilter);
    const slave = isSlave(config);
    const suggestion = suggestPullBroker({
      code: responseCodeOf(header, result),
      suggestPullingFromSlave: result.suggestPullingFromSlave,
      slave,
      slaveReadEnable: config.slaveReadEnable,
      offsetCheckInSlave: config.offsetCheckInSlave,
      groupBrokerId: groupConfig.brokerId,
      whichBrokerWhenConsumeSlowly: groupConfig.whichBrokerWhenConsumeSlowly,
    });
    const response = RemotingCommand.createResponseCommand(suggestion.code, result.status, {
      suggestWhichBrokerId: suggestion.suggestWhichBrokerId,
      nextBeginOffset: result.nextBeginOffset,
      minOffset: result.minOffset,
      maxOffset: result.maxOffset,
      topicSysFlag: topicConfig.topicSysFlag,
      groupSysFlag: groupConfig.groupSysFlag,
    });
    this.broker.consumerOffsetManager.commitPullOffset(header.consumerGroup, header.topic, header.queueId, result.nextBeginOffset);
    // A slave keeps the offsets its master sends it (SlaveSynchronize): the piggy-backed commit is ignored there.
    if (!slave) this.tryCommitOffset(brokerAllowSuspend, header, ctx.remoteAddr);
    switch (response.code) {
      case ResponseCode.SUCCESS:
        this.broker.brokerStatsManager.incGroupGet(header.consumerGroup, header.topic, result.messageCount, result.bufferTotalSize);
        this.broker.brokerStatsManager.incBrokerGet(header.topic, result.messageCount);
        response.body = result.messageBuffers.length === 1 ? result.messageBuffers[0] : Buffer.concat(result.messageBuffers, result.bufferTotalSize);
        return response;
      case ResponseCode.PULL_NOT_FOUND: {
        if (!brokerAllowSuspend || (header.sysFlag & PullSysFlag.FLAG_SUSPEND) === 0 || this.holdService === undefined) return response;
        const timeoutMillis = config.longPollingEnable ? Math.min(header.suspendTimeoutMillis, BROKER_SUSPEND_MAX_TIME_MILLIS) : config.shortPollingTimeMills;
        // Java's request.setSuspended(true): the answer's rpc latency is labelled is_long_polling.
        request.suspended = true;
        this.holdService.suspendPullRequest(header.topic, header.queueId, {
          ctx,
          request,
          timeoutMillis,
          suspendTimestamp: Date.now(),
          pullFromThisOffset: header.queueOffset,
          messageFilter,
        });
        return null;
      }
      default:
        return response;
    }
  }

  /** Only the first execution commits the offset the client piggy-backed (FLAG_COMMIT_OFFSET). */
  private tryCommitOffset(brokerAllowSuspend: boolean, header: PullHeader, clientHost: string): void {
    if (!brokerAllowSuspend || (header.sysFlag & PullSysFlag.FLAG_COMMIT_OFFSET) === 0) return;
    this.broker.consumerOffsetManager.commitOffset(clientHost, header.consumerGroup, header.topic, header.queueId, header.commitOffset);
  }
}

/** PullMessageProcessor.composeResponseHeader: the store status mapped to Java's response code (named in the remark). */
function responseCodeOf(header: PullHeader, result: GetMessageResult): number {
  switch (result.status) {
    case 'FOUND':
      return ResponseCode.SUCCESS;
    case 'MESSAGE_WAS_REMOVING':
    case 'NO_MATCHED_MESSAGE':
      return ResponseCode.PULL_RETRY_IMMEDIATELY;
    case 'NO_MATCHED_LOGIC_QUEUE':
    case 'NO_MESSAGE_IN_QUEUE':
      return header.queueOffset !== 0 ? ResponseCode.PULL_OFFSET_MOVED : ResponseCode.PULL_NOT_FOUND;
    case 'OFFSET_FOUND_NULL':
    case 'OFFSET_OVERFLOW_ONE':
      return ResponseCode.PULL_NOT_FOUND;
    case 'OFFSET_OVERFLOW_BADLY':
    case 'OFFSET_TOO_SMALL':
      return ResponseCode.PULL_OFFSET_MOVED;
  }
}
