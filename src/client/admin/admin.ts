import { decodeHARuntimeInfo, type HARuntimeInfo } from '../../protocol/bodies/ha-runtime-info.js';
import { promisify } from 'node:util';
import { inflate } from 'node:zlib';
import { MQBrokerError } from '../../common/errors.js';
import { decodeAclInfo, decodeAclInfoList, decodeUserInfo, decodeUserInfoList, encodeAuthBody, type AclInfo, type UserInfo } from '../../protocol/bodies/auth.js';
import {
  decodeAclFileVersion,
  decodeAllAclFileVersion,
  decodeBrokerClusterAclConfig,
  type AclFileVersion,
  type BrokerClusterAclConfig,
  type PlainAccessConfigBody,
} from '../../protocol/bodies/acl-v1.js';
import type { BrokerStatsData, ProducerInfo } from '../../protocol/bodies/broker-stats.js';
import { decodeClusterInfo, type ClusterInfo } from '../../protocol/bodies/cluster-info.js';
import { decodeKVTable } from '../../protocol/bodies/kv-table.js';
import { decodeConsumeStats, decodeResetOffsetBody, type ConsumerConnection } from '../../protocol/bodies/consumer-admin.js';
import { encodeHeartbeatData, type ConsumerData } from '../../protocol/bodies/heartbeat-data.js';
import type { MessageQueue } from '../../protocol/bodies/message-queue.js';
import { decodeSubscriptionGroupWrapper, type SubscriptionGroupConfig } from '../../protocol/bodies/subscription-group-wrapper.js';
import { decodeTopicConfigSerializeWrapper } from '../../protocol/bodies/topic-config-serialize-wrapper.js';
import type { TopicConfig } from '../../protocol/bodies/topic-config.js';
import { decodeTopicList } from '../../protocol/bodies/topic-list.js';
import type { TopicRouteData } from '../../protocol/bodies/topic-route-data.js';
import type { CustomHeader } from '../../protocol/custom-header.js';
import { GetBrokerAclConfigResponseHeader } from '../../protocol/headers/acl-v1.js';
import { OffsetResponseHeader, PullMessageResponseHeader, QueryConsumerOffsetResponseHeader } from '../../protocol/headers/broker.js';
import { decodeStoredMessage, decodeStoredMessages } from '../../protocol/message/message-decoder.js';
import { decodeMessageId } from '../../protocol/message/message-id.js';
import type { MessageExt } from '../../protocol/message/message.js';
import { MessageSysFlag } from '../../protocol/message/message-sys-flag.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { AUTO_CREATE_TOPIC_KEY_TOPIC, type MQClientAPIImpl } from '../client-api.js';
import type { MQClientInstance } from '../client-instance.js';
import { MQClientManager } from '../client-manager.js';
import { resolveClientConfig, type ClientOptions } from '../config.js';
import { MQClientError } from '../errors.js';
import { clientNamespace, isAlreadyWithNamespace, type ClientNamespace } from '../namespace.js';
import { RMQ_SYS_TRACE_TOPIC } from '../trace/async-trace-dispatcher.js';
import { buildMessageTrace, type FoundTraceRecord, type MessageTrace } from '../trace/message-trace.js';
import { decodeTraceData } from '../trace/trace-data-encoder.js';
import {
  compareMessageQueue,
  decodeConsumerConnection,
  decodeBrokerStatsData,
  decodeConsumerRunningInfo,
  decodeProducerTableInfo,
  decodeTopicStatsTable,
  type ConsumeProgress,
  type ConsumerRunningInfo,
  type TopicOffset,
} from './admin-bodies.js';

const MASTER_ID = 0;
/** PermName: PERM_READ | PERM_WRITE, what mqadmin updateTopic gives a topic unless told otherwise. */
const DEFAULT_PERM = 6;
const DEFAULT_QUEUE_NUMS = 8;
/** MixAll.RETRY_GROUP_TOPIC_PREFIX: a group's retry topic is routed to every broker the group consumes on. */
const RETRY_GROUP_TOPIC_PREFIX = '%RETRY%';
/** MessageConst / QueryMessageProcessor: the extField that turns QUERY_MESSAGE into a lookup by UNIQ_KEY. */
const UNIQUE_KEY_QUERY = '_UNIQUE_KEY_QUERY';
const inflateAsync = promisify(inflate);
/** The dashboard's query of the trace topic: at most 64 trace messages. */
const TRACE_QUERY_MAX_NUM = 64;
/** MQAdminImpl.queryMessageByUniqKey: at most 32 hits, from the last three days. */
const UNIQ_KEY_MAX_NUM = 32;
const THREE_DAYS_MILLIS = 3 * 24 * 3600_000;
/** PullSysFlag: FLAG_SUBSCRIPTION (0x4) alone, a pull with its own expression that answers at once (no FLAG_SUSPEND 0x2). */
const PULL_SYS_FLAG_SUBSCRIPTION = 0x4;

export interface AdminOptions extends ClientOptions {
  /** Timeout of each request (DefaultMQAdminExt's timeoutMillis), ms; default 5000. */
  timeoutMillis?: number;
  /** The registry of client instances; default the process-wide one. */
  clientManager?: MQClientManager;
}

/** Where createTopic and deleteTopic act: every master (and, to delete, slave) of a cluster, or one broker. */
export type BrokerTarget = { cluster: string } | { brokerAddr: string };

