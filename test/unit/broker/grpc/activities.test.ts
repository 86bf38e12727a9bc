import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClientChannel } from '../../../../src/broker/client/client-channel.js';
import { ConsumerManager } from '../../../../src/broker/client/consumer-manager.js';
import { ProducerManager } from '../../../../src/broker/client/producer-manager.js';
import { ClientActivity } from '../../../../src/broker/grpc/client-activity.js';
import { mergeSettings, defaultGrpcSettingsConfig } from '../../../../src/broker/grpc/client-settings.js';
import { codeOfRemoting, statusOfError, GrpcStatusError } from '../../../../src/broker/grpc/grpc-status.js';
import { buildMessage, DEFAULT_SEND_LIMITS } from '../../../../src/broker/grpc/message-builder.js';
import { consistentHash, QueueSelector } from '../../../../src/broker/grpc/queue-selector.js';
import { queuesOf } from '../../../../src/broker/grpc/route-activity.js';
import { acceptMessageTypes, messageTypeConflict, messageTypeOfProperties, topicMessageTypeOf } from '../../../../src/broker/grpc/topic-message-type.js';
import { toProtoMessage } from '../../../../src/broker/grpc/message-converter.js';
import { decode, encode } from '../../../../src/grpc/codec.js';
import { enums } from '../../../../src/grpc/schema.js';
import type { Msg, MsgInit } from '../../../../src/grpc/types.js';
import { defaultTopicConfig } from '../../../../src/protocol/bodies/topic-config.js';
import { defaultSubscriptionGroupConfig } from '../../../../src/protocol/bodies/subscription-group-wrapper.js';
import { MessageExt, javaStringHashCode } from '../../../../src/protocol/message/index.js';
import { ResponseCode } from '../../../../src/protocol/response-code.js';

const Code = enums.Code;
/** A message as the decoder would give it (defaults filled), from what a test writes. */
const proto = (m: MsgInit<'Message'>): Msg<'Message'> => decode('Message', encode('Message', m));
const settings = (s: MsgInit<'Settings'>): Msg<'Settings'> => decode('Settings', encode('Settings', s));

describe('gRPC Settings merge (GrpcClientSettingsManager)', () => {
  const config = defaultGrpcSettingsConfig(4 << 20);

  it('gives producers the exponential backoff, the max body size and the type check, keeping their own fields', () => {
    const merged = mergeSettings(settings({ clientType: 1, requestTimeout: 3000, publishing: { topics: [{ name: 'T' }] }, userAgent: { version: '1.0.8' } }), config, undefined);
    assert.deepEqual(merged.backoffPolicy, { maxAttempts: 3, exponentialBackoff: { initial: 10, max: 1000, multiplier: 2 } });
    assert.deepEqual(merged.publishing, { topics: [{ resourceNamespace: '', name: 'T' }], maxBodySize: 4 << 20, validateMessageType: true });
    assert.equal(merged.requestTimeout, 3000);
    assert.equal(merged.userAgent?.version, '1.0.8');
    assert.deepEqual(merged.metric, { on: false });
  });

  it('gives consumers batch size, long polling, the group’s FIFO flag and retry policy (max attempts = retryMaxTimes + 1)', () => {
    const client = settings({ clientType: 2, subscription: { group: { name: 'G' }, subscriptions: [] } });
    const orderly = { ...defaultSubscriptionGroupConfig('G'), consumeMessageOrderly: true, retryMaxTimes: 3 };
    const merged = mergeSettings(client, { ...config, longPollingTimeoutMillis: 5000 }, orderly);
    assert.equal(merged.subscription?.fifo, true);
    assert.equal(merged.subscription?.receiveBatchSize, 32);
    assert.equal(merged.subscription?.longPollingTimeout, 5000);
    assert.equal(merged.backoffPolicy?.maxAttempts, 4);
    assert.deepEqual((merged.backoffPolicy?.customizedBackoff?.next ?? []).slice(0, 5), [1000, 5000, 10_000, 30_000, 60_000]);
    const exponential = { ...orderly, groupRetryPolicy: { type: 'EXPONENTIAL' as const, exponentialRetryPolicy: { initial: 1000, max: 60_000, multiplier: 3 } } };
    assert.deepEqual(mergeSettings(client, config, exponential).backoffPolicy, { maxAttempts: 4, exponentialBackoff: { initial: 1000, max: 60_000, multiplier: 3 } });
    // The answer encodes (one strategy of the oneof).
    assert.ok(encode('Settings', merged).length > 0);
  });
});

