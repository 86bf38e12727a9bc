import { RemotingCommandError } from '../common/errors.js';
import { LanguageCode, languageFromWire } from './language-code.js';
import { RemotingCommand } from './remoting-command.js';
import {
  compile,
  missingField,
  parseField,
  setOwnField,
  type CompiledField,
  type DecodedHeader,
  type ExtFields,
  type HeaderContext,
  type HeaderSchema,
  type RawExtFields,
  valuesInKeyOrder,
} from './custom-header.js';

/**
 * The ROCKETMQ binary header (RocketMQSerializable):
 *   code:int16 language:int8 version:int16 opaque:int32 flag:int32
 *   remarkLength:int32 remark:utf8  extFieldsLength:int32 { keyLength:int16 key valueLength:int32 value }*
 * A zero-length string decodes as null, so empty remarks and empty ext values do not survive the trip (as in Java).
 */
const FIXED_LENGTH = 21;

/** A binary header ready to be copied into a frame: its exact length is known before any byte is written. */
export interface BinaryHeaderPlan {
  readonly length: number;
  readonly write: (target: Buffer, offset: number) => void;
}

export function planBinaryHeader(cmd: RemotingCommand): BinaryHeaderPlan {
  if (cmd.code < -32768 || cmd.code > 32767) {
    // Java silently truncates with writeShort; a clear error is kinder. Such codes need the JSON header.
    throw new RemotingCommandError(`code ${cmd.code} does not fit the ROCKETMQ header (int16); use JSON`);
  }
  if (cmd.version < -32768 || cmd.version > 32767) {
    throw new RemotingCommandError(`version ${cmd.version} does not fit the ROCKETMQ header (int16)`);
  }
  const remarkLength = cmd.remark === undefined ? 0 : Buffer.byteLength(cmd.remark);
  // Per entry: key, its byte length, value, its byte length (negative: ASCII, copied by the loop in writeString).
  const entries: (string | number)[] = [];
  let extLength = 0;
  const extFields = cmd.extFields;
  if (extFields !== undefined) {
    for (const key of Object.keys(extFields)) {
      const value = extFields[key];
      if (value === undefined || value === null) continue;
      const keyLength = byteLength(key);
      if (keyLength > 32767 || keyLength < -32767) throw new RemotingCommandError(`ext field key longer than 32767 bytes`);
      const valueLength = byteLength(value);
      extLength += 2 + Math.abs(keyLength) + 4 + Math.abs(valueLength);
      entries.push(key, keyLength, value, valueLength);
    }
  }
  const length = FIXED_LENGTH + remarkLength + extLength;
  return {
    length,
    write: (target: Buffer, offset: number): void => {
      let pos = target.writeInt16BE(cmd.code, offset);
      pos = target.writeInt8(LanguageCode[cmd.language], pos);
      pos = target.writeInt16BE(cmd.version, pos);
      pos = target.writeInt32BE(cmd.opaque, pos);
      pos = target.writeInt32BE(cmd.flag, pos);
      pos = target.writeInt32BE(remarkLength, pos);
      if (remarkLength > 0) pos += target.write(cmd.remark as string, pos, 'utf8');
      pos = target.writeInt32BE(extLength, pos);
      for (let i = 0; i < entries.length; i += 4) {
        const keyLength = Math.abs(entries[i + 1] as number);
        target.writeInt16BE(keyLength, pos);
        writeString(target, pos + 2, entries[i] as string, entries[i + 1] as number);
        pos += 2 + keyLength;
        const valueLength = Math.abs(entries[i + 3] as number);
        target.writeInt32BE(valueLength, pos);
        writeString(target, pos + 4, entries[i + 2] as string, entries[i + 3] as number);
        pos += 4 + valueLength;
      }
    },
  };
}

/**
 * Header keys and most values are short ASCII, for which a byte loop beats the native UTF-8 calls: their length
 * comes back negated (-0 for the empty string), to tell writeString to copy them itself.
 */
const MAX_LOOP_STRING = 64;

