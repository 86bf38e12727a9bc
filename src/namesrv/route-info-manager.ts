import { dataVersionEquals, type DataVersion } from '../protocol/bodies/data-version.js';
import type { ClusterInfo } from '../protocol/bodies/cluster-info.js';
import type { TopicConfigSerializeWrapper } from '../protocol/bodies/register-broker-body.js';
import type { TopicConfig } from '../protocol/bodies/topic-config.js';
import type { TopicList } from '../protocol/bodies/topic-list.js';
import type { BrokerData, QueueData, TopicRouteData } from '../protocol/bodies/topic-route-data.js';
import { PermName } from '../protocol/perm-name.js';

/** MixAll.MASTER_ID. */
export const MASTER_ID = 0;
/** RouteInfoManager.DEFAULT_BROKER_CHANNEL_EXPIRED_TIME: a broker silent for 2 minutes is gone. */
export const DEFAULT_BROKER_CHANNEL_EXPIRED_TIME = 120_000;


/** What the route state needs of a connection: a way to recognise it when it closes. */
export interface BrokerChannel {
  readonly remoteAddr: string;
}

export interface BrokerLiveInfo<C extends BrokerChannel> {
  readonly clusterName: string;
  readonly brokerAddr: string;
  lastUpdateTimestamp: number;
  heartbeatTimeoutMillis: number;
  dataVersion: DataVersion;
  channel: C;
  haServerAddr: string;
}

export interface RegisterBrokerRequest<C extends BrokerChannel> {
  clusterName: string;
  brokerAddr: string;
  brokerName: string;
  brokerId: number;
  haServerAddr: string;
  zoneName?: string | undefined;
  /** The broker's own expiry; absent means the 120 s default. */
  heartbeatTimeoutMillis?: number | undefined;
  /** Absent for brokers older than 5.0, which know nothing of acting masters. */
  enableActingMaster?: boolean | undefined;
  topicConfigWrapper: TopicConfigSerializeWrapper;
  channel: C;
}

/** What a slave learns from its registration; both empty for a master. */
export interface RegisterBrokerResult {
  haServerAddr?: string | undefined;
  masterAddr?: string | undefined;
}

export interface BrokerIdentity {
  clusterName: string;
  brokerAddr: string;
  brokerName: string;
  brokerId: number;
}

export interface RouteInfoOptions {
  /** NamesrvConfig.deleteTopicWithBrokerRegistration: a master's registration drops topics it no longer has. */
  deleteTopicWithBrokerRegistration?: () => boolean;
}

/**
 * RouteInfoManager.java without locks or sockets: clusters, broker groups with their addresses by brokerId,
 * topic queue data, and broker liveness. Everything is synchronous; time is passed in so expiry is testable.
 */
export class RouteInfoManager<C extends BrokerChannel = BrokerChannel> {
  private readonly topicQueueTable = new Map<string, Map<string, QueueData>>();
  private readonly brokerAddrTable = new Map<string, BrokerData>();
  private readonly clusterAddrTable = new Map<string, Set<string>>();
  private readonly brokerLiveTable = new Map<string, BrokerLiveInfo<C>>();
  private version = 0;

  constructor(private readonly options: RouteInfoOptions = {}) {}

  /**
   * Changes whenever a route may have changed (every registration, unregistration, permission or topic change), so
   * callers can cache what they derive from routes. Heartbeats do not change it.
   */
  get routeVersion(): number {
    return this.version;
  }

