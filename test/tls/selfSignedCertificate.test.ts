// The auto-TLS certificate writer: what it makes parses, verifies and is accepted by OpenSSL and by
// a real TLS handshake; names and IP addresses land in the subject alternative names; the files
// are made once and then reused.
import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureSelfSigned, ipAddressBytes, makeSelfSigned, selfSignedValidityMs } from '../../core/tls/selfSignedCertificate.js';

const run = promisify(execFile);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rafter-selfsigned-'));

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('self-signed certificates', () => {
  it('makes a certificate that parses, matches its key, verifies itself and lasts a year', () => {
    const now = new Date('2030-01-02T03:04:05Z');
    const { certPem, keyPem } = makeSelfSigned({ hosts: ['127.0.0.1', 'localhost', '::1'], clientAuth: true, now });
    const certificate = new X509Certificate(certPem);
    expect(certificate.subject).toBe('O=Rafter');
    expect(certificate.issuer).toBe('O=Rafter');
    expect(certificate.checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(certificate.subjectAltName).toBe('IP Address:127.0.0.1, DNS:localhost, IP Address:0:0:0:0:0:0:0:1');
    expect(new Date(certificate.validFrom).getTime()).toBe(now.getTime());
    expect(new Date(certificate.validTo).getTime()).toBe(now.getTime() + selfSignedValidityMs);
    expect(certificate.ca).toBe(false);
    expect(certificate.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  });

  it('uses GeneralizedTime from 2050 on, as RFC 5280 asks', () => {
    const now = new Date('2049-12-31T00:00:00Z');
    const certificate = new X509Certificate(makeSelfSigned({ hosts: [], clientAuth: false, now }).certPem);
    expect(new Date(certificate.validTo).getUTCFullYear()).toBe(2050);
    expect(certificate.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
  });

  it('is read by openssl as a v3 certificate with the key usages etcd sets', async () => {
    const file = path.join(dir, 'openssl.pem');
    fs.writeFileSync(file, makeSelfSigned({ hosts: ['10.1.2.3', 'example.test'], clientAuth: true }).certPem);
    const { stdout } = await run('openssl', ['x509', '-in', file, '-noout', '-text']);
    expect(stdout).toContain('Version: 3 (0x2)');
    expect(stdout).toContain('Signature Algorithm: ecdsa-with-SHA256');
    expect(stdout).toContain('Digital Signature, Key Encipherment');
    expect(stdout).toContain('TLS Web Server Authentication, TLS Web Client Authentication');
    expect(stdout).toContain('CA:FALSE');
    expect(stdout).toContain('IP Address:10.1.2.3, DNS:example.test');
    const verified = await run('openssl', ['verify', '-CAfile', file, '-partial_chain', file]);
    expect(verified.stdout.trim()).toBe(`${file}: OK`);
  });

  it('serves a TLS handshake that a client trusting it completes for 127.0.0.1', async () => {
    const { certPem, keyPem } = makeSelfSigned({ hosts: ['127.0.0.1'], clientAuth: false });
    const server = tls.createServer({ cert: certPem, key: keyPem }, (socket) => socket.end('hello'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const received = await new Promise<string>((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port, ca: certPem });
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      expect(received).toBe('hello');
    } finally {
      server.close();
    }
  });

  it('writes the pair once with a private key file, then reuses it', () => {
    const target = path.join(dir, 'fixtures', 'client');
    const first = ensureSelfSigned(target, { hosts: ['127.0.0.1'], clientAuth: false });
    expect(first.created).toBe(true);
    expect((fs.statSync(first.keyFile).mode & 0o777).toString(8)).toBe('600');
    const pem = fs.readFileSync(first.certFile, 'utf8');
    const second = ensureSelfSigned(target, { hosts: ['other-host'], clientAuth: false });
    expect(second).toEqual({ certFile: first.certFile, keyFile: first.keyFile, created: false });
    expect(fs.readFileSync(second.certFile, 'utf8')).toBe(pem);
  });

  it('encodes IPv4 and IPv6 addresses and tells names from addresses', () => {
    expect(ipAddressBytes('192.168.0.1')).toEqual(Buffer.from([192, 168, 0, 1]));
    expect(ipAddressBytes('fe80::1:2')?.toString('hex')).toBe('fe800000000000000000000000010002');
    expect(ipAddressBytes('::')?.toString('hex')).toBe('0'.repeat(32));
    expect(ipAddressBytes('localhost')).toBeNull();
  });
});
