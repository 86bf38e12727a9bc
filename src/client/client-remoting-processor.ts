import type { Logger } from '../common/logger.js';
import { decodeResetOffsetBody } from '../protocol/bodies/consumer-admin.js';
import { encodeMessageQueueMap } from '../protocol/bodies/message-queue.js';
import { CheckTransactionStateRequestHeader, NotifyConsumerIdsChangedRequestHeader } from '../protocol/headers/broker.js';
import { MessageConst } from '../protocol/message/message-const.js';
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
import type { MQProducerInner } from './producer/mq-producer-inner.js';
import { encodeConsumeMessageDirectlyResult } from './consumer/running-info.js';

/**
 * ClientRemotingProcessor.java: requests a broker sends to this client. CHECK_TRANSACTION_STATE (oneway) goes to
 * the transactional producer of the half message's group (its PGROUP property), which answers later with
 * END_TRANSACTION; the consumer codes go to the consumer of the group named in the header.
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
    private readonly selectProducer: (group: string) => MQProducerInner | undefined,
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
      case RequestCode.CHECK_TRANSACTION_STATE: {
        const header = request.decodeCommandCustomHeader(CheckTransactionStateRequestHeader);
        const msg = decodeStoredMessage(request.body ?? Buffer.alloc(0));
        const group = msg.getProperty(MessageConst.PROPERTY_PRODUCER_GROUP) ?? '';
        const producer = this.selectProducer(group);
        if (producer?.checkTransactionState === undefined) {
          this.logger.warn(`checkTransactionState, pick producer by group[${group}] failed`);
          return null;
        }
        producer.checkTransactionState(msg, { ...header, brokerAddr: ctx.remoteAddr });
        return null;
      }
      default:
        return RemotingCommand.createResponseCommand(ResponseCode.REQUEST_CODE_NOT_SUPPORTED, `request type ${request.code} not supported by this client`);
    }
  }
}

function notOnline(group: string): RemotingCommand {
  return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, `The Consumer Group <${group}> not exist in this consumer`);
}
