import type { Admin } from '../client/admin/admin.js';
import type { PlainAccessConfigBody } from '../protocol/bodies/acl-v1.js';
import { formatTable, humanTime, output, parseCommand, usageError, UsageError, withAdmin, type ParsedValues } from './table.js';

/** ACL 1.0 (plain_acl.yml) administration of brokers, codes 50-54, as mqadmin's updateAclConfig ... getAclConfig. */
export const ACL_V1_USAGE = `usage: rocketmq-ts acl <update-config|delete-config|version|global-white|get-config> (-b BROKER_ADDR | -c CLUSTER) [options] [-n ADDR] [--json]

  acl update-config -a ACCESS_KEY [-m true|false] [-w WHITE_ADDR] [-i DEFAULT_TOPIC_PERM] [-u DEFAULT_GROUP_PERM]
                    [-t TOPIC=PERM,...] [-g GROUP=PERM,...]      creates or updates an account (50); its secret
                    key is read from $ROCKETMQ_ACL_SECRET_KEY (options show in process lists)
  acl delete-config -a ACCESS_KEY                                deletes an account (51)
  acl version                                                    every ACL file's version (52, clusterAclConfigVersion)
  acl global-white -g ADDR[,ADDR...] [-p ACL_FILE]               replaces a file's global whitelist (53; "" empties it)
  acl get-config                                                 the whitelists and accounts (54, secrets hidden
                                                                 unless --json)

PERMs are PUB, SUB, PUB|SUB or DENY. The broker needs aclEnable=true; sign as an admin account with
$ROCKETMQ_ACCESS_KEY / $ROCKETMQ_SECRET_KEY.`;

/** The `acl` sub-commands of ACL 1.0 (the others are ACL 2.0's, in auth.ts). */
export const ACL_V1_SUB_COMMANDS: ReadonlySet<string> = new Set(['update-config', 'delete-config', 'version', 'global-white', 'get-config']);

/** `rocketmq-ts acl <ACL 1.0 sub-command> ...`. */
export async function runAclV1(argv: string[]): Promise<number> {
  const state = { exitCode: 0 };
  const parsed = parseCommand(
    'acl',
    ACL_V1_USAGE,
    argv,
    {
      broker: { type: 'string', short: 'b' },
      cluster: { type: 'string', short: 'c' },
      'access-key': { type: 'string', short: 'a' },
      admin: { type: 'string', short: 'm' },
      'white-remote-address': { type: 'string', short: 'w' },
      'default-topic-perm': { type: 'string', short: 'i' },
      'default-group-perm': { type: 'string', short: 'u' },
      'topic-perms': { type: 'string', short: 't' },
      'group-perms': { type: 'string', short: 'g' },
      'acl-file': { type: 'string', short: 'p' },
    },
    state,
  );
  if (parsed === undefined) return state.exitCode;
  const sub = parsed.positionals[0] ?? '';
  if (parsed.positionals.length !== 1 || !ACL_V1_SUB_COMMANDS.has(sub)) {
    usageError('acl', ACL_V1_USAGE, `unknown sub-command '${parsed.positionals.join(' ')}'`, state);
    return state.exitCode;
  }
  const { values } = parsed;
  const json = values.json === true;
  return withAdmin('acl', ACL_V1_USAGE, values, async (admin) => {
    const brokers = await targets(admin, values);
    switch (sub) {
      case 'update-config': {
        const config = accessConfigOf(values);
        for (const broker of brokers) await admin.updatePlainAccessConfig(broker, config);
        output(json, { ok: true, brokers }, () => `updated the account ${config.accessKey ?? ''} on ${brokers.join(', ')}`);
        return;
      }
      case 'delete-config': {
        const accessKey = text(values, 'access-key', '-a ACCESS_KEY');
        for (const broker of brokers) await admin.deletePlainAccessConfig(broker, accessKey);
        output(json, { ok: true, brokers }, () => `deleted the account ${accessKey} on ${brokers.join(', ')}`);
        return;
      }
      case 'global-white': {
        // -g is mqadmin's letter for the whitelist here and for groupPerms in update-config.
        const raw = values['group-perms'];
        if (typeof raw !== 'string') throw new UsageError('-g ADDR[,ADDR...] is required');
        const addrs = raw.split(',').map((a) => a.trim()).filter((a) => a !== '');
        const file = typeof values['acl-file'] === 'string' ? values['acl-file'] : '';
        for (const broker of brokers) await admin.updateGlobalWhiteAddrs(broker, addrs, file);
        output(json, { ok: true, brokers }, () => `updated the global whitelist on ${brokers.join(', ')}`);
        return;
      }
      case 'version': {
        const versions = await Promise.all(brokers.map((broker) => admin.aclConfigVersion(broker)));
        output(json, versions, () =>
          formatTable(
            ['#Cluster Name', '#Broker Name', '#Broker Addr', '#AclFilePath', '#AclConfigVersionNum', '#AclLastUpdateTime'],
            versions.flatMap((v) => [...v.allAclFileVersion].map(([path, d]) => [v.clusterName, v.brokerName, v.brokerAddr, path, d.counter, humanTime(d.timestamp)])),
          ),
        );
        return;
      }
      default: {
        const configs = await Promise.all(brokers.map(async (broker) => ({ broker, config: await admin.brokerClusterAclConfig(broker) })));
        output(json, configs, () =>
          configs
            .map(({ broker, config }) =>
              [
                `${broker} globalWhiteRemoteAddresses: ${config.globalWhiteAddrs.join(',')}`,
                formatTable(
                  ['#AccessKey', '#Admin', '#WhiteRemoteAddress', '#DefaultTopicPerm', '#DefaultGroupPerm', '#TopicPerms', '#GroupPerms'],
                  config.plainAccessConfigs.map((c) => [c.accessKey ?? '', String(c.admin), c.whiteRemoteAddress ?? '', c.defaultTopicPerm ?? '', c.defaultGroupPerm ?? '', (c.topicPerms ?? []).join(','), (c.groupPerms ?? []).join(',')]),
                ),
              ].join('\n'),
            )
            .join('\n\n'),
        );
      }
    }
  });
}

