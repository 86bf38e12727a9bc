import { RemotingCommand } from '../../protocol/remoting-command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RequestProcessor } from '../../remoting/request-processor.js';

/**
 * GET_BROKER_HA_STATUS (907), AdminBrokerProcessor.getBrokerHaStatus: the HARuntimeInfo of the broker's
 * replication, or SYSTEM_ERROR with Java's remark when the broker has none.
 */
export class HAStatusProcessor implements RequestProcessor {
  constructor(private readonly runtimeInfo: () => Buffer | undefined) {}

  processRequest(): RemotingCommand {
    const body = this.runtimeInfo();
    if (body === undefined) return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, 'Can not get HARuntimeInfo, may be duplicationEnable is true');
    const response = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS);
    response.body = body;
    return response;
  }
}
