import { timingSafeEqual } from 'node:crypto';
import { RocketMQError } from '../common/errors.js';
import type { Admin } from '../client/admin/admin.js';
import {
  clusterOverview,
  consumerConnectionView,
  groupSummaries,
  messageView,
  producerConnections,
  queueMessages,
  topicSummaries,
} from '../client/admin/admin-views.js';
import { MAX_PAGE, pendingTimerMessages, pendingTransactions } from '../client/admin/pending-views.js';
import type { Producer } from '../client/producer/producer.js';
import type { ProducerMessage } from '../client/producer/producer-message.js';
import { MessageConst } from '../protocol/message/message-const.js';
import type { MessageExt } from '../protocol/message/message.js';
import type { HttpEventSink, HttpReply, HttpRequest } from '../remoting/http-endpoint.js';
import { CONSOLE_ASSETS } from './console-assets.js';
import {
  ConsoleInputError,
  groupName,
  integer,
  jsonObject,
  messageBody,
  messageId,
  oneOf,
  optionalShortText,
  shortText,
  timestamp,
  topicName,
} from './console-input.js';
import type { LiveFigures } from './live-figures.js';

export interface ConsoleApiOptions {
  admin: Admin;
  /** Sends test messages and resends (its group is the console's own). */
  producer: Producer;
  figures: LiveFigures;
  /** The cluster new topics are created in (the local broker's). */
  clusterName: string;
  /** The name servers the console's admin asks (shown on the overview). */
  nameServers: readonly string[];
  /** When set, every POST must carry it (header X-Console-Token): required when bound off loopback. */
  token?: string | undefined;
  /** The largest body of a test message, bytes. */
  maxBodyBytes?: number;
}

type Handler = (request: HttpRequest) => Promise<HttpReply>;

const JSON_TYPE = 'application/json; charset=utf-8';
const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
/** The most messages one browse, DLQ page or export returns. */
const MAX_BROWSE = 256;
const RETRY_PREFIX = '%RETRY%';
const DLQ_PREFIX = '%DLQ%';
/** Java's system property names (MessageConst.STRING_HASH_SET): a resend keeps the user's properties only. */
const SYSTEM_PROPERTIES: ReadonlySet<string> = new Set(Object.entries(MessageConst).filter(([name]) => name.startsWith('PROPERTY_')).map(([, value]) => value as string));
const TAIL_INTERVAL_MILLIS = 1000;

/**
 * The console's HTTP API over the admin layer: GET answers views (the same as the CLI's --json), POST changes
 * something, and two event streams push live figures and a topic's new messages. It knows requests and replies
 * only as plain values; the HttpEndpoint of src/remoting carries them.
 */
export class ConsoleApi {
  private readonly gets = new Map<string, Handler>();
  private readonly posts = new Map<string, Handler>();
  private readonly maxBodyBytes: number;