/** -b one broker, or -c every master of a cluster (as mqadmin's ACL commands). */
async function targets(admin: Admin, values: ParsedValues): Promise<string[]> {
  const broker = values['broker'];
  const cluster = values['cluster'];
  if (typeof broker === 'string' && broker !== '') return [broker];
  if (typeof cluster !== 'string' || cluster === '') throw new UsageError('-b BROKER_ADDR or -c CLUSTER is required');
  const masters = admin.masters(await admin.clusterInfo(), cluster);
  if (masters.length === 0) throw new UsageError(`no master broker in cluster '${cluster}'`);
  return masters;
}

function text(values: ParsedValues, key: string, flag: string): string {
  const value = values[key];
  if (typeof value !== 'string' || value === '') throw new UsageError(`${flag} is required`);
  return value;
}

function accessConfigOf(values: ParsedValues): PlainAccessConfigBody {
  const secretKey = process.env['ROCKETMQ_ACL_SECRET_KEY'];
  if (secretKey === undefined || secretKey === '') throw new UsageError("the account's secret key is required in $ROCKETMQ_ACL_SECRET_KEY");
  const admin = values['admin'];
  if (admin !== undefined && admin !== 'true' && admin !== 'false') throw new UsageError(`-m must be true or false, not '${String(admin)}'`);
  const config: PlainAccessConfigBody = { accessKey: text(values, 'access-key', '-a ACCESS_KEY'), secretKey, admin: admin === 'true' };
  const optional = (key: string): string | undefined => (typeof values[key] === 'string' ? values[key] : undefined);
  const list = (key: string): string[] | undefined => optional(key)?.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const white = optional('white-remote-address');
  if (white !== undefined) config.whiteRemoteAddress = white;
  const topicPerm = optional('default-topic-perm');
  if (topicPerm !== undefined) config.defaultTopicPerm = topicPerm;
  const groupPerm = optional('default-group-perm');
  if (groupPerm !== undefined) config.defaultGroupPerm = groupPerm;
  const topicPerms = list('topic-perms');
  if (topicPerms !== undefined) config.topicPerms = topicPerms;
  const groupPerms = list('group-perms');
  if (groupPerms !== undefined) config.groupPerms = groupPerms;
  return config;
}
