import type { Labels, MetricFamily, Sample } from '../../common/prometheus-text.js';
import { mqVersionDesc } from '../../protocol/language-code.js';
import type { ConsumeType } from '../../protocol/bodies/heartbeat-data.js';
import type { BrokerContext } from '../processors/broker-context.js';
import { RETRY_GROUP_TOPIC_PREFIX, TopicValidator } from '../topic/topic-validator.js';
import { REVIVE_GROUP } from '../pop/key-builder.js';
import { isRetryOrDlqTopic, isSystemGroup } from './broker-metrics-manager.js';
import { StatsName } from './broker-stats-manager.js';

/** ConsumeType.getTypeCN, lower-cased as the metrics write it. */
const CONSUME_MODE: Readonly<Record<ConsumeType, string>> = { CONSUME_ACTIVELY: 'pull', CONSUME_PASSIVELY: 'push', CONSUME_POP: 'pop' };

/** What the metrics read of the broker. */
export type BrokerMetricsSource = Pick<
  BrokerContext,
  | 'config'
  | 'brokerStatsManager'
  | 'topicConfigManager'
  | 'subscriptionGroupManager'
  | 'consumerOffsetManager'
  | 'consumerManager'
  | 'producerManager'
  | 'messageStore'
  | 'sendThreadPoolQueue'
  | 'brokerMetricsManager'
  | 'timerMessageStore'
  | 'popEngine'
>;

/** TimerMetrics.timerDistList (Java's default): the bounds, in seconds, of rocketmq_timer_message_snapshot. */
const TIMER_DIST_SECONDS: readonly number[] = [5, 60, 300, 900, 3600, 14400, 28800, 86400];

/**
 * BrokerMetricsManager and DefaultStoreMetricsManager's families, named as Java 5.3.3's Prometheus exporter serves
 * them (unit suffixes appended: `_milliseconds`, `_bytes`), built from the BrokerStatsManager counters and the
 * managers. Counters are cumulative since start; retry and DLQ topics stay out of messages in/out, as in Java.
 * The message type of a put is that of the topic it was stored in (Java's is read from the request; remoting
 * clients send FIFO without the sharding key Java looks for, so only normal, delay and transaction occur).
 */
