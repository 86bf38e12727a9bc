import type { ClusterInfo } from '../protocol/bodies/cluster-info.js';
import { output, parseCommand, usageError, withAdmin, formatTable } from './table.js';

export const CLUSTER_USAGE = `usage: rocketmq-ts cluster list|status [-n ADDR] [-b BROKER_ADDR] [--json]

  list     every broker of every cluster the name server knows: cluster, broker name, broker id (0 = master), address
  status   each broker's runtime figures (mqadmin brokerStatus): versions, put and get rates, disk use, send queue,
           transactions (half messages, commits, rollbacks, checks, discarded); -b for one broker only`;

/** `rocketmq-ts cluster list`: mqadmin clusterList's broker table. */
export async function runCluster(argv: string[]): Promise<number> {
  const state = { exitCode: 0 };
  const parsed = parseCommand('cluster', CLUSTER_USAGE, argv, { broker: { type: 'string', short: 'b' } }, state);
  if (parsed === undefined) return state.exitCode;
  const sub = parsed.positionals[0];
  if ((sub !== 'list' && sub !== 'status') || parsed.positionals.length > 1) {
    usageError('cluster', CLUSTER_USAGE, `unknown sub-command '${parsed.positionals.join(' ')}'`, state);
    return state.exitCode;
  }
  const json = parsed.values.json === true;
  if (sub === 'status') {
    return withAdmin('cluster', CLUSTER_USAGE, parsed.values, async (admin) => {
      const only = parsed.values.broker;
      const addrs = typeof only === 'string' ? [only] : brokerAddrs(await admin.clusterInfo());
      const statuses: Record<string, Record<string, string>> = {};
      for (const addr of addrs) statuses[addr] = Object.fromEntries([...(await admin.brokerRuntimeInfo(addr))].sort(([a], [b]) => (a < b ? -1 : 1)));
      output(json, statuses, () =>
        Object.entries(statuses)
          .map(([addr, table]) => `${addr}\n${formatTable(['#Key', '#Value'], Object.entries(table))}`)
          .join('\n\n'),
      );
    });
  }
  return withAdmin('cluster', CLUSTER_USAGE, parsed.values, async (admin) => {
    const info = await admin.clusterInfo();
    const rows: (string | number)[][] = [];
    for (const [cluster, names] of [...info.clusterAddrTable].sort(([a], [b]) => (a < b ? -1 : 1))) {
      for (const name of [...names].sort()) {
        const addrs = info.brokerAddrTable.get(name)?.brokerAddrs ?? new Map<number, string>();
        for (const [id, addr] of [...addrs].sort(([a], [b]) => a - b)) rows.push([cluster, name, id, addr]);
      }
    }
    output(json, info, () => formatTable(['#Cluster Name', '#Broker Name', '#BID', '#Addr'], rows));
  });
}

/** Every broker address the cluster info names, masters and slaves, in a stable order. */
function brokerAddrs(info: ClusterInfo): string[] {
  const addrs: string[] = [];
  for (const data of info.brokerAddrTable.values()) for (const addr of data.brokerAddrs.values()) addrs.push(addr);
  return addrs.sort();
}
