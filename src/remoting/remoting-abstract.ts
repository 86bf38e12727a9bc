import { BoundedExecutor, type ExecutorOptions } from '../common/executor.js';
import {
  AbortProcessError,
  RemotingTimeoutError,
  RemotingTooMuchRequestError,
  RemotingSendRequestError,
  exceptionSimpleDesc,
} from '../common/errors.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { Semaphore, type Release } from '../common/semaphore.js';
import { RemotingCommand } from '../protocol/remoting-command.js';
import { ResponseCode } from '../protocol/response-code.js';
import { ChannelEventExecutor, type ChannelEventListener, type ChannelEventType } from './channel-event.js';
import type { ChannelHandler, RemotingChannel } from './remoting-channel.js';
import type { ProcessorPair, RequestContext, RequestProcessor } from './request-processor.js';
import { InvokeFailure, ResponseFuture, type InvokeOutcome } from './response-future.js';
import type { RequestPipeline } from './request-pipeline.js';
import type { RemotingMetricsManager, RpcResult } from './remoting-metrics.js';
import type { RPCHook } from './rpc-hook.js';

export interface RemotingEndpointOptions {
  logger?: Logger;
  /** Largest frame accepted, length word included (Java: com.rocketmq.remoting.frameMaxLength). */
  maxFrameLength?: number;
  channelEventListener?: ChannelEventListener;
  /** Executor of processors registered without their own ("public executor"). */
  publicExecutor?: ExecutorOptions;
}

/** First response-table scan after 3 s, then every second; an entry expires 1 s after its deadline (Java). */
const SCAN_DELAY_MILLIS = 3000;
const SCAN_PERIOD_MILLIS = 1000;
const SCAN_GRACE_MILLIS = 1000;

const DEFAULT_PUBLIC_EXECUTOR: ExecutorOptions = { maxConcurrency: 64, queueCapacity: 65536 };

/**
 * NettyRemotingAbstract: what client and server share. Requests are dispatched by code to processors, each on a
 * bounded executor; responses are matched by opaque in the response table; async and oneway calls are bounded
 * by semaphores; RPC hooks run around both; channel events reach the listener through a bounded queue.
 */
export abstract class RemotingAbstract {
  protected readonly logger: Logger;
  protected readonly responseTable = new Map<number, ResponseFuture>();
  private readonly processorTable = new Map<number, ProcessorPair>();
  private defaultProcessor: ProcessorPair | undefined;
  private readonly rpcHooks: RPCHook[] = [];
  /**
   * Whether the hooks also run around the requests this endpoint sends. Java's NettyRemotingClient runs them
   * there; NettyRemotingServer runs them around the requests it receives only, so a server's hook (the ACL 1.0
   * validator) never sees what the broker sends to its clients.
   */
  protected readonly hooksOnOutgoing: boolean = true;
  private requestPipeline: RequestPipeline | undefined;
  private readonly publicExecutor: BoundedExecutor;
  private readonly eventExecutor: ChannelEventExecutor | undefined;
  private scanTimer: NodeJS.Timeout | undefined;
  private remotingMetrics: RemotingMetricsManager | undefined;
  private scanInterval: NodeJS.Timeout | undefined;

  protected readonly channelHandler: ChannelHandler = {
    onCommand: (channel, command) => this.processMessageReceived(channel, command),
    onIdle: (channel) => {
      this.logger.info(`channel ${channel.remoteAddr} idle, closing it`);
      this.putChannelEvent('IDLE', channel);
      channel.close();
    },
    onException: (channel, error) => {
      this.logger.warn(`channel ${channel.remoteAddr} exception: ${error.message}`);
      this.putChannelEvent('EXCEPTION', channel, error);
      channel.close();
    },
    onClose: (channel) => {
      this.failFast(channel);
      this.onChannelClosed(channel);
      this.putChannelEvent('CLOSE', channel);
    },
  };

