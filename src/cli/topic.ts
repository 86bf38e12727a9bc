import type { Admin } from '../client/admin/admin.js';
import { formatTable, humanTime, intOption, NAMESPACE_OPTION, output, parseCommand, UsageError, usageError, withAdmin, type ParsedValues } from './table.js';

export const TOPIC_USAGE = `usage: rocketmq-ts topic <create|list|route|stats|delete> [options]

  topic create -t TOPIC (-c CLUSTER | -b BROKER_ADDR) [-r READ_QUEUES] [-w WRITE_QUEUES] [-p PERM] [--order]
               [--type NORMAL|FIFO|DELAY|TRANSACTION|MIXED]
  topic list
  topic route -t TOPIC
  topic stats -t TOPIC             min and max offset of every queue
  topic delete -t TOPIC [-c CLUSTER]

  -n ADDR         name server (default $NAMESRV_ADDR, else 127.0.0.1:9876)
  --namespace NS  topics of namespace NS: TOPIC is NS%TOPIC on the wire; list shows only NS's, without NS%
  --json          one JSON document instead of text
Queue counts default to 8, perm to 6 (read and write). --type sets the topic attribute message.type, which the
RocketMQ 5.x (gRPC) SDKs check before sending: FIFO takes messages with a message group, DELAY with a delivery
time, TRANSACTION transactional ones, NORMAL the rest, MIXED all four (mqadmin updateTopic -a +message.type=...).`;

const MESSAGE_TYPES = ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION', 'MIXED'] as const;

const SUBCOMMANDS = ['create', 'list', 'route', 'stats', 'delete'] as const;

/** `rocketmq-ts topic ...`: mqadmin updateTopic, topicList, topicRoute, topicStatus and deleteTopic. */
export async function runTopic(argv: string[]): Promise<number> {
  const state = { exitCode: 0 };
  const parsed = parseCommand('topic', TOPIC_USAGE, argv, {
    topic: { type: 'string', short: 't' },
    cluster: { type: 'string', short: 'c' },
    broker: { type: 'string', short: 'b' },
    read: { type: 'string', short: 'r' },
    write: { type: 'string', short: 'w' },
    perm: { type: 'string', short: 'p' },
    order: { type: 'boolean' },
    type: { type: 'string' },
    ...NAMESPACE_OPTION,
  }, state);
  if (parsed === undefined) return state.exitCode;
  const sub = parsed.positionals[0];
  if (!(SUBCOMMANDS as readonly (string | undefined)[]).includes(sub)) {
    usageError('topic', TOPIC_USAGE, sub === undefined ? 'a sub-command is needed' : `unknown sub-command '${sub}'`, state);
    return state.exitCode;
  }
  const { values } = parsed;
  const json = values.json === true;
  return withAdmin('topic', TOPIC_USAGE, values, async (admin) => {
    if (sub === 'list') {
      const topics = (await admin.topicList()).sort();
      output(json, { topicList: topics }, () => topics.join('\n'));
      return;
    }
    const topic = required(values, 'topic');
    if (sub === 'create') await create(admin, topic, values, json);
    else if (sub === 'route') {
      const route = await admin.topicRoute(topic);
      output(json, route, () =>
        [
          formatTable(['#Broker Name', '#Read Queues', '#Write Queues', '#Perm'], route.queueDatas.map((q) => [q.brokerName, q.readQueueNums, q.writeQueueNums, q.perm])),
          '',
          formatTable(['#Cluster', '#Broker Name', '#BID', '#Addr'], route.brokerDatas.flatMap((bd) => [...bd.brokerAddrs].map(([id, addr]) => [bd.cluster, bd.brokerName, id, addr]))),
        ].join('\n'),
      );
    } else if (sub === 'stats') {
      const stats = await admin.topicStats(topic);
      output(json, { topic, offsetTable: stats }, () =>
        formatTable(
          ['#Broker Name', '#QID', '#Min Offset', '#Max Offset', '#Last Updated'],
          stats.map((s) => [s.mq.brokerName, s.mq.queueId, s.minOffset, s.maxOffset, humanTime(s.lastUpdateTimestamp)]),
        ),
      );
    } else {
      const cluster = typeof values.cluster === 'string' ? values.cluster : undefined;
      await admin.deleteTopic(topic, cluster);
      output(json, { topic, deleted: true }, () => `delete topic [${topic}] from ${cluster === undefined ? 'its brokers' : `cluster [${cluster}]`} success.`);
    }
  });
}

async function create(admin: Admin, topic: string, values: ParsedValues, json: boolean): Promise<void> {
  const cluster = values.cluster;
  const broker = values.broker;
  if ((typeof cluster === 'string') === (typeof broker === 'string')) throw new UsageError('give one of -c CLUSTER and -b BROKER_ADDR');
  const type = values.type;
  const messageType = MESSAGE_TYPES.find((t) => t === (typeof type === 'string' ? type.toUpperCase() : undefined));
  if (type !== undefined && messageType === undefined) throw new UsageError(`--type is one of ${MESSAGE_TYPES.join(', ')}, not '${String(type)}'`);
  const options = {
    readQueueNums: intOption(values, 'read', 8, 1),
    writeQueueNums: intOption(values, 'write', 8, 1),
    perm: intOption(values, 'perm', 6),
    order: values.order === true,
    ...(messageType === undefined ? {} : { messageType }),
  };
  const target = typeof cluster === 'string' ? { cluster } : { brokerAddr: broker as string };
  const brokers = await admin.createTopic(target, topic, options);
  // mqadmin updateTopic prints one line per broker, then the config.
  output(json, { topic, brokers, ...options }, () => [...brokers.map((addr) => `create topic to ${addr} success.`), `TopicConfig [topicName=${topic}, readQueueNums=${options.readQueueNums}, writeQueueNums=${options.writeQueueNums}, perm=${options.perm}, order=${options.order}${messageType === undefined ? '' : `, attributes={message.type=${messageType}}`}]`].join('\n'));
}

/** A string option the sub-command cannot do without. */
export function required(values: ParsedValues, key: string): string {
  const value = values[key];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${key} is required`);
  return value;
}
