/**
 * Our TransactionProducer against our broker (issue 14): commit, rollback, a throwing local transaction, UNKNOW
 * resolved by the broker's check (answered by the checker, with instrumentation events), and a PushConsumer that
 * receives exactly the committed messages. The broker checks every 200 ms once a half message is 1.5 s old.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
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
import { waitFor } from '../helpers/wait.js';

const TOPIC = 'TsTxTopic';
const GROUP = 'TsTxProducer';

describe('TransactionProducer with our broker', () => {
  let dir: string;
  let namesrv: NamesrvController;
  let namesrvAddr: string;
  let broker: BrokerController;
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
    broker = await startTestBroker(dir, namesrvAddr, { broker: { transactionCheckInterval: 200, transactionTimeOut: 1500, transactionCheckMax: 5, transactionOpBatchInterval: 50 } });
    producer = new TransactionProducer({
      group: GROUP,
      nameServer: namesrvAddr,
      checkLocalTransaction: (msg): LocalTransactionState => {
        checked.push(msg.keys ?? '');
        // The message is shown in its real topic; UNKNOW-then-commit messages commit on their second check.
        assert.equal(msg.topic, TOPIC);
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
});