  protected constructor(
    options: RemotingEndpointOptions,
    private readonly semaphoreAsync: Semaphore,
    private readonly semaphoreOneway: Semaphore,
  ) {
    this.logger = options.logger ?? silentLogger;
    this.publicExecutor = new BoundedExecutor(options.publicExecutor ?? DEFAULT_PUBLIC_EXECUTOR);
    this.eventExecutor =
      options.channelEventListener === undefined
        ? undefined
        : new ChannelEventExecutor(options.channelEventListener, this.logger);
  }

  /** Routes requests with `code` to `processor`, run on `executor` (default: the endpoint's public executor). */
  registerProcessor(code: number, processor: RequestProcessor, executor?: BoundedExecutor): void {
    this.processorTable.set(code, { processor, executor: executor ?? this.publicExecutor });
  }

  /** Handles every code without its own processor (otherwise: REQUEST_CODE_NOT_SUPPORTED). */
  registerDefaultProcessor(processor: RequestProcessor, executor?: BoundedExecutor): void {
    this.defaultProcessor = { processor, executor: executor ?? this.publicExecutor };
  }

  registerRPCHook(hook: RPCHook): void {
    if (!this.rpcHooks.includes(hook)) this.rpcHooks.push(hook);
  }

  clearRPCHook(): void {
    this.rpcHooks.length = 0;
  }

  /**
   * NettyRemotingAbstract.setRequestPipeline: a step run after the RPC hooks and before every processor (ACL 2.0's
   * authentication and authorization). Undefined (the default) costs one comparison per request.
   */
  setRequestPipeline(pipeline: RequestPipeline | undefined): void {
    this.requestPipeline = pipeline;
  }

  /** Records the latency of every answered request (metricsExporterType=PROM); undefined (the default) records nothing. */
  setRemotingMetrics(metrics: RemotingMetricsManager | undefined): void {
    this.remotingMetrics = metrics;
  }

  /** The request codes with a processor of their own (the default processor serves the others). */
  registeredRequestCodes(): number[] {
    return [...this.processorTable.keys()];
  }

  /** Called when a channel closes, after its pending requests failed; subclasses drop it from their tables. */
  protected abstract onChannelClosed(channel: RemotingChannel): void;

  protected putChannelEvent(type: ChannelEventType, channel: RemotingChannel, error?: Error): void {
    this.eventExecutor?.putEvent({ type, remoteAddr: channel.remoteAddr, channel, error });
  }

  protected startResponseTableScan(): void {
    this.scanTimer = setTimeout(() => {
      this.scanTimer = undefined;
      this.scanResponseTable();
      this.scanInterval = setInterval(() => this.scanResponseTable(), SCAN_PERIOD_MILLIS);
      this.scanInterval.unref();
    }, SCAN_DELAY_MILLIS);
    this.scanTimer.unref();
  }

  /** Stops the scan, the event queue, and fails every request still waiting. */
  protected stopRemoting(): void {
    clearTimeout(this.scanTimer);
    clearInterval(this.scanInterval);
    this.scanTimer = undefined;
    this.scanInterval = undefined;
    this.eventExecutor?.stop();
    for (const future of this.responseTable.values()) {
      future.settle(new InvokeFailure('shutdown', future.channel.remoteAddr, future.timeoutMillis));
    }
    this.responseTable.clear();
  }

  /** Fails async requests whose deadline passed more than a second ago (sync callers have their own timer). */
  scanResponseTable(now: number = Date.now()): void {
    for (const [opaque, future] of this.responseTable) {
      if (!future.isExpired(now, SCAN_GRACE_MILLIS)) continue;
      this.responseTable.delete(opaque);
      this.logger.warn(`remove timeout request opaque ${opaque} to ${future.channel.remoteAddr}`);
      future.settle(new InvokeFailure('timeout', future.channel.remoteAddr, future.timeoutMillis));
    }
  }

