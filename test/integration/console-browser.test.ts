/**
 * The web console in a real browser: headless Chromium (the system's, Debian package `chromium`) driven by
 * playwright-core, against an in-process dev cluster with real clients. Nothing is downloaded at run time. Without
 * Chromium the test is skipped, except under CI=true, where it fails.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startDev, type DevCluster } from '../../src/cli/dev.js';
import { silentLogger } from '../../src/common/logger.js';
import { Admin, MQClientManager, Producer, PushConsumer, TransactionProducer, TransactionState } from '../../src/client/index.js';
import { pollFor } from '../helpers/wait.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const missing = !existsSync(CHROMIUM);
if (missing && process.env['CI'] === 'true') throw new Error(`CI needs Chromium at ${CHROMIUM} for the console's browser test (apt-get install -y chromium)`);

describe('web console in headless Chromium', { skip: missing ? `no Chromium at ${CHROMIUM}` : false }, () => {
  let dir: string;
  let shots: string;
  let dev: DevCluster;
  let base: string;
  let browser: Browser;
  let page: Page;
  let manager: MQClientManager;
  let admin: Admin;
  let producer: Producer;
  const problems: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-console-browser-'));
    shots = join(dir, 'screenshots');
    dev = await startDev({ namesrvPort: 0, brokerPort: 0, dataDir: join(dir, 'data'), brokerIP: '127.0.0.1', consolePort: 0, logger: silentLogger });
    base = `http://${dev.console?.url ?? ''}`;
    manager = new MQClientManager();
    admin = new Admin({ nameServer: dev.namesrvAddr, clientIP: '127.0.0.1', clientManager: manager });
    producer = new Producer({ nameServer: dev.namesrvAddr, group: 'BrowserPG', clientIP: '127.0.0.1', clientManager: manager });
    await admin.start();
    await producer.start();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1100, height: 720 } });
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  });
  after(async () => {
    await browser?.close();
    await producer?.shutdown();
    await admin?.shutdown();
    await dev?.stop();
    // The screenshots stay (CI keeps them as artifacts); the cluster's data goes.
    await rm(join(dir, 'data'), { recursive: true, force: true });
    process.stdout.write(`console screenshots: ${shots}\n`);
  });

  async function open(hash: string, pageName: string): Promise<void> {
    await page.goto(`${base}#${hash}`);
    await page.waitForSelector(`.page[data-page="${pageName}"]`);
  }

  it('loads every page without console errors, and keeps a screenshot of each', async () => {
    await producer.send({ topic: 'BrowserSeed', body: '{"hello":"console"}', keys: 'seed-1' });
    for (const name of ['overview', 'topics', 'groups', 'producers', 'messages', 'dlq', 'transactions', 'timers']) {
      await open(name, name);
      assert.equal(await page.locator('.page .bad').count(), 0, `${name} shows an error`);
      await page.screenshot({ path: join(shots, `${name}.png`) });
    }
    await open('producers', 'producers');
    assert.ok(await page.locator('#producers td', { hasText: 'BrowserPG' }).count() > 0, 'the test producer is listed');
    await open('topic/BrowserSeed', 'topic');
    await page.waitForSelector('#queues tbody tr');
    await page.screenshot({ path: join(shots, 'topic.png') });
    await open('messages', 'messages');
    await page.fill('#by-key input[name=topic]', 'BrowserSeed');
    await page.fill('#by-key input[name=key]', 'seed-1');
    await page.click('#by-key button');
    await page.waitForSelector('.message pre.body');
    assert.equal(await page.textContent('.message pre.body'), '{"hello":"console"}');
    await page.click('.message button:has-text("hex")');
    assert.match((await page.textContent('.message pre.body')) ?? '', /^7b 22 68/);
    await page.screenshot({ path: join(shots, 'message.png') });
    assert.deepEqual(problems, []);
  });

  it('shows live TPS moving while a producer sends', async () => {
    await open('overview', 'overview');
    let sending = true;
    const sends = (async () => {
      for (let i = 0; sending && i < 5000; i++) await producer.send({ topic: 'BrowserLive', body: `live ${i}` });
    })();
    try {
      // Page-side expressions are strings: this file is compiled without the DOM's types.
      await page.waitForFunction("Number(document.getElementById('tps-in').textContent) > 0", undefined, { timeout: 15_000 });
      await page.waitForSelector('#spark svg path');
      assert.match((await page.textContent('#store-size')) ?? '', /^\d+\.\d (KiB|MiB)$/);
      await page.screenshot({ path: join(shots, 'overview-live.png') });
    } finally {
      sending = false;
      await sends;
    }
    assert.deepEqual(problems, []);
  });

  it('creates a topic through the form; the name server routes it', async () => {
    await open('topics', 'topics');
    await page.fill('#create-topic input[name=topic]', 'BrowserMade');
    await page.fill('#create-topic input[name=readQueueNums]', '3');
    await page.fill('#create-topic input[name=writeQueueNums]', '3');
    await page.click('#create-topic button[type=submit]');
    await page.waitForSelector('.page[data-page="topic"] #route tbody tr');
    const route = await admin.topicRoute('BrowserMade');
    assert.deepEqual(route.queueDatas.map((q) => [q.readQueueNums, q.writeQueueNums]), [[3, 3]]);
    assert.deepEqual(problems, []);
  });

  it("resends a dead-letter message from the DLQ page: the group's consumer gets it", async () => {
    let attempts = 0;
    let redelivered: string | undefined;
    const consumer = new PushConsumer({ nameServer: dev.namesrvAddr, group: 'BrowserDlqGroup', clientIP: '127.0.0.1', clientManager: manager, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', maxReconsumeTimes: 0 });
    consumer.subscribe('BrowserDlqTopic', '*', (msg) => {
      attempts++;
      if (attempts === 1) return 'RECONSUME_LATER';
      redelivered = `${msg.topic}: ${msg.body.toString()}`;
      return 'CONSUME_SUCCESS';
    });
    await producer.send({ topic: 'BrowserDlqTopic', body: 'second chance' });
    await consumer.start();
    try {
      await pollFor(() => admin.topicStats('%DLQ%BrowserDlqGroup').catch(() => []), (stats) => stats.some((s) => s.maxOffset > 0), { timeoutMillis: 20_000, intervalMillis: 200, what: 'the dead letter' });
      await open('dlq/BrowserDlqGroup', 'dlq');
      await page.waitForSelector('#dlq button.resend');
      assert.match((await page.textContent('#retry-count')) ?? '', /%RETRY%BrowserDlqGroup: \d+ messages stored/);
      // Names with '%' route too: the dead-letter topic's own page from its link.
      await page.click('#retry-count a');
      await page.waitForSelector('.page[data-page="topic"] h2:has-text("%RETRY%BrowserDlqGroup")');
      await open('dlq/BrowserDlqGroup', 'dlq');
      await page.waitForSelector('#dlq button.resend');
      await page.screenshot({ path: join(shots, 'dlq.png') });
      await page.click('#dlq button.resend');
      await page.waitForFunction("/resent/.test(document.getElementById('status').textContent)");
      await pollFor(() => Promise.resolve(redelivered), (r) => r !== undefined, { timeoutMillis: 20_000, intervalMillis: 100, what: 'the resent message at the consumer' });
      assert.equal(redelivered, 'BrowserDlqTopic: second chance');
    } finally {
      await consumer.shutdown();
    }
    assert.deepEqual(problems, []);
  });

  it('lists a pending transaction and a pending timer message on their pages', async () => {
    // A transaction whose producer cannot decide (UNKNOW, and UNKNOW again when the broker asks): it stays pending.
    const txProducer = new TransactionProducer({ nameServer: dev.namesrvAddr, group: 'BrowserTxPG', clientIP: '127.0.0.1', clientManager: manager, checkLocalTransaction: () => TransactionState.UNKNOWN });
    await txProducer.start();
    try {
      const half = await txProducer.sendMessageInTransaction({ topic: 'BrowserTxTopic', body: 'undecided', keys: 'tx-key' }, () => TransactionState.UNKNOWN);
      assert.equal(half.localTransactionState, 'UNKNOW');
      const dueAt = Date.now() + 3_600_000;
      const timer = await producer.send({ topic: 'BrowserTimerTopic', body: 'in an hour', keys: 'timer-key', deliverTimeMs: dueAt });
      await open('transactions', 'transactions');
      const txRow = page.locator('#transactions tr', { hasText: half.msgId });
      assert.equal(await txRow.count(), 1, 'the half message is listed');
      assert.match((await txRow.textContent()) ?? '', /BrowserTxTopic.*BrowserTxPG.*tx-key/);
      assert.match((await page.textContent('#pending-total')) ?? '', /^1 pending, 1-1 shown/);
      await page.screenshot({ path: join(shots, 'transactions.png') });
      await open('timers', 'timers');
      const timerRow = page.locator('#timers tr', { hasText: timer.msgId });
      assert.equal(await timerRow.count(), 1, 'the timer message is listed');
      assert.match((await timerRow.textContent()) ?? '', /BrowserTimerTopic.*timer-key.*(59|60) min/);
      await page.screenshot({ path: join(shots, 'timers.png') });
      assert.equal(await page.locator('.page .bad').count(), 0);
    } finally {
      await txProducer.shutdown();
    }
    assert.deepEqual(problems, []);
  });

  it("resets a group's offsets to a time from the group page", async () => {
    const topic = 'BrowserResetTopic';
    const group = 'BrowserResetGroup';
    await admin.createTopic({ cluster: 'DefaultCluster' }, topic, { readQueueNums: 1, writeQueueNums: 1 });
    const before = new Date(Date.now() - 2000);
    for (let i = 0; i < 4; i++) await producer.send({ topic, body: `r${i}` });
    let consumed = 0;
    const consumer = new PushConsumer({ nameServer: dev.namesrvAddr, group, clientIP: '127.0.0.1', clientManager: manager, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    consumer.subscribe(topic, '*', () => {
      consumed++;
      return 'CONSUME_SUCCESS';
    });
    await consumer.start();
    try {
      await pollFor(() => admin.consumerProgress(group).catch(() => undefined), (p) => consumed === 4 && p !== undefined && p.offsetTable.length === 1 && p.diffTotal === 0, {
        timeoutMillis: 20_000,
        intervalMillis: 200,
        what: 'the group caught up',
      });
    } finally {
      await consumer.shutdown();
    }
    await open(`group/${group}`, 'group');
    await page.fill('#reset-form input[name=topic]', topic);
    const pad = (n: number): string => String(n).padStart(2, '0');
    // The input's normalized form (HTML's valid normalized local date and time string) drops zero seconds; Playwright
    // refuses a value the input does not keep as given ("Malformed value"), one run in sixty otherwise.
    const seconds = before.getSeconds() === 0 ? '' : `:${pad(before.getSeconds())}`;
    const local = `${before.getFullYear()}-${pad(before.getMonth() + 1)}-${pad(before.getDate())}T${pad(before.getHours())}:${pad(before.getMinutes())}${seconds}`;
    await page.fill('#reset-form input[name=time]', local);
    await page.click('#reset-form button[type=submit]');
    await page.waitForFunction("/^reset 1 queues/.test(document.getElementById('status').textContent)");
    const progress = await admin.consumerProgress(group);
    assert.equal(progress.diffTotal, 4, 'the group is back before its 4 messages');
    await page.waitForSelector('#progress tbody tr');
    await page.screenshot({ path: join(shots, 'group.png') });
    assert.deepEqual(problems, []);
  });
});
