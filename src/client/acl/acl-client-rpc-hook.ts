import { ACCESS_KEY, SECURITY_TOKEN, SIGNATURE, aclSignature } from '../../protocol/acl-signature.js';
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

export { ACCESS_KEY, SECURITY_TOKEN, SIGNATURE, aclSignature } from '../../protocol/acl-signature.js';

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
