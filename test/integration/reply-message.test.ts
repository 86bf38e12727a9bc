/**
 * Request-reply on our broker (issue 15): SEND_REPLY_MESSAGE_V2 (325) and SEND_REPLY_MESSAGE (324) push the reply
 * to the requester named by REPLY_TO_CLIENT with PUSH_REPLY_MESSAGE_TO_CLIENT (326), answer SUCCESS once it took it
 * and SYSTEM_ERROR with Java's remarks otherwise, and store the reply in <cluster>_REPLY_TOPIC when
 * storeReplyMessageEnable (whatever the push did). Raw clients on both sides; the Java behaviour is
 * ReplyMessageProcessor's (shared/reference/rocketmq-features-5x.md §3).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import { RemotingClient, RemotingCommand, RequestCode, ResponseCode, messageProperties2String, string2messageProperties } from '../../src/index.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';

const REQUESTER = '127.0.0.1@requester';
const REPLY_TOPIC = 'DefaultCluster_REPLY_TOPIC';

describe('request-reply on our broker', () => {
  let dir: string;
  let namesrv: NamesrvController;
  let broker: BrokerController;
  let requester: RemotingClient;
  let replier: RemotingClient;
  const pushed: RemotingCommand[] = [];
  let answer: number = ResponseCode.SUCCESS;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-reply-'));
    let namesrvAddr: string;
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    broker = await startTestBroker(dir, namesrvAddr);
    requester = new RemotingClient();
    requester.registerProcessor(RequestCode.PUSH_REPLY_MESSAGE_TO_CLIENT, {
      processRequest(_ctx, request) {
        pushed.push(request);
        return RemotingCommand.createResponseCommand(answer, answer === ResponseCode.SUCCESS ? undefined : 'not now');
      },
    });
    await requester.start();
    const beat = { clientID: REQUESTER, producerDataSet: [{ groupName: 'RequesterPG' }], consumerDataSet: [], heartbeatFingerprint: 0 };
    const response = await requester.invokeSync(broker.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.HEART_BEAT, undefined, Buffer.from(JSON.stringify(beat))), 3000);
    assert.equal(response.code, ResponseCode.SUCCESS);
    replier = new RemotingClient();
    await replier.start();
  });
  after(async () => {
    await replier?.shutdown();
    await requester?.shutdown();
    await broker?.shutdown();
    await namesrv?.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  function reply(correlationId: string, replyTo = REQUESTER, code: number = RequestCode.SEND_REPLY_MESSAGE_V2): Promise<RemotingCommand> {
    const properties = messageProperties2String(
      new Map([
        ['MSG_TYPE', 'reply'],
        ['REPLY_TO_CLIENT', replyTo],
        ['CORRELATION_ID', correlationId],
        ['TTL', '3000'],
        ['UNIQ_KEY', `U-${correlationId}`],
      ]),
    );
    const v1 = { producerGroup: 'ReplierPG', topic: REPLY_TOPIC, defaultTopic: 'TBW102', defaultTopicQueueNums: 4, queueId: 0, sysFlag: 0, bornTimestamp: Date.now(), flag: 0, properties, reconsumeTimes: 0, unitMode: false, batch: false };
    const header = code === RequestCode.SEND_REPLY_MESSAGE_V2 ? { a: 'ReplierPG', b: REPLY_TOPIC, c: 'TBW102', d: 4, e: 0, f: 0, g: v1.bornTimestamp, h: 0, i: properties, j: 0, k: false, m: false } : v1;
    return replier.invokeSync(broker.brokerAddr, RemotingCommand.createRequestCommand(code, header, Buffer.from(`reply to ${correlationId}`)), 5000);
  }

  const stored = (correlationId: string): number =>
    broker.messageStore
      .iterateConsumeQueue(REPLY_TOPIC, 0, 0, 1000)
      .filter((unit) => broker.messageStore.lookMessageByOffset(unit.pos)?.getProperty('CORRELATION_ID') === correlationId).length;

  it('pushes the reply to its requester, answers SUCCESS, and stores it in the reply topic', async () => {
    for (const code of [RequestCode.SEND_REPLY_MESSAGE_V2, RequestCode.SEND_REPLY_MESSAGE]) {
      const id = `c-${code}`;
      const response = await reply(id, REQUESTER, code);
      assert.equal(response.code, ResponseCode.SUCCESS, response.remark);
      const push = pushed.find((p) => string2messageProperties(p.extFields?.['properties'] ?? '').get('CORRELATION_ID') === id);
      assert.ok(push !== undefined, 'the requester got it');
      assert.equal(push.body?.toString(), `reply to ${id}`);
      const fields = push.extFields ?? {};
      assert.equal(fields['topic'], REPLY_TOPIC);
      assert.equal(fields['producerGroup'], 'ReplierPG');
      assert.equal(fields['storeHost'], broker.brokerAddr);
      assert.match(fields['bornHost'] ?? '', /^127\.0\.0\.1:\d+$/);
      const props = string2messageProperties(fields['properties'] ?? '');
      assert.ok(Number(props.get('PUSH_REPLY_TIME')) > 0);
      assert.equal(props.get('MSG_REGION'), 'DefaultRegion');
      assert.equal(stored(id), 1);
      const [msg] = broker.messageStore.iterateConsumeQueue(REPLY_TOPIC, 0, Number(response.extFields?.['queueOffset']), 1).map((u) => broker.messageStore.lookMessageByOffset(u.pos));
      assert.equal(msg?.getProperty('CORRELATION_ID'), id, 'the answer names the stored copy');
      assert.equal(msg?.getProperty('PUSH_REPLY_TIME'), undefined, 'stored as it came');
    }
  });

  it('answers SYSTEM_ERROR for an unknown requester or a refused push, and still stores the reply', async () => {
    const unknown = await reply('c-unknown', '127.0.0.1@nobody');
    assert.equal(unknown.code, ResponseCode.SYSTEM_ERROR);
    assert.equal(unknown.remark, 'push reply message fail, channel of <127.0.0.1@nobody> not found.');
    assert.equal(stored('c-unknown'), 1);
    answer = ResponseCode.SYSTEM_BUSY;
    try {
      const refused = await reply('c-refused');
      assert.equal(refused.code, ResponseCode.SYSTEM_ERROR);
      assert.equal(refused.remark, `push reply message to ${REQUESTER}fail.`);
    } finally {
      answer = ResponseCode.SUCCESS;
    }
    const missing = await replier.invokeSync(
      broker.brokerAddr,
      RemotingCommand.createRequestCommand(RequestCode.SEND_REPLY_MESSAGE_V2, { a: 'ReplierPG', b: REPLY_TOPIC, c: 'TBW102', d: 4, e: 0, f: 0, g: Date.now(), h: 0, i: 'MSG_TYPE\u0001reply', j: 0, k: false, m: false }, Buffer.from('x')),
      5000,
    );
    assert.equal(missing.code, ResponseCode.SYSTEM_ERROR);
    assert.equal(missing.remark, 'reply message properties[REPLY_TO_CLIENT] is null');
  });

  it('stores nothing with storeReplyMessageEnable=false, answering msgId "0" and offset 0', async () => {
    await broker.updateConfig(new Map([['storeReplyMessageEnable', 'false']]));
    try {
      const response = await reply('c-unstored');
      assert.equal(response.code, ResponseCode.SUCCESS);
      assert.equal(response.extFields?.['msgId'], '0');
      assert.equal(response.extFields?.['queueOffset'], '0');
      assert.equal(stored('c-unstored'), 0);
    } finally {
      await broker.updateConfig(new Map([['storeReplyMessageEnable', 'true']]));
    }
  });

  it('forgets a requester whose connection closed', async () => {
    const gone = new RemotingClient();
    await gone.start();
    const beat = { clientID: '127.0.0.1@gone', producerDataSet: [{ groupName: 'GonePG' }], consumerDataSet: [], heartbeatFingerprint: 0 };
    await gone.invokeSync(broker.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.HEART_BEAT, undefined, Buffer.from(JSON.stringify(beat))), 3000);
    assert.ok(broker.producerManager.findChannel('127.0.0.1@gone') !== undefined);
    await gone.shutdown();
    for (let i = 0; i < 100 && broker.producerManager.findChannel('127.0.0.1@gone') !== undefined; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    const response = await reply('c-gone', '127.0.0.1@gone');
    assert.equal(response.code, ResponseCode.SYSTEM_ERROR);
    assert.match(response.remark ?? '', /channel of <127\.0\.0\.1@gone> not found/);
  });
});