  private failFast(channel: RemotingChannel): void {
    for (const [opaque, future] of this.responseTable) {
      if (future.channel !== channel) continue;
      this.responseTable.delete(opaque);
      future.settle(new InvokeFailure('closed', channel.remoteAddr, future.timeoutMillis));
    }
  }

  private processMessageReceived(channel: RemotingChannel, command: RemotingCommand): void {
    if (command.isResponseType()) this.processResponseCommand(channel, command);
    else this.processRequestCommand(channel, command);
  }

  private processResponseCommand(channel: RemotingChannel, response: RemotingCommand): void {
    const future = this.responseTable.get(response.opaque);
    if (future === undefined || future.channel !== channel) {
      this.logger.warn(`response ${response.describe()} from ${channel.remoteAddr} matches no request, dropped`);
      return;
    }
    this.responseTable.delete(response.opaque);
    future.settle(response);
  }

  private processRequestCommand(channel: RemotingChannel, request: RemotingCommand): void {
    if (this.remotingMetrics !== undefined) request.processStartMillis = performance.now();
    const pair = this.processorTable.get(request.code) ?? this.defaultProcessor;
    if (pair === undefined) {
      this.respond(channel, request, ResponseCode.REQUEST_CODE_NOT_SUPPORTED, ` request type ${request.code} not supported`);
      return;
    }
    if (pair.processor.rejectRequest?.() === true) {
      this.respond(channel, request, ResponseCode.SYSTEM_BUSY, '[REJECTREQUEST]system busy, start flow control for a while');
      return;
    }
    const accepted = pair.executor.execute(() => this.runProcessor(pair.processor, channel, request));
    if (!accepted) {
      this.logger.warn(`too many requests from ${channel.remoteAddr}, executor full: ${request.describe()}`);
      this.respond(channel, request, ResponseCode.SYSTEM_BUSY, '[OVERLOAD]system busy, start flow control for a while');
    }
  }

  private runProcessor(processor: RequestProcessor, channel: RemotingChannel, request: RemotingCommand): void | Promise<void> {
    const ctx = new ChannelRequestContext(this, channel);
    let result: ReturnType<RequestProcessor['processRequest']>;
    try {
      this.doBeforeRpcHooks(channel.remoteAddr, request);
      if (this.requestPipeline !== undefined) this.requestPipeline.execute(channel.remoteAddr, request);
      result = processor.processRequest(ctx, request);
    } catch (err) {
      this.processorFailed(channel, request, err);
      return;
    }
    if (result instanceof Promise) {
      return result.then(
        (response) => {
          if (response !== null) this.writeResponse(channel, request, response);
        },
        (err: unknown) => this.processorFailed(channel, request, err),
      );
    }
    if (result !== null) this.writeResponse(channel, request, result);
  }

  private processorFailed(channel: RemotingChannel, request: RemotingCommand, err: unknown): void {
    if (err instanceof AbortProcessError) {
      // A refusal, not a failure: its code and remark are the answer (writeResponse drops it for oneway requests).
      this.respond(channel, request, err.responseCode, err.remark);
      return;
    }
    this.logger.error(`process ${request.describe()} from ${channel.remoteAddr} failed`, err);
    this.respond(channel, request, ResponseCode.SYSTEM_ERROR, exceptionSimpleDesc(err));
  }

  private respond(channel: RemotingChannel, request: RemotingCommand, code: number, remark: string): void {
    this.writeResponse(channel, request, RemotingCommand.createResponseCommand(code, remark));
  }

