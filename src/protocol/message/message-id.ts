import { addressBytes, formatAddressBytes, type HostAddress } from './host-address.js';
import { readInt64, writeInt64 } from './int64.js';

/** MessageDecoder.createMessageId: store host (address + port) then the commit-log offset, upper-case hex. */
export function createMessageId(storeHost: HostAddress, commitLogOffset: number): string {
  const ip = addressBytes(storeHost.address);
  const buf = Buffer.allocUnsafe(ip.length + 12);
  ip.copy(buf, 0);
  buf.writeInt32BE(storeHost.port, ip.length);
  writeInt64(buf, commitLogOffset, ip.length + 4);
  return buf.toString('hex').toUpperCase();
}

/** MessageDecoder.decodeMessageId: 32 hex chars are IPv4, anything else IPv6. */
export function decodeMessageId(msgId: string): { storeHost: HostAddress; offset: number } {
  const ipLength = msgId.length === 32 ? 4 : 16;
  if (!/^[0-9a-fA-F]*$/.test(msgId) || msgId.length !== (ipLength + 12) * 2) throw new Error(`malformed msgId: ${msgId}`);
  const buf = Buffer.from(msgId, 'hex');
  return {
    storeHost: { address: formatAddressBytes(buf.subarray(0, ipLength)), port: buf.readInt32BE(ipLength) },
    offset: readInt64(buf, ipLength + 4),
  };
}
