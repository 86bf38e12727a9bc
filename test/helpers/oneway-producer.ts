/**
 * A process that sends `count` oneway messages with our Producer without awaiting them, shuts the producer down and
 * exits, as a script does: node oneway-producer.js NAMESRV TOPIC GROUP COUNT. Exits 1 if a send failed.
 */
import { Producer } from '../../src/client/producer/producer.js';

const [nameServer = '127.0.0.1:9876', topic = 'OnewayTopic', group = 'OnewayPG', countText = '10'] = process.argv.slice(2);
const producer = new Producer({ nameServer, group });
await producer.start();
let failed = 0;
for (let i = 0; i < Number(countText); i++) {
  void producer.sendOneway({ topic, body: Buffer.from(`oneway ${i}`) }).catch((err: unknown) => {
    failed++;
    console.error(err);
  });
}
await producer.shutdown();
process.exitCode = failed === 0 ? 0 : 1;
