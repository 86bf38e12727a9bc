import type { MessageExt } from '../protocol/message/message.js';
import { formatTable, humanTime, NAMESPACE_OPTION, output, parseCommand, UsageError, usageError, withAdmin } from './table.js';

export const MESSAGE_USAGE = `usage: rocketmq-ts message get (--id MSG_ID [-t TOPIC] | --key KEY -t TOPIC) [-n ADDR] [--json]

  --id ID         an offset msgId (what the broker returns) or a producer's msgId (UNIQ_KEY, needs -t)
  --key KEY       every message of the topic with this key (KEYS), in store time order
  --namespace NS  TOPIC of namespace NS (NS%TOPIC on the wire), shown without NS%
Prints the message as mqadmin queryMsgById does; --json gives the message(s) with the body as UTF-8 text.`;

/** `rocketmq-ts message get`: mqadmin queryMsgById and queryMsgByKey. */
export async function runMessage(argv: string[]): Promise<number> {
  const state = { exitCode: 0 };
  const parsed = parseCommand('message', MESSAGE_USAGE, argv, { id: { type: 'string', short: 'i' }, key: { type: 'string', short: 'k' }, topic: { type: 'string', short: 't' }, ...NAMESPACE_OPTION }, state);
  if (parsed === undefined) return state.exitCode;
  if (parsed.positionals[0] !== 'get' || parsed.positionals.length > 1) {
    usageError('message', MESSAGE_USAGE, `unknown sub-command '${parsed.positionals.join(' ')}'`, state);
    return state.exitCode;
  }
  const { values } = parsed;
  const json = values.json === true;
  const topic = typeof values.topic === 'string' ? values.topic : undefined;
  return withAdmin('message', MESSAGE_USAGE, values, async (admin) => {
    if (typeof values.id === 'string') {
      const msg = await admin.viewMessage(values.id, topic);
      output(json, messageJson(msg), () => describe(msg));
      return;
    }
    if (typeof values.key !== 'string' || topic === undefined) throw new UsageError('give --id, or --key with -t');
    const msgs = (await admin.queryMessage(topic, values.key)).sort((a, b) => a.storeTimestamp - b.storeTimestamp);
    output(json, msgs.map(messageJson), () =>
      formatTable(['#Message ID', '#Offset Message ID', '#QID', '#Offset', '#Store Time'], msgs.map((m) => [m.uniqKey ?? m.msgId, m.msgId, m.queueId, m.queueOffset, humanTime(m.storeTimestamp)])),
    );
  });
}

/** A message for scripts: ids, position, times, properties, and the body as UTF-8. */
export function messageJson(msg: MessageExt): Record<string, unknown> {
  return {
    topic: msg.topic,
    msgId: msg.uniqKey ?? msg.msgId,
    offsetMsgId: msg.msgId,
    tags: msg.tags,
    keys: msg.keyList,
    queueId: msg.queueId,
    queueOffset: msg.queueOffset,
    commitLogOffset: msg.commitLogOffset,
    reconsumeTimes: msg.reconsumeTimes,
    bornTimestamp: msg.bornTimestamp,
    storeTimestamp: msg.storeTimestamp,
    bornHost: `${msg.bornHost.address}:${msg.bornHost.port}`,
    storeHost: `${msg.storeHost.address}:${msg.storeHost.port}`,
    sysFlag: msg.sysFlag,
    properties: Object.fromEntries(msg.properties),
    body: msg.body.toString('utf8'),
  };
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
