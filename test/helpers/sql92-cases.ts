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
