import { createHmac } from 'node:crypto';
import type { RemotingCommand } from '../../protocol/remoting-command.js';
import type { RPCHook } from '../../remoting/rpc-hook.js';

/**
 * SessionCredentials.java: what a client signs its requests with. The same pair serves ACL 1.0 (an account of
 * plain_acl.yml) and ACL 2.0 (username and password of a user); the secret never leaves the process.
 */
export interface SessionCredentials {
  accessKey: string;
  secretKey: string;
  /** Sent as the SecurityToken ext field when given (temporary credentials of some cloud providers). */
  securityToken?: string;
}

/** Ext-field names of SessionCredentials. */
export const ACCESS_KEY = 'AccessKey';
export const SECURITY_TOKEN = 'SecurityToken';
export const SIGNATURE = 'Signature';

/**
 * AclUtils.combineRequestContent + AclSigner.calSignature: the values of every ext field but Signature, in the
 * order of their keys (Java's String.compareTo, which is JavaScript's default string order: UTF-16 code units),
 * concatenated without separators as UTF-8, then the raw body; HmacSHA1 with the secret, in Base64 with padding.
 */
export function aclSignature(extFields: Readonly<Record<string, string>>, body: Uint8Array | undefined, secretKey: string): string {
  const keys = Object.keys(extFields).filter((key) => key !== SIGNATURE);
  keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const hmac = createHmac('sha1', Buffer.from(secretKey, 'utf8'));
  hmac.update(Buffer.from(keys.map((key) => extFields[key] as string).join(''), 'utf8'));
  if (body !== undefined && body.length > 0) hmac.update(body);
  return hmac.digest('base64');
}

/**
 * AclClientRPCHook: before every request (to brokers and name servers alike) it adds AccessKey, the optional
 * SecurityToken and the Signature over the request's ext fields and body. A resent request is signed again: the
 * old Signature is left out of the content and replaced.
 */
export class AclClientRPCHook implements RPCHook {
  constructor(readonly credentials: Readonly<SessionCredentials>) {
    if (credentials.accessKey === '' || credentials.secretKey === '') throw new TypeError('credentials need a non-empty accessKey and secretKey');
  }

  doBeforeRequest(_remoteAddr: string, request: RemotingCommand): void {
    const { accessKey, secretKey, securityToken } = this.credentials;
    request.addExtField(ACCESS_KEY, accessKey);
    if (securityToken !== undefined) request.addExtField(SECURITY_TOKEN, securityToken);
    request.addExtField(SIGNATURE, aclSignature(request.extFields ?? {}, request.body, secretKey));
  }

  doAfterResponse(): void {}
}
