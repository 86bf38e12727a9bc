import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LitePullConsumer, MQClientError } from '../../../../src/client/index.js';

/** What the LitePullConsumer refuses before any I/O. */
describe('LitePullConsumer without a broker', () => {
  const base = { nameServer: '127.0.0.1:9', group: 'LiteUnitCG' };

  it('refuses settings Java refuses', () => {
    assert.throws(() => new LitePullConsumer({ ...base, autoCommitIntervalMillis: 999 }), RangeError, 'below MIN_AUTOCOMMIT_INTERVAL_MILLIS');
    assert.throws(() => new LitePullConsumer({ ...base, pullBatchSize: 0 }), RangeError);
    assert.throws(() => new LitePullConsumer({ ...base, pollTimeoutMillis: -1 }), RangeError);
    assert.throws(() => new LitePullConsumer({ ...base, brokerSuspendMaxTimeMillis: 30_000 }), RangeError, 'the client must outwait the broker');
    assert.throws(() => new LitePullConsumer({ ...base, group: 'bad group' }), MQClientError);
    assert.doesNotThrow(() => new LitePullConsumer({ ...base, autoCommitIntervalMillis: 1000, pollTimeoutMillis: 0 }));
  });

  it('subscribe and assign exclude each other, either way round', () => {
    const subscribed = new LitePullConsumer(base);
    subscribed.subscribe('T');
    assert.throws(() => subscribed.assign([{ topic: 'T', brokerName: 'b', queueId: 0 }]), /mutually exclusive/);
    const assigned = new LitePullConsumer(base);
    assigned.assign([{ topic: 'T', brokerName: 'b', queueId: 0 }]);
    assert.throws(() => assigned.subscribe('T', '*'), /mutually exclusive/);
    assert.throws(() => new LitePullConsumer(base).assign([]), MQClientError);
    assert.throws(() => new LitePullConsumer(base).subscribe('T', '||'), RangeError, 'an expression naming no tag');
  });

  it('every call that needs the broker is refused before start', async () => {
    const consumer = new LitePullConsumer(base);
    const mq = { topic: 'T', brokerName: 'b', queueId: 0 };
    await assert.rejects(consumer.poll(0), MQClientError);
    await assert.rejects(consumer.commit(), MQClientError);
    await assert.rejects(consumer.seek(mq, 0), MQClientError);
    await assert.rejects(consumer.committed(mq), MQClientError);
    await assert.rejects(consumer.fetchMessageQueues('T'), MQClientError);
    assert.deepEqual(consumer.assignment(), []);
    await consumer.shutdown();
  });
});
