import { output, parseCommand, usageError, withAdmin } from './table.js';

export const HEALTH_USAGE = `usage: rocketmq-ts health [-n ADDR | -b BROKER_ADDR] [--json]

For container health checks (Docker HEALTHCHECK, compose service_healthy, Kubernetes exec probes): asks over
remoting and exits 0 when the server answers as healthy, 1 otherwise.

  -n ADDR          the name server answers its cluster info (default $NAMESRV_ADDR, else 127.0.0.1:9876)
  -b BROKER_ADDR   the broker answers its runtime info and says it is active`;

/** `rocketmq-ts health`: one remoting call, exit code 0 or 1. */
export async function runHealth(argv: string[]): Promise<number> {
  const state = { exitCode: 0 };
  const parsed = parseCommand('health', HEALTH_USAGE, argv, { broker: { type: 'string', short: 'b' } }, state);
  if (parsed === undefined) return state.exitCode;
  if (parsed.positionals.length > 0) {
    usageError('health', HEALTH_USAGE, `unexpected '${parsed.positionals.join(' ')}'`, state);
    return state.exitCode;
  }
  const broker = parsed.values.broker;
  const json = parsed.values.json === true;
  // A broker check asks the broker alone: the admin client needs some name-server address, never contacted then.
  const values = typeof broker === 'string' && parsed.values.namesrv === undefined ? { ...parsed.values, namesrv: broker } : parsed.values;
  return withAdmin('health', HEALTH_USAGE, values, async (admin) => {
    if (typeof broker === 'string') {
      const info = await admin.brokerRuntimeInfo(broker);
      if (info.get('brokerActive') !== 'true') throw new Error(`broker ${broker} answered but is not active`);
      output(json, { broker, healthy: true, version: info.get('brokerVersionDesc') }, () => `broker ${broker} is healthy (${info.get('brokerVersionDesc') ?? '?'})`);
      return;
    }
    const info = await admin.clusterInfo();
    const brokers = info.brokerAddrTable.size;
    output(json, { nameServer: true, healthy: true, brokers }, () => `name server is healthy (${brokers} broker${brokers === 1 ? '' : 's'} registered)`);
  });
}
