import { silentLogger, type Logger } from '../../common/logger.js';
import { decodeConsumerOffsetSerializeWrapper, type ConsumerOffsetSerializeWrapper } from '../../protocol/bodies/consumer-offset-serialize-wrapper.js';
import { encodeConsumerOffsetTable } from '../../protocol/bodies/consumer-offset-table.js';
import type { DataVersion } from '../../protocol/bodies/data-version.js';
import { ConfigManager, newDataVersion, nextDataVersion } from '../config-manager.js';
import type { ConfigStore } from '../config-store.js';

/** ConsumerOffsetManager.TOPIC_GROUP_SEPARATOR: offsets are keyed "topic@group". */
export const TOPIC_GROUP_SEPARATOR = '@';
/** BrokerConfig.consumerOffsetUpdateVersionStep: the DataVersion moves once per this many commits. */
const VERSION_STEP = 500;

/**
 * ConsumerOffsetManager.java: the committed offset of every group on every queue, "topic@group" -> queueId -> offset,
 * persisted as consumerOffset.json in 5.x's shape (4.9 reads it too). Commits only change memory; the controller
 * persists on a timer (flushConsumerOffsetInterval) and on shutdown, as Java does.
 */
export class ConsumerOffsetManager extends ConfigManager<ConsumerOffsetSerializeWrapper> {
  private readonly offsetTable = new Map<string, Map<number, number>>();
  /**
   * Java's pullOffsetTable: where each group's next pull begins, in memory only (the inflight and ready metrics).
   * Nested by topic, then group, so that a pull records its offset without building a key.
   */
  private readonly pullOffsetTable = new Map<string, Map<string, Map<number, number>>>();
  private dataVersion: DataVersion = newDataVersion();
  private commitsSinceVersion = 0;

  constructor(configStore: ConfigStore, logger: Logger = silentLogger) {
    super(configStore, 'consumerOffset.json', logger);
  }

  getDataVersion(): DataVersion {
    return { ...this.dataVersion };
  }

  commitOffset(clientHost: string, group: string, topic: string, queueId: number, offset: number): void {
    const key = topic + TOPIC_GROUP_SEPARATOR + group;
    let offsets = this.offsetTable.get(key);
    if (offsets === undefined) {
      offsets = new Map();
      this.offsetTable.set(key, offsets);
    }
    const stored = offsets.get(queueId);
    offsets.set(queueId, offset);
    if (stored !== undefined && offset < stored) {
      this.logger.warn(`[NOTIFYME] update consumer offset less than store. clientHost=${clientHost}, key=${key}, queueId=${queueId}, requestOffset=${offset}, storeOffset=${stored}`);
    }
    if (++this.commitsSinceVersion >= VERSION_STEP) {
      this.commitsSinceVersion = 0;
      this.dataVersion = nextDataVersion(this.dataVersion);
    }
  }

  /** ConsumerOffsetManager.commitPullOffset: the next offset a pull of `group` begins at on that queue. */
  commitPullOffset(group: string, topic: string, queueId: number, offset: number): void {
    let groups = this.pullOffsetTable.get(topic);
    if (groups === undefined) {
      groups = new Map();
      this.pullOffsetTable.set(topic, groups);
    }
    let offsets = groups.get(group);
    if (offsets === undefined) {
      offsets = new Map();
      groups.set(group, offsets);
    }
    offsets.set(queueId, offset);
  }

  /** The next pull offset, or -1 when the group has not pulled that queue since the broker started. */
  queryPullOffset(group: string, topic: string, queueId: number): number {
    return this.pullOffsetTable.get(topic)?.get(group)?.get(queueId) ?? -1;
  }

  /** The committed offset, or -1 when the group never committed one on that queue. */
  queryOffset(group: string, topic: string, queueId: number): number {
    return this.offsetTable.get(topic + TOPIC_GROUP_SEPARATOR + group)?.get(queueId) ?? -1;
  }

  /** The topics `group` has committed offsets on. */
  /** Every committed (topic, group) with its offsets by queue (the consumer-lag metrics). */
  *offsetEntries(): Generator<{ topic: string; group: string; offsets: ReadonlyMap<number, number> }> {
    for (const [key, offsets] of this.offsetTable) {
      const split = key.indexOf(TOPIC_GROUP_SEPARATOR);
      if (split > 0) yield { topic: key.slice(0, split), group: key.slice(split + 1), offsets };
    }
  }

