import { MQBrokerError } from '../../common/errors.js';
import { decodeConsumerListByGroup } from '../../protocol/bodies/consumer-list-by-group.js';
import { decodeLockBatchResponseBody, encodeLockBatchRequestBody, type LockBatchRequestBody } from '../../protocol/bodies/lock-batch.js';
import type { MessageQueue } from '../../protocol/bodies/message-queue.js';
import { OffsetResponseHeader, PullMessageResponseHeader, QueryConsumerOffsetResponseHeader } from '../../protocol/headers/broker.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RemotingClient } from '../../remoting/remoting-client.js';

/** PullSysFlag.java. */
export const PullSysFlag = {
  FLAG_COMMIT_OFFSET: 0x1,
  FLAG_SUSPEND: 0x2,
  FLAG_SUBSCRIPTION: 0x4,
  FLAG_CLASS_FILTER: 0x8,
} as const;

export interface PullMessageRequest {
  consumerGroup: string;
  topic: string;
  queueId: number;
  queueOffset: number;
  maxMsgNums: number;
  sysFlag: number;
  commitOffset: number;
  suspendTimeoutMillis: number;
  subscription: string;
  subVersion: number;
  expressionType: string;
}

export type PullStatus = 'FOUND' | 'NO_NEW_MSG' | 'NO_MATCHED_MSG' | 'OFFSET_ILLEGAL';

/** PullResult before the client's post-processing (PullResultExt: the raw body). */
export interface RawPullResult {
  pullStatus: PullStatus;
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
  body: Buffer | undefined;
  /** The replica the broker wants this queue pulled from next (0: the master). */
  suggestWhichBrokerId: number;
}

/**
 * The consumer's calls of MQClientAPIImpl, each one request and one answer, an unexpected code thrown as
 * MQBrokerError. Kept apart from client-api.ts so the producer's side stays small.
 */
export class ConsumerAPI {
  constructor(private readonly remotingClient: RemotingClient) {}

  /** PULL_MESSAGE; `timeoutMillis` must outlast the broker's suspension (Java: 30 s against 15 s). */
  async pullMessage(addr: string, header: PullMessageRequest, timeoutMillis: number): Promise<RawPullResult> {
    const request = RemotingCommand.createRequestCommand(RequestCode.PULL_MESSAGE, { ...header });
    const response = await this.remotingClient.invokeSync(addr, request, timeoutMillis);
    const pullStatus = PULL_STATUS.get(response.code);
    if (pullStatus === undefined) throw new MQBrokerError(response.code, response.remark, addr);
    const h = response.decodeCommandCustomHeader(PullMessageResponseHeader);
    return { pullStatus, nextBeginOffset: h.nextBeginOffset, minOffset: h.minOffset, maxOffset: h.maxOffset, body: response.body, suggestWhichBrokerId: h.suggestWhichBrokerId ?? 0 };
  }

  /** QUERY_CONSUMER_OFFSET; undefined when the broker has none for the group (QUERY_NOT_FOUND). */
  async queryConsumerOffset(addr: string, header: { consumerGroup: string; topic: string; queueId: number }, timeoutMillis: number): Promise<number | undefined> {
    const response = await this.call(addr, RequestCode.QUERY_CONSUMER_OFFSET, header, timeoutMillis, [ResponseCode.QUERY_NOT_FOUND]);
    if (response.code === ResponseCode.QUERY_NOT_FOUND) return undefined;
    return response.decodeCommandCustomHeader(QueryConsumerOffsetResponseHeader).offset;
  }

  /** UPDATE_CONSUMER_OFFSET oneway, as Java's RemoteBrokerOffsetStore does on every persist. */
  updateConsumerOffsetOneway(addr: string, header: { consumerGroup: string; topic: string; queueId: number; commitOffset: number }, timeoutMillis: number): Promise<void> {
    return this.remotingClient.invokeOneway(addr, RemotingCommand.createRequestCommand(RequestCode.UPDATE_CONSUMER_OFFSET, header), timeoutMillis);
  }

  async getMaxOffset(addr: string, mq: MessageQueue, timeoutMillis: number): Promise<number> {
    const response = await this.call(addr, RequestCode.GET_MAX_OFFSET, { topic: mq.topic, queueId: mq.queueId }, timeoutMillis);
    return response.decodeCommandCustomHeader(OffsetResponseHeader).offset;
  }

  async getMinOffset(addr: string, mq: MessageQueue, timeoutMillis: number): Promise<number> {
    const response = await this.call(addr, RequestCode.GET_MIN_OFFSET, { topic: mq.topic, queueId: mq.queueId }, timeoutMillis);
    return response.decodeCommandCustomHeader(OffsetResponseHeader).offset;
  }

  async searchOffset(addr: string, mq: MessageQueue, timestamp: number, timeoutMillis: number): Promise<number> {
    const response = await this.call(addr, RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, { topic: mq.topic, queueId: mq.queueId, timestamp }, timeoutMillis);
    return response.decodeCommandCustomHeader(OffsetResponseHeader).offset;
  }

  async getConsumerIdListByGroup(addr: string, consumerGroup: string, timeoutMillis: number): Promise<string[]> {
    const response = await this.call(addr, RequestCode.GET_CONSUMER_LIST_BY_GROUP, { consumerGroup }, timeoutMillis);
    return decodeConsumerListByGroup(response.body);
  }

  /** CONSUMER_SEND_MSG_BACK: the broker stores the message again in the group's retry topic (or its DLQ). */
  async consumerSendMessageBack(
    addr: string,
    header: { offset: number; group: string; delayLevel: number; originMsgId: string; originTopic: string; maxReconsumeTimes: number },
    timeoutMillis: number,
  ): Promise<void> {
    await this.call(addr, RequestCode.CONSUMER_SEND_MSG_BACK, { ...header, unitMode: false }, timeoutMillis);
  }

  /** LOCK_BATCH_MQ: the queues the broker now lets this client consume in order. */
  async lockBatchMQ(addr: string, body: LockBatchRequestBody, timeoutMillis: number): Promise<MessageQueue[]> {
    const response = await this.call(addr, RequestCode.LOCK_BATCH_MQ, undefined, timeoutMillis, [], encodeLockBatchRequestBody(body));
    return decodeLockBatchResponseBody(response.body);
  }

  async unlockBatchMQ(addr: string, body: LockBatchRequestBody, timeoutMillis: number): Promise<void> {
    await this.call(addr, RequestCode.UNLOCK_BATCH_MQ, undefined, timeoutMillis, [], encodeLockBatchRequestBody(body));
  }

  private async call(
    addr: string,
    code: number,
    header: Record<string, string | number | boolean> | undefined,
    timeoutMillis: number,
    alsoAccepted: readonly number[] = [],
    body?: Buffer,
  ): Promise<RemotingCommand> {
    const response = await this.remotingClient.invokeSync(addr, RemotingCommand.createRequestCommand(code, header, body), timeoutMillis);
    if (response.code !== ResponseCode.SUCCESS && !alsoAccepted.includes(response.code)) throw new MQBrokerError(response.code, response.remark, addr);
    return response;
  }
}

const PULL_STATUS = new Map<number, PullStatus>([
  [ResponseCode.SUCCESS, 'FOUND'],
  [ResponseCode.PULL_NOT_FOUND, 'NO_NEW_MSG'],
  [ResponseCode.PULL_RETRY_IMMEDIATELY, 'NO_MATCHED_MSG'],
  [ResponseCode.PULL_OFFSET_MOVED, 'OFFSET_ILLEGAL'],
]);
