import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../../../src/common/logger.js';
import { AsyncTraceDispatcher, RMQ_SYS_TRACE_TOPIC, type TraceProducer } from '../../../../src/client/trace/async-trace-dispatcher.js';
import { ConsumeMessageTraceHook } from '../../../../src/client/trace/consume-message-trace-hook.js';
import { EndTransactionTraceHook } from '../../../../src/client/trace/end-transaction-trace-hook.js';
import { SendMessageTraceHook } from '../../../../src/client/trace/send-message-trace-hook.js';
import type { TraceContext } from '../../../../src/client/trace/trace-context.js';
import type { SendResult } from '../../../../src/client/producer/send-result.js';
import { MessageConst } from '../../../../src/protocol/message/message-const.js';
import { Message, MessageExt } from '../../../../src/protocol/message/message.js';

/** A running dispatcher whose appended contexts the test reads. */
async function recordingDispatcher(): Promise<{ dispatcher: AsyncTraceDispatcher; appended: TraceContext[] }> {
  const done = (): Promise<void> => Promise.resolve();
  const producer: TraceProducer = { start: done, send: done, shutdown: done };
  const dispatcher = new AsyncTraceDispatcher({ traceTopic: RMQ_SYS_TRACE_TOPIC, producer, logger: silentLogger, batchSize: 1000 });
  await dispatcher.start();
  const appended: TraceContext[] = [];
  const append = dispatcher.append.bind(dispatcher);
  dispatcher.append = (ctx) => (appended.push(ctx), append(ctx));
  return { dispatcher, appended };
}

function message(topic: string, props: Record<string, string>, body = 'abc'): Message {
  return new Message(topic, Buffer.from(body), new Map(Object.entries(props)));
}

function result(topic: string, overrides: Partial<SendResult> = {}): SendResult {
  return {
    status: 'SEND_OK',
    msgId: 'U1',
    offsetMsgId: 'O1',
    messageQueue: { topic, brokerName: 'b', queueId: 0 },
    queueOffset: 0,
    transactionId: undefined,
    regionId: 'DefaultRegion',
    traceOn: true,
    ...overrides,
  };
}

describe('SendMessageTraceHook', () => {
  it('records a Pub for a message the broker took', async () => {
    const { dispatcher, appended } = await recordingDispatcher();
    const hook = new SendMessageTraceHook(dispatcher, 'G');
    const msg = message('T', { UNIQ_KEY: 'U1', TAGS: 'tagA', KEYS: 'k1 k2', DELAY: '2' });
    hook.sendMessageAfter({ messages: [msg], batch: false, wireBody: Buffer.from('xy'), brokerAddr: '10.0.0.1:10911', begin: Date.now() }, result('T', { status: 'FLUSH_DISK_TIMEOUT' }));
    assert.equal(appended.length, 1);
    assert.deepEqual({ ...appended[0], costTime: 0, timeStamp: 0 }, {
      traceType: 'Pub', timeStamp: 0, regionId: 'DefaultRegion', groupName: 'G', topic: 'T', msgId: 'U1', tags: 'tagA', keys: 'k1 k2',
      storeHost: '10.0.0.1:10911', bodyLength: 2, costTime: 0, msgType: 3, offsetMsgId: 'O1', success: false,
    });
    await dispatcher.shutdown(100);
  });

  it('records each message of a batch with its own id, keys and offset id', async () => {
    const { dispatcher, appended } = await recordingDispatcher();
    const hook = new SendMessageTraceHook(dispatcher, 'G');
    const msgs = [message('T', { UNIQ_KEY: 'A', KEYS: 'ka' }, 'a'), message('T', { UNIQ_KEY: 'B', TRAN_MSG: 'true' }, 'bbbb')];
    hook.sendMessageAfter({ messages: msgs, batch: true, wireBody: Buffer.alloc(100), brokerAddr: 'h:1', begin: Date.now() }, result('T', { msgId: 'A,B', offsetMsgId: 'OA,OB' }));
    assert.deepEqual(appended.map((c) => c.traceType === 'Pub' && [c.msgId, c.keys, c.offsetMsgId, c.bodyLength, c.msgType]), [
      ['A', 'ka', 'OA', 1, 0],
      ['B', null, 'OB', 4, 1],
    ]);
    await dispatcher.shutdown(100);
  });

  it('never traces sends to the trace topic (or one named after it), nor when the broker turned tracing off', async () => {
    const { dispatcher, appended } = await recordingDispatcher();
    const hook = new SendMessageTraceHook(dispatcher, 'G');
    const sent = (topic: string) => ({ messages: [message(topic, { UNIQ_KEY: 'U1' })], batch: false, wireBody: Buffer.from('x'), brokerAddr: 'h:1', begin: Date.now() });
    hook.sendMessageAfter(sent(RMQ_SYS_TRACE_TOPIC), result(RMQ_SYS_TRACE_TOPIC));
    hook.sendMessageAfter(sent(`${RMQ_SYS_TRACE_TOPIC}_2`), result(`${RMQ_SYS_TRACE_TOPIC}_2`));
    hook.sendMessageAfter(sent('T'), result('T', { traceOn: false }));
    assert.equal(appended.length, 0);
    await dispatcher.shutdown(100);
  });
});

