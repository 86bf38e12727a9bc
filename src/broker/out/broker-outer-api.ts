import { crc32Masked } from '../../common/crc32.js';
import { MQBrokerError, RemotingTooMuchRequestError } from '../../common/errors.js';
import { parseJavaProperties } from '../../common/java-properties.js';
import { silentLogger, type Logger } from '../../common/logger.js';
import {
  decodeConsumerOffsetSerializeWrapper,
  type ConsumerOffsetSerializeWrapper,
} from '../../protocol/bodies/consumer-offset-serialize-wrapper.js';
import { dataVersionEquals, decodeDataVersion, encodeDataVersion, type DataVersion } from '../../protocol/bodies/data-version.js';
import { decodeClusterInfo } from '../../protocol/bodies/cluster-info.js';
import { decodeKVTable } from '../../protocol/bodies/kv-table.js';
import { encodeRegisterBrokerBody, type TopicConfigSerializeWrapper } from '../../protocol/bodies/register-broker-body.js';
import { decodeSubscriptionGroupWrapper, type SubscriptionGroupWrapper } from '../../protocol/bodies/subscription-group-wrapper.js';
import { decodeTopicConfigSerializeWrapper } from '../../protocol/bodies/topic-config-serialize-wrapper.js';
import type { CustomHeader } from '../../protocol/custom-header.js';
import {
  QueryDataVersionResponseHeader,
  RegisterBrokerResponseHeader,
} from '../../protocol/headers/namesrv.js';
import { CURRENT_VERSION } from '../../protocol/language-code.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { RemotingClient, type RemotingClientOptions } from '../../remoting/remoting-client.js';
import type { RPCHook } from '../../remoting/rpc-hook.js';
import { TopAddressing, type TopAddressingOptions } from '../../remoting/top-addressing.js';

/** RegisterBrokerResult.java: what one name server answered; a slave learns its master from it. */
export interface RegisterBrokerResult {
  masterAddr?: string | undefined;
  haServerAddr?: string | undefined;
  /** The order-topic configuration (namespace ORDER_TOPIC_CONFIG), when the name server has one. */
  kvTable?: Map<string, string> | undefined;
}

export interface RegisterBrokerAllRequest {
  clusterName: string;
  brokerAddr: string;
  brokerName: string;
  brokerId: number;
  haServerAddr: string;
  topicConfigWrapper: TopicConfigSerializeWrapper;
  filterServerList?: string[];
  /** Send without waiting for answers (then no results come back). */
  oneway?: boolean;
  /** Per name server, and the deadline of the whole call (BrokerConfig.registerBrokerTimeoutMills: 24 s). */
  timeoutMills?: number;
  /** 5.x slave acting master; 4.9 name servers ignore the field. */
  enableActingMaster?: boolean;
  /** The deflate form of the body (BrokerConfig.compressedRegister). */
  compressed?: boolean;
  /** How long the name server keeps the broker alive without news (5.x, with acting master). */
  heartbeatTimeoutMillis?: number;
}

export interface BrokerIdentityHeader {
  clusterName: string;
  brokerAddr: string;
  brokerName: string;
  brokerId: number;
}

export interface BrokerOuterAPIOptions {
  client?: RemotingClientOptions;
  logger?: Logger;
  rpcHook?: RPCHook;
  /** Where fetchNameServerAddr looks the name servers up (default: Java's jmenv.tbsite.net URL). */
  topAddressing?: TopAddressingOptions;
  /**
   * Fetch topic configs from the master's fast port (listenPort - 2), as the Java slave always does
   * (MixAll.brokerVIPChannel(true, addr)). Default true; false asks the address as given.
   */
  vipChannelEnabled?: boolean;
}

export interface FetchNameServerAddrTaskOptions {
  /** Java: 10 s. */
  initialDelayMillis?: number;
  /** Java 4.9: 2 minutes (5.x: BrokerConfig.fetchNamesrvAddrInterval, 10 s). */
  periodMillis?: number;
}

const DEFAULT_REGISTER_TIMEOUT_MILLIS = 24_000;
/** What Java uses for unregistering and for every slave-sync call. */
const DEFAULT_CALL_TIMEOUT_MILLIS = 3000;

