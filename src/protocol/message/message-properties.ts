/**
 * A message's properties as they travel and are stored: NAME\u0001VALUE\u0002 per entry (MessageDecoder's
 * messageProperties2String / string2messageProperties). Besides the two conversions, a name can be looked up in
 * the string without building the map, with the same outcome as on the parsed map: a consumer reads a few
 * properties of every message and rarely all of them.
 */

export const NAME_VALUE_SEPARATOR = '\u0001';
export const PROPERTY_SEPARATOR = '\u0002';
const NAME_VALUE_SEPARATOR_CODE = 1;
const PROPERTY_SEPARATOR_CODE = 2;

/** messageProperties2String: NAME\u0001VALUE\u0002 per entry, trailing separator included. */
export function messageProperties2String(properties: ReadonlyMap<string, string>): string {
  let out = '';
  for (const [name, value] of properties) out += name + NAME_VALUE_SEPARATOR + value + PROPERTY_SEPARATOR;
  return out;
}

/**
 * string2messageProperties: segments under 3 chars are skipped, the first \u0001 splits, later keys win. Scanned
 * in place rather than split: no array of segments is made.
 */
export function string2messageProperties(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf(PROPERTY_SEPARATOR, start);
    if (end < 0) end = text.length;
    if (end - start >= 3) {
      // A separator past `end` belongs to a later segment and fails the bound, as a missing one would.
      const sep = text.indexOf(NAME_VALUE_SEPARATOR, start);
      if (sep > start && sep < end - 1) map.set(text.slice(start, sep), text.slice(sep + 1, end));
    }
    start = end + 1;
  }
  return map;
}

/** A name string2messageProperties can yield as a key: neither separator in it. */
function isPlainName(name: string): boolean {
  return !name.includes(NAME_VALUE_SEPARATOR) && !name.includes(PROPERTY_SEPARATOR);
}

/**
 * `string2messageProperties(text).get(name)` without building the map: the last segment that starts with
 * `name` and \u0001 and has a non-empty value after it.
 */
export function findMessageProperty(text: string, name: string): string | undefined {
  if (name.length === 0) return undefined;
  let found: string | undefined;
  for (let at = text.indexOf(name); at >= 0; at = text.indexOf(name, at + 1)) {
    const from = at + name.length + 1;
    if (text.charCodeAt(from - 1) !== NAME_VALUE_SEPARATOR_CODE || (at > 0 && text.charCodeAt(at - 1) !== PROPERTY_SEPARATOR_CODE)) continue;
    let end = text.indexOf(PROPERTY_SEPARATOR, from);
    if (end < 0) end = text.length;
    if (end > from) found = text.slice(from, end);
  }
  // A name with a separator in it can match here but is never a key of the parsed map.
  return found === undefined || isPlainName(name) ? found : undefined;
}
