// TLS on the client port of a real Rafter member, side by side with a real etcd 3.4 given the same
// certificates and flags (--cert-file, --key-file, --trusted-ca-file, --client-cert-auth): the
// real etcdctl with a client certificate works against both and prints the same; without one,
// with one from another CA, or in plaintext it is refused by both, and prints the same. The
// gateway, /health, /version and /metrics follow the listener's TLS; a plaintext connection to
// the TLS port is closed at once rather than left hanging. --auto-tls makes a certificate once
// and reuses it on restart; --tls-min-version is enforced; a bad certificate file stops `rafter`
// at start with one line naming it.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdTestCluster } from '../support/etcd.js';
import { etcdctl, RafterCluster, type CommandResult } from '../support/rafterCluster.js';
import { generateCertificates, type TestCertificates } from '../support/tls.js';

let certificates: TestCertificates;
let rafter: RafterCluster;
let etcd: EtcdTestCluster;
let trusted: { ca: Buffer; cert: Buffer; key: Buffer };

beforeAll(async () => {
  certificates = await generateCertificates();
  trusted = {
    ca: await fs.readFile(certificates.caFile),
    cert: await fs.readFile(certificates.clientCertFile),
    key: await fs.readFile(certificates.clientKeyFile),
  };
  rafter = await RafterCluster.start({
    members: 1,
    clientScheme: 'https',
    clientTls: trusted,
    extraArgs: [
      `--cert-file=${certificates.serverCertFile}`,
      `--key-file=${certificates.serverKeyFile}`,
      `--trusted-ca-file=${certificates.caFile}`,
      '--client-cert-auth',
    ],
  });
  etcd = await EtcdTestCluster.start({ tls: { certificates, clientCertAuth: true } });
}, 120_000);

afterAll(async () => {
  await rafter?.stop();
  await etcd?.stop();
  await certificates?.cleanup();
});

const rafterEndpoint = (): string => rafter.members[0]!.clientUrl;
const etcdEndpoint = (): string => etcd.members[0]!.clientUrl;

/** etcdctl with the given TLS flags against Rafter and against etcd. */
async function both(tlsFlags: readonly string[], args: readonly string[]): Promise<{ rafter: CommandResult; etcd: CommandResult }> {
  const short = ['--dial-timeout=1s', '--command-timeout=2s', ...tlsFlags, ...args];
  const [fromRafter, fromEtcd] = await Promise.all([etcdctl([rafterEndpoint()], short), etcdctl([etcdEndpoint()], short)]);
  return { rafter: fromRafter, etcd: fromEtcd };
}

/** The line etcdctl ends a failure with ("Error: ..."), without the JSON log lines before it. */
function errorLine(result: CommandResult): string {
  return result.stderr.split('\n').filter((line) => line.startsWith('Error:')).join('\n');
}

function httpsGet(url: string, options: https.RequestOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.request(url, { timeout: 5_000, servername: '', ...options }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    request.on('timeout', () => request.destroy(new Error('no answer')));
    request.on('error', reject);
    request.end(options.method === 'POST' ? '{"key":"dGxzL2E="}' : undefined);
  });
}

