/** The signing hook is shared with the broker's own outgoing clients, so it lives in src/remoting. */
export { AclClientRPCHook, type SessionCredentials } from '../../remoting/acl-client-rpc-hook.js';
