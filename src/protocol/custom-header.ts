import { RemotingCommandError } from '../common/errors.js';

/**
 * Custom headers travel as string `extFields` keyed by the Java field name. Encoding stringifies numbers and
 * booleans and drops null/undefined (Java's makeCustomHeaderToNet). Decoding is declared with a small schema so a
 * missing or malformed required field is a clear RemotingCommandError instead of Java's NPE further down.
 */
export type ExtFields = Record<string, string>;
export type HeaderValue = string | number | boolean | bigint | null | undefined;
export type CustomHeader = { readonly [field: string]: HeaderValue };

export function headerToExtFields(header: CustomHeader, into: ExtFields = {}): ExtFields {
  for (const key of Object.keys(header)) {
    const value = header[key];
    if (value === null || value === undefined) continue;
    setOwnField(into, key, typeof value === 'string' ? value : String(value));
  }
  return into;
}

type FieldKind = 'string' | 'int' | 'long' | 'boolean' | 'double';
export type FieldSpec = FieldKind | `${FieldKind}?`;
export type HeaderSchema = Record<string, FieldSpec>;

type KindType<K> = K extends 'string' ? string : K extends 'boolean' ? boolean : number;
type RequiredKeys<S> = { [F in keyof S]: S[F] extends `${string}?` ? never : F }[keyof S];
type OptionalKeys<S> = { [F in keyof S]: S[F] extends `${string}?` ? F : never }[keyof S];

export type DecodedHeader<S extends HeaderSchema> = { [F in RequiredKeys<S>]: KindType<S[F]> } & {
  [F in OptionalKeys<S>]?: KindType<S[F] extends `${infer K}?` ? K : never>;
};

const INT_PATTERN = /^[+-]?\d+$/;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

export interface CompiledField {
  readonly field: string;
  readonly kind: FieldKind;
  readonly optional: boolean;
}

/** Schemas are module constants: each is parsed once, not on every request. */
const compiledSchemas = new WeakMap<HeaderSchema, readonly CompiledField[]>();

export function compile(schema: HeaderSchema): readonly CompiledField[] {
  let compiled = compiledSchemas.get(schema);
  if (compiled === undefined) {
    compiled = Object.keys(schema).map((field) => {
      const spec = schema[field] as FieldSpec;
      const optional = spec.endsWith('?');
      return { field, optional, kind: (optional ? spec.slice(0, -1) : spec) as FieldKind };
    });
    compiledSchemas.set(schema, compiled);
  }
  return compiled;
}

/** Names the request in error messages; a function, so that the name is only built when there is an error. */
export type HeaderContext = string | (() => string);

/**
 * Decodes `extFields` against a schema. `context` names the request in error messages, for example
 * "SEND_MESSAGE(10)". Unknown ext fields are ignored, as Java does.
 */
export function decodeCustomHeader<S extends HeaderSchema>(
  extFields: Readonly<ExtFields> | undefined,
  schema: S,
  context: HeaderContext = 'command',
): DecodedHeader<S> {
  const out: Record<string, string | number | boolean> = {};
  for (const { field, kind, optional } of compile(schema)) {
    const raw = extFields === undefined ? undefined : Object.hasOwn(extFields, field) ? extFields[field] : undefined;
    if (raw === undefined) {
      if (optional) continue;
      throw missingField(field, context);
    }
    out[field] = parseField(raw, kind, field, context);
  }
  return out as DecodedHeader<S>;
}

/**
 * Ext fields still in their wire bytes (the ROCKETMQ header): a custom header is decoded straight from them, and
 * the string map is only built for code that asks for it.
 */
export interface RawExtFields {
  toExtFields(): ExtFields;
  decodeHeader<S extends HeaderSchema>(schema: S, context: HeaderContext): DecodedHeader<S>;
  /** One field, as the map would hold it (the last one sent; an empty value is no field). */
  get(key: string): string | undefined;
  /** Whether the map would be empty. */
  isEmpty(): boolean;
  /** valuesInKeyOrder as UTF-8, from the bytes. */
  valuesInKeyOrder(skip: readonly string[]): Buffer;
}

/**
 * The values of the fields but the `skip`ped ones, in the order of their keys, concatenated without separators:
 * what a request's signature covers (AclUtils.combineRequestContent over Java's TreeMap, whose String.compareTo
 * is JavaScript's default string order, by UTF-16 code units).
 */
export function valuesInKeyOrder(extFields: Readonly<ExtFields>, skip: readonly string[]): string {
  const keys = Object.keys(extFields).filter((key) => !skip.includes(key));
  keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let text = '';
  for (const key of keys) text += extFields[key] as string;
  return text;
}

/** The error for a required field that is absent. */
export function missingField(field: string, context: HeaderContext): RemotingCommandError {
  return new RemotingCommandError(`the custom header field '${field}' is missing in ${contextName(context)}`);
}

function contextName(context: HeaderContext): string {
  return typeof context === 'string' ? context : context();
}

export function parseField(raw: string, kind: FieldKind, field: string, context: HeaderContext): string | number | boolean {
  switch (kind) {
    case 'string':
      return raw;
    case 'boolean':
      // Boolean.parseBoolean: only a case-insensitive "true" is true.
      return raw.toLowerCase() === 'true';
    case 'int': {
      const n = INT_PATTERN.test(raw) ? Number(raw) : NaN;
      if (!Number.isInteger(n) || n < INT32_MIN || n > INT32_MAX) throw badField(field, raw, 'an int', context);
      return n;
    }
    case 'long': {
      const n = INT_PATTERN.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n)) throw badField(field, raw, 'a long within +-2^53', context);
      return n;
    }
    case 'double': {
      const n = raw.trim() === '' ? NaN : Number(raw);
      if (Number.isNaN(n)) throw badField(field, raw, 'a number', context);
      return n;
    }
  }
}

function badField(field: string, raw: string, expected: string, context: HeaderContext): RemotingCommandError {
  const shown = raw.length > 64 ? `${raw.slice(0, 64)}...` : raw;
  return new RemotingCommandError(`the custom header field '${field}' of ${contextName(context)} is not ${expected}: '${shown}'`);
}

/** Plain assignment, except that a "__proto__" key stays an ordinary key instead of touching the prototype. */
export function setOwnField<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