export function collectBrokerMetrics(broker: BrokerMetricsSource, now = Date.now()): MetricFamily[] {
  const stats = broker.brokerStatsManager;
  const isSystemTopic = (topic: string): boolean => broker.topicConfigManager.isSystemTopic(topic);

  const messagesIn: Sample[] = [];
  const throughputIn: Sample[] = [];
  const putSizes = stats.statsItemSet(StatsName.TOPIC_PUT_SIZE);
  for (const [topic, item] of stats.statsItemSet(StatsName.TOPIC_PUT_NUMS).entries()) {
    if (isRetryOrDlqTopic(topic)) continue;
    const labels = { topic, message_type: messageTypeOf(topic), is_system: String(isSystemTopic(topic)) };
    messagesIn.push({ labels, value: item.value });
    throughputIn.push({ labels, value: putSizes.get(topic)?.value ?? 0 });
  }
  const messagesOut: Sample[] = [];
  const throughputOut: Sample[] = [];
  const getSizes = stats.statsItemSet(StatsName.GROUP_GET_SIZE);
  for (const [topic, group, item] of stats.statsItemSet(StatsName.GROUP_GET_NUMS).pairEntries()) {
    if (isRetryOrDlqTopic(topic)) continue;
    const labels = { topic, consumer_group: String(group), is_system: String(isSystemTopic(topic) || isSystemGroup(String(group))) };
    messagesOut.push({ labels, value: item.value });
    throughputOut.push({ labels, value: getSizes.get(`${topic}@${group}`)?.value ?? 0 });
  }

  const lagMessages: Sample[] = [];
  const lagLatency: Sample[] = [];
  const store = broker.messageStore;
  const inflightMessages: Sample[] = [];
  const queueingLatency: Sample[] = [];
  const readyMessages: Sample[] = [];
  const offsetManager = broker.consumerOffsetManager;
  for (const { topic, group, offsets } of offsetManager.offsetEntries()) {
    let lag = 0;
    let oldestUnconsumed = 0;
    let inflight = 0;
    let oldestUnpulled = 0;
    let ready = 0;
    for (const [queueId, committed] of offsets) {
      const maxOffset = store.getMaxOffsetInQueue(topic, queueId);
      const behind = maxOffset - Math.max(0, committed);
      if (behind > 0) {
        lag += behind;
        const storeTime = store.getMessageStoreTimeStamp(topic, queueId, Math.max(0, committed));
        if (storeTime > 0 && (oldestUnconsumed === 0 || storeTime < oldestUnconsumed)) oldestUnconsumed = storeTime;
      }
      // ConsumerLagCalculator: inflight is pulled but not committed, ready is stored but not pulled; a queue not
      // pulled since start counts neither (Java takes the broker's max offset as its pull offset then).
      const pulled = offsetManager.queryPullOffset(group, topic, queueId);
      if (pulled < 0) continue;
      inflight += Math.max(0, pulled - Math.max(0, committed));
      ready += Math.max(0, maxOffset - pulled);
      if (pulled < maxOffset) {
        const storeTime = store.getMessageStoreTimeStamp(topic, queueId, pulled);
        if (storeTime > 0 && (oldestUnpulled === 0 || storeTime < oldestUnpulled)) oldestUnpulled = storeTime;
      }
    }
    const labels = {
      consumer_group: group,
      topic,
      is_retry: String(topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)),
      is_system: String(isSystemTopic(topic) || isSystemGroup(group)),
    };
    lagMessages.push({ labels, value: lag });
    lagLatency.push({ labels, value: oldestUnconsumed === 0 ? 0 : Math.max(0, now - oldestUnconsumed) });
    inflightMessages.push({ labels, value: inflight });
    queueingLatency.push({ labels, value: oldestUnpulled === 0 ? 0 : Math.max(0, now - oldestUnpulled) });
    readyMessages.push({ labels, value: ready });
  }

  const producerConnections = countBy(
    [...broker.producerManager.groups()].flatMap(([, members]) => [...members.values()]),
    (info) => ({ language: info.language.toLowerCase(), version: mqVersionDesc(info.version).toLowerCase(), protocol_type: 'remoting' }),
  );
  const consumerConnections = countBy(
    [...broker.consumerManager.groups()].flatMap((group) => [...group.channelInfoTable.values()].map((info) => ({ group, info }))),
    ({ group, info }) => ({
      consumer_group: group.groupName,
      language: info.language.toLowerCase(),
      version: mqVersionDesc(info.version).toLowerCase(),
      consume_mode: CONSUME_MODE[group.consumeType],
      protocol_type: 'remoting',
      is_system: String(isSystemGroup(group.groupName)),
    }),
  );

  const storage = store.storageMetrics();
  const storeLabels = { storage_type: 'local', storage_medium: 'disk' };
  const family = (name: string, type: 'counter' | 'gauge', help: string, samples: Sample[]): MetricFamily => ({ name, type, help, samples });
  const single = (value: number, labels: Labels = {}): Sample[] => [{ labels, value }];
  return [
    family('rocketmq_messages_in_total', 'counter', 'Total number of incoming messages', messagesIn),
    family('rocketmq_messages_out_total', 'counter', 'Total number of outgoing messages', messagesOut),
    family('rocketmq_throughput_in_total', 'counter', 'Total traffic of incoming messages', throughputIn),
    family('rocketmq_throughput_out_total', 'counter', 'Total traffic of outgoing messages', throughputOut),
    family('rocketmq_consumer_lag_messages', 'gauge', 'Consumer lag messages', lagMessages),
    family('rocketmq_consumer_lag_latency_milliseconds', 'gauge', 'Consumer lag time', lagLatency),
    family('rocketmq_consumer_inflight_messages', 'gauge', 'Consumer inflight messages', inflightMessages),
    family('rocketmq_consumer_queueing_latency_milliseconds', 'gauge', 'Consumer queueing time', queueingLatency),
    family('rocketmq_consumer_ready_messages', 'gauge', 'Consumer ready messages', readyMessages),
    family('rocketmq_producer_connections', 'gauge', 'Producer connections', producerConnections),
    family('rocketmq_consumer_connections', 'gauge', 'Consumer connections', consumerConnections),
    family('rocketmq_topic_number', 'gauge', 'Active topic number', single(broker.topicConfigManager.topicCount)),
    family('rocketmq_consumer_group_number', 'gauge', 'Active subscription group number', single(broker.subscriptionGroupManager.groupCount)),
    family('rocketmq_broker_permission', 'gauge', 'Broker permission', single(broker.config.brokerPermission)),
    family('rocketmq_processor_watermark', 'gauge', 'Request processor watermark', single(broker.sendThreadPoolQueue.size, { processor: 'send' })),
    family('rocketmq_storage_size_bytes', 'gauge', 'Broker storage size', storage.storageSizeBytes === undefined ? [] : single(storage.storageSizeBytes, storeLabels)),
    family('rocketmq_storage_flush_behind_bytes', 'gauge', 'Broker flush behind bytes', single(storage.flushBehindBytes, storeLabels)),
    family('rocketmq_storage_dispatch_behind_bytes', 'gauge', 'Broker dispatch behind bytes', single(storage.dispatchBehindBytes, storeLabels)),
    family(
      'rocketmq_storage_message_reserve_time_milliseconds',
      'gauge',
      'Broker message reserve time',
      storage.earliestMessageTime <= 0 ? [] : single(now - storage.earliestMessageTime, storeLabels),
    ),
    ...broker.brokerMetricsManager.families((topic) => ({ topic, message_type: messageTypeOf(topic), is_system: String(isSystemTopic(topic)) })),
    ...popFamilies(broker, now),
    ...timerFamilies(broker, storeLabels, now),
  ];
}

