import type { Logger } from '../common/logger.js';
import { RemotingCommand } from '../protocol/remoting-command.js';
import { RequestCode } from '../protocol/request-code.js';
import { ResponseCode } from '../protocol/response-code.js';
import type { RequestContext, RequestProcessor } from '../remoting/request-processor.js';

/**
 * ClientRemotingProcessor.java: requests a broker sends to this client. The producer side has only
 * CHECK_TRANSACTION_STATE, which a client without transactional producers cannot answer; the broker sends it
 * oneway, so the answer below never travels, and the broker asks again later (up to transactionCheckMax times).
 * Codes with no processor get REQUEST_CODE_NOT_SUPPORTED from the remoting layer, as §6.3 allows.
 */
export class ClientRemotingProcessor implements RequestProcessor {
  constructor(private readonly logger: Logger) {}

  processRequest(ctx: RequestContext, request: RemotingCommand): RemotingCommand {
    if (request.code === RequestCode.CHECK_TRANSACTION_STATE) {
      this.logger.warn(`CHECK_TRANSACTION_STATE from ${ctx.remoteAddr} ignored: transactional producers are not supported yet`);
    }
    return RemotingCommand.createResponseCommand(
      ResponseCode.REQUEST_CODE_NOT_SUPPORTED,
      `request type ${request.code} not supported by this client`,
    );
  }
}