  /**
   * registerBroker: returns null when Java does ("register broker failed": a single-topic registration from an
   * id the group does not know yet, i.e. an incremental registration that overtook the full one).
   */
  registerBroker(request: RegisterBrokerRequest<C>, now: number = Date.now()): RegisterBrokerResult | null {
    this.version++;
    const { clusterName, brokerAddr, brokerName, brokerId, topicConfigWrapper } = request;
    let names = this.clusterAddrTable.get(clusterName);
    if (names === undefined) this.clusterAddrTable.set(clusterName, (names = new Set()));
    names.add(brokerName);

    let registerFirst = false;
    let brokerData = this.brokerAddrTable.get(brokerName);
    if (brokerData === undefined) {
      registerFirst = true;
      brokerData = { cluster: clusterName, brokerName, brokerAddrs: new Map(), enableActingMaster: false };
      this.brokerAddrTable.set(brokerName, brokerData);
    }
    const isOldVersionBroker = request.enableActingMaster === undefined;
    brokerData.enableActingMaster = request.enableActingMaster === true;
    brokerData.zoneName = request.zoneName;
    const addrs = brokerData.brokerAddrs;

    // Switching roles (slave to master): one ip:port has one brokerId only.
    for (const [id, addr] of addrs) if (addr === brokerAddr && id !== brokerId) addrs.delete(id);

    // Another address holds this id with a newer state: this registration is stale.
    const oldAddr = addrs.get(brokerId);
    if (oldAddr !== undefined && oldAddr !== brokerAddr) {
      const oldLive = this.brokerLiveTable.get(liveKey(clusterName, oldAddr));
      if (oldLive !== undefined && oldLive.dataVersion.stateVersion > topicConfigWrapper.dataVersion.stateVersion) {
        this.brokerLiveTable.delete(liveKey(clusterName, brokerAddr));
        return {};
      }
    }

    if (!addrs.has(brokerId) && topicConfigWrapper.topicConfigTable.size === 1) return null;

    registerFirst ||= oldAddr === undefined || oldAddr === '';
    addrs.set(brokerId, brokerAddr);

    const isMaster = brokerId === MASTER_ID;
    const isPrimeSlave = !isOldVersionBroker && !isMaster && brokerId === Math.min(...addrs.keys());
    if (isMaster || isPrimeSlave) {
      const table = topicConfigWrapper.topicConfigTable;
      if (this.options.deleteTopicWithBrokerRegistration?.() === true) this.dropTopicsMissingFrom(brokerName, table);
      for (const config of table.values()) {
        if (!registerFirst && !this.isTopicConfigChanged(clusterName, brokerAddr, topicConfigWrapper.dataVersion, brokerName, config.topicName)) continue;
        // An acting master (the lowest slave while the master is away) serves reads only.
        const perm = isPrimeSlave && brokerData.enableActingMaster ? config.perm & ~PermName.PERM_WRITE : config.perm;
        this.createAndUpdateQueueData(brokerName, config, perm);
      }
    }

    this.brokerLiveTable.set(liveKey(clusterName, brokerAddr), {
      clusterName,
      brokerAddr,
      lastUpdateTimestamp: now,
      heartbeatTimeoutMillis: request.heartbeatTimeoutMillis ?? DEFAULT_BROKER_CHANNEL_EXPIRED_TIME,
      dataVersion: { ...topicConfigWrapper.dataVersion },
      channel: request.channel,
      haServerAddr: request.haServerAddr,
    });

    const result: RegisterBrokerResult = {};
    if (!isMaster) {
      const masterAddr = addrs.get(MASTER_ID);
      const masterLive = masterAddr === undefined ? undefined : this.brokerLiveTable.get(liveKey(clusterName, masterAddr));
      if (masterLive !== undefined) {
        result.haServerAddr = masterLive.haServerAddr;
        result.masterAddr = masterAddr;
      }
    }
    return result;
  }

  /** unRegisterBroker for one broker: drops its address, and the group, cluster entry and queue data once empty. */
  unregisterBroker(broker: BrokerIdentity): void {
    this.version++;
    const { clusterName, brokerAddr, brokerName } = broker;
    this.brokerLiveTable.delete(liveKey(clusterName, brokerAddr));
    const brokerData = this.brokerAddrTable.get(brokerName);
    let removeBrokerName = false;
    if (brokerData !== undefined) {
      for (const [id, addr] of brokerData.brokerAddrs) if (addr === brokerAddr) brokerData.brokerAddrs.delete(id);
      if (brokerData.brokerAddrs.size === 0) {
        this.brokerAddrTable.delete(brokerName);
        removeBrokerName = true;
      }
    }
    if (removeBrokerName) {
      const names = this.clusterAddrTable.get(clusterName);
      if (names !== undefined) {
        names.delete(brokerName);
        if (names.size === 0) this.clusterAddrTable.delete(clusterName);
      }
    }
    for (const [topic, queueDatas] of this.topicQueueTable) {
      if (removeBrokerName) {
        queueDatas.delete(brokerName);
        if (queueDatas.size === 0) this.topicQueueTable.delete(topic);
        continue;
      }
      // An acting-master group that lost its master stops taking writes.
      const queueData = queueDatas.get(brokerName);
      if (queueData !== undefined && brokerData?.enableActingMaster === true && this.isNoMasterExists(brokerName)) {
        queueData.perm &= ~PermName.PERM_WRITE;
      }
    }
  }

