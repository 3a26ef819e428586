// A small certificate authority: a CA certificate and key (ECDSA P-256), and certificates it
// issues for members (server and client use, for both of a member's ports) and for clients (client
// use only, the common name being the user etcd takes a client-certificate caller for). It is what
// the console makes for a local cluster launched with "TLS with its own CA"; where the files are
// kept and which flags name them is core/admin's business. Encoding is certificateDer.ts's.
import { X509Certificate, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { certificateDer, distinguishedName, keyIdentifier, pem, subjectOf } from './certificateDer.js';

/**
 * Validity of the CA and of what it issues: ten years, so a saved local cluster does not stop
 * working a year later (etcd's auto TLS uses one year, but remakes nothing either).
 */
export const issuedValidityMs = 10 * 365 * 24 * 3_600_000;
/** Certificates are valid from a little before they are made (clocks of other programs may lag). */
export const backdateMs = 5 * 60_000;

/** A certificate and its private key, both PEM. */
export interface PemPair {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface IssueOptions {
  readonly commonName: string;
  /** Host names and IP addresses the certificate serves (none for a client certificate). */
  readonly hosts: readonly string[];
  readonly serverAuth: boolean;
  readonly clientAuth: boolean;
  readonly now?: Date;
}

function newKeyPair() {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

function validity(now: Date | undefined): { notBefore: Date; notAfter: Date } {
  const start = (now ?? new Date()).getTime() - backdateMs;
  return { notBefore: new Date(start), notAfter: new Date(start + issuedValidityMs) };
}

/** A new self-signed CA named `commonName` (organization Rafter). */
export function makeCertificateAuthority(commonName: string, now?: Date): PemPair {
  const { privateKey, publicKey } = newKeyPair();
  const name = distinguishedName(commonName);
  const der = certificateDer({
    subject: name,
    issuer: name,
    publicKey,
    signingKey: privateKey,
    ...validity(now),
    isCa: true,
    serverAuth: false,
    clientAuth: false,
    hosts: [],
    subjectKeyId: keyIdentifier(publicKey),
  });
  return { certPem: pem('CERTIFICATE', der), keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** A new key and a certificate for it, signed by `ca`. */
export function issueCertificate(ca: PemPair, options: IssueOptions): PemPair {
  const caCertificate = new X509Certificate(ca.certPem);
  const caKey = createPrivateKey(ca.keyPem);
  if (!caCertificate.checkPrivateKey(caKey)) throw new Error('the CA key does not match the CA certificate');
  const { privateKey, publicKey } = newKeyPair();
  const der = certificateDer({
    subject: distinguishedName(options.commonName),
    issuer: subjectOf(caCertificate.raw),
    publicKey,
    signingKey: caKey,
    ...validity(options.now),
    isCa: false,
    serverAuth: options.serverAuth,
    clientAuth: options.clientAuth,
    hosts: options.hosts,
    subjectKeyId: keyIdentifier(publicKey),
    authorityKeyId: keyIdentifier(caCertificate.publicKey),
  });
  return { certPem: pem('CERTIFICATE', der), keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}
