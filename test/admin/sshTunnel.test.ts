// Connections through an SSH host, against a real sshd (OpenSSH, test/support/sshd.ts) in front of
// a real Rafter member and a real etcd 3.4 with TLS: the console service's keys, watches and status
// go through the tunnel; the bastion's host key is learned, pinned and a changed one refused; a
// dropped SSH connection comes back; wrong passwords, keys and passphrases fail in words; SSH
// secrets go to the secret store, never to connections.json.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminEvent, ConnectionConfig, SshConfig } from '../../core/admin/api.js';
import { AdminService } from '../../core/admin/adminService.js';
import { EtcdTestCluster } from '../support/etcd.js';
import { RafterCluster } from '../support/rafterCluster.js';
import { keyPassphrase, SshServer, sshdUnavailable } from '../support/sshd.js';
import { generateCertificates } from '../support/tls.js';
import type { TestCertificates } from '../support/tls.js';
import { aesCipher, value } from '../support/adminResults.js';

const unavailable = sshdUnavailable();
if (unavailable !== null) throw new Error(`The SSH tunnel tests need a real sshd: ${unavailable}.`);

let sshd: SshServer;
let rafter: RafterCluster;
let etcd: EtcdTestCluster;
let certificates: TestCertificates;
let tempDir: string;
let service: AdminService;
const cipherKey = randomBytes(32);

const b64 = (plain: string) => Buffer.from(plain, 'utf8').toString('base64');
const text = (base64: string) => Buffer.from(base64, 'base64').toString('utf8');

function openService(): AdminService {
  return new AdminService({ connectionsFile: path.join(tempDir, 'connections.json'), secrets: { file: path.join(tempDir, 'secrets.json'), cipher: aesCipher(cipherKey) } });
}

function ssh(extra: Partial<SshConfig> = {}): SshConfig {
  return { host: '127.0.0.1', port: sshd.port, username: sshd.username, privateKeyPem: sshd.key.privateKeyPem, ...extra };
}

/** Puts, reads back, lists and watches through the connection. */
async function useKeys(connectionId: string, prefix: string): Promise<void> {
  const watch = value(await service.startWatch({ connectionId, key: prefix, prefix: true, prevKv: false }));
  const events: string[] = [];
  const gotTwo = new Promise<void>((resolve) => {
    void service.subscribe({ kind: 'watch', watchId: watch.watchId }, (event: AdminEvent) => {
      if (event.kind === 'watch') for (const item of event.events) events.push(item.key);
      if (events.length >= 2) resolve();
    });
  });
  value(await service.putKey({ connectionId, key: `${prefix}a`, value: b64('one') }));
  value(await service.putKey({ connectionId, key: `${prefix}b`, value: b64('two') }));
  expect(text(value(await service.getKey({ connectionId, key: `${prefix}a` })).value)).toBe('one');
  expect(value(await service.listKeys({ connectionId, prefix, cursor: null, limit: 10 })).items.map((item) => item.key)).toEqual([`${prefix}a`, `${prefix}b`]);
  await gotTwo;
  expect(events).toEqual([`${prefix}a`, `${prefix}b`]);
  value(await service.stopWatch({ watchId: watch.watchId }));
}

beforeAll(async () => {
  certificates = await generateCertificates();
  [sshd, rafter, etcd] = await Promise.all([SshServer.start(), RafterCluster.start({ members: 1 }), EtcdTestCluster.start({ tls: { certificates } })]);
  tempDir = await mkdtemp(path.join(os.tmpdir(), 'rafter-ssh-'));
  service = openService();
  await service.open();
}, 120_000);

afterAll(async () => {
  await service?.close();
  await Promise.all([sshd?.stop(), rafter?.stop(), etcd?.stop()]);
  await certificates?.cleanup();
  if (tempDir) await rm(tempDir, { recursive: true, force: true });
});