describe('gRPC send validation (SendMessageActivity.buildMessage)', () => {
  const now = 1_800_000_000_000;
  const base = (sys: MsgInit<'SystemProperties'> = {}, extra: MsgInit<'Message'> = {}): Msg<'Message'> =>
    proto({ topic: { name: 'T' }, systemProperties: { messageId: 'ID1', messageType: 1, bornTimestamp: now - 5, ...sys }, body: Buffer.from('b'), ...extra });
  const refused = (m: Msg<'Message'>, code: number, text?: RegExp): void => {
    assert.throws(
      () => buildMessage(m, 'T', '10.0.0.9:5555', DEFAULT_SEND_LIMITS, now),
      (err: unknown) => err instanceof GrpcStatusError && err.code === code && (text === undefined || text.test(err.message)),
    );
  };

  it('builds the stored properties the proxy builds', () => {
    const built = buildMessage(
      base({ tag: 'TagA', keys: ['k1', 'k2'], messageGroup: 'g', traceContext: 'tc', deliveryAttempt: 2 }, { userProperties: new Map([['p', 'v']]) }),
      'T',
      '10.0.0.9:5555',
      DEFAULT_SEND_LIMITS,
      now,
    );
    assert.deepEqual(Object.fromEntries(built.properties), {
      p: 'v',
      TAGS: 'TagA',
      KEYS: 'k1 k2',
      UNIQ_KEY: 'ID1',
      RECONSUME_TIME: '2',
      PGROUP: 'T',
      __SHARDINGKEY: 'g',
      TRACE_CONTEXT: 'tc',
      __BORNHOST: '10.0.0.9:5555',
      BORN_TIMESTAMP: String(now - 5),
    });
    assert.equal(built.messageGroup, 'g');
    assert.equal(built.sysFlag, 0);
  });

  it('marks transactions (TRAN_MSG, prepared flag, immunity seconds), delays (TIMER_DELIVER_MS) and GZIP bodies', () => {
    const tx = buildMessage(base({ messageType: 4, orphanedTransactionRecoveryDuration: 30_000 }), 'T', 'p:1', DEFAULT_SEND_LIMITS, now);
    assert.equal(tx.properties.get('TRAN_MSG'), 'true');
    assert.equal(tx.properties.get('CHECK_IMMUNITY_TIME_IN_SECONDS'), '30');
    assert.equal(tx.sysFlag & 0x4, 0x4);
    const delay = buildMessage(base({ messageType: 3, deliveryTimestamp: now + 2000, bodyEncoding: enums.Encoding.GZIP }), 'T', 'p:1', DEFAULT_SEND_LIMITS, now);
    assert.equal(delay.properties.get('TIMER_DELIVER_MS'), String(now + 2000));
    assert.equal(delay.sysFlag & 0x1, 0x1);
  });

  it('refuses with the proxy’s codes', () => {
    refused(base({}, { body: Buffer.alloc(0) }), Code.MESSAGE_BODY_EMPTY);
    refused(base({}, { body: Buffer.alloc(DEFAULT_SEND_LIMITS.maxMessageSize + 1) }), Code.MESSAGE_BODY_TOO_LARGE, /max 4194304/);
    refused(base({ messageId: '' }), Code.ILLEGAL_MESSAGE_ID);
    refused(base({ tag: ' ' }), Code.ILLEGAL_MESSAGE_TAG);
    refused(base({ tag: 'a|b' }), Code.ILLEGAL_MESSAGE_TAG);
    refused(base({ tag: 'a\u0001' }), Code.ILLEGAL_MESSAGE_TAG);
    refused(base({ keys: ['k\n'] }), Code.ILLEGAL_MESSAGE_KEY);
    refused(base({}, { userProperties: new Map([['KEYS', 'x']]) }), Code.ILLEGAL_MESSAGE_PROPERTY_KEY, /used by system: KEYS/);
    refused(base({}, { userProperties: new Map([['a', 'b\u0000']]) }), Code.ILLEGAL_MESSAGE_PROPERTY_KEY);
    refused(base({}, { userProperties: new Map(Array.from({ length: 129 }, (_, i) => [`k${i}`, 'v'] as [string, string])) }), Code.MESSAGE_PROPERTIES_TOO_LARGE);
    refused(base({}, { userProperties: new Map([['big', 'x'.repeat(16 * 1024)]]) }), Code.MESSAGE_PROPERTIES_TOO_LARGE);
    refused(base({ messageGroup: '  ' }), Code.ILLEGAL_MESSAGE_GROUP);
    refused(base({ messageGroup: 'g'.repeat(64) }), Code.ILLEGAL_MESSAGE_GROUP, /max size 64/);
    refused(base({ deliveryTimestamp: now + 24 * 3600_000 + 1 }), Code.ILLEGAL_DELIVERY_TIME);
    refused(base({ messageType: 4, orphanedTransactionRecoveryDuration: 3601_000 }), Code.BAD_REQUEST);
    refused(base({ liteTopic: 'x' }), Code.NOT_IMPLEMENTED);
    refused(base({ priority: 1 }), Code.NOT_IMPLEMENTED);
  });
});

