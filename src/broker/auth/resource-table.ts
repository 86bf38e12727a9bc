import { decodeHeartbeatData } from '../../protocol/bodies/heartbeat-data.js';
import { decodeLockBatchRequestBody } from '../../protocol/bodies/lock-batch.js';
import { RequestCode } from '../../protocol/request-code.js';
import { AuthorizationError } from './auth-errors.js';
import { RETRY_PREFIX, ofCluster, ofGroup, ofTopic, type Action, type Resource } from './acl.js';

/**
 * What a request asks for, per request code: DefaultAuthorizationContextBuilder (5.3.3). A few codes are decided
 * in code (their resources sit in differently named fields or in the body); the others follow the
 * `@RocketMQAction` / `@RocketMQResource` annotations of their Java request headers. Every code our broker serves
 * has an entry (a unit test walks them), so a newly served code cannot slip through unchecked.
 */
export interface RequestedResource {
  resource: Resource;
  /** Any one of them suffices. */
  actions: readonly Action[];
}

/** What a rule reads from the request. */
export interface RequestView {
  /** One ext field of the request. */
  field(key: string): string | undefined;
  readonly body: Buffer | undefined;
  readonly clusterName: string;
  /** END_TRANSACTION from a check-back: the topic the half message at `commitLogOffset` was sent to. */
  realTopicOfHalfMessage(commitLogOffset: number): string | undefined;
}

type Rule = (request: RequestView) => RequestedResource[];

const isRetry = (topic: string | undefined): boolean => topic !== undefined && topic.startsWith(RETRY_PREFIX);
const isBlank = (value: string | undefined): value is undefined => value === undefined || value.trim() === '';

/** @RocketMQResource(TOPIC) / (GROUP) on a header field, optionally split ("topicList" by ";"). */
interface AnnotatedField {
  field: string;
  type: 'Topic' | 'Group';
  splitter?: string;
}

/**
 * buildContextByAnnotation: each annotated field present gives a resource (a retry topic gives its group); with
 * none, a header annotated with resource Cluster asks for the broker's cluster.
 */
function annotated(actions: readonly Action[], fields: readonly AnnotatedField[], cluster = false): Rule {
  return (request) => {
    const out: RequestedResource[] = [];
    for (const { field, type, splitter } of fields) {
      const value = request.field(field);
      if (value === undefined) continue;
      const values = splitter === undefined ? [value] : value.split(splitter).filter((v) => v !== '');
      for (const name of values) {
        const resource = type === 'Topic' && !isRetry(name) ? ofTopic(name) : type === 'Topic' ? ofGroup(name) : { type, name, pattern: 'LITERAL' as const };
        out.push({ resource, actions });
      }
    }
    if (out.length === 0 && cluster) out.push({ resource: ofCluster(request.clusterName), actions });
    return out;
  };
}

const topic = (field = 'topic'): AnnotatedField => ({ field, type: 'Topic' });
const group = (field: string): AnnotatedField => ({ field, type: 'Group' });
const cluster = (action: Action): Rule => annotated([action], [], true);
/** Java 5.3.3 asks nothing beyond authentication: the code has no annotated request header and no rule of its own. */
const authenticatedOnly: Rule = () => [];

/** SEND_MESSAGE and V2/batch: Pub on the topic; a send to a retry topic (a consumer's send-back) needs Sub on the group. */
function send(topicField: string, groupField: string): Rule {
  return (request) => {
    const target = request.field(topicField);
    if (isRetry(target)) {
      const g = request.field(groupField);
      return [{ resource: ofGroup(isBlank(g) ? (target as string) : g), actions: ['Sub'] }];
    }
    return [{ resource: ofTopic(target ?? ''), actions: ['Pub'] }];
  };
}

