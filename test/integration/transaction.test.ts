/**
 * Transactional messages on our broker (issue 14), with the requests a Java TransactionMQProducer sends, written
 * by hand: a half message (SEND_MESSAGE_V2 with TRAN_MSG=true) is stored in RMQ_SYS_TRANS_HALF_TOPIC and invisible
 * in its topic; END_TRANSACTION commits it into its real queue (with the properties Java's broker leaves on it) or
 * rolls it back; bad requests answer Java's errors and change nothing; the outcome survives a restart. Java clients
 * send END_TRANSACTION oneway; here it is sent two-way, to read the answer.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode } from '../../src/index.js';
import { MessageSysFlag, createMessageId, decodeMessageId, decodeStoredMessage, messageProperties2String, parseHostAddress, type MessageExt } from '../../src/protocol/message/index.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

const TOPIC = 'TxTopic';
const GROUP = 'TxProducerGroup';
const HALF_TOPIC = 'RMQ_SYS_TRANS_HALF_TOPIC';
const OP_TOPIC = 'RMQ_SYS_TRANS_OP_HALF_TOPIC';
const COMMIT = 8;
const ROLLBACK = 12;

interface Half {
  uniqKey: string;
  msgId: string;
  queueId: number;
  queueOffset: number;
  commitLogOffset: number;
  transactionId: string | undefined;
}

describe('transactional messages on our broker', () => {
  let dir: string;
  let namesrv: NamesrvController;
  let namesrvAddr: string;
  let broker: BrokerController;
  let client: RemotingClient;
  let seq = 0;

  const start = async (): Promise<void> => {
    broker = await startTestBroker(dir, namesrvAddr, { broker: { transactionOpBatchInterval: 100 } });
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-tx-'));
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    await start();
    client = new RemotingClient();
    await client.start();
    const header = { topic: TOPIC, defaultTopic: 'TBW102', readQueueNums: 2, writeQueueNums: 2, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false };
    const created = await client.invokeSync(broker.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.UPDATE_AND_CREATE_TOPIC, header), 5000);
    assert.equal(created.code, ResponseCode.SUCCESS, created.remark);
  });
  after(async () => {
    await client?.shutdown();
    await broker?.shutdown();
    await namesrv?.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  const inTopic = (topic: string): number => broker.messageStore.getMaxOffsetInQueue(topic, 0) + broker.messageStore.getMaxOffsetInQueue(topic, 1);

  /** The stored messages of `topic` queue `queueId`. */
  const messagesOf = (topic: string, queueId: number): MessageExt[] => {
    const messages: MessageExt[] = [];
    for (const unit of broker.messageStore.iterateConsumeQueue(topic, queueId, 0, 1000)) {
      const msg = broker.messageStore.lookMessageByOffset(unit.pos);
      if (msg !== null) messages.push(msg);
    }
    return messages;
  };

  async function sendHalf(extra: Record<string, string> = {}, queueId = 1): Promise<Half> {
    const uniqKey = `TX${String(++seq).padStart(30, '0')}`;
    const properties = new Map([
      ['TAGS', 'TagTx'],
      ['KEYS', `tx-${seq}`],
      ['WAIT', 'true'],
      ['TRAN_MSG', 'true'],
      ['PGROUP', GROUP],
      ['UNIQ_KEY', uniqKey],
      ...Object.entries(extra),
    ]);
    const header = { a: GROUP, b: TOPIC, c: 'TBW102', d: 4, e: queueId, f: MessageSysFlag.TRANSACTION_PREPARED_TYPE, g: Date.now(), h: 0, i: messageProperties2String(properties), j: 0, k: false, m: false };
    const response = await client.invokeSync(broker.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.SEND_MESSAGE_V2, header, Buffer.from(`body ${seq}`)), 5000);
    assert.equal(response.code, ResponseCode.SUCCESS, response.remark);
    const fields = response.extFields ?? {};
    const msgId = fields['msgId'] ?? '';
    return {
      uniqKey,
      msgId,
      queueId: Number(fields['queueId']),
      queueOffset: Number(fields['queueOffset']),
      commitLogOffset: decodeMessageId(msgId).offset,
      transactionId: fields['transactionId'],
    };
  }

  function endTransaction(half: Half, state: number, overrides: Record<string, string | number | boolean> = {}): Promise<RemotingCommand> {
    const header = {
      producerGroup: GROUP,
      tranStateTableOffset: half.queueOffset,
      commitLogOffset: half.commitLogOffset,
      commitOrRollback: state,
      fromTransactionCheck: false,
      msgId: half.uniqKey,
      transactionId: half.uniqKey,
      topic: TOPIC,
      bname: 'broker-a',
      ...overrides,
    };
    return client.invokeSync(broker.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.END_TRANSACTION, header), 5000);
  }

  it('keeps a half message out of its topic, and answers what the Java client reads back', async () => {
    const halfBefore = broker.messageStore.getMaxOffsetInQueue(HALF_TOPIC, 0);
    const topicBefore = inTopic(TOPIC);
    const half = await sendHalf();
    assert.equal(half.queueId, 1, 'the real queue the producer chose');
    assert.equal(half.queueOffset, halfBefore, 'the offset in the half queue');
    assert.equal(half.transactionId, half.uniqKey, '5.x answers the UNIQ_KEY as transactionId');
    assert.equal(broker.messageStore.getMaxOffsetInQueue(HALF_TOPIC, 0), halfBefore + 1);
    assert.equal(inTopic(TOPIC), topicBefore, 'nothing to consume before the commit');
    const stored = broker.messageStore.lookMessageByOffset(half.commitLogOffset);
    assert.ok(stored !== null);
    assert.equal(stored.topic, HALF_TOPIC);
    assert.equal(stored.queueId, 0);
    assert.equal(stored.sysFlag & MessageSysFlag.TRANSACTION_ROLLBACK_TYPE, 0, 'stored with no transaction type, so that the half queue indexes it');
    assert.equal(stored.getProperty('REAL_TOPIC'), TOPIC);
    assert.equal(stored.getProperty('REAL_QID'), '1');
    assert.equal(stored.getProperty('__transactionId__'), half.uniqKey);
  });

  it('commits once: the message reaches its real queue with the half properties Java leaves on it', async () => {
    const half = await sendHalf();
    const before = messagesOf(TOPIC, 1).length;
    const response = await endTransaction(half, COMMIT);
    assert.equal(response.code, ResponseCode.SUCCESS, response.remark);
    const delivered = messagesOf(TOPIC, 1);
    assert.equal(delivered.length, before + 1);
    const msg = delivered.at(-1)!;
    assert.equal(msg.body.toString(), `body ${seq}`);
    assert.equal(msg.sysFlag & MessageSysFlag.TRANSACTION_ROLLBACK_TYPE, MessageSysFlag.TRANSACTION_COMMIT_TYPE);
    assert.equal(msg.preparedTransactionOffset, half.commitLogOffset);
    for (const [key, value] of [['TRAN_MSG', 'true'], ['PGROUP', GROUP], ['REAL_TOPIC', TOPIC], ['REAL_QID', '1'], ['UNIQ_KEY', half.uniqKey], ['TAGS', 'TagTx']]) {
      assert.equal(msg.getProperty(key as string), value, key);
    }
    // A second commit (a retried request, or a late one) delivers nothing more.
    const again = await endTransaction(half, COMMIT);
    assert.equal(again.code, ResponseCode.SUCCESS);
    const rollbackAfter = await endTransaction(half, ROLLBACK);
    assert.equal(rollbackAfter.code, ResponseCode.SUCCESS);
    assert.equal(messagesOf(TOPIC, 1).length, before + 1);
  });

  it('rolls back: nothing is delivered, and a later commit changes nothing', async () => {
    const half = await sendHalf();
    const before = inTopic(TOPIC);
    assert.equal((await endTransaction(half, ROLLBACK)).code, ResponseCode.SUCCESS);
    assert.equal((await endTransaction(half, COMMIT)).code, ResponseCode.SUCCESS);
    assert.equal(inTopic(TOPIC), before);
  });

  it('writes the finished half offsets as op records tagged d, batched', async () => {
    const halves = [await sendHalf(), await sendHalf(), await sendHalf()];
    const opsBefore = broker.messageStore.getMaxOffsetInQueue(OP_TOPIC, 0);
    for (const half of halves) assert.equal((await endTransaction(half, ROLLBACK)).code, ResponseCode.SUCCESS);
    await waitFor(() => broker.messageStore.getMaxOffsetInQueue(OP_TOPIC, 0) > opsBefore, 5000, 'the op record');
    const ops = messagesOf(OP_TOPIC, 0).slice(opsBefore);
    // Offsets the tests before finished may share the record: they were pending too.
    assert.equal(ops.length, 1, 'one op record for the batch');
    const op = ops[0]!;
    assert.equal(op.tags, 'd');
    assert.match(op.body.toString(), new RegExp(`${halves.map((h) => `${h.queueOffset},`).join('')}$`), 'the three offsets, in order, each with its separator');
  });

  it('refuses bad END_TRANSACTION requests with Java errors, and changes nothing', async () => {
    const half = await sendHalf();
    const before = inTopic(TOPIC);
    const cases: [Record<string, string | number | boolean>, number, string | undefined][] = [
      [{ producerGroup: 'OtherGroup' }, ResponseCode.SYSTEM_ERROR, 'The producer group wrong'],
      [{ tranStateTableOffset: half.queueOffset + 100 }, ResponseCode.SYSTEM_ERROR, 'The transaction state table offset wrong'],
      [{ commitLogOffset: half.commitLogOffset + 1 }, ResponseCode.SYSTEM_ERROR, 'Find prepared transaction message failed'],
      [{ commitLogOffset: 10 ** 12 }, ResponseCode.SYSTEM_ERROR, 'Find prepared transaction message failed'],
      [{ commitOrRollback: 5 }, ResponseCode.SYSTEM_ERROR, 'commitOrRollback field wrong'],
    ];
    for (const [overrides, code, remark] of cases) {
      const response = await endTransaction(half, COMMIT, overrides);
      assert.equal(response.code, code, JSON.stringify(overrides));
      assert.equal(response.remark, remark, JSON.stringify(overrides));
    }
    // A committed message is no half message: ending it again is refused.
    const other = await sendHalf();
    assert.equal((await endTransaction(other, COMMIT)).code, ResponseCode.SUCCESS);
    const committed = messagesOf(TOPIC, 1).at(-1)!;
    const onCommitted = await endTransaction({ ...other, commitLogOffset: committed.commitLogOffset, queueOffset: committed.queueOffset }, COMMIT);
    assert.equal(onCommitted.remark, 'Find prepared transaction message failed');
    // UNKNOW is only logged: no answer (sent oneway here, as the client does), no change.
    await client.invokeOneway(
      broker.brokerAddr,
      RemotingCommand.createRequestCommand(RequestCode.END_TRANSACTION, { producerGroup: GROUP, tranStateTableOffset: half.queueOffset, commitLogOffset: half.commitLogOffset, commitOrRollback: 0, msgId: half.uniqKey }),
      5000,
    );
    assert.equal(inTopic(TOPIC), before + 1, 'only the one good commit');
    // The half message is untouched by all that: it still commits.
    assert.equal((await endTransaction(half, COMMIT)).code, ResponseCode.SUCCESS);
    assert.equal(inTopic(TOPIC), before + 2);
  });

  it('applies a delay level when the message is committed, not to the half message', async () => {
    const half = await sendHalf({ DELAY: '1' });
    assert.equal(broker.messageStore.lookMessageByOffset(half.commitLogOffset)?.topic, HALF_TOPIC, 'the half is not parked in the schedule topic');
    const before = inTopic(TOPIC);
    const scheduledBefore = broker.messageStore.getMaxOffsetInQueue('SCHEDULE_TOPIC_XXXX', 0);
    assert.equal((await endTransaction(half, COMMIT)).code, ResponseCode.SUCCESS);
    assert.equal(broker.messageStore.getMaxOffsetInQueue('SCHEDULE_TOPIC_XXXX', 0), scheduledBefore + 1, 'parked at level 1');
    assert.equal(inTopic(TOPIC), before);
    await waitFor(() => inTopic(TOPIC) === before + 1, 5000, 'the delayed commit');
  });

  it('refuses half messages with rejectTransactionMessage, storing nothing', async () => {
    await broker.updateConfig(new Map([['rejectTransactionMessage', 'true']]));
    try {
      const halfBefore = broker.messageStore.getMaxOffsetInQueue(HALF_TOPIC, 0);
      const properties = messageProperties2String(new Map([['TRAN_MSG', 'true'], ['PGROUP', GROUP], ['UNIQ_KEY', 'TXREFUSED']]));
      const header = { a: GROUP, b: TOPIC, c: 'TBW102', d: 4, e: 0, f: 4, g: Date.now(), h: 0, i: properties, j: 0, k: false, m: false };
      const response = await client.invokeSync(broker.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.SEND_MESSAGE_V2, header, Buffer.from('refused')), 5000);
      assert.equal(response.code, ResponseCode.NO_PERMISSION);
      assert.match(response.remark ?? '', /sending transaction message is forbidden/);
      assert.equal(broker.messageStore.getMaxOffsetInQueue(HALF_TOPIC, 0), halfBefore);
    } finally {
      await broker.updateConfig(new Map([['rejectTransactionMessage', 'false']]));
    }
  });

  it('remembers finished transactions across a restart: a late commit delivers nothing twice', async () => {
    const committed = await sendHalf();
    const rolledBack = await sendHalf();
    assert.equal((await endTransaction(committed, COMMIT)).code, ResponseCode.SUCCESS);
    assert.equal((await endTransaction(rolledBack, ROLLBACK)).code, ResponseCode.SUCCESS);
    const open = await sendHalf();
    await broker.shutdown();
    await start();
    const before = inTopic(TOPIC);
    assert.equal((await endTransaction(committed, COMMIT)).code, ResponseCode.SUCCESS);
    assert.equal((await endTransaction(rolledBack, COMMIT)).code, ResponseCode.SUCCESS);
    assert.equal(inTopic(TOPIC), before, 'both were finished before the restart');
    assert.equal((await endTransaction(open, COMMIT)).code, ResponseCode.SUCCESS);
    assert.equal(inTopic(TOPIC), before + 1, 'the open one still commits');
  });
});

