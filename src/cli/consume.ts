import type { ConsumerMessage } from '../client/consumer/consumer-message.js';
import { PushConsumer } from '../client/consumer/push-consumer.js';
import { MessageSelector } from '../client/consumer/subscription.js';
import { credentialsOf, intOption, NAMESPACE_OPTION, namespaceOf, nameServerOf, parseCommand, reportFailure, UsageError } from './table.js';
import { required } from './topic.js';

export const CONSUME_USAGE = `usage: rocketmq-ts consume -t TOPIC -g GROUP [--from first|last] [--count N] [--timeout S] [options]

  -t, --topic TOPIC    what to consume
  -g, --group GROUP    consumer group (clustering: offsets are committed to the brokers)
  --from first|last    where a group with no committed offset starts (default last)
  --tags EXPR          subscription expression, e.g. "TagA || TagB" (default *)
  --sql EXPR           a SQL92 selector instead, e.g. "a BETWEEN 3 AND 5 AND TAGS = 'TagA'" (the broker
                       needs enablePropertyFilter=true; dev has it)
  --count N            stop after N messages (exit 1 if the timeout comes first)
  --timeout S          stop after S seconds (default: none, until SIGINT/SIGTERM)
  --namespace NS       consume as a client of namespace NS: topic and group are NS%name on the wire
  -n ADDR              name server (default $NAMESRV_ADDR, else 127.0.0.1:9876)
  --json               one JSON line per message
Messages go to stdout; the summary to stderr. Uses the TypeScript PushConsumer.`;

/**
 * `rocketmq-ts consume`: a PushConsumer that prints what it gets. Past --count, listener calls are held until the
 * consumer has shut down: the consumer then commits only what was printed (the held messages are still in flight),
 * so the group's next run starts with the first message not shown.
 */
export async function runConsume(argv: string[]): Promise<number> {
  const state = { exitCode: 0 };
  const parsed = parseCommand('consume', CONSUME_USAGE, argv, {
    topic: { type: 'string', short: 't' },
    group: { type: 'string', short: 'g' },
    from: { type: 'string' },
    tags: { type: 'string' },
    sql: { type: 'string' },
    count: { type: 'string' },
    timeout: { type: 'string' },
    ...NAMESPACE_OPTION,
  }, state);
  if (parsed === undefined) return state.exitCode;
  const { values } = parsed;
  let consumer: PushConsumer | undefined;
  let release = (): void => undefined;
  let stopWith: (why: string) => void = () => undefined;
  const stopped = new Promise<string>((resolve) => (stopWith = resolve));
  const onSignal = (signal: NodeJS.Signals): void => stopWith(signal);
  let timer: NodeJS.Timeout | undefined;
  try {
    const topic = required(values, 'topic');
    const group = required(values, 'group');
    if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument '${parsed.positionals[0]}'`);
    const from = values.from ?? 'last';
    if (from !== 'first' && from !== 'last') throw new UsageError(`--from must be first or last, not '${String(from)}'`);
    const count = values.count === undefined ? undefined : intOption(values, 'count', 0, 1);
    const timeoutSeconds = values.timeout === undefined ? undefined : intOption(values, 'timeout', 0, 1);
    const json = values.json === true;
    if (values.tags !== undefined && values.sql !== undefined) throw new UsageError('give --tags or --sql, not both');
    const selector = typeof values.sql === 'string' ? MessageSelector.bySql(values.sql) : typeof values.tags === 'string' ? values.tags : '*';

    const held = new Promise<void>((resolve) => (release = resolve));
    let received = 0;
    const begin = performance.now();
    const listener = async (msg: ConsumerMessage): Promise<void> => {
      if (count !== undefined && received >= count) return held;
      received++;
      process.stdout.write(`${json ? JSON.stringify(messageLine(msg)) : describe(msg)}\n`);
      if (received === count) stopWith('count');
    };
    consumer = new PushConsumer({
      nameServer: nameServerOf(values),
      namespace: namespaceOf(values),
      credentials: credentialsOf(),
      group,
      consumeFromWhere: from === 'first' ? 'CONSUME_FROM_FIRST_OFFSET' : 'CONSUME_FROM_LAST_OFFSET',
      // Held listener calls never finish by themselves; shutdown need not wait for them.
      awaitTerminationMillisWhenShutdown: 200,
    });
    consumer.subscribe(topic, selector, listener);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    if (timeoutSeconds !== undefined) timer = setTimeout(() => stopWith('timeout'), timeoutSeconds * 1000);
    await consumer.start();
    const why = await stopped;
    await consumer.shutdown();
    const seconds = (performance.now() - begin) / 1000;
    process.stderr.write(`consumed ${received} messages of ${topic} as ${group} in ${seconds.toFixed(2)} s (${why})\n`);
    return why === 'timeout' && count !== undefined ? 1 : 0;
  } catch (err) {
    return reportFailure('consume', CONSUME_USAGE, err);
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await consumer?.shutdown();
    release();
  }
}

function messageLine(msg: ConsumerMessage): Record<string, unknown> {
  return {
    topic: msg.topic,
    msgId: msg.msgId,
    offsetMsgId: msg.offsetMsgId,
    brokerName: msg.brokerName,
    queueId: msg.queueId,
    queueOffset: msg.queueOffset,
    tags: msg.tags,
    keys: msg.keys,
    reconsumeTimes: msg.reconsumeTimes,
    storeTimestamp: msg.storeTimestamp,
    properties: msg.properties,
    body: msg.body.toString('utf8'),
  };
}

function describe(msg: ConsumerMessage): string {
  return `${msg.msgId} ${msg.brokerName}:${msg.queueId}@${msg.queueOffset} tags=${msg.tags ?? ''} keys=${msg.keys.join(' ')} body=${msg.body.toString('utf8')}`;
}
