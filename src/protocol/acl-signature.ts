import { createHmac } from 'node:crypto';

/** Ext-field names of SessionCredentials. */
export const ACCESS_KEY = 'AccessKey';
export const SECURITY_TOKEN = 'SecurityToken';
export const SIGNATURE = 'Signature';

/**
 * AclUtils.combineRequestContent + AclSigner.calSignature, shared by the signing client and the verifying broker:
 * the values of every ext field but Signature (and `omitField`, which a verifier leaves out for old clients), in the
 * order of their keys (Java's String.compareTo, which is JavaScript's default string order: UTF-16 code units),
 * concatenated without separators as UTF-8, then the raw body; HmacSHA1 with the secret, in Base64 with padding.
 */
export function aclSignature(
  extFields: Readonly<Record<string, string>>,
  body: Uint8Array | undefined,
  secretKey: string,
  omitField?: string,
): string {
  const keys = Object.keys(extFields).filter((key) => key !== SIGNATURE && key !== omitField);
  keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const hmac = createHmac('sha1', Buffer.from(secretKey, 'utf8'));
  hmac.update(Buffer.from(keys.map((key) => extFields[key] as string).join(''), 'utf8'));
  if (body !== undefined && body.length > 0) hmac.update(body);
  return hmac.digest('base64');
}
