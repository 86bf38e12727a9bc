import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  aclFromInfo,
  aclToInfo,
  deletePolicyEntry,
  matchPolicyEntry,
  mergePolicies,
  ofGroup,
  ofTopic,
  parseResource,
  resourceKey,
  type Acl,
  type Action,
  type Decision,
} from '../../../../src/broker/auth/acl.js';
import { AuthorizationError } from '../../../../src/broker/auth/auth-errors.js';
import { isIpInRange, isValidIpOrCidr } from '../../../../src/broker/auth/ip-range.js';

function acl(entries: { resource: string; actions: Action[]; decision: Decision; sourceIps?: string[] }[], policyType = 'Custom'): Acl {
  return aclFromInfo({ subject: 'User:alice', policies: [{ policyType, entries }] }, 'User:alice');
}

const decide = (a: Acl, resource: string, actions: Action[], sourceIp = '127.0.0.1'): Decision | undefined =>
  matchPolicyEntry(a, { resource: parseResource(resource) ?? assert.fail(resource), actions, sourceIp })?.decision;

describe('ACL 2.0 resources', () => {
  it('parse and print as Java: *, Type:*, prefix, literal; names ignore case', () => {
    for (const key of ['*', 'Topic:*', 'Topic:abc*', 'Topic:abc', 'Group:g', 'Cluster:DefaultCluster', 'Namespace:ns']) {
      assert.equal(resourceKey(parseResource(key) ?? assert.fail(key)), key);
    }
    assert.equal(resourceKey(parseResource('topic:T') ?? assert.fail()), 'Topic:T');
    assert.equal(parseResource('Queue:x'), undefined);
    assert.equal(parseResource(' '), undefined);
  });

  it('a retry topic names its group; a dead-letter name is kept (5.3.3 strips prefixes only after %RETRY%)', () => {
    assert.equal(resourceKey(ofGroup('%RETRY%g1')), 'Group:g1');
    assert.equal(resourceKey(ofGroup('%DLQ%g1')), 'Group:%DLQ%g1');
    assert.equal(resourceKey(ofTopic('%RETRY%g1')), 'Topic:%RETRY%g1');
  });
});

describe('ACL 2.0 policy matching', () => {
  it('exact, prefix, type-wide and global resources; any one requested action suffices; All grants every action', () => {
    const a = acl([
      { resource: 'Topic:orders', actions: ['Pub'], decision: 'Allow' },
      { resource: 'Topic:log*', actions: ['Sub', 'Get'], decision: 'Allow' },
      { resource: 'Group:*', actions: ['All'], decision: 'Allow' },
    ]);
    assert.equal(decide(a, 'Topic:orders', ['Pub']), 'Allow');
    assert.equal(decide(a, 'Topic:orders', ['Sub']), undefined);
    assert.equal(decide(a, 'Topic:orders', ['Sub', 'Pub']), 'Allow');
    assert.equal(decide(a, 'Topic:logs', ['Get']), 'Allow');
    assert.equal(decide(a, 'Topic:lo', ['Get']), undefined);
    assert.equal(decide(a, 'Group:anything', ['Update']), 'Allow');
    assert.equal(decide(a, 'Cluster:c', ['Get']), undefined);
    assert.equal(decide(acl([{ resource: '*', actions: ['Get'], decision: 'Allow' }]), 'Cluster:c', ['Get']), 'Allow');
    // "Any" asked (Java's PolicyEntry.isMatchAction) matches an entry with any action.
    assert.equal(decide(a, 'Topic:orders', ['Any']), 'Allow');
  });

  it('the most specific entry decides: exact before prefix before type-wide before *, whatever their order', () => {
    const entries = [
      { resource: '*', actions: ['All'] as Action[], decision: 'Allow' as Decision },
      { resource: 'Topic:*', actions: ['All'] as Action[], decision: 'Deny' as Decision },
      { resource: 'Topic:ab*', actions: ['All'] as Action[], decision: 'Allow' as Decision },
      { resource: 'Topic:abc', actions: ['All'] as Action[], decision: 'Deny' as Decision },
    ];
    fc.assert(
      fc.property(fc.shuffledSubarray(entries, { minLength: entries.length, maxLength: entries.length }), (order) => {
        const a = acl(order);
        assert.equal(decide(a, 'Topic:abc', ['Pub']), 'Deny');
        assert.equal(decide(a, 'Topic:abd', ['Pub']), 'Allow');
        assert.equal(decide(a, 'Topic:x', ['Pub']), 'Deny');
        assert.equal(decide(a, 'Group:g', ['Sub']), 'Allow');
      }),
    );
  });

  it('among prefixes the shorter decides, as Java compares them', () => {
    const a = acl([
      { resource: 'Topic:abc*', actions: ['Pub'], decision: 'Allow' },
      { resource: 'Topic:ab*', actions: ['Pub'], decision: 'Deny' },
    ]);
    assert.equal(decide(a, 'Topic:abcd', ['Pub']), 'Deny');
  });

  it('a literal Deny wins over any Allow of the same request (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/), fc.constantFrom<Action>('Pub', 'Sub', 'Get', 'Update'), (topic, action) => {
        const a = acl([
          { resource: '*', actions: ['All'], decision: 'Allow' },
          { resource: 'Topic:*', actions: ['All'], decision: 'Allow' },
          { resource: `Topic:${topic.slice(0, 1)}*`, actions: ['All'], decision: 'Allow' },
          { resource: `Topic:${topic}`, actions: [action], decision: 'Deny' },
        ]);
        assert.equal(decide(a, `Topic:${topic}`, [action]), 'Deny');
      }),
    );
  });

  it('the Default policy applies only when no Custom entry matches', () => {
    const a = aclFromInfo(
      {
        subject: 'User:alice',
        policies: [
          { policyType: 'Custom', entries: [{ resource: 'Topic:t1', actions: ['Pub'], decision: 'Allow' }] },
          { policyType: 'Default', entries: [{ resource: 'Topic:*', actions: ['Pub'], decision: 'Deny' }] },
        ],
      },
      'User:alice',
    );
    assert.equal(decide(a, 'Topic:t1', ['Pub']), 'Allow');
    assert.equal(decide(a, 'Topic:t2', ['Pub']), 'Deny');
  });

  it('source IPs: an entry with addresses or CIDR blocks matches only requests from them', () => {
    const a = acl([{ resource: 'Topic:t', actions: ['Pub'], decision: 'Allow', sourceIps: ['10.0.0.0/8', '192.168.1.7', 'fe80::/10'] }]);
    assert.equal(decide(a, 'Topic:t', ['Pub'], '10.1.2.3'), 'Allow');
    assert.equal(decide(a, 'Topic:t', ['Pub'], '192.168.1.7'), 'Allow');
    assert.equal(decide(a, 'Topic:t', ['Pub'], 'fe80::1'), 'Allow');
    assert.equal(decide(a, 'Topic:t', ['Pub'], '127.0.0.1'), undefined);
    assert.equal(decide(a, 'Topic:t', ['Pub'], '::ffff:10.0.0.1'), 'Allow', 'an IPv4-mapped address is its IPv4 address');
    assert.ok(!isIpInRange('fe80::1', '10.0.0.0/8'));
    assert.ok(isValidIpOrCidr('::1') && isValidIpOrCidr('1.2.3.4/32') && !isValidIpOrCidr('1.2.3.4/33') && !isValidIpOrCidr('999.1.1.1') && !isValidIpOrCidr('host'));
  });
});