function byteLength(s: string): number {
  if (s.length > MAX_LOOP_STRING) return Buffer.byteLength(s);
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s);
  return -s.length;
}

function writeString(target: Buffer, at: number, s: string, length: number): void {
  if (length > 0) {
    target.write(s, at, 'utf8');
    return;
  }
  for (let i = 0; i < s.length; i++) target[at + i] = s.charCodeAt(i);
}

/** Decodes `length` header bytes at `offset`; every length is checked against what is really there. */
export function decodeBinaryHeader(buf: Buffer, offset: number, length: number): RemotingCommand {
  const end = offset + length;
  if (length < FIXED_LENGTH) throw new RemotingCommandError(`ROCKETMQ header too short: ${length} bytes`);
  const code = buf.readInt16BE(offset);
  const language = languageFromWire(buf.readUInt8(offset + 2));
  const version = buf.readInt16BE(offset + 3);
  const opaque = buf.readInt32BE(offset + 5);
  const flag = buf.readInt32BE(offset + 9);
  const remarkLength = buf.readInt32BE(offset + 13);
  let pos = offset + 17;
  if (remarkLength < 0 || remarkLength > end - pos - 4) {
    throw new RemotingCommandError(`ROCKETMQ header: bad remark length ${remarkLength}`);
  }
  const remark = remarkLength === 0 ? undefined : buf.toString('utf8', pos, pos + remarkLength);
  pos += remarkLength;
  const extLength = buf.readInt32BE(pos);
  pos += 4;
  if (extLength < 0 || extLength > end - pos) {
    throw new RemotingCommandError(`ROCKETMQ header: bad extFields length ${extLength}`);
  }
  const rawExtFields = extLength === 0 ? undefined : new BinaryExtFields(buf, pos, pos + extLength);
  return new RemotingCommand({ code, language, version, opaque, flag, remark, rawExtFields, serializeTypeCurrentRPC: 'ROCKETMQ' });
}

/**
 * Strings that come back in every header (ext field keys, topic and group names) are decoded once, then found by
 * a hash of their bytes, so that a request costs no allocation for them. Short ASCII strings only, up to 24
 * bytes: message ids (32 hex digits) never come back, and hashing them was most of a send response's decode. A
 * direct-mapped table: a string that does not come back takes a slot until another hash needs it, and the table
 * never grows.
 */
const MAX_CACHED_STRING_LENGTH = 24;
const STRING_SLOTS = 4096;
const stringSlots: (string | undefined)[] = new Array<string | undefined>(STRING_SLOTS).fill(undefined);

function decodeString(buf: Buffer, start: number, length: number): string {
  if (length > MAX_CACHED_STRING_LENGTH) return buf.toString('utf8', start, start + length);
  let hash = length;
  for (let i = start; i < start + length; i++) {
    const c = buf[i]!;
    if (c >= 0x80) return buf.toString('utf8', start, start + length);
    hash = (Math.imul(hash, 31) + c) | 0;
  }
  const slot = hash & (STRING_SLOTS - 1);
  const cached = stringSlots[slot];
  if (cached !== undefined && cached.length === length) {
    let same = true;
    for (let i = 0; i < length && same; i++) same = cached.charCodeAt(i) === buf[start + i];
    if (same) return cached;
  }
  const decoded = buf.toString('latin1', start, start + length);
  stringSlots[slot] = decoded;
  return decoded;
}

/** A schema's fields in order, and where each is by name (schemas are module constants: compiled once). */
interface FieldTable {
  readonly fields: readonly CompiledField[];
  readonly indexByName: Map<string, number>;
}

const fieldTables = new WeakMap<HeaderSchema, FieldTable>();

function fieldTable(schema: HeaderSchema): FieldTable {
  let table = fieldTables.get(schema);
  if (table === undefined) {
    const fields = compile(schema);
    table = { fields, indexByName: new Map(fields.map((f, i) => [f.field, i])) };
    fieldTables.set(schema, table);
  }
  return table;
}

/**
 * The ext fields of a binary header, as wire bytes. Their framing (every key and value length) is checked when
 * the frame is decoded, so a malformed header still fails there; strings are made only for what is read.
 */
