import { enums } from '../../grpc/schema.js';
import type { Msg, MsgInit } from '../../grpc/types.js';
import { defaultTopicConfig, type TopicConfig } from '../../protocol/bodies/topic-config.js';
import { PermName } from '../../protocol/perm-name.js';
import type { BrokerConfig } from '../broker-config.js';
import type { SubscriptionGroupManager } from '../subscription/subscription-group-manager.js';
import type { TopicConfigManager } from '../topic/topic-config-manager.js';
import { validateTopic } from '../topic/topic-validator.js';
import { GrpcStatusError, OK, resourceName, status } from './grpc-status.js';
import { MESSAGE_TYPE_ATTRIBUTE, acceptMessageTypes, topicMessageTypeOf } from './topic-message-type.js';

const Code = enums.Code;
const Permission = enums.Permission;

export interface RouteActivityDeps {
  config: () => Readonly<BrokerConfig>;
  topicConfigManager: TopicConfigManager;
  subscriptionGroupManager: SubscriptionGroupManager;
  /**
   * Create an unknown topic on QueryRoute, as MIXED (the dev server): a first FIFO, delay or transactional send
   * then just works. Off, an unknown topic is TOPIC_NOT_FOUND, as with the Java proxy.
   */
  autoCreateTopics: () => boolean;
  /** Tell the name servers about a topic made here. */
  announceTopics: () => void;
  /** The address clients reach this endpoint at when a request names none. */
  defaultEndpoint: () => { host: string; port: number };
}

/**
 * RouteActivity.java for a broker serving gRPC itself: QueryRoute answers the queues of this broker, with the
 * topic's accepted message types and, as the broker address, the host and port the client dialled (so port
 * mappings and NAT work, apache/rocketmq-clients#742); QueryAssignment answers what a push consumer pops from.
 */
export class RouteActivity {
  constructor(private readonly deps: RouteActivityDeps) {}

  queryRoute(request: Msg<'QueryRouteRequest'>): MsgInit<'QueryRouteResponse'> {
    const topicConfig = this.resolveTopic(resourceName(request.topic));
    const broker = this.broker(request.endpoints);
    const accept = acceptMessageTypes(topicMessageTypeOf(topicConfig));
    const queues = queuesOf(topicConfig, this.deps.config().brokerPermission).map(([id, permission]) => ({
      topic: request.topic,
      id,
      permission,
      broker,
      acceptMessageTypes: accept,
    }));
    return { status: OK, messageQueues: queues };
  }

  /**
   * QueryAssignment: a FIFO group gets one assignment per readable queue (its order is kept per queue); any other
   * group one assignment with queue id -1, "any queue": the server's pop shares the queues among the members.
   */
  queryAssignment(request: Msg<'QueryAssignmentRequest'>): MsgInit<'QueryAssignmentResponse'> {
    const topicConfig = this.resolveTopic(resourceName(request.topic));
    const groupName = resourceName(request.group);
    if (groupName.trim() === '') throw new GrpcStatusError(Code.ILLEGAL_CONSUMER_GROUP, 'consumer group cannot be empty');
    const group = this.deps.subscriptionGroupManager.findSubscriptionGroupConfig(groupName);
    if (group === undefined) throw new GrpcStatusError(Code.CONSUMER_GROUP_NOT_FOUND, `consumer group ${groupName} not found`);
    const readable = queuesOf(topicConfig, this.deps.config().brokerPermission).filter(([, p]) => p === Permission.READ || p === Permission.READ_WRITE);
    if (readable.length === 0) return { status: status(Code.FORBIDDEN, 'no readable queue') };
    const broker = this.broker(request.endpoints);
    const queue = (id: number, permission: number): MsgInit<'Assignment'> => ({ messageQueue: { topic: request.topic, id, permission, broker } });
    const assignments = group.consumeMessageOrderly ? readable.map(([id, p]) => queue(id, p)) : [queue(-1, Permission.READ_WRITE)];
    return { status: OK, assignments };
  }

  /** The topic, created as MIXED when unknown and autoCreateTopics; throws GrpcStatusError (ILLEGAL_TOPIC, TOPIC_NOT_FOUND). */
  resolveTopic(name: string): TopicConfig {
    const invalid = validateTopic(name);
    if (invalid !== undefined) throw new GrpcStatusError(Code.ILLEGAL_TOPIC, invalid);
    const { topicConfigManager } = this.deps;
    if (topicConfigManager.isSystemTopic(name)) throw new GrpcStatusError(Code.ILLEGAL_TOPIC, `topic ${name} is a system topic`);
    const existing = topicConfigManager.selectTopicConfig(name);
    if (existing !== undefined) return existing;
    if (!this.deps.autoCreateTopics()) {
      throw new GrpcStatusError(Code.TOPIC_NOT_FOUND, `topic ${name} not found: create it first (rocketmq-ts topic create -t ${name} --type NORMAL|FIFO|DELAY|TRANSACTION|MIXED)`);
    }
    const queueNums = this.deps.config().defaultTopicQueueNums;
    const created: TopicConfig = {
      ...defaultTopicConfig(name),
      readQueueNums: queueNums,
      writeQueueNums: queueNums,
      attributes: new Map([[MESSAGE_TYPE_ATTRIBUTE, 'MIXED']]),
    };
    void topicConfigManager.updateTopicConfig(created);
    this.deps.announceTopics();
    return created;
  }

  private broker(endpoints: Msg<'Endpoints'> | undefined): MsgInit<'Broker'> {
    const config = this.deps.config();
    const dialled = endpoints?.addresses[0];
    const address = dialled ?? this.deps.defaultEndpoint();
    return {
      name: config.brokerName,
      id: 0,
      endpoints: { scheme: endpoints?.scheme ?? enums.AddressScheme.IPv4, addresses: [{ host: address.host, port: address.port }] },
    };
  }
}

/**
 * TopicRouteHelper / genMessageQueueFromQueueData: [queue id, permission] per queue — read-only queues first, then
 * write-only, then read-write, numbered from 0 — with the topic's perm ANDed with the broker's.
 */
export function queuesOf(config: TopicConfig, brokerPermission: number): [number, number][] {
  const perm = config.perm & brokerPermission;
  const readable = PermName.isReadable(perm);
  const writable = PermName.isWriteable(perm);
  const r = readable ? config.readQueueNums : 0;
  const w = writable ? config.writeQueueNums : 0;
  const both = Math.min(r, w);
  const out: [number, number][] = [];
  let id = 0;
  for (let i = 0; i < r - both; i++) out.push([id++, Permission.READ]);
  for (let i = 0; i < w - both; i++) out.push([id++, Permission.WRITE]);
  for (let i = 0; i < both; i++) out.push([id++, Permission.READ_WRITE]);
  if (out.length === 0) for (let i = 0; i < Math.max(config.readQueueNums, config.writeQueueNums); i++) out.push([id++, Permission.NONE]);
  return out;
}
