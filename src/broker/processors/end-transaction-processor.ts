import { EndTransactionRequestHeader } from '../../protocol/headers/broker.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RequestContext, RequestProcessor } from '../../remoting/request-processor.js';
import type { TransactionalMessageService } from '../transaction/transactional-message-service.js';
import { answeringBadInput } from './bad-input.js';

/**
 * EndTransactionProcessor.java: END_TRANSACTION (37), a producer committing or rolling back its half message,
 * after its local transaction or when a check asked. Java clients send it oneway, so the answer (an error code
 * and remark for a wrong producer group, offset or unknown message) mostly reaches the log; an UNKNOW state is
 * logged and never answered, as in Java.
 */
export class EndTransactionProcessor implements RequestProcessor {
  constructor(
    private readonly transactions: TransactionalMessageService,
    /** A slave's half messages are its master's to end: Java answers SLAVE_NOT_AVAILABLE there. */
    private readonly slave: () => boolean = () => false,
  ) {}

  processRequest(ctx: RequestContext, request: RemotingCommand): RemotingCommand | null | Promise<RemotingCommand | null> {
    return answeringBadInput(async () => {
      if (this.slave()) return RemotingCommand.createResponseCommand(ResponseCode.SLAVE_NOT_AVAILABLE);
      const header = request.decodeCommandCustomHeader(EndTransactionRequestHeader);
      const outcome = await this.transactions.endTransaction({ ...header, fromTransactionCheck: header.fromTransactionCheck ?? false }, ctx.remoteAddr, request.remark);
      return outcome === undefined ? null : RemotingCommand.createResponseCommand(outcome.code, outcome.remark);
    });
  }
}
