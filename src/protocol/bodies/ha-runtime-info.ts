import { toFastjson } from './fastjson-writer.js';
import { asObject, parseJsonBody } from './json-fields.js';

/** HARuntimeInfo.HAConnectionRuntimeInfo: one slave link as its master sees it. */
export interface HAConnectionRuntimeInfo {
  addr: string;
  slaveAckOffset: number;
  diff: number;
  inSync: boolean;
  transferredByteInSecond: number;
  transferFromWhere: number;
  /** Ours: the slave asked for data older than the master keeps, so it can never catch up. */
  behindRetention?: boolean;
}

/** HARuntimeInfo.HAClientRuntimeInfo: a slave's link to its master. */
export interface HAClientRuntimeInfo {
  masterAddr: string;
  transferredByteInSecond: number;
  maxOffset: number;
  lastReadTimestamp: number;
  lastWriteTimestamp: number;
  masterFlushOffset: number;
  /** Ours: READY, CONNECTING, TRANSFER, REFUSED or SHUTDOWN, and why replication was refused. */
  state?: string;
  refusedReason?: string;
  /** Ours (P8): the slave's log ends below its master's oldest data (masterMinOffset), so it can never catch up. */
  behindRetention?: boolean;
  masterMinOffset?: number;
}

/** HARuntimeInfo.java, the body of GET_BROKER_HA_STATUS (907), as `mqadmin haStatus` reads it. */
export interface HARuntimeInfo {
  master: boolean;
  masterCommitLogMaxOffset: number;
  inSyncSlaveNums: number;
  haConnectionInfo: HAConnectionRuntimeInfo[];
  haClientRuntimeInfo: HAClientRuntimeInfo;
}

/** fastjson's bean order (fields sorted by name); Java's reader ignores our extra fields. */
export function encodeHARuntimeInfo(info: HARuntimeInfo): Buffer {
  return Buffer.from(toFastjson(info));
}

export function decodeHARuntimeInfo(body: Buffer | undefined): HARuntimeInfo {
  const obj = asObject(parseJsonBody(body, 'HARuntimeInfo'), 'HARuntimeInfo');
  const num = (o: Record<string, unknown>, key: string): number => (typeof o[key] === 'number' ? o[key] : 0);
  const str = (o: Record<string, unknown>, key: string): string => (typeof o[key] === 'string' ? o[key] : '');
  const client = (typeof obj['haClientRuntimeInfo'] === 'object' && obj['haClientRuntimeInfo'] !== null ? obj['haClientRuntimeInfo'] : {}) as Record<string, unknown>;
  const links = Array.isArray(obj['haConnectionInfo']) ? (obj['haConnectionInfo'] as unknown[]) : [];
  return {
    master: obj['master'] === true,
    masterCommitLogMaxOffset: num(obj, 'masterCommitLogMaxOffset'),
    inSyncSlaveNums: num(obj, 'inSyncSlaveNums'),
    haConnectionInfo: links.map((entry) => {
      const c = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
      return {
        addr: str(c, 'addr'),
        slaveAckOffset: num(c, 'slaveAckOffset'),
        diff: num(c, 'diff'),
        inSync: c['inSync'] === true,
        transferredByteInSecond: num(c, 'transferredByteInSecond'),
        transferFromWhere: num(c, 'transferFromWhere'),
        ...(typeof c['behindRetention'] === 'boolean' ? { behindRetention: c['behindRetention'] } : {}),
      };
    }),
    haClientRuntimeInfo: {
      masterAddr: str(client, 'masterAddr'),
      transferredByteInSecond: num(client, 'transferredByteInSecond'),
      maxOffset: num(client, 'maxOffset'),
      lastReadTimestamp: num(client, 'lastReadTimestamp'),
      lastWriteTimestamp: num(client, 'lastWriteTimestamp'),
      masterFlushOffset: num(client, 'masterFlushOffset'),
      ...(typeof client['state'] === 'string' ? { state: client['state'] } : {}),
      ...(typeof client['refusedReason'] === 'string' ? { refusedReason: client['refusedReason'] } : {}),
      ...(typeof client['behindRetention'] === 'boolean' ? { behindRetention: client['behindRetention'] } : {}),
      ...(typeof client['masterMinOffset'] === 'number' ? { masterMinOffset: client['masterMinOffset'] } : {}),
    },
  };
}
