/**
 * Timer messages on our broker (issue 15): TIMER_DELAY_MS / TIMER_DELAY_SEC / TIMER_DELIVER_MS are delivered never
 * before their time and soon after it, with the properties Java adds; a past time is an ordinary send; a time too
 * far or unparsable is MESSAGE_ILLEGAL; a DELAY level wins; the send answer has the timer queue offset and a recall
 * handle; a graceful restart keeps pending timers. Expectations from the Java 5.3.3 broker
 * (shared/reference/rocketmq-features-5x.md §2), at Java's default precision (1 s).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode, messageProperties2String } from '../../src/index.js';
import type { MessageExt } from '../../src/protocol/message/index.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { waitFor } from '../helpers/wait.js';

const TOPIC = 'TimerTopic';
const PRECISION = 1000; // Java's default: timers are delivered at the time asked, so the file stays fast
const store = { timerPrecisionMs: PRECISION, timerRollWindowSlot: 60 }; // a 60 s window: longer delays roll

describe('timer messages on our broker', () => {
  let dir: string;
  let namesrv: NamesrvController;
  let namesrvAddr: string;
  let broker: BrokerController;
  let client: RemotingClient;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-timer-'));
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    broker = await startTestBroker(dir, namesrvAddr, { store });
    client = new RemotingClient();
    await client.start();
  });
  after(async () => {
    await client?.shutdown();
    await broker?.shutdown();
    await namesrv?.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  let seq = 0;
  async function send(properties: Record<string, string>, topic = TOPIC): Promise<RemotingCommand> {
    const key = `k${seq++}`;
    const props = messageProperties2String(new Map([['KEYS', key], ['UNIQ_KEY', key], ...Object.entries(properties)]));
    const header = { a: 'TimerPG', b: topic, c: 'TBW102', d: 4, e: 0, f: 0, g: Date.now(), h: 0, i: props, j: 0, k: false, m: false };
    return client.invokeSync(broker.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.SEND_MESSAGE_V2, header, Buffer.from(key)), 5000);
  }

  /** The messages of TOPIC with KEYS `key`, in the real topic's queues. */
  function delivered(key: string, topic = TOPIC): MessageExt[] {
    const found: MessageExt[] = [];
    for (let q = 0; q < 4; q++) {
      for (const unit of broker.messageStore.iterateConsumeQueue(topic, q, 0, 10_000)) {
        const msg = broker.messageStore.lookMessageByOffset(unit.pos);
        if (msg?.keys === key) found.push(msg);
      }
    }
    return found;
  }

  /** The send's key: its UNIQ_KEY, which the answer gives back as transactionId. */
  const keyOf = (response: RemotingCommand): string => response.extFields?.['transactionId'] ?? '?';

  it('delivers TIMER_DELAY_MS, TIMER_DELAY_SEC and TIMER_DELIVER_MS never early, and soon after', async () => {
    const deliverAt = Math.ceil((Date.now() + 1500) / 1000) * 1000; // on a second boundary: the rounding's edge
    const cases: { props: Record<string, string>; due: (sentAt: number) => number }[] = [
      { props: { TIMER_DELAY_MS: '1200' }, due: (sentAt: number) => sentAt + 1200 },
      { props: { TIMER_DELAY_SEC: '1' }, due: (sentAt: number) => sentAt + 1000 },
      { props: { TIMER_DELIVER_MS: String(deliverAt) }, due: () => deliverAt },
    ];
    const sent = await Promise.all(
      cases.map(async (c) => {
        const sentAt = Date.now();
        const response = await send(c.props);
        return { response, due: c.due(sentAt) };
      }),
    );
    for (const { response } of sent) {
      assert.equal(response.code, ResponseCode.SUCCESS, response.remark);
      assert.equal(delivered(keyOf(response)).length, 0, 'not delivered at once');
    }
    await waitFor(() => sent.every(({ response }) => delivered(keyOf(response)).length === 1), 10_000, 'every timer delivered');
    for (const { response, due } of sent) {
      const [msg] = delivered(keyOf(response));
      assert.ok(msg !== undefined);
      const lateness = msg.storeTimestamp - due;
      assert.ok(lateness >= 0, `${keyOf(response)} delivered ${-lateness} ms early`);
      assert.ok(lateness < 1000, `${keyOf(response)} delivered ${lateness} ms late`);
      const out = Number(msg.getProperty('TIMER_OUT_MS'));
      assert.equal(out % PRECISION, 0);
      // The slot before the due time (the broker's clock read the send a little after ours).
      assert.ok(Math.abs(out + PRECISION - due) <= PRECISION + 200, `TIMER_OUT_MS ${out} for a due time ${due}`);
      assert.ok(Number(msg.getProperty('TIMER_ENQUEUE_MS')) <= Number(msg.getProperty('TIMER_DEQUEUE_MS')));
      assert.equal(msg.getProperty('REAL_TOPIC'), TOPIC, 'REAL_TOPIC stays, as Java leaves it');
      assert.equal(delivered(keyOf(response), 'rmq_sys_wheel_timer').length, 1, 'the original waited in the timer topic, once');
    }
  });

  it('delivers each message at the time asked, not at the end of its 1 s slot (Java\'s)', async () => {
    // Thirty times spread over two seconds: at the slot's end (Java) they would be up to 1 s late, 0.5 s on average.
    const base = Date.now() + 1200;
    const due = Array.from({ length: 30 }, (_, i) => base + Math.floor((i * 2000) / 30) + (i % 7));
    const keys: string[] = [];
    for (const at of due) {
      const response = await send({ TIMER_DELIVER_MS: String(at) });
      assert.equal(response.code, ResponseCode.SUCCESS, response.remark);
      keys.push(keyOf(response));
    }
    await waitFor(() => keys.every((key) => delivered(key).length === 1), 10_000, 'every timer delivered');
    const lateness = keys.map((key, i) => delivered(key)[0]!.storeTimestamp - due[i]!);
    assert.ok(lateness.every((ms) => ms >= 0), `never early: ${lateness.join(', ')}`);
    const mean = lateness.reduce((a, b) => a + b, 0) / lateness.length;
    // Generous for a loaded machine; Java's slot-end delivery would average about 500 ms.
    assert.ok(mean < 250, `mean lateness ${mean.toFixed(0)} ms: ${lateness.join(', ')}`);
    assert.ok(Math.max(...lateness) < 600, `lateness ${lateness.join(', ')}`);
  });

  it('answers with the timer queue offset, the transactionId and a recall handle', async () => {
    const response = await send({ TIMER_DELAY_MS: '60000' });
    assert.equal(response.code, ResponseCode.SUCCESS);
    const fields = response.extFields ?? {};
    const timerQueueMax = broker.messageStore.getMaxOffsetInQueue('rmq_sys_wheel_timer', 0);
    assert.equal(Number(fields['queueOffset']), timerQueueMax - 1, 'the offset in rmq_sys_wheel_timer');
    const handle = Buffer.from(fields['recallHandle'] ?? '', 'base64').toString('utf8').split(' ');
    assert.equal(handle[0], 'v1');
    assert.equal(handle[1], TOPIC);
    assert.equal(handle[2], broker.config.brokerName);
    assert.equal(handle[4], fields['transactionId']);
    assert.ok(Number(handle[3]) % PRECISION === 1, 'TIMER_OUT_MS + 1');
  });

  it('answers GET_TIMER_METRICS (pending per topic), GET_TIMER_CHECK_POINT and the timer keys of the runtime info', async () => {
    const topic = 'TimerMetricsTopic';
    await send({ TIMER_DELAY_MS: '30000' }, topic);
    await send({ TIMER_DELAY_MS: '30000' }, topic);
    await waitFor(() => broker.timerMessageStore?.enqueueBehind === 0, 5000, 'both filed');
    const metrics = await client.invokeSync(broker.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.GET_TIMER_METRICS), 3000);
    assert.equal(metrics.code, ResponseCode.SUCCESS);
    const body = JSON.parse(metrics.body?.toString('utf8') ?? '{}') as { timingCount: Record<string, { count: number; timeStamp: number }>; dataVersion: object };
    assert.equal(body.timingCount[topic]?.count, 2);
    assert.ok(body.dataVersion !== undefined);
    const checkpoint = await client.invokeSync(broker.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.GET_TIMER_CHECK_POINT), 3000);
    assert.equal(checkpoint.code, ResponseCode.SUCCESS);
    assert.equal(checkpoint.body?.length, 56);
    const lastReadTimeMs = Number(checkpoint.body?.readBigInt64BE(0));
    assert.ok(Math.abs(lastReadTimeMs - Date.now()) < 2000, `read cursor ${lastReadTimeMs}`);
    assert.equal(Number(checkpoint.body?.readBigInt64BE(16)), broker.messageStore.getMaxOffsetInQueue('rmq_sys_wheel_timer', 0), 'lastTimerQueueOffset');
    const info = await client.invokeSync(broker.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.GET_BROKER_RUNTIME_INFO), 3000);
    const table = JSON.parse(info.body?.toString('utf8') ?? '{}') as { table: Record<string, string> };
    assert.equal(table.table['timerOffsetBehind'], '0');
    assert.ok(Number(table.table['timerCongestNum']) >= 2, table.table['timerCongestNum']);
    assert.match(table.table['timerEnqueueTps'] ?? '', /^\d+(\.\d)?$/);
  });

  it('stores a past deliver time as an ordinary message, and refuses one too far or unparsable with MESSAGE_ILLEGAL', async () => {
    const past = await send({ TIMER_DELIVER_MS: String(Date.now() - 5000) });
    assert.equal(past.code, ResponseCode.SUCCESS);
    await waitFor(() => delivered(keyOf(past)).length === 1, 2000, 'the past one, at once');
    const [msg] = delivered(keyOf(past));
    assert.ok(msg !== undefined, 'delivered at once');
    assert.equal(msg.getProperty('TIMER_OUT_MS'), undefined);
    assert.equal(past.extFields?.['recallHandle'], undefined);

    const before = broker.messageStore.getMaxOffsetInQueue('rmq_sys_wheel_timer', 0);
    for (const props of [{ TIMER_DELAY_SEC: String(4 * 24 * 3600) }, { TIMER_DELAY_SEC: 'abc' }, { TIMER_DELAY_MS: '1.5' }] as Record<string, string>[]) {
      const refused = await send(props);
      assert.equal(refused.code, ResponseCode.MESSAGE_ILLEGAL, JSON.stringify(props));
      assert.match(refused.remark ?? '', /^timer message illegal, the delay time should not be bigger than the max delay 259200000ms/);
    }
    assert.equal(broker.messageStore.getMaxOffsetInQueue('rmq_sys_wheel_timer', 0), before, 'nothing stored');
  });

  it('lets a DELAY level win over the timer keys, which it removes', async () => {
    const response = await send({ DELAY: '1', TIMER_DELAY_MS: '100' });
    assert.equal(response.code, ResponseCode.SUCCESS);
    await waitFor(() => delivered(keyOf(response)).length === 1, 5000, 'the level-1 delivery');
    const [msg] = delivered(keyOf(response));
    assert.equal(msg?.getProperty('TIMER_DELAY_MS'), undefined);
    assert.equal(msg?.getProperty('TIMER_OUT_MS'), undefined);
    assert.ok((msg?.storeTimestamp ?? 0) - (msg?.bornTimestamp ?? 0) >= 900, 'waited for level 1 (1 s)');
  });

  it('recalls a timer message by its handle (RECALL_MESSAGE, recallMessageEnable): never delivered; refuses bad handles', async () => {
    const recall = (topic: string, recallHandle: string): Promise<RemotingCommand> =>
      client.invokeSync(broker.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.RECALL_MESSAGE, { producerGroup: 'TimerPG', topic, recallHandle }), 3000);
    const kept = await send({ TIMER_DELAY_MS: '1200' });
    const cancelled = await send({ TIMER_DELAY_MS: '1200' });
    const handle = cancelled.extFields?.['recallHandle'] ?? '';
    assert.equal((await recall(TOPIC, handle)).code, ResponseCode.NO_PERMISSION, 'off by default');
    await broker.updateConfig(new Map([['recallMessageEnable', 'true']]));
    try {
      const bad = [
        [TOPIC, 'not a handle!'],
        [TOPIC, Buffer.from('v2 a b 1 c').toString('base64')],
        ['OtherTopic', handle],
        [TOPIC, Buffer.from(`v1 ${TOPIC} ${broker.config.brokerName} ${Date.now() - 1000} U`).toString('base64')],
      ] as const;
      const remarks = [];
      for (const [topic, h] of bad) {
        const response = await recall(topic, h);
        remarks.push(`${response.code} ${response.remark ?? ''}`);
      }
      assert.deepEqual(remarks, [
        `${ResponseCode.ILLEGAL_OPERATION} recall handle is invalid`,
        `${ResponseCode.ILLEGAL_OPERATION} recall handle is invalid`,
        `${ResponseCode.TOPIC_NOT_EXIST} recall failed, the topic[OtherTopic] not exist`,
        `${ResponseCode.ILLEGAL_OPERATION} recall failed, timestamp invalid`,
      ]);
      const ok = await recall(TOPIC, handle);
      assert.equal(ok.code, ResponseCode.SUCCESS, ok.remark);
      assert.equal(ok.extFields?.['msgId'], keyOf(cancelled));
      await waitFor(() => delivered(keyOf(kept)).length === 1, 5000, 'the other one');
      await waitFor(() => (broker.timerMessageStore?.stats.recalled ?? 0) >= 1, 2000, 'the recall applied');
      assert.equal(delivered(keyOf(cancelled)).length, 0, 'the recalled one never');
      const markers = [0, 1, 2, 3].flatMap((q) =>
        broker.messageStore.iterateConsumeQueue(TOPIC, q, 0, 10_000).filter((unit) => broker.messageStore.lookMessageByOffset(unit.pos)?.tags === '_RECALL_TAG_'),
      );
      assert.equal(markers.length, 0, 'nor its marker');
    } finally {
      await broker.updateConfig(new Map([['recallMessageEnable', 'false']]));
    }
  });

  it('keeps pending timers across a graceful restart, delivering each once', async () => {
    const sentAt = Date.now();
    const response = await send({ TIMER_DELAY_MS: '1500' });
    const key = keyOf(response);
    await broker.shutdown();
    broker = await startTestBroker(dir, namesrvAddr, { store });
    await waitFor(() => delivered(key).length > 0, 10_000, 'the timer after the restart');
    assert.ok((delivered(key)[0]?.storeTimestamp ?? 0) >= sentAt + 1500);
    await new Promise((resolve) => setTimeout(resolve, 1.5 * PRECISION)); // the next slot too: nothing twice
    assert.equal(delivered(key).length, 1);
  });
});

describe('timer messages with timerWheelEnable=false', () => {
  it('refuses them with SYSTEM_ERROR, as Java', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rmq-timer-off-'));
    const { namesrv, namesrvAddr } = await startTestNamesrv(dir);
    const broker = await startTestBroker(dir, namesrvAddr, { store: { timerWheelEnable: false } });
    const client = new RemotingClient();
    await client.start();
    try {
      const props = messageProperties2String(new Map([['TIMER_DELAY_MS', '1000']]));
      const header = { a: 'TimerPG', b: TOPIC, c: 'TBW102', d: 4, e: 0, f: 0, g: Date.now(), h: 0, i: props, j: 0, k: false, m: false };
      const response = await client.invokeSync(broker.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.SEND_MESSAGE_V2, header, Buffer.from('x')), 5000);
      assert.equal(response.code, ResponseCode.SYSTEM_ERROR);
      assert.equal(response.remark, 'accurate timer message is not enabled, timerWheelEnable is false');
      assert.equal(broker.topicConfigManager.selectTopicConfig('rmq_sys_wheel_timer'), undefined, 'no timer topic');
    } finally {
      await client.shutdown();
      await broker.shutdown();
      await namesrv.shutdown();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
