/**
 * A table-driven protobuf (proto3) codec over our schema (schema.ts): varints, fixed32 floats, length-delimited
 * strings/bytes/messages, packed and unpacked repeated scalars, `map<string,string>`, oneofs, proto3 `optional`
 * presence, and google.protobuf.Duration / Timestamp as milliseconds. Pure: no I/O.
 *
 * Decoding skips unknown fields (newer clients may send fields we do not know) and throws a ProtobufDecodeError
 * naming the message and field for anything malformed, so a transport can refuse the request instead of crashing.
 */
import { RocketMQError } from '../common/errors.js';
import { enums, messages, type FieldSpec, type MessageName } from './schema.js';
import type { Msg, MsgInit } from './types.js';

/** Bytes that are not a valid encoding of the expected message. */
export class ProtobufDecodeError extends RocketMQError {
  constructor(message: string) {
    super(message, 'PROTOBUF_DECODE', false);
  }
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_START_GROUP = 3;
const WIRE_END_GROUP = 4;
const WIRE_FIXED32 = 5;

const TWO_32 = 2 ** 32;

type Kind = 'string' | 'bytes' | 'bool' | 'int32' | 'int64' | 'float' | 'enum' | 'message' | 'duration' | 'timestamp' | 'map';

interface Field {
  readonly no: number;
  readonly name: string;
  readonly kind: Kind;
  /** The nested message, for kind 'message'. */
  readonly message: MessageName | undefined;
  readonly repeated: boolean;
  /** Absent means undefined (messages, well-known types, optional, oneof members) rather than the default. */
  readonly presence: boolean;
  readonly oneof: string | undefined;
}

interface Table {
  readonly name: MessageName;
  readonly fields: readonly Field[];
  readonly byNumber: ReadonlyMap<number, Field>;
}

const tables = new Map<MessageName, Table>();

function kindOf(type: string): { kind: Kind; message: MessageName | undefined } {
  switch (type) {
    case 'string':
    case 'bytes':
    case 'bool':
    case 'int32':
    case 'int64':
    case 'float':
    case 'duration':
    case 'timestamp':
      return { kind: type, message: undefined };
    case 'map<string,string>':
      return { kind: 'map', message: undefined };
  }
  if (type in enums) return { kind: 'enum', message: undefined };
  if (type in messages) return { kind: 'message', message: type as MessageName };
  throw new Error(`schema: unknown field type ${type}`);
}

function tableOf(name: MessageName): Table {
  let table = tables.get(name);
  if (table !== undefined) return table;
  const specs = messages[name] as Record<string, FieldSpec>;
  const fields = Object.entries(specs).map(([fieldName, spec]): Field => {
    const [no, type, label] = spec;
    const { kind, message } = kindOf(type);
    const oneof = label?.startsWith('oneof:') === true ? label.slice('oneof:'.length) : undefined;
    const repeated = label === 'repeated';
    const presence = !repeated && (label === 'optional' || oneof !== undefined || kind === 'message' || kind === 'duration' || kind === 'timestamp');
    return { no, name: fieldName, kind, message, repeated, presence, oneof };
  });
  table = { name, fields, byNumber: new Map(fields.map((f) => [f.no, f])) };
  tables.set(name, table);
  return table;
}

// ---------------------------------------------------------------------------------------------------- decoding

class Reader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
    private readonly where: string,
  ) {
    this.pos = start;
  }

  fail(what: string): never {
    throw new ProtobufDecodeError(`malformed ${this.where}: ${what} at byte ${this.pos}`);
  }

  /** A varint as two 32-bit halves (low, high), as it may carry 64 bits. */
  varint(): [number, number] {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = this.buf[this.pos++] as number;
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >>> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if ((b & 0x80) === 0) return [lo >>> 0, hi >>> 0];
    }
    return this.fail('varint longer than 10 bytes');
  }

  length(): number {
    const [lo, hi] = this.varint();
    if (hi !== 0 || lo > this.end - this.pos) this.fail(`length ${hi === 0 ? lo : 'beyond 2^32'} past the end (${this.end - this.pos} bytes left)`);
    return lo;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.advance(8);
        return;
      case WIRE_LEN:
        this.advance(this.length());
        return;
      case WIRE_FIXED32:
        this.advance(4);
        return;
      case WIRE_START_GROUP:
      case WIRE_END_GROUP:
        return this.fail('groups (wire types 3 and 4) are not part of proto3');
      default:
        return this.fail(`invalid wire type ${wireType}`);
    }
  }

  advance(n: number): void {
    if (this.end - this.pos < n) this.fail(`${n} bytes expected, ${this.end - this.pos} left`);
    this.pos += n;
  }
}

