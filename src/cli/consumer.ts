import { consumerConnectionView } from '../client/admin/admin-views.js';
import { formatTable, humanTime, NAMESPACE_OPTION, output, parseCommand, parseTimestamp, usageError, withAdmin } from './table.js';
import { required } from './topic.js';

export const CONSUMER_USAGE = `usage: rocketmq-ts consumer progress -g GROUP [-t TOPIC] [-n ADDR] [--json]
       rocketmq-ts consumer connection -g GROUP [-n ADDR] [--json]
       rocketmq-ts consumer reset -g GROUP -t TOPIC --timestamp MILLIS|ISO-8601|now [-n ADDR] [--json]

  progress:   per queue, the broker's max offset, the group's committed offset and the difference (lag), as mqadmin
              consumerProgress; then the group's consume TPS and total lag.
  connection: the group's online clients and their subscriptions, as mqadmin consumerConnection.
  reset:      moves the group's offsets of TOPIC to the first message stored at or after the time, as mqadmin
              resetOffsetByTime (online consumers are told through the broker; otherwise the offsets are committed).
  --namespace NS: GROUP and TOPIC of namespace NS (NS%name on the wire), shown without NS%.`;

/** `rocketmq-ts consumer progress|connection|reset`: mqadmin consumerProgress, consumerConnection, resetOffsetByTime. */
export async function runConsumer(argv: string[]): Promise<number> {
  const state = { exitCode: 0 };
  const parsed = parseCommand(
    'consumer',
    CONSUMER_USAGE,
    argv,
    { group: { type: 'string', short: 'g' }, topic: { type: 'string', short: 't' }, timestamp: { type: 'string' }, ...NAMESPACE_OPTION },
    state,
  );
  if (parsed === undefined) return state.exitCode;
  const sub = parsed.positionals[0];
  if (parsed.positionals.length !== 1 || (sub !== 'progress' && sub !== 'connection' && sub !== 'reset')) {
    usageError('consumer', CONSUMER_USAGE, `unknown sub-command '${parsed.positionals.join(' ')}'`, state);
    return state.exitCode;
  }
  const { values } = parsed;
  const json = values.json === true;
  let timestamp = 0;
  if (sub === 'reset') {
    const given = typeof values.timestamp === 'string' ? parseTimestamp(values.timestamp) : undefined;
    if (given === undefined) {
      usageError('consumer', CONSUMER_USAGE, 'reset needs --timestamp: milliseconds since the epoch, an ISO-8601 time or "now"', state);
      return state.exitCode;
    }
    timestamp = given;
  }
  return withAdmin('consumer', CONSUMER_USAGE, values, async (admin) => {
    const group = required(values, 'group');
    if (sub === 'connection') {
      const c = await admin.consumerConnection(group);
      const subscriptions = [...c.subscriptionTable].map(([topic, sd]) => ({ topic, subString: sd.subString }));
      output(json, consumerConnectionView(group, c), () =>
        [
          formatTable(['#ClientId', '#ClientAddr', '#Language', '#Version'], c.connectionSet.map((x) => [x.clientId, x.clientAddr, x.language, x.version])),
          '',
          formatTable(['#Topic', '#SubExpression'], subscriptions.map((x) => [x.topic, x.subString])),
          '',
          `ConsumeType: ${c.consumeType}`,
          `MessageModel: ${c.messageModel}`,
          `ConsumeFromWhere: ${c.consumeFromWhere}`,
        ].join('\n'),
      );
      return;
    }
    if (sub === 'reset') {
      const topic = required(values, 'topic');
      const offsets = await admin.resetOffsetByTimestamp(topic, group, timestamp);
      output(json, { group, topic, timestamp, offsets }, () =>
        [
          `reset ${group} on ${topic} to ${new Date(timestamp).toISOString()}`,
          formatTable(['#Broker Name', '#QID', '#Offset'], offsets.map((o) => [o.mq.brokerName, o.mq.queueId, o.offset])),
        ].join('\n'),
      );
      return;
    }
    const progress = await admin.consumerProgress(group, typeof values.topic === 'string' ? values.topic : undefined);
    output(json, { group, ...progress }, () =>
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
