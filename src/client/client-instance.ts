import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../common/logger.js';
import type { HeartbeatData } from '../protocol/bodies/heartbeat-data.js';
import type { TopicRouteData } from '../protocol/bodies/topic-route-data.js';
import type { RemotingClient } from '../remoting/remoting-client.js';
import { AUTO_CREATE_TOPIC_KEY_TOPIC, MQClientAPIImpl } from './client-api.js';
import { CoalescedRun } from './coalesced-run.js';
import { ClientRemotingProcessor } from './client-remoting-processor.js';
import type { ClientConfig } from './config.js';
import { ClientErrorCode, MQClientError } from './errors.js';
import { InstrumentedRemotingClient, NetworkInstrumentation, type NetworkEventSink, type RemoveInstrumentationListener } from './instrumentation.js';
import { MessageClientIDSetter } from './message-client-id.js';
import { ConsumerAPI } from './consumer/consumer-api.js';
import { isTagType } from './consumer/subscription.js';
import type { MQConsumerInner } from './consumer/mq-consumer-inner.js';
import type { MQProducerInner } from './producer/mq-producer-inner.js';
import { RequestFutureHolder } from './producer/request-future-holder.js';
import { topicRouteData2TopicPublishInfo } from './route/topic-publish-info.js';
import type { MessageQueue } from '../protocol/bodies/message-queue.js';
import { topicRouteDataChanged } from './route/topic-route.js';
import { ScheduledTask } from './scheduled-task.js';
import { ConsumerStatsManager } from './consumer/consumer-stats-manager.js';
import { STATS_WINDOWS, type StatsWindow } from '../common/stats/stats-item.js';
import { PermName } from '../protocol/perm-name.js';
import type { RPCHook } from '../remoting/rpc-hook.js';
import { AclClientRPCHook } from './acl/acl-client-rpc-hook.js';
import { MASTER_ID, findBrokerInSubscribe, type FindBrokerResult } from './route/find-broker.js';

/** Java: fetchNameServerAddr 10 s after start, then every 2 minutes. */
const FETCH_NAMESRV_DELAY = 10_000;
const FETCH_NAMESRV_PERIOD = 120_000;
/** Java: the first route poll 10 ms after start, the first heartbeat after 1 s. */
const ROUTE_INITIAL_DELAY = 10;
const HEARTBEAT_INITIAL_DELAY = 1000;
/** RebalanceService: every consumer rebalances every 20 s (rocketmq.client.rebalance.waitInterval), and on demand. */
const REBALANCE_INTERVAL = 20_000;
/**
 * After a heartbeat, the waits (ms) between fetches of subscribed routes still missing: about 6 s in all, for the
 * broker to register a retry topic the heartbeat made it create (behind any registration already in flight).
 */
const MISSING_ROUTE_RETRY_DELAYS = [0, 100, 200, 400, 800, 1600, 3200];

type State = 'created' | 'running' | 'stopped';

/** Where a producer borrows the route of a topic the name server does not know (createTopicKey, default TBW102). */
export interface TopicTemplate {
  createTopicKey: string;
  defaultTopicQueueNums: number;
}

/**
 * MQClientInstance.java: what the producers (and, later, consumers) of one client id share — one RemotingClient,
 * the route of every topic they use (refreshed every pollNameServerInterval and on demand), the broker address
 * table, heartbeats to every broker master, and the processors for broker-initiated requests.
 */