function int64Of(lo: number, hi: number): number {
  if ((hi & 0x80000000) === 0) return hi * TWO_32 + lo;
  // Two's complement: -(~value + 1).
  return -((~hi >>> 0) * TWO_32 + (~lo >>> 0) + 1);
}

// No message of the schema contains itself, so nesting (and recursion here) is bounded by the schema; unknown
// nested fields are skipped as bytes, never parsed.
function decodeMessage(table: Table, reader: Reader, end: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of table.fields) {
    if (f.repeated) out[f.name] = [];
    else if (f.kind === 'map') out[f.name] = new Map<string, string>();
    else out[f.name] = f.presence ? undefined : defaultOf(f.kind);
  }
  while (reader.pos < end) {
    const [tag, tagHi] = reader.varint();
    const no = tag >>> 3;
    const wireType = tag & 7;
    if (tagHi !== 0 || no === 0) reader.fail('invalid field number');
    const field = table.byNumber.get(no);
    if (field === undefined) {
      reader.skip(wireType);
      continue;
    }
    if (field.oneof !== undefined) {
      // A later member of a oneof replaces an earlier one, as in every protobuf runtime.
      for (const other of table.fields) if (other.oneof === field.oneof) out[other.name] = undefined;
    }
    if (field.kind === 'map') {
      expectWire(reader, field, wireType, WIRE_LEN);
      const len = reader.length();
      const [key, value] = decodeMapEntry(reader, reader.pos + len);
      (out[field.name] as Map<string, string>).set(key, value);
      continue;
    }
    if (field.repeated && wireType === WIRE_LEN && isPackable(field.kind)) {
      const len = reader.length();
      const packedEnd = reader.pos + len;
      const list = out[field.name] as unknown[];
      while (reader.pos < packedEnd) list.push(readScalar(reader, field));
      if (reader.pos !== packedEnd) reader.fail(`packed field ${field.name} overruns its length`);
      continue;
    }
    const value = readValue(reader, field, wireType);
    if (field.repeated) (out[field.name] as unknown[]).push(value);
    else out[field.name] = value;
  }
  if (reader.pos !== end) reader.fail('message overruns its length');
  return out;
}

function defaultOf(kind: Kind): unknown {
  switch (kind) {
    case 'string':
      return '';
    case 'bytes':
      return Buffer.alloc(0);
    case 'bool':
      return false;
    default:
      return 0;
  }
}

function isPackable(kind: Kind): boolean {
  return kind === 'bool' || kind === 'int32' || kind === 'int64' || kind === 'enum' || kind === 'float';
}

function wireOf(kind: Kind): number {
  if (kind === 'float') return WIRE_FIXED32;
  return isPackable(kind) ? WIRE_VARINT : WIRE_LEN;
}

function expectWire(reader: Reader, field: Field, actual: number, expected: number): void {
  if (actual !== expected) reader.fail(`field ${field.name} (${field.no}) has wire type ${actual}, expected ${expected}`);
}

