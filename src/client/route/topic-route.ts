import type { TopicRouteData } from '../../protocol/bodies/topic-route-data.js';
import { compareJavaStrings } from './topic-publish-info.js';

/**
 * TopicRouteData.topicRouteDataChanged: whether a fetched route differs from the one held, comparing with queue
 * and broker data sorted by broker name (the name server's order is not stable).
 */
export function topicRouteDataChanged(old: TopicRouteData | undefined, now: TopicRouteData): boolean {
  return old === undefined || canonical(old) !== canonical(now);
}

function canonical(route: TopicRouteData): string {
  const byName = (a: { brokerName: string }, b: { brokerName: string }): number => compareJavaStrings(a.brokerName, b.brokerName);
  return JSON.stringify({
    orderTopicConf: route.orderTopicConf ?? null,
    queueDatas: [...route.queueDatas]
      .sort(byName)
      .map((qd) => [qd.brokerName, qd.readQueueNums, qd.writeQueueNums, qd.perm, qd.topicSysFlag]),
    brokerDatas: [...route.brokerDatas]
      .sort(byName)
      .map((bd) => [bd.cluster, bd.brokerName, [...bd.brokerAddrs].sort(([a], [b]) => a - b), bd.enableActingMaster, bd.zoneName ?? null]),
    filterServerTable: [...route.filterServerTable].sort(([a], [b]) => compareJavaStrings(a, b)),
  });
}
