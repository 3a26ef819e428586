// Reads and checks the certificate, key and CA files named by the TLS flags, so that a member
// with a bad file refuses to start with one line naming the flag and the file (unreadable, not
// PEM, key not matching the certificate, expired or not yet valid) instead of failing every
// handshake later. Building Node's TLS options from them is portTls.ts's business.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import fs from 'node:fs';

/** A TLS flag or file an operator must fix; printed as one line at startup. */
export class TlsConfigError extends Error {
  override readonly name = 'TlsConfigError';
}

export interface KeyPair {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly certificate: X509Certificate;
}

/** Where a file came from: `--cert-file /path`, for messages. */
export interface NamedFile {
  readonly flag: string;
  readonly file: string;
}

const pemCertificate = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function describe(named: NamedFile): string {
  return `--${named.flag} ${named.file}`;
}

function read(named: NamedFile): Buffer {
  try {
    return fs.readFileSync(named.file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    throw new TlsConfigError(`cannot read ${describe(named)}: ${reason}`);
  }
}

/** Every certificate in a PEM file; throws when there is none or one does not parse. */
function certificatesIn(named: NamedFile, text: string): X509Certificate[] {
  const blocks = text.match(pemCertificate) ?? [];
  if (blocks.length === 0) throw new TlsConfigError(`${describe(named)} holds no PEM certificate`);
  return blocks.map((block) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new TlsConfigError(`${describe(named)} holds a certificate that does not parse: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
}

/** Throws unless `now` lies in the certificate's validity period. */
function checkValidity(named: NamedFile, certificate: X509Certificate, now: Date): void {
  const notBefore = new Date(certificate.validFrom);
  const notAfter = new Date(certificate.validTo);
  if (now.getTime() > notAfter.getTime()) {
    throw new TlsConfigError(`the certificate in ${describe(named)} (${certificate.subject.replaceAll('\n', ', ')}) expired on ${notAfter.toISOString()}`);
  }
  if (now.getTime() < notBefore.getTime()) {
    throw new TlsConfigError(`the certificate in ${describe(named)} (${certificate.subject.replaceAll('\n', ', ')}) is not valid before ${notBefore.toISOString()}`);
  }
}

/**
 * Reads a certificate (the first one in the file is the member's own; any after it form its
 * chain) and its private key, and checks that they belong together and that the certificate is
 * valid `now`. Encrypted keys are refused: etcd cannot use them either.
 */
export function loadKeyPair(certNamed: NamedFile, keyNamed: NamedFile, now: Date = new Date()): KeyPair {
  const cert = read(certNamed);
  const key = read(keyNamed);
  const certificate = certificatesIn(certNamed, cert.toString('utf8'))[0]!;
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    throw new TlsConfigError(`${describe(keyNamed)} is not an unencrypted PEM private key: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new TlsConfigError(`the private key in ${describe(keyNamed)} does not match the certificate in ${describe(certNamed)}`);
  }
  checkValidity(certNamed, certificate, now);
  return { cert, key, certificate };
}

/** Reads a CA bundle; throws when it holds no certificate or none of them is valid `now`. */
export function loadCaFile(named: NamedFile, now: Date = new Date()): Buffer {
  const bytes = read(named);
  const certificates = certificatesIn(named, bytes.toString('utf8'));
  const valid = certificates.filter((certificate) => now.getTime() <= new Date(certificate.validTo).getTime());
  if (valid.length === 0) checkValidity(named, certificates[0]!, now);
  return bytes;
}
