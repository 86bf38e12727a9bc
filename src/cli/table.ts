import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { SessionCredentials } from '../client/acl/acl-client-rpc-hook.js';
import { Admin } from '../client/admin/admin.js';

/**
 * What the client commands (send, consume, topic, cluster, consumer, message) share: a plain-text table, the
 * --json switch, option parsing that answers usage errors with exit code 2, and an Admin for one command.
 */

/** Columns padded to their widest cell, separated by two spaces, as mqadmin's %-Ns columns line up. */
export function formatTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return cells.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] as number))).join('  ')).join('\n');
}

/** Writes `value` as one JSON line (Maps as objects), or `text()` for people. */
export function output(json: boolean, value: unknown, text: () => string): void {
  process.stdout.write(`${json ? JSON.stringify(value, mapsAsObjects) : text()}\n`);
}

function mapsAsObjects(_key: string, value: unknown): unknown {
  return value instanceof Map ? Object.fromEntries(value) : value;
}

/** Store times as mqadmin prints them (UtilAll.timeMillisToHumanString2: local time with milliseconds). */
export function humanTime(millis: number): string {
  if (millis <= 0) return 'N/A';
  const d = new Date(millis);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())},${pad(d.getMilliseconds(), 3)}`;
}

export type ParsedValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** The options every client command takes. */
export const COMMON_OPTIONS = {
  namesrv: { type: 'string', short: 'n' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/**
 * parseArgs, strict. Undefined means the command is done: help was printed (exit 0, `exitCode` set) or a usage
 * error was (exit 2).
 */
export function parseCommand(
  name: string,
  usage: string,
  argv: string[],
  options: NonNullable<ParseArgsConfig['options']>,
  state: { exitCode: number },
): { values: ParsedValues; positionals: string[] } | undefined {
  try {
    const { values, positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: { ...COMMON_OPTIONS, ...options } });
    if (values.help === true) {
      process.stdout.write(`${usage}\n`);
      state.exitCode = 0;
      return undefined;
    }
    return { values: values, positionals };
  } catch (err) {
    return usageError(name, usage, (err as Error).message, state);
  }
}

export function usageError(name: string, usage: string, message: string, state: { exitCode: number }): undefined {
  process.stderr.write(`rocketmq-ts ${name}: ${message}\n\n${usage}\n`);
  state.exitCode = 2;
  return undefined;
}

/** A whole number from an option, or a usage error message. */
export function intOption(values: ParsedValues, key: string, fallback: number, min = 0): number {
  const raw = values[key];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (typeof raw !== 'string' || !Number.isSafeInteger(n) || n < min) throw new UsageError(`--${key} must be a whole number >= ${min}, not '${String(raw)}'`);
  return n;
}

/** Milliseconds since the epoch, an ISO-8601 time, or "now"; undefined when it is none of them. */
export function parseTimestamp(text: string): number | undefined {
  if (text === 'now') return Date.now();
  if (/^\d+$/.test(text)) return Number(text);
  const parsed = Date.parse(text);
  return Number.isNaN(parsed) ? undefined : parsed;
}

/** A bad option value, found after parsing; the command answers it with its usage and exit code 2. */
export class UsageError extends Error {}

/** The --namespace option that send, consume, topic, consumer and message take. */
export const NAMESPACE_OPTION = { namespace: { type: 'string' } } as const satisfies ParseArgsConfig['options'];

/** --namespace NS: topics and groups are NS%name on the wire and shown without the prefix (Java's setNamespace). */
export function namespaceOf(values: ParsedValues): string | undefined {
  return typeof values.namespace === 'string' ? values.namespace : undefined;
}

/**
 * Credentials of a cluster with access control, from $ROCKETMQ_ACCESS_KEY and $ROCKETMQ_SECRET_KEY (and
 * $ROCKETMQ_SECURITY_TOKEN): the environment rather than options, so the secret never shows in a process list.
 */
export function credentialsOf(env: NodeJS.ProcessEnv = process.env): SessionCredentials | undefined {
  const accessKey = env['ROCKETMQ_ACCESS_KEY'];
  const secretKey = env['ROCKETMQ_SECRET_KEY'];
  if (accessKey === undefined || accessKey === '') return undefined;
  if (secretKey === undefined || secretKey === '') throw new UsageError('ROCKETMQ_ACCESS_KEY is set but ROCKETMQ_SECRET_KEY is not');
  const securityToken = env['ROCKETMQ_SECURITY_TOKEN'];
  return securityToken === undefined || securityToken === '' ? { accessKey, secretKey } : { accessKey, secretKey, securityToken };
}

/** The name server of -n, else $NAMESRV_ADDR, else the local one `rocketmq-ts dev` runs. */
export function nameServerOf(values: ParsedValues): string {
  const given = values.namesrv;
  return typeof given === 'string' ? given : (process.env['NAMESRV_ADDR'] ?? '127.0.0.1:9876');
}

/**
 * Runs `body` with a started Admin and the command's error handling: a UsageError is exit 2 with the usage, any
 * other failure exit 1 with its message (as mqadmin prints the exception), success exit 0.
 */
export async function withAdmin(name: string, usage: string, values: ParsedValues, body: (admin: Admin) => Promise<void>): Promise<number> {
  let admin: Admin;
  try {
    admin = new Admin({ nameServer: nameServerOf(values), namespace: namespaceOf(values), credentials: credentialsOf() });
  } catch (err) {
    return reportFailure(name, usage, err);
  }
  try {
    await admin.start();
    await body(admin);
    return 0;
  } catch (err) {
    return reportFailure(name, usage, err);
  } finally {
    await admin.shutdown();
  }
}

export function reportFailure(name: string, usage: string, err: unknown): number {
  if (err instanceof UsageError) {
    process.stderr.write(`rocketmq-ts ${name}: ${err.message}\n\n${usage}\n`);
    return 2;
  }
  process.stderr.write(`rocketmq-ts ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}
