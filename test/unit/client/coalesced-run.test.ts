import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoalescedRun } from '../../../src/client/coalesced-run.js';
import { deferred } from '../../helpers/wait.js';

describe('CoalescedRun', () => {
  it('never runs two passes at once; requests during a pass make exactly one more', async () => {
    let running = 0;
    let passes = 0;
    const gates = [deferred(), deferred()];
    const run = new CoalescedRun(async () => {
      running++;
      assert.equal(running, 1, 'one pass at a time');
      await gates[passes]?.promise;
      passes++;
      running--;
    });
    const first = run.request();
    // Three requests while the first pass waits: one more pass serves them all.
    const during = [run.request(), run.request(), run.request()];
    assert.equal(run.running, first);
    gates[0]!.resolve();
    gates[1]!.resolve();
    await Promise.all([first, ...during]);
    assert.equal(passes, 2);
    assert.equal(run.running, undefined);
    await run.request();
    assert.equal(passes, 3, 'a request after the run starts a new one');
  });

  it('a pass returning false ends the run even when more was requested', async () => {
    let passes = 0;
    const gate = deferred();
    const run = new CoalescedRun(async () => {
      passes++;
      await gate.promise;
      return false;
    });
    const first = run.request();
    void run.request();
    gate.resolve();
    await first;
    assert.equal(passes, 1);
  });

  it('a failing pass rejects the callers and leaves the runner usable', async () => {
    let fail = true;
    const run = new CoalescedRun(() => (fail ? Promise.reject(new Error('boom')) : Promise.resolve()));
    await assert.rejects(run.request(), /boom/);
    fail = false;
    await run.request();
    assert.equal(run.running, undefined);
  });
});
