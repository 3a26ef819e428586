// etcd's flags that narrow which verified certificates a port accepts, against a Rafter member
// and an etcd 3.4 member given the same certificates and flags: --client-crl-file refuses a
// revoked client certificate, --client-cert-allowed-hostname one that is not valid for the host
// name, and etcdctl's outcome (a put done or refused) must be the same on both. On the peer port,
// --peer-cert-allowed-cn refuses a stranger whose certificate the CA signed for another name, and
// three members that dial with a certificate carrying the allowed name (--peer-client-cert-file,
// while their peer server certificate names another) form a cluster and replicate.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdTestCluster } from '../support/etcd.js';
import { etcdctl, RafterCluster, rafterCli } from '../support/rafterCluster.js';
import { generateCertificates, revocationList, signClientCertificate, type TestCertificates } from '../support/tls.js';

let certificates: TestCertificates;
let revoked: { certFile: string; keyFile: string };
let named: { certFile: string; keyFile: string };
let crlFile: string;
const clusters: { stop(): Promise<void> }[] = [];

beforeAll(async () => {
  certificates = await generateCertificates();
  revoked = await signClientCertificate(certificates, 'revoked', '/CN=root');
  named = await signClientCertificate(certificates, 'named', '/CN=root', 'subjectAltName=DNS:client.rafter.test\n');
  crlFile = await revocationList(certificates, [revoked.certFile]);
}, 60_000);

afterAll(async () => {
  for (const cluster of clusters) await cluster.stop();
  await certificates?.cleanup();
});

/** Runs the member command to its exit (it must refuse to start), bounded. */
function runRafter(args: readonly string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [rafterCli, ...args], { timeout: 20_000 }, (error, _stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stderr });
    });
  });
}

function serverFlags(extra: readonly string[]): string[] {
  return [`--cert-file=${certificates.serverCertFile}`, `--key-file=${certificates.serverKeyFile}`, `--trusted-ca-file=${certificates.caFile}`, '--client-cert-auth', ...extra];
}

/** A Rafter and an etcd member with the flags; `own` is the certificate the test harness itself connects with. */
async function bothServers(extra: readonly string[], own = { certFile: certificates.clientCertFile, keyFile: certificates.clientKeyFile }): Promise<{ rafter: string; etcd: string }> {
  const clientTls = { ca: await fs.readFile(certificates.caFile), cert: await fs.readFile(own.certFile), key: await fs.readFile(own.keyFile) };
  const [rafter, etcd] = await Promise.all([
    RafterCluster.start({ members: 1, clientScheme: 'https', clientTls, extraArgs: serverFlags(extra) }),
    EtcdTestCluster.start({ tls: { certificates: { ...certificates, clientCertFile: own.certFile, clientKeyFile: own.keyFile }, clientCertAuth: true }, extraArgs: extra }),
  ]);
  clusters.push(rafter, etcd);
  return { rafter: rafter.members[0]!.clientUrl, etcd: etcd.endpoints[0]! };
}

/** Whether etcdctl with this client certificate could put a key (exit 0) at `endpoint`. */
async function canPut(endpoint: string, pair: { certFile: string; keyFile: string }): Promise<boolean> {
  const result = await etcdctl([endpoint], ['--cacert', certificates.caFile, '--cert', pair.certFile, '--key', pair.keyFile, '--dial-timeout=3s', '--command-timeout=5s', 'put', '/k', 'v']);
  return result.code === 0;
}

