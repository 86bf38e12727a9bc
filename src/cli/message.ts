import { messageView } from '../client/admin/admin-views.js';
import type { MessageTrace } from '../client/trace/message-trace.js';
import type { MessageExt } from '../protocol/message/message.js';
import { formatTable, humanTime, NAMESPACE_OPTION, output, parseCommand, UsageError, usageError, withAdmin } from './table.js';

export const MESSAGE_USAGE = `usage: rocketmq-ts message get (--id MSG_ID [-t TOPIC] | --key KEY -t TOPIC) [-n ADDR] [--json]
       rocketmq-ts message trace --id MSG_ID [--trace-topic TOPIC] [-n ADDR] [--json]

  --id ID         an offset msgId (what the broker returns) or a producer's msgId (UNIQ_KEY, needs -t);
                  for trace, the producer's msgId (UNIQ_KEY), which trace records carry
  --key KEY       every message of the topic with this key (KEYS), in store time order
  --trace-topic T where traced clients write their records (default RMQ_SYS_TRACE_TOPIC)
  --namespace NS  TOPIC of namespace NS (NS%TOPIC on the wire), shown without NS%
get prints the message as mqadmin queryMsgById does; --json gives the message(s) with the body as UTF-8 text.
trace prints the message's life from its trace records (mqadmin queryMsgTraceById): its sends, transaction
ends and each consumer group's deliveries; --json gives Admin.queryTrace's answer.`;

/** `rocketmq-ts message get`: mqadmin queryMsgById and queryMsgByKey. */
export async function runMessage(argv: string[]): Promise<number> {
  const state = { exitCode: 0 };
  const parsed = parseCommand(
    'message',
    MESSAGE_USAGE,
    argv,
    { id: { type: 'string', short: 'i' }, key: { type: 'string', short: 'k' }, topic: { type: 'string', short: 't' }, 'trace-topic': { type: 'string' }, ...NAMESPACE_OPTION },
    state,
  );
  if (parsed === undefined) return state.exitCode;
  const sub = parsed.positionals[0];
  if ((sub !== 'get' && sub !== 'trace') || parsed.positionals.length > 1) {
    usageError('message', MESSAGE_USAGE, `unknown sub-command '${parsed.positionals.join(' ')}'`, state);
    return state.exitCode;
  }
  const { values } = parsed;
  const json = values.json === true;
  const topic = typeof values.topic === 'string' ? values.topic : undefined;
  return withAdmin('message', MESSAGE_USAGE, values, async (admin) => {
    if (sub === 'trace') {
      if (typeof values.id !== 'string') throw new UsageError('trace needs --id');
      const traceTopic = values['trace-topic'];
      const trace = await admin.queryTrace(values.id, typeof traceTopic === 'string' ? { traceTopic } : {});
      output(json, trace, () => describeTrace(trace));
      return;
    }
    if (typeof values.id === 'string') {
      const msg = await admin.viewMessage(values.id, topic);
      output(json, messageView(msg), () => describe(msg));
      return;
    }
    if (typeof values.key !== 'string' || topic === undefined) throw new UsageError('give --id, or --key with -t');
    const msgs = (await admin.queryMessage(topic, values.key)).sort((a, b) => a.storeTimestamp - b.storeTimestamp);
    output(json, msgs.map(messageView), () =>
      formatTable(['#Message ID', '#Offset Message ID', '#QID', '#Offset', '#Store Time'], msgs.map((m) => [m.uniqKey ?? m.msgId, m.msgId, m.queueId, m.queueOffset, humanTime(m.storeTimestamp)])),
    );
  });
}

/** QueryMsgByIdSubCommand.printMsg's layout: labels padded to 20, then the value. */
function describe(msg: MessageExt): string {
  const lines: [string, string | number][] = [
    ['OffsetID:', msg.msgId],
    ['Topic:', msg.topic],
    ['Tags:', `[${msg.tags ?? ''}]`],
    ['Keys:', `[${msg.keys ?? ''}]`],
    ['Queue ID:', msg.queueId],
    ['Queue Offset:', msg.queueOffset],
    ['CommitLog Offset:', msg.commitLogOffset],
    ['Reconsume Times:', msg.reconsumeTimes],
    ['Born Timestamp:', humanTime(msg.bornTimestamp)],
    ['Store Timestamp:', humanTime(msg.storeTimestamp)],
    ['Born Host:', `${msg.bornHost.address}:${msg.bornHost.port}`],
    ['Store Host:', `${msg.storeHost.address}:${msg.storeHost.port}`],
    ['System Flag:', msg.sysFlag],
    ['Properties:', JSON.stringify(Object.fromEntries(msg.properties))],
    ['Message Body:', msg.body.toString('utf8')],
  ];
  return lines.map(([label, value]) => `${label.padEnd(20)}${value}`).join('\n');
}

/**
 * QueryMsgTraceByIdSubCommand's table, one row per record: Pub, EndTransaction, and a Sub row per consume
 * attempt (its SubBefore and SubAfter joined), consumer groups after the producer.
 */
export function describeTrace(trace: MessageTrace): string {
  if (trace.sends.length === 0 && trace.transactions.length === 0 && trace.consumerGroups.length === 0 && trace.recalls.length === 0) {
    return `no trace records of ${trace.msgId} in ${trace.traceTopic}`;
  }
  const rows: (string | number)[][] = [];
  for (const pub of trace.sends) {
    rows.push(['Pub', pub.groupName, pub.clientHost, humanTime(pub.timeStamp), `${pub.costTime}ms`, pub.success ? 'success' : 'failed', `${pub.msgType} to ${pub.storeHost}`]);
  }
  for (const end of trace.transactions) {
    rows.push(['EndTransaction', end.groupName, end.clientHost, humanTime(end.timeStamp), '-', end.transactionState, end.fromTransactionCheck ? 'answering a check' : '']);
  }
  for (const recall of trace.recalls) rows.push(['Recall', recall.groupName, recall.clientHost, humanTime(recall.timeStamp), '-', recall.success ? 'success' : 'failed', '']);
  for (const group of trace.consumerGroups) {
    for (const attempt of group.attempts) {
      const time = attempt.beginTimestamp ?? attempt.endTimestamp;
      rows.push([
        'Sub',
        group.groupName,
        attempt.clientHost,
        time === undefined ? 'N/A' : humanTime(time),
        attempt.costTime === undefined ? '-' : `${attempt.costTime}ms`,
        attempt.status,
        `retry ${attempt.retryTimes}`,
      ]);
    }
  }
  return formatTable(['#Type', '#Group', '#ClientHost', '#Time', '#CostTimes', '#Status', '#Detail'], rows);
}
