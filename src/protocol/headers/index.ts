export * as NamesrvHeaders from './namesrv.js';
export * as BrokerHeaders from './broker.js';
export * as ConsumerAdminHeaders from './consumer-admin.js';
export * as AuthHeaders from './auth.js';
export * as AclV1Headers from './acl-v1.js';
export * as PopHeaders from './pop.js';
