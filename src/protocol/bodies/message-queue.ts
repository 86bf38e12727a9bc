import { RemotingCommandError } from '../../common/errors.js';
import { parseLenientJson } from '../lenient-json.js';
import { toFastjson } from './fastjson-writer.js';
import { asObject, optInteger, optString, type JsonObject } from './json-fields.js';

/** MessageQueue.java: one queue of a topic on a broker. */
export interface MessageQueue {
  topic: string;
  brokerName: string;
  queueId: number;
}

/** The bean as fastjson writes it: fields sorted, `{"brokerName":"b","queueId":0,"topic":"T"}`. */
export function messageQueueToJson(mq: MessageQueue): string {
  return toFastjson({ brokerName: mq.brokerName, queueId: mq.queueId, topic: mq.topic });
}

export function messageQueueFromJson(value: unknown, what: string): MessageQueue {
  const obj = asObject(value as JsonObject, what);
  return {
    topic: optString(obj, 'topic', what) ?? '',
    brokerName: optString(obj, 'brokerName', what) ?? '',
    queueId: optInteger(obj, 'queueId', what) ?? 0,
  };
}

/** A stable key for sets and maps of queues (Java's MessageQueue.equals: topic, broker, queue id). */
export function messageQueueKey(mq: MessageQueue): string {
  return `${mq.topic}\u0000${mq.brokerName}\u0000${mq.queueId}`;
}

/**
 * A Map<MessageQueue, V> as fastjson writes it: the keys are JSON objects, unquoted
 * (`{{"brokerName":"b","queueId":0,"topic":"T"}:5}`), which Java (and our lenient reader) parse back.
 */
export function encodeMessageQueueMap<V>(entries: Iterable<readonly [MessageQueue, V]>, encodeValue: (value: V) => string = (v) => toFastjson(v)): string {
  const items: string[] = [];
  for (const [mq, value] of entries) items.push(`${messageQueueToJson(mq)}:${encodeValue(value)}`);
  return `{${items.join(',')}}`;
}

/** Reads a Map<MessageQueue, V> whose keys the lenient reader gave as their JSON text. */
export function decodeMessageQueueMap<V>(obj: JsonObject, what: string, decodeValue: (value: JsonObject[string], where: string) => V): [MessageQueue, V][] {
  return Object.entries(obj).map(([keyText, value]) => {
    let key: unknown;
    try {
      key = parseLenientJson(keyText);
    } catch (err) {
      throw new RemotingCommandError(`${what}: the key '${keyText.slice(0, 64)}' is not a MessageQueue`, { cause: err });
    }
    return [messageQueueFromJson(key, `${what} key`), decodeValue(value, `${what}[${keyText.slice(0, 64)}]`)];
  });
}
