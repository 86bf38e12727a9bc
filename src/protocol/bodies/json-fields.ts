import { RemotingCommandError } from '../../common/errors.js';
import { parseLenientJson, type JsonValue } from '../lenient-json.js';

/**
 * Typed reads of decoded JSON bodies. fastjson fills a missing field with the Java default and rejects a value of
 * the wrong type; we do the same, with an error that names the body and the field.
 */
export type JsonObject = { [key: string]: JsonValue };

export function parseJsonBody(body: Buffer | string | undefined, what: string): JsonValue {
  if (body === undefined) throw new RemotingCommandError(`${what}: the body is missing`);
  const text = typeof body === 'string' ? body : body.toString('utf8');
  try {
    return parseLenientJson(text);
  } catch (err) {
    throw new RemotingCommandError(`${what}: the body is not JSON (${(err as Error).message})`, { cause: err });
  }
}

export function asObject(value: JsonValue | undefined, what: string): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RemotingCommandError(`${what} is not a JSON object`);
  }
  return value;
}

export function optObject(obj: JsonObject, field: string, what: string): JsonObject | undefined {
  const value = fieldOf(obj, field);
  return value === undefined || value === null ? undefined : asObject(value, `${what}.${field}`);
}

export function optArray(obj: JsonObject, field: string, what: string): JsonValue[] | undefined {
  const value = fieldOf(obj, field);
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new RemotingCommandError(`${what}.${field} is not a JSON array`);
  return value;
}

export function optString(obj: JsonObject, field: string, what: string): string | undefined {
  const value = fieldOf(obj, field);
  if (value === undefined || value === null) return undefined;
  // fastjson reads a number into a String field as its text.
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') throw new RemotingCommandError(`${what}.${field} is not a string`);
  return value;
}

/** An int or long; fastjson also accepts a numeric string (BrowserCompatible writes big longs that way). */
export function optInteger(obj: JsonObject, field: string, what: string): number | undefined {
  const value = fieldOf(obj, field);
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && /^[+-]?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new RemotingCommandError(`${what}.${field} is not an integer`);
  return n;
}

export function optBoolean(obj: JsonObject, field: string, what: string): boolean | undefined {
  const value = fieldOf(obj, field);
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new RemotingCommandError(`${what}.${field} is not a boolean`);
}

export function asString(value: JsonValue | undefined, what: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new RemotingCommandError(`${what} is not a string`);
}

/** A JSON object of string values (Map<String,String>); null values are skipped. */
export function optStringMap(obj: JsonObject, field: string, what: string): Map<string, string> | undefined {
  const table = optObject(obj, field, what);
  if (table === undefined) return undefined;
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(table)) {
    if (value === null) continue;
    out.set(key, asString(value, `${what}.${field}[${key}]`));
  }
  return out;
}

function fieldOf(obj: JsonObject, field: string): JsonValue | undefined {
  return Object.hasOwn(obj, field) ? obj[field] : undefined;
}
