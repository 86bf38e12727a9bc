import { isStored } from '../../store/message-store.js';
import { MessageConst, MessageExtBrokerInner, messageProperties2String, parseHostAddress, string2messageProperties } from '../../protocol/message/index.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RequestContext, RequestProcessor } from '../../remoting/request-processor.js';
import { answeringBadInput } from './bad-input.js';
import type { BrokerContext } from './broker-context.js';
import { msgCheck, type SendHeader } from '../send/message-sender.js';
import { parseSendHeader } from './send-message-processor.js';

/** The outcome of the push to the requester: ok, or the remark the replier gets. */
type PushOutcome = { ok: true } | { ok: false; remark: string };

/**
 * ReplyMessageProcessor.java: SEND_REPLY_MESSAGE (324) and SEND_REPLY_MESSAGE_V2 (325), a replier's answer to a
 * request (`MSG_TYPE=reply`). After the usual send checks the reply is pushed to its requester, the producer whose
 * client id is `REPLY_TO_CLIENT` (found among the producers' heartbeats), with PUSH_REPLY_MESSAGE_TO_CLIENT (326,
 * two-way); the replier gets SUCCESS once the requester took it, SYSTEM_ERROR otherwise. With
 * storeReplyMessageEnable the reply is also stored in its topic, whatever the push did, and the answer names the
 * stored copy.
 */
export class ReplyMessageProcessor implements RequestProcessor {
  constructor(private readonly broker: BrokerContext) {}

  processRequest(ctx: RequestContext, request: RemotingCommand): Promise<RemotingCommand> | RemotingCommand {
    return answeringBadInput(() => this.reply(ctx, request, parseSendHeader(request)));
  }

  private async reply(ctx: RequestContext, request: RemotingCommand, header: SendHeader): Promise<RemotingCommand> {
    const { config } = this.broker;
    const response = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS);
    response.addExtField(MessageConst.PROPERTY_MSG_REGION, config.regionId);
    response.addExtField(MessageConst.PROPERTY_TRACE_SWITCH, String(config.traceOn));
    const topicConfig = msgCheck(this.broker, ctx.remoteAddr, header);
    if ('code' in topicConfig) return fail(response, topicConfig.code, topicConfig.remark);
    const queueId = header.queueId < 0 ? Math.floor(Math.random() * 99_999_999) % topicConfig.writeQueueNums : header.queueId;

    // buildMsgContext (5.x): the region and the trace switch join the properties, stored and pushed alike.
    const properties = string2messageProperties(header.properties);
    properties.set(MessageConst.PROPERTY_MSG_REGION, config.regionId);
    properties.set(MessageConst.PROPERTY_TRACE_SWITCH, String(config.traceOn));
    const msg = new MessageExtBrokerInner();
    msg.topic = header.topic;
    msg.queueId = queueId;
    msg.body = request.body ?? Buffer.alloc(0);
    msg.flag = header.flag;
    msg.properties = new Map(properties);
    msg.bornTimestamp = header.bornTimestamp;
    msg.bornHost = parseHostAddress(ctx.remoteAddr);
    msg.storeHost = parseHostAddress(this.broker.brokerAddr);
    msg.reconsumeTimes = header.reconsumeTimes;

    const pushed = await this.push(ctx, header, properties, msg.body);
    if (pushed.ok) {
      // "set to zero to avoid client decoding exception"
      response.addExtField('msgId', '0');
      response.addExtField('queueId', String(queueId));
      response.addExtField('queueOffset', '0');
    } else {
      response.code = ResponseCode.SYSTEM_ERROR;
      response.remark = pushed.remark;
    }
    if (config.storeReplyMessageEnable) {
      // The stored copy has the properties as they came (Java stores the string it built before the push added its time).
      const result = await this.broker.messageStore.putMessage(msg);
      const appended = result.appendResult;
      if (isStored(result.status) && appended !== undefined) {
        this.broker.brokerStatsManager.incTopicPut(msg.topic, appended.msgNum, appended.wroteBytes);
        response.addExtField('msgId', appended.msgId);
        response.addExtField('queueId', String(queueId));
        response.addExtField('queueOffset', String(appended.logicsOffset));
      } else {
        this.broker.logger.warn(`storing a reply to ${header.topic} failed: ${result.status}`);
      }
    }
    return response;
  }

  /** pushReplyMessage: PUSH_REPLY_MESSAGE_TO_CLIENT to the requester's connection, answered within 10 s. */
  private async push(ctx: RequestContext, header: SendHeader, properties: Map<string, string>, body: Buffer): Promise<PushOutcome> {
    const senderId = properties.get(MessageConst.PROPERTY_MESSAGE_REPLY_TO_CLIENT);
    if (senderId === undefined) {
      this.broker.logger.warn(`${MessageConst.PROPERTY_MESSAGE_REPLY_TO_CLIENT} is null, can not reply message`);
      return { ok: false, remark: `reply message properties[${MessageConst.PROPERTY_MESSAGE_REPLY_TO_CLIENT}] is null` };
    }
    const channel = this.broker.producerManager.findChannel(senderId);
    if (channel === undefined) {
      const remark = `push reply message fail, channel of <${senderId}> not found.`;
      this.broker.logger.warn(remark);
      return { ok: false, remark };
    }
    const pushedProperties = new Map(properties);
    pushedProperties.set(MessageConst.PROPERTY_PUSH_REPLY_TIME, String(Date.now()));
    const pushHeader = {
      producerGroup: header.producerGroup,
      topic: header.topic,
      defaultTopic: header.defaultTopic,
      defaultTopicQueueNums: header.defaultTopicQueueNums,
      queueId: header.queueId,
      sysFlag: header.sysFlag,
      bornTimestamp: header.bornTimestamp,
      flag: header.flag,
      properties: messageProperties2String(pushedProperties),
      reconsumeTimes: header.reconsumeTimes,
      unitMode: header.unitMode,
      bornHost: ctx.remoteAddr,
      storeHost: this.broker.brokerAddr,
      storeTimestamp: Date.now(),
    };
    const request = RemotingCommand.createRequestCommand(RequestCode.PUSH_REPLY_MESSAGE_TO_CLIENT, pushHeader, body);
    try {
      const answer = await this.broker.broker2Client.callClient(channel, request);
      if (answer.code === ResponseCode.SUCCESS) return { ok: true };
      this.broker.logger.warn(`push reply message to <${senderId}> return fail, response remark: ${answer.remark ?? ''}`);
    } catch (err) {
      this.broker.logger.warn(`push reply message to <${senderId}> fail: ${String(err)}`);
    }
    // Java's remark, without a space before "fail".
    return { ok: false, remark: `push reply message to ${senderId}fail.` };
  }
}

function fail(response: RemotingCommand, code: number, remark: string): RemotingCommand {
  response.code = code;
  response.remark = remark;
  return response;
}
