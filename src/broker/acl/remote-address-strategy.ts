import { AclException } from './acl-exception.js';
import { javaSplit, splitNonEmpty } from './permission.js';

/**
 * RemoteAddressStrategyFactory.java: the IP patterns of plain_acl.yml (globalWhiteRemoteAddresses, an account's
 * whiteRemoteAddress) and what each matches. `addr` is the client's host without port, as Java's parse() cuts it.
 * - blank: nothing; `*`, `*.*.*.*`, `*:*:*:*:*:*:*:*`: everything
 * - `a.b.c.{1,2,3}` (or an IPv6 prefix with `:{…}`) and comma lists `a,b`: exactly those addresses
 * - `a.b.c.*`, `a.b.*.*`, `a.*.*.*` and ranges `a.b.1-10.*` (IPv6: `1:2:3:4:5:6:7:*`, `…:1-ff`, `…:1-ff:*`): the
 *   range of the first wildcard or range part, later parts not compared (Java's behaviour)
 * - anything else must be one valid IPv4 or IPv6 address.
 * A malformed pattern is an AclException naming it, which fails loading its file (Java's behaviour too).
 */
export interface RemoteAddressStrategy {
  match(addr: string): boolean;
}

const NONE: RemoteAddressStrategy = { match: () => false };
const ALL: RemoteAddressStrategy = { match: () => true };

export function remoteAddressStrategy(pattern: string | null | undefined): RemoteAddressStrategy {
  if (pattern === null || pattern === undefined || pattern.trim() === '') return NONE;
  if (pattern === '*' || pattern === '*.*.*.*' || pattern === '*:*:*:*:*:*:*:*') return ALL;
  if (pattern.endsWith('}')) {
    const parts = splitNonEmpty(pattern, pattern.includes(':') ? ':' : '.');
    const last = parts[parts.length - 1] as string;
    if (!pattern.includes(':') && parts.length < 4) {
      throw new AclException(`MultipleRemoteAddressStrategy has got a/some wrong format IP(s) ${pattern}`);
    }
    if (!last.startsWith('{')) throw new AclException(`MultipleRemoteAddressStrategy netaddress examine scope Exception netaddress ${pattern}`);
    const prefix = pattern.slice(0, pattern.indexOf('{'));
    return multiple(splitNonEmpty(last.slice(1, -1), ',').map((suffix) => prefix + suffix));
  }
  if (pattern.includes(',')) return multiple(splitNonEmpty(pattern, ','));
  if (pattern.includes('*') || pattern.includes('-')) return pattern.includes(':') ? ipv6Range(pattern) : ipv4Range(pattern);
  if (!isValidInet4Address(pattern) && !isValidInet6Address(pattern)) throw new AclException(`Netaddress examine Exception netaddress is ${pattern}`);
  const expected = expandIP(pattern, 8);
  return { match: (addr) => expandIP(addr, 8) === expected };
}

function multiple(addresses: string[]): RemoteAddressStrategy {
  const set = new Set<string>();
  for (const address of addresses) {
    if (isValidInet4Address(address)) set.add(address);
    else if (isValidInet6Address(address)) set.add(expandIP(address, 8));
    else throw new AclException(`Netaddress examine Exception netaddress is ${address}`);
  }
  return { match: (addr) => set.has(isValidInet6Address(addr) ? expandIP(addr, 8) : addr) };
}

function scopeError(pattern: string): AclException {
  return new AclException(`Netaddress examine scope Exception netaddress is ${pattern}`);
}

interface Range {
  start: number;
  end: number;
}

/** RangeRemoteAddressStrategy.analysis: `*` or `start-end` in `value`, else undefined. */
function rangeOf(value: string, max: number, radix: number): Range | undefined {
  if (value === '*') return { start: 0, end: max };
  if (!value.includes('-')) return undefined;
  const items = splitNonEmpty(value, '-');
  const digits = radix === 16 ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/;
  if (value.startsWith('-') || items.length !== 2 || !items.every((item) => digits.test(item))) {
    throw new AclException(`RangeRemoteAddressStrategy netaddress examine scope Exception value ${value} `);
  }
  const start = parseInt(items[0] as string, radix);
  const end = parseInt(items[1] as string, radix);
  if (!(start >= 0 && end <= max && start <= end)) {
    throw new AclException(`RangeRemoteAddressStrategy netaddress examine scope Exception start is ${start} , end is ${end}`);
  }
  return { start, end };
}

