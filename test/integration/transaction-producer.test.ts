/**
 * Our TransactionProducer against our broker (issue 14): commit, rollback, a throwing local transaction, UNKNOW
 * resolved by the broker's check (answered by the checker, with instrumentation events), and a PushConsumer that
 * receives exactly the committed messages; a transaction left open by a member that shut down, and one sent just
 * before a broker restart. The broker checks every 200 ms once a half message is 1.5 s old.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrokerConfig } from '../../src/broker/broker-config.js';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import {
  PushConsumer,
  TransactionProducer,
  TransactionState,
  type ConsumerMessage,
  type LocalTransactionState,
  type TransactionCheckPayload,
  type TransactionEndPayload,
} from '../../src/index.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { freePort } from '../helpers/java.js';
import { waitFor } from '../helpers/wait.js';

const TOPIC = 'TsTxTopic';
const GROUP = 'TsTxProducer';

describe('TransactionProducer with our broker', () => {
  let dir: string;
  let namesrv: NamesrvController;
  let namesrvAddr: string;
  let broker: BrokerController;
  let brokerConfig: Partial<BrokerConfig>;
  let producer: TransactionProducer;
  let consumer: PushConsumer;
  const received: ConsumerMessage[] = [];
  const checked: string[] = [];
  const ends: TransactionEndPayload[] = [];
  const checks: TransactionCheckPayload[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-tsx-'));
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    // A half message is checked once 1.5 s old: past the producer's first heartbeat to the broker (1 s after its
    // start, as Java's), before which the broker knows no member of the group (a check then still counts).
    // A fixed port, so that the broker can be restarted where the clients know it.
    brokerConfig = { listenPort: await freePort(), transactionCheckInterval: 200, transactionTimeOut: 1500, transactionCheckMax: 5, transactionOpBatchInterval: 50 };
    broker = await startTestBroker(dir, namesrvAddr, { broker: brokerConfig });
    producer = new TransactionProducer({
      group: GROUP,
      nameServer: namesrvAddr,
      heartbeatBrokerInterval: 1000, // a restarted broker soon knows the group again
      checkLocalTransaction: (msg): LocalTransactionState => {
        checked.push(msg.keys ?? '');
        // The message is shown in its real topic; UNKNOW-then-commit messages commit on their second check, those
        // left by another member or sent before a restart on their first.
        assert.equal(msg.topic, TOPIC);
        if (msg.keys === 'orphan' || msg.keys === 'across-restart') return TransactionState.COMMIT;
        return msg.keys === 'unknown-then-commit' && checked.filter((k) => k === msg.keys).length >= 2 ? TransactionState.COMMIT : TransactionState.UNKNOWN;
      },
    });
    producer.on(TransactionProducer.events.TRANSACTION_END, (e) => void ends.push(e.payload));
    producer.on(TransactionProducer.events.TRANSACTION_CHECK, (e) => void checks.push(e.payload));
    await producer.start();
    consumer = new PushConsumer({
      group: 'TsTxConsumer',
      nameServer: namesrvAddr,
      consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
    });
    consumer.subscribe(TOPIC, '*', (msg) => {
      received.push(msg);
    });
  });
  after(async () => {
    await consumer?.shutdown();
    await producer?.shutdown();
    await broker?.shutdown();
    await namesrv?.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it('commits, rolls back, treats a throw as UNKNOW, and answers the broker\'s checks', async () => {
    const commit = await producer.sendMessageInTransaction({ topic: TOPIC, body: 'c', keys: 'commit' }, () => TransactionState.COMMIT);
    assert.equal(commit.status, 'SEND_OK');
    assert.equal(commit.localTransactionState, 'COMMIT_MESSAGE');
    assert.equal(commit.transactionId, commit.msgId, 'our broker answers the UNIQ_KEY as transactionId');
    const rollback = await producer.sendMessageInTransaction({ topic: TOPIC, body: 'r', keys: 'rollback' }, () => Promise.resolve(TransactionState.ROLLBACK));
    assert.equal(rollback.localTransactionState, 'ROLLBACK_MESSAGE');
    const thrown = await producer.sendMessageInTransaction({ topic: TOPIC, body: 't', keys: 'throws' }, () => {
      throw new Error('database down');
    });
    assert.equal(thrown.localTransactionState, 'UNKNOW');
    const later = await producer.sendMessageInTransaction({ topic: TOPIC, body: 'u', keys: 'unknown-then-commit', delayLevel: 3 }, () => TransactionState.UNKNOWN);
    assert.equal(later.localTransactionState, 'UNKNOW');

    await consumer.start();
    await waitFor(() => received.some((m) => m.keys[0] === 'unknown-then-commit'), 20_000, 'the message committed by a check');
    await waitFor(() => checked.filter((k) => k === 'throws').length >= 5, 20_000, 'the checks of the thrown one');
    assert.deepEqual(received.map((m) => m.keys[0]).sort(), ['commit', 'unknown-then-commit'], 'exactly the committed messages, once each');
    assert.equal(checked.filter((k) => k === 'commit' || k === 'rollback').length, 0, 'ended transactions are never checked');
    assert.equal(checked.filter((k) => k === 'unknown-then-commit').length, 2);
    const committedByCheck = received.find((m) => m.keys[0] === 'unknown-then-commit')!;
    assert.equal(committedByCheck.properties['TRANSACTION_CHECK_TIMES'], '2');
    assert.equal(committedByCheck.properties['DELAY'], undefined, 'the delay level is dropped from a transactional message, as Java does');

    const thrownEnd = ends.find((e) => e.msgId === thrown.msgId && !e.fromTransactionCheck);
    assert.equal(thrownEnd?.state, 'UNKNOW');
    assert.match(thrownEnd?.error ?? '', /database down/);
    const byCheck = ends.find((e) => e.msgId === later.msgId && e.fromTransactionCheck && e.state === 'COMMIT_MESSAGE');
    assert.ok(byCheck !== undefined, 'a transaction_end event for the commit answering a check');
    const secondCheck = checks.find((c) => c.msgId === later.msgId && c.state === 'COMMIT_MESSAGE');
    assert.equal(secondCheck?.checkTimes, 2);
    assert.equal(secondCheck?.topic, TOPIC);
  });

  it('asks the member still there about a transaction another one left open, and checks across a broker restart', async () => {
    const leavingChecked: string[] = [];
    const leaving = new TransactionProducer({
      group: GROUP,
      nameServer: namesrvAddr,
      checkLocalTransaction: (msg) => {
        leavingChecked.push(msg.keys ?? '');
        return TransactionState.UNKNOWN;
      },
    });
    await leaving.start();
    await leaving.sendMessageInTransaction({ topic: TOPIC, body: 'o', keys: 'orphan' }, () => TransactionState.UNKNOWN);
    await leaving.shutdown(); // before the half message is old enough to be checked
    await waitFor(() => received.some((m) => m.keys[0] === 'orphan'), 20_000, 'the orphan committed by the member still there');
    assert.deepEqual(leavingChecked, []);

    await producer.sendMessageInTransaction({ topic: TOPIC, body: 'a', keys: 'across-restart' }, () => TransactionState.UNKNOWN);
    await broker.shutdown();
    broker = await startTestBroker(dir, namesrvAddr, { broker: brokerConfig });
    await waitFor(() => received.some((m) => m.keys[0] === 'across-restart'), 30_000, 'the commit of a check after the restart');
    // Asked at least once. A second check comes, here as in Java, when the COMMIT answering the first reaches the
    // broker more than transactionTimeOut (1.5 s) after it was asked, which a loaded machine does: the check has
    // renewed the half message by then, and the second COMMIT ends that copy too, so the message is delivered once
    // per check answered (at least once, as Java). With one check each, that is exactly once.
    const keys = received.map((m) => m.keys[0]);
    for (const key of ['orphan', 'across-restart']) {
      const checks = checked.filter((k) => k === key).length;
      const deliveries = keys.filter((k) => k === key).length;
      assert.ok(checks >= 1 && deliveries >= 1 && deliveries <= checks, `${key}: ${checks} checks, ${deliveries} deliveries`);
    }
    assert.deepEqual([...new Set(keys)].sort(), ['across-restart', 'commit', 'orphan', 'unknown-then-commit']);
    assert.deepEqual(keys.filter((k) => k === 'commit' || k === 'unknown-then-commit').sort(), ['commit', 'unknown-then-commit'], 'once each');
  });
});