  constructor(private readonly options: ConsoleApiOptions) {
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    for (const [path, asset] of Object.entries(CONSOLE_ASSETS)) this.gets.set(path, () => Promise.resolve({ status: 200, contentType: asset.contentType, body: asset.body, headers: { 'Cache-Control': 'no-cache' } }));
    const { admin } = options;
    this.get('/api/overview', async () => ({ ...(await clusterOverview(admin)), nameServers: [...options.nameServers], time: Date.now() }));
    this.get('/api/topics', async () => ({ topics: await topicSummaries(admin) }));
    this.get('/api/topic', async (q) => {
      const topic = topicName(q.get('topic'));
      const [route, stats] = await Promise.all([admin.topicRoute(topic), admin.topicStats(topic)]);
      return { topic, route, offsetTable: stats, messageCount: stats.reduce((sum, s) => sum + s.maxOffset - s.minOffset, 0) };
    });
    this.get('/api/producers', async () => ({ producers: await producerConnections(admin) }));
    this.get('/api/groups', async () => ({ groups: await groupSummaries(admin) }));
    this.get('/api/group', async (q) => {
      const group = groupName(q.get('group'));
      const connection = await admin.consumerConnection(group).then(
        (c) => consumerConnectionView(group, c),
        () => ({ group, connections: [], subscriptions: [] }),
      );
      const progress = await admin.consumerProgress(group).catch(() => ({ consumeTps: 0, offsetTable: [], diffTotal: 0 }));
      return { ...connection, progress };
    });
    this.get('/api/message', async (q) => {
      const topic = q.get('topic') === null || q.get('topic') === '' ? undefined : topicName(q.get('topic'));
      return { messages: [messageView(await admin.viewMessage(messageId(q.get('id')), topic))] };
    });
    this.get('/api/messages/by-key', async (q) => {
      const found = await admin.queryMessage(topicName(q.get('topic')), shortText(q.get('key'), 'key'), { maxNum: 64 });
      return { messages: found.sort((a, b) => a.storeTimestamp - b.storeTimestamp).map(messageView) };
    });
    this.get('/api/messages/by-offset', async (q) => {
      const topic = topicName(q.get('topic'));
      const page = await queueMessages(
        admin,
        topic,
        shortText(q.get('brokerName'), 'brokerName'),
        integer(q.get('queueId'), 'queueId', 0, 65535),
        integer(q.get('offset'), 'offset', 0, Number.MAX_SAFE_INTEGER),
        integer(q.get('count'), 'count', 1, 32, 16),
      );
      return { ...page, messages: page.messages.map(messageView) };
    });
    this.get('/api/transactions', (q) => pendingTransactions(admin, integer(q.get('from'), 'from', 0, 1_000_000, 0), integer(q.get('limit'), 'limit', 1, MAX_PAGE, 50)));
    this.get('/api/timers', (q) => pendingTimerMessages(admin, integer(q.get('from'), 'from', 0, 1_000_000, 0), integer(q.get('limit'), 'limit', 1, MAX_PAGE, 50)));
    this.get('/api/dlq', async (q) => ({ messages: (await this.deadLetters(groupName(q.get('group')), integer(q.get('max'), 'max', 1, MAX_BROWSE, 64))).map(messageView) }));
    this.gets.set('/api/dlq/export', async (request) => {
      const group = groupName(request.query.get('group'));
      const messages = (await this.deadLetters(group, MAX_BROWSE)).map(messageView);
      return { status: 200, contentType: JSON_TYPE, body: JSON.stringify({ group, exported: Date.now(), messages }, null, 2), headers: { 'Content-Disposition': `attachment; filename="${DLQ_PREFIX.slice(1, -1)}-${group}.json"` } };
    });
    this.gets.set('/api/events', () => Promise.resolve({ open: (sink) => options.figures.subscribe((sample) => sink.send('figures', JSON.stringify(sample))) }));
    this.gets.set('/api/tail', (request) => {
      const topic = topicName(request.query.get('topic'));
      return Promise.resolve({ open: (sink) => this.tail(topic, sink) });
    });

    this.post('/api/topic', async (b) => {
      const topic = topicName(b['topic']);
      const messageType = oneOf(b['messageType'], 'messageType', ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION', 'MIXED'] as const, 'NORMAL');
      const brokers = await admin.createTopic({ cluster: options.clusterName }, topic, {
        readQueueNums: integer(b['readQueueNums'], 'readQueueNums', 1, 1024, 8),
        writeQueueNums: integer(b['writeQueueNums'], 'writeQueueNums', 1, 1024, 8),
        perm: Number(oneOf(typeof b['perm'] === 'number' ? String(b['perm']) : b['perm'], 'perm', ['2', '4', '6'] as const, '6')),
        messageType,
      });
      return { topic, brokers };
    });
    this.post('/api/topic/delete', async (b) => {
      const topic = topicName(b['topic']);
      await admin.deleteTopic(topic, options.clusterName);
      return { topic, deleted: true };
    });
    this.post('/api/group/reset', async (b) => {
      const group = groupName(b['group']);
      const topic = topicName(b['topic']);
      const at = timestamp(b['timestamp']);
      return { group, topic, timestamp: at, offsets: await admin.resetOffsetByTimestamp(topic, group, at) };
    });
    this.post('/api/group/delete', async (b) => {
      const group = groupName(b['group']);
      const brokers = admin.masters(await admin.clusterInfo(), options.clusterName);
      for (const addr of brokers) await admin.deleteSubscriptionGroup(addr, group, true);
      return { group, deleted: true, brokers };
    });
    this.post('/api/message/send', async (b) => {
      const message: ProducerMessage = { topic: topicName(b['topic']), body: messageBody(b['body'], this.maxBodyBytes) };
      const tags = optionalShortText(b['tags'], 'tags');
      const keys = optionalShortText(b['keys'], 'keys');
      if (tags !== undefined) message.tags = tags;
      if (keys !== undefined) message.keys = keys.split(' ').filter((k) => k !== '');
      const result = await options.producer.send(message);
      return { status: result.status, msgId: result.msgId, offsetMsgId: result.offsetMsgId, queue: result.messageQueue, queueOffset: result.queueOffset };
    });
    this.post('/api/message/resend', async (b) => {
      const group = groupName(b['group']);
      const topic = b['topic'] === undefined || b['topic'] === '' ? undefined : topicName(b['topic']);
      const msg = await admin.viewMessage(messageId(b['id']), topic);
      return { group, resent: [await this.resend(group, msg)] };
    });
    this.post('/api/dlq/resend', async (b) => {
      const group = groupName(b['group']);
      const ids = b['ids'];
      const all = b['all'] === true;
      if (!all && (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_BROWSE)) throw new ConsoleInputError(`give ids (1 to ${MAX_BROWSE} message ids) or all: true`);
      const wanted = all ? undefined : new Set((ids as unknown[]).map(messageId));
      const resent = [];
      for (const msg of await this.deadLetters(group, MAX_BROWSE)) {
        if (wanted !== undefined && !wanted.has(msg.msgId) && !wanted.has(msg.uniqKey ?? '')) continue;
        resent.push(await this.resend(group, msg));
      }
      if (resent.length === 0) throw new ConsoleInputError(`none of the given messages is in ${DLQ_PREFIX}${group}`);
      return { group, resent };
    });
  }

  /** Answers one request: an asset, a view, an action or a stream; bad input is 400, a refused call 403. */
  async handle(request: HttpRequest): Promise<HttpReply> {
    const table = request.method === 'POST' ? this.posts : request.method === 'GET' || request.method === 'HEAD' ? this.gets : undefined;
    if (table === undefined) return { ...jsonAnswer(405, { error: 'method not allowed' }), headers: { Allow: 'GET, HEAD, POST' } };
    const handler = table.get(request.path);
    if (handler === undefined) return jsonAnswer(404, { error: `no ${request.method} ${request.path}` });
    if (request.method === 'POST') {
      const refusal = this.refusal(request);
      if (refusal !== undefined) return jsonAnswer(403, { error: refusal });
    }
    try {
      return await handler(request);
    } catch (err) {
      if (err instanceof ConsoleInputError || err instanceof RangeError) return jsonAnswer(400, { error: err.message });
      // The cluster's refusal (unknown topic, no message, broker error) is the caller's to read, not a console fault.
      if (err instanceof RocketMQError) return jsonAnswer(502, { error: err.message });
      throw err;
    }
  }

  /**
   * Why a changing call is refused: a page of another site (Origin not this host: a browser's cross-site form or
   * fetch), or a missing or wrong token when one is configured.
   */
  private refusal(request: HttpRequest): string | undefined {
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== 'null') {
      let host: string | undefined;
      try {
        host = new URL(origin).host;
      } catch {
        host = undefined;
      }
      if (host !== request.headers.host) return 'cross-origin request refused';
    }
    const token = this.options.token;
    if (token === undefined || token === '') return undefined;
    const given = request.headers['x-console-token'];
    const a = Buffer.from(typeof given === 'string' ? given : '');
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b) ? undefined : 'this console needs its token (header X-Console-Token) for changes';
  }

  private get(path: string, view: (query: URLSearchParams) => Promise<unknown>): void {
    this.gets.set(path, async (request) => jsonAnswer(200, await view(request.query)));
  }

  private post(path: string, action: (body: Record<string, unknown>) => Promise<unknown>): void {
    this.posts.set(path, async (request) => jsonAnswer(200, await action(jsonObject(request.body))));
  }

  /** Up to `max` messages of the group's dead-letter topic, oldest first, from every queue of its route. */
  private async deadLetters(group: string, max: number): Promise<MessageExt[]> {
    const topic = DLQ_PREFIX + group;
    const stats = await this.options.admin.topicStats(topic).catch((err: unknown) => {
      if (err instanceof RocketMQError) return [];
      throw err;
    });
    const found: MessageExt[] = [];
    for (const queue of stats) {
      let offset = queue.minOffset;
      // Bounded: at most `max` messages, and each pull moves forward or ends.
      while (offset < queue.maxOffset && found.length < max) {
        const page = await queueMessages(this.options.admin, topic, queue.mq.brokerName, queue.mq.queueId, offset, Math.min(32, max - found.length));
        if (page.messages.length === 0 || page.nextOffset <= offset) break;
        found.push(...page.messages);
        offset = page.nextOffset;
      }
    }
    return found.sort((a, b) => a.storeTimestamp - b.storeTimestamp).slice(0, max);
  }

  /**
   * Delivers a message again to one group only: sent to the group's retry topic with RETRY_TOPIC naming its
   * original topic, which is how the broker's own send-back reaches the group's consumers, and how they see the
   * original topic again.
   */
  private async resend(group: string, msg: MessageExt): Promise<{ msgId: string; newMsgId: string; status: string }> {
    const original = msg.properties.get(MessageConst.PROPERTY_RETRY_TOPIC) ?? (msg.topic.startsWith(RETRY_PREFIX) || msg.topic.startsWith(DLQ_PREFIX) ? undefined : msg.topic);
    const properties: Record<string, string> = {};
    for (const [name, value] of msg.properties) if (!SYSTEM_PROPERTIES.has(name)) properties[name] = value;
    if (original !== undefined) properties[MessageConst.PROPERTY_RETRY_TOPIC] = original;
    const message: ProducerMessage = { topic: RETRY_PREFIX + group, body: msg.body, properties };
    if (msg.tags !== undefined && msg.tags !== '') message.tags = msg.tags;
    if (msg.keyList.length > 0) message.keys = msg.keyList;
    const result = await this.options.producer.send(message);
    return { msgId: msg.uniqKey ?? msg.msgId, newMsgId: result.msgId, status: result.status };
  }

  /** The topic's new messages as they are stored: each queue followed from its end, one pull a second. */
  private tail(topic: string, sink: HttpEventSink): () => void {
    const admin = this.options.admin;
    const next = new Map<string, number>();
    let stopped = false;
    let busy = false;
    const poll = async (): Promise<void> => {
      if (busy || stopped) return;
      busy = true;
      try {
        for (const queue of await admin.topicStats(topic)) {
          const key = `${queue.mq.brokerName}:${queue.mq.queueId}`;
          const from = next.get(key);
          if (from === undefined || from > queue.maxOffset) {
            next.set(key, queue.maxOffset);
            continue;
          }
          if (from === queue.maxOffset) continue;
          const page = await queueMessages(admin, topic, queue.mq.brokerName, queue.mq.queueId, from, 32);
          for (const msg of page.messages) sink.send('message', JSON.stringify(messageView(msg)));
          next.set(key, Math.max(page.nextOffset, from));
        }
      } catch (err) {
        sink.send('problem', JSON.stringify({ error: (err as Error).message }));
      } finally {
        busy = false;
      }
    };
    void poll();
    const timer = setInterval(() => void poll(), TAIL_INTERVAL_MILLIS);
    timer.unref();
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }
}

function jsonAnswer(status: number, value: unknown): HttpReply {
  return { status, contentType: JSON_TYPE, body: JSON.stringify(value, mapsAsObjects) };
}

/** Maps (routes, properties) as JSON objects, as the CLI's --json writes them. */
function mapsAsObjects(_key: string, value: unknown): unknown {
  return value instanceof Map ? (Object.fromEntries(value) as unknown) : value;
}