describe('gRPC topic message types (TopicMessageType, DefaultTopicMessageTypeValidator)', () => {
  it('reads the topic attribute (NORMAL when absent) and the accepted types', () => {
    assert.equal(topicMessageTypeOf(defaultTopicConfig('T')), 'NORMAL');
    assert.equal(topicMessageTypeOf({ ...defaultTopicConfig('T'), attributes: new Map([['message.type', 'FIFO']]) }), 'FIFO');
    assert.equal(topicMessageTypeOf({ ...defaultTopicConfig('T'), attributes: new Map([['message.type', 'fifo?']]) }), 'UNSPECIFIED');
    assert.deepEqual(acceptMessageTypes('MIXED'), [1, 2, 3, 4]);
    assert.deepEqual(acceptMessageTypes('DELAY'), [3]);
  });

  it('derives a message’s type from its properties and refuses a mismatch unless the topic is MIXED', () => {
    assert.equal(messageTypeOfProperties(new Map([['TRAN_MSG', 'true'], ['__SHARDINGKEY', 'g']])), 'TRANSACTION');
    assert.equal(messageTypeOfProperties(new Map([['TIMER_DELIVER_MS', '1']])), 'DELAY');
    assert.equal(messageTypeOfProperties(new Map([['__SHARDINGKEY', 'g']])), 'FIFO');
    assert.equal(messageTypeOfProperties(new Map()), 'NORMAL');
    assert.equal(messageTypeConflict('T', 'MIXED', 'FIFO'), undefined);
    assert.equal(messageTypeConflict('T', 'FIFO', 'FIFO'), undefined);
    assert.match(messageTypeConflict('T', 'NORMAL', 'DELAY') ?? '', /expected type is NORMAL, but actual type is DELAY.*--type DELAY or MIXED/);
    assert.notEqual(messageTypeConflict('T', 'UNSPECIFIED', 'UNSPECIFIED'), undefined);
  });
});

describe('gRPC queue choice (SendMessageQueueSelector)', () => {
  it('hashes a message group as the proxy does (Guava consistentHash of String.hashCode)', () => {
    // Expected values computed with Guava 32.0.1's Hashing.consistentHash(group.hashCode(), n) in jshell.
    const expected: [string, number, number][] = [
      ['g1', 4, 0], ['g1', 8, 6], ['g1', 16, 9],
      ['order-42', 4, 3], ['order-42', 8, 3], ['order-42', 16, 10],
      ['', 16, 0], ['用户A', 16, 9],
      ['aVeryLongMessageGroupName', 4, 1], ['aVeryLongMessageGroupName', 8, 7], ['aVeryLongMessageGroupName', 16, 9],
    ];
    for (const [group, n, queue] of expected) assert.equal(consistentHash(BigInt(javaStringHashCode(group)), n), queue, `${group} / ${n}`);
    const selector = new QueueSelector();
    assert.equal(selector.select(8, 'g1'), 6);
  });

  it('spreads other messages round robin over every writable queue', () => {
    const selector = new QueueSelector();
    const seen = new Set(Array.from({ length: 8 }, () => selector.select(8, undefined)));
    assert.equal(seen.size, 8);
  });

  it('lists route queues read-only first, then write-only, then read-write', () => {
    assert.deepEqual(queuesOf({ ...defaultTopicConfig('T'), readQueueNums: 3, writeQueueNums: 2 }, 6), [[0, 2], [1, 4], [2, 4]]);
    assert.deepEqual(queuesOf({ ...defaultTopicConfig('T'), readQueueNums: 2, writeQueueNums: 2, perm: 4 }, 6), [[0, 2], [1, 2]]);
  });
});

describe('gRPC status mapping (ResponseBuilder)', () => {
  it('maps remoting codes and errors to apache.rocketmq.v2.Code', () => {
    assert.equal(codeOfRemoting(ResponseCode.SUCCESS), Code.OK);
    assert.equal(codeOfRemoting(ResponseCode.SYSTEM_BUSY), Code.TOO_MANY_REQUESTS);
    assert.equal(codeOfRemoting(ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST), Code.CONSUMER_GROUP_NOT_FOUND);
    assert.equal(codeOfRemoting(ResponseCode.TOPIC_NOT_EXIST), Code.TOPIC_NOT_FOUND);
    assert.equal(codeOfRemoting(ResponseCode.FLUSH_DISK_TIMEOUT), Code.MASTER_PERSISTENCE_TIMEOUT);
    assert.equal(codeOfRemoting(ResponseCode.SYSTEM_ERROR), Code.INTERNAL_SERVER_ERROR);
    assert.deepEqual(statusOfError(new GrpcStatusError(Code.ILLEGAL_TOPIC, 'x')), { code: Code.ILLEGAL_TOPIC, message: 'x' });
    assert.deepEqual(statusOfError(new Error('boom')), { code: Code.INTERNAL_SERVER_ERROR, message: 'boom' });
  });
});

