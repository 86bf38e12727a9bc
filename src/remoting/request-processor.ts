import type { BoundedExecutor } from '../common/executor.js';
import type { RemotingCommand } from '../protocol/remoting-command.js';
import type { RemotingChannel } from './remoting-channel.js';

/** What a processor knows about the request's origin, and how it answers later (long polling). */
export interface RequestContext {
  readonly channel: RemotingChannel;
  readonly remoteAddr: string;
  /** Writes a response to `request` later, for a processor that returned null (as Java's writeResponse). */
  writeResponse(request: RemotingCommand, response: RemotingCommand): void;
}

/**
 * NettyRequestProcessor. Returning null means "no response now": the processor answers later through
 * `ctx.writeResponse`, or never (oneway semantics). A thrown error or rejected promise answers SYSTEM_ERROR.
 */
export interface RequestProcessor {
  processRequest(
    ctx: RequestContext,
    request: RemotingCommand,
  ): Promise<RemotingCommand | null> | RemotingCommand | null;
  /** True answers SYSTEM_BUSY "[REJECTREQUEST]..." without running the processor (flow control). */
  rejectRequest?(): boolean;
}

export interface ProcessorPair {
  processor: RequestProcessor;
  executor: BoundedExecutor;
}
