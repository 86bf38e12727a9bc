import { RequestCode } from '../../protocol/request-code.js';
import { AclException } from './acl-exception.js';

/** Permission.java: the bits of a resource's permission. DENY wins over everything. */
export const Permission = {
  DENY: 1,
  ANY: 1 << 1,
  PUB: 1 << 2,
  SUB: 1 << 3,
} as const;

/** MixAll.RETRY_GROUP_TOPIC_PREFIX: a group's permission is kept (and checked) under its retry topic. */
export const RETRY_GROUP_TOPIC_PREFIX = '%RETRY%';

export function isRetryTopic(topic: string | undefined): boolean {
  return topic !== undefined && topic.startsWith(RETRY_GROUP_TOPIC_PREFIX);
}

export function retryTopic(group: string): string {
  return RETRY_GROUP_TOPIC_PREFIX + group;
}

/**
 * Codes only an admin account may send. 4.9.8's list is 17, 25, 215, 200, 207; we also guard what 4.9.8 left open
 * to any signed account: UPDATE_AND_CREATE_TOPIC_LIST (18, 5.x, creates topics like 17) and the ACL codes 50-54
 * (5.x's ACL 1.0 made 50-52 admin-only; 53 rewrites the whitelist and 54 answers every account's secret key).
 */
export const ADMIN_CODES: ReadonlySet<number> = new Set([
  RequestCode.UPDATE_AND_CREATE_TOPIC,
  RequestCode.UPDATE_AND_CREATE_TOPIC_LIST,
  RequestCode.UPDATE_BROKER_CONFIG,
  RequestCode.DELETE_TOPIC_IN_BROKER,
  RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
  RequestCode.DELETE_SUBSCRIPTIONGROUP,
  RequestCode.UPDATE_AND_CREATE_ACL_CONFIG,
  RequestCode.DELETE_ACL_CONFIG,
  RequestCode.GET_BROKER_CLUSTER_ACL_INFO,
  RequestCode.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG,
  RequestCode.GET_BROKER_CLUSTER_ACL_CONFIG,
]);

/** Permission.checkPermission: an owned DENY refuses; ANY needs PUB or SUB; otherwise a needed bit must be owned. */
export function checkPermission(needed: number, owned: number): boolean {
  if ((owned & Permission.DENY) !== 0) return false;
  if ((needed & Permission.ANY) !== 0) return (owned & Permission.PUB) !== 0 || (owned & Permission.SUB) !== 0;
  return (needed & owned) !== 0;
}

/** Permission.parsePermFromString: PUB, SUB, PUB|SUB, SUB|PUB; anything else (absent too) is DENY. */
export function parsePermFromString(text: string | undefined): number {
  switch (text?.trim()) {
    case 'PUB':
      return Permission.PUB;
    case 'SUB':
      return Permission.SUB;
    case 'PUB|SUB':
    case 'SUB|PUB':
      return Permission.PUB | Permission.SUB;
    default:
      return Permission.DENY;
  }
}

/** Commons' StringUtils.split with one separator character: the pieces between separators, empty ones dropped. */
export function splitNonEmpty(text: string, separator: string): string[] {
  return text.split(separator).filter((piece) => piece !== '');
}

/** Java's String.split(separator) (as UtilAll.split uses it): trailing empty pieces dropped; "" is [""]. */
export function javaSplit(text: string, separator: string): string[] {
  if (!text.includes(separator)) return [text];
  const pieces = text.split(separator);
  while (pieces.length > 0 && pieces[pieces.length - 1] === '') pieces.pop();
  return pieces;
}

/**
 * Permission.parseResourcePerms: `name=PERM` entries into `into`, topics under their name and groups under their
 * retry topic; an entry that is not `name=perm` fails the whole account.
 */
export function parseResourcePerms(into: Map<string, number>, isTopic: boolean, resources: readonly string[] | undefined): void {
  for (const resource of resources ?? []) {
    const items = splitNonEmpty(resource, '=');
    if (items.length !== 2) throw new AclException(`Parse resource permission failed for ${isTopic ? 'topic' : 'group'}:${resource}`);
    const name = (items[0] as string).trim();
    into.set(isTopic ? name : retryTopic(name), parsePermFromString(items[1]));
  }
}

/** Permission.checkResourcePerms: what an admin update may write (a typo in a permission is refused, not DENY). */
export function checkResourcePerms(resources: readonly string[] | undefined): void {
  for (const resource of resources ?? []) {
    const items = splitNonEmpty(resource, '=');
    if (items.length !== 2) {
      throw new AclException(`Parse Resource format error for ${resource}.\nThe expected resource format is 'Res=Perm'. For example: topicA=SUB`);
    }
    const perm = (items[1] as string).trim();
    if (perm !== 'DENY' && parsePermFromString(perm) === Permission.DENY) {
      throw new AclException(`Parse resource permission error for ${resource}.\nThe expected permissions are 'SUB' or 'PUB' or 'SUB|PUB' or 'PUB|SUB'.`);
    }
  }
}
