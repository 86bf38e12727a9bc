import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProcessQueue } from '../../../../src/client/consumer/process-queue.js';
import { buildSubscriptionData, tagMatches } from '../../../../src/client/consumer/subscription.js';
import { MessageExt, javaStringHashCode } from '../../../../src/index.js';

function msg(queueOffset: number, bodyLength = 10): MessageExt {
  const m = new MessageExt('T', Buffer.alloc(bodyLength));
  m.queueOffset = queueOffset;
  return m;
}

describe('ProcessQueue offset bookkeeping', () => {
  it('commits the lowest offset still in flight, whatever order completions come in', () => {
    const pq = new ProcessQueue();
    const msgs = [10, 11, 12, 13].map((o) => msg(o));
    pq.putMessage(msgs);
    assert.equal(pq.msgCount, 4);
    assert.equal(pq.msgSize, 40);
    assert.equal(pq.maxSpan, 3);
    assert.equal(pq.removeMessage([msgs[2] as MessageExt]), 10, 'offset 10 still in flight');
    assert.equal(pq.removeMessage([msgs[1] as MessageExt]), 10);
    assert.equal(pq.removeMessage([msgs[0] as MessageExt]), 13, 'next held is 13');
    assert.equal(pq.removeMessage([msgs[3] as MessageExt]), 14, 'none held: one past the newest');
    assert.equal(pq.msgCount, 0);
    assert.equal(pq.msgSize, 0);
    assert.equal(pq.removeMessage([msgs[3] as MessageExt]), -1, 'nothing held');
  });

  it('ignores a message pulled twice', () => {
    const pq = new ProcessQueue();
    pq.putMessage([msg(1), msg(2)]);
    pq.putMessage([msg(2), msg(3)]);
    assert.equal(pq.msgCount, 3);
    assert.equal(pq.msgSize, 30);
  });

  it('keeps its bookkeeping when thousands of the oldest are consumed at once and the rest later', () => {
    const pq = new ProcessQueue();
    const msgs = Array.from({ length: 3000 }, (_, i) => msg(i, 1));
    pq.putMessage(msgs);
    assert.equal(pq.removeMessage(msgs.slice(0, 2000)), 2000);
    assert.equal(pq.minOffset, 2000);
    assert.equal(pq.maxSpan, 999);
    assert.equal(pq.removeMessage(msgs.slice(2000, 2500)), 2500);
    pq.putMessage([msg(3000, 1)]);
    assert.equal(pq.maxSpan, 500);
    assert.equal(pq.msgCount, 501);
    assert.deepEqual(pq.takeMessages(2).map((m) => m.queueOffset), [2500, 2501]);
  });

  it('agrees with a sorted-set model under any mix of pulls, completions and orderly batches (over 2000 offsets)', () => {
    type Op = { kind: 'pull'; count: number } | { kind: 'done'; picks: number[] } | { kind: 'oldestDone'; n: number } | { kind: 'take'; n: number } | { kind: 'commit' } | { kind: 'again' };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('pull' as const), count: fc.integer({ min: 1, max: 400 }) }),
      fc.record({ kind: fc.constant('done' as const), picks: fc.array(fc.nat(), { maxLength: 300 }) }),
      fc.record({ kind: fc.constant('oldestDone' as const), n: fc.integer({ min: 1, max: 1500 }) }),
      fc.record({ kind: fc.constant('take' as const), n: fc.integer({ min: 1, max: 40 }) }),
      fc.record({ kind: fc.constant('commit' as const) }),
      fc.record({ kind: fc.constant('again' as const) }),
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      const pq = new ProcessQueue();
      const held = new Map<number, MessageExt>();
      let batch: MessageExt[] = [];
      let next = 0;
      for (const o of ops) {
        if (o.kind === 'pull') {
          const pulled = Array.from({ length: o.count }, (_, i) => msg(next + i, 1));
          next += o.count;
          pq.putMessage(pulled);
          for (const m of pulled) held.set(m.queueOffset, m);
        } else if (o.kind === 'done' || o.kind === 'oldestDone') {
          const sorted = [...held.keys()].sort((a, b) => a - b);
          const picked = o.kind === 'done' ? o.picks.map((p) => sorted[p % Math.max(1, sorted.length)]) : sorted.slice(0, o.n);
          const done = picked.map((offset) => held.get(offset as number)).filter((m): m is MessageExt => m !== undefined);
          const wasHeld = held.size > 0;
          for (const m of done) held.delete(m.queueOffset);
          const rest = [...held.keys()];
          const expected = !wasHeld ? -1 : rest.length === 0 ? next : Math.min(...rest);
          assert.equal(pq.removeMessage(done), expected);
        } else if (o.kind === 'take') {
          if (batch.length > 0) continue;
          batch = pq.takeMessages(o.n);
          const expected = [...held.keys()].sort((a, b) => a - b).slice(0, o.n);
          assert.deepEqual(batch.map((m) => m.queueOffset), expected);
          for (const m of batch) held.delete(m.queueOffset);
        } else if (o.kind === 'commit') {
          assert.equal(pq.commit(), batch.length === 0 ? -1 : Math.max(...batch.map((m) => m.queueOffset)) + 1);
          batch = [];
        } else {
          pq.makeMessageToConsumeAgain(batch);
          for (const m of batch) held.set(m.queueOffset, m);
          batch = [];
        }
        const offsets = [...held.keys()].sort((a, b) => a - b);
        assert.equal(pq.msgCount, held.size + batch.length);
        assert.equal(pq.msgSize, held.size + batch.length);
        assert.equal(pq.maxSpan, offsets.length === 0 ? 0 : (offsets.at(-1) as number) - (offsets[0] as number));
        const batchMin = batch.length === 0 ? undefined : Math.min(...batch.map((m) => m.queueOffset));
        const heldMin = offsets[0];
        assert.equal(pq.minOffset, heldMin === undefined ? batchMin : batchMin === undefined ? heldMin : Math.min(heldMin, batchMin));
      }
    }), { numRuns: 300 });
  });

  it('orderly: takes in order, puts a failed batch back first, commits one past the batch', () => {
    const pq = new ProcessQueue();
    assert.equal(pq.putMessage([msg(5), msg(6), msg(7)]), true, 'dispatch to consume');
    assert.equal(pq.putMessage([msg(8)]), false, 'already consuming');
    const first = pq.takeMessages(1);
    assert.deepEqual(first.map((m) => m.queueOffset), [5]);
    pq.makeMessageToConsumeAgain(first);
    assert.deepEqual(pq.takeMessages(2).map((m) => m.queueOffset), [5, 6]);
    assert.equal(pq.commit(), 7);
    assert.equal(pq.msgCount, 2);
    assert.deepEqual(pq.takeMessages(5).map((m) => m.queueOffset), [7, 8]);
    assert.equal(pq.commit(), 9);
    assert.deepEqual(pq.takeMessages(1), []);
    assert.equal(pq.consuming, false);
    assert.equal(pq.commit(), -1);
  });
});

describe('subscription expressions and the client-side tag re-check', () => {
  it('builds tags and Java hash codes', () => {
    const sub = buildSubscriptionData('T', ' TagA || TagB ||TagA');
    assert.deepEqual(sub.tagsSet, ['TagA', 'TagB']);
    assert.deepEqual(sub.codeSet, [javaStringHashCode('TagA'), javaStringHashCode('TagB')]);
    assert.equal(sub.subString, 'TagA || TagB ||TagA');
    assert.equal(buildSubscriptionData('T', '').subString, '*');
    assert.throws(() => buildSubscriptionData('T', '||'));
  });

  it('rejects a tag whose hash code collides with a subscribed one', () => {
    // "Aa" and "BB" share a Java hashCode, so the broker lets both through.
    assert.equal(javaStringHashCode('Aa'), javaStringHashCode('BB'));
    const sub = buildSubscriptionData('T', 'Aa');
    assert.equal(tagMatches(sub, 'Aa'), true);
    assert.equal(tagMatches(sub, 'BB'), false);
    assert.equal(tagMatches(sub, undefined), false);
    assert.equal(tagMatches(buildSubscriptionData('T', '*'), undefined), true);
  });
});
