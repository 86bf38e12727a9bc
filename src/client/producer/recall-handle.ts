/** What a version 1 recall handle names (RecallMessageHandle.HandleV1). */
export interface RecallHandle {
  version: 'v1';
  /** The message's topic on the wire (with its namespace, if any). */
  topic: string;
  /** The broker that holds the timer message. */
  brokerName: string;
  /** TIMER_OUT_MS + 1: the time the broker will deliver the message at (epoch ms), as text. */
  timestamp: string;
  /** The message's UNIQ_KEY (the msgId its producer and consumers see). */
  messageId: string;
}

const URL_BASE64 = /^[A-Za-z0-9_-]*={0,2}$/;

/**
 * RecallMessageHandle.decodeHandle: URL-safe Base64 (padded or not) of "v1 topic brokerName timestamp messageId".
 * Undefined for anything else, where Java throws "recall handle is invalid".
 */
export function decodeRecallHandle(handle: string): RecallHandle | undefined {
  if (typeof handle !== 'string' || handle === '' || !URL_BASE64.test(handle)) return undefined;
  // Java's String.split drops trailing empty items.
  const items = Buffer.from(handle, 'base64url').toString('utf8').split(' ');
  while (items.length > 0 && items[items.length - 1] === '') items.pop();
  const [version, topic, brokerName, timestamp, messageId] = items;
  if (version !== 'v1' || topic === undefined || brokerName === undefined || timestamp === undefined || messageId === undefined) return undefined;
  return { version, topic, brokerName, timestamp, messageId };
}
