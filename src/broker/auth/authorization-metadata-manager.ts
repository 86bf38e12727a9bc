import type { Logger } from '../../common/logger.js';
import { decodeAclInfoList } from '../../protocol/bodies/auth.js';
import { ConfigManager } from '../config-manager.js';
import type { ConfigStore } from '../config-store.js';
import { aclFromInfo, aclToInfo, deletePolicyEntry, mergePolicies, resourceKey, type Acl, type PolicyType, type Resource } from './acl.js';
import { AuthorizationError } from './auth-errors.js';

/** The stored file: the ACLs as AUTH_LIST_ACL answers them (Java keeps them in RocksDB under config/acls). */
export const ACLS_FILE = 'acls.json';

/**
 * AuthorizationMetadataManagerImpl over LocalAuthorizationMetadataProvider: each subject's ACL, in memory and in
 * acls.json (written atomically after every change, before the change is acknowledged). `subjectExists` says
 * whether a subject's user exists: an ACL is only kept for one. Knows nothing of requests.
 */
export class AuthorizationMetadataManager extends ConfigManager<Map<string, Acl>> {
  private acls = new Map<string, Acl>();

  constructor(
    configStore: ConfigStore,
    logger: Logger,
    private readonly subjectExists: (subject: string) => boolean,
  ) {
    super(configStore, ACLS_FILE, logger);
  }

  encode(): string {
    return JSON.stringify([...this.acls.values()].map(aclToInfo));
  }

  protected decode(text: string): Map<string, Acl> {
    const acls = new Map<string, Acl>();
    for (const info of decodeAclInfoList(Buffer.from(text, 'utf8'))) acls.set(info.subject, aclFromInfo(info, info.subject));
    return acls;
  }

  protected apply(loaded: Map<string, Acl>): void {
    this.acls = loaded;
  }

  getAcl(subject: string): Acl | undefined {
    return this.acls.get(subject);
  }

  /**
   * createAcl and updateAcl are the same in 5.3.3: the subject's user must exist; the policies are merged into its
   * ACL (an entry replaces the one on the same resource), or become its ACL.
   */
  async putAcl(acl: Acl): Promise<void> {
    if (!this.subjectExists(acl.subject)) throw new AuthorizationError(`The subject of ${acl.subject} is not exist.`);
    const old = this.acls.get(acl.subject);
    this.acls.set(acl.subject, old === undefined ? acl : mergePolicies(old, acl.policies));
    await this.persist();
  }

  /**
   * deleteAcl: without a resource the whole ACL goes; with one, that entry of the policy type (Custom by default),
   * and the ACL once no policy is left.
   */
  async deleteAcl(subject: string, policyType: PolicyType | undefined, resource: Resource | undefined): Promise<void> {
    const old = this.acls.get(subject);
    if (!this.subjectExists(subject)) throw new AuthorizationError('The subject is not exist.');
    if (old === undefined) throw new AuthorizationError('The acl is not exist.');
    const updated = resource === undefined ? undefined : deletePolicyEntry(old, policyType ?? 'Custom', resource);
    if (updated === undefined || updated.policies.length === 0) this.acls.delete(subject);
    else this.acls.set(subject, updated);
    await this.persist();
  }

  /** A deleted user's ACL goes with it (AuthenticationMetadataManagerImpl.deleteUser). */
  async deleteAclOf(subject: string): Promise<void> {
    if (this.acls.delete(subject)) await this.persist();
  }

  /**
   * listAcl: the ACLs whose subject contains `subjectFilter`; with a resource filter (that the subject does not
   * contain), only the entries whose resource contains it, and only the ACLs left with entries.
   */
  listAcls(subjectFilter: string | undefined, resourceFilter: string | undefined): Acl[] {
    const out: Acl[] = [];
    for (const acl of this.acls.values()) {
      if (subjectFilter !== undefined && subjectFilter.trim() !== '' && !acl.subject.includes(subjectFilter)) continue;
      const filterEntries = resourceFilter !== undefined && resourceFilter.trim() !== '' && !acl.subject.includes(resourceFilter);
      const policies = acl.policies
        .map((p) => ({ policyType: p.policyType, entries: filterEntries ? p.entries.filter((e) => resourceKey(e.resource).includes(resourceFilter)) : p.entries }))
        .filter((p) => p.entries.length > 0);
      if (policies.length > 0) out.push({ subject: acl.subject, policies });
    }
    return out;
  }
}
