/**
 * Writes JSON the way fastjson's `JSON.toJSONString` does for RocketMQ's bodies, in its two flavours:
 *
 * - plain (`RemotingSerializable.encode()`): keys of a Map<Long,...> or Map<Integer,...> are written unquoted,
 *   `{0:"10.0.0.1:10911"}`. Java parses it back, and the Go client parses brokerAddrs by hand expecting it.
 * - standard (`BrowserCompatible, QuoteFieldNames, MapSortField`, what the name server gives clients >= 4.9.4):
 *   every key quoted, map keys sorted, and characters beyond ASCII escaped as \uXXXX.
 *
 * Values are plain objects (Java beans: fields sorted by name, as fastjson does; undefined and null omitted),
 * arrays, strings, numbers, booleans, and `JsonMap`s (Java maps: insertion order, numeric keys unquoted in the
 * plain flavour, null values omitted).
 */
export interface FastjsonOptions {
  standard: boolean;
}

export type JsonMapKey = string | number;

/** A Java map; numeric keys mark a Map<Long,...>/Map<Integer,...>. */
export class JsonMap {
  constructor(readonly entries: ReadonlyArray<readonly [JsonMapKey, unknown]>) {}

  static of<V>(map: ReadonlyMap<JsonMapKey, V>): JsonMap {
    return new JsonMap([...map.entries()]);
  }

  static fromRecord(record: Readonly<Record<string, unknown>>): JsonMap {
    return new JsonMap(Object.entries(record));
  }
}

export function toFastjson(value: unknown, options: FastjsonOptions = { standard: false }): string {
  const out: string[] = [];
  write(value, options, out);
  return out.join('');
}

function write(value: unknown, options: FastjsonOptions, out: string[]): void {
  if (value === null || value === undefined) {
    out.push('null');
  } else if (typeof value === 'string') {
    out.push(quote(value, options));
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`cannot write ${value} as JSON`);
    out.push(String(value));
  } else if (typeof value === 'bigint') {
    // BrowserCompatible writes longs beyond what a JavaScript number holds exactly as strings.
    const unsafe = value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER);
    out.push(options.standard && unsafe ? `"${value}"` : String(value));
  } else if (typeof value === 'boolean') {
    out.push(value ? 'true' : 'false');
  } else if (Array.isArray(value)) {
    out.push('[');
    value.forEach((item, i) => {
      if (i > 0) out.push(',');
      write(item, options, out);
    });
    out.push(']');
  } else if (value instanceof JsonMap) {
    writeMap(value, options, out);
  } else if (typeof value === 'object') {
    writeBean(value as Record<string, unknown>, options, out);
  } else {
    throw new TypeError(`cannot write a ${typeof value} as JSON`);
  }
}

function writeMap(map: JsonMap, options: FastjsonOptions, out: string[]): void {
  let entries = map.entries.filter(([, v]) => v !== null && v !== undefined);
  if (options.standard) entries = [...entries].sort(([a], [b]) => compareKeys(a, b));
  out.push('{');
  entries.forEach(([key, v], i) => {
    if (i > 0) out.push(',');
    out.push(typeof key === 'number' && !options.standard ? String(key) : quote(String(key), options));
    out.push(':');
    write(v, options, out);
  });
  out.push('}');
}

function writeBean(bean: Record<string, unknown>, options: FastjsonOptions, out: string[]): void {
  const keys = Object.keys(bean)
    .filter((k) => bean[k] !== null && bean[k] !== undefined)
    .sort();
  out.push('{');
  keys.forEach((key, i) => {
    if (i > 0) out.push(',');
    out.push(quote(key, options), ':');
    write(bean[key], options, out);
  });
  out.push('}');
}

function compareKeys(a: JsonMapKey, b: JsonMapKey): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** Printable ASCII without quote or backslash: the common case, which needs no escaping at all. */
const PLAIN_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function quote(text: string, options: FastjsonOptions): string {
  if (PLAIN_ASCII.test(text)) return `"${text}"`;
  const json = JSON.stringify(text);
  return options.standard ? json.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`) : json;
}