  /**
   * scanNotActiveBroker: unregisters brokers silent for longer than their timeout and returns them, so the caller
   * can close their connections.
   */
  scanNotActiveBroker(now: number = Date.now()): Array<BrokerLiveInfo<C>> {
    const expired = [...this.brokerLiveTable.values()].filter((live) => live.lastUpdateTimestamp + live.heartbeatTimeoutMillis < now);
    for (const live of expired) this.destroyLive(live);
    return expired;
  }

  /** A broker's connection closed, failed or went idle: unregister every broker that registered through it. */
  onChannelDestroy(remoteAddr: string): BrokerIdentity[] {
    const gone = [...this.brokerLiveTable.values()].filter((live) => live.channel.remoteAddr === remoteAddr);
    return gone.flatMap((live) => this.destroyLive(live));
  }

  pickupTopicRouteData(topic: string): TopicRouteData | null {
    const queueDatas = this.topicQueueTable.get(topic);
    if (queueDatas === undefined) return null;
    const brokerDatas: BrokerData[] = [];
    for (const brokerName of queueDatas.keys()) {
      const data = this.brokerAddrTable.get(brokerName);
      if (data !== undefined) brokerDatas.push(cloneBrokerData(data));
    }
    if (brokerDatas.length === 0) return null;
    return { queueDatas: [...queueDatas.values()].map((q) => ({ ...q })), brokerDatas, filterServerTable: new Map() };
  }

  getAllClusterInfo(): ClusterInfo {
    return {
      brokerAddrTable: new Map([...this.brokerAddrTable].map(([name, data]) => [name, cloneBrokerData(data)])),
      clusterAddrTable: new Map([...this.clusterAddrTable].map(([cluster, names]) => [cluster, [...names]])),
    };
  }

  getAllTopicList(): TopicList {
    return { topicList: [...this.topicQueueTable.keys()] };
  }

  getTopicsByCluster(cluster: string): TopicList {
    const topics = new Set<string>();
    for (const brokerName of this.clusterAddrTable.get(cluster) ?? []) {
      for (const [topic, queueDatas] of this.topicQueueTable) if (queueDatas.has(brokerName)) topics.add(topic);
    }
    return { topicList: [...topics] };
  }

  /** Java's "system topics" of the name server: the cluster and broker names, plus one broker address. */
  getSystemTopicList(): TopicList {
    const topics = new Set<string>();
    for (const [cluster, names] of this.clusterAddrTable) {
      topics.add(cluster);
      for (const name of names) topics.add(name);
    }
    let brokerAddr: string | undefined;
    for (const data of this.brokerAddrTable.values()) {
      const first = data.brokerAddrs.values().next();
      if (first.done !== true) {
        brokerAddr = first.value;
        break;
      }
    }
    return { topicList: [...topics], brokerAddr };
  }

  /** Clears PERM_WRITE on the broker's queue data of every topic; returns how many topics it touched. */
  wipeWritePermOfBroker(brokerName: string): number {
    return this.operateWritePermOfBroker(brokerName, (perm) => perm & ~PermName.PERM_WRITE);
  }

  /** Sets the queue data of every topic of the broker to read-write (Java assigns, it does not OR). */
  addWritePermOfBroker(brokerName: string): number {
    return this.operateWritePermOfBroker(brokerName, () => PermName.PERM_READ | PermName.PERM_WRITE);
  }

  /** Deletes a topic everywhere, or only from the brokers of `clusterName`. */
  deleteTopic(topic: string, clusterName?: string): void {
    this.version++;
    if (clusterName === undefined || clusterName === '') {
      this.topicQueueTable.delete(topic);
      return;
    }
    const names = this.clusterAddrTable.get(clusterName);
    const queueDatas = this.topicQueueTable.get(topic);
    if (names === undefined || queueDatas === undefined) return;
    for (const name of names) queueDatas.delete(name);
    if (queueDatas.size === 0) this.topicQueueTable.delete(topic);
  }

  /** REGISTER_TOPIC_IN_NAMESRV: all or nothing, and only for brokers that are registered. */
  registerTopic(topic: string, queueDatas: readonly QueueData[]): boolean {
    this.version++;
    if (queueDatas.length === 0) return false;
    if (queueDatas.some((q) => !this.brokerAddrTable.has(q.brokerName))) return false;
    let table = this.topicQueueTable.get(topic);
    if (table === undefined) this.topicQueueTable.set(topic, (table = new Map<string, QueueData>()));
    for (const q of queueDatas) table.set(q.brokerName, { ...q });
    return true;
  }