export class MQClientInstance {
  readonly remotingClient: RemotingClient;
  readonly mQClientAPIImpl: MQClientAPIImpl;
  /** Message ids of every producer of this instance (Java's is per JVM). */
  readonly idSetter: MessageClientIDSetter;
  /** Requests of this instance's producers waiting for their replies, by CORRELATION_ID. */
  readonly requestFutureHolder = new RequestFutureHolder();
  /** Pull and consume counters of this instance's consumers (GET_CONSUMER_RUNNING_INFO's statusTable). */
  readonly consumerStatsManager = new ConsumerStatsManager();
  private readonly logger: Logger;
  private readonly instrumentation = new NetworkInstrumentation(new Set(ClientRemotingProcessor.CODES));
  private readonly producerTable = new Map<string, MQProducerInner>();
  private readonly consumerTable = new Map<string, MQConsumerInner>();
  private readonly topicRouteTable = new Map<string, TopicRouteData>();
  /** brokerName -> brokerId -> address, from every route held. */
  private readonly brokerAddrTable = new Map<string, Map<number, string>>();
  /** Route fetches in flight, so concurrent callers share one request (Java serializes them with a lock). */
  private readonly routeUpdates = new Map<string, Promise<boolean>>();
  private readonly tasks: ScheduledTask[] = [];
  private heartbeatInFlight: Promise<void> | undefined;
  /**
   * Broker addresses that accepted a heartbeat over the connection open now: they know this client id, so they can
   * push a reply to it. A closed connection takes its address out (the broker forgets the channel).
   */
  private readonly heartbeatAccepted = new Set<string>();
  private readonly rebalance = new CoalescedRun(async () => {
    for (const consumer of [...this.consumerTable.values()]) {
      if (!this.isRunning) return false;
      await consumer.doRebalance().catch((err: unknown) => this.logger.warn(`rebalance of ${consumer.groupName} failed`, err));
    }
  });
  private readonly missingRoutes = new CoalescedRun(() => this.fetchMissingSubscribeRoutes());
  /** Aborted at shutdown: ends the waits of fetchMissingSubscribeRoutes. */
  private readonly stopping = new AbortController();
  private state: State = 'created';

  constructor(
    readonly clientId: string,
    readonly config: ClientConfig,
    private readonly onShutdown: (instance: MQClientInstance) => void = () => undefined,
  ) {
    this.logger = config.logger;
    this.remotingClient = new InstrumentedRemotingClient({ logger: this.logger, serializeType: config.serializeType }, this.instrumentation);
    const namespaceV2 = config.namespaceV2;
    if (namespaceV2 !== undefined && namespaceV2 !== '') this.remotingClient.registerRPCHook(namespaceRpcHook(namespaceV2));
    // Last: the signature covers the ext fields every other hook adds.
    if (config.credentials !== undefined) this.remotingClient.registerRPCHook(new AclClientRPCHook(config.credentials));
    const processor = new ClientRemotingProcessor(
      this.logger,
      (group) => this.consumerTable.get(group),
      () => this.rebalanceImmediately(),
      (group) => this.producerTable.get(group),
      (reply) => this.requestFutureHolder.complete(reply),
    );
    for (const code of ClientRemotingProcessor.CODES) this.remotingClient.registerProcessor(code, processor);
    this.mQClientAPIImpl = new MQClientAPIImpl(this.remotingClient, this.logger, config.nameServerLookupUrl);
    if (config.namesrvAddrs.length > 0) this.mQClientAPIImpl.updateNameServerAddressList(config.namesrvAddrs);
    this.idSetter = new MessageClientIDSetter(config.clientIP);
    this.instrumentation.add({
      has: (name) => name === 'network.disconnect',
      emit: (name, payload) => {
        if (name === 'network.disconnect') this.heartbeatAccepted.delete(payload.address);
      },
    });
  }

  get isRunning(): boolean {
    return this.state === 'running';
  }

