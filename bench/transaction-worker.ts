/**
 * Our TransactionProducer in a process of its own, for `bench:transaction` (forked by transaction.ts, IPC of
 * worker-ipc.ts): the workload of Apache RocketMQ's benchmark TransactionProducer
 * (org.apache.rocketmq.example.benchmark.TransactionProducer), rebuilt on our client:
 *   - `threads` closed loops of sendMessageInTransaction (the tool's sending threads), each message a fresh body of
 *     `size` random bytes that starts as the tool's does: batch id (8 bytes), message id (8), the local
 *     transaction's answer (1 byte, LocalTransactionState's ordinal: ROLLBACK with probability sendRollback, else
 *     UNKNOW with probability sendUnknown, else COMMIT), then the answers to the 1st..20th check (each ROLLBACK
 *     with checkRollback, else UNKNOW with checkUnknown, else COMMIT);
 *   - the local transaction answers its byte; a check answers the byte of its TRANSACTION_CHECK_TIMES, and is
 *     *unexpected* (the tool's definition) when the send's answer was not UNKNOW, or when an earlier check's answer
 *     was not UNKNOW (the broker asked again after a definite answer): it is answered with that earlier answer.
 *     A check of another batch's message is answered ROLLBACK and not counted, as the tool does;
 *   - a *duplicated* check is a second check with the same TRANSACTION_CHECK_TIMES for the same message: the tool
 *     means to count those, but never stores what it saw (its LRUMap is read, never written), so its count is 0;
 *     this one keeps the map;
 *   - check latency, which the tool does not measure: for a message's first check, its arrival minus the message's
 *     bornTimestamp (the producer's clock at the send, which the broker's transactionTimeOut counts from); for a
 *     later one, its arrival minus the previous check's; and, for a transaction UNKNOW at send, the time from born
 *     to the check answered COMMIT or ROLLBACK (resolved). An UNKNOW transaction never checked within
 *     `overdueMillis` of its send is *unchecked* (counted when the worker stops).
 * Counted within the measured window: sends, their RT, checks and latencies; unexpected and duplicated checks are
 * also counted over the whole run. argv: one JSON TxWorkerConfig.
 */
import { TransactionProducer, type LocalTransactionState } from '../src/client/index.js';
import type { MessageExt } from '../src/protocol/message/message.js';
import { report, runWindow } from './worker-ipc.js';

/** The Java tool's answers per message (TransactionProducer.MAX_CHECK_RESULT_IN_MSG). */
const MAX_CHECK_RESULT_IN_MSG = 20;
const HEADER_BYTES = 8 + 8 + 1 + MAX_CHECK_RESULT_IN_MSG;
/** LocalTransactionState's ordinals, as the tool writes them into the body. */
const STATES: readonly LocalTransactionState[] = ['COMMIT_MESSAGE', 'ROLLBACK_MESSAGE', 'UNKNOW'];
const COMMIT = 0;
const ROLLBACK = 1;
const UNKNOW = 2;

/** The Java tool's workload: -w, -s, -sr, -su, -cr, -cu. */
export interface TxWorkload {
  threads: number;
  size: number;
  sendRollback: number;
  sendUnknown: number;
  checkRollback: number;
  checkUnknown: number;
}

export interface TxWorkerConfig extends TxWorkload {
  namesrvAddr: string;
  topic: string;
  group: string;
  /** An UNKNOW transaction with no check this long after its send counts as unchecked. */
  overdueMillis: number;
  /** Write a CPU profile of the measured window here. */
  profileFile?: string;
}

/** Milliseconds: count, mean and percentiles of a latency, null when nothing was measured. */
export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface TxWorkerResult {
  type: 'result';
  /** The measured window, from 'measure' to 'stop', by the worker's clock. */
  seconds: number;
  /** Sends that returned SEND_OK in the window, and those that threw or returned another status. */
  sent: number;
  failed: number;
  rtMeanMs: number | null;
  rtMaxMs: number | null;
  /** The local transactions' answers in the window. */
  states: { commit: number; rollback: number; unknown: number };
  /** Checks of this run's messages received in the window. */
  checks: number;
  /** Checks answered COMMIT / ROLLBACK / UNKNOW in the window (unexpected ones included). */
  checkAnswers: { commit: number; rollback: number; unknown: number };
  unexpected: { window: number; run: number };
  duplicated: { window: number; run: number };
  /** Checks without a numeric TRANSACTION_CHECK_TIMES (answered ROLLBACK, as the tool does), whole run. */
  withoutCheckTimes: number;
  /** Checks of messages of another batch (answered ROLLBACK, not counted), whole run. */
  foreign: number;
  firstCheckMs: LatencySummary | null;
  recheckMs: LatencySummary | null;
  resolvedMs: LatencySummary | null;
  /** UNKNOW transactions still never checked when the worker stopped, although sent over overdueMillis before. */
  unchecked: number;
  /** The highest TRANSACTION_CHECK_TIMES seen. */
  maxCheckTimes: number;
  /** The first few unexpected checks, described as the tool prints them. */
  unexpectedSamples: string[];
  /**
   * Checks the producer dropped, whole run: its check queue was full (checkRequestHoldMax, 2000, as Java's); the
   * broker asks again a check interval later, and the tool's logic counts that next check as unexpected when the
   * dropped one's answer (never given) was COMMIT or ROLLBACK.
   */
  checksDropped: number;
  /** The producer's other warnings and errors, whole run, and the first few. */
  warnings: number;
  warningSamples: string[];
}

