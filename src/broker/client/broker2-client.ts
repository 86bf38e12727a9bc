import { silentLogger, type Logger } from '../../common/logger.js';
import {
  decodeConsumerStatusMessageQueueTable,
  encodeGetConsumerStatusBody,
  encodeResetOffsetBody,
} from '../../protocol/bodies/consumer-admin.js';
import type { MessageQueue } from '../../protocol/bodies/message-queue.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { RemotingChannel } from '../../remoting/remoting-channel.js';
import type { ClientChannel } from './client-channel.js';
import type { RemotingServer } from '../../remoting/remoting-server.js';
import type { BrokerMessageStore } from '../broker-message-store.js';
import type { ConsumerOffsetManager } from '../offset/consumer-offset-manager.js';
import type { TopicConfigManager } from '../topic/topic-config-manager.js';
import type { ClientChannelInfo } from './client-channel-info.js';
import type { ConsumerManager } from './consumer-manager.js';

/** Java's timeout for the oneway notification: it only bounds the wait for a send permit. */
const NOTIFY_TIMEOUT_MILLIS = 10;
/** Broker2Client.callClient: GET_CONSUMER_RUNNING_INFO and CONSUME_MESSAGE_DIRECTLY wait this long for the client. */
const CALL_CLIENT_TIMEOUT_MILLIS = 10_000;
/** resetOffset's oneway push and getConsumeStatus's call. */
const RESET_TIMEOUT_MILLIS = 5000;
/** MQVersion.Version.V3_0_7_SNAPSHOT.ordinal(): older clients cannot reset offsets or report their status. */
export const V3_0_7_SNAPSHOT = 28;

/** What Broker2Client reads of the broker to build its requests. */
export interface Broker2ClientDeps {
  brokerName: () => string;
  topicConfigManager: TopicConfigManager;
  consumerOffsetManager: ConsumerOffsetManager;
  consumerManager: ConsumerManager<ClientChannel>;
  messageStore: BrokerMessageStore;
}

/** Broker2Client.java: the calls a broker makes to its clients over their own connections. */
export class Broker2Client {
  constructor(
    private readonly remotingServer: RemotingServer,
    private readonly deps: Broker2ClientDeps,
    private readonly logger: Logger = silentLogger,
  ) {}

  /** NOTIFY_CONSUMER_IDS_CHANGED (40), oneway: the client rebalances at once instead of on its 20 s timer. */
  notifyConsumerIdsChanged(channel: RemotingChannel, consumerGroup: string): void {
    const request = RemotingCommand.createRequestCommand(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, { consumerGroup });
    this.remotingServer.invokeOneway(channel, request, NOTIFY_TIMEOUT_MILLIS).catch((err: unknown) => {
      this.logger.error(`notifyConsumerIdsChanged exception. group=${consumerGroup}, channel=${channel.remoteAddr}`, err);
    });
  }

  /**
   * checkProducerTransactionState: CHECK_TRANSACTION_STATE (39), oneway, to one producer of the half message's
   * group; `body` is the half message in the stored-record layout, shown in its real topic and queue. Resolves
   * once the request is written (or failed, which is logged), so that the check can pace itself on the channel.
   */
  checkProducerTransactionState(group: string, channel: RemotingChannel, header: Record<string, string | number>, body: Buffer): Promise<void> {
    const request = RemotingCommand.createRequestCommand(RequestCode.CHECK_TRANSACTION_STATE, header, body);
    return this.remotingServer.invokeOneway(channel, request, NOTIFY_TIMEOUT_MILLIS).catch((err: unknown) => {
      this.logger.error(`Check transaction failed because invoke producer exception. group=${group}, channel=${channel.remoteAddr}: ${String(err)}`);
    });
  }

  /** callClient: a request forwarded to one client, answered with whatever the client answers. */
  callClient(channel: ClientChannel, request: RemotingCommand): Promise<RemotingCommand> {
    if (channel.relay !== undefined) return channel.relay(request, CALL_CLIENT_TIMEOUT_MILLIS);
    return this.remotingServer.invokeSync(remotingChannel(channel), request, CALL_CLIENT_TIMEOUT_MILLIS);
  }

