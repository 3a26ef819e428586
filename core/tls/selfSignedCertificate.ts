// Self-signed certificates for --auto-tls and --peer-auto-tls, as etcd makes them: an ECDSA key,
// organisation "Rafter", valid one year, key usages digitalSignature and keyEncipherment, extended
// usages serverAuth (and clientAuth for peers), and the listen hosts as subject alternative names.
// They are written once under <data-dir>/fixtures/{client,peer}/ (cert.pem, key.pem) and reused
// on every later start, as etcd does. The DER encoding is certificateDer.ts's (no dependency, no
// openssl binary at run time).
// Reading and checking certificate files is certificateFiles.ts's business.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { certificateDer, distinguishedName, pem } from './certificateDer.js';

export { ipAddressBytes } from './certificateDer.js';

/** etcd's validity for self-signed certificates: one year. */
export const selfSignedValidityMs = 365 * 24 * 3_600_000;

export interface SelfSignedFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** Whether they were made now (false: found from an earlier start and reused). */
  readonly created: boolean;
}

export interface SelfSignedOptions {
  /** Host names and IP addresses the certificate is for (the listen URLs' hosts). */
  readonly hosts: readonly string[];
  /** Adds the clientAuth extended key usage (peer certificates are also client certificates). */
  readonly clientAuth: boolean;
  readonly now?: Date;
}

/** DER of a self-signed certificate for `publicKey`, signed with `privateKey` (ECDSA, SHA-256). */
export function selfSignedCertificateDer(privateKey: KeyObject, publicKey: KeyObject, options: SelfSignedOptions): Buffer {
  const now = options.now ?? new Date();
  const name = distinguishedName(null);
  return certificateDer({
    subject: name,
    issuer: name,
    publicKey,
    signingKey: privateKey,
    notBefore: now,
    notAfter: new Date(now.getTime() + selfSignedValidityMs),
    isCa: false,
    serverAuth: true,
    clientAuth: options.clientAuth,
    hosts: options.hosts,
  });
}

/** A new P-256 key and a self-signed certificate for it, both PEM. */
export function makeSelfSigned(options: SelfSignedOptions): { certPem: string; keyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const certPem = pem('CERTIFICATE', selfSignedCertificateDer(privateKey, publicKey, options));
  const keyPem = privateKey.export({ type: 'sec1', format: 'pem' }).toString();
  return { certPem, keyPem };
}

/**
 * The certificate and key in `dir` (cert.pem, key.pem), made if either is missing. Like etcd,
 * files found there are reused as they are, whatever hosts they name; the caller checks them.
 */
export function ensureSelfSigned(dir: string, options: SelfSignedOptions): SelfSignedFiles {
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  if (fs.existsSync(certFile) && fs.existsSync(keyFile)) return { certFile, keyFile, created: false };
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { certPem, keyPem } = makeSelfSigned(options);
  // Key first, then the certificate: a crash in between leaves no certificate, so the next start
  // makes both again instead of pairing a certificate with another key.
  writeAtomically(keyFile, keyPem, 0o600);
  writeAtomically(certFile, certPem, 0o644);
  return { certFile, keyFile, created: true };
}

/** Writes `text` beside `file`, syncs it and renames it over `file`: never half a file. */
export function writeAtomically(file: string, text: string, mode: number): void {
  const temporary = `${file}.tmp`;
  const handle = fs.openSync(temporary, 'w', mode);
  try {
    fs.writeSync(handle, text);
    fs.fsyncSync(handle);
  } finally {
    fs.closeSync(handle);
  }
  fs.renameSync(temporary, file);
}
