import type { MetricFamily } from '../common/prometheus-text.js';
import type { RemotingChannel } from '../remoting/remoting-channel.js';
import type { RouteInfoManager } from './route-info-manager.js';

/**
 * The name server's own families (Java 5.3.3's name server exports none; these are ours): what the route table
 * holds. With the remoting server's rpc latency they make the name server's /metrics.
 */
export function collectNamesrvMetrics(routes: RouteInfoManager<RemotingChannel>): MetricFamily[] {
  const gauge = (name: string, help: string, value: number): MetricFamily => ({ name, type: 'gauge', help, samples: [{ labels: {}, value }] });
  return [
    gauge('rocketmq_namesrv_topic_number', 'Topics in the route table', routes.getAllTopicList().topicList.length),
    gauge('rocketmq_namesrv_broker_number', 'Live brokers registered', routes.liveBrokerCount),
    gauge('rocketmq_namesrv_cluster_number', 'Clusters in the route table', routes.getAllClusterInfo().clusterAddrTable.size),
  ];
}
