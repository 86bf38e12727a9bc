import type { HeaderSchema } from '../custom-header.js';

/**
 * ACL 2.0's admin headers (5.3.3 remoting/.../protocol/header): CreateUser/UpdateUser/DeleteUser/GetUser (3001-3004),
 * ListUsers (3005), CreateAcl/UpdateAcl/GetAcl (3006, 3007, 3009), DeleteAcl (3008), ListAcls (3010). Every field
 * is optional on the wire: a missing name is answered by the broker, not refused as a malformed header.
 */
export const UserRequestHeader = {
  username: 'string?',
} as const satisfies HeaderSchema;

export const ListUsersRequestHeader = {
  filter: 'string?',
} as const satisfies HeaderSchema;

export const AclRequestHeader = {
  subject: 'string?',
} as const satisfies HeaderSchema;

export const DeleteAclRequestHeader = {
  subject: 'string?',
  policyType: 'string?',
  resource: 'string?',
} as const satisfies HeaderSchema;

export const ListAclsRequestHeader = {
  subjectFilter: 'string?',
  resourceFilter: 'string?',
} as const satisfies HeaderSchema;