describe('transaction check-back on our broker', () => {
  let dir: string;
  let namesrv: NamesrvController;
  let broker: BrokerController;
  let client: RemotingClient;
  let seq = 0;
  /** The checks the producer got, per message key, with their headers and decoded bodies. */
  const checks = new Map<string, { header: Record<string, string>; msg: MessageExt }[]>();
  /** What the producer answers to the n-th check of a key (1-based); UNKNOW (0) past the end. */
  const answers = new Map<string, number[]>();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-txcheck-'));
    const started = await startTestNamesrv(dir);
    namesrv = started.namesrv;
    broker = await startTestBroker(dir, started.namesrvAddr, {
      broker: { transactionCheckInterval: 300, transactionTimeOut: 200, transactionCheckMax: 3, transactionOpBatchInterval: 50 },
    });
    client = new RemotingClient();
    client.registerProcessor(RequestCode.CHECK_TRANSACTION_STATE, {
      processRequest(ctx, request) {
        const msg = decodeStoredMessage(request.body ?? Buffer.alloc(0));
        const header = request.extFields ?? {};
        const key = msg.keys ?? '';
        const list = checks.get(key) ?? [];
        list.push({ header, msg });
        checks.set(key, list);
        const state = answers.get(key)?.[list.length - 1] ?? 0;
        // As ClientRemotingProcessor.checkTransactionState: END_TRANSACTION oneway, with the check's offsets.
        const end = {
          producerGroup: GROUP,
          tranStateTableOffset: Number(header['tranStateTableOffset']),
          commitLogOffset: Number(header['commitLogOffset']),
          commitOrRollback: state,
          fromTransactionCheck: true,
          msgId: header['msgId'] ?? '',
          transactionId: header['transactionId'] ?? '',
          topic: header['topic'] ?? '',
          bname: header['bname'] ?? '',
        };
        void client.invokeOneway(ctx.remoteAddr, RemotingCommand.createRequestCommand(RequestCode.END_TRANSACTION, end), 3000);
        return null;
      },
    });
    await client.start();
    const beat = { clientID: '127.0.0.1@tx-check', producerDataSet: [{ groupName: GROUP }], consumerDataSet: [], heartbeatFingerprint: 0 };
    const registered = await client.invokeSync(broker.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.HEART_BEAT, undefined, Buffer.from(JSON.stringify(beat))), 5000);
    assert.equal(registered.code, ResponseCode.SUCCESS, registered.remark);
  });
  after(async () => {
    await client?.shutdown();
    await broker?.shutdown();
    await namesrv?.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  async function sendHalf(key: string): Promise<Half> {
    const uniqKey = `TXC${String(++seq).padStart(29, '0')}`;
    const properties = new Map([['KEYS', key], ['TRAN_MSG', 'true'], ['PGROUP', GROUP], ['UNIQ_KEY', uniqKey], ['WAIT', 'true']]);
    const header = { a: GROUP, b: TOPIC, c: 'TBW102', d: 4, e: 2, f: MessageSysFlag.TRANSACTION_PREPARED_TYPE, g: Date.now(), h: 0, i: messageProperties2String(properties), j: 0, k: false, m: false };
    const response = await client.invokeSync(broker.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.SEND_MESSAGE_V2, header, Buffer.from(key)), 5000);
    assert.equal(response.code, ResponseCode.SUCCESS, response.remark);
    const fields = response.extFields ?? {};
    return { uniqKey, msgId: fields['msgId'] ?? '', queueId: 2, queueOffset: Number(fields['queueOffset']), commitLogOffset: decodeMessageId(fields['msgId'] ?? '').offset, transactionId: fields['transactionId'] };
  }

  const delivered = (key: string): MessageExt[] => {
    const found: MessageExt[] = [];
    for (let q = 0; q < 4; q++) {
      for (const unit of broker.messageStore.iterateConsumeQueue(TOPIC, q, 0, 1000)) {
        const msg = broker.messageStore.lookMessageByOffset(unit.pos);
        if (msg?.keys === key) found.push(msg);
      }
    }
    return found;
  };

  it('asks the producer about an unfinished half message, with the new copy\'s offsets, until it commits', async () => {
    answers.set('unknown-then-commit', [0, 8]);
    const half = await sendHalf('unknown-then-commit');
    await waitFor(() => delivered('unknown-then-commit').length === 1, 10_000, 'the commit on the second check');
    const seen = checks.get('unknown-then-commit') ?? [];
    assert.equal(seen.length, 2, 'two checks');
    const [first] = seen;
    assert.notEqual(Number(first!.header['commitLogOffset']), half.commitLogOffset, 'the check names the re-put copy, not the original');
    assert.ok(Number(first!.header['tranStateTableOffset']) > half.queueOffset);
    assert.equal(first!.header['msgId'], half.uniqKey);
    assert.equal(first!.header['transactionId'], half.uniqKey);
    assert.equal(first!.header['topic'], HALF_TOPIC, '5.x brokers send the half topic');
    assert.equal(first!.header['bname'], 'broker-a');
    assert.equal(first!.header['offsetMsgId'], createMessageId(parseHostAddress(broker.brokerAddr), Number(first!.header['commitLogOffset'])));
    assert.equal(first!.msg.topic, TOPIC, 'the body shows the real topic');
    assert.equal(first!.msg.queueId, 2, 'and the real queue');
    assert.equal(first!.msg.getProperty('TRANSACTION_CHECK_TIMES'), '1');
    const msg = delivered('unknown-then-commit')[0]!;
    assert.equal(msg.getProperty('TRANSACTION_CHECK_TIMES'), '2');
    assert.equal(msg.queueId, 2);
    // Nothing more is asked once it is finished.
    const checksAfter = seen.length;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(checks.get('unknown-then-commit')?.length, checksAfter);
    assert.equal(delivered('unknown-then-commit').length, 1);
  });

  it('rolls back on a check: never delivered, never asked again', async () => {
    answers.set('rollback-on-check', [12]);
    await sendHalf('rollback-on-check');
    await waitFor(() => (checks.get('rollback-on-check')?.length ?? 0) === 1, 10_000, 'the check');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(checks.get('rollback-on-check')?.length, 1);
    assert.equal(delivered('rollback-on-check').length, 0);
  });

  it('gives up after transactionCheckMax checks: the message goes to TRANS_CHECK_MAX_TIME_TOPIC, never delivered', async () => {
    await sendHalf('always-unknown');
    const inCheckMax = (): MessageExt[] =>
      broker.messageStore
        .iterateConsumeQueue('TRANS_CHECK_MAX_TIME_TOPIC', 0, 0, 1000)
        .map((unit) => broker.messageStore.lookMessageByOffset(unit.pos))
        .filter((m): m is MessageExt => m?.keys === 'always-unknown');
    await waitFor(() => inCheckMax().length === 1, 15_000, 'the discard');
    assert.equal(checks.get('always-unknown')?.length, 3, 'exactly transactionCheckMax checks');
    assert.equal(inCheckMax()[0]!.getProperty('REAL_TOPIC'), TOPIC);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(checks.get('always-unknown')?.length, 3, 'no check after the discard');
    assert.equal(delivered('always-unknown').length, 0);
    assert.ok(broker.topicConfigManager.containsTopic('TRANS_CHECK_MAX_TIME_TOPIC'));
  });

  it('leaves a message its producer ended alone', async () => {
    const half = await sendHalf('ended-by-producer');
    const end = { producerGroup: GROUP, tranStateTableOffset: half.queueOffset, commitLogOffset: half.commitLogOffset, commitOrRollback: 8, fromTransactionCheck: false, msgId: half.uniqKey };
    assert.equal((await client.invokeSync(broker.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.END_TRANSACTION, end), 5000)).code, ResponseCode.SUCCESS);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(checks.get('ended-by-producer'), undefined);
    assert.equal(delivered('ended-by-producer').length, 1);
  });
});