/** PopMetricsManager's gauges: the revive log's backlog (one revive queue here) and the checkpoints held in memory. */
function popFamilies(broker: BrokerMetricsSource, now: number): MetricFamily[] {
  const store = broker.messageStore;
  const reviveTopic = broker.popEngine.reviveTopic;
  const maxOffset = store.getMaxOffsetInQueue(reviveTopic, 0);
  let progress = broker.consumerOffsetManager.queryOffset(REVIVE_GROUP, reviveTopic, 0);
  if (progress < 0) progress = store.getMinOffsetInQueue(reviveTopic, 0);
  const behind = Math.max(0, maxOffset - progress);
  const storeTime = behind > 0 ? store.getMessageStoreTimeStamp(reviveTopic, 0, progress) : 0;
  const queue = { queue_id: '0' };
  return [
    { name: 'rocketmq_pop_revive_lag_milliseconds', type: 'gauge', help: 'The processing lag of revive topic', samples: [{ labels: queue, value: behind }] },
    {
      name: 'rocketmq_pop_revive_latency_milliseconds',
      type: 'gauge',
      help: 'The processing latency of revive topic',
      samples: [{ labels: queue, value: storeTime > 0 ? Math.max(0, now - storeTime) : 0 }],
    },
    // Our checkpoints and acks go to the revive log as they happen: no offset is buffered (Java's merge buffer).
    { name: 'rocketmq_pop_offset_buffer_size', type: 'gauge', help: 'Time number of buffered offset', samples: [{ labels: {}, value: 0 }] },
    { name: 'rocketmq_pop_checkpoint_buffer_size', type: 'gauge', help: 'The number of buffered checkpoint', samples: [{ labels: {}, value: broker.popEngine.pendingCheckPoints }] },
  ];
}