  /**
   * resetOffset (INVOKE_BROKER_TO_RESET_OFFSET 222): the offset of every queue of the topic at `timestamp` (-1: the
   * queue's end), kept at the group's committed offset unless earlier or `isForce`, pushed to every member of the
   * group as RESET_CONSUMER_CLIENT_OFFSET (220, oneway), which the clients apply and commit. Answered with the
   * table (ResetOffsetBody). The group must have committed an offset on every queue, and be online.
   */
  async resetOffset(topic: string, group: string, timestamp: number, isForce: boolean): Promise<RemotingCommand> {
    const { topicConfigManager, consumerOffsetManager, consumerManager, messageStore } = this.deps;
    const topicConfig = topicConfigManager.selectTopicConfig(topic);
    if (topicConfig === undefined) {
      return RemotingCommand.createResponseCommand(ResponseCode.TOPIC_NOT_EXIST, `[reset-offset] reset offset failed, no topic in this broker. topic=${topic}`);
    }
    const offsetTable: [MessageQueue, number][] = [];
    for (let queueId = 0; queueId < topicConfig.writeQueueNums; queueId++) {
      const mq = { topic, brokerName: this.deps.brokerName(), queueId };
      const consumerOffset = consumerOffsetManager.queryOffset(group, topic, queueId);
      if (consumerOffset === -1) return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, `THe consumer group <${group}> not exist`);
      let timeStampOffset = timestamp === -1 ? messageStore.getMaxOffsetInQueue(topic, queueId) : messageStore.getOffsetInQueueByTime(topic, queueId, timestamp);
      if (timeStampOffset < 0) timeStampOffset = 0;
      offsetTable.push([mq, isForce || timeStampOffset < consumerOffset ? timeStampOffset : consumerOffset]);
    }
    const members = [...(consumerManager.getConsumerGroupInfo(group)?.channelInfoTable.values() ?? [])];
    if (members.length === 0) {
      return RemotingCommand.createResponseCommand(
        ResponseCode.CONSUMER_NOT_ONLINE,
        `Consumer not online, so can not reset offset, Group: ${group} Topic: ${topic} Timestamp: ${timestamp}`,
      );
    }
    const tooOld = members.find((info) => info.version < V3_0_7_SNAPSHOT);
    if (tooOld !== undefined) return tooOldResponse(tooOld);
    const request = RemotingCommand.createRequestCommand(RequestCode.RESET_CONSUMER_CLIENT_OFFSET, { topic, group, timestamp, isForce });
    request.body = encodeResetOffsetBody(offsetTable);
    await Promise.all(
      members.map(async (info) => {
        try {
          await this.remotingServer.invokeOneway(remotingChannel(info.channel), request, RESET_TIMEOUT_MILLIS);
          this.logger.info(`[reset-offset] reset offset success. topic=${topic}, group=${group}, clientId=${info.clientId}`);
        } catch (err) {
          this.logger.error(`[reset-offset] reset offset exception. topic=${topic}, group=${group}, clientId=${info.clientId}`, err);
        }
      }),
    );
    const response = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS);
    response.body = encodeResetOffsetBody(offsetTable);
    return response;
  }

  /**
   * getConsumeStatus (INVOKE_BROKER_TO_GET_CONSUMER_STATUS 223): asks each member (or the one at `originClientId`)
   * for its queue offsets of the topic (GET_CONSUMER_STATUS_FROM_CLIENT 221) and answers them by client id.
   * A member that does not answer is left out, as in Java.
   */
  async getConsumeStatus(topic: string, group: string, originClientId: string | undefined): Promise<RemotingCommand> {
    const members = [...(this.deps.consumerManager.getConsumerGroupInfo(group)?.channelInfoTable.values() ?? [])];
    if (members.length === 0) {
      return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, `No Any Consumer online in the consumer group: [${group}]`);
    }
    const tooOld = members.find((info) => info.version < V3_0_7_SNAPSHOT);
    if (tooOld !== undefined) return tooOldResponse(tooOld);
    const wanted = originClientId === undefined || originClientId.trim() === '' ? members : members.filter((info) => info.clientId === originClientId);
    const consumerTable = new Map<string, [MessageQueue, number][]>();
    for (const info of wanted) {
      const request = RemotingCommand.createRequestCommand(RequestCode.GET_CONSUMER_STATUS_FROM_CLIENT, { topic, group });
      try {
        const response = await this.remotingServer.invokeSync(remotingChannel(info.channel), request, RESET_TIMEOUT_MILLIS);
        if (response.code === ResponseCode.SUCCESS && response.body !== undefined) {
          consumerTable.set(info.clientId, decodeConsumerStatusMessageQueueTable(response.body));
        }
      } catch (err) {
        this.logger.error(`[get-consumer-status] get consumer status exception. topic=${topic}, group=${group}, clientId=${info.clientId}`, err);
      }
    }
    const result = RemotingCommand.createResponseCommand(ResponseCode.SUCCESS);
    result.body = encodeGetConsumerStatusBody(consumerTable);
    return result;
  }
}

/** The client's remoting connection; a gRPC client takes no remoting request (the caller reports the error). */
function remotingChannel(channel: ClientChannel): RemotingChannel {
  if (channel instanceof RemotingChannel) return channel;
  throw new Error(`the client at ${channel.remoteAddr} speaks gRPC: it takes no remoting request`);
}

function tooOldResponse(info: ClientChannelInfo<ClientChannel>): RemotingCommand {
  return RemotingCommand.createResponseCommand(ResponseCode.SYSTEM_ERROR, `the client does not support this feature. version=${info.version}`);
}
