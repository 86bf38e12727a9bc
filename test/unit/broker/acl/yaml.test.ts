import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { YamlError, formatYaml, parseYaml, type YamlMap, type YamlValue } from '../../../../src/broker/acl/yaml.js';

/** Maps as plain objects (sorted keys stay in file order: Map order is compared too), for readable assertions. */
function plain(value: YamlValue): unknown {
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, plain(v)]));
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

/** Java 4.9.8's distribution/conf/plain_acl.yml (block lists, a comment inside a list, a null value). */
const JAVA_SAMPLE = `globalWhiteRemoteAddresses:
  - 10.10.103.*
  - 192.168.0.*

accounts:
  - accessKey: RocketMQ
    secretKey: 12345678
    whiteRemoteAddress:
    admin: false
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - topicA=DENY
      - topicB=PUB|SUB
      - topicC=SUB
    groupPerms:
      # the group should convert to retry topic
      - groupA=DENY
      - groupB=PUB|SUB
      - groupC=SUB

  - accessKey: rocketmq2
    secretKey: 12345678
    whiteRemoteAddress: 192.168.1.*
    # if it is admin, it could access all resources
    admin: true
`;

/** What SnakeYAML's dumpAsMap writes back after an admin update: lists at their key's column, flow lists wrapped. */
const SNAKEYAML_DUMP = `accounts:
- accessKey: RocketMQ
  secretKey: '12345678'
  admin: false
  topicPerms: [topicA=DENY, topicB=PUB|SUB, topicC=SUB, topicD=SUB, topicE=SUB, topicF=SUB, topicG=SUB,
    topicH=SUB]
dataVersion:
- {counter: 2, timestamp: 1700000000123}
globalWhiteRemoteAddresses: ['*']
`;

describe('plain_acl.yml subset reader', () => {
  it("reads Java's sample file", () => {
    assert.deepEqual(plain(parseYaml(JAVA_SAMPLE)), {
      globalWhiteRemoteAddresses: ['10.10.103.*', '192.168.0.*'],
      accounts: [
        {
          accessKey: 'RocketMQ',
          secretKey: 12345678,
          whiteRemoteAddress: null,
          admin: false,
          defaultTopicPerm: 'DENY',
          defaultGroupPerm: 'SUB',
          topicPerms: ['topicA=DENY', 'topicB=PUB|SUB', 'topicC=SUB'],
          groupPerms: ['groupA=DENY', 'groupB=PUB|SUB', 'groupC=SUB'],
        },
        { accessKey: 'rocketmq2', secretKey: 12345678, whiteRemoteAddress: '192.168.1.*', admin: true },
      ],
    });
  });

  it('reads what SnakeYAML writes: quoted scalars, flow lists over two lines, flow maps', () => {
    const doc = plain(parseYaml(SNAKEYAML_DUMP)) as Record<string, unknown>;
    assert.deepEqual(doc['globalWhiteRemoteAddresses'], ['*']);
    assert.deepEqual(doc['dataVersion'], [{ counter: 2, timestamp: 1700000000123 }]);
    const account = (doc['accounts'] as Record<string, unknown>[])[0] as Record<string, unknown>;
    assert.equal(account['secretKey'], '12345678');
    assert.equal((account['topicPerms'] as string[]).length, 8);
    assert.equal((account['topicPerms'] as string[])[7], 'topicH=SUB');
  });

  it('resolves plain scalars as YAML 1.1 does for these files', () => {
    const doc = parseYaml('a: ~\nb: yes\nc: Off\nd: -42\ne: 1.5\nf: 12345678901234567890\ng: "x\\ty"\nh: \'it\'\'s\'\ni: a#b # comment\n') as YamlMap;
    assert.deepEqual(plain(doc), { a: null, b: true, c: false, d: -42, e: '1.5', f: 12345678901234567890n, g: 'x\ty', h: "it's", i: 'a#b' });
  });

  it('refuses what is outside the subset, naming the line', () => {
    const cases: [string, RegExp][] = [
      ['a: &x 1\n', /line 1: anchors/],
      ['a: *x\n', /line 1: aliases/],
      ['a: !!str 1\n', /line 1: tags/],
      ['a: |\n  text\n', /line 1: block scalars/],
      ['a: 1\na: 2\n', /line 2: duplicate key 'a'/],
      ['a:\n\t- x\n', /line 2: tabs/],
      ['a: [x, y\n', /line 1: unterminated flow collection/],
      ['a: one\n  two\n', /line 2: multi-line plain scalars/],
      ["a: 'open\n", /line 1: unterminated single-quoted/],
      ['a: 1\n  b: 2\n', /line 2: multi-line plain scalars|line 2: unexpected indentation/],
      ['--- \n---\na: 1\n', /only one document/],
    ];
    for (const [text, error] of cases) {
      assert.throws(() => parseYaml(text), (err: unknown) => err instanceof YamlError && error.test(err.message), text);
    }
  });

  it('an empty document or only comments is null', () => {
    assert.equal(parseYaml(''), null);
    assert.equal(parseYaml('# nothing\n\n'), null);
  });
});

/** Values of the subset: scalars (no -0: YAML has one zero), lists and maps with any string keys. */
const scalar = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('', ' x', 'null', 'yes', '~', '- a', 'a: b', '#c', 'x #y', '[a', 'a,b', '*', '&a', "it's", '"q"', '0123', '1.5', '1_000', 'topicA=PUB|SUB', '10.10.*.*'),
  fc.integer().filter((n) => !Object.is(n, -0)),
  fc.bigInt({ min: 2n ** 60n, max: 2n ** 70n }),
  fc.boolean(),
  fc.constant(null),
);
const value: fc.Arbitrary<YamlValue> = fc.letrec<{ value: YamlValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.uniqueArray(fc.tuple(fc.string({ unit: 'binary', maxLength: 8 }), tie('value')), { maxLength: 4, selector: ([k]) => k }).map((entries) => new Map(entries)),
  ),
})).value;

describe('plain_acl.yml subset writer', () => {
  it('reads back what it writes (any value of the subset)', () => {
    fc.assert(
      fc.property(value, (v) => {
        const text = formatYaml(v);
        assert.deepStrictEqual(parseYaml(text), v, text);
      }),
      { numRuns: 500 },
    );
  });

  it("writes Java's layout: flow lists of scalars, block lists of accounts, quoted numeric secrets", () => {
    const doc = parseYaml(JAVA_SAMPLE) as YamlMap;
    const accounts = doc.get('accounts') as YamlMap[];
    (accounts[0] as YamlMap).set('secretKey', '12345678');
    const text = formatYaml(doc);
    assert.match(text, /^globalWhiteRemoteAddresses: \[10\.10\.103\.\*, 192\.168\.0\.\*\]\naccounts:\n- accessKey: RocketMQ\n {2}secretKey: '12345678'\n/);
    assert.match(text, /\n {2}topicPerms: \[topicA=DENY, topicB=PUB\|SUB, topicC=SUB\]\n/);
  });
});
