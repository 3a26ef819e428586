// Resolving one port's TLS from etcd's flags: a bad file stops the member with one line naming
// the flag and the file (unreadable, not PEM, a key of another certificate, expired, not yet
// valid); etcd 3.4's rules (a trusted CA alone already requires client certificates, auto TLS
// drops the CA and client-cert-auth, given certificates win over auto TLS); etcd's messages for
// cipher suites; and the versions Node is told.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TlsConfigError } from '../../core/tls/certificateFiles.js';
import { noPortTls, resolvePortTls, type PortTlsFlags, type TlsFlags } from '../../core/tls/portTls.js';
import { makeSelfSigned } from '../../core/tls/selfSignedCertificate.js';
import { generateCertificates, type TestCertificates } from '../support/tls.js';

let certificates: TestCertificates;
let dir: string;
const logged: string[] = [];
const log = (level: string, message: string): void => void logged.push(`${level}: ${message}`);

beforeAll(async () => {
  certificates = await generateCertificates();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rafter-port-tls-'));
});

afterAll(async () => {
  fs.rmSync(dir, { recursive: true, force: true });
  await certificates?.cleanup();
});

function flags(client: Partial<PortTlsFlags>, shared: Partial<TlsFlags> = {}): TlsFlags {
  return { client: { ...noPortTls, ...client }, peer: noPortTls, minVersion: 'TLS1.2', maxVersion: '', cipherSuites: [], ...shared };
}

function resolve(client: Partial<PortTlsFlags>, shared: Partial<TlsFlags> = {}) {
  return resolvePortTls({ port: 'client', flags: flags(client, shared), dataDir: dir, hosts: ['127.0.0.1'], log });
}