describe('stored message -> proto Message (GrpcConverter.buildMessage)', () => {
  it('keeps user properties only, MD5 digest upper-case, type from properties, real topic', () => {
    const m = new MessageExt('RMQ_SYS_TRANS_HALF_TOPIC', Buffer.from('hello'));
    for (const [k, v] of Object.entries({ REAL_TOPIC: 'T', TAGS: 'A', KEYS: 'k1 k2', UNIQ_KEY: 'ID', TRAN_MSG: 'true', __transactionId__: 'x', PGROUP: 'T', p: 'v' })) m.properties.set(k, v);
    m.queueId = 2;
    m.queueOffset = 7;
    const p = toProtoMessage(m);
    assert.deepEqual(p.topic, { resourceNamespace: '', name: 'T' });
    const namespaced = new MessageExt('ns1%T', Buffer.from('x'));
    assert.deepEqual(toProtoMessage(namespaced).topic, { resourceNamespace: 'ns1', name: 'T' });
    assert.deepEqual([...(p.userProperties ?? new Map())], [['p', 'v']]);
    assert.equal(p.systemProperties?.bodyDigest?.checksum, '5D41402ABC4B2A76B9719D911017C592');
    assert.equal(p.systemProperties?.messageType, enums.MessageType.TRANSACTION);
    assert.deepEqual(p.systemProperties?.keys, ['k1', 'k2']);
    assert.equal(p.systemProperties?.messageId, 'ID');
    assert.ok(encode('Message', p).length > 0);
  });
});

describe('gRPC client registry (ClientActivity)', () => {
  /** A Telemetry call as the transport hands it over (the transport itself is tested in test/unit/grpc/transport.test.ts). */
  function telemetryCall(clientId: string) {
    const written: MsgInit<'TelemetryCommand'>[] = [];
    const listeners: { message?: (m: Msg<'TelemetryCommand'>) => void; close: (() => void)[] } = { close: [] };
    const call = {
      context: { metadata: new Map<string, string>(), clientId, peer: '127.0.0.1:5000', deadline: Infinity },
      write: (m: MsgInit<'TelemetryCommand'>) => void written.push(m),
      end: () => listeners.close.forEach((l) => l()),
      fail: () => listeners.close.forEach((l) => l()),
      onMessage: (l: (m: Msg<'TelemetryCommand'>) => void) => void (listeners.message = l),
      onClose: (l: () => void) => void listeners.close.push(l),
    };
    return { call, written, send: (m: MsgInit<'TelemetryCommand'>) => listeners.message?.(decode('TelemetryCommand', encode('TelemetryCommand', m))), close: call.end };
  }

  it('forgets a client whose Telemetry closed once it has been quiet past the expiry, and unregisters its topics', () => {
    const producers = new ProducerManager<ClientChannel>();
    const activity = new ClientActivity({
      producerManager: producers,
      consumerManager: new ConsumerManager<ClientChannel>({ onConsumerIdsChanged: () => undefined, channelExpiredTimeout: () => 120_000 }),
      groupSettings: () => undefined,
      settingsConfig: () => defaultGrpcSettingsConfig(4 << 20),
    });
    const withTopic = telemetryCall('p1');
    activity.telemetry('p1', withTopic.call);
    withTopic.send({ settings: { clientType: 1, publishing: { topics: [{ name: 'T' }] } } });
    assert.equal(withTopic.written[0]?.status?.code, Code.OK);
    const noTopics = telemetryCall('p2');
    activity.telemetry('p2', noTopics.call);
    noTopics.send({ settings: { clientType: 1, publishing: { topics: [] } } });
    assert.equal(activity.clientCount, 2);
    assert.equal(producers.getGroupChannelTable('T')?.size, 1);

    // Open streams keep clients, however quiet.
    assert.equal(activity.scanNotActiveClients(1000, Date.now() + 5000), 0);
    withTopic.close();
    noTopics.close();
    assert.equal(activity.scanNotActiveClients(1000, Date.now()), 0, 'not quiet long enough');
    assert.equal(activity.scanNotActiveClients(1000, Date.now() + 5000), 2);
    assert.equal(activity.clientCount, 0);
    assert.equal(producers.getGroupChannelTable('T')?.size ?? 0, 0);
  });
});
