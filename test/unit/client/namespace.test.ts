import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseNameServers } from '../../../src/client/config.js';
import { ClientNamespace, clientNamespace, unwrapPayload, withoutNamespace, wrapNamespace } from '../../../src/client/namespace.js';
import { evaluateNamespaceCase, NAMESPACE_CASES } from '../../fixtures/namespace-cases.js';

describe('namespace rules (Java NamespaceUtil)', () => {
  for (const k of NAMESPACE_CASES) {
    it(`${k.op}(${JSON.stringify(k.namespace)}, ${JSON.stringify(k.resource)}) = ${JSON.stringify(k.expected)}${k.note === undefined ? '' : ` (${k.note})`}`, () => {
      assert.equal(evaluateNamespaceCase(k), k.expected);
    });
  }

  it('wraps idempotently and unwraps what it wrapped, for ordinary names', () => {
    for (const name of ['T', 'Topic_1', '%RETRY%G', '%DLQ%G', 'a|b', 'x-y']) {
      const wrapped = wrapNamespace('ns1', name);
      assert.equal(wrapNamespace('ns1', wrapped), wrapped, name);
      assert.equal(withoutNamespace(wrapped, 'ns1'), name, name);
    }
  });
});

describe('ClientNamespace', () => {
  it('without a namespace, returns its arguments themselves', () => {
    for (const ns of [new ClientNamespace(undefined), new ClientNamespace('')]) {
      const mq = { topic: 'T', brokerName: 'b', queueId: 1 };
      assert.equal(ns.active, false);
      assert.equal(ns.wrap('T'), 'T');
      assert.equal(ns.unwrap('ns1%T'), 'ns1%T');
      assert.equal(ns.wrapQueue(mq), mq);
      assert.equal(ns.unwrapQueue(mq), mq);
    }
  });

  it('wraps and unwraps names and queues (copies, never the given queue)', () => {
    const ns = new ClientNamespace('ns1');
    const mq = { topic: 'T', brokerName: 'b', queueId: 1 };
    assert.deepEqual(ns.wrapQueue(mq), { topic: 'ns1%T', brokerName: 'b', queueId: 1 });
    assert.deepEqual(mq, { topic: 'T', brokerName: 'b', queueId: 1 });
    assert.deepEqual(ns.unwrapQueue({ topic: 'ns1%T', brokerName: 'b', queueId: 1 }), mq);
    const system = { topic: 'TBW102', brokerName: 'b', queueId: 0 };
    assert.equal(ns.wrapQueue(system), system);
    assert.equal(ns.wrap(undefined), undefined);
  });

  it('comes from the option, else from an instance endpoint (option or $NAMESRV_ADDR)', () => {
    assert.equal(clientNamespace({ namespace: 'ns1', nameServer: 'MQ_INST_1_a.host:80' }).namespace, 'ns1');
    assert.equal(clientNamespace({ namespace: '' }).namespace, '', 'Java keeps an empty namespace (INSTANCE_ID is still sent)');
    assert.equal(clientNamespace({ nameServer: 'http://MQ_INST_1_a.host:80' }, {}).namespace, 'MQ_INST_1_a');
    assert.equal(clientNamespace({ nameServer: ['MQ_INST_1_a.host:80', 'x:1'] }, {}).namespace, 'MQ_INST_1_a');
    assert.equal(clientNamespace({}, { NAMESRV_ADDR: 'MQ_INST_2_b.host:80' }).namespace, 'MQ_INST_2_b');
    assert.equal(clientNamespace({ nameServer: '127.0.0.1:9876' }, { NAMESRV_ADDR: 'MQ_INST_2_b.host:80' }).namespace, undefined);
    assert.throws(() => clientNamespace({ namespace: 7 as unknown as string }), TypeError);
  });
});

describe('unwrapPayload', () => {
  const ns = new ClientNamespace('ns1');
  it('shows topics, groups and queues without the namespace, and leaves the rest', () => {
    const q = (topic: string, queueId = 0): { topic: string; brokerName: string; queueId: number } => ({ topic, brokerName: 'b', queueId });
    assert.deepEqual(unwrapPayload(ns, { group: 'ns1%G', clientId: 'c' }), { group: 'G', clientId: 'c' });
    assert.deepEqual(unwrapPayload(ns, { topic: '%RETRY%ns1%G', queues: [q('%RETRY%ns1%G')], added: [q('%RETRY%ns1%G')], removed: [] }), {
      topic: '%RETRY%G',
      queues: [q('%RETRY%G')],
      added: [q('%RETRY%G')],
      removed: [],
    });
    assert.deepEqual(unwrapPayload(ns, { queue: q('ns1%T', 3), status: 'FOUND' }), { queue: q('T', 3), status: 'FOUND' });
    assert.deepEqual(unwrapPayload(ns, { offsets: [{ queue: q('ns1%T'), offset: 5 }] }), { offsets: [{ queue: q('T'), offset: 5 }] });
    assert.deepEqual(unwrapPayload(ns, { error: 'x', where: 'pullMessage', queue: undefined }), { error: 'x', where: 'pullMessage', queue: undefined });
    const network = { address: 'a', code: 10 };
    assert.equal(unwrapPayload(new ClientNamespace(undefined), network), network);
  });
});

describe('parseNameServers', () => {
  it('takes the addresses of an http:// endpoint after its last /', () => {
    assert.deepEqual(parseNameServers('http://MQ_INST_1_a.host:80'), ['MQ_INST_1_a.host:80']);
    assert.deepEqual(parseNameServers(['http://x/a:1;b:2', 'c:3']), ['a:1', 'b:2', 'c:3']);
    assert.deepEqual(parseNameServers('127.0.0.1:9876'), ['127.0.0.1:9876']);
  });
});
