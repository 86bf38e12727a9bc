import { ACCESS_KEY } from '../../protocol/acl-signature.js';
import { matchPolicyEntry, resourceKey, userSubject } from './acl.js';
import type { AuthConfig } from './auth-config.js';
import { AuthorizationError } from './auth-errors.js';
import type { AuthenticationMetadataManager } from './authentication-metadata-manager.js';
import type { AuthorizationMetadataManager } from './authorization-metadata-manager.js';
import { requestedResources, type RequestView } from './resource-table.js';

/** What authorization reads from a request. */
export interface AuthorizationRequest extends RequestView {
  readonly code: number;
  /** The client's address, without the port. */
  readonly sourceIp: string;
}

/**
 * DefaultAuthorizationProvider's chain (5.3.3): UserAuthorizationHandler (a Super user may do anything), then
 * AclAuthorizationHandler (every resource the request asks for needs a matching Allow entry in the user's ACL).
 * Throws AuthorizationError with Java's messages. `users`/`acls` are undefined when their metadata provider is not
 * configured.
 */
export class AuthorizationEvaluator {
  constructor(
    private readonly config: AuthConfig,
    private readonly users: AuthenticationMetadataManager | undefined,
    private readonly acls: AuthorizationMetadataManager | undefined,
  ) {}

  evaluate(request: AuthorizationRequest): void {
    if (!this.config.authorizationEnabled || this.config.authorizationWhitelist.has(String(request.code))) return;
    // DefaultAuthorizationContextBuilder: a request without ext fields asks for nothing.
    if (Object.keys(request.extFields).length === 0) return;
    const username = request.extFields[ACCESS_KEY];
    for (const { resource, actions } of requestedResources(request.code, request)) {
      // Java dereferences the missing subject: its NullPointerException surfaces as this generic refusal.
      if (username === undefined) throw new AuthorizationError('Authorization failed. Please verify your access rights and try again.');
      if (this.users === undefined) throw new AuthorizationError('The authenticationMetadataProvider is not configured');
      const user = this.users.getUser(username);
      if (user === undefined) throw new AuthorizationError(`User:${username} not found.`);
      if (user.userType === 'Super') return;
      if (this.acls === undefined) throw new AuthorizationError('The authorizationMetadataProvider is not configured');
      const subject = userSubject(username);
      const acl = this.acls.getAcl(subject);
      const entry = acl === undefined ? undefined : matchPolicyEntry(acl, { resource, actions, sourceIp: request.sourceIp });
      const refusal = `${subject} has no permission to access ${resourceKey(resource)} from ${request.sourceIp}, `;
      if (entry === undefined) throw new AuthorizationError(`${refusal}no matched policies.`);
      if (entry.decision === 'Deny') throw new AuthorizationError(`${refusal}the decision is deny.`);
    }
  }
}
