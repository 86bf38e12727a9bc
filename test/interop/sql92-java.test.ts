/**
 * SQL92 filtering against RocketMQ 5.3.3 itself:
 *
 * 1. the case table (test/fixtures/sql92/cases.json) is what Java does: every expression compiled and evaluated by
 *    Java's own filter classes (interop Sql92Driver) gives the table's verdicts, and 4000 generated expressions get
 *    the same verdicts from Java and from us (one JVM run, no broker);
 *
 * Skipped (loudly) without java and mvn, unless CI is set.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { compileSql92, MQFilterError } from '../../src/filter/index.js';
import { buildInterop, interopSkip, runJava } from '../helpers/java.js';
import { generateSql92Cases, loadSql92Cases, verdict, type Sql92Case } from '../helpers/sql92-cases.js';

const skip = await interopSkip();

interface JavaVerdict {
  i: number;
  compiled: boolean;
  message?: string;
  results?: string[];
  errors?: (string | null)[];
}

/** Java's verdict on every case, from one run of Sql92Driver. */
async function javaVerdicts(cases: readonly Sql92Case[]): Promise<JavaVerdict[]> {
  const { classpath } = await buildInterop('5.3.3');
  const dir = await mkdtemp(path.join(tmpdir(), 'rmqts-sql92-'));
  try {
    const file = path.join(dir, 'cases.json');
    await writeFile(file, JSON.stringify({ cases }));
    const { code, stdout, stderr } = await runJava({ mainClass: 'io.rocketmqts.interop.Sql92Driver', classpath, args: ['--cases', file], timeoutMs: 120_000 });
    assert.equal(code, 0, stderr);
    const lines = stdout.split('\n').filter((line) => line.startsWith('{'));
    assert.match(stdout, new RegExp(`DONE ${cases.length}`));
    return lines.map((line) => JSON.parse(line) as JavaVerdict);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Our verdict in the driver's terms: compiled or not, and the outcome of each check. */
function ourVerdict(c: Sql92Case): { compiled: boolean; results: string[] } {
  try {
    const expression = compileSql92(c.sql);
    return { compiled: true, results: (c.checks ?? []).map(([props]) => verdict(expression.evaluate(new Map(Object.entries(props))))) };
  } catch (err) {
    if (!(err instanceof MQFilterError)) throw err;
    return { compiled: false, results: [] };
  }
}

describe('SQL92 selectors: the case table and generated expressions against Java 5.3.3', { skip, timeout: 10 * 60_000 }, () => {
  it('Java gives every verdict of the table, and the same verdicts as ours on 4000 generated expressions', async () => {
    const table = loadSql92Cases();
    const generated = generateSql92Cases(4000, 20250915);
    const java = await javaVerdicts([...table, ...generated]);
    assert.equal(java.length, table.length + generated.length);

    const tableMismatches: string[] = [];
    for (const [i, c] of table.entries()) {
      const j = java[i] as JavaVerdict;
      const expected = c.error === true ? 'does not compile' : (c.checks ?? []).map(([, v]) => v).join(',');
      const actual = j.compiled ? (j.results ?? []).join(',') : 'does not compile';
      if (expected !== actual) tableMismatches.push(`#${i} ${JSON.stringify(c.sql)}: table ${expected}, Java ${actual} ${j.message ?? JSON.stringify(j.errors)}`);
    }
    assert.deepEqual(tableMismatches, []);

    const differences: string[] = [];
    let compiled = 0;
    for (const [k, c] of generated.entries()) {
      const j = java[table.length + k] as JavaVerdict;
      if (j.compiled) compiled++;
      const ours = ourVerdict(c);
      const javaText = j.compiled ? (j.results ?? []).join(',') : 'does not compile';
      const ourText = ours.compiled ? ours.results.join(',') : 'does not compile';
      if (javaText !== ourText) differences.push(`${JSON.stringify(c.sql)} ${JSON.stringify(c.checks?.map(([p]) => p))}: Java ${javaText}, ours ${ourText}`);
    }
    assert.deepEqual(differences.slice(0, 20), []);
    // Enough of them compile for the evaluations to mean something.
    assert.ok(compiled > 1500, `only ${compiled} generated expressions compile`);
  });
});
