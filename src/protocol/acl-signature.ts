import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

/** SessionCredentials' ext-field names: who signs a request, and the signature. */
export const ACCESS_KEY = 'AccessKey';
export const SECURITY_TOKEN = 'SecurityToken';
export const SIGNATURE = 'Signature';
/**
 * MixAll.UNIQUE_MSG_QUERY_FLAG: clients up to 4.9.3 add it after signing, so a 5.x broker leaves it out of their
 * content; a 4.9.8 ACL 1.0 broker leaves it out always (clients from 4.9.4 on sign it).
 */
export const UNIQUE_MSG_QUERY_FLAG = '_UNIQUE_KEY_QUERY';

/** The ext-field values of the signed content (Signature and the `skip`ped keys left out) in key order, joined. */
function contentText(extFields: Readonly<Record<string, string>>, skip: ((key: string) => boolean) | undefined): string {
  const keys = Object.keys(extFields).filter((key) => key !== SIGNATURE && (skip === undefined || !skip(key)));
  keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let text = '';
  for (const key of keys) text += extFields[key] as string;
  return text;
}

/**
 * AclUtils.combineRequestContent: the values of the ext fields (Signature and the `skip`ped keys left out) in the
 * order of their keys (Java's String.compareTo, which is JavaScript's default string order: UTF-16 code units),
 * concatenated without separators as UTF-8, then the raw body. Client and brokers build the same bytes.
 */
export function combineRequestContent(
  extFields: Readonly<Record<string, string>>,
  body: Uint8Array | undefined,
  skip?: (key: string) => boolean,
): Buffer {
  const text = Buffer.from(contentText(extFields, skip), 'utf8');
  return body !== undefined && body.length > 0 ? Buffer.concat([text, body]) : text;
}

/**
 * HMAC keys by secret: importing the secret is a fifth of an HMAC of a small request, and a broker sees the same
 * few users' secrets on every request. Bounded: a flood of distinct secrets (a client signing with random keys is
 * refused before the HMAC: its user is unknown) can only fill it to the cap, then it starts over.
 */
const HMAC_KEYS = new Map<string, KeyObject>();
const HMAC_KEYS_MAX = 1024;

function hmacKey(secretKey: string): KeyObject {
  let key = HMAC_KEYS.get(secretKey);
  if (key === undefined) {
    if (HMAC_KEYS.size >= HMAC_KEYS_MAX) HMAC_KEYS.clear();
    key = createSecretKey(Buffer.from(secretKey, 'utf8'));
    HMAC_KEYS.set(secretKey, key);
  }
  return key;
}

/** AclSigner.calSignature: HmacSHA1 of the content with the secret, in Base64 with padding. */
export function calSignature(content: Uint8Array, secretKey: string): string {
  return createHmac('sha1', hmacKey(secretKey)).update(content).digest('base64');
}

/**
 * The signature over these ext fields and body: everything but Signature, and `omitField`, which a verifier
 * leaves out for old clients. The HMAC reads the text and the body in two updates: the content of
 * combineRequestContent without copying the body into it (every signed send and every verified one).
 */
export function aclSignature(extFields: Readonly<Record<string, string>>, body: Uint8Array | undefined, secretKey: string, omitField?: string): string {
  const hmac = createHmac('sha1', hmacKey(secretKey)).update(contentText(extFields, omitField === undefined ? undefined : (key) => key === omitField), 'utf8');
  if (body !== undefined && body.length > 0) hmac.update(body);
  return hmac.digest('base64');
}

/** Java compares with String.equals; a constant-time comparison answers the same and leaks no prefix timing. */
export function signatureMatches(expected: string, actual: string | undefined): boolean {
  if (actual === undefined) return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(actual, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
