import { RemotingCommandError } from '../../common/errors.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { ResponseCode } from '../../protocol/response-code.js';

/**
 * A request we cannot read (missing or malformed header field, undecodable body) is answered SYSTEM_ERROR with
 * the reason alone as remark, instead of the remoting layer's "error + stack frame" for unexpected failures.
 */
export function answeringBadInput<T extends RemotingCommand | Promise<RemotingCommand>>(handle: () => T): T | RemotingCommand {
  try {
    const result = handle();
    if (result instanceof Promise) return result.catch(badInput) as T;
    return result;
  } catch (err) {
    return badInput(err);
  }
}

function badInput(err: unknown): RemotingCommand {
  if (!(err instanceof RemotingCommandError)) throw err;
  return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, err.message);
}
