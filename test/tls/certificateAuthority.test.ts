// The small CA behind secured local clusters: its certificates pass OpenSSL's strict verification
// for their purposes (member: server and client; console: client only), carry the hosts and key
// identifiers they should, and a TLS server holding a member certificate and trusting the CA
// accepts a client certificate it issued and refuses one from another CA.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { issueCertificate, issuedValidityMs, makeCertificateAuthority } from '../../core/tls/certificateAuthority.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rafter-ca-test-'));
const ca = makeCertificateAuthority('Rafter local cluster "test" CA');
const member = issueCertificate(ca, { commonName: 'm1', hosts: ['127.0.0.1', 'localhost'], serverAuth: true, clientAuth: true });
const client = issueCertificate(ca, { commonName: 'root', hosts: [], serverAuth: false, clientAuth: true });
const stranger = issueCertificate(makeCertificateAuthority('another CA'), { commonName: 'root', hosts: [], serverAuth: false, clientAuth: true });

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

async function opensslVerify(purpose: string, certificate: string): Promise<string> {
  const { stdout } = await promisify(execFile)('openssl', ['verify', '-x509_strict', '-purpose', purpose, '-CAfile', write('ca.crt', ca.certPem), write('leaf.crt', certificate)]);
  return stdout.trim();
}

/** Opens a TLS connection with `clientPair` to a server holding the member certificate; resolves to whether the server accepted it. */
function handshake(clientPair: { certPem: string; keyPem: string }): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = tls.createServer({ cert: member.certPem, key: member.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true }, (socket) => {
      socket.end('hello');
    });
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      const socket = tls.connect({ host: '127.0.0.1', port, ca: ca.certPem, cert: clientPair.certPem, key: clientPair.keyPem });
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        server.close();
        resolve(received === 'hello');
      });
    });
    server.on('error', reject);
  });
}

describe('the local cluster CA', () => {
  it('issues certificates OpenSSL verifies strictly for their purposes', async () => {
    expect(await opensslVerify('sslserver', member.certPem)).toMatch(/OK$/);
    expect(await opensslVerify('sslclient', member.certPem)).toMatch(/OK$/);
    expect(await opensslVerify('sslclient', client.certPem)).toMatch(/OK$/);
    await expect(opensslVerify('sslserver', client.certPem)).rejects.toThrow();
    await expect(opensslVerify('sslclient', stranger.certPem)).rejects.toThrow();
  });

  it('names the subject, issuer, hosts and validity', () => {
    const authority = new X509Certificate(ca.certPem);
    const leaf = new X509Certificate(member.certPem);
    expect(authority.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.subject).toBe('O=Rafter\nCN=m1');
    expect(leaf.issuer).toBe(authority.subject);
    expect(leaf.checkIssued(authority)).toBe(true);
    expect(leaf.verify(authority.publicKey)).toBe(true);
    expect(leaf.subjectAltName).toBe('IP Address:127.0.0.1, DNS:localhost');
    expect(leaf.checkHost('localhost')).toBe('localhost');
    const lifetime = new Date(leaf.validTo).getTime() - new Date(leaf.validFrom).getTime();
    expect(Math.abs(lifetime - issuedValidityMs)).toBeLessThan(2_000);
    expect(new X509Certificate(client.certPem).subject).toBe('O=Rafter\nCN=root');
  });

  it('lets a server trusting the CA accept its client certificate and refuse another CA’s', async () => {
    expect(await handshake(client)).toBe(true);
    expect(await handshake(stranger)).toBe(false);
  });
});
