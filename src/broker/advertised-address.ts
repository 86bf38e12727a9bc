import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

/**
 * The brokerIP1 pitfall (containers, NAT): the broker tells name servers and clients "brokerIP1:listenPort", and
 * clients connect there. When that address is not where the broker listens, every client times out with nothing
 * in the broker's log, so the broker says it once at start-up. Returns that line, or undefined when the advertised
 * address is served here (or cannot be judged: a host name).
 */
export function advertisedAddressWarning(
  brokerIP1: string,
  bindAddress: string,
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): string | undefined {
  if (!isIPAddress(brokerIP1)) return undefined;
  const local = Object.values(interfaces).flatMap((infos) => (infos ?? []).map((info) => info.address));
  if (isLoopback(bindAddress) && !isLoopback(brokerIP1)) {
    return (
      `brokerIP1 ${brokerIP1} (the address clients are told) is not reachable: the broker listens on ${bindAddress} only; ` +
      `set bindAddress=0.0.0.0 (or ${brokerIP1}) to serve it, or brokerIP1=127.0.0.1 for clients on this host`
    );
  }
  if (!local.includes(brokerIP1)) {
    return (
      `brokerIP1 ${brokerIP1} (the address clients are told) is not an address of this host (${local.join(', ') || 'none'}): ` +
      `clients reach the broker only if ${brokerIP1} forwards to it (a container's published port, NAT); ` +
      `otherwise set brokerIP1 to an address of this host that clients can reach`
    );
  }
  return undefined;
}

/** A literal IPv4 or IPv6 address (no DNS here: a host name is left alone). */
function isIPAddress(text: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(text) || (text.includes(':') && /^[0-9a-fA-F:.]+$/.test(text));
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address === 'localhost';
}
