import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDev, type DevCluster } from '../../src/cli/dev.js';
import { enums } from '../../src/grpc/schema.js';
import { RawMessagingClient } from '../helpers/grpc-client.js';
import { silentLogger } from '../../src/common/logger.js';
import {
  RemotingClient,
  RemotingCommand,
  RequestCode,
  ResponseCode,
  decodeStoredMessages,
  decodeTopicRouteData,
  messageProperties2String,
  type CustomHeader,
} from '../../src/index.js';

const FLAG_SUBSCRIPTION = 0x4;
const FLAG_SUSPEND = 0x2;

function sendHeader(topic: string, tag: string): CustomHeader {
  const properties = messageProperties2String(new Map([['TAGS', tag], ['WAIT', 'true']]));
  return { a: 'PG', b: topic, c: 'TBW102', d: 4, e: 0, f: 0, g: Date.now(), h: 0, i: properties, j: 0, k: false, m: false };
}

function pullHeader(topic: string, queueOffset: number, sysFlag = FLAG_SUBSCRIPTION, suspendTimeoutMillis = 0): CustomHeader {
  return {
    consumerGroup: 'DevCG',
    topic,
    queueId: 0,
    queueOffset,
    maxMsgNums: 32,
    sysFlag,
    commitOffset: 0,
    suspendTimeoutMillis,
    subscription: '*',
    subVersion: 0,
  };
}

describe('rocketmq-ts dev, in-process on free ports', () => {
  let dir: string;
  let dev: DevCluster;
  let client: RemotingClient;
  let startMillis: number;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-dev-'));
    const begin = performance.now();
    dev = await startDev({ namesrvPort: 0, brokerPort: 0, dataDir: dir, brokerIP: '127.0.0.1', logger: silentLogger });
    startMillis = performance.now() - begin;
    client = new RemotingClient();
    await client.start();
  });
  after(async () => {
    await client.shutdown();
    await dev.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('is ready within 1 s', (t) => {
    t.diagnostic(`dev start-up: ${startMillis.toFixed(0)} ms`);
    assert.ok(startMillis < 1000, `${startMillis} ms`);
  });

  it('routes a topic auto-created by a send, serves it, and long-polls on it', async () => {
    const brokerAddr = dev.broker.brokerAddr;
    assert.match(brokerAddr, /^127\.0\.0\.1:\d+$/);
    const sent = await client.invokeSync(brokerAddr, RemotingCommand.createRequestCommand(RequestCode.SEND_MESSAGE_V2, sendHeader('DevTopic', 'TagA'), Buffer.from('hello dev')), 3000);
    assert.equal(sent.code, ResponseCode.SUCCESS, sent.remark);
    const route = await client.invokeSync(dev.namesrvAddr, RemotingCommand.createRequestCommand(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'DevTopic' }), 3000);
    assert.equal(route.code, ResponseCode.SUCCESS, route.remark);
    assert.equal(decodeTopicRouteData(route.body).brokerDatas[0]?.brokerAddrs.get(0), brokerAddr);

    const pulled = await client.invokeSync(brokerAddr, RemotingCommand.createRequestCommand(RequestCode.PULL_MESSAGE, pullHeader('DevTopic', 0)), 3000);
    assert.equal(pulled.code, ResponseCode.SUCCESS);
    assert.deepEqual(decodeStoredMessages(pulled.body as Buffer).map((m) => m.body.toString()), ['hello dev']);

    const parked = client.invokeAsync(brokerAddr, RemotingCommand.createRequestCommand(RequestCode.PULL_MESSAGE, pullHeader('DevTopic', 1, FLAG_SUBSCRIPTION | FLAG_SUSPEND, 10_000)), 15_000);
    while (dev.broker.pullRequestHoldService.size === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await client.invokeSync(brokerAddr, RemotingCommand.createRequestCommand(RequestCode.SEND_MESSAGE_V2, sendHeader('DevTopic', 'TagB'), Buffer.from('second')), 3000);
    const woken = await parked;
    assert.deepEqual(decodeStoredMessages(woken.body as Buffer).map((m) => m.body.toString()), ['second']);
  });

  it('keeps messages, topics and offsets between runs', async () => {
    await client.invokeSync(dev.broker.brokerAddr, RemotingCommand.createRequestCommand(RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: 'DevCG', topic: 'DevTopic', queueId: 0, commitOffset: 1 }), 3000);
    await dev.stop();
    assert.equal(existsSync(join(dir, 'broker', 'abort')), false, 'a clean stop removes the abort marker');
    dev = await startDev({ namesrvPort: 0, brokerPort: 0, dataDir: dir, brokerIP: '127.0.0.1', logger: silentLogger });
    const brokerAddr = dev.broker.brokerAddr;
    const pulled = await client.invokeSync(brokerAddr, RemotingCommand.createRequestCommand(RequestCode.PULL_MESSAGE, pullHeader('DevTopic', 0)), 3000);
    assert.deepEqual(decodeStoredMessages(pulled.body as Buffer).map((m) => m.body.toString()), ['hello dev', 'second']);
    const offset = await client.invokeSync(brokerAddr, RemotingCommand.createRequestCommand(RequestCode.QUERY_CONSUMER_OFFSET, { consumerGroup: 'DevCG', topic: 'DevTopic', queueId: 0 }), 3000);
    assert.equal(offset.extFields?.['offset'], '1');
    assert.ok(dev.broker.topicConfigManager.containsTopic('DevTopic'));
  });
});