/** PULL_MESSAGE: Sub on the topic (unless it is the group's retry topic) and on the group. */
const pull: Rule = (request) => {
  const out: RequestedResource[] = [];
  const topic = request.field('topic');
  if (!isRetry(topic)) out.push({ resource: ofTopic(topic ?? ''), actions: ['Sub'] });
  out.push({ resource: ofGroup(request.field('consumerGroup') ?? ''), actions: ['Sub'] });
  return out;
};

/** QUERY/UPDATE_CONSUMER_OFFSET: the topic (unless a retry topic) and the group, with Sub or the given action. */
function consumerOffset(action: Action): Rule {
  return (request) => {
    const out: RequestedResource[] = [];
    const topic = request.field('topic');
    if (!isRetry(topic)) out.push({ resource: ofTopic(topic ?? ''), actions: ['Sub', action] });
    out.push({ resource: ofGroup(request.field('consumerGroup') ?? ''), actions: ['Sub', action] });
    return out;
  };
}

/** Bodies that do not decode refuse the request, as Java's "parse authorization context error." does. */
function fromBody<T>(request: RequestView, decode: (body: Buffer | undefined) => T): T {
  try {
    return decode(request.body);
  } catch {
    throw new AuthorizationError('parse authorization context error.');
  }
}

/** HEART_BEAT: Sub on every consumer group of the client and on every topic they subscribe (retry topics aside). */
const heartbeat: Rule = (request) => {
  const out: RequestedResource[] = [];
  for (const consumer of fromBody(request, decodeHeartbeatData).consumerDataSet) {
    out.push({ resource: ofGroup(consumer.groupName), actions: ['Sub'] });
    for (const sub of consumer.subscriptionDataSet) if (!isRetry(sub.topic)) out.push({ resource: ofTopic(sub.topic), actions: ['Sub'] });
  }
  return out;
};

/** LOCK/UNLOCK_BATCH_MQ: Sub on the group and on each queue's topic (retry topics aside). */
const lockBatch: Rule = (request) => {
  const body = fromBody(request, (b) => decodeLockBatchRequestBody(b));
  const out: RequestedResource[] = [{ resource: ofGroup(body.consumerGroup), actions: ['Sub'] }];
  for (const mq of body.mqSet) if (!isRetry(mq.topic)) out.push({ resource: ofTopic(mq.topic), actions: ['Sub'] });
  return out;
};

/**
 * END_TRANSACTION: Pub on the topic. A 5.x broker's check-back names the half topic (RMQ_SYS_TRANS_HALF_TOPIC),
 * which the producer echoes; Java 5.3.3 then demands Pub on the half topic and silently drops a normal user's
 * commit. We authorize a check-back's answer against the topic the half message was really sent to.
 */
const endTransaction: Rule = (request) => {
  let target = request.field('topic');
  if (request.field('fromTransactionCheck') === 'true') {
    const offset = Number(request.field('commitLogOffset'));
    target = (Number.isSafeInteger(offset) ? request.realTopicOfHalfMessage(offset) : undefined) ?? target;
  }
  return isBlank(target) ? [] : [{ resource: ofTopic(target), actions: ['Pub'] }];
};

