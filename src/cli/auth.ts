import type { Admin } from '../client/admin/admin.js';
import type { AclInfo, UserInfo } from '../protocol/bodies/auth.js';
import { ACL_V1_SUB_COMMANDS, runAclV1 } from './acl-v1.js';
import { formatTable, output, parseCommand, usageError, UsageError, withAdmin, type ParsedValues } from './table.js';

/** ACL 2.0 users and ACLs of one broker (codes 3001-3010), as mqadmin's createUser ... listAcl. */
export const USER_USAGE = `usage: rocketmq-ts user <create|update|delete|get|list> -b BROKER_ADDR [options] [-n ADDR] [--json]

  user create -b BROKER_ADDR -u NAME -p PASSWORD [-t Super|Normal] [--status enable|disable]
  user update -b BROKER_ADDR -u NAME [-p PASSWORD] [-t Super|Normal] [--status enable|disable]
  user delete -b BROKER_ADDR -u NAME
  user get    -b BROKER_ADDR -u NAME
  user list   -b BROKER_ADDR [--filter TEXT]

The broker must have ACL 2.0 on (authenticationEnabled); sign with $ROCKETMQ_ACCESS_KEY / $ROCKETMQ_SECRET_KEY.`;

export const ACL_USAGE = `usage: rocketmq-ts acl <create|update|delete|get|list> -b BROKER_ADDR [options] [-n ADDR] [--json]

  acl create -b BROKER_ADDR -s SUBJECT -r RESOURCE[,RESOURCE...] -a ACTION[,ACTION...] [-i IP[,IP...]] [-d Allow|Deny]
  acl update (the same options)
  acl delete -b BROKER_ADDR -s SUBJECT [-r RESOURCE] [--policy-type Custom|Default]
  acl get    -b BROKER_ADDR -s SUBJECT
  acl list   -b BROKER_ADDR [-s SUBJECT_FILTER] [-r RESOURCE_FILTER]

SUBJECT is User:NAME; a RESOURCE is Cluster:NAME, Namespace:NAME, Topic:NAME, Group:NAME (a trailing * for a
prefix) or *; ACTIONs are All, Pub, Sub, Create, Update, Delete, Get, List; the decision defaults to Allow.

ACL 1.0 (plain_acl.yml): acl update-config | delete-config | version | global-white | get-config (acl version -h).`;

const SUB_COMMANDS = ['create', 'update', 'delete', 'get', 'list'] as const;
type SubCommand = (typeof SUB_COMMANDS)[number];

function subCommandOf(name: string, usage: string, positionals: string[], state: { exitCode: number }): SubCommand | undefined {
  const sub = positionals[0];
  if (positionals.length !== 1 || !(SUB_COMMANDS as readonly string[]).includes(sub ?? '')) {
    return usageError(name, usage, `unknown sub-command '${positionals.join(' ')}'`, state);
  }
  return sub as SubCommand;
}

function required(values: ParsedValues, key: string, flag: string): string {
  const value = values[key];
  if (typeof value !== 'string' || value === '') throw new UsageError(`${flag} is required`);
  return value;
}