function readScalar(reader: Reader, field: Field): unknown {
  if (field.kind === 'float') {
    reader.advance(4);
    return reader.buf.readFloatLE(reader.pos - 4);
  }
  const [lo, hi] = reader.varint();
  switch (field.kind) {
    case 'bool':
      return lo !== 0 || hi !== 0;
    case 'int64':
      return int64Of(lo, hi);
    default:
      // int32 and enums: negative values arrive sign-extended to 64 bits; the low half is the value.
      return lo | 0;
  }
}

function readValue(reader: Reader, field: Field, wireType: number): unknown {
  expectWire(reader, field, wireType, wireOf(field.kind));
  if (isPackable(field.kind)) return readScalar(reader, field);
  const len = reader.length();
  const start = reader.pos;
  reader.pos += len;
  switch (field.kind) {
    case 'string':
      return reader.buf.toString('utf8', start, start + len);
    case 'bytes':
      return Buffer.from(reader.buf.subarray(start, start + len));
    case 'duration':
    case 'timestamp':
      return decodeTime(reader, start, start + len, field);
    default: {
      const sub = new Reader(reader.buf, start, start + len, `${field.message as string} in ${field.name}`);
      return decodeMessage(tableOf(field.message as MessageName), sub, start + len);
    }
  }
}

/** Duration and Timestamp share their shape: `1 seconds: int64, 2 nanos: int32`. */
function decodeTime(parent: Reader, start: number, end: number, field: Field): number {
  const reader = new Reader(parent.buf, start, end, `${field.kind} in ${field.name}`);
  let seconds = 0;
  let nanos = 0;
  while (reader.pos < end) {
    const [tag] = reader.varint();
    if (tag === ((1 << 3) | WIRE_VARINT)) {
      const [lo, hi] = reader.varint();
      seconds = int64Of(lo, hi);
    } else if (tag === ((2 << 3) | WIRE_VARINT)) {
      nanos = reader.varint()[0] | 0;
    } else reader.skip(tag & 7);
  }
  return seconds * 1000 + nanos / 1e6;
}

function decodeMapEntry(reader: Reader, end: number): [string, string] {
  let key = '';
  let value = '';
  while (reader.pos < end) {
    const [tag] = reader.varint();
    if (tag === ((1 << 3) | WIRE_LEN) || tag === ((2 << 3) | WIRE_LEN)) {
      const len = reader.length();
      const text = reader.buf.toString('utf8', reader.pos, reader.pos + len);
      reader.pos += len;
      if (tag >>> 3 === 1) key = text;
      else value = text;
    } else reader.skip(tag & 7);
  }
  if (reader.pos !== end) reader.fail('map entry overruns its length');
  return [key, value];
}

/** Decodes `bytes` as the message `name`; throws ProtobufDecodeError when they are malformed. */
export function decode<N extends MessageName>(name: N, bytes: Uint8Array): Msg<N> {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const reader = new Reader(buf, 0, buf.length, name);
  return decodeMessage(tableOf(name), reader, buf.length) as Msg<N>;
}

// ---------------------------------------------------------------------------------------------------- encoding