/**
 * BrokerOuterAPI.java: everything a broker asks of others. To every name server: register, unregister, heartbeat,
 * "has my data version changed"; to an address server: where the name servers are; to its master (when a
 * slave): all topic configs, consumer offsets, delay offsets and subscription groups.
 *
 * Calls to all name servers run in parallel and never fail as a whole: a name server that is down or answers
 * an error is logged and left out of the results, as in Java.
 */
export class BrokerOuterAPI {
  readonly remotingClient: RemotingClient;
  private readonly logger: Logger;
  private readonly topAddressing: TopAddressing;
  private readonly vipChannelEnabled: boolean;
  /** The last list the address server gave, as text (Java's nameSrvAddr). */
  private nameSrvAddr: string | undefined;
  private fetchTask: { timer: NodeJS.Timeout } | undefined;

  constructor(options: BrokerOuterAPIOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.remotingClient = new RemotingClient({ logger: this.logger, ...options.client });
    if (options.rpcHook !== undefined) this.remotingClient.registerRPCHook(options.rpcHook);
    this.topAddressing = new TopAddressing({ logger: this.logger, ...options.topAddressing });
    this.vipChannelEnabled = options.vipChannelEnabled ?? true;
  }

  start(): Promise<void> {
    return this.remotingClient.start();
  }

  /** Stops the address-server task and closes every connection. Idempotent. */
  async shutdown(): Promise<void> {
    this.stopFetchNameServerAddrTask();
    await this.remotingClient.shutdown();
  }

  getNameServerAddressList(): string[] {
    return this.remotingClient.getNameServerAddressList();
  }

  /** "host:port;host:port", as in namesrvAddr. */
  updateNameServerAddressList(addrs: string): void {
    this.remotingClient.updateNameServerAddressList(addrs.split(';'));
  }

  /**
   * Asks the address server once; a non-blank answer that differs from the last one replaces the name-server
   * list. Never throws: failures are logged and the last known list (if any) is returned.
   */
  async fetchNameServerAddr(): Promise<string | undefined> {
    try {
      const addrs = await this.topAddressing.fetchNSAddr();
      if (addrs !== undefined && addrs.trim() !== '' && addrs !== this.nameSrvAddr) {
        this.logger.info(`name server address changed, old: ${this.nameSrvAddr ?? 'null'} new: ${addrs}`);
        this.updateNameServerAddressList(addrs);
        this.nameSrvAddr = addrs;
      }
    } catch (err) {
      this.logger.error('fetchNameServerAddr failed', err);
    }
    return this.nameSrvAddr;
  }

  /** Re-reads the address server periodically (BrokerController with fetchNamesrvAddrByAddressServer). */
  startFetchNameServerAddrTask(options: FetchNameServerAddrTaskOptions = {}): void {
    if (this.fetchTask !== undefined) return;
    const period = options.periodMillis ?? 120_000;
    // A chain of timeouts rather than an interval: a slow address server never gets two lookups at once. The
    // task object tells a lookup that outlived stop() (and perhaps a new start()) not to schedule the next one.
    const task = { timer: setTimeout(() => run(), options.initialDelayMillis ?? 10_000).unref() };
    const run = (): void => {
      void this.fetchNameServerAddr().then(() => {
        if (this.fetchTask === task) task.timer = setTimeout(run, period).unref();
      });
    };
    this.fetchTask = task;
  }

  stopFetchNameServerAddrTask(): void {
    clearTimeout(this.fetchTask?.timer);
    this.fetchTask = undefined;
  }