describe('certificate identity flags, side by side with etcd 3.4', () => {
  it('--client-crl-file refuses a revoked client certificate and accepts the others', async () => {
    const endpoints = await bothServers([`--client-crl-file=${crlFile}`]);
    const good = { certFile: certificates.clientCertFile, keyFile: certificates.clientKeyFile };
    const outcomes = async (endpoint: string): Promise<boolean[]> => [await canPut(endpoint, good), await canPut(endpoint, revoked)];
    const [fromEtcd, fromRafter] = await Promise.all([outcomes(endpoints.etcd), outcomes(endpoints.rafter)]);
    expect(fromEtcd).toEqual([true, false]);
    expect(fromRafter).toEqual(fromEtcd);
  }, 90_000);

  it('--client-cert-allowed-hostname accepts only a client certificate valid for that name', async () => {
    const endpoints = await bothServers(['--client-cert-allowed-hostname=client.rafter.test'], named);
    const unnamed = { certFile: certificates.clientCertFile, keyFile: certificates.clientKeyFile };
    const outcomes = async (endpoint: string): Promise<boolean[]> => [await canPut(endpoint, named), await canPut(endpoint, unnamed)];
    const [fromEtcd, fromRafter] = await Promise.all([outcomes(endpoints.etcd), outcomes(endpoints.rafter)]);
    expect(fromEtcd).toEqual([true, false]);
    expect(fromRafter).toEqual(fromEtcd);
  }, 90_000);

  it('--client-crl-file naming a file that is not a revocation list stops the member with a line naming the flag', async () => {
    const result = await runRafter([
      ...serverFlags([`--client-crl-file=${certificates.caFile}`]),
      '--listen-client-urls=https://127.0.0.1:0', '--advertise-client-urls=https://127.0.0.1:0',
      '--listen-peer-urls=http://127.0.0.1:0', `--data-dir=${certificates.dir}/crl-member`,
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`--client-crl-file ${certificates.caFile} holds no PEM certificate revocation list`);
  }, 30_000);
});

describe('--peer-cert-allowed-cn', () => {
  let cluster: RafterCluster;

  beforeAll(async () => {
    const dialler = await signClientCertificate(certificates, 'dialler', '/CN=rafter-member');
    cluster = await RafterCluster.start({
      members: 3,
      peerScheme: 'https',
      extraArgs: [
        // The peer server certificate is issued to CN=localhost; members dial with CN=rafter-member.
        `--peer-cert-file=${certificates.serverCertFile}`,
        `--peer-key-file=${certificates.serverKeyFile}`,
        `--peer-client-cert-file=${dialler.certFile}`,
        `--peer-client-key-file=${dialler.keyFile}`,
        `--peer-trusted-ca-file=${certificates.caFile}`,
        '--peer-client-cert-auth',
        '--peer-cert-allowed-cn=rafter-member',
      ],
    });
    clusters.push(cluster);
  }, 90_000);

  it('lets members whose certificates carry the name form a cluster and replicate', async () => {
    expect((await cluster.etcdctl(['put', '/peer/cn', 'ok'])).code).toBe(0);
    for (const member of cluster.members) {
      const read = await cluster.etcdctl(['get', '/peer/cn', '--consistency=s', '--print-value-only'], undefined, [`127.0.0.1:${member.clientPort}`]);
      expect(read.stdout.trim()).toBe('ok');
    }
  }, 60_000);

  it('closes a connection from a certificate the CA signed for another name before reading from it', async () => {
    const stranger = await signClientCertificate(certificates, 'stranger', '/CN=stranger');
    const target = cluster.members[0]!;
    const termBefore = (await cluster.raftStatus(target)).status.term;
    const outcome = await new Promise<{ received: number; secured: boolean }>((resolve) => {
      let received = 0;
      let secured = false;
      const socket = tls.connect({
        host: '127.0.0.1', port: target.peerPort, rejectUnauthorized: false,
        cert: readFileSync(stranger.certFile), key: readFileSync(stranger.keyFile),
      });
      // Whatever the stranger sends once through TLS must not be read.
      socket.on('secureConnect', () => {
        secured = true;
        socket.write(Buffer.alloc(64, 1));
      });
      socket.on('data', (chunk: Buffer) => (received += chunk.length));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve({ received, secured }));
    });
    expect(outcome.received).toBe(0);
    expect(target.log.join('\n')).toMatch(/refused a peer connection from 127\.0\.0\.1: CommonName authentication failed \(got stranger, want rafter-member\)/);
    expect((await cluster.raftStatus(target)).status.term).toBe(termBefore);
  }, 30_000);
});
