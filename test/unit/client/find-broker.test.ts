import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PullFromWhichNodeTable } from '../../../src/client/consumer/pull-from-which-node.js';
import { findBrokerInSubscribe } from '../../../src/client/route/find-broker.js';

describe('findBrokerAddressInSubscribe (MQClientInstance, Java order)', () => {
  const group = new Map([
    [2, 'slave2:10911'],
    [0, 'master:10911'],
    [1, 'slave1:10911'],
  ]);

  it('takes the exact id, telling a slave from the master', () => {
    assert.deepEqual(findBrokerInSubscribe(group, 0, true), { brokerAddr: 'master:10911', slave: false });
    assert.deepEqual(findBrokerInSubscribe(group, 1, true), { brokerAddr: 'slave1:10911', slave: true });
  });

  it('tries id + 1 for a slave id, then any replica (the lowest id) unless onlyThisBroker', () => {
    const slaves = new Map([
      [3, 'slave3:10911'],
      [2, 'slave2:10911'],
    ]);
    assert.deepEqual(findBrokerInSubscribe(slaves, 1, true), { brokerAddr: 'slave2:10911', slave: true });
    assert.equal(findBrokerInSubscribe(slaves, 0, true), undefined);
    // The master left the route: consumers land on the lowest slave.
    assert.deepEqual(findBrokerInSubscribe(slaves, 0, false), { brokerAddr: 'slave2:10911', slave: true });
    // A suggested slave that is gone: back to the master.
    assert.deepEqual(findBrokerInSubscribe(new Map([[0, 'master:10911']]), 1, false), { brokerAddr: 'master:10911', slave: false });
  });

  it('finds nothing for a group no route names', () => {
    assert.equal(findBrokerInSubscribe(undefined, 0, false), undefined);
    assert.equal(findBrokerInSubscribe(new Map(), 0, false), undefined);
  });

  it('remembers the suggested replica per queue, the master by default', () => {
    const table = new PullFromWhichNodeTable();
    const q0 = { topic: 'T', brokerName: 'b', queueId: 0 };
    const q1 = { topic: 'T', brokerName: 'b', queueId: 1 };
    assert.equal(table.recalculate(q0), 0);
    table.update(q0, 1);
    assert.equal(table.recalculate(q0), 1);
    assert.equal(table.recalculate({ ...q0 }), 1);
    assert.equal(table.recalculate(q1), 0);
    table.update(q0, 0);
    assert.equal(table.recalculate(q0), 0);
  });
});
