import { ACCESS_KEY, SIGNATURE, UNIQUE_MSG_QUERY_FLAG, requestSignature, signatureMatches, type SignableRequest } from '../../protocol/acl-signature.js';
import { MQVersion } from '../../protocol/language-code.js';
import type { AuthConfig } from './auth-config.js';
import { AuthenticationError } from './auth-errors.js';
import type { AuthenticationMetadataManager } from './authentication-metadata-manager.js';

/** What authentication reads from a request. */
export interface SignedRequest extends SignableRequest {
  readonly code: number;
  readonly version: number;
  getExtField(key: string): string | undefined;
}

/**
 * DefaultAuthenticationProvider + DefaultAuthenticationHandler (5.3.3): the request's AccessKey names a user, whose
 * password must have signed the request (the content AclClientRPCHook signs). Throws AuthenticationError with
 * Java's messages; `users` is undefined when no authenticationMetadataProvider is configured.
 */
export class AuthenticationEvaluator {
  constructor(
    private readonly config: AuthConfig,
    private readonly users: AuthenticationMetadataManager | undefined,
  ) {}

  /** The authenticated username, or undefined when authentication is off or skips this code. */
  evaluate(request: SignedRequest): string | undefined {
    if (!this.config.authenticationEnabled || this.config.authenticationWhitelist.has(String(request.code))) return undefined;
    if (this.users === undefined) throw new AuthenticationError('The authenticationMetadataProvider is not configured');
    const username = request.getExtField(ACCESS_KEY);
    if (username === undefined || username === '') throw new AuthenticationError('username cannot be null.');
    const user = this.users.getUser(username);
    if (user === undefined) throw new AuthenticationError(`User:${username} is not found.`);
    if (user.userStatus === 'disable') throw new AuthenticationError(`User:${username} is disabled.`);
    const omit = request.version <= MQVersion.V4_9_3 ? UNIQUE_MSG_QUERY_FLAG : undefined;
    if (!signatureMatches(requestSignature(request, user.password, omit), request.getExtField(SIGNATURE))) throw new AuthenticationError('check signature failed.');
    return username;
  }
}
