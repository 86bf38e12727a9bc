/**
 * Hex helpers for byte-exact wire tests. `hex()` accepts the spaced, multi-line dumps used in the protocol
 * reference ("00 00 00 2d  01 00 00 29 ...") and refuses anything that is not whole hex bytes, so a typo in a
 * fixture fails loudly instead of silently producing different bytes.
 */
export function hex(text: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(compact)) throw new Error(`not a whole number of hex bytes: ${text}`);
  return Buffer.from(compact, 'hex');
}

/** Lower-case hex with a space between bytes: readable in assertion diffs. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').replace(/(..)(?!$)/g, '$1 ');
}

/** The hex of a UTF-8 string, for assembling fixtures from readable pieces. */
export function utf8Hex(text: string): string {
  return toHex(Buffer.from(text, 'utf8'));
}

/** Big-endian hex of an integer in `bytes` bytes (two's complement for negatives). */
export function intHex(value: number, bytes: 1 | 2 | 3 | 4): string {
  const buf = Buffer.alloc(4);
  buf.writeInt32BE(value | 0);
  if (value < 0 && bytes < 4 && value < -(2 ** (8 * bytes - 1))) throw new RangeError(`${value} does not fit ${bytes} bytes`);
  return toHex(buf.subarray(4 - bytes));
}
