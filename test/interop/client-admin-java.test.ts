/**
 * Our Admin against the real Apache RocketMQ 5.3.3 name server and broker: cluster info, topic create, list, route
 * and stats, and a message found by its offset msgId, by its UNIQ_KEY and by key, all decoded from what the Java
 * servers answer. Skipped (loudly) without java and mvn, unless CI is set.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Admin, MQClientManager, Producer, type SendResult } from '../../src/client/index.js';
import { interopSkip, startJavaBroker, startJavaNameServer, type JavaServer } from '../helpers/java.js';

const skip = await interopSkip();

describe('our Admin with Java 5.3.3 name server and broker', { skip, timeout: 10 * 60_000 }, () => {
  const servers: JavaServer[] = [];
  const manager = new MQClientManager();
  let admin: Admin;
  let brokerAddr: string;
  let namesrvAddr: string;
  const topic = 'TsAdminTopic';

  before(async () => {
    const namesrv = await startJavaNameServer();
    servers.push(namesrv);
    namesrvAddr = namesrv.addr;
    const broker = await startJavaBroker({ namesrvAddr: namesrv.addr, brokerName: 'broker-java', clusterName: 'JavaCluster' });
    servers.push(broker);
    brokerAddr = broker.addr;
    admin = new Admin({ nameServer: namesrv.addr, clientIP: '127.0.0.1', clientManager: manager });
    await admin.start();
    // The broker registers shortly after it logs "boot success".
    for (let attempt = 0; admin.masters(await admin.clusterInfo(), 'JavaCluster').length === 0; attempt++) {
      if (attempt === 300) throw new Error('the Java broker did not register within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
  after(async () => {
    await admin?.shutdown();
    for (const server of servers.reverse()) await server.stop();
  });

  it('clusterInfo lists the Java broker as master of its cluster', async () => {
    const info = await admin.clusterInfo();
    assert.deepEqual(info.clusterAddrTable.get('JavaCluster'), ['broker-java']);
    assert.deepEqual(admin.masters(info, 'JavaCluster'), [brokerAddr]);
  });

  it('createTopic on the cluster; topicList, topicRoute and topicStats read it back', async () => {
    assert.deepEqual(await admin.createTopic({ cluster: 'JavaCluster' }, topic, { readQueueNums: 3, writeQueueNums: 3 }), [brokerAddr]);
    // The broker registers the new topic with the name server on its own schedule (at once in 5.x, asynchronously).
    for (let attempt = 0; !(await admin.topicList()).includes(topic); attempt++) {
      if (attempt === 100) throw new Error(`${topic} never reached the name server`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const route = await admin.topicRoute(topic);
    assert.deepEqual(route.queueDatas.map((q) => [q.brokerName, q.readQueueNums, q.writeQueueNums, q.perm]), [['broker-java', 3, 3, 6]]);
    const stats = await admin.topicStats(topic);
    assert.deepEqual(stats.map((s) => [s.mq.queueId, s.minOffset, s.maxOffset]), [[0, 0, 0], [1, 0, 0], [2, 0, 0]]);
  });

  it('a sent message by offset msgId, by UNIQ_KEY and by key', async () => {
    const producer = new Producer({ nameServer: namesrvAddr, group: 'TsAdminPG', clientIP: '127.0.0.1', clientManager: manager });
    await producer.start();
    let sent: SendResult;
    try {
      sent = await producer.send({ topic, body: 'admin interop', tags: 'TagA', keys: ['admin-key'] });
    } finally {
      await producer.shutdown();
    }
    const byOffset = await admin.viewMessage(sent.offsetMsgId);
    assert.deepEqual([byOffset.body.toString(), byOffset.uniqKey, byOffset.tags], ['admin interop', sent.msgId, 'TagA']);
    // The index is built by the broker's dispatcher shortly after the write.
    let byKey: Awaited<ReturnType<Admin['queryMessage']>> = [];
    for (let attempt = 0; byKey.length === 0; attempt++) {
      try {
        byKey = await admin.queryMessage(topic, 'admin-key');
      } catch (err) {
        if (attempt === 50) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    assert.deepEqual(byKey.map((m) => m.uniqKey), [sent.msgId]);
    const byUniq = await admin.viewMessage(sent.msgId, topic);
    assert.equal(byUniq.msgId, sent.offsetMsgId);
    const stats = await admin.topicStats(topic);
    assert.equal(stats.reduce((n, s) => n + s.maxOffset, 0), 1);
  });
});
