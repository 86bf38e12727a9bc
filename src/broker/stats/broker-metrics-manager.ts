import { Histogram } from '../../common/histogram.js';
import { DLQ_GROUP_TOPIC_PREFIX, RETRY_GROUP_TOPIC_PREFIX } from '../topic/topic-validator.js';
import type { HistogramSample, Labels, MetricFamily, Sample } from '../../common/prometheus-text.js';

/** BrokerMetricsManager.registerMetricsView: message size buckets 1 KiB, 4 KiB, 512 KiB, 1 MiB, 2 MiB, 4 MiB. */
export const MESSAGE_SIZE_BUCKETS: readonly number[] = [1024, 4 * 1024, 512 * 1024, 1024 * 1024, 2 * 1024 * 1024, 4 * 1024 * 1024];
/** Transaction finish latency buckets, in seconds: 5 s, 1 min, 10 min, 1 h, 12 h, 24 h. */
export const FINISH_LATENCY_BUCKETS: readonly number[] = [5, 60, 600, 3600, 12 * 3600, 24 * 3600];
/** Topic and subscription group create time buckets, in ms: 10 ms, 100 ms, 1 s, 3 s, 5 s. */
export const CREATE_TIME_BUCKETS: readonly number[] = [10, 100, 1000, 3000, 5000];

/** MixAll.CID_RMQ_SYS_PREFIX: groups of this prefix are system groups (is_system). */
const CID_RMQ_SYS_PREFIX = 'CID_RMQ_SYS_';

/** BrokerMetricsManager.isSystemGroup. */
export function isSystemGroup(group: string): boolean {
  return group.toUpperCase().startsWith(CID_RMQ_SYS_PREFIX);
}

/** BrokerMetricsManager.isRetryOrDlqTopic: their traffic stays out of messages in/out and the size histogram. */
export function isRetryOrDlqTopic(topic: string): boolean {
  return topic.startsWith(RETRY_GROUP_TOPIC_PREFIX) || topic.startsWith(DLQ_GROUP_TOPIC_PREFIX);
}

/** Counters and histograms under one label set each; the key is the label values joined (rare events only). */
class LabeledSeries<T> {
  private readonly series = new Map<string, { labels: Labels; value: T }>();

  constructor(private readonly create: () => T) {}

  get(labels: Labels): T {
    const key = Object.values(labels).join('\u0001');
    let entry = this.series.get(key);
    if (entry === undefined) {
      entry = { labels, value: this.create() };
      this.series.set(key, entry);
    }
    return entry.value;
  }

  entries(): IterableIterator<{ labels: Labels; value: T }> {
    return this.series.values();
  }
}

/** A cell a counter adds to. */
interface Cell {
  value: number;
}

class LabeledCounter extends LabeledSeries<Cell> {
  constructor() {
    super(() => ({ value: 0 }));
  }

  add(labels: Labels, n: number): void {
    this.get(labels).value += n;
  }

  samples(): Sample[] {
    return [...this.entries()].map(({ labels, value }) => ({ labels, value: value.value }));
  }
}

class LabeledHistogram extends LabeledSeries<Histogram> {
  constructor(bounds: readonly number[]) {
    super(() => new Histogram(bounds));
  }

  record(labels: Labels, value: number): void {
    this.get(labels).record(value);
  }

  samples(): HistogramSample[] {
    return [...this.entries()].map(({ labels, value }) => ({ labels, histogram: value }));
  }
}

/**
 * BrokerMetricsManager's instruments that are recorded when something happens (the gauges are read at scrape
 * time by collectBrokerMetrics). The message size histogram is on the send path, so it is kept by topic in a
 * plain map: one lookup and a bucket increment per stored batch; the others record rare events (a DLQ send, a
 * transaction end, a topic or group created, a POP revive record) under their label set.
 */
export class BrokerMetricsManager {
  /** Per topic: the size of each stored message (its batch's bytes over its count, as Java records it). */
  readonly messageSize = new Map<string, Histogram>();
  readonly sendToDlq = new LabeledCounter();
  readonly commitMessages = new LabeledCounter();
  readonly rollbackMessages = new LabeledCounter();
  readonly finishLatency = new LabeledHistogram(FINISH_LATENCY_BUCKETS);
  readonly topicCreateTime = new LabeledHistogram(CREATE_TIME_BUCKETS);
  readonly groupCreateTime = new LabeledHistogram(CREATE_TIME_BUCKETS);
  readonly popReviveIn = new LabeledCounter();
  readonly popReviveOut = new LabeledCounter();
  readonly popReviveRetry = new LabeledCounter();

