import { asObject, optArray, optInteger, optString, parseJsonBody, type JsonObject } from './json-fields.js';

/** BatchAck.java: the acked offsets of one pop (checkpoint), as offsets from its startOffset. */
export interface BatchAck {
  consumerGroup: string;
  topic: string;
  /** ExtraInfoUtil's topic type: "0", or "1"/"2" for the group's v1/v2 POP retry topic. */
  retry: string;
  startOffset: number;
  queueId: number;
  reviveQueueId: number;
  popTime: number;
  invisibleTime: number;
  /** The offsets acked: startOffset + each bit set. */
  offsets: number[];
}

/** BatchAckMessageRequestBody.java (BATCH_ACK_MESSAGE 200151). */
export interface BatchAckMessageRequestBody {
  brokerName: string;
  acks: BatchAck[];
}

/** A field under its short JSON name or its long alternate one, as fastjson's alternateNames read it. */
function pick<T>(obj: JsonObject, short: string, long: string, read: (o: JsonObject, f: string, w: string) => T | undefined, what: string): T | undefined {
  return read(obj, short, what) ?? read(obj, long, what);
}

/**
 * The BitSet field: fastjson writes BitSet.toByteArray() as a base64 string (BitSetSerializerDeserializer);
 * bit i is bit (i % 8) of byte i / 8.
 */
function bitSetOffsets(value: string | undefined, startOffset: number): number[] {
  if (value === undefined) return [];
  const bytes = Buffer.from(value, 'base64');
  const offsets: number[] = [];
  for (let i = 0; i < bytes.length * 8; i++) if ((((bytes[i >> 3] as number) >> (i & 7)) & 1) === 1) offsets.push(startOffset + i);
  return offsets;
}

export function decodeBatchAckMessageRequestBody(body: Buffer | string | undefined, what = 'BatchAckMessageRequestBody'): BatchAckMessageRequestBody {
  const obj = asObject(parseJsonBody(body, what), what);
  const acks = (optArray(obj, 'acks', what) ?? []).map((value, i) => {
    const where = `${what}.acks[${i}]`;
    const ack = asObject(value, where);
    const startOffset = pick(ack, 'so', 'startOffset', optInteger, where) ?? 0;
    return {
      consumerGroup: pick(ack, 'c', 'consumerGroup', optString, where) ?? '',
      topic: pick(ack, 't', 'topic', optString, where) ?? '',
      retry: pick(ack, 'r', 'retry', optString, where) ?? '0',
      startOffset,
      queueId: pick(ack, 'q', 'queueId', optInteger, where) ?? 0,
      reviveQueueId: pick(ack, 'rq', 'reviveQueueId', optInteger, where) ?? 0,
      popTime: pick(ack, 'pt', 'popTime', optInteger, where) ?? 0,
      invisibleTime: pick(ack, 'it', 'invisibleTime', optInteger, where) ?? 0,
      offsets: bitSetOffsets(pick(ack, 'b', 'bitSet', optString, where), startOffset),
    };
  });
  return { brokerName: optString(obj, 'brokerName', what) ?? '', acks };
}