describe('ConsumeMessageTraceHook', () => {
  function consumed(props: Record<string, string>, reconsumeTimes = 0): MessageExt {
    const msg = new MessageExt('T', Buffer.from('x'), new Map(Object.entries(props)));
    msg.reconsumeTimes = reconsumeTimes;
    return msg;
  }

  it('pairs SubBefore and SubAfter by a fresh request id, with the listener outcome as contextCode', async () => {
    const { dispatcher, appended } = await recordingDispatcher();
    let ids = 0;
    const hook = new ConsumeMessageTraceHook(dispatcher, 'CG', () => `REQ${++ids}`);
    const msg = consumed({ UNIQ_KEY: 'U1', KEYS: 'k', [MessageConst.PROPERTY_MSG_REGION]: 'R1' }, 3);
    const before = hook.consumeMessageBefore([msg]);
    hook.consumeMessageAfter(before, 1, 'EXCEPTION');
    const second = hook.consumeMessageBefore([msg]);
    hook.consumeMessageAfter(second, 1, 'SUCCESS');
    assert.deepEqual(appended.map((c) => c.traceType), ['SubBefore', 'SubAfter', 'SubBefore', 'SubAfter']);
    const [b, a, , a2] = appended;
    assert.ok(b?.traceType === 'SubBefore' && a?.traceType === 'SubAfter' && a2?.traceType === 'SubAfter');
    assert.equal(b.requestId, 'REQ1');
    assert.equal(b.regionId, 'R1');
    assert.equal(b.groupName, 'CG');
    assert.deepEqual(b.beans, [{ msgId: 'U1', keys: 'k', retryTimes: 3 }]);
    assert.deepEqual([a.requestId, a.success, a.contextCode, a.groupName], ['REQ1', false, 2, 'CG']);
    assert.deepEqual([a2.requestId, a2.success, a2.contextCode], ['REQ2', true, 0]);
    await dispatcher.shutdown(100);
  });

  it('skips messages the broker marked TRACE_ON=false, and messages without a region', async () => {
    const { dispatcher, appended } = await recordingDispatcher();
    const hook = new ConsumeMessageTraceHook(dispatcher, 'CG', () => 'REQ');
    const off = hook.consumeMessageBefore([consumed({ UNIQ_KEY: 'U1', [MessageConst.PROPERTY_MSG_REGION]: 'R', [MessageConst.PROPERTY_TRACE_SWITCH]: 'false' })]);
    hook.consumeMessageAfter(off, 1, 'SUCCESS');
    const noRegion = hook.consumeMessageBefore([consumed({ UNIQ_KEY: 'U2' })]);
    hook.consumeMessageAfter(noRegion, 1, 'FAILED');
    assert.equal(off, undefined);
    assert.equal(noRegion, undefined);
    assert.equal(appended.length, 0);
    await dispatcher.shutdown(100);
  });
});

describe('EndTransactionTraceHook', () => {
  const ended = {
    topic: 'T',
    tags: 'tg',
    keys: 'k1 k2',
    regionId: undefined,
    msgId: 'U1',
    transactionId: 'U1',
    brokerAddr: 'h:1',
    state: 'ROLLBACK_MESSAGE',
    fromTransactionCheck: false,
  } as const;

  it("records the end with Java's msgType Trans_msg_Commit whatever the state, and DefaultRegion for a message without one", async () => {
    const { dispatcher, appended } = await recordingDispatcher();
    const hook = new EndTransactionTraceHook(dispatcher, 'TxG');
    hook.endTransaction(ended);
    hook.endTransaction({ ...ended, regionId: 'R2', state: 'UNKNOW', fromTransactionCheck: true, transactionId: undefined });
    assert.deepEqual({ ...appended[0], timeStamp: 0 }, {
      traceType: 'EndTransaction', timeStamp: 0, regionId: 'DefaultRegion', groupName: 'TxG', topic: 'T', msgId: 'U1', tags: 'tg', keys: 'k1 k2',
      storeHost: 'h:1', msgType: 2, transactionId: 'U1', transactionState: 'ROLLBACK_MESSAGE', fromTransactionCheck: false,
    });
    assert.ok(appended[1]?.traceType === 'EndTransaction');
    assert.deepEqual([appended[1].regionId, appended[1].transactionState, appended[1].fromTransactionCheck, appended[1].transactionId], ['R2', 'UNKNOW', true, null]);
    await dispatcher.shutdown(100);
  });

  it('never traces the trace topic', async () => {
    const { dispatcher, appended } = await recordingDispatcher();
    new EndTransactionTraceHook(dispatcher, 'TxG').endTransaction({ ...ended, topic: RMQ_SYS_TRACE_TOPIC });
    assert.equal(appended.length, 0);
    await dispatcher.shutdown(100);
  });
});
