import type { AclInfo, PolicyEntryInfo, PolicyInfo } from '../../protocol/bodies/auth.js';
import { AuthorizationError } from './auth-errors.js';
import { isIpInRange, isValidIpOrCidr } from './ip-range.js';

/**
 * The ACL 2.0 model of 5.3.3 (auth/.../authorization/model, common/.../action/Action, resource/ResourceType): a
 * subject's ACL holds at most one Custom and one Default policy, each a list of entries (resource, actions, source
 * IPs, Allow/Deny) with at most one entry per resource. Names are matched ignoring case, as Java's getByName does,
 * and kept in Java's spelling.
 */
export type ResourceType = 'Any' | 'Cluster' | 'Namespace' | 'Topic' | 'Group';
export type ResourcePattern = 'LITERAL' | 'PREFIXED' | 'ANY';
export type Action = 'All' | 'Any' | 'Pub' | 'Sub' | 'Create' | 'Update' | 'Delete' | 'Get' | 'List';
export type Decision = 'Allow' | 'Deny';
export type PolicyType = 'Custom' | 'Default';

const RESOURCE_TYPES: readonly ResourceType[] = ['Any', 'Cluster', 'Namespace', 'Topic', 'Group'];
const ACTIONS: readonly Action[] = ['All', 'Any', 'Pub', 'Sub', 'Create', 'Update', 'Delete', 'Get', 'List'];
const DECISIONS: readonly Decision[] = ['Allow', 'Deny'];
const POLICY_TYPES: readonly PolicyType[] = ['Custom', 'Default'];

/** MixAll.RETRY_GROUP_TOPIC_PREFIX: a retry topic stands for its group. */
export const RETRY_PREFIX = '%RETRY%';

function byName<T extends string>(names: readonly T[], name: string | undefined): T | undefined {
  if (name === undefined) return undefined;
  const lower = name.toLowerCase();
  return names.find((n) => n.toLowerCase() === lower);
}

export const actionByName = (name: string | undefined): Action | undefined => byName(ACTIONS, name);
export const decisionByName = (name: string | undefined): Decision | undefined => byName(DECISIONS, name);
export const policyTypeByName = (name: string | undefined): PolicyType | undefined => byName(POLICY_TYPES, name);

export interface Resource {
  readonly type: ResourceType;
  /** Undefined for the ANY pattern; the prefix (without "*") for PREFIXED. */
  readonly name: string | undefined;
  readonly pattern: ResourcePattern;
}

export function ofCluster(name: string): Resource {
  return { type: 'Cluster', name, pattern: 'LITERAL' };
}

export function ofTopic(name: string): Resource {
  return { type: 'Topic', name, pattern: 'LITERAL' };
}

/**
 * Resource.ofGroup: a retry topic names its group. A dead-letter topic's name is kept as it is: 5.3.3 strips the
 * prefixes only from a name that starts with %RETRY%.
 */
export function ofGroup(name: string): Resource {
  return { type: 'Group', name: name.startsWith(RETRY_PREFIX) ? name.slice(RETRY_PREFIX.length) : name, pattern: 'LITERAL' };
}

/** Resource.of(String): "*", "Topic:*", "Topic:abc*", "Topic:abc"; undefined for a blank key or an unknown type. */
export function parseResource(key: string | undefined): Resource | undefined {
  if (key === undefined || key.trim() === '') return undefined;
  if (key === '*') return { type: 'Any', name: undefined, pattern: 'ANY' };
  const colon = key.indexOf(':');
  const type = byName(RESOURCE_TYPES, colon < 0 ? key : key.slice(0, colon));
  if (type === undefined) return undefined;
  const name = colon < 0 ? '' : key.slice(colon + 1);
  if (name === '*') return { type, name: undefined, pattern: 'ANY' };
  if (name.endsWith('*')) return { type, name: name.slice(0, name.indexOf('*')), pattern: 'PREFIXED' };
  return { type, name, pattern: 'LITERAL' };
}

