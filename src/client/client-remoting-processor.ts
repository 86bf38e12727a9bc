import type { Logger } from '../common/logger.js';
import { decodeResetOffsetBody } from '../protocol/bodies/consumer-admin.js';
import { encodeMessageQueueMap } from '../protocol/bodies/message-queue.js';
import { CheckTransactionStateRequestHeader, NotifyConsumerIdsChangedRequestHeader, ReplyMessageRequestHeader } from '../protocol/headers/broker.js';
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
import { decodeReplyMessage, type ReplyMessage } from './producer/reply-message.js';
import { encodeConsumeMessageDirectlyResult } from './consumer/running-info.js';

/**
 * ClientRemotingProcessor.java: requests a broker sends to this client. CHECK_TRANSACTION_STATE (oneway) goes to
 * the transactional producer of the half message's group (its PGROUP property), which answers later with
 * END_TRANSACTION; the consumer codes go to the consumer of the group named in the header; PUSH_REPLY_MESSAGE_TO_CLIENT
 * (a reply to one of our requests) to the instance's table of waiting requests.
 */
export class ClientRemotingProcessor implements RequestProcessor {
  static readonly CODES = [
    RequestCode.CHECK_TRANSACTION_STATE,
    RequestCode.NOTIFY_CONSUMER_IDS_CHANGED,
    RequestCode.RESET_CONSUMER_CLIENT_OFFSET,
    RequestCode.GET_CONSUMER_STATUS_FROM_CLIENT,
    RequestCode.GET_CONSUMER_RUNNING_INFO,
    RequestCode.CONSUME_MESSAGE_DIRECTLY,
    RequestCode.PUSH_REPLY_MESSAGE_TO_CLIENT,
  ] as const;

  constructor(
    private readonly logger: Logger,
    private readonly selectConsumer: (group: string) => MQConsumerInner | undefined,
    private readonly rebalanceImmediately: () => void,
    private readonly selectProducer: (group: string) => MQProducerInner | undefined,
    /** Hands a reply to the request waiting for it; false when none does. */
    private readonly receiveReply: (reply: ReplyMessage) => boolean = () => false,
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
      case RequestCode.PUSH_REPLY_MESSAGE_TO_CLIENT:
        return this.receiveReplyMessage(request);
      default:
        return RemotingCommand.createResponseCommand(ResponseCode.REQUEST_CODE_NOT_SUPPORTED, `request type ${request.code} not supported by this client`);
    }
  }

  /**
   * receiveReplyMessage: SUCCESS once the reply is built, whether or not a request still waits for it (a late or
   * foreign reply is only logged, as in Java); SYSTEM_ERROR "process reply message fail" if it cannot be built. A
   * header that does not decode throws, which the remoting layer answers with SYSTEM_ERROR, as Java's does.
   */
  private async receiveReplyMessage(request: RemotingCommand): Promise<RemotingCommand> {
    const receivedAt = Date.now();
    const header = request.decodeCommandCustomHeader(ReplyMessageRequestHeader);
    let reply: ReplyMessage;
    try {
      reply = await decodeReplyMessage(header, request.body, receivedAt, (err) => this.logger.warn('err when uncompress constant', err));
    } catch (err) {
      this.logger.warn('unknown err when receiveReplyMsg', err);
      return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, 'process reply message fail');
    }
    if (!this.receiveReply(reply)) {
      this.logger.warn(`receive reply message, but not matched any request, CorrelationId: ${reply.correlationId} , reply from host: ${reply.bornHost}`);
    }
    return RemotingCommand.createResponseCommand(ResponseCode.SUCCESS);
  }
}

function notOnline(group: string): RemotingCommand {
  return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, `The Consumer Group <${group}> not exist in this consumer`);
}
