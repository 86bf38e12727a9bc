import { formatTable, humanTime, output, parseCommand, usageError, withAdmin } from './table.js';
import { required } from './topic.js';

export const CONSUMER_USAGE = `usage: rocketmq-ts consumer progress -g GROUP [-t TOPIC] [-n ADDR] [--json]

  Per queue: the broker's max offset, the group's committed offset and the difference (lag), as mqadmin
  consumerProgress; then the group's consume TPS and total lag.`;

/** `rocketmq-ts consumer progress`: mqadmin consumerProgress -g. */
export async function runConsumer(argv: string[]): Promise<number> {
  const state = { exitCode: 0 };
  const parsed = parseCommand('consumer', CONSUMER_USAGE, argv, { group: { type: 'string', short: 'g' }, topic: { type: 'string', short: 't' } }, state);
  if (parsed === undefined) return state.exitCode;
  if (parsed.positionals[0] !== 'progress' || parsed.positionals.length > 1) {
    usageError('consumer', CONSUMER_USAGE, `unknown sub-command '${parsed.positionals.join(' ')}'`, state);
    return state.exitCode;
  }
  const { values } = parsed;
  return withAdmin('consumer', CONSUMER_USAGE, values, async (admin) => {
    const group = required(values, 'group');
    const progress = await admin.consumerProgress(group, typeof values.topic === 'string' ? values.topic : undefined);
    output(values.json === true, { group, ...progress }, () =>
      [
        formatTable(
          ['#Topic', '#Broker Name', '#QID', '#Broker Offset', '#Consumer Offset', '#Diff', '#LastTime'],
          progress.offsetTable.map((q) => [q.mq.topic, q.mq.brokerName, q.mq.queueId, q.brokerOffset, q.consumerOffset, q.diff, humanTime(q.lastTimestamp)]),
        ),
        '',
        `Consume TPS: ${progress.consumeTps.toFixed(2)}`,
        `Consume Diff Total: ${progress.diffTotal}`,
      ].join('\n'),
    );
  });
}