  /** Idempotent. Without name servers and without an address server to ask, fails at once. */
  async start(): Promise<void> {
    if (this.state === 'running') return;
    if (this.state === 'stopped') throw new MQClientError(`client instance ${this.clientId} was shut down`);
    if (this.config.namesrvAddrs.length === 0 && this.config.nameServerLookupUrl === undefined) {
      throw new MQClientError('No name server address, please set it (option nameServer, or NAMESRV_ADDR).', {
        responseCode: ClientErrorCode.NO_NAME_SERVER_EXCEPTION,
      });
    }
    this.state = 'running';
    await this.remotingClient.start();
    if (this.config.namesrvAddrs.length === 0) {
      await this.mQClientAPIImpl.fetchNameServerAddr();
      this.schedule('fetchNameServerAddr', () => this.mQClientAPIImpl.fetchNameServerAddr(), FETCH_NAMESRV_DELAY, FETCH_NAMESRV_PERIOD);
    }
    this.schedule('updateTopicRouteInfoFromNameServer', () => this.updateAllTopicRouteInfo(), ROUTE_INITIAL_DELAY, this.config.pollNameServerInterval);
    this.schedule(
      'sendHeartbeatToAllBroker',
      () => {
        this.cleanOfflineBroker();
        return this.sendHeartbeatToAllBroker();
      },
      HEARTBEAT_INITIAL_DELAY,
      this.config.heartbeatBrokerInterval,
    );
    this.schedule('rebalanceService', () => this.doRebalance(), REBALANCE_INTERVAL, REBALANCE_INTERVAL);
    // StatsItemSet.init: each window sampled from now on, every 10 s, 10 min and hour.
    for (const [window, { periodMillis }] of Object.entries(STATS_WINDOWS) as [StatsWindow, { periodMillis: number }][]) {
      this.schedule(`consumerStats ${window}`, () => this.consumerStatsManager.sample(window), 0, periodMillis);
    }
  }

  /**
   * Stops timers and connections — unless producers (or consumers) still use the instance, as in Java, so each
   * client calls it on its own shutdown.
   */
  async shutdown(): Promise<void> {
    if (this.state === 'stopped' || this.producerTable.size > 0 || this.consumerTable.size > 0) return;
    this.state = 'stopped';
    this.stopping.abort();
    this.onShutdown(this);
    this.requestFutureHolder.failAll(() => new MQClientError(`client instance ${this.clientId} was shut down before the reply came`));
    for (const task of this.tasks) task.stop();
    this.tasks.length = 0;
    await this.remotingClient.shutdown();
  }

  /** Network and heartbeat events of this instance go to `sink` (a client's emitter) until the returned remover runs. */
  addInstrumentation(sink: NetworkEventSink): RemoveInstrumentationListener {
    return this.instrumentation.add(sink);
  }

  /** False when the group is already registered here (one producer per group and client id, as in Java). */
  registerProducer(group: string, producer: MQProducerInner): boolean {
    if (this.state === 'stopped') throw new MQClientError(`client instance ${this.clientId} was shut down`);
    if (this.producerTable.has(group)) return false;
    this.producerTable.set(group, producer);
    return true;
  }

  /** Removes the group and tells every broker (UNREGISTER_CLIENT); failures are logged, never thrown. */
  async unregisterProducer(group: string): Promise<void> {
    if (!this.producerTable.delete(group)) return;
    if (this.state !== 'running') return;
    const calls: Promise<void>[] = [];
    for (const [brokerName, addrs] of this.brokerAddrTable) {
      for (const addr of addrs.values()) {
        const header = { clientID: this.clientId, producerGroup: group };
        calls.push(
          this.mQClientAPIImpl.unregisterClient(addr, header, this.config.mqClientApiTimeout).then(
            () => this.logger.info(`unregister producer group ${group} from ${brokerName} ${addr} OK`),
            (err: unknown) => this.logger.warn(`unregister producer group ${group} from ${brokerName} ${addr} failed`, err),
          ),
        );
      }
    }
    await Promise.all(calls);
  }

  /** False when the group is already registered here (one consumer per group and client id, as in Java). */
  registerConsumer(group: string, consumer: MQConsumerInner): boolean {
    if (this.state === 'stopped') throw new MQClientError(`client instance ${this.clientId} was shut down`);
    if (this.consumerTable.has(group)) return false;
    this.consumerTable.set(group, consumer);
    return true;
  }

