import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Semaphore, type Release } from '../../../src/common/semaphore.js';

/** Lets every already-settled promise callback run (no timers involved). */
async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

function acquireNow(sem: Semaphore): Release {
  const r = sem.tryAcquire(0);
  assert.equal(typeof r, 'function', 'expected a permit synchronously');
  return r as Release;
}

void describe('Semaphore', () => {
  void it('hands out permits synchronously while there are some', () => {
    const sem = new Semaphore(3);
    assert.equal(sem.permits, 3);
    assert.equal(sem.availablePermits, 3);
    const a = acquireNow(sem);
    acquireNow(sem);
    assert.equal(sem.availablePermits, 1);
    a();
    assert.equal(sem.availablePermits, 2);
  });

  void it('tryAcquire(0) returns undefined, not a promise, when exhausted', () => {
    const sem = new Semaphore(1);
    acquireNow(sem);
    assert.equal(sem.tryAcquire(0), undefined);
    assert.equal(sem.tryAcquire(-5), undefined);
    assert.equal(sem.availablePermits, 0);
    assert.equal(new Semaphore(0).tryAcquire(0), undefined);
  });

  void it('a release function called twice releases once', () => {
    const sem = new Semaphore(2);
    const r = acquireNow(sem);
    r();
    r();
    assert.equal(sem.availablePermits, 2);
    const again = acquireNow(sem);
    acquireNow(sem);
    r(); // a stale release must not free a permit someone else now holds
    assert.equal(sem.availablePermits, 0);
    again();
    assert.equal(sem.availablePermits, 1);
  });

  void it('grants waiting acquires on release, in FIFO order', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const sem = new Semaphore(1);
    const first = acquireNow(sem);
    const order: string[] = [];
    const waiters = ['w1', 'w2', 'w3'].map((name) => {
      const p = sem.tryAcquire(1000);
      assert.ok(p instanceof Promise);
      return p.then((release) => {
        order.push(name);
        return release;
      });
    });
    await flushMicrotasks();
    assert.deepEqual(order, []);

    first();
    const r1 = await waiters[0];
    assert.equal(typeof r1, 'function');
    await flushMicrotasks();
    assert.deepEqual(order, ['w1'], 'one release grants one waiter');
    assert.equal(sem.availablePermits, 0, 'the permit went to the waiter, not back to the pool');

    r1?.();
    const r2 = await waiters[1];
    r2?.();
    const r3 = await waiters[2];
    assert.deepEqual(order, ['w1', 'w2', 'w3']);
    r3?.();
    assert.equal(sem.availablePermits, 1);
  });

  void it('a queued waiter is not overtaken by a later tryAcquire(0)', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const sem = new Semaphore(1);
    const first = acquireNow(sem);
    const waiting = sem.tryAcquire(1000) as Promise<Release | undefined>;
    first();
    assert.equal(sem.tryAcquire(0), undefined, 'the freed permit belongs to the waiter');
    const r = await waiting;
    assert.equal(typeof r, 'function');
  });

  void it('a timed-out acquire resolves undefined and does not leak a permit', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const sem = new Semaphore(1);
    const held = acquireNow(sem);
    let settled = false;
    const waiting = (sem.tryAcquire(100) as Promise<Release | undefined>).then((r) => {
      settled = true;
      return r;
    });
    t.mock.timers.tick(99);
    await flushMicrotasks();
    assert.equal(settled, false, 'resolved before its timeout');
    t.mock.timers.tick(1);
    assert.equal(await waiting, undefined);

    held();
    assert.equal(sem.availablePermits, 1, 'the permit went to the pool, not to the timed-out waiter');
    const again = acquireNow(sem);
    assert.equal(sem.availablePermits, 0);
    again();
    assert.equal(sem.availablePermits, 1);
  });

  void it('a timed-out waiter is skipped: the next waiter in line gets the permit', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const sem = new Semaphore(1);
    const held = acquireNow(sem);
    const short = sem.tryAcquire(10) as Promise<Release | undefined>;
    const long = sem.tryAcquire(1000) as Promise<Release | undefined>;
    t.mock.timers.tick(10);
    assert.equal(await short, undefined);
    held();
    const r = await long;
    assert.equal(typeof r, 'function');
    assert.equal(sem.availablePermits, 0);
    // The granted waiter's timer was cancelled: letting it expire changes nothing.
    t.mock.timers.tick(2000);
    await flushMicrotasks();
    assert.equal(sem.availablePermits, 0);
    r?.();
    assert.equal(sem.availablePermits, 1);
  });

  void it('a granted permit is release-once too', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const sem = new Semaphore(1);
    const held = acquireNow(sem);
    const a = sem.tryAcquire(1000) as Promise<Release | undefined>;
    const b = sem.tryAcquire(1000) as Promise<Release | undefined>;
    held();
    const ra = await a;
    ra?.();
    ra?.(); // must not also grant a second permit
    const rb = await b;
    assert.equal(typeof rb, 'function');
    assert.equal(sem.availablePermits, 0);
    rb?.();
    assert.equal(sem.availablePermits, 1);
  });
});
