import { silentLogger, type Logger } from '../../common/logger.js';
import { MQFilterError, SQL92, Sql92Cache, type Sql92Expression } from '../../filter/index.js';
import type { SubscriptionData } from '../../protocol/bodies/heartbeat-data.js';
import { toFastjson } from '../../protocol/bodies/fastjson-writer.js';
import { asObject, optInteger, optObject, optString, parseJsonBody, type JsonObject } from '../../protocol/bodies/json-fields.js';
import { ConfigManager } from '../config-manager.js';
import type { ConfigStore } from '../config-store.js';
import { isTagType } from './expression-message-filter.js';

/** ConsumerFilterData.java: a group's compiled filter of one topic, from its heartbeats. */
export interface ConsumerFilterData {
  readonly consumerGroup: string;
  readonly topic: string;
  readonly expression: string;
  readonly expressionType: string;
  /** undefined only for a persisted filter that no longer compiles (then it filters nothing, as in Java). */
  readonly compiledExpression: Sql92Expression | undefined;
  readonly bornTime: number;
  /** When its group left (or stopped subscribing the topic); 0 while alive. */
  deadTime: number;
  /** The subscription's subVersion: a pull asking for a newer one is told FILTER_DATA_NOT_LATEST. */
  clientVersion: number;
}

/** ConsumerFilterData.isDead. */
export function isDead(data: ConsumerFilterData): boolean {
  return data.deadTime >= data.bornTime;
}

/** The broker's filter compiler (FilterFactory): SQL92 only; compile errors are MQFilterError. */
export class FilterFactory {
  constructor(private readonly cache = new Sql92Cache()) {}

  compile(expressionType: string, expression: string): Sql92Expression {
    if (expressionType !== SQL92) throw new MQFilterError(`the broker has no filter of type ${expressionType}`, expression);
    return this.cache.compile(expression);
  }
}

export interface ConsumerFilterManagerOptions {
  configStore: ConfigStore;
  factory: FilterFactory;
  /** BrokerConfig.filterDataCleanTimeSpan. */
  filterDataCleanTimeSpan: () => number;
  logger?: Logger;
  now?: () => number;
}

/**
 * ConsumerFilterManager.java without the bloom filter (an optimisation of the consume-queue extension, which this
 * broker does not write): topic -> group -> the group's compiled filter, registered from every heartbeat that
 * carries a non-TAG subscription and kept as consumerFilter.json. A group that leaves, or stops subscribing a
 * topic, leaves its filter dead; dead filters still answer pulls and are forgotten filterDataCleanTimeSpan later.
 * Filters loaded at start are dead until their group's next heartbeat, as in Java.
 */
export class ConsumerFilterManager extends ConfigManager<Map<string, Map<string, ConsumerFilterData>>> {
  private readonly filterDataByTopic = new Map<string, Map<string, ConsumerFilterData>>();
  private readonly factory: FilterFactory;
  private readonly now: () => number;
  private dirty = false;

  constructor(private readonly options: ConsumerFilterManagerOptions) {
    super(options.configStore, 'consumerFilter.json', options.logger ?? silentLogger);
    this.factory = options.factory;
    this.now = options.now ?? Date.now;
  }

  /** ConsumerFilterManager.build: compiled, or undefined for a TAG type or an expression that does not compile. */
  build(topic: string, consumerGroup: string, expression: string, expressionType: string, clientVersion: number): ConsumerFilterData | undefined {
    if (isTagType(expressionType)) return undefined;
    let compiledExpression: Sql92Expression;
    try {
      compiledExpression = this.factory.compile(expressionType, expression);
    } catch (err) {
      this.logger.error(`parse error: expr=${expression}, topic=${topic}, group=${consumerGroup}, error=${(err as Error).message}`);
      return undefined;
    }
    return { consumerGroup, topic, expression, expressionType, compiledExpression, bornTime: this.now(), deadTime: 0, clientVersion };
  }

  /** The REGISTER event of a heartbeat: every subscription registered, the group's other topics made dead. */
  register(consumerGroup: string, subList: readonly SubscriptionData[]): void {
    for (const sub of subList) this.registerOne(sub.topic, consumerGroup, sub.subString, sub.expressionType, sub.subVersion);
    const topics = new Set(subList.map((sub) => sub.topic));
    for (const [topic, groups] of this.filterDataByTopic) {
      const data = groups.get(consumerGroup);
      if (data === undefined || topics.has(topic) || isDead(data)) continue;
      data.deadTime = this.now();
      this.changed(`Consumer filter changed: ${consumerGroup}, make illegal topic dead: ${topic}`);
    }
  }

