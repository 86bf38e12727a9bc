import { ConsumerOrderInfoManager } from '../../../../src/broker/pop/consumer-order-info-manager.js';
import { PopEngine, type PopBrokerPort, type PopConfig } from '../../../../src/broker/pop/pop-engine.js';
import type { DefaultMessageStore } from '../../../../src/store/index.js';
import { MemoryConfigStore } from '../support.js';

/** The offsets and topics a broker would keep, in memory (what ConsumerOffsetManager and TopicConfigManager do). */
export class MemoryBrokerPort implements PopBrokerPort {
  readonly offsets = new Map<string, number>();
  readonly topics = new Map<string, number>();

  queryOffset(group: string, topic: string, queueId: number): number {
    return this.offsets.get(`${topic}@${group}@${queueId}`) ?? -1;
  }
  commitOffset(group: string, topic: string, queueId: number, offset: number): void {
    this.offsets.set(`${topic}@${group}@${queueId}`, offset);
  }
  readQueueNums(topic: string): number | undefined {
    return this.topics.get(topic);
  }
  createTopicIfAbsent(topic: string, queueNums: number): void {
    if (!this.topics.has(topic)) this.topics.set(topic, queueNums);
  }
}

export function popConfig(overrides: Partial<PopConfig> = {}): PopConfig {
  return {
    brokerName: 'broker-a',
    brokerClusterName: 'DefaultCluster',
    popFromRetryProbability: 20,
    enableRetryTopicV2: false,
    initPopOffsetByCheckMsgInMem: true,
    maxPopPollingSize: 100_000,
    popPollingSize: 1024,
    reviveInterval: 1000,
    ...overrides,
  };
}

/** An engine over a real store, with a clock the test moves and seeded randomness. */
export function engineOver(
  store: DefaultMessageStore,
  options: { broker?: MemoryBrokerPort; configStore?: MemoryConfigStore; clock?: { now: number }; seed?: number; config?: Partial<PopConfig> } = {},
): { engine: PopEngine; broker: MemoryBrokerPort; orderInfo: ConsumerOrderInfoManager; clock: { now: number }; configStore: MemoryConfigStore } {
  const broker = options.broker ?? new MemoryBrokerPort();
  const clock = options.clock ?? { now: 1_800_000_000_000 };
  const configStore = options.configStore ?? new MemoryConfigStore();
  const orderInfo = new ConsumerOrderInfoManager(configStore, () => clock.now);
  let seed = options.seed ?? 1;
  const random = (): number => {
    // A small LCG: the retry-first choice and the queue rotation repeat with the seed.
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const config = popConfig(options.config);
  const engine = new PopEngine({
    store,
    broker,
    orderInfo,
    config: () => config,
    storeHost: () => ({ address: '127.0.0.1', port: 10911 }),
    now: () => clock.now,
    random,
  });
  return { engine, broker, orderInfo, clock, configStore };
}
