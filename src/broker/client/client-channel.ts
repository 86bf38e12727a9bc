import type { RemotingCommand } from '../../protocol/remoting-command.js';

/**
 * A client connection as the producer and consumer tables see it: a remoting connection (RemotingChannel) or a gRPC
 * client (src/broker/grpc/grpc-client-channel.ts, one per x-mq-client-id). Code that must talk remoting to a
 * client (consumer-ids notifications, reply pushes, transaction checks) tells them apart with `instanceof`.
 */
export interface ClientChannel {
  /** `host:port` of the client, as connection lists show it. */
  readonly remoteAddr: string;
  readonly isActive: boolean;
  readonly isWritable: boolean;
  /** Drops the connection (an expired client). */
  close(): void;
  /**
   * ProxyChannel's relay: a client reached by another protocol answers a request the broker sends a client
   * (GET_CONSUMER_RUNNING_INFO…) itself, as a remoting client would; absent for a remoting connection.
   */
  relay?(request: RemotingCommand, timeoutMillis: number): Promise<RemotingCommand>;
}
