import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { silentLogger } from '../../../src/common/logger.js';
import { MessageExt, MessageExtBrokerInner, MessageSysFlag } from '../../../src/protocol/message/index.js';
import { decodeStoredMessage, encodeStoredMessage, readStoredPropertiesString } from '../../../src/protocol/message/message-decoder.js';
import { TransactionalOpBatch } from '../../../src/broker/transaction/transactional-op-batch.js';
import {
  immunityMillis,
  isHalfMessageSend,
  parseOpBody,
  toCommittedMessage,
  toHalfMessage,
} from '../../../src/broker/transaction/transactional-message-util.js';

describe('transactional message rules', () => {
  it('a half message is TRAN_MSG=true, except a retried copy resent with a delay level (Java < 4.6.1 clients)', () => {
    const props = (entries: [string, string][]): Map<string, string> => new Map(entries);
    assert.equal(isHalfMessageSend(props([['TRAN_MSG', 'true']]), 0), true);
    assert.equal(isHalfMessageSend(props([['TRAN_MSG', 'TRUE']]), 0), true, 'Boolean.parseBoolean ignores case');
    assert.equal(isHalfMessageSend(props([['TRAN_MSG', 'false']]), 0), false);
    assert.equal(isHalfMessageSend(props([]), 0), false);
    assert.equal(isHalfMessageSend(props([['TRAN_MSG', 'true'], ['DELAY', '3']]), 1), false, 'a consumer retry of a committed message');
    assert.equal(isHalfMessageSend(props([['TRAN_MSG', 'true'], ['DELAY', '3']]), 0), true);
    assert.equal(isHalfMessageSend(props([['TRAN_MSG', 'true']]), 2), true);
  });

  it('moves a half message to queue 0 of the half topic and back, keeping what Java keeps', () => {
    const msg = new MessageExtBrokerInner();
    msg.topic = 'Orders';
    msg.queueId = 3;
    msg.sysFlag = MessageSysFlag.TRANSACTION_PREPARED_TYPE | MessageSysFlag.COMPRESSED_FLAG;
    msg.body = Buffer.from('x');
    msg.properties = new Map([['UNIQ_KEY', 'U1'], ['TRAN_MSG', 'true'], ['PGROUP', 'G']]);
    const half = toHalfMessage(msg);
    assert.equal(half.topic, 'RMQ_SYS_TRANS_HALF_TOPIC');
    assert.equal(half.queueId, 0);
    assert.equal(half.sysFlag, MessageSysFlag.COMPRESSED_FLAG, 'transaction bits cleared, others kept');
    assert.deepEqual([...half.properties], [['UNIQ_KEY', 'U1'], ['TRAN_MSG', 'true'], ['PGROUP', 'G'], ['__transactionId__', 'U1'], ['REAL_TOPIC', 'Orders'], ['REAL_QID', '3']]);

    const stored = Object.assign(new MessageExt(), { topic: half.topic, queueId: 0, sysFlag: half.sysFlag, body: half.body, commitLogOffset: 4096, queueOffset: 7 });
    stored.properties = new Map(half.properties);
    const committed = toCommittedMessage(stored);
    assert.equal(committed.topic, 'Orders');
    assert.equal(committed.queueId, 3);
    assert.equal(committed.sysFlag, MessageSysFlag.COMPRESSED_FLAG | MessageSysFlag.TRANSACTION_COMMIT_TYPE);
    assert.equal(committed.preparedTransactionOffset, 4096);
    assert.equal(committed.properties.get('REAL_TOPIC'), 'Orders', 'kept in the delivered copy, as Java does');
    assert.equal(committed.properties.get('TRAN_MSG'), 'true');
  });

  it('stores the committed record with the half record\'s properties string and body CRC, WAIT as the half had it (Java 5.3.3)', () => {
    const msg = new MessageExtBrokerInner();
    msg.topic = 'Orders';
    msg.queueId = 1;
    msg.sysFlag = MessageSysFlag.TRANSACTION_PREPARED_TYPE;
    msg.body = Buffer.from('order 42');
    msg.bornHost = msg.storeHost = { address: '127.0.0.1', port: 10911 };
    msg.properties = new Map([['WAIT', 'true'], ['UNIQ_KEY', 'U1'], ['TRAN_MSG', 'true'], ['PGROUP', 'G'], ['KEYS', 'k1']]);
    const halfRecord = encodeStoredMessage(toHalfMessage(msg), 8192, 5);
    const half = decodeStoredMessage(halfRecord, 0, { copyBody: false });
    const committed = toCommittedMessage(half);
    const record = decodeStoredMessage(encodeStoredMessage(committed, 16384, 9), 0, { checkCRC: true });
    assert.equal(readStoredPropertiesString(encodeStoredMessage(committed, 0, 0)), readStoredPropertiesString(halfRecord));
    assert.equal(record.bodyCRC, half.bodyCRC);
    assert.deepEqual([record.topic, record.queueId, record.body.toString(), record.getProperty('WAIT'), record.getProperty('REAL_QID')], ['Orders', 1, 'order 42', 'true', '1']);
    // A changed property is stored from the map, not the string read.
    committed.putProperty('KEYS', 'k2');
    assert.equal(decodeStoredMessage(encodeStoredMessage(committed, 0, 0)).getProperty('KEYS'), 'k2');
  });

  it('reads both op body forms, and skips what is not an offset', () => {
    assert.deepEqual(parseOpBody(Buffer.from('17')), [17], '4.9: one offset');
    assert.deepEqual(parseOpBody(Buffer.from('17,18,21,')), [17, 18, 21], '5.x: a batch');
    assert.deepEqual(parseOpBody(Buffer.from('1,x,,-3, 4 ,')), [1, 4]);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 2 ** 40 })), (offsets) => {
        assert.deepEqual(parseOpBody(Buffer.from(offsets.map((o) => `${o},`).join(''))), offsets);
      }),
    );
  });

  it('the check immunity is the producer\'s CHECK_IMMUNITY_TIME_IN_SECONDS, never less than transactionTimeOut', () => {
    assert.equal(immunityMillis(undefined, 6000), 6000);
    assert.equal(immunityMillis('10', 6000), 10_000);
    assert.equal(immunityMillis('1', 6000), 6000);
    assert.equal(immunityMillis('junk', 6000), 6000);
  });
});

