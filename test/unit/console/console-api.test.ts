import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { after, before, describe, it } from 'node:test';
import { startDev, type DevCluster } from '../../../src/cli/dev.js';
import { silentLogger } from '../../../src/common/logger.js';
import { MQClientManager, Producer, PushConsumer } from '../../../src/client/index.js';
import { CONSOLE_ASSETS } from '../../../src/console/console-assets.js';
import { consoleOptionsFromProperties } from '../../../src/console/console-config.js';
import { ConsoleServer } from '../../../src/console/console-server.js';
import { pollFor } from '../../helpers/wait.js';

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

describe('web console API against an in-process dev cluster', () => {
  let dir: string;
  let dev: DevCluster;
  let base: string;
  let manager: MQClientManager;
  let producer: Producer;

  async function get(path: string): Promise<Reply> {
    const response = await fetch(base + path);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }
  async function post(path: string, body: unknown, headers: Record<string, string> = {}, url = base): Promise<Reply> {
    const response = await fetch(url + path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-console-api-'));
    dev = await startDev({ namesrvPort: 0, brokerPort: 0, dataDir: dir, brokerIP: '127.0.0.1', consolePort: 0, logger: silentLogger });
    base = `http://${dev.console?.url ?? ''}`.replace(/\/$/, '');
    manager = new MQClientManager();
    producer = new Producer({ nameServer: dev.namesrvAddr, group: 'ConsoleApiPG', clientIP: '127.0.0.1', clientManager: manager });
    await producer.start();
  });
  after(async () => {
    await producer.shutdown();
    await dev.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves its page, script and style; the script compiles', async () => {
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await page.text(), /<script src="\/app.js"><\/script>/);
    const script = await fetch(`${base}/app.js`);
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    assert.equal(await script.text(), CONSOLE_ASSETS['/app.js']?.body);
    assert.doesNotThrow(() => new Script(CONSOLE_ASSETS['/app.js']?.body ?? ''));
  });

  it('refuses bad input with 400 and a message, and changes nothing', async () => {
    for (const [path, body, pattern] of [
      ['/api/topic', { topic: 'bad topic' }, /topic may hold only/],
      ['/api/topic', { topic: 'x'.repeat(128) }, /longer than 127/],
      ['/api/topic', { topic: 'OkTopic', readQueueNums: 0 }, /readQueueNums must be a whole number from 1/],
      ['/api/topic', { topic: 'OkTopic', perm: 7 }, /perm is one of/],
      ['/api/topic', '{not json', /JSON object/],
      ['/api/topic', '[1]', /JSON object/],
      ['/api/group/reset', { group: 'G', topic: 'T', timestamp: 'yesterday' }, /timestamp must be/],
      ['/api/message/send', { topic: 'T', body: 'x'.repeat(64 * 1024 + 1) }, /body is larger than 65536 bytes/],
      ['/api/message/send', { topic: 'T', body: 'x', tags: 'a\u0001b' }, /control characters/],
      ['/api/dlq/resend', { group: 'G' }, /give ids/],
    ] as const) {
      const reply = await post(path, body);
      assert.equal(reply.status, 400, `${path} ${JSON.stringify(body).slice(0, 40)}`);
      assert.match(String(reply.body['error']), pattern);
    }
    assert.equal((await get('/api/topics')).body['topics'] !== undefined, true);
    const topics = (await get('/api/topics')).body['topics'] as { topic: string }[];
    assert.equal(topics.some((t) => t.topic === 'OkTopic'), false, 'a refused create made no topic');
    assert.equal((await get('/api/message?id=nothex')).status, 400);
    assert.equal((await get('/api/messages/by-offset?topic=T&brokerName=broker-a&queueId=-1&offset=0')).status, 400);
    assert.equal((await get('/api/transactions?limit=101')).status, 400);
    assert.equal((await get('/api/timers?from=-1')).status, 400);
    assert.equal((await get('/api/nothing')).status, 404);
    assert.equal((await fetch(`${base}/api/topic`, { method: 'PUT' })).status, 405);
  });

  it('reads pending transactions and timer messages from the system topics: none yet, and no broker problem', async () => {
    for (const path of ['/api/transactions', '/api/timers']) {
      const reply = await get(path);
      assert.equal(reply.status, 200, path);
      assert.deepEqual([reply.body['total'], reply.body['entries'], reply.body['problems'], reply.body['truncated']], [0, [], [], false], `${path}: ${JSON.stringify(reply.body)}`);
    }
  });

  it('refuses a body over the limit with 413 and a cross-site POST with 403', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${base}/api/topic`, { method: 'POST' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(Buffer.alloc(1024 * 1024 + 1, 0x20));
    });
    assert.equal(status, 413);
    const crossSite = await post('/api/topic', { topic: 'FromElsewhere' }, { Origin: 'http://evil.example' });
    assert.equal(crossSite.status, 403);
    assert.match(String(crossSite.body['error']), /cross-origin/);
  });

  it('creates a topic, shows it in the list and its route, sends and finds a message by id, key and offset', async () => {
    const created = await post('/api/topic', { topic: 'ConsoleT1', readQueueNums: 2, writeQueueNums: 2, messageType: 'FIFO' });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const listed = ((await get('/api/topics')).body['topics'] as { topic: string; kind: string; messageType: string; brokers: { readQueueNums: number }[] }[]).find((t) => t.topic === 'ConsoleT1');
    assert.deepEqual([listed?.kind, listed?.messageType, listed?.brokers[0]?.readQueueNums], ['NORMAL', 'FIFO', 2]);
    const kinds = new Map(((await get('/api/topics')).body['topics'] as { topic: string; kind: string }[]).map((t) => [t.topic, t.kind]));
    assert.deepEqual(['DefaultCluster', 'broker-a', 'DefaultCluster_REPLY_TOPIC', 'TBW102'].map((t) => kinds.get(t)), ['SYSTEM', 'SYSTEM', 'SYSTEM', 'SYSTEM']);
    const sent = await post('/api/message/send', { topic: 'ConsoleT1', body: '{"n":1}', tags: 'TagA', keys: 'key-1 key-2' });
    assert.equal(sent.body['status'], 'SEND_OK');
    // The minute window is sampled every 10 s: one sample now puts the send in it.
    dev.broker.brokerStatsManager.sample('minute');
    const counted = ((await get('/api/topics')).body['topics'] as { topic: string; messageCount: number; tpsIn: number }[]).find((t) => t.topic === 'ConsoleT1');
    assert.equal(counted?.messageCount, 1);
    assert.ok(counted !== undefined && counted.tpsIn > 0, JSON.stringify(counted));
    const detail = (await get('/api/topic?topic=ConsoleT1')).body;
    assert.equal(detail['messageCount'], 1);
    assert.equal(((detail['route'] as { queueDatas: unknown[] }).queueDatas).length, 1);
    const byId = (await get(`/api/message?id=${String(sent.body['offsetMsgId'])}`)).body['messages'] as { body: string; tags: string; keys: string[] }[];
    assert.deepEqual([byId[0]?.body, byId[0]?.tags, byId[0]?.keys], ['{"n":1}', 'TagA', ['key-1', 'key-2']]);
    const byKey = await pollFor(() => get('/api/messages/by-key?topic=ConsoleT1&key=key-2'), (r) => r.status === 200, { timeoutMillis: 5000, intervalMillis: 100, what: 'the key index' });
    assert.equal((byKey.body['messages'] as { msgId: string }[])[0]?.msgId, sent.body['msgId']);
    const queue = sent.body['queue'] as { brokerName: string; queueId: number };
    const byOffset = (await get(`/api/messages/by-offset?topic=ConsoleT1&brokerName=${queue.brokerName}&queueId=${queue.queueId}&offset=0`)).body;
    assert.equal((byOffset['messages'] as { msgId: string }[])[0]?.msgId, sent.body['msgId']);
    const deleted = await post('/api/topic/delete', { topic: 'ConsoleT1' });
    assert.equal(deleted.status, 200);
    assert.equal((await get('/api/topic?topic=ConsoleT1')).status, 502, 'a deleted topic has no route');
  });

  it('overview shows the broker; the event stream moves while a producer sends', async () => {
    const overview = (await get('/api/overview')).body;
    const [broker] = overview['brokers'] as { brokerName: string; runtime: Record<string, string> }[];
    assert.equal(broker?.brokerName, 'broker-a');
    assert.match(broker?.runtime['brokerVersionDesc'] ?? '', /^V5_/);
    assert.deepEqual(overview['nameServers'], [dev.namesrvAddr]);
    assert.equal(broker?.runtime['timerCongestNum'], '0');
    // A producer is known to a broker from its first heartbeat, which follows its first route to it.
    await producer.send({ topic: 'ConsoleLive', body: 'hello' });
    await pollFor(() => get('/api/producers'), (r) => (r.body['producers'] as { group: string }[]).some((p) => p.group === 'ConsoleApiPG'), { timeoutMillis: 10_000, intervalMillis: 100, what: 'the producer listed' });
    const controller = new AbortController();
    const response = await fetch(`${base}/api/events`, { signal: controller.signal });
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let sending = true;
    const sends = (async () => {
      for (let i = 0; sending && i < 2000; i++) await producer.send({ topic: 'ConsoleLive', body: `m${i}` });
    })();
    let text = '';
    let moved = false;
    const deadline = Date.now() + 15_000;
    while (!moved && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
      moved = [...text.matchAll(/data: (\{.*\})/g)].some((m) => {
        const sample = JSON.parse(m[1] as string) as { tpsIn: number; storeBytes: number };
        return sample.tpsIn > 0 && sample.storeBytes > 0;
      });
    }
    sending = false;
    controller.abort();
    await sends;
    assert.ok(moved, `no figures with tpsIn > 0 and a store size in:\n${text}`);
  });

  it('dead letters: lists a group\'s DLQ, resends one to the group (its consumer gets it again), exports them', async () => {
    let attempts = 0;
    let redelivered: { topic: string; body: string } | undefined;
    const consumer = new PushConsumer({ nameServer: dev.namesrvAddr, group: 'ConsoleDlqGroup', clientIP: '127.0.0.1', clientManager: manager, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', maxReconsumeTimes: 0 });
    consumer.subscribe('ConsoleDlqTopic', '*', (msg) => {
      attempts++;
      if (attempts === 1) return 'RECONSUME_LATER';
      redelivered = { topic: msg.topic, body: msg.body.toString() };
      return 'CONSUME_SUCCESS';
    });
    await producer.send({ topic: 'ConsoleDlqTopic', body: 'doomed', keys: 'dlq-key' });
    await consumer.start();
    try {
      const listed = await pollFor(() => get('/api/dlq?group=ConsoleDlqGroup'), (r) => (r.body['messages'] as unknown[] | undefined)?.length === 1, { timeoutMillis: 20_000, intervalMillis: 200, what: 'the DLQ message' });
      const dead = (listed.body['messages'] as { msgId: string; body: string; properties: Record<string, string> }[])[0];
      assert.equal(dead?.body, 'doomed');
      assert.equal(dead?.properties['RETRY_TOPIC'], 'ConsoleDlqTopic');
      const exported = await fetch(`${base}/api/dlq/export?group=ConsoleDlqGroup`);
      assert.match(exported.headers.get('content-disposition') ?? '', /attachment/);
      assert.equal(((await exported.json()) as { messages: unknown[] }).messages.length, 1);
      const resent = await post('/api/dlq/resend', { group: 'ConsoleDlqGroup', ids: [dead?.msgId] });
      assert.equal(resent.status, 200, JSON.stringify(resent.body));
      await pollFor(() => Promise.resolve(redelivered), (r) => r !== undefined, { timeoutMillis: 20_000, intervalMillis: 100, what: 'the resent message' });
      assert.deepEqual(redelivered, { topic: 'ConsoleDlqTopic', body: 'doomed' });
      const group = (await get('/api/group?group=ConsoleDlqGroup')).body;
      assert.equal((group['connections'] as unknown[]).length, 1);
      assert.equal(((await get('/api/groups')).body['groups'] as { group: string }[]).some((g) => g.group === 'ConsoleDlqGroup'), true);
    } finally {
      await consumer.shutdown();
    }
  });

  it('resets a group\'s offsets by time: back to the start re-opens the backlog, ahead of the end clears it', async () => {
    const topic = 'ConsoleResetTopic';
    const group = 'ConsoleResetGroup';
    const startedAt = Date.now() - 1000;
    // One queue: the broker resets only a group that committed an offset on every queue of the topic (as Java's).
    assert.equal((await post('/api/topic', { topic, readQueueNums: 1, writeQueueNums: 1 })).status, 200);
    for (let i = 0; i < 3; i++) await producer.send({ topic, body: `r${i}` });
    let consumed = 0;
    const consumer = new PushConsumer({ nameServer: dev.namesrvAddr, group, clientIP: '127.0.0.1', clientManager: manager, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    consumer.subscribe(topic, '*', () => {
      consumed++;
      return 'CONSUME_SUCCESS';
    });
    await consumer.start();
    try {
      await pollFor(() => get(`/api/group?group=${group}`), (r) => consumed === 3 && (r.body['progress'] as { offsetTable: unknown[]; diffTotal: number }).offsetTable.length > 0 && (r.body['progress'] as { diffTotal: number }).diffTotal === 0, {
        timeoutMillis: 20_000,
        intervalMillis: 200,
        what: 'the group caught up',
      });
    } finally {
      await consumer.shutdown();
    }
    // Offline group: the broker refuses the push and the offsets are committed directly (mqadmin's fallback).
    const back = await post('/api/group/reset', { group, topic, timestamp: new Date(startedAt).toISOString() });
    assert.equal(back.status, 200, JSON.stringify(back.body));
    const after = await get(`/api/group?group=${group}`);
    assert.equal((after.body['progress'] as { diffTotal: number }).diffTotal, 3);
    const ahead = await post('/api/group/reset', { group, topic, timestamp: Date.now() + 60_000 });
    assert.equal(ahead.status, 200);
    assert.equal(((await get(`/api/group?group=${group}`)).body['progress'] as { diffTotal: number }).diffTotal, 0);
    assert.equal((await post('/api/group/delete', { group })).status, 200);
  });

  it('a console bound off loopback needs a token, and then every change must carry it', async () => {
    assert.throws(() => new ConsoleServer({ namesrvAddr: dev.namesrvAddr, clusterName: 'DefaultCluster', port: 0, bindAddress: '0.0.0.0' }), /needs a token/);
    assert.deepEqual(consoleOptionsFromProperties(new Map([['consoleEnable', 'true']]), { ROCKETMQ_CONSOLE_TOKEN: 's3cret' }), { port: 8082, bindAddress: '127.0.0.1', token: 's3cret' });
    assert.equal(consoleOptionsFromProperties(new Map(), {}), undefined);
    assert.throws(() => consoleOptionsFromProperties(new Map([['consoleEnable', 'true'], ['consolePort', '70000']]), {}), /consolePort/);
    const guarded = new ConsoleServer({ namesrvAddr: dev.namesrvAddr, clusterName: 'DefaultCluster', port: 0, token: 's3cret' });
    await guarded.start();
    try {
      const url = `http://127.0.0.1:${guarded.port}`;
      const refused = await post('/api/topic', { topic: 'Guarded' }, {}, url);
      assert.equal(refused.status, 403);
      assert.equal((await post('/api/topic', { topic: 'Guarded' }, { 'X-Console-Token': 'wrong!' }, url)).status, 403);
      assert.equal(((await get('/api/topics')).body['topics'] as { topic: string }[]).some((t) => t.topic === 'Guarded'), false);
      assert.equal((await post('/api/topic', { topic: 'Guarded' }, { 'X-Console-Token': 's3cret' }, url)).status, 200);
      assert.equal((await fetch(`${url}/api/topics`)).status, 200, 'views need no token');
    } finally {
      await guarded.shutdown();
    }
  });
});