export interface CreateTopicOptions {
  readQueueNums?: number;
  writeQueueNums?: number;
  /** PermName bits: 2 write, 4 read, 1 inherit; default 6. */
  perm?: number;
  order?: boolean;
  /**
   * The topic attribute `message.type` (what the 5.x gRPC SDKs may send to it): NORMAL, FIFO, DELAY, TRANSACTION or
   * MIXED (all four); sent as mqadmin's `-a +message.type=…`. Absent: no attribute (the topic reads as NORMAL).
   */
  messageType?: 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION' | 'MIXED';
}

/** GET_BROKER_CLUSTER_ACL_INFO's answer (mqadmin clusterAclConfigVersion). */
export interface BrokerAclConfigVersion {
  brokerName: string;
  brokerAddr: string;
  clusterName: string;
  /** The default plain_acl.yml's version. */
  version: AclFileVersion;
  /** Every ACL file's version, by path on the broker. */
  allAclFileVersion: Map<string, AclFileVersion>;
}

export interface PullResult {
  /** FOUND, NO_NEW_MSG, NO_MATCHED_MSG or OFFSET_ILLEGAL, as Java's PullStatus. */
  status: 'FOUND' | 'NO_NEW_MSG' | 'NO_MATCHED_MSG' | 'OFFSET_ILLEGAL';
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
  messages: MessageExt[];
}

/**
 * DefaultMQAdminExt: the calls of mqadmin, typed. Each method is what Java's DefaultMQAdminExtImpl sends (codes,
 * headers, the brokers asked) with the answer decoded. A broker's refusal is an MQBrokerError; a name server's
 * (unknown topic), or no answer worth having, an MQClientError.
 *
 * With a `namespace`, the admin works in it as the namespace's producers and consumers do: topics, groups and
 * queues given are wrapped ("ns%name", as Java's MQAdmin methods of a producer or consumer wrap theirs), and
 * those in answers (queues, messages' topics, subscriptions) come back without the namespace; topicList lists the
 * namespace's topics only. (Java's DefaultMQAdminExt has no namespace: mqadmin shows and takes the full names.)
 */
export class Admin {
  private readonly options: AdminOptions;
  private readonly ns: ClientNamespace;
  private readonly timeoutMillis: number;
  private instance: MQClientInstance | undefined;

  constructor(options: AdminOptions = {}) {
    this.options = options;
    this.ns = clientNamespace(options);
    this.timeoutMillis = options.timeoutMillis ?? 5000;
    if (!Number.isFinite(this.timeoutMillis) || this.timeoutMillis <= 0) throw new RangeError(`timeoutMillis must be positive, not ${this.timeoutMillis}`);
  }

  async start(): Promise<void> {
    if (this.instance !== undefined) return;
    const config = resolveClientConfig(this.options);
    const instance = (this.options.clientManager ?? MQClientManager.getInstance()).getOrCreateMQClientInstance(config);
    await instance.start();
    this.instance = instance;
  }

  async shutdown(): Promise<void> {
    const instance = this.instance;
    this.instance = undefined;
    await instance?.shutdown();
  }

  /** The client id the admin runs under, once started. */
  get clientId(): string | undefined {
    return this.instance?.clientId;
  }

  /** The namespace its names are wrapped in (the option, or its name-server endpoint's); undefined for none. */
  get namespace(): string | undefined {
    return this.ns.namespace;
  }

  /** UPDATE_AND_CREATE_TOPIC on every master of the cluster (or the one broker); resolves to the brokers asked. */
  async createTopic(target: BrokerTarget, userTopic: string, options: CreateTopicOptions = {}): Promise<string[]> {
    const topic = this.ns.wrap(userTopic);
    const addrs = 'brokerAddr' in target ? [target.brokerAddr] : this.masters(await this.clusterInfo(), target.cluster);
    if (addrs.length === 0) throw new MQClientError(`no master broker in cluster ${'cluster' in target ? target.cluster : ''}`);
    const header = {
      topic,
      defaultTopic: AUTO_CREATE_TOPIC_KEY_TOPIC,
      readQueueNums: options.readQueueNums ?? DEFAULT_QUEUE_NUMS,
      writeQueueNums: options.writeQueueNums ?? DEFAULT_QUEUE_NUMS,
      perm: options.perm ?? DEFAULT_PERM,
      topicFilterType: 'SINGLE_TAG',
      topicSysFlag: 0,
      order: options.order ?? false,
      ...(options.messageType === undefined ? {} : { attributes: `+message.type=${options.messageType}` }),
    };
    for (const addr of addrs) await this.call(addr, RequestCode.UPDATE_AND_CREATE_TOPIC, header);
    return addrs;
  }

  /**
   * DELETE_TOPIC_IN_BROKER on every broker (masters and slaves) of the cluster, then DELETE_TOPIC_IN_NAMESRV on every
   * name server, as Java's deleteTopic. Without a cluster, the brokers are those of the topic's route.
   */
  async deleteTopic(userTopic: string, cluster?: string): Promise<void> {
    const topic = this.ns.wrap(userTopic);
    let addrs: string[];
    if (cluster !== undefined) {
      const info = await this.clusterInfo();
      const names = info.clusterAddrTable.get(cluster) ?? [];
      addrs = names.flatMap((name) => [...(info.brokerAddrTable.get(name)?.brokerAddrs.values() ?? [])]);
    } else {
      addrs = (await this.topicRoute(topic)).brokerDatas.flatMap((bd) => [...bd.brokerAddrs.values()]);
    }
    for (const addr of addrs) await this.call(addr, RequestCode.DELETE_TOPIC_IN_BROKER, { topic });
    for (const addr of this.api().getNameServerAddressList()) await this.call(addr, RequestCode.DELETE_TOPIC_IN_NAMESRV, { topic });
  }