  /**
   * NettyRemotingAbstract.writeResponse: stamps opaque and response flag, runs the after-response hooks and writes,
   * unless the request was oneway. The response travels in the request's header encoding, so a client that only
   * reads its own encoding is served (Java 4.9 does this for processor responses; Java 5 always uses its own
   * configured encoding; every Java and Go client decodes both).
   */
  writeResponse(channel: RemotingChannel, request: RemotingCommand, response: RemotingCommand): void {
    if (request.isOnewayRPC()) {
      this.recordRpcLatency(request, response, 'oneway');
      return;
    }
    response.opaque = request.opaque;
    response.markResponseType();
    response.serializeTypeCurrentRPC = request.serializeTypeCurrentRPC;
    try {
      this.doAfterRpcHooks(channel.remoteAddr, request, response);
    } catch (err) {
      this.logger.error(`rpc hook failed on ${request.describe()} from ${channel.remoteAddr}`, err);
      const error = RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, exceptionSimpleDesc(err));
      error.opaque = request.opaque;
      error.serializeTypeCurrentRPC = request.serializeTypeCurrentRPC;
      response = error;
    }
    try {
      channel.write(response);
      this.recordRpcLatency(request, response, 'success');
    } catch (err) {
      // The processor built a response we cannot encode (e.g. a code too wide for a ROCKETMQ header).
      this.logger.error(`cannot encode ${response.describe()} for ${channel.remoteAddr}`, err);
      this.recordRpcLatency(request, response, 'write_channel_failed');
      const error = RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, exceptionSimpleDesc(err));
      error.opaque = request.opaque;
      channel.write(error);
    }
  }

  /**
   * The one place the rpc latency is recorded, as Java's writeResponse does. A response handed to the channel counts
   * as `success` (Java waits for the flush; ours is queued in order on the socket, whose failure closes the channel).
   */
  private recordRpcLatency(request: RemotingCommand, response: RemotingCommand, result: RpcResult): void {
    const metrics = this.remotingMetrics;
    if (metrics === undefined || request.processStartMillis === 0) return;
    metrics.recordRpcLatency(request.code, response.code, request.suspended, result, Math.floor(performance.now() - request.processStartMillis));
  }

  protected doBeforeRpcHooks(addr: string, request: RemotingCommand): void {
    for (const hook of this.rpcHooks) hook.doBeforeRequest(addr, request);
  }

  protected doAfterRpcHooks(addr: string, request: RemotingCommand, response: RemotingCommand): void {
    for (const hook of this.rpcHooks) hook.doAfterResponse(addr, request, response);
  }

  /** A response or a failure; sync callers time out on their own timer, at exactly `timeoutMillis`. */
  protected async invokeSyncImpl(
    channel: RemotingChannel,
    request: RemotingCommand,
    timeoutMillis: number,
  ): Promise<RemotingCommand> {
    const outcome = await new Promise<InvokeOutcome>((resolve) => {
      const timer = setTimeout(() => {
        if (this.responseTable.get(request.opaque) === future) this.responseTable.delete(request.opaque);
        future.settle(new InvokeFailure('timeout', channel.remoteAddr, timeoutMillis));
      }, timeoutMillis);
      const future = new ResponseFuture(
        request.opaque,
        channel,
        timeoutMillis,
        Date.now(),
        (outcome) => {
          clearTimeout(timer);
          resolve(outcome);
        },
        undefined,
      );
      this.sendRequest(channel, request, future);
    });
    if (outcome instanceof InvokeFailure) {
      if (outcome.kind === 'timeout') this.onSyncTimeout(channel, timeoutMillis);
      throw outcome.toError();
    }
    if (this.hooksOnOutgoing) this.doAfterRpcHooks(channel.remoteAddr, request, outcome);
    return outcome;
  }

  /** Hook for the client's closeSocketIfTimeout. */
  protected onSyncTimeout(_channel: RemotingChannel, _timeoutMillis: number): void {}

  /**
   * Takes an async permit within the timeout, then waits for the response; the permit is returned exactly once,
   * by the response, the timeout scan, the connection's close or a failed write.
   */
  protected async invokeAsyncImpl(
    channel: RemotingChannel,
    request: RemotingCommand,
    timeoutMillis: number,
  ): Promise<RemotingCommand> {
    const begin = Date.now();
    const permit = this.semaphoreAsync.tryAcquire(timeoutMillis);
    // No promise hop when a permit is free, the common case on the hot path.
    const release = this.permitOrThrow(
      permit instanceof Promise ? await permit : permit,
      this.semaphoreAsync,
      timeoutMillis,
      'invokeAsyncImpl',
      channel.remoteAddr,
    );
    const cost = Date.now() - begin;
    if (cost > timeoutMillis) {
      release();
      throw new RemotingTooMuchRequestError(`invokeAsyncImpl call timeout: ${cost}ms spent waiting for a permit`);
    }
    const outcome = await new Promise<InvokeOutcome>((resolve) => {
      const future = new ResponseFuture(request.opaque, channel, timeoutMillis - cost, begin, resolve, release);
      this.sendRequest(channel, request, future);
    });
    if (outcome instanceof InvokeFailure) throw outcome.toError();
    if (this.hooksOnOutgoing) this.doAfterRpcHooks(channel.remoteAddr, request, outcome);
    return outcome;
  }

  /** Marks the request oneway and resolves once it is written; no response is expected. */
  protected async invokeOnewayImpl(
    channel: RemotingChannel,
    request: RemotingCommand,
    timeoutMillis: number,
  ): Promise<void> {
    request.markOnewayRPC();
    const permit = this.semaphoreOneway.tryAcquire(timeoutMillis);
    // No promise hop when a permit is free, the common case on the hot path.
    const release = this.permitOrThrow(
      permit instanceof Promise ? await permit : permit,
      this.semaphoreOneway,
      timeoutMillis,
      'invokeOnewayImpl',
      channel.remoteAddr,
    );
    let failure: unknown;
    try {
      if (this.hooksOnOutgoing) this.doBeforeRpcHooks(channel.remoteAddr, request);
      failure = await new Promise<Error | null | undefined>((resolve) => channel.write(request, resolve));
    } finally {
      release();
    }
    if (failure !== null && failure !== undefined) {
      channel.close();
      throw new RemotingSendRequestError(channel.remoteAddr, `send oneway request to ${channel.remoteAddr} failed`, {
        cause: failure,
      });
    }
  }

  /** The permit, or the error Java raises when none freed up in time. */
  private permitOrThrow(
    release: Release | undefined,
    semaphore: Semaphore,
    timeoutMillis: number,
    what: string,
    addr: string,
  ): Release {
    if (release !== undefined) return release;
    const state = `semaphore ${semaphore.availablePermits}/${semaphore.permits} available`;
    if (timeoutMillis <= 0) throw new RemotingTooMuchRequestError(`${what} invoke too fast, ${state}`);
    throw new RemotingTimeoutError(addr, timeoutMillis, `${what} tryAcquire semaphore timeout, ${timeoutMillis}ms, ${state}`);
  }

  /** Registers the future, runs the before-request hooks and writes; a failed write fails the request at once. */
  private sendRequest(channel: RemotingChannel, request: RemotingCommand, future: ResponseFuture): void {
    try {
      if (this.hooksOnOutgoing) this.doBeforeRpcHooks(channel.remoteAddr, request);
    } catch (err) {
      future.settle(new InvokeFailure('send', channel.remoteAddr, future.timeoutMillis, err));
      return;
    }
    this.responseTable.set(request.opaque, future);
    try {
      channel.write(request, (err) => {
        if (err === null || err === undefined) return;
        if (this.responseTable.get(request.opaque) === future) this.responseTable.delete(request.opaque);
        future.settle(new InvokeFailure('send', channel.remoteAddr, future.timeoutMillis, err));
        channel.close();
      });
    } catch (err) {
      this.responseTable.delete(request.opaque);
      future.settle(new InvokeFailure('send', channel.remoteAddr, future.timeoutMillis, err));
    }
  }
}

class ChannelRequestContext implements RequestContext {
  constructor(
    private readonly endpoint: RemotingAbstract,
    readonly channel: RemotingChannel,
  ) {}

  get remoteAddr(): string {
    return this.channel.remoteAddr;
  }

  writeResponse(request: RemotingCommand, response: RemotingCommand): void {
    this.endpoint.writeResponse(this.channel, request, response);
  }
}