  /**
   * REGISTER_BROKER to every name server at once. Resolves, within `timeoutMills`, with the answers of the name
   * servers that accepted the registration (none when oneway); a slave takes its master from the first.
   * Name servers (Java 5.x and ours) refuse a broker's first registration when it carries exactly one topic:
   * they take it for a single-topic update. A real broker always has its system topics.
   */
  async registerBrokerAll(request: RegisterBrokerAllRequest): Promise<RegisterBrokerResult[]> {
    const namesrvAddrs = this.remotingClient.getNameServerAddressList();
    const results: RegisterBrokerResult[] = [];
    if (namesrvAddrs.length === 0) return results;
    const timeoutMills = request.timeoutMills ?? DEFAULT_REGISTER_TIMEOUT_MILLIS;
    const compressed = request.compressed ?? false;
    const body = encodeRegisterBrokerBody(
      { topicConfigSerializeWrapper: request.topicConfigWrapper, filterServerList: request.filterServerList ?? [] },
      // From 5.0.0 on the compressed form carries a (here empty) static-topic section, keyed on the request version.
      { compressed, version: CURRENT_VERSION },
    );
    // Java 5.x always sends compressed=false, even with a compressed body, which its own name server then fails
    // to parse; we send the truth, as 4.9 does.
    const header: CustomHeader = {
      brokerAddr: request.brokerAddr,
      brokerId: request.brokerId,
      brokerName: request.brokerName,
      clusterName: request.clusterName,
      haServerAddr: request.haServerAddr,
      enableActingMaster: request.enableActingMaster ?? false,
      compressed,
      heartbeatTimeoutMillis: request.heartbeatTimeoutMillis,
      bodyCrc32: crc32Masked(body),
    };
    const oneway = request.oneway ?? false;
    const tasks = namesrvAddrs.map(async (namesrvAddr) => {
      try {
        const result = await this.registerBroker(namesrvAddr, oneway, timeoutMills, header, body, request.brokerAddr);
        if (result !== undefined) results.push(result);
        this.logger.info(`registered broker ${request.brokerName}[${request.brokerId}] with name server ${namesrvAddr}`);
      } catch (err) {
        this.logger.error(`failed to register broker ${request.brokerName}[${request.brokerId}] with name server ${namesrvAddr}`, err);
      }
    });
    let deadline: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([
      Promise.all(tasks).then(() => true),
      new Promise<false>((resolve) => (deadline = setTimeout(() => resolve(false), timeoutMills))),
    ]);
    clearTimeout(deadline);
    if (!inTime) {
      this.logger.warn(`registration to one or more name servers did not complete within ${timeoutMills}ms`);
    }
    // A copy: answers arriving after the deadline must not change what the caller holds.
    return [...results];
  }

  /** UNREGISTER_BROKER to every name server; failures are logged. */
  async unregisterBrokerAll(clusterName: string, brokerAddr: string, brokerName: string, brokerId: number): Promise<void> {
    await Promise.all(
      this.remotingClient.getNameServerAddressList().map(async (namesrvAddr) => {
        try {
          await this.unregisterBroker(namesrvAddr, { clusterName, brokerAddr, brokerName, brokerId });
          this.logger.info(`unregistered broker from name server ${namesrvAddr}`);
        } catch (err) {
          this.logger.warn(`unregister broker from name server ${namesrvAddr} failed`, err);
        }
      }),
    );
  }

  async unregisterBroker(namesrvAddr: string, broker: BrokerIdentityHeader): Promise<void> {
    const request = RemotingCommand.createRequestCommand(RequestCode.UNREGISTER_BROKER, { ...broker });
    const response = await this.remotingClient.invokeSync(namesrvAddr, request, DEFAULT_CALL_TIMEOUT_MILLIS);
    if (response.code !== ResponseCode.SUCCESS) throw new MQBrokerError(response.code, response.remark, broker.brokerAddr);
  }