describe('a connection through an SSH host', () => {
  let rafterId: string;

  it('shows the host key on a test, then reads and writes a Rafter member through the tunnel with a private key', async () => {
    const config: ConnectionConfig = { name: 'rafter via ssh', endpoints: rafter.endpoints, ssh: ssh(), rememberPassword: true };
    const probe = value(await service.testConnection({ config }));
    expect(probe.sshHostKeySha256).toBe(sshd.hostKeys.first);
    expect(probe.memberCount).toBe(1);
    const saved = value(await service.addConnection({ config }));
    expect(saved.ssh).toEqual({ host: '127.0.0.1', port: sshd.port, username: sshd.username, hostKeySha256: null });
    rafterId = saved.id;
    const relayedBefore = sshd.connectionsRelayed;
    await useKeys(rafterId, '/ssh/rafter/');
    expect(sshd.connectionsRelayed).toBe(relayedBefore + 1);
    const status = value(await service.clusterStatus({ connectionId: rafterId }));
    expect(status.members.every((member) => member.error === null)).toBe(true);
    // Rafter's raft inspection endpoint (plain HTTP to the member's client URL) goes through it too.
    const window = value(await service.raftLogWindow({ connectionId: rafterId, memberId: status.members[0]!.id, fromIndex: null, limit: 10 }));
    expect(window.entries.length).toBeGreaterThan(0);
    expect(await sshd.logText()).toMatch(/Accepted publickey for/);
  });

  it('pins the host key learned on the first connection and keeps the SSH secrets out of connections.json', async () => {
    const listed = value(await service.listConnections({})).find((connection) => connection.id === rafterId);
    expect(listed?.ssh?.hostKeySha256).toBe(sshd.hostKeys.first);
    const file = await readFile(path.join(tempDir, 'connections.json'), 'utf8');
    expect(file).toContain(sshd.hostKeys.first);
    expect(file).not.toContain('PRIVATE KEY');
    expect(file).not.toMatch(/privateKeyPem|passphrase|"password"/);
    const secrets = await readFile(path.join(tempDir, 'secrets.json'), 'utf8');
    expect(Object.keys(JSON.parse(secrets) as object)).toContain(`${rafterId}/ssh`);
    expect(secrets).not.toContain('PRIVATE KEY');
    const editable = value(await service.getConnection({ connectionId: rafterId }));
    expect(editable).toMatchObject({ hasSshKey: true, hasSshPassword: false });
    expect(editable.config.ssh?.privateKeyPem).toBeUndefined();
  });

  it('comes back after the SSH connection drops, and fails in words while the host is unreachable', async () => {
    sshd.hold(true);
    sshd.cut();
    try {
      const failed = await service.getKey({ connectionId: rafterId, key: '/ssh/rafter/a' });
      expect(failed.ok).toBe(false);
      if (!failed.ok) expect(failed.error.message).toMatch(/SSH host root@127\.0\.0\.1:\d+ closed the connection before the SSH handshake/);
    } finally {
      sshd.hold(false);
    }
    const relayedBefore = sshd.connectionsRelayed;
    expect(text(value(await service.getKey({ connectionId: rafterId, key: '/ssh/rafter/b' })).value)).toBe('two');
    expect(sshd.connectionsRelayed).toBe(relayedBefore + 1);
  });

  it('goes through to etcd 3.4 with TLS, verifying the certificate against the endpoint name as the bastion sees it', async () => {
    const endpoint = `https://localhost:${etcd.members[0]!.clientPort}`;
    const config: ConnectionConfig = { name: 'etcd via ssh', endpoints: [endpoint], tls: { caPem: certificates.caPem, skipVerify: false }, ssh: ssh({ privateKeyPem: sshd.protectedKey.privateKeyPem, passphrase: keyPassphrase }) };
    const probe = value(await service.testConnection({ config }));
    expect(probe.version).toMatch(/^3\.4\./);
    const saved = value(await service.addConnection({ config }));
    await useKeys(saved.id, '/ssh/etcd/');
  });

  it('keeps the SSH secrets in the secret store across a restart of the service', async () => {
    await service.close();
    service = openService();
    await service.open();
    expect(text(value(await service.getKey({ connectionId: rafterId, key: '/ssh/rafter/a' })).value)).toBe('one');
  });

  it('refuses a host key other than the pinned one, in words', async () => {
    await sshd.changeHostKey();
    sshd.cut();
    const refused = await service.getKey({ connectionId: rafterId, key: '/ssh/rafter/a' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'failed_precondition' } });
    if (!refused.ok) {
      expect(refused.error.message).toContain(`presented host key ${sshd.hostKeys.second}, not the pinned ${sshd.hostKeys.first}`);
      expect(refused.error.message).toMatch(/clear the pinned key/);
    }
    const explicit = await service.testConnection({ config: { name: 'pinned', endpoints: rafter.endpoints, ssh: ssh({ hostKeySha256: sshd.hostKeys.first }) } });
    expect(explicit).toMatchObject({ ok: false, error: { code: 'failed_precondition' } });
  });
});

describe('SSH logins that fail', () => {
  const endpoints = (): string[] => rafter.endpoints;

  it('says the login was refused for a wrong password', async () => {
    const result = await service.testConnection({ config: { name: 'x', endpoints: endpoints(), ssh: { host: '127.0.0.1', port: sshd.port, username: sshd.username, password: 'not the password' } } });
    expect(result).toMatchObject({ ok: false, error: { code: 'permission_denied' } });
    if (!result.ok) expect(result.error.message).toMatch(/refused the login: wrong password or key/);
  });

  it('says the login was refused for a key the host does not accept', async () => {
    const result = await service.testConnection({ config: { name: 'x', endpoints: endpoints(), ssh: ssh({ privateKeyPem: sshd.strangerKey.privateKeyPem }) } });
    expect(result).toMatchObject({ ok: false, error: { code: 'permission_denied' } });
  });

  it('says the key could not be read for a wrong passphrase or a damaged key', async () => {
    const wrong = await service.testConnection({ config: { name: 'x', endpoints: endpoints(), ssh: ssh({ privateKeyPem: sshd.protectedKey.privateKeyPem, passphrase: 'wrong' }) } });
    expect(wrong).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
    if (!wrong.ok) expect(wrong.error.message).toMatch(/private key could not be read.*passphrase/);
    const damaged = await service.testConnection({ config: { name: 'x', endpoints: endpoints(), ssh: ssh({ privateKeyPem: '-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n-----END OPENSSH PRIVATE KEY-----\n' }) } });
    expect(damaged).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
  });

  it('says nothing listens when the SSH port is closed', async () => {
    sshd.hold(true);
    try {
      const result = await service.testConnection({ config: { name: 'x', endpoints: endpoints(), ssh: ssh() } });
      expect(result).toMatchObject({ ok: false, error: { code: 'connection_failed' } });
    } finally {
      sshd.hold(false);
    }
  });
});