/** DefaultStoreMetricsManager's timer families, served when the timer wheel is enabled (timerWheelEnable), as Java. */
function timerFamilies(broker: BrokerMetricsSource, storeLabels: Labels, now: number): MetricFamily[] {
  const timer = broker.timerMessageStore;
  if (timer === undefined) return [];
  const byTopic = (counts: Iterable<[string, number]>): Sample[] => [...counts].map(([topic, value]) => ({ labels: { ...storeLabels, topic }, value }));
  const gauge = (name: string, help: string, value: number): MetricFamily => ({ name, type: 'gauge', help, samples: [{ labels: storeLabels, value }] });
  const snapshot = timer.timingSnapshot(now, TIMER_DIST_SECONDS);
  return [
    gauge('rocketmq_timer_enqueue_lag', 'Timer enqueue messages lag', timer.enqueueBehind),
    gauge('rocketmq_timer_enqueue_latency_milliseconds', 'Timer enqueue latency', timer.enqueueBehindMillis(now)),
    gauge('rocketmq_timer_dequeue_lag', 'Timer dequeue messages lag', timer.dequeueBehindMessages(now)),
    gauge('rocketmq_timer_dequeue_latency_milliseconds', 'Timer dequeue latency', timer.dequeueBehindMillis(now)),
    { name: 'rocketmq_timing_messages', type: 'gauge', help: 'Current message number in timing', samples: byTopic(timer.metrics.counts()) },
    { name: 'rocketmq_timer_enqueue_total', type: 'counter', help: 'Total number of timer enqueue', samples: byTopic(timer.enqueueTotal) },
    { name: 'rocketmq_timer_dequeue_total', type: 'counter', help: 'Total number of timer dequeue', samples: byTopic(timer.dequeueTotal) },
    {
      name: 'rocketmq_timer_message_snapshot',
      type: 'gauge',
      help: 'Timer message distribution snapshot, only count timing messages in 24h.',
      samples: TIMER_DIST_SECONDS.map((bound, i) => ({ labels: { ...storeLabels, timer_bound_s: String(bound) }, value: snapshot[i] ?? 0 })),
    },
    {
      name: 'rocketmq_delay_message_latency_seconds',
      type: 'histogram',
      help: 'Timer message set latency distribution',
      samples: timer.delayLatency.count === 0 ? [] : [{ labels: storeLabels, histogram: timer.delayLatency }],
    },
  ];
}

/** The labels every broker series carries (BrokerMetricsManager.LABEL_MAP), `metricsLabel`'s pairs included. */
export function brokerMetricsLabels(config: { brokerClusterName: string; brokerName: string; metricsLabel: string }): Labels {
  const labels: Record<string, string> = {};
  for (const pair of config.metricsLabel.split(',')) {
    const [key, value] = pair.split(':');
    if (key !== undefined && value !== undefined && key.trim() !== '' && pair.split(':').length === 2) labels[key.trim()] = value.trim();
  }
  return { ...labels, node_type: 'broker', cluster: config.brokerClusterName, node_id: config.brokerName, otel_scope_name: 'broker-meter' };
}

/** The type Java's getMessageType gives a put, read from the topic it was stored in. */
function messageTypeOf(topic: string): string {
  if (topic === TopicValidator.RMQ_SYS_TRANS_HALF_TOPIC) return 'transaction';
  if (topic === TopicValidator.RMQ_SYS_SCHEDULE_TOPIC || topic === TopicValidator.RMQ_SYS_WHEEL_TIMER_TOPIC) return 'delay';
  return 'normal';
}

/** Counts items by their labels, one sample per distinct label set. */
function countBy<T>(items: readonly T[], labelsOf: (item: T) => Record<string, string>): Sample[] {
  const counts = new Map<string, { labels: Labels; value: number }>();
  for (const item of items) {
    const labels = labelsOf(item);
    const key = JSON.stringify(labels);
    const entry = counts.get(key);
    if (entry === undefined) counts.set(key, { labels, value: 1 });
    else entry.value++;
  }
  return [...counts.values()];
}
