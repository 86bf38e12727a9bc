import { readFileSync } from 'node:fs';

/** State (hex, 01 = ESTABLISHED), unacknowledged send bytes and unread receive bytes of an IPv4 TCP socket. */
export interface TcpSocketInfo {
  state: string;
  txQueue: number;
  rxQueue: number;
}

/** The socket from `localPort` to `remotePort`, from Linux's /proc/net/tcp; undefined once it is gone. */
export function tcpSocketInfo(localPort: number, remotePort: number): TcpSocketInfo | undefined {
  const hex = (port: number): string => port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1]?.endsWith(`:${hex(localPort)}`) !== true || f[2]?.endsWith(`:${hex(remotePort)}`) !== true) continue;
    const [tx, rx] = (f[4] ?? '0:0').split(':').map((value) => parseInt(value, 16));
    return { state: f[3] ?? '', txQueue: tx ?? 0, rxQueue: rx ?? 0 };
  }
  return undefined;
}
