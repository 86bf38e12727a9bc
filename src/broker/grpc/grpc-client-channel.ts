import type { Msg, MsgInit } from '../../grpc/types.js';
import type { BidiCall } from '../../grpc/transport/handler.js';
import type { ClientChannel } from '../client/client-channel.js';

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

  close(): void {
    this.telemetry?.end();
    this.telemetry = undefined;
    this.onClose(this);
  }
}
