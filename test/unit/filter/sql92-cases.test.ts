/**
 * The SQL92 case table (test/fixtures/sql92/cases.json) is the specification of our selectors: each case is what
 * RocketMQ 5.3.3 does with one expression (test/interop/sql92-java.test.ts checks the table against Java itself).
 * Here our compiler and evaluator must give exactly the same verdicts: compiles or not, and TRUE, FALSE, NULL or
 * ERROR (Java's evaluate threw) for every property set.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileSql92, MQFilterError } from '../../../src/filter/index.js';
import { loadSql92Cases, verdict } from '../../helpers/sql92-cases.js';

describe('SQL92 case table (RocketMQ 5.3.3 semantics)', () => {
  const cases = loadSql92Cases();

  it('has cases of every kind', () => {
    assert.ok(cases.length >= 200);
    const verdicts = new Set(cases.flatMap((c) => (c.checks ?? []).map(([, v]) => v)));
    assert.deepEqual([...verdicts].sort(), ['ERROR', 'FALSE', 'NULL', 'TRUE']);
    assert.ok(cases.filter((c) => c.error === true).length >= 40);
  });

  for (const [i, c] of cases.entries()) {
    it(`#${i} ${JSON.stringify(c.sql)}${c.error === true ? ' does not compile' : ''}`, () => {
      if (c.error === true) {
        assert.throws(() => compileSql92(c.sql), MQFilterError);
        return;
      }
      const expression = compileSql92(c.sql);
      for (const [properties, expected] of c.checks ?? []) {
        const props = new Map(Object.entries(properties));
        assert.equal(verdict(expression.evaluate(props)), expected, `${c.sql} with ${JSON.stringify(properties)}`);
        assert.equal(expression.matches(props), expected === 'TRUE');
      }
    });
  }
});
