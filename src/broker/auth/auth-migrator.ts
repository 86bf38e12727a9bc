import type { Logger } from '../../common/logger.js';
import type { AclFileStore } from '../acl/plain-permission-manager.js';
import { readPlainAccessData, type PlainAccessConfig } from '../acl/plain-acl-config.js';
import { YamlError, parseYaml } from '../acl/yaml.js';
import { AclException } from '../acl/acl-exception.js';
import { ofGroup, ofTopic, userSubject, type Acl, type Action, type Decision, type Policy, type PolicyEntry, type Resource } from './acl.js';
import type { AuthenticationMetadataManager } from './authentication-metadata-manager.js';
import type { AuthorizationMetadataManager } from './authorization-metadata-manager.js';

/**
 * AuthMigrator.java (5.3.3, migrateAuthFromV1Enabled): at startup each ACL 1.0 account of plain_acl.yml and
 * conf/acl/ becomes an ACL 2.0 user (admin: Super, else Normal) with an ACL made of its permissions, unless a user of
 * that name exists already (then neither is touched, so a restart migrates nothing twice). What ACL 2.0 has no
 * place for is dropped, as in Java: the global white addresses and each account's whiteRemoteAddress.
 */

/** AclConstants' permission spellings, compared exactly (case included) as Java does. */
const PUB = 'PUB';
const SUB = 'SUB';
const DENY = 'DENY';

/** StringUtils.trim: strips the control characters and spaces (<= U+0020) at both ends. */
function trimJava(s: string): string {
  return s.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '');
}

/** StringUtils.isBlank. */
function isBlank(s: string | undefined): boolean {
  return s === undefined || s.trim() === '';
}

/**
 * AuthMigrator.parseActions: PUB, SUB and PUB|SUB (or SUB|PUB) map to their actions, anything else (DENY, a typo,
 * lower case) to All. A blank permission gives All twice: Java adds All for it and then again in its switch.
 */
export function actionsOfV1Perm(perm: string): Action[] {
  const actions: Action[] = isBlank(perm) ? ['All'] : [];
  switch (trimJava(perm)) {
    case PUB:
      actions.push('Pub');
      break;
    case SUB:
      actions.push('Sub');
      break;
    case `${PUB}|${SUB}`:
    case `${SUB}|${PUB}`:
      actions.push('Pub', 'Sub');
      break;
    default:
      actions.push('All');
  }
  return actions;
}

/** AuthMigrator.parseDecision: DENY and a blank permission deny, anything else allows. */
export function decisionOfV1Perm(perm: string): Decision {
  return isBlank(perm) || perm === DENY ? 'Deny' : 'Allow';
}

function entryOf(resource: Resource, perm: string): PolicyEntry {
  return { resource, actions: actionsOfV1Perm(perm), sourceIps: [], decision: decisionOfV1Perm(perm) };
}

/**
 * "name=PERM" entries of topicPerms / groupPerms: StringUtils.split on '=' (empty pieces dropped), and an entry that
 * does not give exactly a name and a permission is skipped.
 */
function permEntries(perms: readonly string[] | undefined, resourceOf: (name: string) => Resource): PolicyEntry[] {
  const out: PolicyEntry[] = [];
  for (const item of perms ?? []) {
    const parts = item.split('=').filter((part) => part !== '');
    if (parts.length !== 2) continue;
    out.push(entryOf(resourceOf(trimJava(parts[0] as string)), trimJava(parts[1] as string)));
  }
  return out;
}

/**
 * AuthMigrator.createAcl: topicPerms then groupPerms make the Custom policy (in their order, a repeated name kept
 * twice), defaultTopicPerm and defaultGroupPerm the Default policy (on Topic:* and Group:*). Undefined when the
 * account has none of them: the user gets no ACL.
 */
export function aclOfV1Account(config: PlainAccessConfig): Acl | undefined {
  const policies: Policy[] = [];
  const custom = [...permEntries(config.topicPerms, ofTopic), ...permEntries(config.groupPerms, ofGroup)];
  if (custom.length > 0) policies.push({ policyType: 'Custom', entries: custom });
  const defaults: PolicyEntry[] = [];
  if (!isBlank(config.defaultTopicPerm)) defaults.push(entryOf({ type: 'Topic', name: undefined, pattern: 'ANY' }, trimJava(config.defaultTopicPerm as string)));
  if (!isBlank(config.defaultGroupPerm)) defaults.push(entryOf({ type: 'Group', name: undefined, pattern: 'ANY' }, trimJava(config.defaultGroupPerm as string)));
  if (defaults.length > 0) policies.push({ policyType: 'Default', entries: defaults });
  return policies.length === 0 ? undefined : { subject: userSubject(config.accessKey), policies };
}

/**
 * The v1 PlainPermissionManager.getAllAclConfig of 5.3.3's migration: every account of every ACL file, in the
 * validator's file order, the first of a repeated accessKey only. The accounts are not checked (a short key or a bad
 * permission is migrated as written), but a file that does not parse fails, as Java's constructor fails the broker.
 */
export async function readV1Accounts(files: AclFileStore): Promise<PlainAccessConfig[]> {
  // Java's migration creates the default file when missing, as the validator does.
  await files.ensureDefaultFile();
  const seen = new Set<string | undefined>();
  const out: PlainAccessConfig[] = [];
  for (const path of await files.listFiles()) {
    const text = await files.read(path);
    if (text === undefined) continue;
    let data;
    try {
      data = readPlainAccessData(parseYaml(text), path);
    } catch (err) {
      if (err instanceof YamlError) throw new AclException(`${path}: ${err.message}`);
      throw err;
    }
    for (const config of data?.configs ?? []) {
      // A missing accessKey counts as one key too (Java's HashSet holds null).
      const key = config.accessKey as string | undefined;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(config);
    }
  }
  return out;
}

/**
 * AuthMigrator.migrate over the managers the broker loaded: an account that fails (blank accessKey or secretKey) is
 * logged and the others go on. Resolves to the number of users created.
 */
export async function migrateAuthFromV1(
  accounts: readonly PlainAccessConfig[],
  users: AuthenticationMetadataManager,
  acls: AuthorizationMetadataManager | undefined,
  logger: Logger,
): Promise<number> {
  let created = 0;
  for (const config of accounts) {
    const accessKey = config.accessKey as string | undefined;
    try {
      if (isBlank(accessKey)) throw new Error('username can not be blank');
      if (users.getUser(accessKey as string) !== undefined) continue;
      await users.createUser({ username: accessKey as string, password: config.secretKey, userType: config.admin ? 'Super' : 'Normal' });
      created++;
      const acl = aclOfV1Account(config);
      if (acl === undefined) continue;
      if (acls === undefined) throw new Error('The authorizationMetadataProvider is not configured.');
      await acls.putAcl(acl);
    } catch (err) {
      logger.error(`[ACL MIGRATE] An error occurred while migrating ACL configurations for AccessKey:${accessKey ?? 'null'}: ${(err as Error).message}`);
    }
  }
  return created;
}
