import type { ConnectionOptions, SecureContextOptions } from 'node:tls';

/**
 * TlsMode.java. `permissive` accepts TLS and plain text on the same port, telling them apart by the first byte
 * (0x16 starts a TLS handshake record; a plain frame would need a length of 369 MB to start with it).
 */
export type TlsMode = 'disabled' | 'permissive' | 'enforcing';

export const TLS_HANDSHAKE_RECORD = 0x16;

export interface ServerTlsOptions extends SecureContextOptions {
  mode: TlsMode;
  /** Ask clients for a certificate (tls.server.need.client.auth = optional/require). */
  requestCert?: boolean;
  /** With requestCert: refuse clients without a valid certificate (require). */
  rejectUnauthorized?: boolean;
}

/** Client side: `useTLS` plus Node's own connection options (ca, cert, key, servername, rejectUnauthorized...). */
export type ClientTlsOptions = Omit<ConnectionOptions, 'host' | 'port' | 'socket' | 'path'>;