function optional(values: ParsedValues, key: string): string | undefined {
  const value = values[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** `rocketmq-ts user ...`. */
export async function runUser(argv: string[]): Promise<number> {
  const state = { exitCode: 0 };
  const parsed = parseCommand(
    'user',
    USER_USAGE,
    argv,
    { broker: { type: 'string', short: 'b' }, username: { type: 'string', short: 'u' }, password: { type: 'string', short: 'p' }, type: { type: 'string', short: 't' }, status: { type: 'string' }, filter: { type: 'string' } },
    state,
  );
  if (parsed === undefined) return state.exitCode;
  const sub = subCommandOf('user', USER_USAGE, parsed.positionals, state);
  if (sub === undefined) return state.exitCode;
  const { values } = parsed;
  const json = values.json === true;
  return withAdmin('user', USER_USAGE, values, async (admin) => {
    const broker = required(values, 'broker', '-b BROKER_ADDR');
    if (sub === 'list') {
      const users = await admin.listUsers(broker, optional(values, 'filter'));
      output(json, users, () => formatTable(['#Username', '#Type', '#Status'], users.map((u) => [u.username, u.userType ?? '', u.userStatus ?? ''])));
      return;
    }
    const username = required(values, 'username', '-u NAME');
    if (sub === 'get') {
      const user = await admin.getUser(broker, username);
      output(json, user, () => formatTable(['#Username', '#Type', '#Status'], [[user.username, user.userType ?? '', user.userStatus ?? '']]));
      return;
    }
    if (sub === 'delete') {
      await admin.deleteUser(broker, username);
    } else {
      await writeUser(admin, sub, broker, username, values);
    }
    output(json, { ok: true }, () => `${sub}d user ${username} on ${broker}`);
  });
}

async function writeUser(admin: Admin, sub: 'create' | 'update', broker: string, username: string, values: ParsedValues): Promise<void> {
  const user: UserInfo = { username };
  const password = sub === 'create' ? required(values, 'password', '-p PASSWORD') : optional(values, 'password');
  if (password !== undefined) user.password = password;
  const userType = optional(values, 'type');
  if (userType !== undefined && userType !== 'Super' && userType !== 'Normal') throw new UsageError(`-t must be Super or Normal, not '${userType}'`);
  if (userType !== undefined) user.userType = userType;
  const status = optional(values, 'status');
  if (status !== undefined && status !== 'enable' && status !== 'disable') throw new UsageError(`--status must be enable or disable, not '${status}'`);
  if (status !== undefined) user.userStatus = status;
  if (sub === 'create') await admin.createUser(broker, user);
  else await admin.updateUser(broker, user);
}

/** `rocketmq-ts acl ...`. */
export async function runAcl(argv: string[]): Promise<number> {
  if (ACL_V1_SUB_COMMANDS.has(argv[0] ?? '')) return runAclV1(argv);
  const state = { exitCode: 0 };
  const parsed = parseCommand(
    'acl',
    ACL_USAGE,
    argv,
    {
      broker: { type: 'string', short: 'b' },
      subject: { type: 'string', short: 's' },
      resources: { type: 'string', short: 'r' },
      actions: { type: 'string', short: 'a' },
      'source-ips': { type: 'string', short: 'i' },
      decision: { type: 'string', short: 'd' },
      'policy-type': { type: 'string' },
    },
    state,
  );
  if (parsed === undefined) return state.exitCode;
  const sub = subCommandOf('acl', ACL_USAGE, parsed.positionals, state);
  if (sub === undefined) return state.exitCode;
  const { values } = parsed;
  const json = values.json === true;
  return withAdmin('acl', ACL_USAGE, values, async (admin) => {
    const broker = required(values, 'broker', '-b BROKER_ADDR');
    if (sub === 'list') {
      const acls = await admin.listAcls(broker, { subject: optional(values, 'subject'), resource: optional(values, 'resources') });
      output(json, acls, () => aclTable(acls));
      return;
    }
    const subject = required(values, 'subject', '-s SUBJECT');
    if (sub === 'get') {
      const acl = await admin.getAcl(broker, subject);
      output(json, acl, () => aclTable([acl]));
      return;
    }
    if (sub === 'delete') {
      await admin.deleteAcl(broker, subject, { policyType: optional(values, 'policy-type'), resource: optional(values, 'resources') });
    } else {
      const acl = aclOf(subject, values);
      if (sub === 'create') await admin.createAcl(broker, acl);
      else await admin.updateAcl(broker, acl);
    }
    output(json, { ok: true }, () => `${sub}d the ACL of ${subject} on ${broker}`);
  });
}

/** mqadmin createAcl's options: one Custom policy with an entry per resource, all with the same actions. */
function aclOf(subject: string, values: ParsedValues): AclInfo {
  const resources = list(required(values, 'resources', '-r RESOURCE'));
  const actions = list(required(values, 'actions', '-a ACTION'));
  const decision = optional(values, 'decision') ?? 'Allow';
  if (decision !== 'Allow' && decision !== 'Deny') throw new UsageError(`-d must be Allow or Deny, not '${decision}'`);
  const sourceIps = optional(values, 'source-ips');
  return {
    subject,
    policies: [
      {
        policyType: 'Custom',
        entries: resources.map((resource) => ({ resource, actions, decision, ...(sourceIps === undefined ? {} : { sourceIps: list(sourceIps) }) })),
      },
    ],
  };
}

function aclTable(acls: readonly AclInfo[]): string {
  const rows = acls.flatMap((acl) =>
    acl.policies.flatMap((policy) =>
      policy.entries.map((e) => [acl.subject, policy.policyType ?? '', e.resource, e.actions.join(','), (e.sourceIps ?? []).join(','), e.decision]),
    ),
  );
  return formatTable(['#Subject', '#PolicyType', '#Resource', '#Actions', '#SourceIps', '#Decision'], rows);
}
