import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compileSql92, DEFAULT_SQL92_LIMITS, EVALUATION_ERROR, MQFilterError, Sql92Cache } from '../../../src/filter/index.js';
import { javaParseDouble, javaParseInt, javaParseLong } from '../../../src/filter/sql92/java-lang.js';
import { verdict } from '../../helpers/sql92-cases.js';

/** Pieces of selectors, valid and not, for random expressions that get past the lexer more often than noise. */
const TOKENS = [
  'a', 'b', 'TAGS', 'NOT', 'AND', 'OR', 'BETWEEN', 'IN', 'TRUE', 'FALSE', 'NULL', 'IS', 'CONTAINS', 'STARTSWITH', 'ENDSWITH',
  '0', '5', '5L', '2147483648', '9223372036854775808', '1.5', '.5', '1e3', '0.0', "'x'", "''", "'it''s'", "'a''",
  '=', '<>', '>', '>=', '<', '<=', '(', ')', ',', '+', '-', '--', '\n', '/*', '*/', '#', '"', '.', ' ', '\t',
];
const VALUES = ['x', '5', '-5', '1.5', 'abc', 'true', '', 'NaN', '2147483648', ' 5', '+5', '\u0665', '0x1p2', '-0.0'];

const tokenSoup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }).map((t) => t.join(' '));
/** Conditions that always compile, from the grammar. */
const operand = fc.constantFrom('a', 'b', 'TAGS', '5', '-5', '1.5', '2147483648', "'x'", "'5'", '(a)', '-a');
const { condition } = fc.letrec<{ condition: string }>((tie) => ({
  condition: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(operand, fc.constantFrom('=', '<>'), operand).map((t) => t.join(' ')),
    fc.tuple(fc.constantFrom('a', 'b', '-a', '5'), fc.constantFrom('>', '>=', '<', '<='), fc.constantFrom('a', 'b', '5', '1.5', '-5')).map((t) => t.join(' ')),
    fc.tuple(fc.constantFrom('a', 'b'), fc.constantFrom('BETWEEN', 'NOT BETWEEN'), fc.constantFrom('1 AND 5', '-5 AND 5', 'b AND 5')).map((t) => t.join(' ')),
    fc.tuple(fc.constantFrom('a', 'b'), fc.constantFrom('IN', 'NOT IN'), fc.constantFrom("('x')", "('5', 'x')")).map((t) => t.join(' ')),
    fc.tuple(operand, fc.constantFrom('CONTAINS', 'NOT STARTSWITH', 'ENDSWITH'), fc.constantFrom("'x'", "''")).map((t) => t.join(' ')),
    fc.tuple(operand, fc.constantFrom('IS NULL', 'IS NOT NULL')).map((t) => t.join(' ')),
    fc.constantFrom('TRUE', 'FALSE', 'NULL', 'a', 'NOT a'),
    tie('condition').map((c) => `NOT (${c})`),
    fc.tuple(tie('condition'), fc.constantFrom('AND', 'OR'), tie('condition')).map(([l, op, r]) => `(${l}) ${op} (${r})`),
  ),
}));
const properties = fc.dictionary(fc.constantFrom('a', 'b', 'TAGS'), fc.constantFrom(...VALUES));

function compileOrError(sql: string): ReturnType<typeof compileSql92> | MQFilterError {
  try {
    return compileSql92(sql);
  } catch (err) {
    if (err instanceof MQFilterError) return err;
    throw err;
  }
}