function summarize(samples: number[]): LatencySummary | null {
  if (samples.length === 0) return null;
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return {
    count: sorted.length,
    mean: Math.round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: sorted[sorted.length - 1] ?? NaN,
  };
}

/** The tool's draw: ROLLBACK with `rollback`, else UNKNOW with `unknown`, else COMMIT (two independent draws). */
function draw(rollback: number, unknown: number): number {
  if (Math.random() < rollback) return ROLLBACK;
  if (Math.random() < unknown) return UNKNOW;
  return COMMIT;
}

async function run(config: TxWorkerConfig): Promise<void> {
  const batchId = BigInt(Date.now());
  const machineId = BigInt(Date.now()) << 32n;
  let count = 0n;
  let measuring = false;
  let windowBegan = 0;
  let windowEnded = 0;
  const w = {
    sent: 0,
    failed: 0,
    rtSum: 0,
    rtMax: 0,
    states: [0, 0, 0],
    checks: 0,
    checkAnswers: [0, 0, 0],
    unexpected: 0,
    duplicated: 0,
  };
  const firstCheck: number[] = [];
  const recheck: number[] = [];
  const resolved: number[] = [];
  let unexpectedRun = 0;
  let duplicatedRun = 0;
  let withoutCheckTimes = 0;
  let foreign = 0;
  let maxCheckTimes = 0;
  const unexpectedSamples: string[] = [];
  /** UNKNOW-at-send transactions not checked yet: message id -> Date.now() at the send. */
  const unchecked = new Map<bigint, number>();
  /** Per message id: when its last check came, and the check times seen (bit k-1 for the k-th check). */
  const lastCheck = new Map<bigint, number>();
  const checkLog = new Map<bigint, number>();

  // The tool fills each body with ThreadLocalRandom.nextBytes, a cheap generator; crypto's randomFillSync cost our
  // producer a tenth of its CPU (its profile), which the tool does not pay. xorshift32 is as cheap as the tool's.
  let seed = (Date.now() ^ process.pid) >>> 0 || 1;
  const buildBody = (): Buffer => {
    const words = new Uint32Array(Math.ceil(config.size / 4));
    for (let i = 0; i < words.length; i++) {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      words[i] = seed >>> 0;
    }
    const body = Buffer.from(words.buffer, 0, config.size);
    body.writeBigInt64BE(batchId, 0);
    body.writeBigInt64BE(BigInt.asIntN(64, machineId | count), 8);
    count++;
    body[16] = draw(config.sendRollback, config.sendUnknown);
    for (let i = 0; i < MAX_CHECK_RESULT_IN_MSG; i++) body[17 + i] = draw(config.checkRollback, config.checkUnknown);
    return body;
  };

  const answerCheck = (message: MessageExt): LocalTransactionState => {
    const body = message.body;
    if (body.length < HEADER_BYTES || body.readBigInt64BE(0) !== batchId) {
      foreign++;
      return 'ROLLBACK_MESSAGE';
    }
    const now = Date.now();
    const id = body.readBigInt64BE(8);
    if (measuring) w.checks++;
    let times = Number.parseInt(message.getProperty('TRANSACTION_CHECK_TIMES') ?? '', 10);
    if (!Number.isFinite(times)) {
      withoutCheckTimes++;
      return 'ROLLBACK_MESSAGE';
    }
    times = times <= 0 ? 1 : times;
    maxCheckTimes = Math.max(maxCheckTimes, times);

    const previous = lastCheck.get(id);
    if (measuring) (previous === undefined ? firstCheck : recheck).push(previous === undefined ? now - message.bornTimestamp : now - previous);
    lastCheck.set(id, now);
    unchecked.delete(id);
    const seen = checkLog.get(id) ?? 0;
    const bit = 2 ** Math.min(times - 1, 30);
    checkLog.set(id, seen | bit);
    if ((seen & bit) !== 0) {
      duplicatedRun++;
      if (measuring) w.duplicated++;
    }

    let answer: number | undefined;
    let unexpected = false;
    if (body[16] !== UNKNOW) {
      unexpected = true;
      answer = body[16];
    } else {
      for (let i = 0; i < times - 1 && i < MAX_CHECK_RESULT_IN_MSG; i++) {
        if (body[17 + i] !== UNKNOW) {
          unexpected = true;
          answer = body[17 + i];
          break;
        }
      }
    }
    // Past the 20 answers the tool's list throws: the client answers UNKNOW.
    answer ??= times - 1 < MAX_CHECK_RESULT_IN_MSG ? body[17 + times - 1] : UNKNOW;
    if (unexpected) {
      unexpectedRun++;
      if (measuring) w.unexpected++;
      if (unexpectedSamples.length < 5) {
        const what = body[16] !== UNKNOW ? `sendResult=${STATES[body[16] ?? 0] ?? '?'}` : `lastCheckResult=${STATES[answer ?? 0] ?? '?'}`;
        unexpectedSamples.push(`${new Date(now).toISOString()} unexpected check: msgId=${message.uniqKey ?? '?'},checkTimes=${times},${what},bornAgoMs=${now - message.bornTimestamp}`);
      }
    }
    const state = answer ?? UNKNOW;
    if (measuring) {
      w.checkAnswers[state] = (w.checkAnswers[state] ?? 0) + 1;
      if (state !== UNKNOW && !unexpected) resolved.push(now - message.bornTimestamp);
    }
    return STATES[state] ?? 'UNKNOW';
  };

  let checksDropped = 0;
  let warnings = 0;
  const warningSamples: string[] = [];
  const warn = (message: string, ...args: unknown[]): void => {
    if (/^transaction check of .* dropped/.test(message)) {
      checksDropped++;
      return;
    }
    warnings++;
    if (warningSamples.length < 5) warningSamples.push(`${message} ${args.map(String).join(' ')}`.trim());
  };
  const ignore = (): void => undefined;
  const producer = new TransactionProducer({
    logger: { debug: ignore, info: ignore, warn, error: warn },
    nameServer: config.namesrvAddr,
    group: config.group,
    serializeType: 'ROCKETMQ', // the Java tool sets rocketmq.serialize.type=ROCKETMQ for itself
    checkLocalTransaction: answerCheck,
  });
  await producer.start();
  let running = true;
  const sender = async (): Promise<void> => {
    while (running) {
      const body = buildBody();
      const begin = performance.now();
      const sentAt = Date.now();
      let state: number | undefined;
      try {
        const result = await producer.sendMessageInTransaction({ topic: config.topic, body }, (half) => STATES[(half.body as Buffer)[16] ?? COMMIT] ?? 'COMMIT_MESSAGE');
        if (result.status === 'SEND_OK') state = STATES.indexOf(result.localTransactionState);
      } catch {
        state = undefined;
      }
      const rt = performance.now() - begin;
      if (state === UNKNOW) unchecked.set(body.readBigInt64BE(8), sentAt);
      if (!measuring) continue;
      if (state === undefined) {
        w.failed++;
        continue;
      }
      w.sent++;
      w.rtSum += rt;
      w.rtMax = Math.max(w.rtMax, rt);
      w.states[state] = (w.states[state] ?? 0) + 1;
    }
  };
  const senders = Array.from({ length: config.threads }, sender);
  await runWindow(config.profileFile, (on) => {
    measuring = on;
    if (on) windowBegan = performance.now();
    else windowEnded = performance.now();
  });
  running = false;
  await Promise.all(senders);
  const overdueBefore = Date.now() - config.overdueMillis;
  const neverChecked = [...unchecked.values()].filter((sentAt) => sentAt < overdueBefore).length;
  await producer.shutdown();
  const result: TxWorkerResult = {
    type: 'result',
    seconds: (windowEnded - windowBegan) / 1000,
    sent: w.sent,
    failed: w.failed,
    rtMeanMs: w.sent === 0 ? null : Math.round((w.rtSum / w.sent) * 1000) / 1000,
    rtMaxMs: w.sent === 0 ? null : Math.round(w.rtMax * 10) / 10,
    states: { commit: w.states[COMMIT] ?? 0, rollback: w.states[ROLLBACK] ?? 0, unknown: w.states[UNKNOW] ?? 0 },
    checks: w.checks,
    checkAnswers: { commit: w.checkAnswers[COMMIT] ?? 0, rollback: w.checkAnswers[ROLLBACK] ?? 0, unknown: w.checkAnswers[UNKNOW] ?? 0 },
    unexpected: { window: w.unexpected, run: unexpectedRun },
    duplicated: { window: w.duplicated, run: duplicatedRun },
    withoutCheckTimes,
    foreign,
    firstCheckMs: summarize(firstCheck),
    recheckMs: summarize(recheck),
    resolvedMs: summarize(resolved),
    unchecked: neverChecked,
    maxCheckTimes,
    unexpectedSamples,
    checksDropped,
    warnings,
    warningSamples,
  };
  if (process.connected) await report(result);
}

const [raw] = process.argv.slice(2);
if (raw === undefined) throw new Error('usage: transaction-worker.js <TxWorkerConfig as JSON>');
await run(JSON.parse(raw) as TxWorkerConfig);
process.disconnect?.();
