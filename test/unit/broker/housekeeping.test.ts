import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newClientChannelInfo } from '../../../src/broker/client/client-channel-info.js';
import { ClientHousekeepingService } from '../../../src/broker/client/client-housekeeping-service.js';
import { ConsumerManager } from '../../../src/broker/client/consumer-manager.js';
import { ProducerManager } from '../../../src/broker/client/producer-manager.js';
import type { ClientChannel } from '../../../src/broker/client/client-channel.js';
import type { RemotingChannel } from '../../../src/remoting/remoting-channel.js';

/** The two members of RemotingChannel the housekeeping uses. */
function fakeChannel(remoteAddr: string): RemotingChannel & { wasClosed: boolean } {
  const channel = { remoteAddr, wasClosed: false, close: () => (channel.wasClosed = true) };
  return channel as unknown as RemotingChannel & { wasClosed: boolean };
}

describe('ClientHousekeepingService', () => {
  function setup(): { producers: ProducerManager<ClientChannel>; consumers: ConsumerManager<ClientChannel>; service: ClientHousekeepingService; notified: string[] } {
    const notified: string[] = [];
    const producers = new ProducerManager<ClientChannel>();
    const consumers = new ConsumerManager<ClientChannel>({ onConsumerIdsChanged: (group) => notified.push(group), channelExpiredTimeout: () => 120_000 });
    return { producers, consumers, service: new ClientHousekeepingService(producers, consumers), notified };
  }

  it('removes a closed, failed or idle channel from every producer and consumer group', () => {
    const { producers, consumers, service, notified } = setup();
    const [a, b] = [fakeChannel('1.1.1.1:1'), fakeChannel('2.2.2.2:2')];
    for (const channel of [a, b]) {
      const info = newClientChannelInfo(channel, channel.remoteAddr, 'JAVA', 479);
      producers.registerProducer('P', info);
      consumers.registerConsumer('G', info, 'CONSUME_PASSIVELY', 'CLUSTERING', 'CONSUME_FROM_LAST_OFFSET', [], false);
    }
    service.onChannelClose(a.remoteAddr, a);
    assert.deepEqual(consumers.getConsumerGroupInfo('G')?.getAllChannel(), [b]);
    assert.deepEqual(notified, ['G']);
    service.onChannelIdle(b.remoteAddr, b);
    assert.equal(consumers.getConsumerGroupInfo('G'), undefined);
    assert.equal(producers.groupOnline('P'), false);
    service.onChannelException(b.remoteAddr, b);
  });

  it('closes the connections of clients silent past their expiry', () => {
    const { producers, consumers, service } = setup();
    const [old, fresh] = [fakeChannel('1.1.1.1:1'), fakeChannel('2.2.2.2:2')];
    producers.registerProducer('P', newClientChannelInfo(old, 'old', 'JAVA', 479, 0));
    consumers.registerConsumer('G', newClientChannelInfo(old, 'old', 'JAVA', 479, 0), 'CONSUME_PASSIVELY', 'CLUSTERING', 'CONSUME_FROM_LAST_OFFSET', [], false, 0);
    consumers.registerConsumer('G', newClientChannelInfo(fresh, 'fresh', 'JAVA', 479, 100_000), 'CONSUME_PASSIVELY', 'CLUSTERING', 'CONSUME_FROM_LAST_OFFSET', [], false, 100_000);
    service.scanExceptionChannel(150_000);
    assert.equal(old.wasClosed, true);
    assert.equal(fresh.wasClosed, false);
    assert.deepEqual(consumers.getConsumerGroupInfo('G')?.getAllClientId(), ['fresh']);
    service.start();
    service.shutdown();
  });
});
