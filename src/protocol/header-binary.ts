import { RemotingCommandError } from '../common/errors.js';
import { LanguageCode, languageFromWire } from './language-code.js';
import { RemotingCommand } from './remoting-command.js';
import { setOwnField, type ExtFields } from './custom-header.js';

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
  const entries: string[] = [];
  let extLength = 0;
  if (cmd.extFields !== undefined) {
    for (const key of Object.keys(cmd.extFields)) {
      const value = cmd.extFields[key];
      if (value === undefined || value === null) continue;
      const keyLength = Buffer.byteLength(key);
      if (keyLength > 32767) throw new RemotingCommandError(`ext field key longer than 32767 bytes`);
      extLength += 2 + keyLength + 4 + Buffer.byteLength(value);
      entries.push(key, value);
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
      for (let i = 0; i < entries.length; i += 2) {
        const key = entries[i] as string;
        const value = entries[i + 1] as string;
        const keyLength = target.write(key, pos + 2, 'utf8');
        target.writeInt16BE(keyLength, pos);
        pos += 2 + keyLength;
        const valueLength = target.write(value, pos + 4, 'utf8');
        target.writeInt32BE(valueLength, pos);
        pos += 4 + valueLength;
      }
    },
  };
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
  const extFields = extLength === 0 ? undefined : decodeExtFields(buf, pos, pos + extLength);
  return new RemotingCommand({ code, language, version, opaque, flag, remark, extFields, serializeTypeCurrentRPC: 'ROCKETMQ' });
}

/** Ext field keys are a few dozen Java field names: decoded once each, then found by a hash of their bytes. */
const MAX_CACHED_KEY_LENGTH = 32;
const MAX_CACHED_KEYS = 1024;
const keyCache = new Map<number, string>();

function decodeKey(buf: Buffer, start: number, length: number): string {
  if (length > MAX_CACHED_KEY_LENGTH) return buf.toString('utf8', start, start + length);
  let hash = length;
  for (let i = start; i < start + length; i++) {
    const c = buf[i]!;
    if (c >= 0x80) return buf.toString('utf8', start, start + length);
    hash = (Math.imul(hash, 31) + c) | 0;
  }
  const cached = keyCache.get(hash);
  if (cached !== undefined && cached.length === length) {
    let same = true;
    for (let i = 0; i < length && same; i++) same = cached.charCodeAt(i) === buf[start + i];
    if (same) return cached;
  }
  const key = buf.toString('latin1', start, start + length);
  if (keyCache.size < MAX_CACHED_KEYS) keyCache.set(hash, key);
  return key;
}

function decodeExtFields(buf: Buffer, start: number, end: number): ExtFields {
  const out: ExtFields = {};
  let pos = start;
  while (pos < end) {
    if (end - pos < 2) throw new RemotingCommandError('ROCKETMQ header: truncated ext field key length');
    const keyLength = buf.readInt16BE(pos);
    pos += 2;
    if (keyLength < 0 || keyLength > end - pos - 4) {
      throw new RemotingCommandError(`ROCKETMQ header: bad ext field key length ${keyLength}`);
    }
    const key = decodeKey(buf, pos, keyLength);
    pos += keyLength;
    const valueLength = buf.readInt32BE(pos);
    pos += 4;
    if (valueLength < 0 || valueLength > end - pos) {
      throw new RemotingCommandError(`ROCKETMQ header: bad ext field value length ${valueLength}`);
    }
    // Java reads a zero-length string as null; null values are absent in our string map.
    if (keyLength > 0 && valueLength > 0) {
      setOwnField(out, key, buf.toString('utf8', pos, pos + valueLength));
    }
    pos += valueLength;
  }
  return out;
}