  /**
   * GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206). With a namespace, only its topics (retry and dead-letter topics of its
   * groups included), without the namespace.
   */
  async topicList(): Promise<string[]> {
    const topics = decodeTopicList((await this.call(null, RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER)).body).topicList;
    if (!this.ns.active) return topics;
    return topics.filter((topic) => isAlreadyWithNamespace(topic, this.ns.namespace)).map((topic) => this.ns.unwrap(topic));
  }

  /** GET_ROUTEINFO_BY_TOPIC (105); an unknown topic is MQClientError with TOPIC_NOT_EXIST. */
  async topicRoute(userTopic: string): Promise<TopicRouteData> {
    return this.routeOf(this.ns.wrap(userTopic));
  }

  /** The route of a topic as named on the wire. */
  private async routeOf(topic: string): Promise<TopicRouteData> {
    const route = await this.api().getTopicRouteInfoFromNameServer(topic, this.timeoutMillis);
    if (route === undefined) {
      throw new MQClientError(`No topic route info in name server for the topic: ${topic}`, { responseCode: ResponseCode.TOPIC_NOT_EXIST });
    }
    return route;
  }

  /** GET_BROKER_CLUSTER_INFO (106). */
  async clusterInfo(): Promise<ClusterInfo> {
    return decodeClusterInfo((await this.call(null, RequestCode.GET_BROKER_CLUSTER_INFO)).body);
  }

  /** GET_BROKER_RUNTIME_INFO (28) of one broker, key to value; mqadmin brokerStatus. */
  async brokerRuntimeInfo(brokerAddr: string): Promise<Map<string, string>> {
    return decodeKVTable((await this.call(brokerAddr, RequestCode.GET_BROKER_RUNTIME_INFO)).body);
  }

  /** GET_BROKER_HA_STATUS (907) of one broker: its replication links; mqadmin haStatus. */
  async brokerHAStatus(brokerAddr: string): Promise<HARuntimeInfo> {
    return decodeHARuntimeInfo((await this.call(brokerAddr, RequestCode.GET_BROKER_HA_STATUS)).body);
  }

  /** GET_TOPIC_STATS_INFO (202) from each broker of the route, merged and sorted; mqadmin topicStatus. */
  async topicStats(userTopic: string): Promise<TopicOffset[]> {
    const topic = this.ns.wrap(userTopic);
    const route = await this.topicRoute(topic);
    const offsets: TopicOffset[] = [];
    for (const addr of selectBrokerAddrs(route)) {
      offsets.push(...decodeTopicStatsTable((await this.call(addr, RequestCode.GET_TOPIC_STATS_INFO, { topic })).body));
    }
    if (offsets.length === 0) throw new MQClientError('Not found the topic stats info');
    return offsets.map((o) => ({ ...o, mq: this.ns.unwrapQueue(o.mq) })).sort((a, b) => compareMessageQueue(a.mq, b.mq));
  }

  /**
   * GET_CONSUME_STATS (208) from each broker the group's retry topic (or, failing that, `topic`) is routed to,
   * merged: mqadmin consumerProgress. Brokers are every master when neither topic has a route (a group that only
   * committed offsets, never sent anything back).
   */
  async consumerProgress(userGroup: string, userTopic?: string): Promise<ConsumeProgress> {
    const group = this.ns.wrap(userGroup);
    const topic = this.ns.wrap(userTopic);
    let addrs: string[] | undefined;
    for (const routeTopic of [RETRY_GROUP_TOPIC_PREFIX + group, ...(topic === undefined ? [] : [topic])]) {
      const route = await this.api().getTopicRouteInfoFromNameServer(routeTopic, this.timeoutMillis);
      if (route !== undefined) {
        addrs = selectBrokerAddrs(route);
        break;
      }
    }
    addrs ??= this.masters(await this.clusterInfo());
    const progress: ConsumeProgress = { consumeTps: 0, offsetTable: [], diffTotal: 0 };
    for (const addr of addrs) {
      const response = await this.call(addr, RequestCode.GET_CONSUME_STATS, { consumerGroup: group, ...(topic === undefined ? {} : { topic }) }, this.timeoutMillis * 3);
      const stats = decodeConsumeStats(response.body);
      progress.consumeTps += stats.consumeTps;
      for (const [mq, offset] of stats.offsetTable) progress.offsetTable.push({ mq: this.ns.unwrapQueue(mq), ...offset, diff: offset.brokerOffset - offset.consumerOffset });
    }
    progress.offsetTable.sort((a, b) => compareMessageQueue(a.mq, b.mq));
    progress.diffTotal = progress.offsetTable.reduce((sum, q) => sum + q.diff, 0);
    return progress;
  }

