import type { ClusterInfo } from '../protocol/bodies/cluster-info.js';
import type { HARuntimeInfo } from '../protocol/bodies/ha-runtime-info.js';
import { formatTable, output, parseCommand, usageError, withAdmin } from './table.js';

export const HA_USAGE = `usage: rocketmq-ts ha status [-n ADDR] [-b BROKER_ADDR] [--json]

  status   the replication links of every broker (mqadmin haStatus, GET_BROKER_HA_STATUS): on a master each slave's
           ack offset, how far behind it is, whether it is in sync, and whether it asked for data the master no longer
           keeps; on a slave its master's HA address, its own max offset and the state of its link (and why it
           stopped replicating, when it did); -b for one broker only`;

/** `rocketmq-ts ha status`. */
export async function runHa(argv: string[]): Promise<number> {
  const state = { exitCode: 0 };
  const parsed = parseCommand('ha', HA_USAGE, argv, { broker: { type: 'string', short: 'b' } }, state);
  if (parsed === undefined) return state.exitCode;
  if (parsed.positionals[0] !== 'status' || parsed.positionals.length > 1) {
    usageError('ha', HA_USAGE, `unknown sub-command '${parsed.positionals.join(' ')}'`, state);
    return state.exitCode;
  }
  const json = parsed.values.json === true;
  const only = parsed.values.broker;
  // A broker-only query needs no name server: the admin client is pointed at the broker, never asked for routes.
  const values = typeof only === 'string' && parsed.values.namesrv === undefined ? { ...parsed.values, namesrv: only } : parsed.values;
  return withAdmin('ha', HA_USAGE, values, async (admin) => {
    const addrs = typeof only === 'string' ? [only] : brokerAddrs(await admin.clusterInfo());
    const statuses: Record<string, HARuntimeInfo> = {};
    for (const addr of addrs) statuses[addr] = await admin.brokerHAStatus(addr);
    output(json, statuses, () =>
      Object.entries(statuses)
        .map(([addr, info]) => `${addr}\n${describe(info)}`)
        .join('\n\n'),
    );
  });
}

function describe(info: HARuntimeInfo): string {
  if (info.master) {
    const rows = info.haConnectionInfo.map((c) => [c.addr, c.slaveAckOffset, c.diff, String(c.inSync), c.transferFromWhere, c.behindRetention === true ? 'yes: wipe its store' : 'no']);
    return (
      `master, commit log max offset ${info.masterCommitLogMaxOffset}, ${info.inSyncSlaveNums} slave(s) in sync\n` +
      formatTable(['#Slave', '#Ack Offset', '#Behind (bytes)', '#In Sync', '#Transfer From', '#Behind Retention'], rows)
    );
  }
  const c = info.haClientRuntimeInfo;
  const rows: (string | number)[][] = [
    ['master HA address', c.masterAddr || '(unknown yet)'],
    ['state', c.state ?? '?'],
    ['max offset', c.maxOffset],
    ['last read', c.lastReadTimestamp === 0 ? '-' : new Date(c.lastReadTimestamp).toISOString()],
    ['last write', c.lastWriteTimestamp === 0 ? '-' : new Date(c.lastWriteTimestamp).toISOString()],
    ['bytes/s', c.transferredByteInSecond],
  ];
  if (c.refusedReason !== undefined) rows.push(['refused', c.refusedReason]);
  if (c.behindRetention === true) rows.push(['behind retention', `yes: the master keeps data from ${c.masterMinOffset ?? '?'} on; empty this store`]);
  return `slave\n${formatTable(['#Key', '#Value'], rows)}`;
}

function brokerAddrs(info: ClusterInfo): string[] {
  const addrs: string[] = [];
  for (const data of info.brokerAddrTable.values()) for (const addr of data.brokerAddrs.values()) addrs.push(addr);
  return addrs.sort();
}