describe('rocketmq-ts dev, as a command', () => {
  it('prints a banner with its addresses, and stops cleanly on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rmq-dev-cli-'));
    const cliModule = new URL('../../src/cli/dev.js', import.meta.url).href;
    const script = `import { runDev } from ${JSON.stringify(cliModule)}; process.exitCode = await runDev(process.argv.slice(1));`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, '--', '--namesrv-port', '0', '--broker-port', '0', '--grpc-port', '0', '--console-port', '0', '--data-dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('Ctrl-C stops it cleanly')) resolve();
      });
      void exit.then(() => reject(new Error(`dev exited early:\n${out}`)));
    });
    assert.match(out, /rocketmq-ts dev is ready \(\d+ ms\)/);
    assert.match(out, /name server {2}127\.0\.0\.1:\d+/);
    assert.match(out, /export NAMESRV_ADDR=127\.0\.0\.1:\d+/);
    assert.match(out, /gRPC {9}127\.0\.0\.1:\d+ {2}\(RocketMQ 5\.x SDKs/);
    const consoleUrl = /console {6}(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1];
    assert.ok(consoleUrl !== undefined, out);
    assert.match(await (await fetch(consoleUrl)).text(), /<title>rocketmq-ts console<\/title>/);
    // The test certificate (openssl) is made under the data dir and named for the SDKs that verify it.
    assert.ok(out.includes(`GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=${join(dir, 'tls', 'grpc-dev.crt')}`), out);
    // The gRPC port speaks TLS with it, and a client that trusts only it verifies the server as localhost.
    const grpcPort = Number(/gRPC {9}127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    const ca = await readFile(join(dir, 'tls', 'grpc-dev.crt'));
    const socket = tlsConnect({ host: '127.0.0.1', port: grpcPort, servername: 'localhost', ca, ALPNProtocols: ['h2'] });
    await once(socket, 'secureConnect');
    assert.deepEqual([socket.authorized, socket.alpnProtocol], [true, 'h2']);
    socket.destroy();
    assert.ok(existsSync(join(dir, 'broker', 'abort')));
    child.kill('SIGTERM');
    assert.equal(await exit, 0, out);
    assert.equal(existsSync(join(dir, 'broker', 'abort')), false);
    assert.ok(existsSync(join(dir, 'broker', 'checkpoint')));
    await rm(dir, { recursive: true, force: true });
  });
});

describe('rocketmq-ts dev with its gRPC endpoint', () => {
  it('creates an unknown topic as MIXED on a 5.x client’s QueryRoute, so any message type can be sent to it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rmq-dev-grpc-'));
    const dev = await startDev({ namesrvPort: 0, brokerPort: 0, grpcPort: 0, grpcTls: false, dataDir: dir, brokerIP: '127.0.0.1', logger: silentLogger });
    const client = new RawMessagingClient(dev.grpcEndpoint ?? '');
    try {
      assert.match(dev.grpcEndpoint ?? '', /^127\.0\.0\.1:\d+$/);
      const route = await client.unary('QueryRoute', { topic: { name: 'DevGrpcTopic' } });
      assert.equal(route.status?.code, enums.Code.OK, route.status?.message);
      assert.deepEqual(route.messageQueues[0]?.acceptMessageTypes, [1, 2, 3, 4]);
      assert.equal(dev.broker.topicConfigManager.selectTopicConfig('DevGrpcTopic')?.attributes?.get('message.type'), 'MIXED');
    } finally {
      client.close();
      await dev.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
