/**
 * IPAddressUtils (5.3.3): the sourceIps of an ACL entry are addresses or CIDR blocks, IPv4 or IPv6; a request's
 * source matches when it falls in one of them. Parsed by hand: the pure broker layers do not import node:net.
 */

/** The address as a big integer and its width in bits, or undefined when it is not an address. */
function parseIp(text: string): { value: bigint; bits: 32 | 128 } | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const parts = text.split('.').map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return { value: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n), bits: 32 };
  }
  return parseIpv6(text);
}

function parseIpv6(text: string): { value: bigint; bits: 128 } | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.split('::').length > 2) return undefined;
  const [head = '', tail] = text.split('::');
  const groupsOf = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] as string;
      if (i === pieces.length - 1 && piece.includes('.')) {
        // An embedded IPv4 tail (::ffff:1.2.3.4) is the last two groups.
        const v4 = parseIp(piece);
        if (v4?.bits !== 32) return undefined;
        out.push(Number(v4.value >> 16n), Number(v4.value & 0xffffn));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) {
        out.push(parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const front = groupsOf(head);
  const back = tail === undefined ? [] : groupsOf(tail);
  if (front === undefined || back === undefined) return undefined;
  const missing = 8 - front.length - back.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  const groups = [...front, ...new Array<number>(tail === undefined ? 0 : missing).fill(0), ...back];
  return { value: groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n), bits: 128 };
}

/** An address or a CIDR block ("10.0.0.0/8", "fe80::/10"). */
function parseRange(text: string): { value: bigint; bits: 32 | 128; prefix: number } | undefined {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (ip === undefined) return undefined;
  if (slash < 0) return { ...ip, prefix: ip.bits };
  const prefixText = text.slice(slash + 1);
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= ip.bits)) return undefined;
  return { ...ip, prefix };
}

export function isValidIpOrCidr(text: string): boolean {
  return parseRange(text.trim()) !== undefined;
}

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is compared as the IPv4 address it carries. */
function unmapped(ip: { value: bigint; bits: 32 | 128 }): { value: bigint; bits: 32 | 128 } {
  return ip.bits === 128 && ip.value >> 32n === 0xffffn ? { value: ip.value & 0xffffffffn, bits: 32 } : ip;
}

export function isIpInRange(ip: string, range: string): boolean {
  const parsedIp = parseIp(ip.trim());
  const parsedRange = parseRange(range.trim());
  if (parsedIp === undefined || parsedRange === undefined) return false;
  const a = unmapped(parsedIp);
  const r = parsedRange.prefix === parsedRange.bits ? { ...unmapped(parsedRange), prefix: unmapped(parsedRange).bits } : parsedRange;
  if (a.bits !== r.bits) return false;
  const shift = BigInt(r.bits - r.prefix);
  return a.value >> shift === r.value >> shift;
}
