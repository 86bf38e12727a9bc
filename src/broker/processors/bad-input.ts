import { RemotingCommandError } from '../../common/errors.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { ResponseCode } from '../../protocol/response-code.js';

/**
 * A request we cannot read (missing or malformed header field, undecodable body) is answered SYSTEM_ERROR with
 * the reason alone as remark, instead of the remoting layer's "error + stack frame" for unexpected failures.
 */
export function answeringBadInput<T extends RemotingCommand | null>(handle: () => T | Promise<T>): T | RemotingCommand | Promise<T | RemotingCommand> {
  try {
    const result = handle();
    return result instanceof Promise ? result.catch(badInput) : result;
  } catch (err) {
    return badInput(err);
  }
}

function badInput(err: unknown): RemotingCommand {
  if (!(err instanceof RemotingCommandError)) throw err;
  return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, err.message);
}

export function success(body?: Buffer): RemotingCommand {
  const response = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS);
  response.body = body;
  return response;
}
