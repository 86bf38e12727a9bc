import { execFile } from 'node:child_process';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../common/logger.js';

const run = promisify(execFile);

/** A PEM key and certificate, and where the certificate is (for GRPC_DEFAULT_SSL_ROOTS_FILE_PATH). */
export interface DevCertificate {
  key: Buffer;
  cert: Buffer;
  certPath: string;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * The Java proxy's tlsTestModeEnable: a self-signed certificate for localhost and 127.0.0.1, made once with
 * `openssl` under `dir` and reused afterwards (Node has no X.509 generator; no key is ever shipped). The Java, Go
 * and C# SDKs use TLS by default and accept any certificate; Node and Python (grpc-js, grpcio) verify it, so the path
 * is printed for GRPC_DEFAULT_SSL_ROOTS_FILE_PATH, which both read (grpc-js ignores NODE_EXTRA_CA_CERTS here). Undefined (and a warning) when openssl is not available.
 */
export async function ensureDevCertificate(dir: string, logger: Logger): Promise<DevCertificate | undefined> {
  const keyPath = join(dir, 'grpc-dev.key');
  const certPath = join(dir, 'grpc-dev.crt');
  if (!(await exists(keyPath)) || !(await exists(certPath))) {
    await mkdir(dir, { recursive: true });
    try {
      await run('openssl', [
        // An EC P-256 key: made in milliseconds where RSA 2048 took half a second of the start-up, and every gRPC
        // stack the SDKs use (OpenSSL, BoringSSL, the JDK's) takes it.
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '3650',
        '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ]);
    } catch (err) {
      logger.warn(`gRPC TLS off: no test certificate (openssl failed: ${err instanceof Error ? err.message : String(err)}); plaintext only`);
      return undefined;
    }
  }
  return { key: await readFile(keyPath), cert: await readFile(certPath), certPath };
}

/** tlsKeyPath / tlsCertPath of the configuration. */
export async function readCertificate(keyPath: string, certPath: string): Promise<DevCertificate> {
  return { key: await readFile(keyPath), cert: await readFile(certPath), certPath };
}
