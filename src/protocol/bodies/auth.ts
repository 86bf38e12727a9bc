import { RemotingCommandError } from '../../common/errors.js';
import type { JsonValue } from '../lenient-json.js';
import { asObject, asString, optArray, optString, parseJsonBody, type JsonObject } from './json-fields.js';

/** UserInfo.java: the body of AUTH_CREATE_USER / AUTH_UPDATE_USER (3001/3002), the answer of AUTH_GET_USER (3004). */
export interface UserInfo {
  username: string;
  /** Absent in answers that do not reveal it. */
  password?: string;
  /** "Super" or "Normal". */
  userType?: string;
  /** "enable" or "disable". */
  userStatus?: string;
}

/** AclInfo.PolicyEntryInfo: a resource ("Topic:T", "Group:G", "Topic:abc*", "*"), its actions and the decision. */
export interface PolicyEntryInfo {
  resource: string;
  /** "All", "Pub", "Sub", "Create", "Update", "Delete", "Get", "List", "Any". */
  actions: string[];
  sourceIps?: string[];
  /** "Allow" or "Deny". */
  decision: string;
}

/** AclInfo.PolicyInfo: "Custom" (or "Default") policy entries. */
export interface PolicyInfo {
  policyType?: string;
  entries: PolicyEntryInfo[];
}

/** AclInfo.java: the body of AUTH_CREATE_ACL / AUTH_UPDATE_ACL (3006/3007), the answer of AUTH_GET_ACL (3009). */
export interface AclInfo {
  /** "User:alice". */
  subject: string;
  policies: PolicyInfo[];
}

/** Fields as fastjson writes them: absent ones are left out. */
export function encodeAuthBody(info: UserInfo | AclInfo): Buffer {
  return Buffer.from(JSON.stringify(info), 'utf8');
}

export function decodeUserInfo(body: Buffer | undefined): UserInfo {
  return userInfoOf(parseJsonBody(body, 'UserInfo'), 'UserInfo');
}

/** AUTH_LIST_USER's answer: a JSON array of UserInfo. */
export function decodeUserInfoList(body: Buffer | undefined): UserInfo[] {
  return arrayOf(body, 'UserInfo list').map((value, i) => userInfoOf(value, `UserInfo list[${i}]`));
}

export function decodeAclInfo(body: Buffer | undefined): AclInfo {
  return aclInfoOf(parseJsonBody(body, 'AclInfo'), 'AclInfo');
}

/** AUTH_LIST_ACL's answer: a JSON array of AclInfo. */
export function decodeAclInfoList(body: Buffer | undefined): AclInfo[] {
  return arrayOf(body, 'AclInfo list').map((value, i) => aclInfoOf(value, `AclInfo list[${i}]`));
}

function arrayOf(body: Buffer | undefined, what: string): JsonValue[] {
  const value = body === undefined || body.length === 0 ? [] : parseJsonBody(body, what);
  if (!Array.isArray(value)) throw new RemotingCommandError(`${what} is not a JSON array`);
  return value;
}

function userInfoOf(value: JsonValue, what: string): UserInfo {
  const obj = asObject(value, what);
  const info: UserInfo = { username: optString(obj, 'username', what) ?? '' };
  setIfPresent(info, 'password', optString(obj, 'password', what));
  setIfPresent(info, 'userType', optString(obj, 'userType', what));
  setIfPresent(info, 'userStatus', optString(obj, 'userStatus', what));
  return info;
}

function aclInfoOf(value: JsonValue, what: string): AclInfo {
  const obj = asObject(value, what);
  const policies = (optArray(obj, 'policies', what) ?? []).map((p, i) => {
    const policyWhat = `${what}.policies[${i}]`;
    const policy = asObject(p, policyWhat);
    const info: PolicyInfo = { entries: (optArray(policy, 'entries', policyWhat) ?? []).map((e, j) => entryOf(asObject(e, `${policyWhat}.entries[${j}]`), `${policyWhat}.entries[${j}]`)) };
    setIfPresent(info, 'policyType', optString(policy, 'policyType', policyWhat));
    return info;
  });
  return { subject: optString(obj, 'subject', what) ?? '', policies };
}

function entryOf(obj: JsonObject, what: string): PolicyEntryInfo {
  const entry: PolicyEntryInfo = {
    resource: optString(obj, 'resource', what) ?? '',
    actions: (optArray(obj, 'actions', what) ?? []).map((a, i) => asString(a, `${what}.actions[${i}]`)),
    decision: optString(obj, 'decision', what) ?? '',
  };
  const sourceIps = optArray(obj, 'sourceIps', what);
  if (sourceIps !== undefined) entry.sourceIps = sourceIps.map((ip, i) => asString(ip, `${what}.sourceIps[${i}]`));
  return entry;
}

function setIfPresent<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}