/** Resource.getResourceKey: the spelling of remarks, answers and storage. */
export function resourceKey(resource: Resource): string {
  if (resource.type === 'Any') return '*';
  if (resource.pattern === 'ANY') return `${resource.type}:*`;
  return `${resource.type}:${resource.name ?? ''}${resource.pattern === 'PREFIXED' ? '*' : ''}`;
}

function resourceMatches(entry: Resource, requested: Resource): boolean {
  if (entry.type === 'Any') return true;
  if (entry.type !== requested.type) return false;
  if (entry.pattern === 'ANY') return true;
  if (entry.pattern === 'LITERAL') return requested.name === entry.name;
  return requested.name !== undefined && requested.name.startsWith(entry.name ?? '');
}

export interface PolicyEntry {
  resource: Resource;
  actions: Action[];
  /** Addresses or CIDR blocks; none means from anywhere. */
  sourceIps: string[];
  decision: Decision;
}

export interface Policy {
  policyType: PolicyType;
  entries: PolicyEntry[];
}

export interface Acl {
  /** "User:alice". */
  subject: string;
  policies: Policy[];
}

/** Subject.of: "User:<name>" is the only subject type 5.3.3 knows; the key keeps Java's spelling. */
export function parseSubject(key: string | undefined): string | undefined {
  if (key === undefined) return undefined;
  const colon = key.indexOf(':');
  const type = colon < 0 ? key : key.slice(0, colon);
  if (type.toLowerCase() !== 'user') return undefined;
  return `User:${colon < 0 ? '' : key.slice(colon + 1)}`;
}

export function userSubject(username: string): string {
  return `User:${username}`;
}

/**
 * AclConverter.convertAcl plus the validation of AuthorizationMetadataManagerImpl: policies without entries are
 * dropped, unknown actions skipped, a missing policy type is Custom. Throws Java's AuthorizationException messages.
 */
export function aclFromInfo(info: AclInfo, subject: string): Acl {
  const policies: Policy[] = [];
  for (const policy of info.policies) {
    if (policy.entries.length === 0) continue;
    policies.push({ policyType: policyTypeByName(policy.policyType) ?? 'Custom', entries: policy.entries.map(entryFromInfo) });
  }
  if (policies.length === 0) throw new AuthorizationError('The policies is empty.');
  return { subject, policies };
}

function entryFromInfo(info: PolicyEntryInfo): PolicyEntry {
  const resource = parseResource(info.resource);
  if (resource === undefined) throw new AuthorizationError('The resource is null.');
  const actions = info.actions.map(actionByName).filter((a): a is Action => a !== undefined);
  if (actions.length === 0) throw new AuthorizationError('The actions is empty.');
  if (actions.includes('Any')) throw new AuthorizationError('The actions can not be Any.');
  const sourceIps = info.sourceIps ?? [];
  for (const ip of sourceIps) {
    if (ip.trim() === '') throw new AuthorizationError('The source ip is empty.');
    if (!isValidIpOrCidr(ip)) throw new AuthorizationError('The source ip is invalid.');
  }
  const decision = decisionByName(info.decision);
  if (decision === undefined) throw new AuthorizationError('The decision is null or illegal.');
  return { resource, actions, sourceIps, decision };
}

/** AclConverter.convertAcl(Acl): the AclInfo of answers and of the stored file. */
export function aclToInfo(acl: Acl): AclInfo {
  return {
    subject: acl.subject,
    policies: acl.policies.map(
      (policy): PolicyInfo => ({
        policyType: policy.policyType,
        entries: policy.entries.map((entry) => {
          const info: PolicyEntryInfo = { resource: resourceKey(entry.resource), actions: [...entry.actions], decision: entry.decision };
          if (entry.sourceIps.length > 0) info.sourceIps = [...entry.sourceIps];
          return info;
        }),
      }),
    ),
  };
}

const sameResource = (a: Resource, b: Resource): boolean => a.type === b.type && a.name === b.name && a.pattern === b.pattern;

