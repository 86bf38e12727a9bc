/**
 * Our name server with the real Apache RocketMQ: a Java broker registers with it, mqadmin reads clusters, topics and
 * routes from it, and a Java producer (mqadmin sendMessage) finds the broker through it and sends.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NamesrvController, defaultNamesrvConfig } from '../../src/index.js';
import {
  buildInterop,
  interopSkip,
  runMqAdmin,
  startJavaBroker,
  type JavaServer,
  type RocketMQVersion,
} from '../helpers/java.js';

const skip = await interopSkip();

async function mqadmin(version: RocketMQVersion, args: string[]): Promise<string> {
  const result = await runMqAdmin(args, { version, timeoutMs: 90_000 });
  assert.equal(result.code, 0, `mqadmin ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Retries an mqadmin call until its output passes `check` (registration is asynchronous). */
async function mqadminUntil(version: RocketMQVersion, args: string[], check: (out: string) => boolean): Promise<string> {
  let out = '';
  for (let attempt = 0; attempt < 8; attempt++) {
    out = await mqadmin(version, args);
    if (check(out)) return out;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  assert.fail(`mqadmin ${args.join(' ')} never showed what was expected:\n${out}`);
}

for (const version of ['5.3.3', '4.9.8'] as const satisfies readonly RocketMQVersion[]) {
  describe(`our name server with Java RocketMQ ${version}`, { skip, timeout: 20 * 60_000 }, () => {
    let namesrv: NamesrvController;
    let dataDir: string;
    let broker: JavaServer | undefined;
    let addr: string;

    before(async () => {
      await buildInterop(version);
      dataDir = await mkdtemp(path.join(tmpdir(), 'rmqts-namesrv-'));
      namesrv = new NamesrvController({ ...defaultNamesrvConfig(dataDir), listenPort: 0, bindAddress: '127.0.0.1' });
      await namesrv.start();
      addr = `127.0.0.1:${namesrv.port}`;
      broker = await startJavaBroker({ version, namesrvAddr: addr, brokerName: `broker-${version.replaceAll('.', '')}` });
    });

    after(async () => {
      await broker?.stop();
      await namesrv.shutdown();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('registers the Java broker: mqadmin clusterList shows it with its version', { timeout: 5 * 60_000 }, async () => {
      // The version column comes from the broker itself (runtime info), which may lag its registration a little.
      const versionName = `V${version.replaceAll('.', '_')}`;
      const out = await mqadminUntil(version, ['clusterList', '-n', addr], (o) => o.includes(broker?.addr ?? '?') && o.includes(versionName));
      assert.match(out, new RegExp(`DefaultCluster\\s+broker-${version.replaceAll('.', '')}\\s+0\\s+127\\.0\\.0\\.1:\\d+\\s+${versionName}`));
    });

    it('creates a topic through the route to the broker; topicList and topicRoute show it', { timeout: 5 * 60_000 }, async () => {
      await mqadmin(version, ['updateTopic', '-n', addr, '-c', 'DefaultCluster', '-t', 'InteropTopic', '-r', '4', '-w', '4']);
      const list = await mqadminUntil(version, ['topicList', '-n', addr], (o) => /^InteropTopic$/m.test(o));
      assert.match(list, /^TBW102$/m, 'the broker registers its system topics too');
      const route = await mqadmin(version, ['topicRoute', '-n', addr, '-t', 'InteropTopic']);
      assert.match(route, /"readQueueNums"\s*:\s*4/);
      assert.match(route, /"writeQueueNums"\s*:\s*4/);
      assert.ok(route.includes(broker?.addr ?? '?'), `route does not name the broker:\n${route}`);
    });

    it('lets a Java producer find the broker through it and send', { timeout: 5 * 60_000 }, async () => {
      const out = await mqadmin(version, ['sendMessage', '-n', addr, '-t', 'InteropTopic', '-p', 'hello from the interop suite']);
      assert.match(out, /SEND_OK/);
    });
  });
}
