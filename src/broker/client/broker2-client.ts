import { silentLogger, type Logger } from '../../common/logger.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { RequestCode } from '../../protocol/request-code.js';
import type { RemotingChannel } from '../../remoting/remoting-channel.js';
import type { RemotingServer } from '../../remoting/remoting-server.js';

/** Java's timeout for the oneway notification: it only bounds the wait for a send permit. */
const NOTIFY_TIMEOUT_MILLIS = 10;

/** Broker2Client.java: the calls a broker makes to its clients over their own connections. */
export class Broker2Client {
  constructor(
    private readonly remotingServer: RemotingServer,
    private readonly logger: Logger = silentLogger,
  ) {}

  /** NOTIFY_CONSUMER_IDS_CHANGED (40), oneway: the client rebalances at once instead of on its 20 s timer. */
  notifyConsumerIdsChanged(channel: RemotingChannel, consumerGroup: string): void {
    const request = RemotingCommand.createRequestCommand(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, { consumerGroup });
    this.remotingServer.invokeOneway(channel, request, NOTIFY_TIMEOUT_MILLIS).catch((err: unknown) => {
      this.logger.error(`notifyConsumerIdsChanged exception. group=${consumerGroup}, channel=${channel.remoteAddr}`, err);
    });
  }
}
