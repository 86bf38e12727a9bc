/** The SQL92 case table, test/fixtures/sql92/cases.json: what RocketMQ 5.3.3 does with each expression. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EVALUATION_ERROR, type Sql92Result } from '../../src/filter/index.js';

/** Compiled to dist-test/test/helpers/, so the fixtures are three levels up. */
export const SQL92_CASES_FILE = fileURLToPath(new URL('../../../test/fixtures/sql92/cases.json', import.meta.url));

/** An evaluation's outcome as the table and Sql92Driver name it; ERROR: Java's evaluate threw. */
export type Sql92Verdict = 'TRUE' | 'FALSE' | 'NULL' | 'ERROR';

export interface Sql92Case {
  sql: string;
  note?: string;
  /** The expression does not compile. */
  error?: true;
  /** Property sets and the outcome for each. */
  checks?: [Record<string, string>, Sql92Verdict][];
}

export function loadSql92Cases(): Sql92Case[] {
  return (JSON.parse(readFileSync(SQL92_CASES_FILE, 'utf8')) as { cases: Sql92Case[] }).cases;
}

export function verdict(result: Sql92Result): Sql92Verdict {
  return result === EVALUATION_ERROR ? 'ERROR' : result === null ? 'NULL' : result ? 'TRUE' : 'FALSE';
}

/** A deterministic generator (a linear congruential one): the same seed gives the same cases on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) & 0x7fffffff;
    return state / 0x80000000;
  };
}

const VOCABULARY = [
  'a', 'b', 'c', 'A', 'TAGS', 'NOT', 'not', 'AND', 'OR', 'BETWEEN', 'IN', 'TRUE', 'FALSE', 'NULL', 'IS', 'CONTAINS', 'STARTSWITH',
  'ENDSWITH', '0', '1', '5', '-5', '5L', '05', '2147483647', '2147483648', '9223372036854775807', '9223372036854775808', '1.5',
  '.5', '5.', '1e3', '0.0', '1e400', '4.9e-324', "'x'", "'5'", "''", "'it''s'", "'1.5'", "'true'", '=', '<>', '>', '>=', '<', '<=',
  '(', ')', ',', '+', '-', '--', '/* c */', '--c\n', '#', '!', '"x"', '0x10', '$v', '_v', "'a''", '.', '\t', '\n', ';',
];
const VALUES = ['x', 'y', '5', '6', '-5', '1.5', 'abc', 'true', 'TRUE', 'false', '', 'NaN', '1e3', '2147483648', '05', ' 5', '+5',
  '\u0665', '0x1p2', "it's", '-0.0', '0'];

/**
 * `count` random cases for a differential run against Java (the verdicts are left as '?'): grammatical conditions,
 * token soup and raw characters, some with a character cut out, each with four random property sets.
 */
export function generateSql92Cases(count: number, seed: number): Sql92Case[] {
  const rnd = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
  const term = (): string => pick(['a', 'b', 'c', '5', '-5', '1.5', "'x'", "'5'", 'TRUE', 'NULL', '2147483648', '(a)', '-a']);
  const condition = (depth: number): string => {
    if (depth > 3) return pick(['TRUE', 'a', 'NOT a', 'a IS NULL']);
    switch (Math.floor(rnd() * 14)) {
      case 0:
        return `${term()} ${pick(['=', '<>', '>', '>=', '<', '<='])} ${term()}`;
      case 1:
        return `${term()} ${pick(['', 'NOT '])}BETWEEN ${term()} AND ${term()}`;
      case 2:
        return `${pick(['a', 'b', '(a)', '5'])} ${pick(['', 'NOT '])}IN (${pick(["'x'", "'x', 'y'", "'5', '6', '7', '8', '9'"])})`;
      case 3:
        return `${term()} ${pick(['', 'NOT '])}${pick(['CONTAINS', 'STARTSWITH', 'ENDSWITH'])} ${pick(["'x'", "''", "'5'"])}`;
      case 4:
        return `${term()} IS ${pick(['', 'NOT '])}NULL`;
      case 5:
        return `NOT ${condition(depth + 1)}`;
      case 6:
        return `(${condition(depth + 1)})`;
      case 7:
      case 8:
        return `${condition(depth + 1)} AND ${condition(depth + 1)}`;
      case 9:
      case 10:
        return `${condition(depth + 1)} OR ${condition(depth + 1)}`;
      case 11:
        return `${condition(depth + 1)} = ${pick(['TRUE', 'FALSE', 'a', '5'])}`;
      case 12:
        return pick(['TRUE', 'FALSE', 'NULL', 'a']);
      default:
        return `${term()} = ${term()}`;
    }
  };
  const cases: Sql92Case[] = [];
  for (let i = 0; i < count; i++) {
    const mode = rnd();
    let sql: string;
    if (mode < 0.6) sql = condition(0);
    else if (mode < 0.9) sql = Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => pick(VOCABULARY)).join(rnd() < 0.8 ? ' ' : '');
    else sql = Array.from({ length: 1 + Math.floor(rnd() * 12) }, () => String.fromCharCode(rnd() < 0.9 ? 9 + Math.floor(rnd() * 118) : Math.floor(rnd() * 0x3000))).join('');
    if (rnd() < 0.1) {
      const at = Math.floor(rnd() * sql.length);
      sql = sql.slice(0, at) + sql.slice(at + 1);
    }
    const checks: [Record<string, string>, Sql92Verdict][] = [];
    for (let j = 0; j < 4; j++) {
      const props: Record<string, string> = {};
      for (const name of ['a', 'b', 'c', 'A', 'TAGS']) if (rnd() < 0.6) props[name] = pick(VALUES);
      checks.push([props, 'NULL']);
    }
    cases.push({ sql, checks });
  }
  return cases;
}
