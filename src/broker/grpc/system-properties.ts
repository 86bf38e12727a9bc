/**
 * MessageConst.STRING_HASH_SET (5.3.3): the property names the system owns. A gRPC producer may not set them as
 * user properties (ILLEGAL_MESSAGE_PROPERTY_KEY), and a delivered message shows none of them among its user
 * properties (they travel as system properties, or not at all).
 */
export const SYSTEM_PROPERTY_NAMES: ReadonlySet<string> = new Set([
  '1ST_POP_TIME', 'ARRIVE_TIME', 'BORN_TIMESTAMP', 'BUYER_ID', 'CLUSTER', 'CONSUME_START_TIME', 'CORRECTION_FLAG',
  'CORRELATION_ID', 'DELAY', 'DLQ_ORIGIN_MESSAGE_ID', 'DLQ_ORIGIN_TOPIC', 'DUP_INFO', 'EXTEND_UNIQ_INFO',
  'INNER_MULTI_QUEUE_OFFSET', 'INSTANCE_ID', 'KEYS', 'MAX_OFFSET', 'MAX_RECONSUME_TIMES', 'MIN_OFFSET', 'MQ2_FLAG',
  'MSG_REGION', 'MSG_TYPE', 'ORIGIN_MESSAGE_ID', 'PGROUP', 'POP_CK', 'POP_CK_OFFSET', 'PUSH_REPLY_TIME', 'REAL_QID',
  'REAL_TOPIC', 'RECONSUME_TIME', 'REPLY_TO_CLIENT', 'RETRY_TOPIC', 'TAGS', 'TIMER_DELAY_LEVEL', 'TIMER_DELAY_MS',
  'TIMER_DELAY_SEC', 'TIMER_DELIVER_MS', 'TIMER_DEL_UNIQKEY', 'TIMER_DEQUEUE_MS', 'TIMER_ENQUEUE_MS', 'TIMER_OUT_MS',
  'TIMER_ROLL_TIMES', 'TRACE_ON', 'TRANSFER_FLAG', 'TRAN_MSG', 'TRAN_PREPARED_QUEUE_OFFSET', 'TTL', 'UNIQ_KEY', 'WAIT',
  '__BORNHOST', '__CRC32#',
]);

/**
 * Properties the broker keeps that are not in STRING_HASH_SET but are no user's either: the proxy leaks them into
 * delivered user properties (`__transactionId__` observed with committed transactions); we do not.
 */
export const INTERNAL_PROPERTY_NAMES: ReadonlySet<string> = new Set([
  '__transactionId__',
  '__SHARDINGKEY',
  'TRACE_CONTEXT',
  'CHECK_IMMUNITY_TIME_IN_SECONDS',
  'TRANSACTION_CHECK_TIMES',
]);

/** Java's CharMatcher.javaIsoControl: U+0000–U+001F and U+007F–U+009F. */
export function containsControlCharacter(text: string): boolean {
  return /[\u0000-\u001f\u007f-\u009f]/.test(text);
}
