import { RemotingCommandError } from '../common/errors.js';
import { languageFromWire } from './language-code.js';
import { parseLenientJson, type JsonValue } from './lenient-json.js';
import { RemotingCommand } from './remoting-command.js';
import { setOwnField, type ExtFields } from './custom-header.js';

/**
 * The JSON header (SerializeType.JSON) as fastjson writes it: keys sorted, nulls left out, `language` by name,
 * `serializeTypeCurrentRPC` included. extFields keys are sorted too, which makes our output canonical.
 */
export function encodeJsonHeader(cmd: RemotingCommand): string {
  let json = '{"code":' + String(cmd.code);
  if (cmd.extFields !== undefined) json += ',"extFields":' + extFieldsToJson(cmd.extFields);
  json += ',"flag":' + String(cmd.flag) + ',"language":"' + cmd.language + '","opaque":' + String(cmd.opaque);
  if (cmd.remark !== undefined) json += ',"remark":' + JSON.stringify(cmd.remark);
  return json + ',"serializeTypeCurrentRPC":"JSON","version":' + String(cmd.version) + '}';
}

function extFieldsToJson(extFields: ExtFields): string {
  const keys = Object.keys(extFields).sort();
  let json = '{';
  let first = true;
  for (const key of keys) {
    const value = extFields[key];
    if (value === undefined || value === null) continue;
    json += (first ? '' : ',') + JSON.stringify(key) + ':' + JSON.stringify(value);
    first = false;
  }
  return json + '}';
}

/**
 * Reads a JSON header from Java, Go, ali-ons or anything fastjson would accept. Like fastjson, missing numeric
 * fields default to 0 and unknown fields are ignored; a header that is not an object is an error.
 */
export function decodeJsonHeader(text: string): RemotingCommand {
  const parsed = parseLenientJson(text);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RemotingCommandError('JSON header is not an object');
  }
  return new RemotingCommand({
    code: intField(parsed, 'code'),
    // Java's field default: fastjson only sets the fields present in the text.
    language: Object.hasOwn(parsed, 'language') ? languageFromWire(parsed['language']) : 'JAVA',
    version: intField(parsed, 'version'),
    opaque: intField(parsed, 'opaque'),
    flag: intField(parsed, 'flag'),
    remark: stringField(parsed, 'remark'),
    extFields: extFieldsFrom(parsed['extFields']),
    serializeTypeCurrentRPC: 'JSON',
  });
}

function intField(obj: { [key: string]: JsonValue }, name: string): number {
  const value = obj[name];
  if (value === undefined || value === null) return 0;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < -2147483648 || n > 2147483647) {
    throw new RemotingCommandError(`JSON header field '${name}' is not an int`);
  }
  return n;
}

function stringField(obj: { [key: string]: JsonValue }, name: string): string | undefined {
  const value = obj[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'object') throw new RemotingCommandError(`JSON header field '${name}' is not a string`);
  return String(value);
}

function extFieldsFrom(value: JsonValue | undefined): ExtFields | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new RemotingCommandError("JSON header field 'extFields' is not an object");
  }
  const out: ExtFields = {};
  for (const key of Object.keys(value)) {
    const v = value[key];
    if (v === null || v === undefined) continue;
    if (typeof v === 'object') throw new RemotingCommandError(`extFields['${key}'] is not a string`);
    setOwnField(out, key, String(v));
  }
  return out;
}