  /**
   * QUERY_DATA_VERSION to every name server: true when any of them has a different DataVersion for this broker,
   * or failed to answer (then registering again is the safe choice). A name server answering an error code, or
   * not within `timeoutMills`, counts as unchanged, as in Java.
   */
  async needRegister(broker: BrokerIdentityHeader, dataVersion: DataVersion, timeoutMills: number): Promise<boolean> {
    const changed: boolean[] = [];
    const tasks = this.remotingClient.getNameServerAddressList().map(async (namesrvAddr) => {
      try {
        const request = RemotingCommand.createRequestCommand(RequestCode.QUERY_DATA_VERSION, { ...broker }, encodeDataVersion(dataVersion));
        const response = await this.remotingClient.invokeSync(namesrvAddr, request, timeoutMills);
        if (response.code !== ResponseCode.SUCCESS) return;
        let isChanged = response.decodeCommandCustomHeader(QueryDataVersionResponseHeader).changed;
        if (response.body !== undefined && !dataVersionEquals(dataVersion, decodeDataVersion(response.body))) isChanged = true;
        if (isChanged) changed.push(true);
      } catch (err) {
        changed.push(true);
        this.logger.error(`query data version from name server ${namesrvAddr} failed`, err);
      }
    });
    let deadline: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(tasks), new Promise((resolve) => (deadline = setTimeout(resolve, timeoutMills)))]);
    clearTimeout(deadline);
    return changed.length > 0;
  }

  /** The lightweight heartbeat of 5.x acting-master brokers for old name servers: a oneway QUERY_DATA_VERSION. */
  async sendHeartbeatViaDataVersion(broker: BrokerIdentityHeader, dataVersion: DataVersion, timeoutMillis: number): Promise<void> {
    await this.onewayToAll(timeoutMillis, () =>
      RemotingCommand.createRequestCommand(RequestCode.QUERY_DATA_VERSION, { ...broker }, encodeDataVersion(dataVersion)),
    );
  }

  /** BROKER_HEARTBEAT (5.x name servers), oneway. Java sends no brokerId in it; neither do we. */
  async sendHeartbeat(broker: Omit<BrokerIdentityHeader, 'brokerId'>, timeoutMillis: number): Promise<void> {
    const { clusterName, brokerAddr, brokerName } = broker;
    await this.onewayToAll(timeoutMillis, () =>
      RemotingCommand.createRequestCommand(RequestCode.BROKER_HEARTBEAT, { clusterName, brokerAddr, brokerName }),
    );
  }

  /** GET_ALL_TOPIC_CONFIG from a master (over its fast port unless vipChannelEnabled is false). */
  async getAllTopicConfig(addr: string, timeoutMillis = DEFAULT_CALL_TIMEOUT_MILLIS): Promise<TopicConfigSerializeWrapper> {
    const target = this.vipChannelEnabled ? brokerVIPChannel(addr) : addr;
    const body = await this.fetchBody(target, RequestCode.GET_ALL_TOPIC_CONFIG, timeoutMillis, addr);
    return decodeTopicConfigSerializeWrapper(body);
  }

  async getAllConsumerOffset(addr: string, timeoutMillis = DEFAULT_CALL_TIMEOUT_MILLIS): Promise<ConsumerOffsetSerializeWrapper> {
    return decodeConsumerOffsetSerializeWrapper(await this.fetchBody(addr, RequestCode.GET_ALL_CONSUMER_OFFSET, timeoutMillis));
  }

  /** The schedule service's offsets as the master's JSON text: the Java slave stores it verbatim. */
  async getAllDelayOffset(addr: string, timeoutMillis = DEFAULT_CALL_TIMEOUT_MILLIS): Promise<string> {
    return (await this.fetchBody(addr, RequestCode.GET_ALL_DELAY_OFFSET, timeoutMillis))?.toString('utf8') ?? '';
  }

  async getAllSubscriptionGroupConfig(addr: string, timeoutMillis = DEFAULT_CALL_TIMEOUT_MILLIS): Promise<SubscriptionGroupWrapper> {
    return decodeSubscriptionGroupWrapper(await this.fetchBody(addr, RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG, timeoutMillis));
  }

  /**
   * The replicas of `brokerName` as the first name server that knows the group lists them (GET_BROKER_CLUSTER_INFO),
   * id -> address; empty when none does. Failures are logged.
   */
  async getBrokerGroupAddrs(brokerName: string, timeoutMillis = DEFAULT_CALL_TIMEOUT_MILLIS): Promise<Map<number, string>> {
    for (const namesrvAddr of this.remotingClient.getNameServerAddressList()) {
      try {
        const info = decodeClusterInfo(await this.fetchBody(namesrvAddr, RequestCode.GET_BROKER_CLUSTER_INFO, timeoutMillis));
        const group = info.brokerAddrTable.get(brokerName);
        if (group !== undefined) return new Map(group.brokerAddrs);
      } catch (err) {
        this.logger.warn(`asking name server ${namesrvAddr} for the replicas of ${brokerName} failed`, err);
      }
    }
    return new Map();
  }

  /** GET_ALL_MESSAGE_REQUEST_MODE (5.x): the master's messageRequestMode.json text. */
  async getAllMessageRequestMode(addr: string, timeoutMillis = DEFAULT_CALL_TIMEOUT_MILLIS): Promise<string> {
    return (await this.fetchBody(addr, RequestCode.GET_ALL_MESSAGE_REQUEST_MODE, timeoutMillis))?.toString('utf8') ?? '';
  }

  private async registerBroker(
    namesrvAddr: string,
    oneway: boolean,
    timeoutMills: number,
    header: CustomHeader,
    body: Buffer,
    brokerAddr: string,
  ): Promise<RegisterBrokerResult | undefined> {
    const request = RemotingCommand.createRequestCommand(RequestCode.REGISTER_BROKER, header, body);
    if (oneway) {
      try {
        await this.remotingClient.invokeOneway(namesrvAddr, request, timeoutMills);
      } catch (err) {
        // Java drops a oneway registration quietly when too many are in flight; the next one follows in 30 s.
        if (!(err instanceof RemotingTooMuchRequestError)) throw err;
      }
      return undefined;
    }
    const response = await this.remotingClient.invokeSync(namesrvAddr, request, timeoutMills);
    if (response.code !== ResponseCode.SUCCESS) throw new MQBrokerError(response.code, response.remark, brokerAddr);
    const answer = response.decodeCommandCustomHeader(RegisterBrokerResponseHeader);
    return {
      masterAddr: answer.masterAddr,
      haServerAddr: answer.haServerAddr,
      kvTable: response.body === undefined ? undefined : decodeKVTable(response.body),
    };
  }

  private async onewayToAll(timeoutMillis: number, createRequest: () => RemotingCommand): Promise<void> {
    await Promise.all(
      this.remotingClient.getNameServerAddressList().map(async (namesrvAddr) => {
        try {
          await this.remotingClient.invokeOneway(namesrvAddr, createRequest(), timeoutMillis);
        } catch (err) {
          this.logger.error(`heartbeat to name server ${namesrvAddr} failed`, err);
        }
      }),
    );
  }

  /** GET_BROKER_CONFIG of a broker, its properties text parsed (a slave compares its master's segment size). */
  async getBrokerConfig(addr: string, timeoutMillis = DEFAULT_CALL_TIMEOUT_MILLIS): Promise<Map<string, string>> {
    return parseJavaProperties((await this.fetchBody(addr, RequestCode.GET_BROKER_CONFIG, timeoutMillis))?.toString('utf8') ?? '');
  }

  /** GET_BROKER_RUNTIME_INFO of a broker (a slave that gets no data reads its master's commitLogMinOffset, P8). */
  async getBrokerRuntimeInfo(addr: string, timeoutMillis = DEFAULT_CALL_TIMEOUT_MILLIS): Promise<Map<string, string>> {
    return decodeKVTable(await this.fetchBody(addr, RequestCode.GET_BROKER_RUNTIME_INFO, timeoutMillis));
  }

  /** One slave-sync call: the body of a SUCCESS, else MQBrokerError naming `reportedAddr`. */
  private async fetchBody(addr: string, code: number, timeoutMillis: number, reportedAddr = addr): Promise<Buffer | undefined> {
    const response = await this.remotingClient.invokeSync(addr, RemotingCommand.createRequestCommand(code), timeoutMillis);
    if (response.code !== ResponseCode.SUCCESS) throw new MQBrokerError(response.code, response.remark, reportedAddr);
    return response.body;
  }
}

/** MixAll.brokerVIPChannel(true, addr): the same host, port - 2 (the broker's fastRemotingServer). */
export function brokerVIPChannel(addr: string): string {
  const split = addr.lastIndexOf(':');
  const port = Number(addr.slice(split + 1));
  if (split <= 0 || !Number.isInteger(port)) throw new RangeError(`'${addr}' is not host:port`);
  return `${addr.slice(0, split)}:${port - 2}`;
}