  /**
   * INVOKE_BROKER_TO_RESET_OFFSET (222) on every master of the topic's route; the new offset of each queue. When the
   * group has no consumer online the brokers refuse (CONSUMER_NOT_ONLINE), and, as mqadmin resetOffsetByTime does,
   * the offsets are then committed directly (resetOffsetByTimestampOld: SEARCH_OFFSET_BY_TIMESTAMP + UPDATE_CONSUMER_OFFSET).
   */
  async resetOffsetByTimestamp(userTopic: string, userGroup: string, timestamp: number, isForce = true): Promise<{ mq: MessageQueue; offset: number }[]> {
    const topic = this.ns.wrap(userTopic);
    const group = this.ns.wrap(userGroup);
    const route = await this.topicRoute(topic);
    const result: { mq: MessageQueue; offset: number }[] = [];
    for (const bd of route.brokerDatas) {
      const addr = bd.brokerAddrs.get(MASTER_ID);
      if (addr === undefined) continue;
      const request = RemotingCommand.createRequestCommand(RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, { topic, group, timestamp, isForce });
      const response = await this.api().remotingClient.invokeSync(addr, request, this.timeoutMillis);
      if (response.code === ResponseCode.CONSUMER_NOT_ONLINE) {
        result.push(...(await this.resetOffsetOffline(addr, bd.brokerName, topic, group, timestamp, isForce)));
        continue;
      }
      if (response.code !== ResponseCode.SUCCESS) throw new MQBrokerError(response.code, response.remark, addr);
      for (const [mq, offset] of decodeResetOffsetBody(response.body)) result.push({ mq, offset });
    }
    return result.map((r) => ({ mq: this.ns.unwrapQueue(r.mq), offset: r.offset })).sort((a, b) => compareMessageQueue(a.mq, b.mq));
  }

  /**
   * A message by id: an offset msgId (store host + commit-log offset) is read with VIEW_MESSAGE_BY_ID (33) from
   * that broker; anything else, or an offset id whose broker does not answer it, is taken for a producer's
   * UNIQ_KEY and looked up by key, as DefaultMQAdminExtImpl.viewMessage does. `topic` is needed for the latter.
   */
  async viewMessage(msgId: string, userTopic?: string): Promise<MessageExt> {
    const topic = this.ns.wrap(userTopic);
    let offsetId: { addr: string; offset: number } | undefined;
    try {
      const { storeHost, offset } = decodeMessageId(msgId);
      offsetId = { addr: `${storeHost.address}:${storeHost.port}`, offset };
    } catch {
      // Not an offset msgId: a UNIQ_KEY of another shape.
    }
    // A UNIQ_KEY is also 32 hex digits, so it decodes too; only an address a broker registered is tried.
    if (offsetId !== undefined && (await this.isBrokerAddr(offsetId.addr))) {
      try {
        const response = await this.call(offsetId.addr, RequestCode.VIEW_MESSAGE_BY_ID, { ...(topic === undefined ? {} : { topic }), offset: offsetId.offset });
        if (response.body !== undefined) return this.unwrapMessage(decodeStoredMessage(response.body));
      } catch (err) {
        if (topic === undefined) throw err;
      }
    }
    if (topic === undefined) throw new MQClientError(`message ${msgId} is not an offset msgId of a live broker; its topic is needed`, { responseCode: ResponseCode.NO_MESSAGE });
    const [first] = await this.doQueryMessage(topic, msgId, UNIQ_KEY_MAX_NUM, Date.now() - THREE_DAYS_MILLIS, Number.MAX_SAFE_INTEGER, true);
    return this.unwrapMessage(first as MessageExt);
  }

  /**
   * QUERY_MESSAGE (12) by business key on every broker of the topic, in [begin, end] store time; only messages whose
   * KEYS hold `key` exactly (the index matches hashes). None is MQClientError NO_MESSAGE, as in Java.
   */
  async queryMessage(topic: string, key: string, options: { maxNum?: number; begin?: number; end?: number } = {}): Promise<MessageExt[]> {
    const found = await this.doQueryMessage(this.ns.wrap(topic), key, options.maxNum ?? 32, options.begin ?? 0, options.end ?? Number.MAX_SAFE_INTEGER, false);
    return found.map((msg) => this.unwrapMessage(msg));
  }

  /**
   * A message's life from its trace records, as the dashboard's message trace shows it: the trace topic (default
   * RMQ_SYS_TRACE_TOPIC; never namespaced, as traced clients write it) queried by key = `msgId` (QUERY_MESSAGE on
   * every broker of the topic, up to 64 trace messages, as the dashboard asks), its records decoded, and those of
   * `msgId` assembled: the sends (Pub), transaction ends (EndTransaction), and each consumer group's attempts
   * (SubBefore joined with SubAfter). `msgId` is the producer's id (UNIQ_KEY), which the records carry. A message
   * with no records gives an empty trace; a trace topic no name server knows is MQClientError TOPIC_NOT_EXIST.
   */
  async queryTrace(msgId: string, options: { traceTopic?: string } = {}): Promise<MessageTrace> {
    const traceTopic = options.traceTopic ?? RMQ_SYS_TRACE_TOPIC;
    let found: MessageExt[] = [];
    try {
      found = await this.doQueryMessage(traceTopic, msgId, TRACE_QUERY_MAX_NUM, 0, Date.now(), false);
    } catch (err) {
      if (!(err instanceof MQClientError && err.responseCode === ResponseCode.NO_MESSAGE)) throw err;
    }
    const records: FoundTraceRecord[] = [];
    for (const msg of found) {
      // Java's trace producer, as ours, compresses a body over 4 KiB; the admin's decoder inflates it (MessageDecoder.decodes).
      const body = (msg.sysFlag & MessageSysFlag.COMPRESSED_FLAG) === 0 ? msg.body : await inflateAsync(msg.body).catch(() => undefined);
      if (body === undefined) continue;
      const clientHost = `${msg.bornHost.address}:${msg.bornHost.port}`;
      for (const record of decodeTraceData(body.toString('utf8'))) records.push({ record, clientHost });
    }
    return buildMessageTrace(msgId, traceTopic, records);
  }

