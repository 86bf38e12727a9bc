import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConsumerFilterManager, FilterFactory, isDead } from '../../../src/broker/filter/consumer-filter-manager.js';
import { ExpressionMessageFilter, PropertyMessageFilter, RetryPropertyMessageFilter } from '../../../src/broker/filter/expression-message-filter.js';
import { checkClientConfig, resolvePullMessageFilter, type PullMessageFilter } from '../../../src/broker/filter/pull-message-filter.js';
import { PullRequestHoldService, type PullRequest } from '../../../src/broker/longpolling/pull-request-hold-service.js';
import { silentLogger } from '../../../src/common/logger.js';
import type { SubscriptionData } from '../../../src/protocol/bodies/heartbeat-data.js';
import { encodeStoredMessage, MessageExtBrokerInner, readStoredPropertiesString } from '../../../src/protocol/message/index.js';
import { ResponseCode } from '../../../src/protocol/response-code.js';
import type { MessageFilter } from '../../../src/store/message-store.js';
import { MemoryConfigStore } from './support.js';

function sub(topic: string, subString: string, subVersion = 1, expressionType = 'SQL92'): SubscriptionData {
  return { topic, subString, tagsSet: [], codeSet: [], subVersion, expressionType, classFilterMode: false };
}

function manager(now: { t: number }, configStore = new MemoryConfigStore()): ConsumerFilterManager {
  return new ConsumerFilterManager({ configStore, factory: new FilterFactory(), filterDataCleanTimeSpan: () => 24 * 3600_000, logger: silentLogger, now: () => now.t });
}

/** A stored record with these properties (and the broker's own, as a real one has). */
function record(properties: Record<string, string>, topic = 'T'): Buffer {
  const msg = new MessageExtBrokerInner();
  msg.topic = topic;
  msg.body = Buffer.from('body');
  for (const [k, v] of Object.entries(properties)) msg.putProperty(k, v);
  msg.bornHost = { address: '127.0.0.1', port: 1 };
  msg.storeHost = { address: '::1', port: 2 };
  return encodeStoredMessage(msg, 0, 0);
}

function filterOf(resolved: PullMessageFilter): MessageFilter {
  assert.ok('messageFilter' in resolved, JSON.stringify(resolved));
  return resolved.messageFilter;
}

