import { NotificationRequestHeader, PeekMessageRequestHeader, PollingInfoRequestHeader } from '../../protocol/headers/pop.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RequestContext, RequestProcessor } from '../../remoting/request-processor.js';
import type { PopEngine } from '../pop/pop-engine.js';
import { answeringBadInput } from './bad-input.js';
import type { BrokerContext } from './broker-context.js';
import { checkPopTarget } from './pop-message-processor.js';

/**
 * The POP questions that pop nothing, over the engine: NotificationProcessor (NOTIFICATION 200054: is there a
 * message, long-polling like a pop; answered later), PollingInfoProcessor (POLLING_INFO 200055: how many pops
 * wait on the queue) and PeekMessageProcessor (PEEK_MESSAGE 200052: the records a pop would read; PULL_NOT_FOUND
 * when there are none). Checks and codes as Java's.
 */
export class NotificationProcessor implements RequestProcessor {
  constructor(
    private readonly broker: BrokerContext,
    private readonly engine: PopEngine,
  ) {}

  processRequest(ctx: RequestContext, request: RemotingCommand): RemotingCommand | null | Promise<RemotingCommand | null> {
    return answeringBadInput(() => {
      switch (request.code) {
        case RequestCode.NOTIFICATION:
          return this.notification(ctx, request);
        case RequestCode.POLLING_INFO:
          return this.pollingInfo(ctx, request);
        default:
          return this.peek(ctx, request);
      }
    });
  }

  private notification(ctx: RequestContext, request: RemotingCommand): RemotingCommand | null {
    const header = request.decodeCommandCustomHeader(NotificationRequestHeader);
    const refused = checkPopTarget(this.broker, ctx.remoteAddr, header);
    if (refused !== undefined) return refused;
    const pollTime = Math.max(0, Math.min(header.pollTime, header.bornTime + header.pollTime - Date.now()));
    void this.engine
      .notification({
        group: header.consumerGroup,
        topic: header.topic,
        queueId: header.queueId,
        pollTime: Number.isFinite(pollTime) ? pollTime : 0,
        order: header.order === true,
        ...(header.attemptId === undefined ? {} : { attemptId: header.attemptId }),
      })
      .then(
        ({ hasMsg, pollingFull }) => ctx.writeResponse(request, RemotingCommand.createResponseCommand(ResponseCode.SUCCESS, undefined, { hasMsg, pollingFull })),
        (err: unknown) => ctx.writeResponse(request, RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, String(err))),
      );
    return null;
  }

  private pollingInfo(ctx: RequestContext, request: RemotingCommand): RemotingCommand {
    const header = request.decodeCommandCustomHeader(PollingInfoRequestHeader);
    const refused = checkPopTarget(this.broker, ctx.remoteAddr, header);
    if (refused !== undefined) return refused;
    return RemotingCommand.createResponseCommand(ResponseCode.SUCCESS, undefined, { pollingNum: this.engine.pollingNum(header.topic, header.consumerGroup, header.queueId) });
  }

  private peek(ctx: RequestContext, request: RemotingCommand): RemotingCommand {
    const header = request.decodeCommandCustomHeader(PeekMessageRequestHeader);
    const refused = checkPopTarget(this.broker, ctx.remoteAddr, header);
    if (refused !== undefined) return refused;
    const { records, restNum } = this.engine.peek({ group: header.consumerGroup, topic: header.topic, queueId: header.queueId, maxMsgNums: header.maxMsgNums });
    if (records.length === 0) return RemotingCommand.createResponseCommand(ResponseCode.PULL_NOT_FOUND, 'NO_MESSAGE_IN_QUEUE', { restNum });
    const response = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS, 'FOUND', { restNum });
    response.body = Buffer.concat(records);
    return response;
  }
}