  /**
   * FilterDataMapByTopic.register: a new filter, or a newer version of the group's filter (a changed expression is
   * compiled again; one that no longer compiles removes the filter, so that pulls say FILTER_DATA_NOT_EXIST). An
   * older or equal version changes nothing, except that the same version brings a dead filter back to life.
   */
  registerOne(topic: string, consumerGroup: string, expression: string | undefined, expressionType: string, clientVersion: number): boolean {
    if (isTagType(expressionType) || expression === undefined || expression === '') return false;
    let groups = this.filterDataByTopic.get(topic);
    if (groups === undefined) this.filterDataByTopic.set(topic, (groups = new Map<string, ConsumerFilterData>()));
    const old = groups.get(consumerGroup);
    if (old === undefined) {
      const created = this.build(topic, consumerGroup, expression, expressionType, clientVersion);
      if (created === undefined) return false;
      groups.set(consumerGroup, created);
      this.changed(`New consumer filter registered: ${consumerGroup}@${topic}: ${expression}`);
      return true;
    }
    if (clientVersion <= old.clientVersion) {
      if (clientVersion === old.clientVersion && isDead(old)) {
        old.deadTime = 0;
        this.changed(`Re alive consumer filter: ${consumerGroup}@${topic}`);
        return true;
      }
      return false;
    }
    if (old.expression !== expression || old.expressionType !== expressionType) {
      const created = this.build(topic, consumerGroup, expression, expressionType, clientVersion);
      if (created === undefined) {
        // The new expression does not compile: the old one goes, and the client is told.
        groups.delete(consumerGroup);
        this.changed(`Consumer filter of ${consumerGroup}@${topic} removed: ${expression} does not compile`);
        return false;
      }
      groups.set(consumerGroup, created);
      this.changed(`Consumer filter info change: ${consumerGroup}@${topic}: ${old.expression} -> ${expression}`);
      return true;
    }
    old.clientVersion = clientVersion;
    if (isDead(old)) old.deadTime = 0;
    this.dirty = true;
    return true;
  }

  /** The UNREGISTER event: the group has no member left; its filters are dead from now. */
  unRegister(consumerGroup: string): void {
    for (const groups of this.filterDataByTopic.values()) {
      const data = groups.get(consumerGroup);
      if (data === undefined || isDead(data)) continue;
      data.deadTime = this.now();
      this.changed(`Unregister consumer filter: ${consumerGroup}@${data.topic}`);
    }
  }

  get(topic: string, consumerGroup: string): ConsumerFilterData | undefined {
    return this.filterDataByTopic.get(topic)?.get(consumerGroup);
  }

  /** Writes consumerFilter.json when something changed since the last write (Java writes it every 10 s). */
  persistIfChanged(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.persistInBackground();
  }

  /** Forgets filters dead for longer than filterDataCleanTimeSpan, and topics left without any. */
  clean(): void {
    const span = this.options.filterDataCleanTimeSpan();
    const now = this.now();
    for (const [topic, groups] of this.filterDataByTopic) {
      for (const [group, data] of groups) {
        if (isDead(data) && now - data.deadTime >= span) {
          groups.delete(group);
          this.logger.info(`Remove filter consumer ${group}@${topic}, died too long!`);
        }
      }
      if (groups.size === 0) this.filterDataByTopic.delete(topic);
    }
  }

  /** Java's consumerFilter.json (fastjson, fields sorted; no bloomFilterData), after clean(). */
  encode(): string {
    this.clean();
    const filterDataByTopic: Record<string, unknown> = {};
    for (const [topic, groups] of this.filterDataByTopic) {
      const groupFilterData: Record<string, unknown> = {};
      for (const [group, data] of groups) {
        groupFilterData[group] = {
          bornTime: data.bornTime,
          clientVersion: data.clientVersion,
          consumerGroup: data.consumerGroup,
          dead: isDead(data),
          deadTime: data.deadTime,
          expression: data.expression,
          expressionType: data.expressionType,
          topic: data.topic,
        };
      }
      filterDataByTopic[topic] = { groupFilterData, topic };
    }
    return toFastjson({ filterDataByTopic });
  }

  protected decode(text: string): Map<string, Map<string, ConsumerFilterData>> {
    const what = 'consumerFilter.json';
    const root = asObject(parseJsonBody(text, what), what);
    const loaded = new Map<string, Map<string, ConsumerFilterData>>();
    for (const [topic, value] of Object.entries(optObject(root, 'filterDataByTopic', what) ?? {})) {
      if (value === null) continue;
      const byTopic = asObject(value, `${what}.${topic}`);
      const groups = new Map<string, ConsumerFilterData>();
      for (const [group, raw] of Object.entries(optObject(byTopic, 'groupFilterData', `${what}.${topic}`) ?? {})) {
        if (raw === null) continue;
        const data = this.decodeFilterData(asObject(raw, `${what}.${topic}.${group}`), topic, group);
        if (data !== undefined) groups.set(group, data);
      }
      loaded.set(topic, groups);
    }
    return loaded;
  }

  /** Every loaded filter is dead (its consumers have yet to come back), but still answers pulls meanwhile. */
  protected apply(loaded: Map<string, Map<string, ConsumerFilterData>>): void {
    const deadTime = this.now() - 30_000;
    for (const [topic, groups] of loaded) {
      for (const data of groups.values()) if (data.deadTime === 0) data.deadTime = Math.max(deadTime, data.bornTime);
      this.filterDataByTopic.set(topic, groups);
    }
  }

  private decodeFilterData(obj: JsonObject, topic: string, group: string): ConsumerFilterData | undefined {
    const what = `consumerFilter.json ${group}@${topic}`;
    const expression = optString(obj, 'expression', what) ?? '';
    const expressionType = optString(obj, 'expressionType', what) ?? SQL92;
    let compiledExpression: Sql92Expression | undefined;
    try {
      compiledExpression = this.factory.compile(expressionType, expression);
    } catch (err) {
      this.logger.error(`load filter data error, ${group}@${topic}: ${(err as Error).message}`);
    }
    return {
      consumerGroup: optString(obj, 'consumerGroup', what) ?? group,
      topic: optString(obj, 'topic', what) ?? topic,
      expression,
      expressionType,
      compiledExpression,
      bornTime: optInteger(obj, 'bornTime', what) ?? 0,
      deadTime: optInteger(obj, 'deadTime', what) ?? 0,
      clientVersion: optInteger(obj, 'clientVersion', what) ?? 0,
    };
  }

  private changed(message: string): void {
    this.dirty = true;
    this.logger.info(message);
  }
}