describe('SQL92 compiler and evaluator', () => {
  it('never throws anything but MQFilterError, whatever the input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), tokenSoup), (sql) => {
        compileOrError(sql);
      }),
      { numRuns: 3000 },
    );
  });

  it('evaluates every compiled expression to TRUE, FALSE, NULL or ERROR without throwing', () => {
    fc.assert(
      fc.property(tokenSoup, fc.array(properties, { maxLength: 4 }), (sql, sets) => {
        const expression = compileOrError(sql);
        if (expression instanceof MQFilterError) return;
        for (const props of sets) {
          const result = expression.evaluate(new Map(Object.entries(props)));
          assert.ok(result === true || result === false || result === null || result === EVALUATION_ERROR);
          assert.equal(expression.matches(new Map(Object.entries(props))), result === true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps Java three-valued logic: (E) OR FALSE, (E) AND TRUE, NOT (NOT (E)) are E; De Morgan holds', () => {
    fc.assert(
      fc.property(condition, condition, properties, (a, b, props) => {
        const context = new Map(Object.entries(props));
        const v = (sql: string): string => verdict(compileSql92(sql).evaluate(context));
        const e = v(a);
        assert.equal(v(`(${a}) OR FALSE`), e);
        assert.equal(v(`(${a}) AND TRUE`), e);
        assert.equal(v(`NOT (NOT (${a}))`), e);
        assert.equal(v(`NOT ((${a}) AND (${b}))`), v(`NOT (${a}) OR NOT (${b})`));
        assert.equal(v(`NOT ((${a}) OR (${b}))`), v(`NOT (${a}) AND NOT (${b})`));
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses an expression longer than maxLength, deeper than maxDepth or with a longer IN list, quickly and clearly', () => {
    const { maxLength, maxDepth, maxInListSize } = DEFAULT_SQL92_LIMITS;
    const cases: [string, RegExp][] = [
      [`a = '${'x'.repeat(maxLength)}'`, /characters long/],
      [`${'('.repeat(5000)}a${')'.repeat(5000)}`, /nests deeper than 100/],
      [`${'NOT '.repeat(maxDepth + 1)}a`, /nests deeper/],
      [`a = ${'- '.repeat(3000)}5`, /nests deeper/],
      [`a = ${'+ '.repeat(3000)}5`, /nests deeper/],
      [`a${' = 1'.repeat(maxDepth + 1)}`, /nests deeper/],
      [`a${" CONTAINS 'x'".repeat(maxDepth + 1)}`, /nests deeper/],
      [`a IN (${Array.from({ length: maxInListSize + 1 }, (_, i) => `'${i}'`).join(',')})`, /IN list .* more than 1000 values/],
    ];
    for (const [sql, message] of cases) {
      const begin = performance.now();
      assert.throws(() => compileSql92(sql), (err: unknown) => err instanceof MQFilterError && message.test(err.message), sql.slice(0, 40));
      assert.ok(performance.now() - begin < 200, `${sql.slice(0, 40)} took ${performance.now() - begin} ms`);
    }
    // Just inside the limits compiles, and long AND/OR chains cost no depth.
    compileSql92(`${'('.repeat(maxDepth - 1)}a${')'.repeat(maxDepth - 1)}`);
    compileSql92(`a IN (${Array.from({ length: maxInListSize }, (_, i) => `'${i}'`).join(',')})`);
    const chain = compileSql92(Array.from({ length: 1000 }, (_, i) => `a = '${i}'`).join(' OR '));
    assert.equal(chain.matches(new Map([['a', '999']])), true);
  });

  it('compiles and evaluates in time linear in the expression', () => {
    const sql = Array.from({ length: 400 }, (_, i) => `(p${i % 10} > ${i} AND q${i % 7} CONTAINS 'v')`).join(' OR ');
    assert.ok(sql.length <= DEFAULT_SQL92_LIMITS.maxLength);
    const begin = performance.now();
    const expression = compileSql92(sql);
    const context = new Map(Array.from({ length: 10 }, (_, i) => [`p${i}`, String(i)] as [string, string]));
    for (let i = 0; i < 100; i++) expression.evaluate(context);
    assert.ok(performance.now() - begin < 1000);
    // Dashes without a line end are read as minus signs, each time looking for the line end only once.
    const dashes = `${'--a = --b OR '.repeat(1200)}TRUE`;
    const start = performance.now();
    assert.equal(compileSql92(dashes).matches(new Map()), true);
    assert.ok(performance.now() - start < 300, `${performance.now() - start} ms`);
  });

  it('says where a syntax error is', () => {
    assert.throws(
      () => compileSql92('a = 1 AND\n  b >'),
      (err: unknown) => err instanceof MQFilterError && /Invalid MessageSelector\. Encountered the end of the expression at line 2, column 6/.test(err.message) && err.position === 15,
    );
    assert.throws(() => compileSql92('a = #'), /unexpected character "#" at line 1, column 5/);
    assert.throws(() => compileSql92("a > 'x'"), /Value ''x'' cannot be compared/);
    assert.throws(() => compileSql92('a BETWEEN 5 AND 3'), /left value\(5\) must less than or equal to right value\(3\)/);
  });

  it('caches compiled expressions and compile errors by text, the most recent ones', () => {
    const cache = new Sql92Cache(2);
    const first = cache.compile('a > 1');
    assert.equal(cache.compile('a > 1'), first);
    const error = (() => {
      try {
        cache.compile('a >');
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    assert.ok(error instanceof MQFilterError);
    assert.throws(() => cache.compile('a >'), (err) => err === error);
    cache.compile('b > 1');
    assert.equal(cache.size, 2);
    assert.notEqual(cache.compile('a > 1'), first, 'evicted, compiled again');
  });

  it('reads numbers as java.lang does', () => {
    assert.equal(javaParseInt('+7'), 7);
    assert.equal(javaParseInt('-2147483648'), -2147483648);
    assert.equal(javaParseInt('2147483648'), undefined);
    assert.equal(javaParseInt('\uff11\uff12'), 12);
    assert.equal(javaParseInt(' 1'), undefined);
    assert.equal(javaParseInt('+'), undefined);
    assert.equal(javaParseLong('-9223372036854775808'), -(2n ** 63n));
    assert.equal(javaParseLong('9223372036854775808'), undefined);
    assert.equal(javaParseLong(`${'0'.repeat(100)}1`), 1n);
    assert.equal(javaParseDouble(' 1.5f\n'), 1.5);
    assert.equal(javaParseDouble('0x1.8p1'), 3);
    assert.equal(javaParseDouble('0x1p-1074'), Number.MIN_VALUE);
    assert.equal(javaParseDouble('0x1.8p-1074'), 2 * Number.MIN_VALUE, 'ties to even');
    assert.equal(javaParseDouble('0x1p1024'), Infinity);
    assert.ok(Number.isNaN(javaParseDouble('-NaN')));
    assert.equal(javaParseDouble('NaNd'), undefined);
    assert.equal(javaParseDouble('1e'), undefined);
    assert.equal(javaParseDouble('0x10'), undefined);
    assert.equal(javaParseDouble('\u00a01'), undefined);
  });
});