  /** A stored put of `msgNum` messages and `wroteBytes` bytes on `topic` (retry and DLQ topics are left out by the caller). */
  recordMessageSize(topic: string, msgNum: number, wroteBytes: number): void {
    let histogram = this.messageSize.get(topic);
    if (histogram === undefined) {
      histogram = new Histogram(MESSAGE_SIZE_BUCKETS);
      this.messageSize.set(topic, histogram);
    }
    histogram.record(Math.floor(wroteBytes / Math.max(1, msgNum)));
  }

  /** A message of `group` consumed from `topic` went to the group's DLQ (Java: AbstractSendMessageProcessor). */
  recordSendToDlq(group: string, topic: string, isSystemTopic: boolean): void {
    this.sendToDlq.add({ consumer_group: group, topic, is_system: String(isSystemTopic || isSystemGroup(group)) }, 1);
  }

  /**
   * A half message committed or rolled back (EndTransactionProcessor). Java records the commit latency in seconds
   * under the unit "ms" (so the family is served as `_milliseconds` with buckets in seconds); ours records the same.
   */
  recordTransactionEnd(topic: string, commit: boolean, bornTimestamp: number, now: number): void {
    if (!commit) {
      this.rollbackMessages.add({ topic }, 1);
      return;
    }
    this.commitMessages.add({ topic }, 1);
    this.finishLatency.record({ topic }, Math.floor((now - bornTimestamp) / 1000));
  }

  /** UPDATE_AND_CREATE_TOPIC(_LIST) took `millis` (AdminBrokerProcessor). */
  recordTopicCreate(millis: number, success: boolean, isSystemTopic: boolean): void {
    this.topicCreateTime.record({ invocation_status: success ? 'success' : 'failure', is_system: String(isSystemTopic) }, millis);
  }

  /** UPDATE_AND_CREATE_SUBSCRIPTIONGROUP(_LIST) took `millis`. */
  recordGroupCreate(millis: number, success: boolean): void {
    this.groupCreateTime.record({ invocation_status: success ? 'success' : 'failure' }, millis);
  }

  /** A POP checkpoint (CK) or ack (ACK) record was put to the revive topic, with the put's status. */
  recordRevivePut(group: string, topic: string, type: 'CK' | 'ACK', putStatus: string): void {
    this.popReviveIn.add({ consumer_group: group, topic, revive_message_type: type, put_status: putStatus }, 1);
  }

  /** A POP record was read back from revive queue `queueId`. */
  recordReviveGet(group: string, topic: string, queueId: number, type: 'CK' | 'ACK'): void {
    this.popReviveOut.add({ consumer_group: group, topic, queue_id: String(queueId), revive_message_type: type }, 1);
  }

  /** A message not acked in time was put to the group's POP retry topic. */
  recordReviveRetry(group: string, topic: string, putStatus: string): void {
    this.popReviveRetry.add({ consumer_group: group, topic, put_status: putStatus }, 1);
  }

  /** A topic's metrics go with the topic. */
  onTopicDeleted(topic: string): void {
    this.messageSize.delete(topic);
  }

  /** The event families, named as Java 5.3.3's exporter serves them (units appended). */
  families(messageSizeLabels: (topic: string) => Labels): MetricFamily[] {
    return [
      {
        name: 'rocketmq_message_size',
        type: 'histogram',
        help: 'Incoming messages size',
        samples: [...this.messageSize].map(([topic, histogram]) => ({ labels: messageSizeLabels(topic), histogram })),
      },
      { name: 'rocketmq_send_to_dlq_messages_total', type: 'counter', help: 'Consumer send to DLQ messages', samples: this.sendToDlq.samples() },
      { name: 'rocketmq_commit_messages_total', type: 'counter', help: 'Total number of commit messages', samples: this.commitMessages.samples() },
      { name: 'rocketmq_rollback_messages_total', type: 'counter', help: 'Total number of rollback messages', samples: this.rollbackMessages.samples() },
      { name: 'rocketmq_finish_message_latency_milliseconds', type: 'histogram', help: 'Transaction finish latency', samples: this.finishLatency.samples() },
      {
        name: 'rocketmq_topic_create_execution_time_milliseconds',
        type: 'histogram',
        help: 'The distribution of create topic time',
        samples: this.topicCreateTime.samples(),
      },
      {
        name: 'rocketmq_consumer_group_create_execution_time_milliseconds',
        type: 'histogram',
        help: 'The distribution of create subscription time',
        samples: this.groupCreateTime.samples(),
      },
      { name: 'rocketmq_pop_revive_in_message_total', type: 'counter', help: 'Total number of put message to revive topic', samples: this.popReviveIn.samples() },
      { name: 'rocketmq_pop_revive_out_message_total', type: 'counter', help: 'Total number of get message from revive topic', samples: this.popReviveOut.samples() },
      {
        name: 'rocketmq_pop_revive_retry_messages_total',
        type: 'counter',
        help: 'Total number of put message to pop retry topic',
        samples: this.popReviveRetry.samples(),
      },
    ];
  }
}
