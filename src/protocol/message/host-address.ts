/**
 * The socket addresses a stored message carries (born host, store host): Java writes an InetSocketAddress as
 * its raw address bytes (4 for IPv4, 16 for IPv6) followed by the port as an int32. This module converts between
 * those bytes and text without node:net, because src/protocol stays free of I/O modules.
 */
export interface HostAddress {
  /** Dotted IPv4, or IPv6 text (any form on input; Java's uncompressed form on output). */
  readonly address: string;
  readonly port: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseIPv4(text: string): number[] | undefined {
  const m = IPV4.exec(text);
  if (m === null) return undefined;
  const bytes = m.slice(1, 5).map(Number);
  return bytes.every((b) => b <= 255) ? bytes : undefined;
}

function parseIPv6(text: string): number[] | undefined {
  let rest = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = rest.indexOf('%');
  if (zone >= 0) rest = rest.slice(0, zone);
  const lastColon = rest.lastIndexOf(':');
  if (lastColon < 0) return undefined;
  if (rest.includes('.', lastColon)) {
    // An embedded IPv4 tail (::ffff:1.2.3.4) is two more 16-bit words.
    const v4 = parseIPv4(rest.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    rest = `${rest.slice(0, lastColon + 1)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = rest.split('::');
  if (halves.length > 2) return undefined;
  const group = (part: string): number[] | undefined => {
    if (part === '') return [];
    const words = part.split(':').map((w) => (/^[0-9a-fA-F]{1,4}$/.test(w) ? parseInt(w, 16) : NaN));
    return words.some(Number.isNaN) ? undefined : words;
  };
  const head = group(halves[0]!);
  const back = halves.length === 2 ? group(halves[1]!) : [];
  if (head === undefined || back === undefined) return undefined;
  const missing = 8 - head.length - back.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const words = [...head, ...new Array<number>(missing).fill(0), ...back];
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

// Every stored message parses its born and store hosts, and a broker sees few distinct addresses: remember them.
const ADDRESS_CACHE_LIMIT = 4096;
const addressCache = new Map<string, Buffer>();

/**
 * The raw address bytes, as Java's InetAddress.getAddress: 4 bytes for IPv4 and for IPv4-mapped IPv6
 * (`::ffff:a.b.c.d`, which Java turns into an Inet4Address), 16 otherwise. The buffer is shared: do not modify it.
 */
export function addressBytes(address: string): Buffer {
  let bytes = addressCache.get(address);
  if (bytes === undefined) {
    bytes = parseAddressBytes(address);
    if (addressCache.size >= ADDRESS_CACHE_LIMIT) addressCache.clear();
    addressCache.set(address, bytes);
  }
  return bytes;
}

function parseAddressBytes(address: string): Buffer {
  const v4 = parseIPv4(address);
  if (v4 !== undefined) return Buffer.from(v4);
  const v6 = parseIPv6(address);
  if (v6 === undefined) throw new Error(`not an IP address: ${address}`);
  const mapped = v6.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff;
  return Buffer.from(mapped ? v6.slice(12) : v6);
}

/** Java's InetAddress.getHostAddress: dotted IPv4, or eight uncompressed lower-case hex words for IPv6. */
export function formatAddressBytes(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16));
  return words.join(':');
}

/** Parses `host:port` or `[v6]:port` as a remote-address string looks. */
export function parseHostAddress(text: string): HostAddress {
  const colon = text.lastIndexOf(':');
  if (colon < 0) throw new Error(`not host:port: ${text}`);
  let address = text.slice(0, colon);
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  const port = Number(text.slice(colon + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad port in ${text}`);
  addressBytes(address);
  return { address, port };
}
