/**
 * NamespaceUtil.java: how a namespace shows in wire names, shared by the clients (src/client/namespace.ts) and the
 * broker's gRPC endpoint (5.x SDKs send a namespace beside each name, as Java's proxy receives it). A client with namespace "ns" puts its topics and
 * groups on the wire as "ns%name" ("%RETRY%ns%group" for a retry topic) and shows them without the prefix.
 * System topics and groups are never wrapped, an already wrapped name is left alone. The functions below are
 * Java's, rule for rule (quirks included), so that a TypeScript and a Java client of one namespace meet on the
 * same names; test/unit/client/namespace.test.ts holds the table of cases that Java's NamespaceUtil agrees with.
 */

export const NAMESPACE_SEPARATOR = '%';
/** MixAll.RETRY_GROUP_TOPIC_PREFIX and DLQ_GROUP_TOPIC_PREFIX. */
export const RETRY_GROUP_TOPIC_PREFIX = '%RETRY%';
export const DLQ_GROUP_TOPIC_PREFIX = '%DLQ%';
/** MixAll.CID_RMQ_SYS_PREFIX: the broker's own consumer groups. */
const CID_RMQ_SYS_PREFIX = 'CID_RMQ_SYS_';
/** TopicValidator.SYSTEM_TOPIC_PREFIX. */
const SYSTEM_TOPIC_PREFIX = 'rmq_sys_';
/**
 * TopicValidator.SYSTEM_TOPIC_SET of the 5.3.3 client (4.9.8's lacks CHECKPOINT_TOPIC). Brokers add their cluster
 * and broker names to their own copy; a client's never changes. (src/broker/topic/topic-validator.ts has the
 * same list; the client may not import the broker.)
 */
const SYSTEM_TOPICS: ReadonlySet<string> = new Set([
  'TBW102',
  'SCHEDULE_TOPIC_XXXX',
  'BenchmarkTest',
  'RMQ_SYS_TRANS_HALF_TOPIC',
  'RMQ_SYS_TRACE_TOPIC',
  'RMQ_SYS_TRANS_OP_HALF_TOPIC',
  'TRANS_CHECK_MAX_TIME_TOPIC',
  'SELF_TEST_TOPIC',
  'OFFSET_MOVED_EVENT',
  'CHECKPOINT_TOPIC',
]);

/** StringUtils.isEmpty: undefined, null or "". */
export function isEmpty(text: string | undefined | null): text is undefined | null | '' {
  return text === undefined || text === null || text === '';
}

/** TopicValidator.isSystemTopic. */
export function isSystemTopic(topic: string): boolean {
  return SYSTEM_TOPICS.has(topic) || topic.startsWith(SYSTEM_TOPIC_PREFIX);
}

/** MixAll.isSysConsumerGroup. */
export function isSysConsumerGroup(group: string): boolean {
  return group.startsWith(CID_RMQ_SYS_PREFIX);
}

/** NamespaceUtil.isSystemResource: one rule for topics and groups alike (a topic "CID_RMQ_SYS_x" is one too). */
function isSystemResource(resource: string): boolean {
  return resource !== '' && (isSystemTopic(resource) || isSysConsumerGroup(resource));
}

export function isRetryTopic(resource: string): boolean {
  return resource.startsWith(RETRY_GROUP_TOPIC_PREFIX);
}

export function isDLQTopic(resource: string): boolean {
  return resource.startsWith(DLQ_GROUP_TOPIC_PREFIX);
}

/** NamespaceUtil.withOutRetryAndDLQ: the name after a %RETRY% or %DLQ% prefix; "" for an empty name. */
export function withOutRetryAndDLQ(resource: string): string {
  if (resource === '') return '';
  if (isRetryTopic(resource)) return resource.slice(RETRY_GROUP_TOPIC_PREFIX.length);
  if (isDLQTopic(resource)) return resource.slice(DLQ_GROUP_TOPIC_PREFIX.length);
  return resource;
}

/** NamespaceUtil.isAlreadyWithNamespace: the name (past %RETRY%/%DLQ%) starts with "namespace%". */
export function isAlreadyWithNamespace(resource: string, namespace: string | undefined): boolean {
  if (isEmpty(namespace) || resource === '' || isSystemResource(resource)) return false;
  return withOutRetryAndDLQ(resource).startsWith(namespace + NAMESPACE_SEPARATOR);
}

/**
 * NamespaceUtil.wrapNamespace: "T" -> "ns%T", "%RETRY%G" -> "%RETRY%ns%G", "%DLQ%G" -> "%DLQ%ns%G"; unchanged without
 * a namespace, for an empty name, a system topic or group, or a name already in this namespace. Anything but a
 * string (a missing topic, say) comes back as it is, for the validation after it to refuse.
 */
export function wrapNamespace<T>(namespace: string | undefined, resource: T): T {
  if (isEmpty(namespace) || typeof resource !== 'string' || resource === '') return resource;
  if (isSystemResource(resource) || isAlreadyWithNamespace(resource, namespace)) return resource;
  const prefix = isRetryTopic(resource) ? RETRY_GROUP_TOPIC_PREFIX : isDLQTopic(resource) ? DLQ_GROUP_TOPIC_PREFIX : '';
  return `${prefix}${namespace}${NAMESPACE_SEPARATOR}${withOutRetryAndDLQ(resource)}` as T;
}

/**
 * NamespaceUtil.withoutNamespace(resource): strips any namespace, i.e. everything up to the first "%" after a
 * %RETRY%/%DLQ% prefix (when that "%" is not the first character). What trace records show; a client unwraps its
 * own names with {@link withoutNamespace}.
 */
export function withoutAnyNamespace(resource: string): string {
  if (resource === '' || isSystemResource(resource)) return resource;
  const prefix = isRetryTopic(resource) ? RETRY_GROUP_TOPIC_PREFIX : isDLQTopic(resource) ? DLQ_GROUP_TOPIC_PREFIX : '';
  const stripped = withOutRetryAndDLQ(resource);
  const index = stripped.indexOf(NAMESPACE_SEPARATOR);
  return index > 0 ? prefix + stripped.slice(index + 1) : resource;
}

/**
 * NamespaceUtil.withoutNamespace(resource, namespace): "ns%T" -> "T", "%RETRY%ns%G" -> "%RETRY%G"; a name of another
 * namespace, or of none, is left alone. As in Java, the stripping itself is withoutAnyNamespace's (up to the first
 * "%"), so a namespace that contains "%" is not stripped whole.
 */
export function withoutNamespace(resource: string, namespace: string | undefined): string {
  if (resource === '' || isEmpty(namespace)) return resource;
  return withOutRetryAndDLQ(resource).startsWith(namespace + NAMESPACE_SEPARATOR) ? withoutAnyNamespace(resource) : resource;
}

/** NamespaceUtil.wrapNamespaceAndRetry: the retry topic of a group of the namespace; undefined for no group. */
export function wrapNamespaceAndRetry(namespace: string | undefined, consumerGroup: string): string | undefined {
  if (consumerGroup === '') return undefined;
  return RETRY_GROUP_TOPIC_PREFIX + wrapNamespace(namespace, consumerGroup);
}

/** NamespaceUtil.getNamespaceFromResource: what precedes the first "%" (past %RETRY%/%DLQ%), else "". */
export function getNamespaceFromResource(resource: string): string {
  if (resource === '' || isSystemResource(resource)) return '';
  const stripped = withOutRetryAndDLQ(resource);
  const index = stripped.indexOf(NAMESPACE_SEPARATOR);
  return index > 0 ? stripped.slice(0, index) : '';
}
