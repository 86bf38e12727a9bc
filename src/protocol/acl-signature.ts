import { createHmac, timingSafeEqual } from 'node:crypto';

/** SessionCredentials' ext-field names: who signs a request, and the signature. */
export const ACCESS_KEY = 'AccessKey';
export const SECURITY_TOKEN = 'SecurityToken';
export const SIGNATURE = 'Signature';
/**
 * MixAll.UNIQUE_MSG_QUERY_FLAG: clients up to 4.9.3 add it after signing, so a 5.x broker leaves it out of their
 * content; a 4.9.8 ACL 1.0 broker leaves it out always (clients from 4.9.4 on sign it).
 */
export const UNIQUE_MSG_QUERY_FLAG = '_UNIQUE_KEY_QUERY';

/**
 * AclUtils.combineRequestContent: the values of the ext fields (Signature and the `skip`ped keys left out) in the
 * order of their keys (Java's String.compareTo, which is JavaScript's default string order: UTF-16 code units),
 * concatenated without separators as UTF-8, then the raw body. Client and brokers build the same bytes.
 */
export function combineRequestContent(
  extFields: Readonly<Record<string, string>>,
  body: Uint8Array | undefined,
  skip: (key: string) => boolean = () => false,
): Buffer {
  const keys = Object.keys(extFields).filter((key) => key !== SIGNATURE && !skip(key));
  keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const text = Buffer.from(keys.map((key) => extFields[key] as string).join(''), 'utf8');
  return body !== undefined && body.length > 0 ? Buffer.concat([text, body]) : text;
}

/** AclSigner.calSignature: HmacSHA1 of the content with the secret, in Base64 with padding. */
export function calSignature(content: Uint8Array, secretKey: string): string {
  return createHmac('sha1', Buffer.from(secretKey, 'utf8')).update(content).digest('base64');
}

/**
 * The signature over these ext fields and body: everything but Signature, and `omitField`, which a verifier
 * leaves out for old clients.
 */
export function aclSignature(extFields: Readonly<Record<string, string>>, body: Uint8Array | undefined, secretKey: string, omitField?: string): string {
  return calSignature(combineRequestContent(extFields, body, omitField === undefined ? undefined : (key) => key === omitField), secretKey);
}

/** Java compares with String.equals; a constant-time comparison answers the same and leaks no prefix timing. */
export function signatureMatches(expected: string, actual: string | undefined): boolean {
  if (actual === undefined) return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(actual, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
