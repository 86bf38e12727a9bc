/**
 * The console's input rules: every value a request brings is checked here before any admin call, and a bad one
 * is a ConsoleInputError, which the API answers with 400 and its message (nothing is changed).
 */

export class ConsoleInputError extends Error {
  override readonly name = 'ConsoleInputError';
}

/** TopicValidator's rule, shared by topics and groups. */
const VALID_NAME = /^[%|a-zA-Z0-9_-]+$/;
/** TopicValidator.TOPIC_MAX_LENGTH and Validators.CHARACTER_MAX_LENGTH (groups). */
const TOPIC_MAX_LENGTH = 127;
const GROUP_MAX_LENGTH = 255;
/** A message id: an offset id (32 hex digits) or a producer's UNIQ_KEY (hex of another length). */
const MESSAGE_ID = /^[0-9A-Fa-f]{16,64}$/;
/** Keys, tags and property values: printable, without the separators RocketMQ's property encoding uses (\u0001 \u0002). */
const TEXT = /^[^\u0000-\u001f\u007f]+$/;

/** The fields of a JSON request body (an object), or an error. */
export function jsonObject(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ConsoleInputError('the request body must be a JSON object');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConsoleInputError('the request body must be a JSON object');
  return value as Record<string, unknown>;
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw new ConsoleInputError(`${what} is required`);
  return value;
}

export function topicName(value: unknown, what = 'topic'): string {
  const name = text(value, what);
  if (name.length > TOPIC_MAX_LENGTH) throw new ConsoleInputError(`${what} is longer than ${TOPIC_MAX_LENGTH} characters`);
  if (!VALID_NAME.test(name)) throw new ConsoleInputError(`${what} may hold only letters, digits, %, |, _ and -`);
  return name;
}

export function groupName(value: unknown, what = 'group'): string {
  const name = text(value, what);
  if (name.length > GROUP_MAX_LENGTH) throw new ConsoleInputError(`${what} is longer than ${GROUP_MAX_LENGTH} characters`);
  if (!VALID_NAME.test(name)) throw new ConsoleInputError(`${what} may hold only letters, digits, %, |, _ and -`);
  return name;
}

export function messageId(value: unknown): string {
  const id = text(value, 'id');
  if (!MESSAGE_ID.test(id)) throw new ConsoleInputError('id must be a message id (hexadecimal)');
  return id;
}

/** A short free text (key, tag, broker name), at most `max` characters, no control characters. */
export function shortText(value: unknown, what: string, max = 255): string {
  const s = text(value, what);
  if (s.length > max) throw new ConsoleInputError(`${what} is longer than ${max} characters`);
  if (!TEXT.test(s)) throw new ConsoleInputError(`${what} may not hold control characters`);
  return s;
}

export function optionalShortText(value: unknown, what: string, max = 255): string | undefined {
  return value === undefined || value === null || value === '' ? undefined : shortText(value, what, max);
}

/** A whole number in [min, max], given as a number or a decimal string (query parameters). */
export function integer(value: unknown, what: string, min: number, max: number, fallback?: number): number {
  if ((value === undefined || value === null || value === '') && fallback !== undefined) return fallback;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new ConsoleInputError(`${what} must be a whole number from ${min} to ${max}`);
  return n;
}

/** A point in time: milliseconds since the epoch, or an ISO-8601 date-time. */
export function timestamp(value: unknown, what = 'timestamp'): number {
  if (typeof value === 'number' || (typeof value === 'string' && /^\d{1,16}$/.test(value))) return integer(value, what, 0, 8_640_000_000_000_000);
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)) {
    const millis = Date.parse(value);
    if (Number.isFinite(millis) && millis >= 0) return millis;
  }
  throw new ConsoleInputError(`${what} must be milliseconds since the epoch or an ISO-8601 date-time`);
}

/** A message body from the UI: text, at most `max` UTF-8 bytes. */
export function messageBody(value: unknown, max: number): string {
  const body = text(value, 'body');
  if (Buffer.byteLength(body) > max) throw new ConsoleInputError(`body is larger than ${max} bytes`);
  return body;
}

export function oneOf<T extends string>(value: unknown, what: string, choices: readonly T[], fallback?: T): T {
  if ((value === undefined || value === '') && fallback !== undefined) return fallback;
  const found = choices.find((c) => c === value);
  if (found === undefined) throw new ConsoleInputError(`${what} is one of ${choices.join(', ')}`);
  return found;
}
