/**
 * The Go client's transaction producer (rocketmq-client-go, interop/go/txproducer) against our broker (issue 14):
 * commit, rollback, UNKNOW committed on the second check, and always UNKNOW, which ends in TRANS_CHECK_MAX_TIME_TOPIC
 * after transactionCheckMax checks. The broker checks every 500 ms once a half message is 1.5 s old (past the Go
 * producer's first heartbeat).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import type { NamesrvController } from '../../src/namesrv/name-server.js';
import type { MessageExt } from '../../src/protocol/message/index.js';
import { startTestBroker, startTestNamesrv } from '../helpers/cluster.js';
import { buildGoInterop, goInteropSkip, startGo } from '../helpers/go.js';
import { waitFor } from '../helpers/wait.js';

const skip = await goInteropSkip();
const TOPIC = 'GoTxTopic';
const CHECK_MAX = 3;
const OUTCOMES = ['commit', 'rollback', 'unknown-commit', 'unknown'];

interface Line {
  event: string;
  key: string;
  n?: number;
  answer?: string;
  topic?: string;
  checkTimes?: string;
  state?: string;
  error?: string;
}

describe('Go client transaction producer with our broker', { skip, timeout: 5 * 60_000 }, () => {
  let dir: string;
  let namesrv: NamesrvController;
  let namesrvAddr: string;
  let broker: BrokerController;

  before(async () => {
    await buildGoInterop();
    dir = await mkdtemp(join(tmpdir(), 'rmq-gotx-'));
    ({ namesrv, namesrvAddr } = await startTestNamesrv(dir));
    broker = await startTestBroker(dir, namesrvAddr, {
      broker: { transactionCheckInterval: 500, transactionTimeOut: 1500, transactionCheckMax: CHECK_MAX, transactionOpBatchInterval: 100 },
    });
  });
  after(async () => {
    await broker?.shutdown();
    await namesrv?.shutdown();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const messagesOf = (topic: string): MessageExt[] => {
    const found: MessageExt[] = [];
    for (let q = 0; q < 8; q++) {
      for (const unit of broker.messageStore.iterateConsumeQueue(topic, q, 0, 1000)) {
        const msg = broker.messageStore.lookMessageByOffset(unit.pos);
        if (msg !== null) found.push(msg);
      }
    }
    return found;
  };
  const keyOf = (outcome: string): string => `tx-${outcome}-${OUTCOMES.indexOf(outcome)}`;

  it('commit, rollback, UNKNOW then commit on a check, always UNKNOW', async () => {
    const producer = await startGo('txproducer', ['-namesrv', namesrvAddr, '-topic', TOPIC, '-outcomes', OUTCOMES.join(','), '-linger', '60s'], { readyLine: /^SENT$/ });
    try {
      await waitFor(() => messagesOf('TRANS_CHECK_MAX_TIME_TOPIC').some((m) => m.keys === keyOf('unknown')), 30_000, 'the always-UNKNOW message discarded');
      const lines = producer.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Line);
      const sends = lines.filter((l) => l.event === 'send');
      assert.deepEqual(
        sends.map((s) => [s.key, s.state, s.error]),
        [
          [keyOf('commit'), 'COMMIT_MESSAGE', undefined],
          [keyOf('rollback'), 'ROLLBACK_MESSAGE', undefined],
          [keyOf('unknown-commit'), 'UNKNOW', undefined],
          [keyOf('unknown'), 'UNKNOW', undefined],
        ],
      );
      const checksOf = (outcome: string): Line[] => lines.filter((l) => l.event === 'check' && l.key === keyOf(outcome));
      assert.deepEqual(checksOf('unknown-commit').map((c) => [c.n, c.answer, c.checkTimes]), [[1, 'UNKNOW', '1'], [2, 'COMMIT_MESSAGE', '2']]);
      assert.equal(checksOf('unknown').length, CHECK_MAX);
      assert.equal(checksOf('commit').length + checksOf('rollback').length, 0);
      for (const check of lines.filter((l) => l.event === 'check')) assert.equal(check.topic, TOPIC);
      const delivered = messagesOf(TOPIC).map((m) => m.keys).sort();
      assert.deepEqual(delivered, [keyOf('commit'), keyOf('unknown-commit')].sort());
    } finally {
      await producer.stop();
    }
  });
});