  /** Removes the group and tells every broker (UNREGISTER_CLIENT), so the others rebalance at once. */
  async unregisterConsumer(group: string): Promise<void> {
    if (!this.consumerTable.delete(group) || this.state !== 'running') return;
    const calls: Promise<void>[] = [];
    for (const [brokerName, addrs] of this.brokerAddrTable) {
      for (const addr of addrs.values()) {
        calls.push(
          this.mQClientAPIImpl.unregisterClient(addr, { clientID: this.clientId, consumerGroup: group }, this.config.mqClientApiTimeout).then(
            () => this.logger.info(`unregister consumer group ${group} from ${brokerName} ${addr} OK`),
            (err: unknown) => this.logger.warn(`unregister consumer group ${group} from ${brokerName} ${addr} failed`, err),
          ),
        );
      }
    }
    await Promise.all(calls);
  }

  /** RebalanceService.wakeup: rebalance every consumer now (NOTIFY_CONSUMER_IDS_CHANGED, a consumer's start). */
  rebalanceImmediately(): void {
    void this.doRebalance();
  }

  /** Every consumer, one after the other; requests during a run coalesce into one more run. Never rejects. */
  doRebalance(): Promise<void> {
    return this.rebalance.request();
  }

  /** findConsumerIdList: the group's members as one broker serving `topic` knows them (GET_CONSUMER_LIST_BY_GROUP). */
  async findConsumerIdList(topic: string, group: string): Promise<string[]> {
    let addr = this.findBrokerAddrByTopic(topic);
    if (addr === undefined) {
      await this.updateTopicRouteInfoFromNameServer(topic);
      addr = this.findBrokerAddrByTopic(topic);
    }
    if (addr === undefined) return [];
    return new ConsumerAPI(this.remotingClient).getConsumerIdListByGroup(addr, group, this.config.mqClientApiTimeout);
  }

  /** A master (else any replica) of a random broker serving `topic`, as Java picks one. */
  findBrokerAddrByTopic(topic: string): string | undefined {
    const brokers = this.topicRouteTable.get(topic)?.brokerDatas ?? [];
    if (brokers.length === 0) return undefined;
    const bd = brokers[Math.floor(Math.random() * brokers.length)];
    return bd?.brokerAddrs.get(MASTER_ID) ?? bd?.brokerAddrs.values().next().value;
  }

  /** MQClientInstance.findBrokerAddressInSubscribe (see findBrokerInSubscribe for Java's fallback order). */
  findBrokerInSubscribe(brokerName: string, brokerId: number, onlyThisBroker: boolean): FindBrokerResult | undefined {
    return findBrokerInSubscribe(this.brokerAddrTable.get(brokerName), brokerId, onlyThisBroker);
  }

  /** Where a consumer reads offsets by default: the master of the broker group, else any replica a route named. */
  findBrokerAddressInSubscribe(brokerName: string): string | undefined {
    return this.findBrokerInSubscribe(brokerName, MASTER_ID, false)?.brokerAddr;
  }

  /**
   * findBrokerAddressInSubscribe, fetching the routes of `topics` once first when no route held names the group.
   * onlyMaster: the master or nothing (offset commits, queue locks).
   */
  async findBrokerAddressRefreshing(brokerName: string, topics: Iterable<string>, onlyMaster = false): Promise<string | undefined> {
    const addr = this.findBrokerInSubscribe(brokerName, MASTER_ID, onlyMaster)?.brokerAddr;
    if (addr !== undefined) return addr;
    for (const topic of topics) await this.updateTopicRouteInfoFromNameServer(topic).catch(() => false);
    return this.findBrokerInSubscribe(brokerName, MASTER_ID, onlyMaster)?.brokerAddr;
  }

  /** The master's address of a broker group, if a route named it. */
  findBrokerAddressInPublish(brokerName: string): string | undefined {
    return this.brokerAddrTable.get(brokerName)?.get(MASTER_ID);
  }