class Writer {
  private buf = Buffer.allocUnsafe(256);
  private pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  uvarint(value: number): void {
    this.ensure(10);
    let v = value;
    while (v > 0x7f) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  /** A signed 64-bit varint: negative numbers take ten bytes (two's complement), as int32 and int64 do. */
  svarint(value: number): void {
    if (value >= 0) return this.uvarint(value);
    let v = BigInt.asUintN(64, BigInt(value));
    this.ensure(10);
    while (v > 0x7fn) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  tag(no: number, wireType: number): void {
    this.uvarint(no * 8 + wireType);
  }

  float(value: number): void {
    this.ensure(4);
    this.buf.writeFloatLE(value, this.pos);
    this.pos += 4;
  }

  bytes(data: Uint8Array): void {
    this.uvarint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  string(text: string): void {
    const len = Buffer.byteLength(text, 'utf8');
    this.uvarint(len);
    this.ensure(len);
    this.pos += this.buf.write(text, this.pos, 'utf8');
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

function checkInteger(value: unknown, field: Field): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(`field ${field.name}: ${String(value)} is not an integer`);
  return value;
}

function writeScalar(w: Writer, field: Field, value: unknown): void {
  switch (field.kind) {
    case 'bool':
      w.uvarint(value === true ? 1 : 0);
      return;
    case 'float':
      w.float(value as number);
      return;
    default:
      w.svarint(checkInteger(value, field));
  }
}

function isDefault(field: Field, value: unknown): boolean {
  switch (field.kind) {
    case 'string':
      return value === '';
    case 'bytes':
      return (value as Uint8Array).length === 0;
    case 'bool':
      return value === false;
    default:
      return value === 0;
  }
}

function encodeTime(field: Field, millis: number): Buffer {
  if (!Number.isFinite(millis)) throw new TypeError(`field ${field.name}: ${millis} is not a finite number of milliseconds`);
  // Timestamp nanos are never negative; Duration nanos take the sign of the seconds.
  let seconds = field.kind === 'timestamp' ? Math.floor(millis / 1000) : Math.trunc(millis / 1000);
  let nanos = Math.round((millis - seconds * 1000) * 1e6);
  if (Math.abs(nanos) >= 1e9) {
    seconds += Math.sign(nanos);
    nanos -= Math.sign(nanos) * 1e9;
  }
  const w = new Writer();
  if (seconds !== 0) {
    w.tag(1, WIRE_VARINT);
    w.svarint(seconds);
  }
  if (nanos !== 0) {
    w.tag(2, WIRE_VARINT);
    w.svarint(nanos);
  }
  return w.finish();
}

function writeLen(w: Writer, field: Field, value: unknown): void {
  w.tag(field.no, WIRE_LEN);
  switch (field.kind) {
    case 'string':
      w.string(value as string);
      return;
    case 'bytes':
      w.bytes(value as Uint8Array);
      return;
    case 'duration':
    case 'timestamp':
      w.bytes(encodeTime(field, value as number));
      return;
    default:
      w.bytes(encodeMessage(tableOf(field.message as MessageName), value as Record<string, unknown>));
  }
}

function encodeMessage(table: Table, value: Record<string, unknown>): Buffer {
  const w = new Writer();
  const oneofsSet = new Set<string>();
  for (const field of table.fields) {
    const v = value[field.name];
    if (v === undefined) continue;
    if (field.oneof !== undefined) {
      if (oneofsSet.has(field.oneof)) throw new TypeError(`${table.name}: more than one member of oneof ${field.oneof} is set`);
      oneofsSet.add(field.oneof);
    }
    if (field.kind === 'map') {
      for (const [key, entry] of v as ReadonlyMap<string, string>) {
        const e = new Writer();
        e.tag(1, WIRE_LEN);
        e.string(key);
        e.tag(2, WIRE_LEN);
        e.string(entry);
        w.tag(field.no, WIRE_LEN);
        w.bytes(e.finish());
      }
      continue;
    }
    if (field.repeated) {
      const list = v as readonly unknown[];
      if (list.length === 0) continue;
      if (isPackable(field.kind)) {
        const packed = new Writer();
        for (const item of list) writeScalar(packed, field, item);
        w.tag(field.no, WIRE_LEN);
        w.bytes(packed.finish());
      } else for (const item of list) writeLen(w, field, item);
      continue;
    }
    // Implicit presence: a default value is not written; with presence it is (it says "set").
    if (!field.presence && isDefault(field, v)) continue;
    if (isPackable(field.kind)) {
      w.tag(field.no, wireOf(field.kind));
      writeScalar(w, field, v);
    } else writeLen(w, field, v);
  }
  return w.finish();
}

/** Encodes `value` as the message `name`. */
export function encode<N extends MessageName>(name: N, value: MsgInit<N>): Buffer {
  return encodeMessage(tableOf(name), value);
}
