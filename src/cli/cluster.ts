import { output, parseCommand, usageError, withAdmin, formatTable } from './table.js';

export const CLUSTER_USAGE = `usage: rocketmq-ts cluster list [-n ADDR] [--json]

  Every broker of every cluster the name server knows: cluster, broker name, broker id (0 = master), address.`;

/** `rocketmq-ts cluster list`: mqadmin clusterList's broker table. */
export async function runCluster(argv: string[]): Promise<number> {
  const state = { exitCode: 0 };
  const parsed = parseCommand('cluster', CLUSTER_USAGE, argv, {}, state);
  if (parsed === undefined) return state.exitCode;
  if (parsed.positionals[0] !== 'list' || parsed.positionals.length > 1) {
    usageError('cluster', CLUSTER_USAGE, `unknown sub-command '${parsed.positionals.join(' ')}'`, state);
    return state.exitCode;
  }
  const json = parsed.values.json === true;
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
