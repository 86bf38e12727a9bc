import { SendMessageRequestHeader, SendMessageRequestHeaderV2 } from '../../protocol/headers/broker.js';
import { ConsumerSendMsgBackRequestHeader } from '../../protocol/headers/consumer-admin.js';
import { MessageConst } from '../../protocol/message/index.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RequestContext, RequestProcessor } from '../../remoting/request-processor.js';
import type { SendThreadPoolQueue } from '../latency/send-thread-pool-queue.js';
import { consumerSendMsgBack } from '../send/consumer-send-back.js';
import { MessageSender, type SendHeader } from '../send/message-sender.js';
import { isSlave } from '../slave/broker-role.js';
import { answeringBadInput } from './bad-input.js';
import type { BrokerContext } from './broker-context.js';

const SLAVE_SEND_REMARK =
  "service not available now. It may be caused by one of the following reasons: the broker's disk is full, messages are put to the slave, message store has been shut down, etc.";

/**
 * SendMessageProcessor.java: SEND_MESSAGE (10), SEND_MESSAGE_V2 (310) and SEND_BATCH_MESSAGE (320), adapted to
 * the transport-free MessageSender (src/broker/send/message-sender.ts: topic checks, message building, store,
 * status mapping) through the send queue. Only a stored message is acknowledged: every failure status is an
 * error code, never SUCCESS.
 *
 * A send to `%RETRY%<group>` past the group's retry limit goes to `%DLQ%<group>` (handleRetryAndDLQ); a message
 * with a DELAY level is parked in SCHEDULE_TOPIC_XXXX for the ScheduleMessageService. CONSUMER_SEND_MSG_BACK (36),
 * a consumer giving a message back, runs here too, as in Java, through the same send queue.
 */
export class SendMessageProcessor implements RequestProcessor {
  private readonly sender: MessageSender;

  constructor(
    private readonly broker: BrokerContext,
    private readonly sendQueue: SendThreadPoolQueue,
  ) {
    this.sender = new MessageSender(broker);
  }

  processRequest(ctx: RequestContext, request: RemotingCommand): RemotingCommand | Promise<RemotingCommand> {
    return answeringBadInput(() => {
      // Refused before anything else (5.x rejectRequest), so a send to a slave never auto-creates a topic there;
      // with 4.9's code and remark, which every client retries on another broker.
      if (isSlave(this.broker.config)) return RemotingCommand.createResponseCommand(ResponseCode.SERVICE_NOT_AVAILABLE, SLAVE_SEND_REMARK);
      if (request.code === RequestCode.CONSUMER_SEND_MSG_BACK) {
        const backHeader = request.decodeCommandCustomHeader(ConsumerSendMsgBackRequestHeader);
        return this.sendQueue.submit(async () => {
          const outcome = await consumerSendMsgBack(this.broker, backHeader, request.version);
          return RemotingCommand.createResponseCommand(outcome.code, outcome.remark);
        });
      }
      const header = parseSendHeader(request);
      return this.sendQueue.submit(() => this.send(ctx, request, header));
    });
  }

  private async send(ctx: RequestContext, request: RemotingCommand, header: SendHeader): Promise<RemotingCommand> {
    const response = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS);
    // preSend: every send answer carries the region and the trace switch, whatever the outcome.
    response.addExtField(MessageConst.PROPERTY_MSG_REGION, this.broker.config.regionId);
    response.addExtField(MessageConst.PROPERTY_TRACE_SWITCH, String(this.broker.config.traceOn));
    const outcome = await this.sender.send({ header, body: request.body ?? Buffer.alloc(0), remoteAddr: ctx.remoteAddr, version: request.version });
    response.code = outcome.code;
    response.remark = outcome.remark;
    if (outcome.msgId !== undefined) {
      response.addExtField('msgId', outcome.msgId);
      response.addExtField('queueId', String(outcome.queueId));
      response.addExtField('queueOffset', String(outcome.queueOffset));
      if (outcome.transactionId !== undefined) response.addExtField('transactionId', outcome.transactionId);
      if (outcome.recallHandle !== undefined) response.addExtField('recallHandle', outcome.recallHandle);
    }
    return response;
  }
}

/** The send header of SEND_MESSAGE / SEND_REPLY_MESSAGE (v1) or their V2 forms and SEND_BATCH_MESSAGE. */
export function parseSendHeader(request: RemotingCommand): SendHeader {
  const v2Codes: readonly number[] = [RequestCode.SEND_MESSAGE_V2, RequestCode.SEND_BATCH_MESSAGE, RequestCode.SEND_REPLY_MESSAGE_V2];
  if (v2Codes.includes(request.code)) {
    const v2 = request.decodeCommandCustomHeader(SendMessageRequestHeaderV2);
    return {
      producerGroup: v2.a,
      topic: v2.b,
      defaultTopic: v2.c,
      defaultTopicQueueNums: v2.d,
      queueId: v2.e,
      sysFlag: v2.f,
      bornTimestamp: v2.g,
      flag: v2.h,
      properties: v2.i ?? '',
      reconsumeTimes: v2.j ?? 0,
      unitMode: v2.k ?? false,
      maxReconsumeTimes: v2.l,
      batch: v2.m ?? false,
    };
  }
  const v1 = request.decodeCommandCustomHeader(SendMessageRequestHeader);
  return {
    ...v1,
    properties: v1.properties ?? '',
    reconsumeTimes: v1.reconsumeTimes ?? 0,
    unitMode: v1.unitMode ?? false,
    batch: v1.batch ?? false,
    maxReconsumeTimes: v1.maxReconsumeTimes,
  };
}