/** `a.*.*.*`, `a.b.*.*`, `a.b.c.*` or a range in place of the first `*`: the parts before it are the head. */
function ipv4Range(pattern: string): RemoteAddressStrategy {
  const parts = splitNonEmpty(pattern, '.').map((part) => part.trim());
  for (let index = 1; index <= 3 && index < parts.length; index++) {
    const range = rangeOf(parts[index] as string, 255, 10);
    // Java keeps a range's end from part to part: a part with an empty range (end 0) never counts.
    if (range === undefined || range.end === 0) continue;
    if (parts.length !== 4 || !parts.slice(0, index).every((part) => /^[0-9]+$/.test(part) && Number(part) <= 255)) throw scopeError(pattern);
    const head = `${parts.slice(0, index).join('.')}.`;
    return {
      match(addr) {
        if (!isValidInet4Address(addr) || !addr.startsWith(head)) return false;
        const octets = addr.split('.');
        const value = Number(octets[index]);
        return value >= range.start && value <= range.end;
      },
    };
  }
  throw scopeError(pattern);
}

/** AclUtils.IPv6AddressCheck, then the head up to the first `*` or range, expanded (RangeRemoteAddressStrategy). */
function ipv6Range(pattern: string): RemoteAddressStrategy {
  const asterisk = pattern.indexOf('*');
  const minus = pattern.indexOf('-');
  if (asterisk > -1 && asterisk !== pattern.length - 1) throw scopeError(pattern);
  if (minus > -1) {
    const lastColon = pattern.lastIndexOf(':');
    const limit = asterisk === -1 ? lastColon : pattern.lastIndexOf(':', lastColon - 1);
    if (minus <= limit) throw scopeError(pattern);
  }
  const parts = splitNonEmpty(pattern, ':').map((part) => part.trim());
  for (let index = 1; index < parts.length; index++) {
    const range = rangeOf(parts[index] as string, 0xffff, 16);
    if (range === undefined || range.end === 0) continue;
    const expanded = javaSplit(expandIP(pattern, 8), ':');
    if (!expanded.slice(0, index - 1).every((group) => /^[0-9A-F]{1,4}$/.test(group))) throw scopeError(pattern);
    // AclUtils.v6ipProcess: the groups before the range (and before a trailing * after it), expanded.
    let sub: string;
    let groups: number;
    if (asterisk > -1 && minus > -1) {
      groups = 6;
      const lastColon = pattern.lastIndexOf(':');
      sub = pattern.slice(0, pattern.slice(0, lastColon).lastIndexOf(':'));
    } else {
      groups = 7;
      sub = pattern.slice(0, pattern.lastIndexOf(':'));
    }
    const head = expandIP(sub, groups);
    const at = splitNonEmpty(head, ':').length;
    return {
      match(addr) {
        if (isValidInet4Address(addr) || !isValidInet6Address(addr)) return false;
        const full = expandIP(addr, 8);
        if (!full.startsWith(head)) return false;
        const value = parseInt(full.slice(5 * at, 5 * at + 4), 16);
        return value >= range.start && value <= range.end;
      },
    };
  }
  throw scopeError(pattern);
}

/** AclUtils.expandIP: an IPv6 address as `groups` upper-case 4-digit groups (an IPv4 address stays as it is). */
export function expandIP(address: string, groups: number): string {
  let text = address.toUpperCase();
  const separators = text.split(':').length - 1;
  const pad = groups - separators;
  if (pad > 0) text = text.split('::').join(':'.repeat(pad + 1));
  return text
    .split(':')
    .map((group) => (group.length < 4 ? group.padStart(4, '0') : group))
    .join(':');
}

/** Commons Validator's InetAddressValidator.isValidInet4Address: four decimal parts 0-255 without leading zeros. */
export function isValidInet4Address(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((part) => /^(0|[1-9][0-9]{0,2})$/.test(part) && Number(part) <= 255);
}

/** InetAddressValidator.isValidInet6Address: up to 8 hex groups, one `::`, an IPv4 address as the last two. */
export function isValidInet6Address(text: string): boolean {
  const compressed = text.includes('::');
  if (compressed && text.indexOf('::') !== text.lastIndexOf('::')) return false;
  if ((text.startsWith(':') && !text.startsWith('::')) || (text.endsWith(':') && !text.endsWith('::'))) return false;
  let octets = javaSplit(text, ':');
  if (compressed) {
    if (text.endsWith('::')) octets.push('');
    else if (text.startsWith('::') && octets.length > 0) octets = octets.slice(1);
  }
  if (octets.length > 8) return false;
  let valid = 0;
  let empty = 0;
  for (let i = 0; i < octets.length; i++) {
    const octet = octets[i] as string;
    if (octet === '') {
      if (++empty > 1) return false;
    } else {
      empty = 0;
      if (i === octets.length - 1 && octet.includes('.')) {
        if (!isValidInet4Address(octet)) return false;
        valid += 2;
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(octet)) return false;
    }
    valid++;
  }
  return valid <= 8 && (valid >= 8 || compressed);
}