describe('TransactionalOpBatch', () => {
  const batch = (maxSize: number, interval: number, written: { queueId: number; body: string }[]): TransactionalOpBatch =>
    new TransactionalOpBatch({
      maxSize: () => maxSize,
      interval: () => interval,
      write: (queueId, body) => {
        written.push({ queueId, body });
        return Promise.resolve(true);
      },
      logger: silentLogger,
    });

  it('writes one record per queue once the interval passed, and at once when the text reaches the size', async () => {
    const written: { queueId: number; body: string }[] = [];
    const ops = batch(10, 60_000, written);
    ops.add(0, 1);
    ops.add(0, 2);
    assert.deepEqual(written, [], 'held for the interval');
    ops.add(0, 345); // "1,2,345," is 8 characters: still held
    ops.add(0, 67); // 11: over the size, written now
    await ops.flushDue();
    assert.deepEqual(written, [{ queueId: 0, body: '1,2,345,67,' }]);
    ops.add(1, 9);
    await ops.stop();
    assert.deepEqual(written.at(-1), { queueId: 1, body: '9,' }, 'a graceful stop writes what is pending');
  });

  it('writes every finished offset exactly once, in the order they were added', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat({ max: 2 }), fc.nat({ max: 10_000 })), { maxLength: 200 }), fc.integer({ min: 1, max: 40 }), async (adds, maxSize) => {
        const written: { queueId: number; body: string }[] = [];
        const ops = batch(maxSize, 60_000, written);
        for (const [queueId, offset] of adds) ops.add(queueId, offset);
        await ops.stop();
        for (const queueId of [0, 1, 2]) {
          const expected = adds.filter(([q]) => q === queueId).map(([, o]) => o);
          const got = written.filter((w) => w.queueId === queueId).flatMap((w) => parseOpBody(Buffer.from(w.body)));
          assert.deepEqual(got, expected);
        }
      }),
      { numRuns: 50 },
    );
  });
});
