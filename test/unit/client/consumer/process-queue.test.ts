import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
