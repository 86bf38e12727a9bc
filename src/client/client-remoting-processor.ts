import type { Logger } from '../common/logger.js';
import { decodeResetOffsetBody } from '../protocol/bodies/consumer-admin.js';
import { encodeMessageQueueMap } from '../protocol/bodies/message-queue.js';
import { NotifyConsumerIdsChangedRequestHeader } from '../protocol/headers/broker.js';
import {
  ConsumeMessageDirectlyResultRequestHeader,
  GetConsumerRunningInfoRequestHeader,
  GetConsumerStatusRequestHeader,
  ResetOffsetRequestHeader,
} from '../protocol/headers/consumer-admin.js';
import { decodeStoredMessage } from '../protocol/message/message-decoder.js';
import { RemotingCommand } from '../protocol/remoting-command.js';
import { RequestCode } from '../protocol/request-code.js';
import { ResponseCode } from '../protocol/response-code.js';
import type { RequestContext, RequestProcessor } from '../remoting/request-processor.js';
import type { MQConsumerInner } from './consumer/mq-consumer-inner.js';
import { encodeConsumeMessageDirectlyResult } from './consumer/running-info.js';

/**
 * ClientRemotingProcessor.java: requests a broker sends to this client. CHECK_TRANSACTION_STATE cannot be answered
 * by a client without transactional producers; the broker sends it oneway, so the answer never travels, and the
 * broker asks again later. The consumer codes go to the consumer of the group named in the header.
 */
export class ClientRemotingProcessor implements RequestProcessor {
  static readonly CODES = [
    RequestCode.CHECK_TRANSACTION_STATE,
    RequestCode.NOTIFY_CONSUMER_IDS_CHANGED,
    RequestCode.RESET_CONSUMER_CLIENT_OFFSET,
    RequestCode.GET_CONSUMER_STATUS_FROM_CLIENT,
    RequestCode.GET_CONSUMER_RUNNING_INFO,
    RequestCode.CONSUME_MESSAGE_DIRECTLY,
  ] as const;

  constructor(
    private readonly logger: Logger,
    private readonly selectConsumer: (group: string) => MQConsumerInner | undefined,
    private readonly rebalanceImmediately: () => void,
  ) {}

  async processRequest(ctx: RequestContext, request: RemotingCommand): Promise<RemotingCommand | null> {
    switch (request.code) {
      case RequestCode.NOTIFY_CONSUMER_IDS_CHANGED: {
        const { consumerGroup } = request.decodeCommandCustomHeader(NotifyConsumerIdsChangedRequestHeader);
        this.logger.info(`the members of ${consumerGroup} changed (${ctx.remoteAddr}); rebalancing now`);
        this.rebalanceImmediately();
        return null;
      }
      case RequestCode.RESET_CONSUMER_CLIENT_OFFSET: {
        const header = request.decodeCommandCustomHeader(ResetOffsetRequestHeader);
        await this.selectConsumer(header.group)?.resetOffset(header.topic, decodeResetOffsetBody(request.body));
        return null;
      }
      case RequestCode.GET_CONSUMER_STATUS_FROM_CLIENT: {
        const header = request.decodeCommandCustomHeader(GetConsumerStatusRequestHeader);
        const table = this.selectConsumer(header.group)?.consumerStatus(header.topic) ?? [];
        const response = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS);
        response.body = Buffer.from(`{"consumerTable":{},"messageQueueTable":${encodeMessageQueueMap(table)}}`, 'utf8');
        return response;
      }
      case RequestCode.GET_CONSUMER_RUNNING_INFO: {
        const header = request.decodeCommandCustomHeader(GetConsumerRunningInfoRequestHeader);
        const consumer = this.selectConsumer(header.consumerGroup);
        if (consumer === undefined) return notOnline(header.consumerGroup);
        const response = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS);
        response.body = consumer.consumerRunningInfo();
        return response;
      }
      case RequestCode.CONSUME_MESSAGE_DIRECTLY: {
        const header = request.decodeCommandCustomHeader(ConsumeMessageDirectlyResultRequestHeader);
        const consumer = this.selectConsumer(header.consumerGroup);
        if (consumer === undefined) return notOnline(header.consumerGroup);
        const msg = decodeStoredMessage(request.body ?? Buffer.alloc(0));
        const result = await consumer.consumeMessageDirectly(msg, header.brokerName);
        if (result === undefined) return notOnline(header.consumerGroup);
        const response = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS);
        response.body = encodeConsumeMessageDirectlyResult(result);
        return response;
      }
      default:
        if (request.code === RequestCode.CHECK_TRANSACTION_STATE) {
          this.logger.warn(`CHECK_TRANSACTION_STATE from ${ctx.remoteAddr} ignored: transactional producers are not supported yet`);
        }
        return RemotingCommand.createResponseCommand(ResponseCode.REQUEST_CODE_NOT_SUPPORTED, `request type ${request.code} not supported by this client`);
    }
  }
}

function notOnline(group: string): RemotingCommand {
  return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, `The Consumer Group <${group}> not exist in this consumer`);
}
