import { Producer } from '../client/producer/producer.js';
import type { ProducerMessage } from '../client/producer/producer-message.js';
import type { SendResult } from '../client/producer/send-result.js';
import { TransactionProducer, type LocalTransactionState } from '../client/producer/transaction-producer.js';
import { credentialsOf, intOption, NAMESPACE_OPTION, namespaceOf, nameServerOf, output, parseCommand, parseTimestamp, reportFailure, UsageError, type ParsedValues } from './table.js';
import { required } from './topic.js';

export const SEND_USAGE = `usage: rocketmq-ts send -t TOPIC [--body TEXT | --size N] [--count N] [--tags T] [--keys K] [options]

  -t, --topic TOPIC      where to send (auto-created by a broker that allows it)
  --body TEXT            the body (default "Hello RocketMQ <i>" per message)
  --size N               a body of N bytes instead
  --count N              how many messages (default 1)
  --tags T, --keys K     the messages' tag and keys (keys separated by spaces)
  --prop NAME=VALUE      a user property (repeat for more), e.g. for consumers with a SQL92 selector
  --concurrency N        sends in flight at once (default 16)
  --deliver-time T       timer messages (5.x brokers), delivered at T: milliseconds since the epoch or an ISO-8601
                         time (2026-12-24T18:00:00Z); a time past is delivered at once
  --delay MS             timer messages delivered MS milliseconds after the broker receives them (at most
                         timerMaxDelaySec, 3 days by default); not with --deliver-time
  --transaction OUTCOME  send transactional messages whose local transaction ends with commit, rollback or
                         unknown (left to the broker's check, which this process, gone by then, never answers)
  -g, --group G          producer group (default rocketmq-ts-cli-producer)
  --namespace NS         send as a client of namespace NS: topic and group are NS%name on the wire
  -n ADDR                name server (default $NAMESRV_ADDR, else 127.0.0.1:9876)
  --json                 one JSON summary (with every result when count <= 1000)
Progress and rate go to stderr every second for counts from 1000; exit 1 if any send failed.`;

/** Counts from which progress is worth a line on stderr every second. */
const PROGRESS_FROM = 1000;
/** Results listed in --json output up to this count, so a summary stays small for big runs. */
const JSON_RESULTS_UP_TO = 1000;