describe('TLS on the client port, against etcd 3.4 with the same flags', () => {
  const withCertificate = (): string[] => [`--cacert=${certificates.caFile}`, `--cert=${certificates.clientCertFile}`, `--key=${certificates.clientKeyFile}`];

  it('serves etcdctl presenting a client certificate the trusted CA signed, printing what etcd prints', async () => {
    for (const args of [['put', 'tls/a', 'secure'], ['get', 'tls/a'], ['get', 'tls/', '--prefix', '--keys-only'], ['del', 'tls/a'], ['get', 'tls/a']]) {
      const { rafter: fromRafter, etcd: fromEtcd } = await both(withCertificate(), args);
      expect({ args, code: fromRafter.code, stdout: fromRafter.stdout }).toEqual({ args, code: 0, stdout: fromEtcd.stdout });
      expect(fromEtcd.code).toBe(0);
    }
  });

  it('serves the commands etcdctl runs on a connection per endpoint (status, health, defrag, --cluster)', async () => {
    for (const args of [['endpoint', 'status'], ['endpoint', 'health', '--cluster'], ['endpoint', 'hashkv', '--cluster'], ['defrag'], ['member', 'list']]) {
      const result = await etcdctl([rafterEndpoint()], [...withCertificate(), ...args]);
      expect({ args, code: result.code }).toEqual({ args, code: 0 });
      // (endpoint health prints its verdict on stderr)
      expect(`${result.stdout}${result.stderr}`).toContain(rafterEndpoint());
      expect(result.stderr).not.toContain('Error');
    }
  });

  it('refuses etcdctl without a client certificate, as etcd does', async () => {
    const { rafter: fromRafter, etcd: fromEtcd } = await both([`--cacert=${certificates.caFile}`], ['get', 'tls/a']);
    expect(fromEtcd.code).not.toBe(0);
    expect(fromRafter.code).toBe(fromEtcd.code);
    expect(errorLine(fromRafter)).toBe(errorLine(fromEtcd));
    expect(fromRafter.stdout).toBe('');
  });

  it('refuses a client certificate signed by another CA, as etcd does', async () => {
    const flags = [`--cacert=${certificates.caFile}`, `--cert=${certificates.otherClientCertFile}`, `--key=${certificates.otherClientKeyFile}`];
    const { rafter: fromRafter, etcd: fromEtcd } = await both(flags, ['put', 'tls/b', 'intruder']);
    expect(fromEtcd.code).not.toBe(0);
    expect(fromRafter.code).toBe(fromEtcd.code);
    expect(errorLine(fromRafter)).toBe(errorLine(fromEtcd));
    const stored = await both(withCertificate(), ['get', 'tls/b']);
    expect(stored.rafter.stdout).toBe('');
  });

  it('is refused by etcdctl when its server certificate is not signed by the CA etcdctl trusts, as etcd is', async () => {
    const flags = [`--cacert=${certificates.otherCaFile}`, `--cert=${certificates.clientCertFile}`, `--key=${certificates.clientKeyFile}`];
    const { rafter: fromRafter, etcd: fromEtcd } = await both(flags, ['get', 'tls/a']);
    expect(fromEtcd.code).not.toBe(0);
    expect(fromRafter.code).toBe(fromEtcd.code);
    expect(errorLine(fromRafter)).toBe(errorLine(fromEtcd));
  });

  it('refuses etcdctl speaking plaintext to the TLS port, as etcd does', async () => {
    const plain = (url: string): string => url.replace('https://', '');
    const args = ['--dial-timeout=1s', '--command-timeout=2s', 'get', 'tls/a'];
    const [fromRafter, fromEtcd] = await Promise.all([etcdctl([plain(rafterEndpoint())], args), etcdctl([plain(etcdEndpoint())], args)]);
    expect(fromEtcd.code).not.toBe(0);
    expect(fromRafter.code).toBe(fromEtcd.code);
    expect(errorLine(fromRafter)).toBe(errorLine(fromEtcd));
  });

  it('closes a plaintext gRPC or HTTP connection to the TLS port at once, as etcd does, instead of leaving it open', async () => {
    const targets = [rafter.members[0]!.clientPort, etcd.members[0]!.clientPort];
    for (const [port, first] of targets.flatMap((p) => ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n'].map((f) => [p, f] as const))) {
      const closed = await new Promise<string>((resolve) => {
        const socket = net.connect({ host: '127.0.0.1', port });
        const received: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => received.push(chunk));
        socket.on('error', () => undefined);
        socket.on('close', () => resolve(Buffer.concat(received).toString('latin1')));
        socket.write(first);
      });
      // Whatever came back (a TLS alert at most) is no HTTP answer.
      expect(closed).not.toContain('HTTP/');
    }
  }, 15_000);

  it('serves /health, /version, /metrics and the JSON gateway over TLS to a client with a certificate only', async () => {
    const base = rafterEndpoint();
    const health = await httpsGet(`${base}/health`, trusted);
    expect(health).toEqual({ status: 200, body: '{"health":"true","reason":""}' });
    expect(JSON.parse((await httpsGet(`${base}/version`, trusted)).body)).toMatchObject({ etcdserver: '3.4.0' });
    expect((await httpsGet(`${base}/metrics`, trusted)).body).toContain('etcd_server_has_leader 1');
    const range = await httpsGet(`${base}/v3/kv/range`, { ...trusted, method: 'POST' });
    expect(range.status).toBe(200);
    expect(JSON.parse(range.body)).toHaveProperty('header');
    const refused = await httpsGet(`${base}/health`, { ca: trusted.ca }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(Error);
  });
});

describe('--auto-tls', () => {
  it('makes a self-signed certificate in the data directory at first start and reuses it after a restart', async () => {
    const cluster = await RafterCluster.start({ members: 1, clientScheme: 'https', clientTls: { rejectUnauthorized: false }, extraArgs: ['--auto-tls'] });
    try {
      const member = cluster.members[0]!;
      const certFile = path.join(member.dataDir, 'fixtures', 'client', 'cert.pem');
      const first = await fs.readFile(certFile, 'utf8');
      expect(((await fs.stat(path.join(member.dataDir, 'fixtures', 'client', 'key.pem'))).mode & 0o777).toString(8)).toBe('600');
      // etcdctl 3.4 dials plaintext unless told --insecure-transport=false.
      const insecure = ['--insecure-transport=false', '--insecure-skip-tls-verify', '--dial-timeout=2s'];
      expect((await etcdctl([member.clientUrl], [...insecure, 'put', 'auto', 'tls'])).stdout).toBe('OK\n');
      await cluster.kill(member, 'SIGTERM');
      await cluster.restart(member);
      expect(await fs.readFile(certFile, 'utf8')).toBe(first);
      expect((await etcdctl([member.clientUrl], [...insecure, 'get', 'auto', '--print-value-only'])).stdout).toBe('tls\n');
      // Without --insecure-skip-tls-verify, etcdctl cannot verify a self-signed certificate.
      const verified = await etcdctl([member.clientUrl], ['--dial-timeout=1s', '--command-timeout=2s', '--cacert', certificates.caFile, 'get', 'auto']);
      expect(verified.code).not.toBe(0);
    } finally {
      await cluster.stop();
    }
  }, 60_000);
});

describe('TLS versions and startup errors', () => {
  it('refuses a TLS 1.2 client under --tls-min-version=TLS1.3 and serves etcdctl, which speaks 1.3', async () => {
    const cluster = await RafterCluster.start({
      members: 1,
      clientScheme: 'https',
      clientTls: { ca: trusted.ca },
      extraArgs: [`--cert-file=${certificates.serverCertFile}`, `--key-file=${certificates.serverKeyFile}`, '--tls-min-version=TLS1.3'],
    });
    try {
      const member = cluster.members[0]!;
      const outcome = await new Promise<string>((resolve) => {
        const socket = tls.connect({ host: '127.0.0.1', port: member.clientPort, ca: trusted.ca, maxVersion: 'TLSv1.2' });
        socket.on('secureConnect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.on('error', (error: Error) => resolve(error.message));
      });
      expect(outcome).toMatch(/protocol version|alert/i);
      expect((await etcdctl([member.clientUrl], [`--cacert=${certificates.caFile}`, 'put', 'v13', 'ok'])).stdout).toBe('OK\n');
    } finally {
      await cluster.stop();
    }
  }, 60_000);

  it('stops at start with one line naming the key file that does not match the certificate', async () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'rafter-badkey-'));
    try {
      const result = await new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', path.join(root, 'core/cli/main.ts'), `--data-dir=${dataDir}`, '--listen-client-urls=https://127.0.0.1:0', '--listen-peer-urls=http://127.0.0.1:0',
            `--cert-file=${certificates.serverCertFile}`, `--key-file=${certificates.clientKeyFile}`],
          { cwd: root, timeout: 30_000 },
          (error, _stdout, stderr) => resolve({ code: typeof error?.code === 'number' ? error.code : 0, stderr }),
        );
      });
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n').at(-1)).toBe(
        `rafter: the private key in --key-file ${certificates.clientKeyFile} does not match the certificate in --cert-file ${certificates.serverCertFile}`,
      );
      await expect(fs.access(path.join(dataDir, 'member'))).rejects.toThrow();
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  }, 40_000);
});
