import type { MessageQueue } from '../../protocol/bodies/message-queue.js';
import { LatencyFaultTolerance } from './latency-fault-tolerance.js';
import type { TopicPublishInfo } from './topic-publish-info.js';

export interface MQFaultStrategyOptions {
  /** Steer sends away from slow or failing brokers (ClientConfig.sendLatencyEnable). */
  sendLatencyFaultEnable: boolean;
  /** Latency thresholds (ms), ascending; a latency at or above latencyMax[i] ... */
  latencyMax?: readonly number[];
  /** ... makes the broker unavailable for notAvailableDuration[i] ms. */
  notAvailableDuration?: readonly number[];
  now?: () => number;
}

/** Java's steps: below 550 ms costs nothing; 3 s of latency costs 6 s out; a failure (taken as 10 s of latency) 10 s out. */
export const DEFAULT_LATENCY_MAX: readonly number[] = [50, 100, 550, 1800, 3000, 5000, 15000];
export const DEFAULT_NOT_AVAILABLE_DURATION: readonly number[] = [0, 0, 2000, 5000, 6000, 10000, 30000];

/** The latency charged for a failed send, which isolates the broker (Java: 10 000 ms, giving 10 s out). */
const ISOLATION_LATENCY = 10_000;

/**
 * MQFaultStrategy.java: which queue a send goes to. Round-robin over the topic's queues, skipping the broker of
 * the previous attempt; with sendLatencyFaultEnable, preferring available brokers, then reachable ones, then
 * any.
 */
export class MQFaultStrategy {
  readonly sendLatencyFaultEnable: boolean;
  private readonly latencyMax: readonly number[];
  private readonly notAvailableDuration: readonly number[];
  private readonly tolerance: LatencyFaultTolerance;

  constructor(options: MQFaultStrategyOptions) {
    this.sendLatencyFaultEnable = options.sendLatencyFaultEnable;
    this.latencyMax = options.latencyMax ?? DEFAULT_LATENCY_MAX;
    this.notAvailableDuration = options.notAvailableDuration ?? DEFAULT_NOT_AVAILABLE_DURATION;
    if (this.latencyMax.length !== this.notAvailableDuration.length) {
      throw new RangeError('latencyMax and notAvailableDuration must have the same length');
    }
    this.tolerance = new LatencyFaultTolerance(options.now);
  }

  selectOneMessageQueue(tpInfo: TopicPublishInfo, lastBrokerName: string | undefined, resetIndex: boolean): MessageQueue | undefined {
    const notLastBroker = (mq: MessageQueue): boolean => lastBrokerName === undefined || mq.brokerName !== lastBrokerName;
    if (this.sendLatencyFaultEnable) {
      if (resetIndex) tpInfo.resetIndex();
      return (
        tpInfo.selectOneMessageQueue((mq) => this.tolerance.isAvailable(mq.brokerName), notLastBroker) ??
        tpInfo.selectOneMessageQueue((mq) => this.tolerance.isReachable(mq.brokerName), notLastBroker) ??
        tpInfo.selectOneMessageQueue()
      );
    }
    return tpInfo.selectOneMessageQueue(notLastBroker) ?? tpInfo.selectOneMessageQueue();
  }

  /** Records a send's outcome; `isolation` charges a failure's latency, `reachable` false keeps the broker out. */
  updateFaultItem(brokerName: string, currentLatency: number, isolation: boolean, reachable: boolean): void {
    if (!this.sendLatencyFaultEnable) return;
    const duration = this.computeNotAvailableDuration(isolation ? ISOLATION_LATENCY : currentLatency);
    this.tolerance.updateFaultItem(brokerName, currentLatency, duration, reachable);
  }

  isAvailable(brokerName: string): boolean {
    return this.tolerance.isAvailable(brokerName);
  }

  computeNotAvailableDuration(currentLatency: number): number {
    for (let i = this.latencyMax.length - 1; i >= 0; i--) {
      if (currentLatency >= (this.latencyMax[i] as number)) return this.notAvailableDuration[i] as number;
    }
    return 0;
  }
}