class BinaryExtFields implements RawExtFields {
  /** Per entry: key offset, key length, value offset, value length. */
  private readonly entries: number[] = [];

  constructor(
    private readonly buf: Buffer,
    start: number,
    end: number,
  ) {
    let pos = start;
    while (pos < end) {
      if (end - pos < 2) throw new RemotingCommandError('ROCKETMQ header: truncated ext field key length');
      const keyLength = buf.readInt16BE(pos);
      pos += 2;
      if (keyLength < 0 || keyLength > end - pos - 4) {
        throw new RemotingCommandError(`ROCKETMQ header: bad ext field key length ${keyLength}`);
      }
      const keyAt = pos;
      pos += keyLength;
      const valueLength = buf.readInt32BE(pos);
      pos += 4;
      if (valueLength < 0 || valueLength > end - pos) {
        throw new RemotingCommandError(`ROCKETMQ header: bad ext field value length ${valueLength}`);
      }
      // Java reads a zero-length string as null; null values are absent, as if never sent.
      if (keyLength > 0 && valueLength > 0) this.entries.push(keyAt, keyLength, pos, valueLength);
      pos += valueLength;
    }
  }

  toExtFields(): ExtFields {
    const out: ExtFields = {};
    const { buf, entries } = this;
    for (let i = 0; i < entries.length; i += 4) {
      setOwnField(out, decodeString(buf, entries[i]!, entries[i + 1]!), decodeString(buf, entries[i + 2]!, entries[i + 3]!));
    }
    return out;
  }

  isEmpty(): boolean {
    return this.entries.length === 0;
  }

  get(key: string): string | undefined {
    const { buf, entries } = this;
    const ascii = isAscii(key);
    for (let i = entries.length - 4; i >= 0; i -= 4) {
      if (keyIs(buf, entries[i]!, entries[i + 1]!, key, ascii)) return decodeString(buf, entries[i + 2]!, entries[i + 3]!);
    }
    return undefined;
  }

  /**
   * Sorted and copied as bytes while keys and values are ASCII, whose byte order is their UTF-16 order and whose
   * bytes are those of the decoded strings encoded again. Otherwise through the string map, which turns
   * malformed UTF-8 into U+FFFD.
   */
  valuesInKeyOrder(skip: readonly string[]): Buffer {
    const { buf, entries } = this;
    const slow = (): Buffer => Buffer.from(valuesInKeyOrder(this.toExtFields(), skip), 'utf8');
    if (!skip.every(isAscii)) return slow();
    // The entries taken, by key: an insertion sort (a header has a few dozen fields at most), stable, so that of
    // equal keys the last one sent, the one the map keeps, comes last.
    const order: number[] = [];
    let high = 0;
    for (let i = 0; i < entries.length; i += 4) {
      const at = entries[i]!;
      const length = entries[i + 1]!;
      for (let b = at; b < at + length; b++) high |= buf[b]!;
      if (isOneOf(buf, at, length, skip)) continue;
      let j = order.length;
      for (; j > 0 && compareBytes(buf, entries[order[j - 1]!]!, entries[order[j - 1]! + 1]!, at, length) > 0; j--) order[j] = order[j - 1]!;
      order[j] = i;
    }
    // A key above ASCII: its bytes do not sort as its characters.
    if (high > 0x7f) return slow();
    // Of equal keys, the last.
    let taken = 0;
    let length = 0;
    for (let k = 0; k < order.length; k++) {
      const i = order[k]!;
      const next = order[k + 1];
      if (next !== undefined && compareBytes(buf, entries[i]!, entries[i + 1]!, entries[next]!, entries[next + 1]!) === 0) continue;
      order[taken++] = i;
      length += entries[i + 3]!;
    }
    const out = Buffer.allocUnsafe(length);
    let pos = 0;
    for (let k = 0; k < taken; k++) {
      const start = entries[order[k]! + 2]!;
      const end = start + entries[order[k]! + 3]!;
      for (let b = start; b < end; b++) {
        const c = buf[b]!;
        high |= c;
        out[pos++] = c;
      }
    }
    return high > 0x7f ? slow() : out;
  }

