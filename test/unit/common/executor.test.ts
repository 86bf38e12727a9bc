import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedExecutor } from '../../../src/common/executor.js';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets settled promise callbacks (the executor's completion handlers) run. */
async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

void describe('BoundedExecutor', () => {
  void it('refuses nonsensical options', () => {
    assert.throws(() => new BoundedExecutor({ maxConcurrency: 0, queueCapacity: 1 }), RangeError);
    assert.throws(() => new BoundedExecutor({ maxConcurrency: NaN, queueCapacity: 1 }), RangeError);
    assert.throws(() => new BoundedExecutor({ maxConcurrency: 1, queueCapacity: -1 }), RangeError);
  });

  void it('runs at most maxConcurrency async tasks at once, the rest in FIFO order', async () => {
    const pool = new BoundedExecutor({ maxConcurrency: 3, queueCapacity: 100 });
    const gates = Array.from({ length: 10 }, () => deferred());
    const started: number[] = [];
    let running = 0;
    let peak = 0;
    gates.forEach((gate, i) => {
      assert.equal(
        pool.execute(async () => {
          started.push(i);
          running++;
          peak = Math.max(peak, running);
          await gate.promise;
          running--;
        }),
        true,
      );
    });
    assert.deepEqual(started, [0, 1, 2]);
    assert.equal(pool.activeCount, 3);
    assert.equal(pool.queuedCount, 7);

    // Finish tasks out of order: each completion admits exactly the next queued task.
    gates[1]?.resolve();
    await flushMicrotasks();
    assert.deepEqual(started, [0, 1, 2, 3]);
    assert.equal(pool.activeCount, 3);
    assert.equal(pool.queuedCount, 6);

    for (const gate of gates) gate.resolve();
    await flushMicrotasks();
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(peak, 3);
    assert.equal(pool.activeCount, 0);
    assert.equal(pool.queuedCount, 0);
  });

  void it('execute returns false once the queue is full, and accepts again after a drain', async () => {
    const pool = new BoundedExecutor({ maxConcurrency: 1, queueCapacity: 2 });
    const gate = deferred();
    const ran: string[] = [];
    assert.equal(pool.execute(() => gate.promise), true);
    assert.equal(pool.execute(() => void ran.push('q1')), true);
    assert.equal(pool.execute(() => void ran.push('q2')), true);
    assert.equal(pool.execute(() => void ran.push('refused')), false);
    assert.equal(pool.queuedCount, 2);
    gate.resolve();
    await flushMicrotasks();
    assert.deepEqual(ran, ['q1', 'q2']);
    assert.equal(pool.execute(() => void ran.push('later')), true);
    assert.deepEqual(ran, ['q1', 'q2', 'later'], 'an idle pool runs the task synchronously');
  });

  void it('queueCapacity 0: runs up to maxConcurrency, refuses the rest', () => {
    const pool = new BoundedExecutor({ maxConcurrency: 2, queueCapacity: 0 });
    const gate = deferred();
    assert.equal(pool.execute(() => gate.promise), true);
    assert.equal(pool.execute(() => gate.promise), true);
    assert.equal(pool.execute(() => gate.promise), false);
    gate.resolve();
  });

  void it('drains a long queue of synchronous tasks without growing the stack', async () => {
    const n = 200_000;
    const pool = new BoundedExecutor({ maxConcurrency: 1, queueCapacity: n });
    const gate = deferred();
    pool.execute(() => gate.promise);
    let count = 0;
    let inOrder = true;
    for (let i = 0; i < n; i++) {
      assert.equal(
        pool.execute(() => {
          if (count !== i) inOrder = false;
          count++;
        }),
        true,
      );
    }
    assert.equal(pool.queuedCount, n);
    gate.resolve();
    await flushMicrotasks();
    assert.equal(count, n);
    assert.ok(inOrder, 'queued tasks ran out of order');
    assert.equal(pool.activeCount, 0);
    assert.equal(pool.queuedCount, 0);
    // Still usable, and the queue was reset.
    assert.equal(pool.execute(() => void count++), true);
    assert.equal(count, n + 1);
  });

  void it('a task that throws synchronously does not wedge the pool', async () => {
    const pool = new BoundedExecutor({ maxConcurrency: 1, queueCapacity: 10 });
    const gate = deferred();
    const ran: string[] = [];
    pool.execute(() => gate.promise);
    pool.execute(() => {
      throw new Error('sync boom');
    });
    pool.execute(() => void ran.push('after-sync-throw'));
    gate.resolve();
    await flushMicrotasks();
    assert.deepEqual(ran, ['after-sync-throw']);
    assert.equal(pool.activeCount, 0);
    // Also when it is the first task of an idle pool.
    assert.equal(
      pool.execute(() => {
        throw new Error('idle boom');
      }),
      true,
    );
    assert.equal(pool.activeCount, 0);
  });

  void it('a task whose promise rejects frees its slot and causes no unhandled rejection', async () => {
    const pool = new BoundedExecutor({ maxConcurrency: 1, queueCapacity: 10 });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const failing = deferred();
      const ran: string[] = [];
      pool.execute(() => failing.promise);
      pool.execute(() => void ran.push('next'));
      failing.reject(new Error('async boom'));
      await flushMicrotasks();
      // unhandledRejection is emitted after the microtask queue drains; give it one macrotask turn.
      await new Promise<void>((resolve) => setImmediate(resolve));
      assert.deepEqual(ran, ['next']);
      assert.equal(pool.activeCount, 0);
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  void it('counts a slot busy until the async task settles, not until it returns', async () => {
    const pool = new BoundedExecutor({ maxConcurrency: 1, queueCapacity: 1 });
    const gate = deferred();
    pool.execute(async () => {
      await gate.promise;
    });
    assert.equal(pool.activeCount, 1);
    await flushMicrotasks();
    assert.equal(pool.activeCount, 1);
    gate.resolve();
    await flushMicrotasks();
    assert.equal(pool.activeCount, 0);
  });

  void it('a queued task that submits more work keeps every task and the concurrency bound', async () => {
    const pool = new BoundedExecutor({ maxConcurrency: 2, queueCapacity: 100 });
    const gates = [deferred(), deferred()];
    let peak = 0;
    const done: string[] = [];
    const track = (name: string, gate?: Promise<void>) => async (): Promise<void> => {
      peak = Math.max(peak, pool.activeCount);
      if (gate !== undefined) await gate;
      done.push(name);
    };
    pool.execute(track('a', gates[0]?.promise));
    pool.execute(track('b', gates[1]?.promise));
    pool.execute(() => {
      peak = Math.max(peak, pool.activeCount);
      done.push('spawner');
      pool.execute(track('child1'));
      pool.execute(track('child2'));
    });
    gates[0]?.resolve();
    gates[1]?.resolve();
    await flushMicrotasks();
    assert.deepEqual([...done].sort(), ['a', 'b', 'child1', 'child2', 'spawner']);
    assert.ok(peak <= 2, `peak concurrency ${peak}`);
    assert.equal(pool.activeCount, 0);
    assert.equal(pool.queuedCount, 0);
  });
});