describe('consumer filters (ConsumerFilterManager, ExpressionMessageFilter, the pull filter)', () => {
  it('registers a heartbeat filter, replaces it only with a newer version, and marks what the group left dead', () => {
    const now = { t: 1000 };
    const m = manager(now);
    m.register('G', [sub('T1', 'a = 1', 10), sub('T2', 'b = 2', 10), { ...sub('T3', 'TagA', 10), expressionType: 'TAG' }]);
    assert.equal(m.get('T1', 'G')?.expression, 'a = 1');
    assert.equal(m.get('T3', 'G'), undefined, 'TAG subscriptions have no filter');
    // An older or equal version changes nothing; a newer one with another expression compiles it.
    m.registerOne('T1', 'G', 'a = 9', 'SQL92', 9);
    assert.equal(m.get('T1', 'G')?.expression, 'a = 1');
    m.registerOne('T1', 'G', 'a = 9', 'SQL92', 11);
    assert.equal(m.get('T1', 'G')?.expression, 'a = 9');
    assert.equal(m.get('T1', 'G')?.clientVersion, 11);
    // A newer version that does not compile removes the filter (pulls then say FILTER_DATA_NOT_EXIST).
    m.registerOne('T1', 'G', 'a =', 'SQL92', 12);
    assert.equal(m.get('T1', 'G'), undefined);
    // The group stops subscribing T2: its filter is dead but still answers, until the same version revives it.
    now.t = 2000;
    m.register('G', [sub('T1', 'a = 1', 13)]);
    const t2 = m.get('T2', 'G');
    assert.ok(t2 !== undefined && isDead(t2));
    m.register('G', [sub('T1', 'a = 1', 13), sub('T2', 'b = 2', 10)]);
    assert.equal(isDead(m.get('T2', 'G')!), false);
    m.unRegister('G');
    assert.equal(isDead(m.get('T1', 'G')!), true);
    // A day later clean() forgets them.
    now.t += 24 * 3600_000;
    m.clean();
    assert.equal(m.get('T1', 'G'), undefined);
  });

  it("persists consumerFilter.json in Java's shape; loaded filters are dead until their group comes back", async () => {
    const now = { t: 1_000_000 };
    const store = new MemoryConfigStore();
    const m = manager(now, store);
    m.register('G', [sub('T', "a > 5 AND b = 'x'", 7)]);
    await m.persist();
    const json = JSON.parse(store.files.get('consumerFilter.json')!) as { filterDataByTopic: Record<string, { groupFilterData: Record<string, Record<string, unknown>>; topic: string }> };
    assert.deepEqual(json.filterDataByTopic.T?.groupFilterData.G, {
      bornTime: 1_000_000,
      clientVersion: 7,
      consumerGroup: 'G',
      dead: false,
      deadTime: 0,
      expression: "a > 5 AND b = 'x'",
      expressionType: 'SQL92',
      topic: 'T',
    });
    now.t = 2_000_000;
    const loaded = manager(now, store);
    await loaded.load();
    const data = loaded.get('T', 'G');
    assert.ok(data !== undefined && isDead(data));
    assert.equal(data.compiledExpression?.matches(new Map([['a', '6'], ['b', 'x']])), true);
    loaded.register('G', [sub('T', "a > 5 AND b = 'x'", 7)]);
    assert.equal(isDead(loaded.get('T', 'G')!), false);
  });

  it('resolves the pull filter with Java codes: 23, 27, 28, then SYSTEM_ERROR when property filters are off', () => {
    const m = manager({ t: 1 });
    const on = { enablePropertyFilter: true, filterSupportRetry: false };
    const request = (subscriptionData: SubscriptionData, carried: boolean, subVersion = 5) => ({ topic: 'T', consumerGroup: 'G', subVersion, subscriptionData, carried });
    assert.ok(filterOf(resolvePullMessageFilter(m, on, request(sub('T', '*', 1, 'TAG'), true))) instanceof ExpressionMessageFilter);
    assert.deepEqual(resolvePullMessageFilter(m, on, request(sub('T', 'a >'), true)), { code: ResponseCode.SUBSCRIPTION_PARSE_FAILED, remark: "parse the consumer's subscription failed" });
    assert.ok(filterOf(resolvePullMessageFilter(m, on, request(sub('T', 'a > 1'), true))) instanceof PropertyMessageFilter);
    assert.equal((resolvePullMessageFilter(m, on, request(sub('T', 'a > 1'), false)) as { code: number }).code, ResponseCode.FILTER_DATA_NOT_EXIST);
    m.registerOne('T', 'G', 'a > 1', 'SQL92', 4);
    assert.deepEqual(resolvePullMessageFilter(m, on, request(sub('T', 'a > 1'), false, 5)), {
      code: ResponseCode.FILTER_DATA_NOT_LATEST,
      remark: "the consumer's consumer filter data not latest",
    });
    assert.ok(filterOf(resolvePullMessageFilter(m, on, request(sub('T', 'a > 1'), false, 4))) instanceof PropertyMessageFilter);
    // Off: checked after the filter data, as Java does.
    const off = { enablePropertyFilter: false, filterSupportRetry: false };
    assert.equal((resolvePullMessageFilter(m, off, request(sub('T', 'a > 1'), false, 5)) as { code: number }).code, ResponseCode.FILTER_DATA_NOT_LATEST);
    assert.deepEqual(resolvePullMessageFilter(m, off, request(sub('T', 'a > 1'), false, 4)), {
      code: ResponseCode.SYSTEM_ERROR,
      remark: 'The broker does not support consumer to filter message by SQL92',
    });
    const retry = filterOf(resolvePullMessageFilter(m, { enablePropertyFilter: true, filterSupportRetry: true }, request(sub('T', 'a > 1'), false, 4)));
    assert.ok(retry instanceof RetryPropertyMessageFilter);
  });

  it('CHECK_CLIENT_CONFIG: TAG passes; SQL92 needs the switch, then must compile', () => {
    const factory = new FilterFactory();
    const compile = (type: string, expression: string) => factory.compile(type, expression);
    assert.deepEqual(checkClientConfig(compile, false, sub('T', '*', 1, 'TAG')), { code: ResponseCode.SUCCESS });
    assert.deepEqual(checkClientConfig(compile, false, undefined), { code: ResponseCode.SUCCESS });
    assert.deepEqual(checkClientConfig(compile, false, sub('T', 'a = 1')), {
      code: ResponseCode.SYSTEM_ERROR,
      remark: 'The broker does not support consumer to filter message by SQL92',
    });
    assert.deepEqual(checkClientConfig(compile, true, sub('T', 'a = 1')), { code: ResponseCode.SUCCESS });
    const bad = checkClientConfig(compile, true, sub('T', "a > 'x'"));
    assert.equal(bad.code, ResponseCode.SUBSCRIPTION_PARSE_FAILED);
    assert.equal(bad.remark, "Invalid MessageSelector. Value ''x'' cannot be compared.");
    assert.equal(checkClientConfig(compile, true, sub('T', 'a = 1', 1, 'XPATH')).code, ResponseCode.SUBSCRIPTION_PARSE_FAILED);
  });

  it('evaluates stored records without decoding them, and dispatched properties as they are', () => {
    const m = manager({ t: 1 });
    const filter = filterOf(resolvePullMessageFilter(m, { enablePropertyFilter: true, filterSupportRetry: false }, {
      topic: 'T', consumerGroup: 'G', subVersion: 1, subscriptionData: sub('T', "a > 5 AND TAGS = 'x'"), carried: true,
    }));
    assert.equal(filter.isMatchedByConsumeQueue(123), true);
    assert.equal(filter.isMatchedByCommitLog?.(record({ a: '6', TAGS: 'x' })), true);
    assert.equal(filter.isMatchedByCommitLog?.(record({ a: '6', TAGS: 'y' })), false);
    assert.equal(filter.isMatchedByCommitLog?.(record({ a: 'six', TAGS: 'x' })), false);
    assert.equal(filter.isMatchedByCommitLog?.(record({})), false);
    assert.equal(filter.isMatchedByCommitLog?.(undefined, new Map([['a', '7'], ['TAGS', 'x']])), true);
    assert.equal(readStoredPropertiesString(record({ k: 'v\u00e9' }, 'T'.repeat(200))), 'k\u0001v\u00e9\u0002');
    // A TAG filter never reads the message.
    const tagFilter: MessageFilter = new ExpressionMessageFilter(sub('T', '*', 1, 'TAG'));
    assert.equal('isMatchedByCommitLog' in tagFilter, false);
  });

  it('with filterSupportRetry, a retry-topic pull evaluates the group filter of the original topic', () => {
    const m = manager({ t: 1 });
    m.registerOne('Orders', 'G', "region = 'eu'", 'SQL92', 1);
    const retry = new RetryPropertyMessageFilter(sub('%RETRY%G', "region = 'us'"), m.build('%RETRY%G', 'G', "region = 'us'", 'SQL92', 1), (t, g) => m.get(t, g));
    assert.equal(retry.isMatchedByCommitLog(record({ region: 'eu', RETRY_TOPIC: 'Orders' })), true);
    assert.equal(retry.isMatchedByCommitLog(record({ region: 'us', RETRY_TOPIC: 'Orders' })), false);
    // No filter of the group on the original topic: delivered.
    assert.equal(retry.isMatchedByCommitLog(record({ region: 'us', RETRY_TOPIC: 'Other' })), true);
    // Not a retry topic: its own filter.
    const plain = new RetryPropertyMessageFilter(sub('Orders', "region = 'us'"), m.build('Orders', 'G', "region = 'us'", 'SQL92', 1), (t, g) => m.get(t, g));
    assert.equal(plain.isMatchedByCommitLog(record({ region: 'us' })), true);
    assert.equal(plain.isMatchedByCommitLog(record({ region: 'eu' })), false);
  });

  it('a parked pull with a property filter wakes only for an arrival whose properties match', () => {
    const woken: PullRequest[] = [];
    const hold = new PullRequestHoldService({ getMaxOffsetInQueue: () => 1, executeRequestWhenWakeup: (r) => woken.push(r), logger: silentLogger });
    const m = manager({ t: 1 });
    const messageFilter = new PropertyMessageFilter(m.build('T', 'G', "color = 'red'", 'SQL92', 1));
    const channel = { isActive: true } as never;
    hold.suspendPullRequest('T', 0, { ctx: { channel } as never, request: {} as never, timeoutMillis: 60_000, suspendTimestamp: Date.now(), pullFromThisOffset: 0, messageFilter });
    hold.notifyMessageArriving('T', 0, 1, 0, new Map([['color', 'blue']]));
    assert.equal(hold.size, 1);
    hold.notifyMessageArriving('T', 0, 1, 0, new Map([['color', 'red']]));
    assert.equal(hold.size, 0);
    hold.shutdown();
  });
});