/** Acl.updatePolicy: a policy of a new type is added; otherwise each entry replaces the one on its resource, or is added. */
export function mergePolicies(acl: Acl, policies: readonly Policy[]): Acl {
  const merged: Policy[] = acl.policies.map((p) => ({ policyType: p.policyType, entries: [...p.entries] }));
  for (const policy of policies) {
    const old = merged.find((p) => p.policyType === policy.policyType);
    if (old === undefined) {
      merged.push({ policyType: policy.policyType, entries: [...policy.entries] });
      continue;
    }
    for (const entry of policy.entries) {
      const i = old.entries.findIndex((e) => sameResource(e.resource, entry.resource));
      if (i < 0) old.entries.push(entry);
      else old.entries[i] = entry;
    }
  }
  return { subject: acl.subject, policies: merged };
}

/** Acl.deletePolicy: drops the entry on `resource` from the policy of that type, and the policy once it is empty. */
export function deletePolicyEntry(acl: Acl, policyType: PolicyType, resource: Resource): Acl {
  const policies: Policy[] = [];
  for (const policy of acl.policies) {
    if (policy.policyType !== policyType) {
      policies.push(policy);
      continue;
    }
    const entries = policy.entries.filter((e) => !sameResource(e.resource, resource));
    if (entries.length > 0) policies.push({ policyType, entries });
  }
  return { subject: acl.subject, policies };
}

/** What one request asks: a resource, the actions (any one suffices), from a source address. */
export interface AccessRequest {
  resource: Resource;
  actions: readonly Action[];
  sourceIp: string;
}

function entryMatches(entry: PolicyEntry, request: AccessRequest): boolean {
  if (!resourceMatches(entry.resource, request.resource)) return false;
  // PolicyEntry.isMatchAction: "Any" asked matches every entry with actions; "All" granted matches every action.
  if (entry.actions.length === 0) return false;
  if (!request.actions.includes('Any') && !request.actions.some((a) => entry.actions.includes(a) || entry.actions.includes('All'))) return false;
  return entry.sourceIps.length === 0 || (request.sourceIp !== '' && entry.sourceIps.some((range) => isIpInRange(request.sourceIp, range)));
}

const PATTERN_RANK: Record<ResourcePattern, number> = { LITERAL: 0, PREFIXED: 1, ANY: 2 };

/**
 * AclAuthorizationHandler.comparePolicyEntries, as a consistent order: the resource type "*" last; then an exact
 * name before a prefix before a type-wide "*"; among prefixes the shorter first (as Java compares them); on a tie,
 * Deny first. (Java's comparator is not symmetric when patterns differ and sorts Deny after Allow on a tie, though
 * its comment says Deny has priority; ties cannot arise between entries of one policy, which are one per resource.)
 */
function compareEntries(a: PolicyEntry, b: PolicyEntry): number {
  const ra = a.resource;
  const rb = b.resource;
  if ((ra.type === 'Any') !== (rb.type === 'Any')) return ra.type === 'Any' ? 1 : -1;
  const byPattern = PATTERN_RANK[ra.pattern] - PATTERN_RANK[rb.pattern];
  if (byPattern !== 0) return byPattern;
  if (ra.pattern === 'PREFIXED') {
    const byLength = (ra.name ?? '').length - (rb.name ?? '').length;
    if (byLength !== 0) return byLength;
  }
  return a.decision === b.decision ? 0 : a.decision === 'Deny' ? -1 : 1;
}

/**
 * AclAuthorizationHandler.matchPolicyEntries: the best entry matching the request among the Custom policy's, or,
 * when none matches there, among the Default policy's. Undefined when nothing matches.
 */
export function matchPolicyEntry(acl: Acl, request: AccessRequest): PolicyEntry | undefined {
  for (const type of POLICY_TYPES) {
    const policy = acl.policies.find((p) => p.policyType === type);
    const matched = policy?.entries.filter((entry) => entryMatches(entry, request)) ?? [];
    if (matched.length > 0) return matched.sort(compareEntries)[0];
  }
  return undefined;
}
