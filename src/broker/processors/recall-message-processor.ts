import { RecallMessageRequestHeader } from '../../protocol/headers/broker.js';
import { MessageConst } from '../../protocol/message/index.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import type { RequestContext, RequestProcessor } from '../../remoting/request-processor.js';
import { recallMessage } from '../timer/message-recall.js';
import { answeringBadInput } from './bad-input.js';
import type { BrokerContext } from './broker-context.js';

/**
 * RecallMessageProcessor.java (RECALL_MESSAGE 370, 5.3.x): a producer cancels a timer message by the handle its
 * send returned; the logic is src/broker/timer/message-recall.ts (gRPC's RecallMessage shares it). Every answer
 * carries the region; a success the recalled UNIQ_KEY as msgId.
 */
export class RecallMessageProcessor implements RequestProcessor {
  constructor(
    private readonly broker: BrokerContext,
    private readonly timerMaxDelaySec: number,
  ) {}

  processRequest(ctx: RequestContext, request: RemotingCommand): Promise<RemotingCommand> | RemotingCommand {
    return answeringBadInput(async () => {
      const header = request.decodeCommandCustomHeader(RecallMessageRequestHeader);
      const outcome = await recallMessage(
        this.broker,
        { topic: header.topic, recallHandle: header.recallHandle, producerGroup: header.producerGroup, remoteAddr: ctx.remoteAddr },
        this.timerMaxDelaySec,
      );
      const response = RemotingCommand.createResponseCommand(outcome.code, outcome.remark);
      response.addExtField(MessageConst.PROPERTY_MSG_REGION, this.broker.config.regionId);
      if (outcome.msgId !== undefined) response.addExtField('msgId', outcome.msgId);
      return response;
    });
  }
}
