import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PopLongPollingService } from '../../../../src/broker/pop/pop-long-polling-service.js';

describe('PopLongPollingService', () => {
  const limits = () => ({ maxPopPollingSize: 100, popPollingSize: 2 });

  it('drops a parked pop at once when its requester aborts: no place held under the limits, no later wake-up', async () => {
    const service = new PopLongPollingService(limits);
    const controller = new AbortController();
    const started = Date.now();
    const parked = service.polling(['T', '%RETRY%G_T'], 'G', -1, 60_000, controller.signal);
    assert.ok(parked !== undefined);
    assert.equal(service.pollingNum, 1);
    assert.equal(service.pollingNumOf('T', 'G', -1), 1);
    controller.abort();
    assert.equal(service.pollingNum, 0, 'removed synchronously on abort');
    assert.equal(service.pollingNumOf('T', 'G', -1), 0);
    assert.equal(await parked, false, 'resolved as not woken');
    assert.ok(Date.now() - started < 1000, 'not held until its timeout');
    // Its place is free again: two more fit the per-key limit of 2, a third does not.
    const a = service.polling(['T'], 'G', -1, 50);
    const b = service.polling(['T'], 'G', -1, 50);
    assert.ok(a !== undefined && b !== undefined);
    assert.equal(service.polling(['T'], 'G', -1, 50), undefined);
    service.notifyMessageArriving('T', 0);
    assert.deepEqual(await Promise.all([a, b]), [true, true]);
  });

  it('a woken or timed-out pop ignores a later abort', async () => {
    const service = new PopLongPollingService(limits);
    const controller = new AbortController();
    const parked = service.polling(['T'], 'G', 0, 20, controller.signal);
    assert.equal(await parked, false);
    controller.abort();
    assert.equal(service.pollingNum, 0);
  });
});
