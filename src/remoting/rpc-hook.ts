import type { RemotingCommand } from '../protocol/remoting-command.js';

/**
 * RPCHook.java: runs around every request. On a client: before the request is written and after its response
 * arrives. On a server: after a request is read and before its response is written. A hook may modify the
 * command (the ACL hook adds a signature); a throwing server hook turns into a SYSTEM_ERROR response.
 */
export interface RPCHook {
  doBeforeRequest(remoteAddr: string, request: RemotingCommand): void;
  doAfterResponse(remoteAddr: string, request: RemotingCommand, response: RemotingCommand): void;
}
