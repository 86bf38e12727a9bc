import type { Logger } from '../common/logger.js';
import type { HeartbeatData } from '../protocol/bodies/heartbeat-data.js';
import type { TopicRouteData } from '../protocol/bodies/topic-route-data.js';
import { RequestCode } from '../protocol/request-code.js';
import { RemotingClient } from '../remoting/remoting-client.js';
import { AUTO_CREATE_TOPIC_KEY_TOPIC, MQClientAPIImpl } from './client-api.js';
import { ClientRemotingProcessor } from './client-remoting-processor.js';
import type { ClientConfig } from './config.js';
import { ClientErrorCode, MQClientError } from './errors.js';
import { MessageClientIDSetter } from './message-client-id.js';
import type { MQProducerInner } from './producer/mq-producer-inner.js';
import { topicRouteData2TopicPublishInfo } from './route/topic-publish-info.js';
import { topicRouteDataChanged } from './route/topic-route.js';
import { ScheduledTask } from './scheduled-task.js';

const MASTER_ID = 0;
/** Java: fetchNameServerAddr 10 s after start, then every 2 minutes. */
const FETCH_NAMESRV_DELAY = 10_000;
const FETCH_NAMESRV_PERIOD = 120_000;
/** Java: the first route poll 10 ms after start, the first heartbeat after 1 s. */
const ROUTE_INITIAL_DELAY = 10;
const HEARTBEAT_INITIAL_DELAY = 1000;

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
  private readonly logger: Logger;
  private readonly producerTable = new Map<string, MQProducerInner>();
  private readonly topicRouteTable = new Map<string, TopicRouteData>();
  /** brokerName -> brokerId -> address, from every route held. */
  private readonly brokerAddrTable = new Map<string, Map<number, string>>();
  /** Route fetches in flight, so concurrent callers share one request (Java serializes them with a lock). */
  private readonly routeUpdates = new Map<string, Promise<boolean>>();
  private readonly tasks: ScheduledTask[] = [];
  private heartbeatInFlight: Promise<void> | undefined;
  private state: State = 'created';

  constructor(
    readonly clientId: string,
    readonly config: ClientConfig,
    private readonly onShutdown: (instance: MQClientInstance) => void = () => undefined,
  ) {
    this.logger = config.logger;
    this.remotingClient = new RemotingClient({ logger: this.logger, serializeType: config.serializeType });
    this.remotingClient.registerProcessor(RequestCode.CHECK_TRANSACTION_STATE, new ClientRemotingProcessor(this.logger));
    this.mQClientAPIImpl = new MQClientAPIImpl(this.remotingClient, this.logger, config.nameServerLookupUrl);
    if (config.namesrvAddrs.length > 0) this.mQClientAPIImpl.updateNameServerAddressList(config.namesrvAddrs);
    this.idSetter = new MessageClientIDSetter(config.clientIP);
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
  }

  /**
   * Stops timers and connections — unless producers (or consumers) still use the instance, as in Java, so each
   * client calls it on its own shutdown.
   */
  async shutdown(): Promise<void> {
    if (this.state === 'stopped' || this.producerTable.size > 0) return;
    this.state = 'stopped';
    this.onShutdown(this);
    for (const task of this.tasks) task.stop();
    this.tasks.length = 0;
    await this.remotingClient.shutdown();
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
    for (const topic of topics) {
      if (!this.isRunning) return;
      try {
        await this.updateTopicRouteInfoFromNameServer(topic);
      } catch (err) {
        this.logger.warn(`updating the route of ${topic} failed`, err);
      }
    }
  }

  /** HEART_BEAT with our producer groups to every master; each failure is logged, none thrown. */
  sendHeartbeatToAllBroker(): Promise<void> {
    this.heartbeatInFlight ??= this.doSendHeartbeat().finally(() => (this.heartbeatInFlight = undefined));
    return this.heartbeatInFlight;
  }

  private async doSendHeartbeat(): Promise<void> {
    if (!this.isRunning || this.producerTable.size === 0) return;
    const heartbeatData: HeartbeatData = {
      clientID: this.clientId,
      producerDataSet: [...this.producerTable.keys()].map((groupName) => ({ groupName })),
      consumerDataSet: [],
      heartbeatFingerprint: 0,
      withoutSub: false,
    };
    const calls: Promise<void>[] = [];
    for (const [brokerName, addrs] of this.brokerAddrTable) {
      // A client without consumers talks to masters only (Java skips slaves then).
      const addr = addrs.get(MASTER_ID);
      if (addr === undefined) continue;
      calls.push(
        this.mQClientAPIImpl.sendHeartbeat(addr, heartbeatData, this.config.mqClientApiTimeout).then(
          (version) => this.logger.debug(`heartbeat to ${brokerName} ${addr} OK, broker version ${version}`),
          (err: unknown) => this.logger.warn(`heartbeat to ${brokerName} ${addr} failed`, err),
        ),
      );
    }
    await Promise.all(calls);
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
    this.topicRouteTable.set(topic, route);
    this.logger.info(`the route of ${topic} changed: ${route.queueDatas.map((q) => `${q.brokerName}:${q.writeQueueNums}`).join(', ')}`);
    return true;
  }

  private isNeedUpdateTopicRouteInfo(topic: string): boolean {
    for (const producer of this.producerTable.values()) if (producer.isPublishTopicNeedUpdate(topic)) return true;
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
