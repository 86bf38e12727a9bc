import { rename, rm, writeFile } from 'node:fs/promises';

/** Where a running dev cluster is reached: what --print-env prints and --ready-file holds. */
export interface DevAddresses {
  nameServer: string;
  brokerAddr: string;
  grpcEndpoint: string | undefined;
}

/**
 * `--print-env`: three KEY=value lines, always in this order (ROCKETMQ_GRPC_ENDPOINT is empty with --grpc-port off),
 * so a test suite in any language can read exactly three lines from the process, or a shell can source them.
 */
export function envLines(addresses: DevAddresses): string {
  return `NAMESRV_ADDR=${addresses.nameServer}\nROCKETMQ_BROKER=${addresses.brokerAddr}\nROCKETMQ_GRPC_ENDPOINT=${addresses.grpcEndpoint ?? ''}\n`;
}

/**
 * `--ready-file`: the addresses as JSON, written under a temporary name and renamed, so whoever waits for the file
 * never reads half of it, and it exists only while the cluster is ready.
 */
export async function writeReadyFile(path: string, addresses: DevAddresses): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ nameServer: addresses.nameServer, brokerAddr: addresses.brokerAddr, grpcEndpoint: addresses.grpcEndpoint ?? null, pid: process.pid })}\n`, { mode: 0o644 });
  await rename(tmp, path);
}

/** Removed before start (a stale file of a killed run must not look ready) and on stop. */
export async function removeReadyFile(path: string): Promise<void> {
  await rm(path, { force: true });
}
