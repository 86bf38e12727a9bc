import type { RemotingCommand } from '../protocol/remoting-command.js';

/**
 * RequestPipeline.java: runs on a server after the RPC hooks and before the request's processor. Throwing
 * AbortProcessError answers the request with that error's code and remark and skips the processor, so a refused
 * request has no effect; any other error answers SYSTEM_ERROR.
 */
export interface RequestPipeline {
  execute(remoteAddr: string, request: RemotingCommand): void;
}
