import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyBrokerProperties, BrokerConfigError, defaultBrokerConfig, RUNTIME_UPDATABLE_KEYS } from '../../../../src/broker/broker-config.js';
import { checkBrokerRole, isSlave } from '../../../../src/broker/slave/broker-role.js';
import { suggestPullBroker, type PullSuggestionInput } from '../../../../src/broker/slave/pull-suggestion.js';
import { ResponseCode } from '../../../../src/protocol/response-code.js';

describe('broker roles (BrokerStartup)', () => {
  const base = defaultBrokerConfig('/nonexistent');

  it('takes Java broker.conf keys with Java defaults', () => {
    assert.equal(base.brokerRole, 'ASYNC_MASTER');
    assert.equal(base.slaveReadEnable, false);
    assert.equal(base.offsetCheckInSlave, false);
    const { config, unknown } = applyBrokerProperties(base, new Map([['brokerRole', 'SLAVE'], ['brokerId', '1'], ['slaveReadEnable', 'true'], ['offsetCheckInSlave', 'true']]));
    assert.deepEqual(unknown, []);
    assert.equal(config.brokerRole, 'SLAVE');
    assert.equal(config.slaveReadEnable, true);
    assert.equal(config.offsetCheckInSlave, true);
    // A role cannot change at runtime (Java changes it only through acting master or DLedger); reads can.
    assert.equal(RUNTIME_UPDATABLE_KEYS.has('brokerRole'), false);
    assert.equal(RUNTIME_UPDATABLE_KEYS.has('slaveReadEnable'), true);
  });

  it('refuses a slave without a positive brokerId and an unknown role', () => {
    assert.throws(() => checkBrokerRole({ ...base, brokerRole: 'SLAVE', brokerId: 0 }), (err: unknown) => err instanceof BrokerConfigError && /Slave's brokerId must be > 0/.test(err.message));
    assert.throws(() => checkBrokerRole({ ...base, brokerRole: 'LEADER' }), /brokerRole must be ASYNC_MASTER, SYNC_MASTER or SLAVE/);
  });

  it('forces brokerId 0 on either master role and keeps a slave id', () => {
    assert.equal(checkBrokerRole({ ...base, brokerRole: 'SYNC_MASTER', brokerId: 3 }).brokerId, 0);
    assert.equal(checkBrokerRole({ ...base, brokerRole: 'async_master', brokerId: 2 }).brokerRole, 'ASYNC_MASTER');
    const slave = checkBrokerRole({ ...base, brokerRole: 'SLAVE', brokerId: 2 });
    assert.equal(slave.brokerId, 2);
    assert.equal(isSlave(slave), true);
    assert.equal(isSlave(base), false);
  });
});

describe('suggestWhichBrokerId (PullMessageProcessor, 4.9.8 rules)', () => {
  const input = (over: Partial<PullSuggestionInput>): PullSuggestionInput => ({
    code: ResponseCode.SUCCESS,
    suggestPullingFromSlave: false,
    slave: false,
    slaveReadEnable: false,
    offsetCheckInSlave: false,
    groupBrokerId: 0,
    whichBrokerWhenConsumeSlowly: 1,
    ...over,
  });

  it('suggests the master whenever reading from slaves is off, cold data or not, on a master or a slave', () => {
    for (const slave of [false, true]) {
      for (const cold of [false, true]) {
        assert.deepEqual(suggestPullBroker(input({ slave, suggestPullingFromSlave: cold })), { code: ResponseCode.SUCCESS, suggestWhichBrokerId: 0 });
      }
    }
  });

  it('with slaveReadEnable: cold data goes to whichBrokerWhenConsumeSlowly, warm data to the group brokerId', () => {
    assert.equal(suggestPullBroker(input({ slaveReadEnable: true, suggestPullingFromSlave: true, whichBrokerWhenConsumeSlowly: 2 })).suggestWhichBrokerId, 2);
    assert.equal(suggestPullBroker(input({ slaveReadEnable: true, suggestPullingFromSlave: false, groupBrokerId: 1 })).suggestWhichBrokerId, 1);
    assert.equal(suggestPullBroker(input({ slaveReadEnable: true })).suggestWhichBrokerId, 0);
  });

  it('a slave turns OFFSET_MOVED into a retry at the group brokerId unless offsetCheckInSlave', () => {
    const moved = { code: ResponseCode.PULL_OFFSET_MOVED, slave: true, groupBrokerId: 0 };
    assert.deepEqual(suggestPullBroker(input(moved)), { code: ResponseCode.PULL_RETRY_IMMEDIATELY, suggestWhichBrokerId: 0 });
    assert.deepEqual(suggestPullBroker(input({ ...moved, offsetCheckInSlave: true })), { code: ResponseCode.PULL_OFFSET_MOVED, suggestWhichBrokerId: 0 });
    // A master answers OFFSET_MOVED as it is.
    assert.equal(suggestPullBroker(input({ code: ResponseCode.PULL_OFFSET_MOVED })).code, ResponseCode.PULL_OFFSET_MOVED);
  });
});
