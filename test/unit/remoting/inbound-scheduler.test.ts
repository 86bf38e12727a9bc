import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InboundScheduler, type InboundQueue } from '../../../src/remoting/inbound-scheduler.js';

/** A queue of `frames` frames that each keep the CPU busy for `millis`, recording when each ran. */
function busyQueue(name: string, frames: number, millis: number, log: string[]): InboundQueue & { left: number; dropped: boolean } {
  return {
    scheduled: false,
    left: frames,
    dropped: false,
    runQueued(deadline: number): boolean {
      while (this.left > 0) {
        const until = performance.now() + millis;
        while (performance.now() < until);
        this.left--;
        log.push(name);
        if (this.left > 0 && performance.now() >= deadline) break;
      }
      return this.left > 0;
    },
    dropQueued(): void {
      this.left = 0;
      this.dropped = true;
    },
  };
}

describe('InboundScheduler', () => {
  it('runs a queue at once while the turn lasts, and the rest in later turns that let the loop poll in between', async () => {
    const log: string[] = [];
    const scheduler = new InboundScheduler(2);
    const queue = busyQueue('a', 20, 0.5, log);
    scheduler.offer(queue);
    const inline = log.length;
    assert.ok(inline >= 1 && inline <= 6, `${inline} frames ran inline in a 2 ms turn`);
    assert.equal(queue.scheduled, true, 'the rest waits in the ready list');
    // Each turn ends in an event-loop iteration of its own: count the iterations a timer-free poll sees.
    let polls = 0;
    const poll = (): void => {
      polls++;
      if (queue.left > 0) setImmediate(poll);
    };
    setImmediate(poll);
    while (queue.left > 0) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(log.length, 20);
    assert.ok(polls >= 4, `the loop came back ${polls} times while 18 frames of 0.5 ms ran in 2 ms turns`);
  });

  it('takes queues in turn, so a long one does not hold the others back', async () => {
    const log: string[] = [];
    const scheduler = new InboundScheduler(1);
    const long = busyQueue('long', 40, 0.3, log);
    const short = busyQueue('short', 1, 0, log);
    scheduler.offer(long);
    scheduler.offer(short);
    while (long.left > 0 || short.left > 0) await new Promise((resolve) => setImmediate(resolve));
    const shortAt = log.indexOf('short');
    assert.ok(shortAt > 0 && shortAt < 15, `the short queue ran after ${shortAt} frames of the long one`);
  });

  it('drops what waits when stopped, and whatever is offered after', () => {
    const log: string[] = [];
    const scheduler = new InboundScheduler(0.01);
    const first = busyQueue('first', 10, 0.1, log);
    scheduler.offer(first);
    scheduler.stop();
    assert.equal(first.dropped, true);
    const late = busyQueue('late', 1, 0, log);
    scheduler.offer(late);
    assert.equal(late.dropped, true);
    assert.ok(!log.includes('late'));
  });
});