describe('transaction check-back: which producer, and across a restart', () => {
  let dir: string;
  let namesrv: NamesrvController;
  let namesrvAddr: string;
  let broker: BrokerController;
  const config = { transactionCheckInterval: 200, transactionTimeOut: 300, transactionCheckMax: 50, transactionOpBatchInterval: 50 };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-txlive-'));
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    broker = await startTestBroker(dir, namesrvAddr, { broker: config });
  });
  after(async () => {
    await broker?.shutdown();
    await namesrv?.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  /** A producer of GROUP that answers every check with `state` and records the keys it was asked about. */
  async function producer(id: string, state: number): Promise<{ client: RemotingClient; asked: string[] }> {
    const asked: string[] = [];
    const client = new RemotingClient();
    client.registerProcessor(RequestCode.CHECK_TRANSACTION_STATE, {
      processRequest(ctx, request) {
        const msg = decodeStoredMessage(request.body ?? Buffer.alloc(0));
        asked.push(msg.keys ?? '');
        const h = request.extFields ?? {};
        const end = { producerGroup: GROUP, tranStateTableOffset: Number(h['tranStateTableOffset']), commitLogOffset: Number(h['commitLogOffset']), commitOrRollback: state, fromTransactionCheck: true, msgId: h['msgId'] ?? '' };
        void client.invokeOneway(ctx.remoteAddr, RemotingCommand.createRequestCommand(RequestCode.END_TRANSACTION, end), 3000);
        return null;
      },
    });
    await client.start();
    const beat = { clientID: `127.0.0.1@${id}`, producerDataSet: [{ groupName: GROUP }], consumerDataSet: [], heartbeatFingerprint: 0 };
    const response = await client.invokeSync(broker.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.HEART_BEAT, undefined, Buffer.from(JSON.stringify(beat))), 5000);
    assert.equal(response.code, ResponseCode.SUCCESS);
    return { client, asked };
  }

  async function sendHalf(client: RemotingClient, key: string): Promise<void> {
    const properties = messageProperties2String(new Map([['KEYS', key], ['TRAN_MSG', 'true'], ['PGROUP', GROUP], ['UNIQ_KEY', key.padEnd(32, '0')]]));
    const header = { a: GROUP, b: TOPIC, c: 'TBW102', d: 4, e: 0, f: 4, g: Date.now(), h: 0, i: properties, j: 0, k: false, m: false };
    const response = await client.invokeSync(broker.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.SEND_MESSAGE_V2, header, Buffer.from(key)), 5000);
    assert.equal(response.code, ResponseCode.SUCCESS, response.remark);
  }

  const delivered = (key: string): number => {
    let n = 0;
    for (let q = 0; q < 4; q++) {
      for (const unit of broker.messageStore.iterateConsumeQueue(TOPIC, q, 0, 1000)) if (broker.messageStore.lookMessageByOffset(unit.pos)?.keys === key) n++;
    }
    return n;
  };

  it('asks a live member of the group: one closed, the other answers', async () => {
    const gone = await producer('gone', 0);
    const live = await producer('live', COMMIT);
    await gone.client.shutdown(); // its connection closes: the broker drops it from the group
    await waitFor(() => broker.producerManager.getGroupChannelTable(GROUP)?.size === 1, 5000, 'the closed member to leave');
    await sendHalf(live.client, 'two-producers');
    await waitFor(() => delivered('two-producers') === 1, 10_000, 'the commit from the live producer');
    assert.ok(live.asked.includes('two-producers'));
    assert.deepEqual(gone.asked, []);
    await live.client.shutdown();
  });

  it('still checks, and commits once per check answered, a half message sent before a graceful restart', async () => {
    const sender = await producer('before-restart', 0);
    await sendHalf(sender.client, 'across-restart');
    await sender.client.shutdown();
    await broker.shutdown();
    broker = await startTestBroker(dir, namesrvAddr, { broker: config });
    const answering = await producer('after-restart', COMMIT);
    await waitFor(() => delivered('across-restart') >= 1, 10_000, 'the commit after the restart');
    assert.ok(answering.asked.includes('across-restart'));
    await new Promise((resolve) => setTimeout(resolve, 1000)); // a few more check runs
    // Once per check answered: a COMMIT that reaches the broker more than transactionTimeOut (300 ms) after its
    // check (a loaded machine) finds the half message renewed and checked again, and the second COMMIT ends that
    // copy too, as in Java. An answer in time is never committed twice.
    const asked = answering.asked.filter((k) => k === 'across-restart').length;
    assert.ok(delivered('across-restart') <= asked, `${delivered('across-restart')} deliveries for ${asked} checks`);
    await answering.client.shutdown();
  });
});