  /**
   * Fetches the route of `topic` and, if it changed (or a producer still lacks queues), updates the broker
   * table and every producer's publish info. With a `template`, the route is the template topic's (TBW102) with
   * at most defaultTopicQueueNums queues per broker: where a producer sends a topic the name server does not
   * know yet, so that a broker creates it from the template. Resolves to whether anything was updated; a
   * name-server refusal resolves false (and is logged), a network failure rejects.
   */
  updateTopicRouteInfoFromNameServer(topic: string, template?: TopicTemplate): Promise<boolean> {
    const key = template === undefined ? topic : `${topic}\u0000${template.createTopicKey}\u0000${template.defaultTopicQueueNums}`;
    let update = this.routeUpdates.get(key);
    if (update === undefined) {
      update = this.doUpdateTopicRoute(topic, template).finally(() => this.routeUpdates.delete(key));
      this.routeUpdates.set(key, update);
    }
    return update;
  }

  /** The periodic refresh: every topic a producer publishes to, one at a time, each failure logged. */
  async updateAllTopicRouteInfo(): Promise<void> {
    const topics = new Set<string>();
    for (const producer of this.producerTable.values()) for (const topic of producer.getPublishTopicList()) topics.add(topic);
    for (const consumer of this.consumerTable.values()) for (const sub of consumer.subscriptions()) topics.add(sub.topic);
    for (const topic of topics) {
      if (!this.isRunning) return;
      try {
        await this.updateTopicRouteInfoFromNameServer(topic);
      } catch (err) {
        this.logger.warn(`updating the route of ${topic} failed`, err);
      }
    }
  }

  /**
   * MQClientInstance.checkClientInBroker: every consumer's non-TAG (SQL92) subscription is shown to one broker
   * serving its topic (CHECK_CLIENT_CONFIG), which answers whether it can filter it; the first refusal is thrown
   * (MQClientError with the broker's code and remark), as is a failure to ask.
   */
  async checkClientInBroker(): Promise<void> {
    for (const [group, consumer] of this.consumerTable) {
      for (const subscription of consumer.subscriptions()) {
        if (isTagType(subscription.expressionType)) continue;
        // Java assumes every broker of a cluster is configured alike and asks one.
        const addr = this.findBrokerAddrByTopic(subscription.topic);
        if (addr === undefined) continue;
        try {
          await this.mQClientAPIImpl.checkClientInBroker(addr, group, this.clientId, subscription, this.config.mqClientApiTimeout);
        } catch (err) {
          if (err instanceof MQClientError) throw err;
          throw new MQClientError(
            `Check client in broker error, maybe because you use ${subscription.expressionType} to filter message, but server has not been upgraded to support!`,
            { brokerAddr: addr, cause: err },
          );
        }
      }
    }
  }

  /** HEART_BEAT with our producer groups to every master; each failure is logged, none thrown. */
  sendHeartbeatToAllBroker(): Promise<void> {
    this.heartbeatInFlight ??= this.doSendHeartbeat().finally(() => (this.heartbeatInFlight = undefined));
    return this.heartbeatInFlight;
  }

  /**
   * sendHeartbeatToAllBrokerWithLock as a requester needs it: a heartbeat that starts after this call (one in
   * flight may have been built before the brokers now known), shared with other callers. Never rejects.
   */
  async sendFreshHeartbeatToAllBroker(): Promise<void> {
    const running = this.heartbeatInFlight;
    if (running !== undefined) await running;
    await this.sendHeartbeatToAllBroker();
  }

  /** Whether the instance holds a route of `topic` (Java's topicRouteTable.containsKey). */
  hasTopicRoute(topic: string): boolean {
    return this.topicRouteTable.has(topic);
  }

  /**
   * Whether some master serving `topic` has not accepted a heartbeat over its current connection, so would not find
   * this client id to push a reply to.
   */
  needsHeartbeatFor(topic: string): boolean {
    for (const bd of this.topicRouteTable.get(topic)?.brokerDatas ?? []) {
      const master = bd.brokerAddrs.get(MASTER_ID);
      if (master !== undefined && !this.heartbeatAccepted.has(master)) return true;
    }
    return false;
  }

