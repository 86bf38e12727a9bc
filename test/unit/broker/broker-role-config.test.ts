import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BrokerConfigError, defaultBrokerConfig } from '../../../src/broker/broker-config.js';
import { applyMessageStoreProperties, splitBrokerProperties } from '../../../src/broker/broker-startup.js';
import { checkBrokerRole } from '../../../src/broker/slave/broker-role.js';

describe('brokerRole and the HA keys in broker.conf', () => {
  it('reads Java names and defaults (MessageStoreConfig)', () => {
    const defaults = applyMessageStoreProperties('/tmp/x', new Map());
    assert.deepEqual(
      [defaults.brokerRole, defaults.haListenPort, defaults.haTransferBatchSize, defaults.haSendHeartbeatInterval, defaults.haHousekeepingInterval, defaults.slaveTimeout],
      ['ASYNC_MASTER', 0, 32768, 5000, 20000, 3000],
    );
    const slave = applyMessageStoreProperties('/tmp/x', new Map([['brokerRole', 'SLAVE'], ['haMasterAddress', '10.0.0.1:10912'], ['haMaxGapNotInSync', '1024']]));
    assert.deepEqual([slave.brokerRole, slave.haMasterAddress, slave.haMaxGapNotInSync], ['SLAVE', '10.0.0.1:10912', 1024]);
  });

  it('refuses an unknown role or profile', () => {
    assert.throws(() => applyMessageStoreProperties('/tmp/x', new Map([['brokerRole', 'MASTER']])), /brokerRole must be one of ASYNC_MASTER, SYNC_MASTER, SLAVE/);
    assert.throws(() => applyMessageStoreProperties('/tmp/x', new Map([['syncMasterProfile', '6']])), /syncMasterProfile must be 4 or 5/);
  });

  it('checks brokerId against the role as BrokerStartup: masters are 0, a slave must be > 0', () => {
    const config = { ...defaultBrokerConfig('/tmp/x'), brokerId: 3 };
    assert.equal(checkBrokerRole({ ...config, brokerRole: 'SYNC_MASTER' }).brokerId, 0);
    assert.equal(checkBrokerRole({ ...config, brokerRole: 'SLAVE' }).brokerId, 3);
    assert.throws(() => checkBrokerRole({ ...config, brokerId: 0, brokerRole: 'SLAVE' }), (err: unknown) => err instanceof BrokerConfigError && /Slave's brokerId must be > 0/.test(err.message));
  });

  it('a broker.conf sets brokerRole on the broker and its store alike, and reads 4.9\'s haSlaveFallbehindMax', () => {
    const split = splitBrokerProperties(defaultBrokerConfig('/tmp/x'), new Map([['brokerRole', 'SLAVE'], ['brokerId', '1'], ['haSlaveFallbehindMax', '4096']]));
    assert.equal(split.config.brokerRole, 'SLAVE');
    assert.equal(applyMessageStoreProperties('/tmp/x', split.storeProperties).brokerRole, 'SLAVE');
    assert.equal(split.storeProperties.get('haMaxGapNotInSync'), '4096');
    assert.deepEqual(split.unknown, []);
  });
});
