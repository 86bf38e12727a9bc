import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { processPullBody, toConsumerMessage } from '../../../../src/client/consumer/consumer-message.js';
import { buildSubscriptionData } from '../../../../src/client/consumer/subscription.js';
import { OffsetTable } from '../../../../src/client/consumer/offset-store.js';
import { createMessageId, encodeStoredMessage, MessageExtBrokerInner, type HostAddress } from '../../../../src/protocol/message/index.js';

function stored(offset: number, storeHost: HostAddress, tags?: string, keys?: string): Buffer {
  const inner = new MessageExtBrokerInner('T', Buffer.from(`body${offset}`));
  inner.bornHost = { address: '192.168.0.2', port: 51234 };
  inner.storeHost = storeHost;
  inner.bornTimestamp = 1_700_000_000_000;
  inner.storeTimestamp = 1_700_000_000_001;
  if (tags !== undefined) inner.tags = tags;
  if (keys !== undefined) inner.keys = keys;
  inner.putProperty('UNIQ_KEY', `U${offset}`);
  return encodeStoredMessage(inner, 1000 + offset * 200, offset);
}

const noBadBody = (): void => assert.fail('no compressed body here');

describe('processPullBody (the consumer side of the decoder)', () => {
  it('gives every record the msgId createMessageId gives, for IPv4, IPv6 and IPv4-mapped store hosts', async () => {
    const hosts = fc.oneof(
      fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join('.')),
      fc.ipV6(),
      fc.tuple(fc.nat(255), fc.nat(255)).map(([a, b]) => `::ffff:10.${a}.${b}.1`),
    );
    await fc.assert(
      fc.asyncProperty(hosts, fc.nat(65535), fc.nat(1_000_000), async (address, port, offset) => {
        const host = { address, port };
        const [msg] = await processPullBody(stored(offset, host), buildSubscriptionData('T', '*'), 0, 1, noBadBody);
        assert.ok(msg !== undefined);
        assert.equal(msg.msgId, createMessageId(msg.storeHost, 1000 + offset * 200));
      }),
    );
  });

  it('keeps the subscribed tags, stamps MIN/MAX_OFFSET, and gives bodies that are views of the pull body', async () => {
    const host = { address: '10.0.0.1', port: 10911 };
    const body = Buffer.concat([stored(0, host, 'A', 'k1 k2'), stored(1, host, 'B'), stored(2, host, 'A')]);
    const msgs = await processPullBody(body, buildSubscriptionData('T', 'A'), 0, 3, noBadBody);
    assert.deepEqual(
      msgs.map((m) => m.queueOffset),
      [0, 2],
    );
    const first = msgs[0] as (typeof msgs)[number];
    assert.equal(first.body.toString(), 'body0');
    assert.equal(first.body.buffer, body.buffer, 'a view, not a copy');
    assert.equal(first.getProperty('MIN_OFFSET'), '0');
    assert.equal(first.getProperty('MAX_OFFSET'), '3');
    assert.equal(first.storeHost, (msgs[1] as (typeof msgs)[number]).storeHost, 'hosts decoded once, shared');
    const view = toConsumerMessage(first, 'broker-a');
    assert.deepEqual(view.keys, ['k1', 'k2']);
    assert.equal(view.msgId, 'U0');
    assert.equal(view.properties['TAGS'], 'A');
    assert.deepEqual(toConsumerMessage(msgs[1] as (typeof msgs)[number], 'broker-a').keys, []);
  });

  it("gives the listener a view whose properties, read on demand, JSON.stringify and console.log show", async () => {
    const host = { address: '10.0.0.1', port: 10911 };
    const body = Buffer.concat([stored(0, host, 'A', 'k1'), stored(1, host, 'B')]);
    const msgs = await processPullBody(body, buildSubscriptionData('T', '*'), 0, 2, noBadBody);
    assert.deepEqual(msgs.map((m) => m.tags), ['A', 'B'], "'*' keeps every tag");
    const view = toConsumerMessage(msgs[0] as (typeof msgs)[number], 'broker-a');
    const expected = { KEYS: 'k1', MAX_OFFSET: '2', MIN_OFFSET: '0', TAGS: 'A', UNIQ_KEY: 'U0' };
    const sorted = (record: Readonly<Record<string, string>>): Record<string, string> => Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
    assert.deepEqual(sorted(view.properties), expected);
    assert.equal(view.properties, view.properties, 'built once');
    const json = JSON.parse(JSON.stringify(view)) as Record<string, unknown>;
    assert.deepEqual(sorted(json['properties'] as Record<string, string>), expected);
    assert.equal(json['msgId'], 'U0');
    assert.equal(json['offsetMsgId'], createMessageId(host, 1000));
    assert.equal(view.offsetMsgId, createMessageId(host, 1000));
    assert.equal(json['brokerName'], 'broker-a');
    assert.match(inspect(view), /MIN_OFFSET: '0'/);
    assert.match(inspect(view), /queueOffset: 0/);
    assert.match(inspect(view), /offsetMsgId: '0A000001/);
  });
});

describe('OffsetTable', () => {
  class Table extends OffsetTable {}

  it('follows a queue object whose fields change (its remembered key is checked, not trusted)', () => {
    const table = new Table();
    const mq = { topic: 'T', brokerName: 'b', queueId: 0 };
    table.updateOffset(mq, 5, false);
    mq.queueId = 1;
    table.updateOffset(mq, 9, false);
    assert.equal(table.readOffsetFromMemory({ topic: 'T', brokerName: 'b', queueId: 0 }), 5);
    assert.equal(table.readOffsetFromMemory({ topic: 'T', brokerName: 'b', queueId: 1 }), 9);
    table.updateOffset(mq, 7, true);
    assert.equal(table.readOffsetFromMemory(mq), 9, 'increaseOnly never moves back');
  });
});
