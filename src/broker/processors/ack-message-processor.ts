import { AckMessageRequestHeader, ChangeInvisibleTimeRequestHeader } from '../../protocol/headers/pop.js';
import { RequestCode } from '../../protocol/request-code.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RequestContext, RequestProcessor } from '../../remoting/request-processor.js';
import { decodeBatchAckMessageRequestBody } from '../../protocol/bodies/batch-ack.js';
import { buildExtraInfo, parseExtraInfo } from '../pop/extra-info.js';
import { buildPopRetryTopic } from '../pop/key-builder.js';
import type { AckRequest, PopEngine } from '../pop/pop-engine.js';
import { answeringBadInput } from './bad-input.js';
import type { BrokerContext } from './broker-context.js';

/**
 * AckMessageProcessor.java (ACK_MESSAGE 200051, BATCH_ACK_MESSAGE 200151) and ChangeInvisibleTimeProcessor.java (CHANGE_MESSAGE_INVISIBLETIME
 * 200053) over the POP engine. An ack is answered once its record is stored; acking a handle that is no longer in
 * flight is SUCCESS and changes nothing, as Java. A handle that does not parse is INVALID_PARAMETER.
 */
export class AckMessageProcessor implements RequestProcessor {
  constructor(
    private readonly broker: BrokerContext,
    private readonly engine: PopEngine,
  ) {}

  processRequest(_ctx: RequestContext, request: RemotingCommand): RemotingCommand | Promise<RemotingCommand> {
    return answeringBadInput(() => {
      if (request.code === RequestCode.ACK_MESSAGE) return this.ack(request);
      if (request.code === RequestCode.BATCH_ACK_MESSAGE) return this.batchAck(request);
      return this.changeInvisibleTime(request);
    });
  }

  /** BATCH_ACK_MESSAGE: each entry acks the offsets of its bit set in one pop; unknown ones are ignored (SUCCESS). */
  private async batchAck(request: RemotingCommand): Promise<RemotingCommand> {
    let body;
    try {
      body = decodeBatchAckMessageRequestBody(request.body);
    } catch (err) {
      return RemotingCommand.createResponseCommand(ResponseCode.INVALID_PARAMETER, (err as Error).message);
    }
    const requests: AckRequest[] = [];
    for (const ack of body.acks) {
      if (ack.retry !== '0' && ack.retry !== '1' && ack.retry !== '2') return RemotingCommand.createResponseCommand(ResponseCode.INVALID_PARAMETER, `unknown retry type ${ack.retry}`);
      const topic = ack.retry === '0' ? ack.topic : buildPopRetryTopic(ack.topic, ack.consumerGroup, ack.retry === '2');
      if (this.broker.topicConfigManager.selectTopicConfig(topic) === undefined) continue;
      for (const queueOffset of ack.offsets) {
        const receiptHandle = buildExtraInfo({ ckQueueOffset: ack.startOffset, popTime: ack.popTime, invisibleTime: ack.invisibleTime, reviveQid: ack.reviveQueueId, topic, brokerName: body.brokerName, queueId: ack.queueId, queueOffset });
        requests.push({ group: ack.consumerGroup, topic, receiptHandle });
      }
    }
    await this.engine.batchAck(requests);
    return RemotingCommand.createResponseCommand(ResponseCode.SUCCESS);
  }

  private async ack(request: RemotingCommand): Promise<RemotingCommand> {
    const header = request.decodeCommandCustomHeader(AckMessageRequestHeader);
    const refused = this.check(header.topic, header.extraInfo);
    if (refused !== undefined) return refused;
    await this.engine.ack({ group: header.consumerGroup, topic: header.topic, receiptHandle: header.extraInfo });
    return RemotingCommand.createResponseCommand(ResponseCode.SUCCESS);
  }

  private async changeInvisibleTime(request: RemotingCommand): Promise<RemotingCommand> {
    const header = request.decodeCommandCustomHeader(ChangeInvisibleTimeRequestHeader);
    const refused = this.check(header.topic, header.extraInfo);
    if (refused !== undefined) return refused;
    if (header.invisibleTime < 0) return RemotingCommand.createResponseCommand(ResponseCode.INVALID_PARAMETER, `invisibleTime must not be negative: ${header.invisibleTime}`);
    const changed = await this.engine.changeInvisibleTime({ group: header.consumerGroup, topic: header.topic, receiptHandle: header.extraInfo, invisibleTime: header.invisibleTime });
    // Java would write a new checkpoint anyway and so bring back an acked message; we refuse instead.
    if (changed === undefined) return RemotingCommand.createResponseCommand(ResponseCode.NO_MESSAGE, 'the message is not in flight: acked, or its invisible time passed');
    return RemotingCommand.createResponseCommand(ResponseCode.SUCCESS, undefined, { popTime: changed.popTime, invisibleTime: changed.invisibleTime, reviveQid: changed.reviveQid });
  }

  private check(topic: string, extraInfo: string): RemotingCommand | undefined {
    if (this.broker.topicConfigManager.selectTopicConfig(topic) === undefined) {
      return RemotingCommand.createResponseCommand(ResponseCode.TOPIC_NOT_EXIST, `topic[${topic}] not exist, apply first please!`);
    }
    try {
      parseExtraInfo(extraInfo);
    } catch (err) {
      return RemotingCommand.createResponseCommand(ResponseCode.INVALID_PARAMETER, `extraInfo: ${(err as Error).message}`);
    }
    return undefined;
  }
}
