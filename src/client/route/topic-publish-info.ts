import type { TopicRouteData } from '../../protocol/bodies/topic-route-data.js';
import type { MessageQueue } from '../../protocol/bodies/message-queue.js';
import { PermName } from '../../protocol/perm-name.js';

/** A predicate over queues (TopicPublishInfo.QueueFilter). */
export type QueueFilter = (mq: MessageQueue) => boolean;

const MASTER_ID = 0;

/**
 * ThreadLocalIndex: a round-robin counter starting at a random int. Java keeps one per thread; Node has one
 * thread, so one per topic is the same thing.
 */
export class SendWhichQueue {
  private index = randomInt32();

  incrementAndGet(): number {
    this.index = (this.index + 1) | 0;
    return this.index & 0x7fffffff;
  }

  reset(): void {
    this.index = Math.floor(Math.random() * 0x7fffffff);
  }
}

/** TopicPublishInfo.java: the writable queues of a topic, and the round-robin position among them. */
export class TopicPublishInfo {
  orderTopic = false;
  haveTopicRouterInfo = false;
  readonly messageQueueList: MessageQueue[] = [];
  readonly sendWhichQueue = new SendWhichQueue();

  constructor(readonly topicRouteData?: TopicRouteData) {}

  ok(): boolean {
    return this.messageQueueList.length > 0;
  }

  /** The next queue in turn that passes every filter (tried once each), or undefined; without filters, the next. */
  selectOneMessageQueue(...filters: QueueFilter[]): MessageQueue | undefined {
    const list = this.messageQueueList;
    if (list.length === 0) return undefined;
    if (filters.length === 0) return list[this.sendWhichQueue.incrementAndGet() % list.length];
    for (let i = 0; i < list.length; i++) {
      const mq = list[this.sendWhichQueue.incrementAndGet() % list.length] as MessageQueue;
      if (filters.every((accept) => accept(mq))) return mq;
    }
    return undefined;
  }

  resetIndex(): void {
    this.sendWhichQueue.reset();
  }
}

/**
 * MQClientInstance.topicRouteData2TopicPublishInfo. With orderTopicConf ("brokerA:4;brokerB:4") the queues are
 * exactly those; otherwise the queue data sorted by broker name (QueueData.compareTo), keeping writable ones
 * whose broker has a master, each giving queues 0..writeQueueNums-1.
 */
export function topicRouteData2TopicPublishInfo(topic: string, route: TopicRouteData): TopicPublishInfo {
  const info = new TopicPublishInfo(route);
  if (route.orderTopicConf !== undefined && route.orderTopicConf.length > 0) {
    for (const broker of route.orderTopicConf.split(';')) {
      const [brokerName = '', nums = '0'] = broker.split(':');
      for (let i = 0; i < Number.parseInt(nums, 10); i++) info.messageQueueList.push({ topic, brokerName, queueId: i });
    }
    info.orderTopic = true;
    return info;
  }
  const queueDatas = [...route.queueDatas].sort((a, b) => compareJavaStrings(a.brokerName, b.brokerName));
  for (const qd of queueDatas) {
    if (!PermName.isWriteable(qd.perm)) continue;
    const brokerData = route.brokerDatas.find((bd) => bd.brokerName === qd.brokerName);
    if (brokerData?.brokerAddrs.has(MASTER_ID) !== true) continue;
    for (let i = 0; i < qd.writeQueueNums; i++) info.messageQueueList.push({ topic, brokerName: qd.brokerName, queueId: i });
  }
  return info;
}

/** String.compareTo: by UTF-16 code unit, which is also how JavaScript compares strings with < and >. */
export function compareJavaStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function randomInt32(): number {
  return (Math.random() * 0x100000000) | 0;
}