/** `rocketmq-ts send`: sends with the TypeScript Producer and reports the rate. */
export async function runSend(argv: string[]): Promise<number> {
  const state = { exitCode: 0 };
  const parsed = parseCommand('send', SEND_USAGE, argv, {
    topic: { type: 'string', short: 't' },
    body: { type: 'string' },
    size: { type: 'string' },
    count: { type: 'string' },
    tags: { type: 'string' },
    keys: { type: 'string' },
    prop: { type: 'string', multiple: true },
    concurrency: { type: 'string' },
    group: { type: 'string', short: 'g' },
    transaction: { type: 'string' },
    'deliver-time': { type: 'string' },
    delay: { type: 'string' },
    ...NAMESPACE_OPTION,
  }, state);
  if (parsed === undefined) return state.exitCode;
  const { values } = parsed;
  let producer: Producer | undefined;
  try {
    const topic = required(values, 'topic');
    if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument '${parsed.positionals[0]}'`);
    if (values.body !== undefined && values.size !== undefined) throw new UsageError('give --body or --size, not both');
    const count = intOption(values, 'count', 1, 1);
    const concurrency = intOption(values, 'concurrency', 16, 1);
    const sized = values.size === undefined ? undefined : Buffer.alloc(intOption(values, 'size', 0, 1), 'a');
    const body = (i: number): Buffer | string => sized ?? (typeof values.body === 'string' ? values.body : `Hello RocketMQ ${i}`);
    const tags = typeof values.tags === 'string' ? values.tags : undefined;
    const keys = typeof values.keys === 'string' ? values.keys.split(' ').filter((k) => k !== '') : undefined;
    const properties = userProperties(values.prop);
    const timer = timerOption(values);
    const outcome = transactionOutcome(typeof values.transaction === 'string' ? values.transaction : undefined);
    const producerOptions = {
      nameServer: nameServerOf(values),
      group: typeof values.group === 'string' ? values.group : 'rocketmq-ts-cli-producer',
      namespace: namespaceOf(values),
      credentials: credentialsOf(),
    };
    const txProducer = outcome === undefined ? undefined : new TransactionProducer({ ...producerOptions, checkLocalTransaction: () => 'UNKNOW' });
    producer = txProducer ?? new Producer(producerOptions);
    await producer.start();
    const started = producer;
    const sendOne = (message: ProducerMessage): Promise<SendResult> =>
      txProducer === undefined || outcome === undefined ? started.send(message) : txProducer.sendMessageInTransaction(message, () => outcome);

    const results: SendResult[] = [];
    let sent = 0;
    let failed = 0;
    let firstError: unknown;
    let next = 0;
    const begin = performance.now();
    const progress = count >= PROGRESS_FROM ? setInterval(() => reportProgress(sent, failed, count, begin), 1000) : undefined;
    // `concurrency` workers take the next index until all are taken: at most that many sends in flight.
    const worker = async (): Promise<void> => {
      while (next < count) {
        const i = next++;
        try {
          const result = await sendOne({
            topic,
            body: body(i),
            ...(tags === undefined ? {} : { tags }),
            ...(keys === undefined ? {} : { keys }),
            ...(properties === undefined ? {} : { properties }),
            ...timer,
          });
          sent++;
          if (count <= JSON_RESULTS_UP_TO) results.push(result);
        } catch (err) {
          failed++;
          firstError ??= err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
    clearInterval(progress);
    const elapsedMs = performance.now() - begin;
    const rate = (sent * 1000) / Math.max(elapsedMs, 1);
    const json = values.json === true;
    output(json, { topic, sent, failed, elapsedMs: Math.round(elapsedMs), rate: Math.round(rate), ...(count <= JSON_RESULTS_UP_TO ? { results } : {}) }, () => {
      const lines = count === 1 ? results.map(describeResult) : [];
      lines.push(`sent ${sent} of ${count} messages to ${topic} in ${(elapsedMs / 1000).toFixed(2)} s (${Math.round(rate)} msg/s)${failed > 0 ? `, ${failed} failed` : ''}`);
      return lines.join('\n');
    });
    if (firstError !== undefined) process.stderr.write(`rocketmq-ts send: first failure: ${(firstError as Error).message}\n`);
    return failed > 0 ? 1 : 0;
  } catch (err) {
    return reportFailure('send', SEND_USAGE, err);
  } finally {
    await producer?.shutdown();
  }
}

/** --prop NAME=VALUE, repeated: the user properties of every message. */
function userProperties(values: ParsedValues[string]): Record<string, string> | undefined {
  if (values === undefined) return undefined;
  const properties: Record<string, string> = {};
  for (const item of Array.isArray(values) ? values : [values]) {
    const text = String(item);
    const at = text.indexOf('=');
    if (at <= 0) throw new UsageError(`--prop needs NAME=VALUE, not '${text}'`);
    properties[text.slice(0, at)] = text.slice(at + 1);
  }
  return properties;
}

/** --deliver-time or --delay: the timer fields of every message ({} for none). */
function timerOption(values: ParsedValues): Pick<ProducerMessage, 'deliverTimeMs' | 'delayTimeMs'> {
  const at = values['deliver-time'];
  if (at !== undefined && values.delay !== undefined) throw new UsageError('give --deliver-time or --delay, not both');
  if (values.delay !== undefined) return { delayTimeMs: intOption(values, 'delay', 0, 0) };
  if (at === undefined) return {};
  const deliverTimeMs = typeof at === 'string' ? parseTimestamp(at) : undefined;
  if (deliverTimeMs === undefined || !Number.isSafeInteger(deliverTimeMs) || deliverTimeMs < 0) {
    throw new UsageError(`--deliver-time must be milliseconds since the epoch or an ISO-8601 time, not '${String(at)}'`);
  }
  return { deliverTimeMs };
}

function transactionOutcome(value: string | boolean | undefined): LocalTransactionState | undefined {
  if (value === undefined) return undefined;
  const outcomes: Record<string, LocalTransactionState> = { commit: 'COMMIT_MESSAGE', rollback: 'ROLLBACK_MESSAGE', unknown: 'UNKNOW' };
  const outcome = typeof value === 'string' ? outcomes[value] : undefined;
  if (outcome === undefined) throw new UsageError(`--transaction must be commit, rollback or unknown, not '${String(value)}'`);
  return outcome;
}

function reportProgress(sent: number, failed: number, count: number, begin: number): void {
  const seconds = (performance.now() - begin) / 1000;
  const done = sent + failed;
  process.stderr.write(`${done}/${count} (${Math.floor((done * 100) / count)}%) ${Math.round(sent / seconds)} msg/s${failed > 0 ? `, ${failed} failed` : ''}\n`);
}

/** SendResult.toString's fields, as the Java quickstart Producer prints them. */
function describeResult(r: SendResult): string {
  const mq = r.messageQueue;
  const local = 'localTransactionState' in r ? `, localTransactionState=${String(r.localTransactionState)}` : '';
  const recall = r.recallHandle === undefined ? '' : `, recallHandle=${r.recallHandle}`;
  return `SendResult [sendStatus=${r.status}, msgId=${r.msgId}, offsetMsgId=${r.offsetMsgId}, messageQueue=MessageQueue [topic=${mq.topic}, brokerName=${mq.brokerName}, queueId=${mq.queueId}], queueOffset=${r.queueOffset}${recall}${local}]`;
}