  /** The DataVersion the broker last registered with, if it is alive. */
  queryBrokerTopicConfig(clusterName: string, brokerAddr: string): DataVersion | undefined {
    const live = this.brokerLiveTable.get(liveKey(clusterName, brokerAddr));
    return live === undefined ? undefined : { ...live.dataVersion };
  }

  isBrokerTopicConfigChanged(clusterName: string, brokerAddr: string, dataVersion: DataVersion): boolean {
    const prev = this.queryBrokerTopicConfig(clusterName, brokerAddr);
    return prev === undefined || !dataVersionEquals(prev, dataVersion);
  }

  /** Heartbeat: a live broker stays alive for another timeout period. */
  updateBrokerInfoUpdateTimestamp(clusterName: string, brokerAddr: string, now: number = Date.now()): boolean {
    const live = this.brokerLiveTable.get(liveKey(clusterName, brokerAddr));
    if (live === undefined) return false;
    live.lastUpdateTimestamp = now;
    return true;
  }

  brokerLiveInfo(clusterName: string, brokerAddr: string): Readonly<BrokerLiveInfo<C>> | undefined {
    return this.brokerLiveTable.get(liveKey(clusterName, brokerAddr));
  }

  get liveBrokerCount(): number {
    return this.brokerLiveTable.size;
  }

  private destroyLive(live: BrokerLiveInfo<C>): BrokerIdentity[] {
    const key = liveKey(live.clusterName, live.brokerAddr);
    const identity = this.findBrokerIdentity(live.clusterName, live.brokerAddr);
    if (identity === undefined) {
      // Java keeps such an entry and logs it on every scan; it can never become routable again, so drop it.
      this.brokerLiveTable.delete(key);
      return [];
    }
    this.unregisterBroker(identity);
    return [identity];
  }

  private findBrokerIdentity(clusterName: string, brokerAddr: string): BrokerIdentity | undefined {
    for (const data of this.brokerAddrTable.values()) {
      if (data.cluster !== clusterName) continue;
      for (const [brokerId, addr] of data.brokerAddrs) {
        if (addr === brokerAddr) return { clusterName, brokerAddr, brokerName: data.brokerName, brokerId };
      }
    }
    return undefined;
  }

  private isTopicConfigChanged(clusterName: string, brokerAddr: string, dataVersion: DataVersion, brokerName: string, topic: string): boolean {
    if (this.isBrokerTopicConfigChanged(clusterName, brokerAddr, dataVersion)) return true;
    return this.topicQueueTable.get(topic)?.has(brokerName) !== true;
  }

  private createAndUpdateQueueData(brokerName: string, config: TopicConfig, perm: number): void {
    const queueData: QueueData = {
      brokerName,
      readQueueNums: config.readQueueNums,
      writeQueueNums: config.writeQueueNums,
      perm,
      topicSysFlag: config.topicSysFlag,
    };
    let table = this.topicQueueTable.get(config.topicName);
    if (table === undefined) this.topicQueueTable.set(config.topicName, (table = new Map<string, QueueData>()));
    table.set(brokerName, queueData);
  }

  private dropTopicsMissingFrom(brokerName: string, table: ReadonlyMap<string, TopicConfig>): void {
    const present = new Set([...table.values()].map((c) => c.topicName));
    for (const [topic, queueDatas] of this.topicQueueTable) {
      if (present.has(topic) || !queueDatas.delete(brokerName)) continue;
      if (queueDatas.size === 0) this.topicQueueTable.delete(topic);
    }
  }

  private isNoMasterExists(brokerName: string): boolean {
    const data = this.brokerAddrTable.get(brokerName);
    return data === undefined || data.brokerAddrs.size === 0 || Math.min(...data.brokerAddrs.keys()) > MASTER_ID;
  }

  private operateWritePermOfBroker(brokerName: string, change: (perm: number) => number): number {
    this.version++;
    let count = 0;
    for (const queueDatas of this.topicQueueTable.values()) {
      const queueData = queueDatas.get(brokerName);
      if (queueData === undefined) continue;
      queueData.perm = change(queueData.perm);
      count++;
    }
    return count;
  }
}

/** BrokerAddrInfo: liveness is per (cluster, address). */
function liveKey(clusterName: string, brokerAddr: string): string {
  return JSON.stringify([clusterName, brokerAddr]);
}

function cloneBrokerData(data: BrokerData): BrokerData {
  return { ...data, brokerAddrs: new Map(data.brokerAddrs) };
}