describe('ACL 2.0 ACL bodies', () => {
  it("validate with Java's messages", () => {
    const bad = (entry: Record<string, unknown>, message: string): void => {
      assert.throws(
        () => aclFromInfo({ subject: 'User:a', policies: [{ entries: [{ resource: 'Topic:t', actions: ['Pub'], decision: 'Allow', ...entry }] }] }, 'User:a'),
        (err: unknown) => err instanceof AuthorizationError && err.message === message,
      );
    };
    bad({ resource: 'Queue:q' }, 'The resource is null.');
    bad({ actions: ['Nope'] }, 'The actions is empty.');
    bad({ actions: ['Any'] }, 'The actions can not be Any.');
    bad({ sourceIps: ['not-an-ip'] }, 'The source ip is invalid.');
    bad({ sourceIps: [' '] }, 'The source ip is empty.');
    bad({ decision: 'Maybe' }, 'The decision is null or illegal.');
    assert.throws(() => aclFromInfo({ subject: 'User:a', policies: [{ entries: [] }] }, 'User:a'), /The policies is empty\./);
  });

  it('merge replaces the entry of a resource and adds the others; delete drops an entry, then the policy', () => {
    const a = acl([{ resource: 'Topic:t', actions: ['Pub'], decision: 'Allow' }]);
    const b = mergePolicies(a, acl([
      { resource: 'Topic:t', actions: ['Sub'], decision: 'Deny' },
      { resource: 'Group:g', actions: ['Sub'], decision: 'Allow' },
    ]).policies);
    assert.deepEqual(aclToInfo(b).policies, [
      {
        policyType: 'Custom',
        entries: [
          { resource: 'Topic:t', actions: ['Sub'], decision: 'Deny' },
          { resource: 'Group:g', actions: ['Sub'], decision: 'Allow' },
        ],
      },
    ]);
    assert.equal(aclToInfo(a).policies[0]?.entries[0]?.decision, 'Allow', 'the original is not changed');
    const c = deletePolicyEntry(b, 'Custom', parseResource('Topic:t') ?? assert.fail());
    assert.deepEqual(aclToInfo(c).policies[0]?.entries.map((e) => e.resource), ['Group:g']);
    assert.deepEqual(deletePolicyEntry(c, 'Custom', parseResource('Group:g') ?? assert.fail()).policies, []);
  });
});
