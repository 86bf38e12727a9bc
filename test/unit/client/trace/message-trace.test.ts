import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildMessageTrace, type FoundTraceRecord } from '../../../../src/client/trace/message-trace.js';
import type { DecodedTraceContext } from '../../../../src/client/trace/trace-data-encoder.js';

const M = 'MSG';

function pub(msgId: string, timeStamp: number): DecodedTraceContext {
  return {
    traceType: 'Pub', timeStamp, regionId: 'r', groupName: 'PG', topic: 'T', msgId, tags: 't', keys: 'k', storeHost: 'b:1',
    bodyLength: 5, costTime: 2, msgType: 1, offsetMsgId: 'OFF', success: true,
  };
}

function before(requestId: string, group: string, timeStamp: number, retryTimes = 0, msgId = M): DecodedTraceContext {
  return { traceType: 'SubBefore', timeStamp, regionId: 'r', groupName: group, requestId, beans: [{ msgId, keys: 'k', retryTimes }] };
}

function after(requestId: string, group: string, timeStamp: number, success: boolean, contextCode: number): DecodedTraceContext {
  return { traceType: 'SubAfter', requestId, costTime: 7, success, contextCode, timeStamp, groupName: group, beans: [{ msgId: M, keys: 'k', retryTimes: 0 }] };
}

const at = (host: string) => (record: DecodedTraceContext): FoundTraceRecord => ({ record, clientHost: host });

describe('buildMessageTrace (the dashboard message trace)', () => {
  it("assembles the sends, the transaction end and each group's attempts of one message, in time order", () => {
    const records = [
      ...[pub(M, 100), pub('OTHER', 90)].map(at('p:1')),
      at('p:1')({
        traceType: 'EndTransaction', timeStamp: 110, regionId: 'r', groupName: 'PG', topic: 'T', msgId: M, tags: 't', keys: 'k',
        storeHost: 'b:1', msgType: 2, transactionId: M, transactionState: 'COMMIT_MESSAGE', fromTransactionCheck: false,
      }),
      // Group B: one attempt whose SubAfter is missing (still running, or its client died).
      at('c2:1')(before('R3', 'B', 130)),
      // Group A: a failure, then the retry that succeeded; records out of order.
      ...[after('R2', 'A', 160, true, 0), before('R1', 'A', 120), after('R1', 'A', 125, false, 4), before('R2', 'A', 150, 1)].map(at('c1:1')),
      // Another message's consumption in the same trace message.
      at('c1:1')(before('R9', 'A', 121, 0, 'OTHER')),
    ];
    const trace = buildMessageTrace(M, 'RMQ_SYS_TRACE_TOPIC', records);
    assert.equal(trace.sends.length, 1);
    assert.deepEqual(trace.sends[0], {
      timeStamp: 100, regionId: 'r', groupName: 'PG', topic: 'T', tags: 't', keys: 'k', storeHost: 'b:1', clientHost: 'p:1', bodyLength: 5,
      costTime: 2, msgType: 'Trans_Msg_Half', offsetMsgId: 'OFF', success: true,
    });
    assert.deepEqual(trace.transactions.map((t) => [t.transactionState, t.fromTransactionCheck, t.clientHost]), [['COMMIT_MESSAGE', false, 'p:1']]);
    assert.deepEqual(trace.consumerGroups.map((g) => g.groupName), ['A', 'B']);
    const [a, b] = trace.consumerGroups;
    assert.deepEqual(a?.attempts, [
      { requestId: 'R1', retryTimes: 0, beginTimestamp: 120, endTimestamp: 125, costTime: 7, status: 'FAILED', success: false, clientHost: 'c1:1' },
      { requestId: 'R2', retryTimes: 1, beginTimestamp: 150, endTimestamp: 160, costTime: 7, status: 'SUCCESS', success: true, clientHost: 'c1:1' },
    ]);
    assert.deepEqual(b?.attempts, [
      { requestId: 'R3', retryTimes: 0, beginTimestamp: 130, endTimestamp: undefined, costTime: undefined, status: 'PENDING', success: undefined, clientHost: 'c2:1' },
    ]);
  });

  it("reads a failure written without a ConsumeReturnType as FAILED, and a SubAfter without a group as its SubBefore's", () => {
    const records = [before('R1', 'G', 10), { ...(after('R1', '', 0, false, 0) as object), groupName: '' } as DecodedTraceContext].map(at('h'));
    const trace = buildMessageTrace(M, 'T', records);
    assert.deepEqual(trace.consumerGroups.map((g) => [g.groupName, g.attempts[0]?.status, g.attempts[0]?.endTimestamp]), [['G', 'FAILED', undefined]]);
  });

  it('is empty for a message without records', () => {
    assert.deepEqual(buildMessageTrace(M, 'T', []), { msgId: M, traceTopic: 'T', sends: [], transactions: [], consumerGroups: [], recalls: [] });
  });
});