  whichTopicByConsumer(group: string): Set<string> {
    const topics = new Set<string>();
    for (const key of this.offsetTable.keys()) {
      const [topic, owner] = splitKey(key);
      if (owner === group && topic !== undefined) topics.add(topic);
    }
    return topics;
  }

  /** The groups that have committed offsets on `topic`. */
  whichGroupByTopic(topic: string): Set<string> {
    const groups = new Set<string>();
    for (const key of this.offsetTable.keys()) {
      const [owner, group] = splitKey(key);
      if (owner === topic && group !== undefined) groups.add(group);
    }
    return groups;
  }

  /** DELETE_SUBSCRIPTIONGROUP with cleanOffset: drops the group's offsets on every topic. */
  removeOffset(group: string): void {
    for (const groups of this.pullOffsetTable.values()) groups.delete(group);
    for (const key of [...this.offsetTable.keys()]) {
      if (splitKey(key)[1] !== group) continue;
      this.offsetTable.delete(key);
      this.logger.warn(`clean group offset ${key}`);
    }
  }

  /** CLONE_GROUP_OFFSET: `destGroup` gets a copy of `srcGroup`'s offsets on `topic`. */
  cloneOffset(srcGroup: string, destGroup: string, topic: string): void {
    const offsets = this.offsetTable.get(topic + TOPIC_GROUP_SEPARATOR + srcGroup);
    if (offsets !== undefined) this.offsetTable.set(topic + TOPIC_GROUP_SEPARATOR + destGroup, new Map(offsets));
  }

  /** Drops every group's offsets of a deleted topic. */
  cleanOffsetByTopic(topic: string): void {
    this.pullOffsetTable.delete(topic);
    for (const key of [...this.offsetTable.keys()]) {
      const parts = key.split(TOPIC_GROUP_SEPARATOR);
      if (parts.length === 2 && parts[0] === topic) {
        this.offsetTable.delete(key);
        this.logger.warn(`clean topic's offset, ${key}`);
      }
    }
  }

  /**
   * SlaveSynchronize.syncConsumerOffset: the master's offsets replace the slave's queue by queue (putAll per
   * topic@group; keys only the slave has stay), with its DataVersion. Resolves once written.
   */
  async putAllFromMaster(wrapper: ConsumerOffsetSerializeWrapper): Promise<void> {
    for (const [key, offsets] of wrapper.offsetTable) this.offsetTable.set(key, new Map(offsets));
    if (wrapper.dataVersion !== undefined) this.dataVersion = { ...wrapper.dataVersion };
    await this.persist();
  }

  /**
   * P7, a returning master: an offset a slave holds beyond ours (consumers committed there while we were away) is
   * taken when `accept` says the queue reaches it. Returns how many queue offsets moved.
   */
  mergeHigherFromSlave(wrapper: ConsumerOffsetSerializeWrapper, accept: (topic: string, queueId: number, offset: number) => boolean): number {
    let moved = 0;
    for (const [key, offsets] of wrapper.offsetTable) {
      const [topic] = splitKey(key);
      if (topic === undefined) continue;
      for (const [queueId, offset] of offsets) {
        const ours = this.offsetTable.get(key)?.get(queueId) ?? -1;
        if (offset <= ours || !accept(topic, queueId, offset)) continue;
        let table = this.offsetTable.get(key);
        if (table === undefined) this.offsetTable.set(key, (table = new Map<number, number>()));
        table.set(queueId, offset);
        moved++;
      }
    }
    if (moved > 0) this.dataVersion = nextDataVersion(this.dataVersion);
    return moved;
  }

  encode(): string {
    return encodeConsumerOffsetTable(this.offsetTable, this.dataVersion);
  }

  protected decode(text: string): ConsumerOffsetSerializeWrapper {
    return decodeConsumerOffsetSerializeWrapper(text);
  }

  protected apply(wrapper: ConsumerOffsetSerializeWrapper): void {
    this.offsetTable.clear();
    for (const [key, offsets] of wrapper.offsetTable) this.offsetTable.set(key, new Map(offsets));
    if (wrapper.dataVersion !== undefined) this.dataVersion = wrapper.dataVersion;
  }
}

/** "topic@group" -> [topic, group]; a key without exactly one separator yields undefined parts. */
function splitKey(key: string): [string | undefined, string | undefined] {
  const parts = key.split(TOPIC_GROUP_SEPARATOR);
  return parts.length === 2 ? [parts[0], parts[1]] : [undefined, undefined];
}
