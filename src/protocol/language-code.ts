/** LanguageCode.java: the byte each client language travels as in the binary header (JSON carries the name). */
export const LanguageCode = {
  JAVA: 0,
  CPP: 1,
  DOTNET: 2,
  PYTHON: 3,
  DELPHI: 4,
  ERLANG: 5,
  RUBY: 6,
  OTHER: 7,
  HTTP: 8,
  GO: 9,
  PHP: 10,
  OMS: 11,
  RUST: 12,
  /** Only Java 5.3.3 and later know this one; older servers decode it as null. */
  NODE_JS: 13,
} as const;

export type LanguageName = keyof typeof LanguageCode;

const languageByCode = new Map<number, LanguageName>(
  Object.entries(LanguageCode).map(([name, code]) => [code, name as LanguageName]),
);

/**
 * Java decodes an unknown language to null; we keep the command usable and call it OTHER.
 * JSON may carry either the enum name or its ordinal (fastjson accepts both).
 */
export function languageFromWire(value: unknown): LanguageName {
  if (typeof value === 'number') return languageByCode.get(value) ?? 'OTHER';
  if (typeof value === 'string' && Object.hasOwn(LanguageCode, value)) return value as LanguageName;
  return 'OTHER';
}

/** MQVersion.Version ordinals that change behaviour somewhere in the protocol. */
export const MQVersion = {
  V4_5_2: 317,
  /** Up to this version a signature leaves out _UNIQUE_KEY_QUERY (5.x's PlainAccessResource, ACL 2.0). */
  V4_9_3: 399,
  V4_9_4: 401,
  V4_9_8: 409,
  V5_0_0: 413,
  V5_3_3: 479,
} as const;

/** MQVersion.getVersionDesc: "V5_3_3" for the ordinals named above, "V<ordinal>" for others. */
export function mqVersionDesc(version: number): string {
  return Object.entries(MQVersion).find(([, value]) => value === version)?.[0] ?? `V${version}`;
}

/** The version we stamp on what we send: we speak the 5.3.3 protocol. */
export const CURRENT_VERSION = MQVersion.V5_3_3;