  private async doSendHeartbeat(): Promise<void> {
    if (!this.isRunning || (this.producerTable.size === 0 && this.consumerTable.size === 0)) return;
    const heartbeatData: HeartbeatData = {
      clientID: this.clientId,
      producerDataSet: [...this.producerTable.keys()].map((groupName) => ({ groupName })),
      consumerDataSet: [...this.consumerTable.values()].map((c) => ({
        groupName: c.groupName,
        consumeType: c.consumeType,
        messageModel: c.messageModel,
        consumeFromWhere: c.consumeFromWhere,
        subscriptionDataSet: c.subscriptions(),
        unitMode: false,
      })),
      heartbeatFingerprint: 0,
      withoutSub: false,
    };
    const calls: Promise<void>[] = [];
    for (const [brokerName, addrs] of this.brokerAddrTable) {
      // A client without consumers talks to masters only (Java skips slaves then); consumers pull from slaves too.
      const targets = this.consumerTable.size > 0 ? [...addrs.values()] : [addrs.get(MASTER_ID)];
      for (const addr of targets) {
      if (addr === undefined) continue;
      calls.push(
        this.mQClientAPIImpl.sendHeartbeat(addr, heartbeatData, this.config.mqClientApiTimeout).then(
          (version) => {
            this.logger.debug(`heartbeat to ${brokerName} ${addr} OK, broker version ${version}`);
            this.heartbeatAccepted.add(addr);
            this.instrumentation.emit('heartbeat', { brokerName, address: addr, brokerVersion: version });
          },
          (err: unknown) => this.logger.warn(`heartbeat to ${brokerName} ${addr} failed`, err),
        ),
      );
      }
    }
    await Promise.all(calls);
    if (this.consumerTable.size > 0) void this.missingRoutes.request();
  }

  /**
   * A consumer group's heartbeat makes each broker create the group's retry topic, which the broker then registers
   * with the name servers. Java's client finds that route at its next poll (30 s) and takes its queues at its next
   * rebalance (20 s), so a new group's first retries come that late. Here every subscribed topic still without a
   * route is fetched again a few times over a few seconds, and the consumers rebalance as soon as one appears (by
   * this fetch or any other).
   */
  private async fetchMissingSubscribeRoutes(): Promise<boolean> {
    let missing = this.subscribedTopicsWithoutRoute();
    for (const delay of MISSING_ROUTE_RETRY_DELAYS) {
      if (missing.size === 0) return true;
      if (delay > 0 && !(await sleep(delay, true, { signal: this.stopping.signal, ref: false }).catch(() => false))) return false;
      if (!this.isRunning) return false;
      for (const topic of missing) {
        await this.updateTopicRouteInfoFromNameServer(topic).catch((err: unknown) => this.logger.warn(`updating the route of ${topic} failed`, err));
      }
      const still = this.subscribedTopicsWithoutRoute();
      if ([...missing].some((topic) => !still.has(topic))) this.rebalanceImmediately();
      missing = still;
    }
    return true;
  }

  private subscribedTopicsWithoutRoute(): Set<string> {
    const topics = new Set<string>();
    for (const consumer of this.consumerTable.values()) {
      for (const { topic } of consumer.subscriptions()) if (consumer.isSubscribeTopicNeedUpdate(topic)) topics.add(topic);
    }
    return topics;
  }

  /** cleanOfflineBroker: forgets broker addresses no route names any more. */
  private cleanOfflineBroker(): void {
    const inUse = new Set<string>();
    for (const route of this.topicRouteTable.values()) {
      for (const bd of route.brokerDatas) for (const addr of bd.brokerAddrs.values()) inUse.add(`${bd.brokerName}\u0000${addr}`);
    }
    for (const [brokerName, addrs] of this.brokerAddrTable) {
      for (const [id, addr] of addrs) if (!inUse.has(`${brokerName}\u0000${addr}`)) addrs.delete(id);
      if (addrs.size === 0) {
        this.brokerAddrTable.delete(brokerName);
        this.logger.info(`the broker ${brokerName} is offline, removed from the broker table`);
      }
    }
  }

