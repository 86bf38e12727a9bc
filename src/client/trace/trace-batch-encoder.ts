import { MessageConst } from '../../protocol/message/message-const.js';
import { MAX_PROPERTIES_LENGTH } from '../../protocol/message/message-decoder.js';

/** One trace message as the dispatcher makes it: records, and the keys the broker indexes it by. */
export interface TraceMessageText {
  /** The records, TraceDataEncoder's text. */
  readonly body: string;
  /** Space separated, as the KEYS property holds them; never empty (every record has a msgId). */
  readonly keys: string;
}

/** A request's worth of trace messages, encoded: what a producer's batch send puts on the wire. */
export interface EncodedTraceBatch {
  /** MessageDecoder.encodeMessages of the trace messages. */
  readonly body: Buffer;
  /** Their UNIQ_KEYs, joined by ',' (a batch's SendResult.msgId). */
  readonly msgIds: string;
}

/** Record header: totalSize, magicCode, bodyCRC, flag, bodyLength (magic and CRC 0, as a client writes them). */
const RECORD_HEADER = 20;
/** The properties each trace message has after KEYS: WAIT=true, then its UNIQ_KEY, as a Producer sets them. */
const WAIT_PROPERTY = `${MessageConst.PROPERTY_WAIT_STORE_MSG_OK}\u0001true\u0002`;
const KEYS_PREFIX = `${MessageConst.PROPERTY_KEYS}\u0001`;
const UNIQ_KEY_PREFIX = `${MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX}\u0001`;

/**
 * The SEND_BATCH_MESSAGE body of trace messages, written in one buffer: the same bytes a Producer's batch send of
 * `{ topic, body, keys }` messages makes (MessageBatch: each record's properties KEYS, WAIT=true and a fresh
 * UNIQ_KEY), without the Message objects, the validation and the per-record buffers that path builds. This runs
 * once per request of up to ~600 trace records, on the traced client's event loop, so it is its cost per record
 * that counts. Throws a RangeError when a message's properties pass the int16 length the format allows; the
 * dispatcher keeps its keys below that.
 */
export function encodeTraceBatch(messages: readonly TraceMessageText[], createUniqID: () => string): EncodedTraceBatch {
  const properties: string[] = [];
  let msgIds = '';
  let total = 0;
  for (const message of messages) {
    const id = createUniqID();
    msgIds = msgIds === '' ? id : `${msgIds},${id}`;
    const text = `${KEYS_PREFIX}${message.keys}\u0002${WAIT_PROPERTY}${UNIQ_KEY_PREFIX}${id}\u0002`;
    properties.push(text);
    total += RECORD_HEADER + Buffer.byteLength(message.body, 'utf8') + 2 + Buffer.byteLength(text, 'utf8');
  }
  const body = Buffer.allocUnsafe(total);
  let at = 0;
  messages.forEach((message, i) => {
    const start = at;
    // magicCode, bodyCRC and flag are 0; totalSize and bodyLength are known once the body is written.
    body.fill(0, start + 4, start + 16);
    const bodyLength = body.write(message.body, start + RECORD_HEADER, 'utf8');
    at = start + RECORD_HEADER + bodyLength;
    const propertiesLength = body.write(properties[i] as string, at + 2, 'utf8');
    if (propertiesLength > MAX_PROPERTIES_LENGTH) throw new RangeError(`trace message properties of ${propertiesLength} bytes exceed ${MAX_PROPERTIES_LENGTH}`);
    body.writeInt16BE(propertiesLength, at);
    at += 2 + propertiesLength;
    body.writeInt32BE(at - start, start);
    body.writeInt32BE(bodyLength, start + 16);
  });
  return { body, msgIds };
}
