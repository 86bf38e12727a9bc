import { enums } from '../../grpc/schema.js';
import type { Msg, MsgInit } from '../../grpc/types.js';
import type { BidiCall } from '../../grpc/transport/handler.js';
import { toFastjson } from '../../protocol/bodies/fastjson-writer.js';
import { subscriptionDataToJson, type SubscriptionData } from '../../protocol/bodies/heartbeat-data.js';
import { GetConsumerRunningInfoRequestHeader } from '../../protocol/headers/consumer-admin.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { describeRequestCode, RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { ClientChannel } from '../client/client-channel.js';
import { buildSubscriptionData } from '../filter/expression-message-filter.js';
import { resourceName } from './grpc-status.js';

/** How long GET_CONSUMER_RUNNING_INFO waits for a client's thread stack (the SDKs answer at once). */
const STACK_TRACE_WAIT_MILLIS = 3000;

/** A Settings subscription entry as the broker's SubscriptionData (FilterAPI.build of its expression). */
export function subscriptionDataOf(entry: Msg<'SubscriptionEntry'>): SubscriptionData {
  return buildSubscriptionData(resourceName(entry.topic), entry.expression?.expression, entry.expression?.type === enums.FilterType.SQL ? 'SQL92' : 'TAG');
}

export type TelemetryCall = BidiCall<Msg<'TelemetryCommand'>, MsgInit<'TelemetryCommand'>>;

/**
 * GrpcClientChannel.java: one gRPC client (one x-mq-client-id) as the producer and consumer tables see it. It is
 * "active" while its Telemetry stream is open: that stream is the only way to reach the client (Settings,
 * orphaned-transaction checks). Closing it (an expired client) ends the stream and forgets the client.
 */
export class GrpcClientChannel implements ClientChannel {
  /** The Settings the client last sent (raw, before the server's merge). */
  settings: Msg<'Settings'> | undefined;
  /** When the client last called (ms): a client gone quiet without a Telemetry stream is forgotten after a while. */
  lastUpdateTimestamp = Date.now();
  private telemetry: TelemetryCall | undefined;
  /** PrintThreadStackTrace commands awaiting the client's ThreadStackTrace, by nonce. */
  private readonly stackTraces = new Map<string, (stack: string) => void>();
  private nonces = 0;

  constructor(
    readonly clientId: string,
    public remoteAddr: string,
    private readonly onClose: (channel: GrpcClientChannel) => void,
  ) {}

  get isActive(): boolean {
    return this.telemetry !== undefined;
  }

  get isWritable(): boolean {
    return this.isActive;
  }

  /** The client's current Telemetry stream (a client re-opens it after an error: the newest wins). */
  attachTelemetry(call: TelemetryCall): void {
    this.telemetry = call;
    call.onClose(() => {
      if (this.telemetry === call) this.telemetry = undefined;
    });
  }

  /** Writes a command down the Telemetry stream; false when there is none. */
  push(command: MsgInit<'TelemetryCommand'>): boolean {
    if (this.telemetry === undefined) return false;
    this.telemetry.write(command);
    return true;
  }

  /**
   * GrpcClientChannel.processGetConsumerRunningInfo: GET_CONSUMER_RUNNING_INFO answered from the client's Settings
   * (what a remoting consumer reports of its kind, group and subscriptions; a gRPC client holds no queues), with the
   * client's thread stack when jstackEnable asks for it (PrintThreadStackTrace on Telemetry; empty if the client
   * does not answer in time). Other requests cannot reach a gRPC client.
   */
  async relay(request: RemotingCommand, timeoutMillis: number): Promise<RemotingCommand> {
    if (request.code !== RequestCode.GET_CONSUMER_RUNNING_INFO) throw new Error(`the gRPC client ${this.clientId} takes no ${describeRequestCode(request.code)}`);
    const { jstackEnable } = request.decodeCommandCustomHeader(GetConsumerRunningInfoRequestHeader);
    const jstack = jstackEnable === true ? await this.threadStackTrace(timeoutMillis) : '';
    const response = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS);
    response.body = this.runningInfo(jstack);
    return response;
  }

  /** Telemetry's ThreadStackTrace: the answer to one of our PrintThreadStackTrace commands. */
  onThreadStackTrace(nonce: string, stack: string): void {
    this.stackTraces.get(nonce)?.(stack);
  }

  private threadStackTrace(timeoutMillis: number): Promise<string> {
    const nonce = `${this.clientId}-${++this.nonces}`;
    return new Promise((resolve) => {
      const done = (stack: string): void => {
        clearTimeout(timer);
        this.stackTraces.delete(nonce);
        resolve(stack);
      };
      const timer = setTimeout(() => done(''), Math.min(timeoutMillis, STACK_TRACE_WAIT_MILLIS));
      this.stackTraces.set(nonce, done);
      if (!this.push({ printThreadStackTraceCommand: { nonce } })) done('');
    });
  }

  /** ConsumerRunningInfo as fastjson writes it: the client's kind and subscriptions from its Settings. */
  private runningInfo(jstack: string): Buffer {
    const subscription = this.settings?.subscription;
    const properties: Record<string, string> = {
      PROP_CLIENT_TYPE: Object.entries(enums.ClientType).find(([, value]) => value === this.settings?.clientType)?.[0] ?? 'UNKNOWN',
      PROP_CONSUME_TYPE: this.settings?.clientType === enums.ClientType.PUSH_CONSUMER ? 'CONSUME_PASSIVELY' : 'CONSUME_ACTIVELY',
      consumerGroup: subscription?.group === undefined ? '' : resourceName(subscription.group),
      messageModel: 'CLUSTERING',
    };
    const subscriptions = (subscription?.subscriptions ?? []).map((entry) => subscriptionDataToJson(subscriptionDataOf(entry)));
    return Buffer.from(`{"jstack":${JSON.stringify(jstack)},"mqTable":{},"properties":${toFastjson(properties)},"statusTable":{},"subscriptionSet":${toFastjson(subscriptions)}}`, 'utf8');
  }

  close(): void {
    this.telemetry?.end();
    this.telemetry = undefined;
    this.onClose(this);
  }
}
