import type { MessageQueue } from '../protocol/bodies/message-queue.js';
import { isEmpty, withoutNamespace, wrapNamespace } from '../protocol/namespace-util.js';

/**
 * Namespaces, as Java's client has them (ClientConfig.withNamespace / withoutNamespace / queueWithNamespace,
 * NameServerAddressUtils): purely client-side, over NamespaceUtil's rules (src/protocol/namespace-util.ts, which
 * the broker's gRPC endpoint shares).
 */
export {
  NAMESPACE_SEPARATOR,
  RETRY_GROUP_TOPIC_PREFIX,
  DLQ_GROUP_TOPIC_PREFIX,
  isSystemTopic,
  isSysConsumerGroup,
  isRetryTopic,
  isDLQTopic,
  withOutRetryAndDLQ,
  isAlreadyWithNamespace,
  wrapNamespace,
  withoutAnyNamespace,
  withoutNamespace,
  wrapNamespaceAndRetry,
  getNamespaceFromResource,
} from '../protocol/namespace-util.js';

/** NameServerAddressUtils.INST_ENDPOINT_PATTERN: an instance endpoint, "[scheme://]MQ_INST_xxx_yyy.host...". */
const INST_ENDPOINT_PATTERN = /^(\w+:\/\/|)MQ_INST_\w+_\w+\..*$/s;

/**
 * ClientConfig.getNamespace for a client given no namespace: a name-server setting that is an instance endpoint
 * (NameServerAddressUtils.validateInstanceEndpoint) names its namespace, the instance id between the last "/" and
 * the first "." ("http://MQ_INST_1_abc.mq.example.com:80" -> "MQ_INST_1_abc"). Otherwise undefined.
 */
export function namespaceFromEndpoint(nameServer: string | undefined): string | undefined {
  if (isEmpty(nameServer) || !INST_ENDPOINT_PATTERN.test(nameServer)) return undefined;
  return nameServer.slice(nameServer.lastIndexOf('/') + 1, nameServer.indexOf('.'));
}

/**
 * A client's namespace (its `namespace` option, else the one its name-server endpoint names), with
 * ClientConfig's helpers bound to it. With no namespace every method returns its argument itself.
 */
export class ClientNamespace {
  /** Whether names are wrapped at all (a non-empty namespace). */
  readonly active: boolean;

  constructor(readonly namespace: string | undefined) {
    this.active = !isEmpty(namespace);
  }

  /** ClientConfig.withNamespace. */
  wrap<T>(resource: T): T {
    return this.active ? wrapNamespace(this.namespace, resource) : resource;
  }

  /** ClientConfig.withoutNamespace: strips this namespace only. */
  unwrap(resource: string): string {
    return this.active ? withoutNamespace(resource, this.namespace) : resource;
  }

  /** ClientConfig.queueWithNamespace: a copy with the wrapped topic (the queue itself without a namespace). */
  wrapQueue(mq: MessageQueue): MessageQueue {
    if (!this.active) return mq;
    const topic = this.wrap(mq.topic);
    return topic === mq.topic ? mq : { topic, brokerName: mq.brokerName, queueId: mq.queueId };
  }

  /** The queue as the application knows it (MQAdminImpl.parsePublishMessageQueues). */
  unwrapQueue(mq: MessageQueue): MessageQueue {
    if (!this.active) return mq;
    const topic = this.unwrap(mq.topic);
    return topic === mq.topic ? mq : { topic, brokerName: mq.brokerName, queueId: mq.queueId };
  }
}

/** Payload fields that name topics or groups, and those that hold queues. */
const NAME_FIELDS = ['topic', 'group'] as const;
const QUEUE_LIST_FIELDS = ['queues', 'added', 'removed'] as const;

/**
 * An instrumentation payload as a namespaced client's application sees it: topics and groups (`topic`, `group`),
 * queues (`queue`, `queues`, `added`, `removed`, `offsets[].queue`) without the namespace, as Java's trace hooks
 * record them. A shallow copy; other fields are shared.
 */
export function unwrapPayload(ns: ClientNamespace, payload: object): object {
  if (!ns.active) return payload;
  const out: Record<string, unknown> = { ...payload };
  for (const field of NAME_FIELDS) {
    const value = out[field];
    if (typeof value === 'string') out[field] = ns.unwrap(value);
  }
  if (isQueue(out['queue'])) out['queue'] = ns.unwrapQueue(out['queue']);
  for (const field of QUEUE_LIST_FIELDS) {
    const value = out[field];
    if (Array.isArray(value)) out[field] = value.map((mq: unknown) => (isQueue(mq) ? ns.unwrapQueue(mq) : mq));
  }
  const offsets = out['offsets'];
  if (Array.isArray(offsets)) {
    out['offsets'] = offsets.map((entry: unknown) => {
      const queue = (entry as { queue?: unknown } | null)?.queue;
      return isQueue(queue) ? { ...(entry as object), queue: ns.unwrapQueue(queue) } : entry;
    });
  }
  return out;
}

function isQueue(value: unknown): value is MessageQueue {
  return typeof value === 'object' && value !== null && typeof (value as { topic?: unknown }).topic === 'string';
}

/**
 * The namespace a client runs in: its `namespace` option (even "", as Java's setNamespace("")), else the one its
 * name-server setting (or $NAMESRV_ADDR) names when that is an instance endpoint.
 */
export function clientNamespace(
  options: { namespace?: string | undefined; nameServer?: string | readonly string[] | undefined },
  env: NodeJS.ProcessEnv = process.env,
): ClientNamespace {
  const { namespace } = options;
  if (namespace !== undefined) {
    if (typeof namespace !== 'string') throw new TypeError(`namespace must be a string, not ${typeof namespace}`);
    return new ClientNamespace(namespace);
  }
  const given = options.nameServer ?? env.NAMESRV_ADDR;
  // Java's setting is one string, "a;b"; a list is taken as that string.
  return new ClientNamespace(namespaceFromEndpoint(typeof given === 'string' ? given : given?.join(';')));
}
