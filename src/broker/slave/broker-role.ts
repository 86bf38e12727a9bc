import { BrokerConfigError, type BrokerConfig } from '../broker-config.js';

/** BrokerRole.java (the store's role in classic master/slave replication). */
export type BrokerRole = 'ASYNC_MASTER' | 'SYNC_MASTER' | 'SLAVE';

/** MixAll.MASTER_ID: the id of a broker group's master in routes and registrations. */
export const MASTER_ID = 0;

const ROLES: readonly string[] = ['ASYNC_MASTER', 'SYNC_MASTER', 'SLAVE'];

/**
 * BrokerStartup's role check: an unknown role is refused, a SLAVE must have brokerId > 0 ("Slave's brokerId must
 * be > 0", where Java exits), and either master role gets brokerId 0 whatever the file says, as Java forces it.
 * Returns the config to run with.
 */
export function checkBrokerRole(config: BrokerConfig): BrokerConfig {
  const role = config.brokerRole.trim().toUpperCase();
  if (!ROLES.includes(role)) throw new BrokerConfigError(`brokerRole must be ASYNC_MASTER, SYNC_MASTER or SLAVE, not '${config.brokerRole}'`);
  if (role === 'SLAVE') {
    if (config.brokerId <= 0) throw new BrokerConfigError("Slave's brokerId must be > 0");
    return { ...config, brokerRole: role };
  }
  return { ...config, brokerRole: role, brokerId: MASTER_ID };
}

export function isSlave(config: Pick<BrokerConfig, 'brokerRole'>): boolean {
  return config.brokerRole === 'SLAVE';
}