  /** GET_CONSUMER_CONNECTION_LIST (203) from a broker of the group's retry topic (or any master). */
  async consumerConnection(userGroup: string): Promise<ConsumerConnection> {
    const group = this.ns.wrap(userGroup);
    const route = await this.api().getTopicRouteInfoFromNameServer(RETRY_GROUP_TOPIC_PREFIX + group, this.timeoutMillis);
    const addrs = route === undefined ? this.masters(await this.clusterInfo()) : selectBrokerAddrs(route);
    let lastError: unknown = new MQClientError(`no broker to ask about group ${group}`);
    for (const addr of addrs) {
      try {
        const connection = decodeConsumerConnection((await this.call(addr, RequestCode.GET_CONSUMER_CONNECTION_LIST, { consumerGroup: group })).body);
        if (!this.ns.active) return connection;
        const subscriptions = [...connection.subscriptionTable.values()].map((sd) => ({ ...sd, topic: this.ns.unwrap(sd.topic) }));
        return { ...connection, subscriptionTable: new Map(subscriptions.map((sd) => [sd.topic, sd])) };
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  }

  /**
   * GET_CONSUMER_RUNNING_INFO (307) through a broker of the group's retry topic, which asks the client: mqadmin
   * consumerStatus. Its queues' in-memory offsets show consumption live, ahead of commits; `jstack` asks for the
   * client's thread stacks too (mqadmin consumerStatus -s).
   */
  async consumerRunningInfo(userGroup: string, clientId: string, options: { jstack?: boolean } = {}): Promise<ConsumerRunningInfo> {
    const group = this.ns.wrap(userGroup);
    const route = await this.api().getTopicRouteInfoFromNameServer(RETRY_GROUP_TOPIC_PREFIX + group, this.timeoutMillis);
    const addr = (route === undefined ? this.masters(await this.clusterInfo()) : selectBrokerAddrs(route))[0];
    if (addr === undefined) throw new MQClientError(`no broker to ask about group ${group}`);
    const response = await this.call(addr, RequestCode.GET_CONSUMER_RUNNING_INFO, { consumerGroup: group, clientId, jstackEnable: options.jstack === true });
    const info = decodeConsumerRunningInfo(response.body);
    if (!this.ns.active) return info;
    return { ...info, mqTable: info.mqTable.map((q) => ({ ...q, mq: this.ns.unwrapQueue(q.mq) })), statusTable: new Map([...info.statusTable].map(([topic, status]) => [this.ns.unwrap(topic), status])) };
  }

  /** GET_ALL_TOPIC_CONFIG (21) of one broker: its topics' configs by name (DefaultMQAdminExt.getAllTopicConfig). */
  async allTopicConfig(brokerAddr: string): Promise<Map<string, TopicConfig>> {
    return decodeTopicConfigSerializeWrapper((await this.call(brokerAddr, RequestCode.GET_ALL_TOPIC_CONFIG)).body).topicConfigTable;
  }

  /** GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201) of one broker: its consumer groups' configs by name. */
  async allSubscriptionGroup(brokerAddr: string): Promise<Map<string, SubscriptionGroupConfig>> {
    return decodeSubscriptionGroupWrapper((await this.call(brokerAddr, RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG)).body).subscriptionGroupTable;
  }

  /** GET_ALL_PRODUCER_INFO (328) of one broker: its producer connections by group (DefaultMQAdminExt.getAllProducerInfo). */
  async allProducerInfo(brokerAddr: string): Promise<Map<string, ProducerInfo[]>> {
    return decodeProducerTableInfo((await this.call(brokerAddr, RequestCode.GET_ALL_PRODUCER_INFO)).body);
  }

  /**
   * VIEW_BROKER_STATS_DATA (315) of one broker: a stats item's minute, hour and day windows (mqadmin statsAll, the
   * dashboard's charts), e.g. TOPIC_PUT_NUMS of a topic or GROUP_GET_NUMS of `topic@group`. An item the broker never
   * counted is refused (SYSTEM_ERROR), as in Java.
   */
  async viewBrokerStatsData(brokerAddr: string, statsName: string, statsKey: string): Promise<BrokerStatsData> {
    return decodeBrokerStatsData((await this.call(brokerAddr, RequestCode.VIEW_BROKER_STATS_DATA, { statsName, statsKey })).body);
  }

  /** DELETE_SUBSCRIPTIONGROUP (207) on one broker, its committed offsets too when `cleanOffset` (mqadmin deleteSubGroup -r). */
  async deleteSubscriptionGroup(brokerAddr: string, userGroup: string, cleanOffset = false): Promise<void> {
    await this.call(brokerAddr, RequestCode.DELETE_SUBSCRIPTIONGROUP, { groupName: this.ns.wrap(userGroup), cleanOffset });
  }

  /** GET_MAX_OFFSET (30): the consume-queue offset after the queue's last message. */
  async maxOffset(brokerAddr: string, mq: MessageQueue): Promise<number> {
    const response = await this.call(brokerAddr, RequestCode.GET_MAX_OFFSET, { topic: this.ns.wrap(mq.topic), queueId: mq.queueId });
    return response.decodeCommandCustomHeader(OffsetResponseHeader).offset;
  }

  /** GET_MIN_OFFSET (31). */
  async minOffset(brokerAddr: string, mq: MessageQueue): Promise<number> {
    const response = await this.call(brokerAddr, RequestCode.GET_MIN_OFFSET, { topic: this.ns.wrap(mq.topic), queueId: mq.queueId });
    return response.decodeCommandCustomHeader(OffsetResponseHeader).offset;
  }

  /** QUERY_CONSUMER_OFFSET (14); undefined when the group has committed nothing for the queue. */
  async queryConsumerOffset(brokerAddr: string, group: string, mq: MessageQueue): Promise<number | undefined> {
    const header = { consumerGroup: this.ns.wrap(group), topic: this.ns.wrap(mq.topic), queueId: mq.queueId, setZeroIfNotFound: false };
    const response = await this.api().remotingClient.invokeSync(brokerAddr, RemotingCommand.createRequestCommand(RequestCode.QUERY_CONSUMER_OFFSET, header), this.timeoutMillis);
    if (response.code === ResponseCode.QUERY_NOT_FOUND) return undefined;
    if (response.code !== ResponseCode.SUCCESS) throw new MQBrokerError(response.code, response.remark, brokerAddr);
    const offset = response.decodeCommandCustomHeader(QueryConsumerOffsetResponseHeader).offset;
    return offset < 0 ? undefined : offset;
  }

  /** UPDATE_CONSUMER_OFFSET (15): commits the group's next offset of the queue. */
  async updateConsumerOffset(brokerAddr: string, group: string, mq: MessageQueue, offset: number): Promise<void> {
    await this.call(brokerAddr, RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: this.ns.wrap(group), topic: this.ns.wrap(mq.topic), queueId: mq.queueId, commitOffset: offset });
  }

  /** PULL_MESSAGE (11) without suspension: what a simple pull consumer needs, statuses as Java's PullStatus. */
  async pullMessage(brokerAddr: string, group: string, mq: MessageQueue, offset: number, maxNums: number, subscription = '*'): Promise<PullResult> {
    const header = {
      consumerGroup: this.ns.wrap(group),
      topic: this.ns.wrap(mq.topic),
      queueId: mq.queueId,
      queueOffset: offset,
      maxMsgNums: maxNums,
      sysFlag: PULL_SYS_FLAG_SUBSCRIPTION,
      commitOffset: 0,
      suspendTimeoutMillis: 0,
      subscription,
      subVersion: 0,
      expressionType: 'TAG',
    };
    const request = RemotingCommand.createRequestCommand(RequestCode.PULL_MESSAGE, header);
    const response = await this.api().remotingClient.invokeSync(brokerAddr, request, this.timeoutMillis);
    const status = PULL_STATUS.get(response.code);
    if (status === undefined) throw new MQBrokerError(response.code, response.remark, brokerAddr);
    const h = response.decodeCommandCustomHeader(PullMessageResponseHeader);
    const messages = status === 'FOUND' && response.body !== undefined ? decodeStoredMessages(response.body).map((msg) => this.unwrapMessage(msg)) : [];
    return { status, nextBeginOffset: h.nextBeginOffset, minOffset: h.minOffset, maxOffset: h.maxOffset, messages };
  }

  /**
   * HEART_BEAT with one consumer group to every master, so brokers list the group as online (consumerConnection,
   * and reset pushed to it) while a pull loop runs; `unregisterConsumer` ends it.
   */
  async registerConsumer(given: ConsumerData): Promise<void> {
    const clientID = this.runningInstance().clientId;
    const consumerData = this.ns.active
      ? { ...given, groupName: this.ns.wrap(given.groupName), subscriptionDataSet: given.subscriptionDataSet.map((sd) => ({ ...sd, topic: this.ns.wrap(sd.topic) })) }
      : given;
    const body = { clientID, producerDataSet: [], consumerDataSet: [consumerData], heartbeatFingerprint: 0, withoutSub: false };
    for (const addr of this.masters(await this.clusterInfo())) {
      await this.call(addr, RequestCode.HEART_BEAT, undefined, this.timeoutMillis, encodeHeartbeatData(body));
    }
  }

  /** UNREGISTER_CLIENT of the group on every master. */
  async unregisterConsumer(group: string): Promise<void> {
    const clientID = this.runningInstance().clientId;
    for (const addr of this.masters(await this.clusterInfo())) await this.call(addr, RequestCode.UNREGISTER_CLIENT, { clientID, consumerGroup: this.ns.wrap(group) });
  }

  /** The master of every broker group of the cluster (or of every cluster). */
  masters(info: ClusterInfo, cluster?: string): string[] {
    const names = cluster === undefined ? [...info.brokerAddrTable.keys()] : (info.clusterAddrTable.get(cluster) ?? []);
    return names.map((name) => info.brokerAddrTable.get(name)?.brokerAddrs.get(MASTER_ID)).filter((a): a is string => a !== undefined);
  }

  /** AUTH_CREATE_USER (3001) on one broker (ACL 2.0); DefaultMQAdminExt.createUser. */
  async createUser(brokerAddr: string, user: UserInfo): Promise<void> {
    await this.call(brokerAddr, RequestCode.AUTH_CREATE_USER, { username: user.username }, this.timeoutMillis, encodeAuthBody(user));
  }

  /** AUTH_UPDATE_USER (3002): password, type or status. */
  async updateUser(brokerAddr: string, user: UserInfo): Promise<void> {
    await this.call(brokerAddr, RequestCode.AUTH_UPDATE_USER, { username: user.username }, this.timeoutMillis, encodeAuthBody(user));
  }

  /** AUTH_DELETE_USER (3003). */
  async deleteUser(brokerAddr: string, username: string): Promise<void> {
    await this.call(brokerAddr, RequestCode.AUTH_DELETE_USER, { username });
  }

  /** AUTH_GET_USER (3004); MQBrokerError USER_NOT_EXIST when there is none. */
  async getUser(brokerAddr: string, username: string): Promise<UserInfo> {
    return decodeUserInfo((await this.call(brokerAddr, RequestCode.AUTH_GET_USER, { username })).body);
  }

  /** AUTH_LIST_USER (3005), the names containing `filter` if given. */
  async listUsers(brokerAddr: string, filter?: string): Promise<UserInfo[]> {
    return decodeUserInfoList((await this.call(brokerAddr, RequestCode.AUTH_LIST_USER, { filter })).body);
  }

  /** AUTH_CREATE_ACL (3006): policies of a subject ("User:alice"). */
  async createAcl(brokerAddr: string, acl: AclInfo): Promise<void> {
    await this.call(brokerAddr, RequestCode.AUTH_CREATE_ACL, { subject: acl.subject }, this.timeoutMillis, encodeAuthBody(acl));
  }

  /** AUTH_UPDATE_ACL (3007). */
  async updateAcl(brokerAddr: string, acl: AclInfo): Promise<void> {
    await this.call(brokerAddr, RequestCode.AUTH_UPDATE_ACL, { subject: acl.subject }, this.timeoutMillis, encodeAuthBody(acl));
  }

  /** AUTH_DELETE_ACL (3008): the subject's ACL, or one resource's entry of one policy type. */
  async deleteAcl(brokerAddr: string, subject: string, options: { policyType?: string; resource?: string } = {}): Promise<void> {
    await this.call(brokerAddr, RequestCode.AUTH_DELETE_ACL, { subject, policyType: options.policyType, resource: options.resource });
  }

  /** AUTH_GET_ACL (3009). */
  async getAcl(brokerAddr: string, subject: string): Promise<AclInfo> {
    return decodeAclInfo((await this.call(brokerAddr, RequestCode.AUTH_GET_ACL, { subject })).body);
  }

  /** AUTH_LIST_ACL (3010), filtered by subject and resource if given. */
  async listAcls(brokerAddr: string, filters: { subject?: string; resource?: string } = {}): Promise<AclInfo[]> {
    return decodeAclInfoList((await this.call(brokerAddr, RequestCode.AUTH_LIST_ACL, { subjectFilter: filters.subject, resourceFilter: filters.resource })).body);
  }

  /**
   * UPDATE_AND_CREATE_ACL_CONFIG (50, ACL 1.0): creates the account in the broker's plain_acl.yml or updates it in
   * its file; DefaultMQAdminExt.createAndUpdatePlainAccessConfig. Lists travel joined by ','.
   */
  async updatePlainAccessConfig(brokerAddr: string, config: PlainAccessConfigBody): Promise<void> {
    await this.call(brokerAddr, RequestCode.UPDATE_AND_CREATE_ACL_CONFIG, {
      accessKey: config.accessKey,
      secretKey: config.secretKey,
      admin: config.admin,
      defaultGroupPerm: config.defaultGroupPerm,
      defaultTopicPerm: config.defaultTopicPerm,
      whiteRemoteAddress: config.whiteRemoteAddress,
      topicPerms: config.topicPerms?.join(','),
      groupPerms: config.groupPerms?.join(','),
    });
  }

  /** DELETE_ACL_CONFIG (51); DefaultMQAdminExt.deletePlainAccessConfig. */
  async deletePlainAccessConfig(brokerAddr: string, accessKey: string): Promise<void> {
    await this.call(brokerAddr, RequestCode.DELETE_ACL_CONFIG, { accessKey });
  }

  /** GET_BROKER_CLUSTER_ACL_INFO (52); DefaultMQAdminExt.examineBrokerClusterAclVersionInfo. */
  async aclConfigVersion(brokerAddr: string): Promise<BrokerAclConfigVersion> {
    const response = await this.call(brokerAddr, RequestCode.GET_BROKER_CLUSTER_ACL_INFO);
    const header = response.decodeCommandCustomHeader(GetBrokerAclConfigResponseHeader);
    return {
      brokerName: header.brokerName,
      brokerAddr: header.brokerAddr,
      clusterName: header.clusterName,
      version: decodeAclFileVersion(header.version),
      allAclFileVersion: decodeAllAclFileVersion(header.allAclFileVersion),
    };
  }

  /** UPDATE_GLOBAL_WHITE_ADDRS_CONFIG (53): the whitelist of one ACL file (the default plain_acl.yml when omitted). */
  async updateGlobalWhiteAddrs(brokerAddr: string, addrs: readonly string[], aclFileFullPath = ''): Promise<void> {
    await this.call(brokerAddr, RequestCode.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG, { globalWhiteAddrs: addrs.join(','), aclFileFullPath });
  }

  /** GET_BROKER_CLUSTER_ACL_CONFIG (54, 5.0-5.3.2): every ACL file's whitelist and accounts, secrets included. */
  async brokerClusterAclConfig(brokerAddr: string): Promise<BrokerClusterAclConfig> {
    return decodeBrokerClusterAclConfig((await this.call(brokerAddr, RequestCode.GET_BROKER_CLUSTER_ACL_CONFIG)).body);
  }

  private async doQueryMessage(topic: string, key: string, maxNum: number, begin: number, end: number, isUniqKey: boolean): Promise<MessageExt[]> {
    const route = await this.routeOf(topic);
    const header = { topic, key, maxNum, beginTimestamp: begin, endTimestamp: end };
    const found: MessageExt[] = [];
    // As MQAdminImpl: a broker that fails or finds nothing leaves the others' answers standing.
    const answers = await Promise.allSettled(
      selectBrokerAddrs(route).map(async (addr) => {
        const request = RemotingCommand.createRequestCommand(RequestCode.QUERY_MESSAGE, header);
        if (isUniqKey) request.extFields = { ...request.extFields, [UNIQUE_KEY_QUERY]: 'true' };
        const response = await this.api().remotingClient.invokeSync(addr, request, this.timeoutMillis * 3);
        return response.code === ResponseCode.SUCCESS && response.body !== undefined ? decodeStoredMessages(response.body) : [];
      }),
    );
    for (const answer of answers) {
      if (answer.status !== 'fulfilled') continue;
      for (const msg of answer.value) {
        const matched = isUniqKey ? msg.uniqKey === key : msg.topic === topic && msg.keyList.includes(key);
        if (matched) found.push(msg);
      }
    }
    if (found.length === 0) throw new MQClientError('query message by key finished, but no message.', { responseCode: ResponseCode.NO_MESSAGE });
    return found;
  }

  /** MQClientAPIImpl.viewMessage and MQAdminImpl.queryMessage: a message's topic without the namespace. */
  private unwrapMessage(msg: MessageExt): MessageExt {
    if (this.ns.active) msg.topic = this.ns.unwrap(msg.topic);
    return msg;
  }

  private async resetOffsetOffline(addr: string, brokerName: string, topic: string, group: string, timestamp: number, isForce: boolean): Promise<{ mq: MessageQueue; offset: number }[]> {
    const stats = decodeConsumeStats((await this.call(addr, RequestCode.GET_CONSUME_STATS, { consumerGroup: group, topic })).body);
    const result: { mq: MessageQueue; offset: number }[] = [];
    for (const [mq, wrapper] of stats.offsetTable) {
      if (mq.brokerName !== brokerName) continue;
      const response = await this.call(addr, RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, { topic: mq.topic, queueId: mq.queueId, timestamp });
      const offset = response.decodeCommandCustomHeader(OffsetResponseHeader).offset;
      if (isForce || offset <= wrapper.consumerOffset) {
        await this.updateConsumerOffset(addr, group, mq, offset);
        result.push({ mq, offset });
      }
    }
    return result;
  }

  private async isBrokerAddr(addr: string): Promise<boolean> {
    const info = await this.clusterInfo();
    for (const bd of info.brokerAddrTable.values()) for (const a of bd.brokerAddrs.values()) if (a === addr) return true;
    return false;
  }

  /** One request; anything but SUCCESS is an MQBrokerError naming the address (or the name server). */
  private async call(addr: string | null, code: number, header?: CustomHeader, timeoutMillis = this.timeoutMillis, body?: Buffer): Promise<RemotingCommand> {
    const response = await this.api().remotingClient.invokeSync(addr, RemotingCommand.createRequestCommand(code, header, body), timeoutMillis);
    if (response.code !== ResponseCode.SUCCESS) throw new MQBrokerError(response.code, response.remark, addr ?? this.api().getNameServerAddressList().join(';'));
    return response;
  }

  private api(): MQClientAPIImpl {
    return this.runningInstance().mQClientAPIImpl;
  }

  private runningInstance(): MQClientInstance {
    if (this.instance === undefined) throw new MQClientError('the admin is not started');
    return this.instance;
  }
}

const PULL_STATUS: ReadonlyMap<number, PullResult['status']> = new Map([
  [ResponseCode.SUCCESS, 'FOUND'],
  [ResponseCode.PULL_NOT_FOUND, 'NO_NEW_MSG'],
  [ResponseCode.PULL_RETRY_IMMEDIATELY, 'NO_MATCHED_MSG'],
  [ResponseCode.PULL_OFFSET_MOVED, 'OFFSET_ILLEGAL'],
]);

/** BrokerData.selectBrokerAddr: the master when there is one, otherwise any replica. */
function selectBrokerAddrs(route: TopicRouteData): string[] {
  const addrs: string[] = [];
  for (const bd of route.brokerDatas) {
    const addr = bd.brokerAddrs.get(MASTER_ID) ?? bd.brokerAddrs.values().next().value;
    if (addr !== undefined) addrs.push(addr);
  }
  return addrs;
}
