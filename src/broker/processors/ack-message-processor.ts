import { AckMessageRequestHeader, ChangeInvisibleTimeRequestHeader } from '../../protocol/headers/pop.js';
import { RequestCode } from '../../protocol/request-code.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RequestContext, RequestProcessor } from '../../remoting/request-processor.js';
import { parseExtraInfo } from '../pop/extra-info.js';
import type { PopEngine } from '../pop/pop-engine.js';
import { answeringBadInput } from './bad-input.js';
import type { BrokerContext } from './broker-context.js';

/**
 * AckMessageProcessor.java (ACK_MESSAGE 200051) and ChangeInvisibleTimeProcessor.java (CHANGE_MESSAGE_INVISIBLETIME
 * 200053) over the POP engine. An ack is answered once its record is stored; acking a handle that is no longer in
 * flight is SUCCESS and changes nothing, as Java. A handle that does not parse is INVALID_PARAMETER.
 */
export class AckMessageProcessor implements RequestProcessor {
  constructor(
    private readonly broker: BrokerContext,
    private readonly engine: PopEngine,
  ) {}

  processRequest(_ctx: RequestContext, request: RemotingCommand): RemotingCommand | Promise<RemotingCommand> {
    return answeringBadInput(() => (request.code === RequestCode.ACK_MESSAGE ? this.ack(request) : this.changeInvisibleTime(request)));
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
