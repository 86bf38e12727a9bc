import { ACCESS_KEY } from '../../protocol/acl-signature.js';
import { matchPolicyEntry, resourceKey, userSubject } from './acl.js';
import type { AuthConfig } from './auth-config.js';
import { AuthorizationError } from './auth-errors.js';
import type { AuthenticationMetadataManager, User } from './authentication-metadata-manager.js';
import type { AuthorizationMetadataManager } from './authorization-metadata-manager.js';
import { requestedResources, type RequestView } from './resource-table.js';

/** What authorization reads from a request. */
export interface AuthorizationRequest extends RequestView {
  readonly code: number;
  /** The client's address, without the port. */
  readonly sourceIp: string;
  readonly hasExtFields: boolean;
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

  /**
   * "User:<name>" of each user, made once: a new string would be hashed again for every request's ACL lookup.
   * Weak: an updated or deleted user's entry goes with its object.
   */
  private readonly subjects = new WeakMap<User, string>();

  private subjectOf(user: User): string {
    let subject = this.subjects.get(user);
    if (subject === undefined) {
      subject = userSubject(user.username);
      this.subjects.set(user, subject);
    }
    return subject;
  }

  evaluate(request: AuthorizationRequest): void {
    if (!this.config.authorizationEnabled || this.config.authorizationWhitelist.has(String(request.code))) return;
    // DefaultAuthorizationContextBuilder: a request without ext fields asks for nothing.
    if (!request.hasExtFields) return;
    const username = request.field(ACCESS_KEY);
    for (const { resource, actions } of requestedResources(request.code, request)) {
      // Java dereferences the missing subject: its NullPointerException surfaces as this generic refusal.
      if (username === undefined) throw new AuthorizationError('Authorization failed. Please verify your access rights and try again.');
      if (this.users === undefined) throw new AuthorizationError('The authenticationMetadataProvider is not configured');
      const user = this.users.getUser(username);
      if (user === undefined) throw new AuthorizationError(`User:${username} not found.`);
      if (user.userType === 'Super') return;
      if (this.acls === undefined) throw new AuthorizationError('The authorizationMetadataProvider is not configured');
      const subject = this.subjectOf(user);
      const acl = this.acls.getAcl(subject);
      const entry = acl === undefined ? undefined : matchPolicyEntry(acl, { resource, actions, sourceIp: request.sourceIp });
      if (entry === undefined || entry.decision === 'Deny') {
        const why = entry === undefined ? 'no matched policies.' : 'the decision is deny.';
        throw new AuthorizationError(`${subject} has no permission to access ${resourceKey(resource)} from ${request.sourceIp}, ${why}`);
      }
    }
  }
}
