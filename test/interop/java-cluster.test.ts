/**
 * Self-test of the Java interop harness: builds interop/, starts the real Apache RocketMQ name server and broker and
 * checks with mqadmin that the broker registered. Skipped (loudly) without java and mvn, unless CI is set.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  buildInterop,
  interopSkip,
  runMqAdmin,
  startJavaBroker,
  startJavaNameServer,
  type JavaServer,
  type RocketMQVersion,
} from '../helpers/java.js';

const skip = await interopSkip();

for (const version of ['5.3.3', '4.9.8'] as const satisfies readonly RocketMQVersion[]) {
  describe(`Java RocketMQ ${version} name server + broker`, { skip, timeout: 25 * 60_000 }, () => {
    const servers: JavaServer[] = [];

    before(async () => {
      await buildInterop(version);
    });

    after(async () => {
      await Promise.all(servers.reverse().map((server) => server.stop()));
    });

    it('starts, and mqadmin clusterList shows the broker', { timeout: 5 * 60_000 }, async () => {
      const t0 = Date.now();
      const namesrv = await startJavaNameServer({ version });
      servers.push(namesrv);
      const t1 = Date.now();
      const broker = await startJavaBroker({ version, namesrvAddr: namesrv.addr, brokerName: 'broker-interop' });
      servers.push(broker);
      const t2 = Date.now();
      console.log(`${version}: name server ready in ${t1 - t0} ms, broker in ${t2 - t1} ms`);

      // The broker registers right after "boot success", and its runtime info (the version column) may lag a little
      // behind: give both a few tries.
      const versionName = `V${version.replaceAll('.', '_')}`;
      let listing = '';
      for (let attempt = 0; attempt < 10 && !(listing.includes(broker.addr) && listing.includes(versionName)); attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 1000));
        const result = await runMqAdmin(['clusterList', '-n', namesrv.addr], { version, timeoutMs: 60_000 });
        assert.equal(result.code, 0, `mqadmin failed:\n${result.stdout}\n${result.stderr}`);
        listing = result.stdout;
      }
      assert.match(listing, /DefaultCluster\s+broker-interop\s+0\s+127\.0\.0\.1:\d+/);
      assert.ok(listing.includes(broker.addr), `clusterList does not show ${broker.addr}:\n${listing}`);
      assert.ok(listing.includes(versionName), `clusterList does not show ${versionName}:\n${listing}`);
    });
  });
}