function failure(client: Partial<PortTlsFlags>, shared: Partial<TlsFlags> = {}): string {
  try {
    resolve(client, shared);
  } catch (error) {
    expect(error).toBeInstanceOf(TlsConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a TlsConfigError');
}

const pair = (): Partial<PortTlsFlags> => ({ certFile: certificates.serverCertFile, keyFile: certificates.serverKeyFile });

describe('resolving a port\'s TLS', () => {
  it('is off without certificate files or auto TLS', () => {
    expect(resolve({})).toBeNull();
  });

  it('serves with the given pair, asks no client certificate without a CA, and defaults to TLS 1.2 at least', () => {
    const portTls = resolve(pair())!;
    expect(portTls.server).toMatchObject({ requestCert: false, rejectUnauthorized: false, minVersion: 'TLSv1.2' });
    expect(portTls.server).not.toHaveProperty('maxVersion');
    expect(portTls.selfSigned).toBe(false);
  });

  it('requires client certificates as soon as a trusted CA is given, as etcd 3.4 does, and with --client-cert-auth', () => {
    expect(resolve({ ...pair(), trustedCaFile: certificates.caFile })!.requiresClientCertificate).toBe(true);
    const both = resolve({ ...pair(), trustedCaFile: certificates.caFile, clientCertAuth: true })!;
    expect(both.server).toMatchObject({ requestCert: true, rejectUnauthorized: true });
    expect(both.server.ca).toEqual(fs.readFileSync(certificates.caFile));
  });

  it('names the flag and the file when a file cannot be read', () => {
    const missing = path.join(dir, 'missing.crt');
    expect(failure({ certFile: missing, keyFile: certificates.serverKeyFile })).toBe(`cannot read --cert-file ${missing}: ENOENT`);
    expect(failure({ ...pair(), trustedCaFile: missing })).toBe(`cannot read --trusted-ca-file ${missing}: ENOENT`);
  });

  it('refuses a certificate file without a certificate and a key file without a key', () => {
    expect(failure({ certFile: certificates.serverKeyFile, keyFile: certificates.serverKeyFile })).toBe(`--cert-file ${certificates.serverKeyFile} holds no PEM certificate`);
    expect(failure({ certFile: certificates.serverCertFile, keyFile: certificates.serverCertFile })).toMatch(new RegExp(`^--key-file ${certificates.serverCertFile} is not an unencrypted PEM private key`));
  });

  it('refuses a key that belongs to another certificate, naming both files', () => {
    expect(failure({ certFile: certificates.serverCertFile, keyFile: certificates.clientKeyFile })).toBe(
      `the private key in --key-file ${certificates.clientKeyFile} does not match the certificate in --cert-file ${certificates.serverCertFile}`,
    );
  });

  it('refuses an expired certificate and one not yet valid', () => {
    const write = (name: string, now: Date): Partial<PortTlsFlags> => {
      const made = makeSelfSigned({ hosts: ['127.0.0.1'], clientAuth: false, now });
      fs.writeFileSync(path.join(dir, `${name}.crt`), made.certPem);
      fs.writeFileSync(path.join(dir, `${name}.key`), made.keyPem);
      return { certFile: path.join(dir, `${name}.crt`), keyFile: path.join(dir, `${name}.key`) };
    };
    const expired = write('expired', new Date('2001-01-01T00:00:00Z'));
    expect(failure(expired)).toBe(`the certificate in --cert-file ${expired.certFile} (O=Rafter) expired on 2002-01-01T00:00:00.000Z`);
    const future = write('future', new Date('2999-01-01T00:00:00Z'));
    expect(failure(future)).toBe(`the certificate in --cert-file ${future.certFile} (O=Rafter) is not valid before 2999-01-01T00:00:00.000Z`);
  });

  it('wants the certificate and the key together, and a certificate for the CA and client-cert-auth', () => {
    expect(failure({ certFile: certificates.serverCertFile })).toBe('--cert-file and --key-file must be given together');
    expect(failure({ clientCertAuth: true })).toBe('--trusted-ca-file and --client-cert-auth need --cert-file and --key-file (or --auto-tls)');
  });

  it('makes a self-signed pair under fixtures/ for auto TLS, dropping the CA and client-cert-auth as etcd does', () => {
    logged.length = 0;
    const portTls = resolve({ autoTls: true, trustedCaFile: certificates.caFile, clientCertAuth: true })!;
    expect(portTls.selfSigned).toBe(true);
    expect(portTls.requiresClientCertificate).toBe(false);
    expect(portTls.client.rejectUnauthorized).toBe(false);
    expect(fs.existsSync(path.join(dir, 'fixtures', 'client', 'cert.pem'))).toBe(true);
    expect(logged.join('\n')).toContain('--auto-tls makes its own certificate: --trusted-ca-file and --client-cert-auth are ignored');
  });

  it('prefers given certificate files over auto TLS', () => {
    logged.length = 0;
    expect(resolve({ ...pair(), autoTls: true })!.selfSigned).toBe(false);
    expect(logged).toContain('warn: ignoring --auto-tls since --cert-file and --key-file are given');
  });

  it('translates etcd cipher suite names for OpenSSL, keeping TLS 1.3 suites, and refuses unknown ones with etcd\'s message', () => {
    const portTls = resolve(pair(), { cipherSuites: ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305'] })!;
    expect(portTls.server.ciphers).toBe('TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305');
    expect(failure(pair(), { cipherSuites: ['TLS_NOT_A_SUITE'] })).toBe('unexpected TLS cipher suite "TLS_NOT_A_SUITE"');
    expect(failure(pair(), { cipherSuites: ['TLS_RSA_WITH_RC4_128_SHA'] })).toBe('TLS cipher suite "TLS_RSA_WITH_RC4_128_SHA" (OpenSSL RC4-SHA) is not available in this Node.js build');
  });

  it('passes the version bounds to Node', () => {
    expect(resolve(pair(), { minVersion: 'TLS1.3', maxVersion: 'TLS1.3' })!.server).toMatchObject({ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
  });
});
