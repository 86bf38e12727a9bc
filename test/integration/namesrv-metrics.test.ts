import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../src/common/logger.js';
import { defaultNamesrvConfig, NamesrvController } from '../../src/namesrv/index.js';
import type { BrokerController } from '../../src/broker/broker-controller.js';
import { startTestBroker } from '../helpers/cluster.js';
import { parsePrometheusText } from '../helpers/prometheus-text.js';

describe('name server metrics (metricsExporterType=PROM, ours: Java 5.3.3 has none)', () => {
  let dir: string;
  let namesrv: NamesrvController;
  let broker: BrokerController;
  let base: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmq-ns-metrics-'));
    namesrv = new NamesrvController(
      { ...defaultNamesrvConfig(dir), listenPort: 0, bindAddress: '127.0.0.1', metricsExporterType: 'PROM', metricsPromExporterPort: 0 },
      { logger: silentLogger },
    );
    await namesrv.start();
    base = `http://127.0.0.1:${namesrv.metricsPort ?? 0}`;
    broker = await startTestBroker(dir, `127.0.0.1:${namesrv.port}`);
  });
  after(async () => {
    await broker?.shutdown();
    await namesrv?.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the route counts and the rpc latency of the requests it answered, labelled node_type="namesrv"', async () => {
    const response = await fetch(`${base}/metrics`);
    assert.equal(response.status, 200);
    const families = parsePrometheusText(await response.text());
    const value = (name: string): number | undefined => families.get(name)?.samples[0]?.value;
    assert.equal(value('rocketmq_namesrv_broker_number'), 1);
    assert.equal(value('rocketmq_namesrv_cluster_number'), 1);
    assert.ok((value('rocketmq_namesrv_topic_number') ?? 0) > 0);
    const registered = families
      .get('rocketmq_rpc_latency_milliseconds')
      ?.samples.find((s) => s.series.endsWith('_count') && s.labels['request_code'] === 'register_broker');
    assert.ok((registered?.value ?? 0) >= 1);
    assert.deepEqual([registered?.labels['node_type'], registered?.labels['node_id'], registered?.labels['response_code']], ['namesrv', `127.0.0.1:${namesrv.port}`, 'success']);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
  });

  it('serves nothing unless asked (the default DISABLE)', async () => {
    const plain = new NamesrvController({ ...defaultNamesrvConfig(dir), listenPort: 0, bindAddress: '127.0.0.1' }, { logger: silentLogger });
    await plain.start();
    try {
      assert.equal(plain.metricsPort, undefined);
    } finally {
      await plain.shutdown();
    }
  });
});
