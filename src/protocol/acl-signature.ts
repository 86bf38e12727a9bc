import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { valuesInKeyOrder } from './custom-header.js';

/** SessionCredentials' ext-field names: who signs a request, and the signature. */
export const ACCESS_KEY = 'AccessKey';
export const SECURITY_TOKEN = 'SecurityToken';
export const SIGNATURE = 'Signature';
/**
 * MixAll.UNIQUE_MSG_QUERY_FLAG: clients up to 4.9.3 add it after signing, so a 5.x broker leaves it out of their
 * content; a 4.9.8 ACL 1.0 broker leaves it out always (clients from 4.9.4 on sign it).
 */
export const UNIQUE_MSG_QUERY_FLAG = '_UNIQUE_KEY_QUERY';

/** The ext fields a signature leaves out: Signature itself, and `omitField`, which a verifier leaves out for old clients. */
const SIGNATURE_ONLY: readonly string[] = [SIGNATURE];

function unsigned(omitField: string | undefined): readonly string[] {
  return omitField === undefined ? SIGNATURE_ONLY : [SIGNATURE, omitField];
}

/**
 * AclUtils.combineRequestContent: the values of the ext fields (Signature and `omitField` left out) in the
 * order of their keys (Java's String.compareTo, which is JavaScript's default string order: UTF-16 code units),
 * concatenated without separators as UTF-8, then the raw body. Client and brokers build the same bytes.
 */
export function combineRequestContent(extFields: Readonly<Record<string, string>>, body: Uint8Array | undefined, omitField?: string): Buffer {
  const text = Buffer.from(valuesInKeyOrder(extFields, unsigned(omitField)), 'utf8');
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
  return hmacOf(content, undefined, secretKey);
}


/** The signature over these ext fields and body (the content of combineRequestContent). */
export function aclSignature(extFields: Readonly<Record<string, string>>, body: Uint8Array | undefined, secretKey: string, omitField?: string): string {
  return hmacOf(valuesInKeyOrder(extFields, unsigned(omitField)), body, secretKey);
}

/** What a verifier reads from a request to sign it. */
export interface SignableRequest {
  readonly body: Buffer | undefined;
  extFieldValuesInKeyOrder(skip: readonly string[]): Buffer;
}

/** aclSignature of a request, its text built from a binary header's bytes without the map of its ext fields. */
export function requestSignature(request: SignableRequest, secretKey: string, omitField?: string): string {
  return hmacOf(request.extFieldValuesInKeyOrder(unsigned(omitField)), request.body, secretKey);
}

/** The text (a string as UTF-8) then the body, in two updates: the body is not copied into the content. */
function hmacOf(text: string | Uint8Array, body: Uint8Array | undefined, secretKey: string): string {
  const hmac = createHmac('sha1', hmacKey(secretKey)).update(text);
  if (body !== undefined && body.length > 0) hmac.update(body);
  return hmac.digest('base64');
}

/**
 * Java compares with String.equals; this answers the same in a time that depends on the lengths only (the
 * expected one is always 28, SHA-1 in Base64), so a forger learns no prefix from it.
 */
export function signatureMatches(expected: string, actual: string | undefined): boolean {
  if (actual === undefined || actual.length !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ actual.charCodeAt(i);
  return diff === 0;
}
