import * as zlib from 'node:zlib';

/**
 * CRC-32 (IEEE, java.util.zip.CRC32). Node's native zlib.crc32 (from 20.15 on) is used when present: it is several
 * times faster, and every stored message pays a CRC. The table version serves older Node 20 releases.
 * `crc32Masked` is UtilAll.crc32: the value & 0x7FFFFFFF, which is what RocketMQ puts on the wire (bodyCrc32).
 */
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

const TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

export function crc32(data: Uint8Array): number {
  return nativeCrc32 === undefined ? tableCrc32(data) : nativeCrc32(data);
}

/** The portable CRC-32; exported so tests can check it against the native one. */
export function tableCrc32(data: Uint8Array): number {
  let crc = -1;
  for (let i = 0; i < data.length; i++) crc = (TABLE[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

export function crc32Masked(data: Uint8Array | undefined): number {
  return data === undefined ? 0 : crc32(data) & 0x7fffffff;
}
