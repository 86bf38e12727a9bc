import { MQBrokerError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { encodeCheckClientRequestBody } from '../protocol/bodies/check-client-request-body.js';
import { encodeHeartbeatData, type HeartbeatData, type SubscriptionData } from '../protocol/bodies/heartbeat-data.js';
import { decodeTopicRouteData, type TopicRouteData } from '../protocol/bodies/topic-route-data.js';
import { RemotingCommand } from '../protocol/remoting-command.js';
import { RequestCode } from '../protocol/request-code.js';
import { ResponseCode } from '../protocol/response-code.js';
import type { RemotingClient } from '../remoting/remoting-client.js';
import { TopAddressing } from '../remoting/top-addressing.js';
import { ClientErrorCode, MQClientError } from './errors.js';

/** TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC: the template topic whose route a producer borrows for new topics. */
export const AUTO_CREATE_TOPIC_KEY_TOPIC = 'TBW102';

/**
 * MQClientAPIImpl.java: the client's calls to name servers and brokers, each one request and one response
 * turned into a value or a typed error. Sending messages lives with the producer (producer/send-message.ts).
 */
export class MQClientAPIImpl {
  private readonly topAddressing: TopAddressing | undefined;

  constructor(
    readonly remotingClient: RemotingClient,
    private readonly logger: Logger,
    nameServerLookupUrl: string | undefined,
  ) {
    this.topAddressing = nameServerLookupUrl === undefined ? undefined : new TopAddressing({ wsAddr: nameServerLookupUrl, logger });
  }

  getNameServerAddressList(): string[] {
    return this.remotingClient.getNameServerAddressList();
  }

  updateNameServerAddressList(addrs: readonly string[]): void {
    this.remotingClient.updateNameServerAddressList(addrs);
  }

  /** fetchNameServerAddr: asks the address server, and switches to its list when it changed. */
  async fetchNameServerAddr(): Promise<string[]> {
    const text = await this.topAddressing?.fetchNSAddr();
    if (text !== undefined && text !== '') {
      const addrs = text.split(';').map((a) => a.trim()).filter((a) => a !== '');
      this.logger.info(`name server address fetched: ${addrs.join(';')}`);
      this.updateNameServerAddressList(addrs);
    }
    return this.getNameServerAddressList();
  }

  /**
   * GET_ROUTEINFO_BY_TOPIC from a name server (our version, 479, gets standard JSON). Undefined when the name
   * server knows no such topic (TOPIC_NOT_EXIST), which is normal for a topic about to be auto-created.
   */
  async getTopicRouteInfoFromNameServer(topic: string, timeoutMillis: number): Promise<TopicRouteData | undefined> {
    const request = RemotingCommand.createRequestCommand(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic });
    const response = await this.remotingClient.invokeSync(null, request, timeoutMillis);
    if (response.code === ResponseCode.TOPIC_NOT_EXIST) return undefined;
    if (response.code === ResponseCode.SUCCESS && response.body !== undefined) return decodeTopicRouteData(response.body);
    throw new MQClientError(`get route of topic ${topic} failed: CODE: ${response.code} DESC: ${response.remark ?? 'null'}`, {
      responseCode: response.code,
    });
  }

  /** HEART_BEAT; resolves to the broker's version (the response's `version`). */
  async sendHeartbeat(addr: string, heartbeatData: HeartbeatData, timeoutMillis: number): Promise<number> {
    const request = RemotingCommand.createRequestCommand(RequestCode.HEART_BEAT, undefined, encodeHeartbeatData(heartbeatData));
    const response = await this.remotingClient.invokeSync(addr, request, timeoutMillis);
    if (response.code !== ResponseCode.SUCCESS) throw new MQBrokerError(response.code, response.remark, addr);
    return response.version;
  }

  /** UNREGISTER_CLIENT for one producer or consumer group of this client. */
  /**
   * CHECK_CLIENT_CONFIG (checkClientInBroker): can this broker filter `subscriptionData`? An answer other than
   * SUCCESS is Java's MQClientException(code, remark).
   */
  async checkClientInBroker(addr: string, group: string, clientId: string, subscriptionData: SubscriptionData, timeoutMillis: number): Promise<void> {
    const body = encodeCheckClientRequestBody({ clientId, group, subscriptionData });
    const response = await this.remotingClient.invokeSync(addr, RemotingCommand.createRequestCommand(RequestCode.CHECK_CLIENT_CONFIG, undefined, body), timeoutMillis);
    if (response.code !== ResponseCode.SUCCESS) {
      throw new MQClientError(`CODE: ${response.code}  DESC: ${response.remark ?? 'null'}`, { responseCode: response.code, brokerAddr: addr });
    }
  }

  async unregisterClient(addr: string, header: { clientID: string; producerGroup?: string; consumerGroup?: string }, timeoutMillis: number): Promise<void> {
    const request = RemotingCommand.createRequestCommand(RequestCode.UNREGISTER_CLIENT, header);
    const response = await this.remotingClient.invokeSync(addr, request, timeoutMillis);
    if (response.code !== ResponseCode.SUCCESS) throw new MQBrokerError(response.code, response.remark, addr);
  }

  /** Java's validateNameServerSetting, for error paths where a missing list is the likely cause. */
  checkNameServerSetting(): void {
    if (this.getNameServerAddressList().length === 0) {
      throw new MQClientError('No name server address, please set it.', { responseCode: ClientErrorCode.NO_NAME_SERVER_EXCEPTION });
    }
  }
}