  /**
   * decodeCustomHeader, from the bytes: the same values, and the same error first (fields are checked in schema
   * order), without the string map in between.
   */
  decodeHeader<S extends HeaderSchema>(schema: S, context: HeaderContext): DecodedHeader<S> {
    const { fields, indexByName } = fieldTable(schema);
    const { buf, entries } = this;
    // Where each field's value is among the entries (the last one sent wins, as in the string map).
    const found = new Array<number>(fields.length).fill(-1);
    for (let i = 0; i < entries.length; i += 4) {
      const index = indexByName.get(decodeString(buf, entries[i]!, entries[i + 1]!));
      if (index !== undefined) found[index] = i + 2;
    }
    const out: Record<string, string | number | boolean> = {};
    for (let f = 0; f < fields.length; f++) {
      const field = fields[f]!;
      const entry = found[f]!;
      if (entry < 0) {
        if (field.optional) continue;
        throw missingField(field.field, context);
      }
      const at = entries[entry]!;
      const end = at + entries[entry + 1]!;
      let value: string | number | boolean | undefined;
      if (field.kind === 'string') value = decodeString(buf, at, end - at);
      else if (field.kind === 'int' || field.kind === 'long') value = parseDecimal(buf, at, end, field.kind === 'int');
      else if (field.kind === 'boolean') value = isTrue(buf, at, end);
      // Doubles, and what parseDecimal does not take (too long, out of range, malformed): as parseField says.
      value ??= parseField(buf.toString('utf8', at, end), field.kind, field.field, context);
      out[field.field] = value;
    }
    return out as DecodedHeader<S>;
  }
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function isOneOf(buf: Buffer, at: number, length: number, asciiKeys: readonly string[]): boolean {
  for (const key of asciiKeys) if (keyIs(buf, at, length, key, true)) return true;
  return false;
}

/** Byte order: the UTF-16 order of ASCII strings. */
function compareBytes(buf: Buffer, a: number, aLength: number, b: number, bLength: number): number {
  const n = Math.min(aLength, bLength);
  for (let i = 0; i < n; i++) {
    const d = buf[a + i]! - buf[b + i]!;
    if (d !== 0) return d;
  }
  return aLength - bLength;
}

/**
 * Whether the key bytes at `at` decode to `key`. An ASCII key can only come from the same bytes (any other byte
 * decodes to a character above 0x7f); another one is compared decoded.
 */
function keyIs(buf: Buffer, at: number, length: number, key: string, ascii: boolean): boolean {
  if (!ascii) return decodeString(buf, at, length) === key;
  if (length !== key.length) return false;
  for (let i = 0; i < length; i++) if (buf[at + i] !== key.charCodeAt(i)) return false;
  return true;
}

/** Boolean.parseBoolean: a case-insensitive "true" (no other letters lower-case to these four). */
function isTrue(buf: Buffer, start: number, end: number): boolean {
  return (
    end - start === 4 &&
    (buf[start]! | 0x20) === 0x74 &&
    (buf[start + 1]! | 0x20) === 0x72 &&
    (buf[start + 2]! | 0x20) === 0x75 &&
    (buf[start + 3]! | 0x20) === 0x65
  );
}

/**
 * An optional sign and 1 to 15 ASCII digits (exact in a double) that fit the kind: what INT_PATTERN and Number()
 * accept, read without a string. Anything else is undefined, and goes through parseField.
 */
function parseDecimal(buf: Buffer, start: number, end: number, int32: boolean): number | undefined {
  let i = start;
  const first = buf[i];
  const negative = first === 0x2d;
  if (negative || first === 0x2b) i++;
  if (i === end || end - i > 15) return undefined;
  let n = 0;
  for (; i < end; i++) {
    const digit = buf[i]! - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    n = n * 10 + digit;
  }
  const value = negative ? -n : n;
  if (int32 && (value < -2147483648 || value > 2147483647)) return undefined;
  return value;
}
