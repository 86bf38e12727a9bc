// The README's "Testing your application" example, as it is printed there: it imports the package by name (Node
// resolves rocketmq-ts/testing through package.json's exports to dist/), so it also proves the subpath export.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Producer, PushConsumer, type ConsumerMessage } from 'rocketmq-ts';
import { startDevCluster, type DevCluster } from 'rocketmq-ts/testing';

let cluster: DevCluster;

before(async () => {
  cluster = await startDevCluster(); // free loopback ports, a temp dir, quiet
  await cluster.createTopic('Orders', { queues: 4 });
});

after(() => cluster.stop()); // stops both servers and deletes the temp dir

test('an order sent is an order received', async () => {
  const producer = new Producer({ nameServer: cluster.nameServer, group: 'order-service' });
  const consumer = new PushConsumer({ nameServer: cluster.nameServer, group: 'shipping', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
  const received = new Promise<ConsumerMessage>((resolve) => consumer.subscribe('Orders', '*', (message) => resolve(message)));
  await producer.start();
  await consumer.start();
  try {
    const sent = await producer.send({ topic: 'Orders', body: JSON.stringify({ id: 42 }), keys: 'order-42' });
    assert.equal(sent.status, 'SEND_OK');
    const message = await received;
    assert.deepEqual(JSON.parse(message.body.toString()), { id: 42 });
  } finally {
    await consumer.shutdown();
    await producer.shutdown();
  }
});

test('await using stops a cluster at the end of its scope', async () => {
  let dataDir: string;
  {
    await using scoped = await startDevCluster();
    dataDir = scoped.dataDir;
    await scoped.createTopic('Scoped');
    assert.deepEqual((await scoped.admin.topicRoute('Scoped')).queueDatas[0]?.writeQueueNums, 8);
  }
  const { existsSync } = await import('node:fs');
  assert.equal(existsSync(dataDir), false);
});