export const RESOURCE_TABLE: ReadonlyMap<number, Rule> = new Map<number, Rule>([
  // Decided in code, as DefaultAuthorizationContextBuilder does.
  [RequestCode.SEND_MESSAGE, send('topic', 'group')],
  [RequestCode.SEND_MESSAGE_V2, send('b', 'a')],
  [RequestCode.SEND_BATCH_MESSAGE, send('b', 'a')],
  [RequestCode.RECALL_MESSAGE, (request) => [{ resource: ofTopic(request.field('topic') ?? ''), actions: ['Pub'] }]],
  [RequestCode.END_TRANSACTION, endTransaction],
  [RequestCode.CONSUMER_SEND_MSG_BACK, (request) => [{ resource: ofGroup(request.field('group') ?? ''), actions: ['Sub'] }]],
  [RequestCode.PULL_MESSAGE, pull],
  // Java 5.3.3 has no rule for LITE_PULL_MESSAGE (its header is PULL_MESSAGE's), so a lite-pull consumer reads
  // any topic unchecked; we check it as a pull.
  [RequestCode.LITE_PULL_MESSAGE, pull],
  // The POP headers are annotated (consumerGroup: Group, topic: Topic) with action Sub.
  [RequestCode.POP_MESSAGE, annotated(['Sub'], [group('consumerGroup'), topic()])],
  [RequestCode.ACK_MESSAGE, annotated(['Sub'], [group('consumerGroup'), topic()])],
  [RequestCode.CHANGE_MESSAGE_INVISIBLETIME, annotated(['Sub'], [group('consumerGroup'), topic()])],
  [RequestCode.PEEK_MESSAGE, annotated(['Sub'], [topic(), group('consumerGroup')])],
  [RequestCode.NOTIFICATION, annotated(['Sub'], [group('consumerGroup'), topic()])],
  [RequestCode.POLLING_INFO, annotated(['Get'], [group('consumerGroup'), topic()])],
  // Its body names the groups and topics; Java 5.3.3's header has no annotated field: authentication only.
  [RequestCode.BATCH_ACK_MESSAGE, authenticatedOnly],
  // Body-only requests with no annotated header: Java 5.3.3 checks nothing beyond authentication.
  [RequestCode.QUERY_ASSIGNMENT, authenticatedOnly],
  [RequestCode.SET_MESSAGE_REQUEST_MODE, authenticatedOnly],
  [RequestCode.QUERY_MESSAGE, (request) => [{ resource: ofTopic(request.field('topic') ?? ''), actions: ['Sub', 'Get'] }]],
  [RequestCode.HEART_BEAT, heartbeat],
  [RequestCode.UNREGISTER_CLIENT, (request) => {
    const group = request.field('consumerGroup');
    return isBlank(group) ? [] : [{ resource: ofGroup(group), actions: ['Sub'] }];
  }],
  [RequestCode.GET_CONSUMER_LIST_BY_GROUP, (request) => [{ resource: ofGroup(request.field('consumerGroup') ?? ''), actions: ['Sub', 'Get'] }]],
  [RequestCode.QUERY_CONSUMER_OFFSET, consumerOffset('Get')],
  [RequestCode.UPDATE_CONSUMER_OFFSET, consumerOffset('Update')],
  [RequestCode.LOCK_BATCH_MQ, lockBatch],
  [RequestCode.UNLOCK_BATCH_MQ, lockBatch],
  // The header annotations.
  [RequestCode.VIEW_MESSAGE_BY_ID, annotated(['Get'], [topic()])],
  [RequestCode.UPDATE_AND_CREATE_TOPIC, annotated(['Create'], [topic()])],
  [RequestCode.DELETE_TOPIC_IN_BROKER, annotated(['Delete'], [topic()])],
  [RequestCode.GET_TOPIC_CONFIG, annotated(['Get'], [topic()])],
  [RequestCode.GET_SUBSCRIPTIONGROUP_CONFIG, annotated(['Get'], [group('group')])],
  [RequestCode.GET_TOPIC_STATS_INFO, annotated(['Get'], [topic()])],
  [RequestCode.GET_MAX_OFFSET, annotated(['Get'], [topic()])],
  [RequestCode.GET_MIN_OFFSET, annotated(['Get'], [topic()])],
  [RequestCode.GET_EARLIEST_MSG_STORETIME, annotated(['Get'], [topic()])],
  [RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, annotated(['Get'], [topic()])],
  [RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, annotated(['Get'], [topic()])],
  [RequestCode.DELETE_SUBSCRIPTIONGROUP, annotated(['Delete'], [group('groupName')])],
  [RequestCode.GET_CONSUMER_CONNECTION_LIST, annotated(['Get'], [group('consumerGroup')])],
  [RequestCode.GET_CONSUMER_RUNNING_INFO, annotated(['Get'], [group('consumerGroup')])],
  [RequestCode.GET_CONSUME_STATS, annotated(['Get'], [group('consumerGroup'), topic(), { field: 'topicList', type: 'Topic', splitter: ';' }])],
  [RequestCode.CONSUME_MESSAGE_DIRECTLY, annotated(['Sub'], [group('consumerGroup'), topic()])],
  [RequestCode.CLONE_GROUP_OFFSET, annotated(['Update'], [group('destGroup'), topic()])],
  [RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, annotated(['Update'], [group('group'), topic()])],
  [RequestCode.INVOKE_BROKER_TO_GET_CONSUMER_STATUS, annotated(['Get'], [topic(), group('group')])],
  [RequestCode.GET_PRODUCER_CONNECTION_LIST, cluster('Get')],
  [RequestCode.VIEW_BROKER_STATS_DATA, cluster('Get')],
  [RequestCode.GET_ALL_PRODUCER_INFO, cluster('Get')],
  [RequestCode.AUTH_CREATE_USER, cluster('Update')],
  [RequestCode.AUTH_UPDATE_USER, cluster('Update')],
  [RequestCode.AUTH_DELETE_USER, cluster('Update')],
  [RequestCode.AUTH_GET_USER, cluster('Get')],
  [RequestCode.AUTH_LIST_USER, cluster('Get')],
  [RequestCode.AUTH_CREATE_ACL, cluster('Update')],
  [RequestCode.AUTH_UPDATE_ACL, cluster('Update')],
  [RequestCode.AUTH_DELETE_ACL, cluster('Update')],
  [RequestCode.AUTH_GET_ACL, cluster('Get')],
  [RequestCode.AUTH_LIST_ACL, cluster('Get')],
  // ACL 1.0's admin codes (gone from 5.3.3, served here for aclEnable): they change or show the access rules of the
  // whole broker, as the ACL 2.0 codes above do.
  [RequestCode.UPDATE_AND_CREATE_ACL_CONFIG, cluster('Update')],
  [RequestCode.DELETE_ACL_CONFIG, cluster('Update')],
  [RequestCode.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG, cluster('Update')],
  [RequestCode.GET_BROKER_CLUSTER_ACL_INFO, cluster('Get')],
  [RequestCode.GET_BROKER_CLUSTER_ACL_CONFIG, cluster('Get')],
  // No annotated header in 5.3.3, so Java lets any authenticated user change these; we ask Update on the cluster.
  [RequestCode.UPDATE_BROKER_CONFIG, cluster('Update')],
  [RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, cluster('Update')],
  // No annotated header (GET_ALL_TOPIC_CONFIG's annotation sits on its response header and names no field): as Java.
  [RequestCode.GET_ALL_TOPIC_CONFIG, authenticatedOnly],
  [RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG, authenticatedOnly],
  [RequestCode.GET_ALL_CONSUMER_OFFSET, authenticatedOnly],
  [RequestCode.GET_ALL_DELAY_OFFSET, authenticatedOnly],
  [RequestCode.GET_BROKER_HA_STATUS, authenticatedOnly],
  [RequestCode.GET_ALL_MESSAGE_REQUEST_MODE, authenticatedOnly],
  [RequestCode.GET_BROKER_CONFIG, authenticatedOnly],
  [RequestCode.GET_BROKER_RUNTIME_INFO, authenticatedOnly],
  [RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_BROKER, authenticatedOnly],
  [RequestCode.GET_TIMER_CHECK_POINT, authenticatedOnly],
  [RequestCode.GET_TIMER_METRICS, authenticatedOnly],
  [RequestCode.CHECK_CLIENT_CONFIG, authenticatedOnly],
  [RequestCode.SEND_REPLY_MESSAGE, authenticatedOnly],
  [RequestCode.SEND_REPLY_MESSAGE_V2, authenticatedOnly],
]);

/** The resources a request asks for; none for a code without a rule (Java: no annotated header). */
export function requestedResources(code: number, request: RequestView): RequestedResource[] {
  return RESOURCE_TABLE.get(code)?.(request) ?? [];
}