  private async doUpdateTopicRoute(topic: string, template: TopicTemplate | undefined): Promise<boolean> {
    const timeout = this.config.mqClientApiTimeout;
    let route: TopicRouteData | undefined;
    try {
      route =
        template === undefined
          ? await this.mQClientAPIImpl.getTopicRouteInfoFromNameServer(topic, timeout)
          : clampQueues(await this.mQClientAPIImpl.getTopicRouteInfoFromNameServer(template.createTopicKey, timeout), template.defaultTopicQueueNums);
    } catch (err) {
      if (!(err instanceof MQClientError)) throw err;
      this.logger.warn(`the name server refused the route of ${topic}`, err);
      return false;
    }
    if (route === undefined) {
      if (topic !== AUTO_CREATE_TOPIC_KEY_TOPIC) this.logger.debug(`no route for topic ${topic} in the name server`);
      return false;
    }
    if (!this.isRunning) return false;
    const changed = topicRouteDataChanged(this.topicRouteTable.get(topic), route) || this.isNeedUpdateTopicRouteInfo(topic);
    if (!changed) return false;
    for (const bd of route.brokerDatas) this.brokerAddrTable.set(bd.brokerName, new Map(bd.brokerAddrs));
    for (const producer of this.producerTable.values()) {
      const info = topicRouteData2TopicPublishInfo(topic, route);
      info.haveTopicRouterInfo = true;
      producer.updateTopicPublishInfo(topic, info);
    }
    const subscribeInfo = topicRouteData2TopicSubscribeInfo(topic, route);
    for (const consumer of this.consumerTable.values()) consumer.updateTopicSubscribeInfo(topic, subscribeInfo);
    this.topicRouteTable.set(topic, route);
    this.logger.info(`the route of ${topic} changed: ${route.queueDatas.map((q) => `${q.brokerName}:${q.writeQueueNums}`).join(', ')}`);
    return true;
  }

  private isNeedUpdateTopicRouteInfo(topic: string): boolean {
    for (const producer of this.producerTable.values()) if (producer.isPublishTopicNeedUpdate(topic)) return true;
    for (const consumer of this.consumerTable.values()) if (consumer.isSubscribeTopicNeedUpdate(topic)) return true;
    return false;
  }

  private schedule(name: string, task: () => unknown, initialDelay: number, period: number): void {
    const scheduled = new ScheduledTask(name, async () => void (await task()), this.logger);
    scheduled.start(initialDelay, period);
    this.tasks.push(scheduled);
  }
}

/** The TBW102 route lent to a new topic: every queue data limited to min(defaultTopicQueueNums, readQueueNums). */
function clampQueues(route: TopicRouteData | undefined, defaultTopicQueueNums: number): TopicRouteData | undefined {
  if (route === undefined) return undefined;
  return {
    ...route,
    queueDatas: route.queueDatas.map((qd) => {
      const queueNums = Math.min(defaultTopicQueueNums, qd.readQueueNums);
      return { ...qd, readQueueNums: queueNums, writeQueueNums: queueNums };
    }),
  };
}

/** topicRouteData2TopicSubscribeInfo: every readable queue of every broker serving the topic. */
export function topicRouteData2TopicSubscribeInfo(topic: string, route: TopicRouteData): MessageQueue[] {
  const mqs: MessageQueue[] = [];
  for (const qd of route.queueDatas) {
    if (!PermName.isReadable(qd.perm)) continue; // queues of a broker without read permission are not consumed
    for (let queueId = 0; queueId < qd.readQueueNums; queueId++) mqs.push({ topic, brokerName: qd.brokerName, queueId });
  }
  return mqs;
}

/** NamespaceRpcHook (Java 5.x namespaceV2): every request names the namespace in two ext fields; names stay as they are. */
function namespaceRpcHook(namespaceV2: string): RPCHook {
  return {
    doBeforeRequest(_remoteAddr, request) {
      request.addExtField('nsd', 'true');
      request.addExtField('ns', namespaceV2);
    },
    doAfterResponse() {},
  };
}
