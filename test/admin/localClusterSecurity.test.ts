// Secured local clusters through the AdminService, with real `rafter` member processes: three
// members with TLS from the cluster's own CA, client certificates required on both ports and
// authentication on, used through the console's connection (keys, auth calls, partition hooks);
// plaintext, certificate-less and unprivileged clients refused; the cluster coming back after a
// restart of the console with the password from the secret store, and without one by its client
// certificate; an auto-TLS cluster the console reaches without verification and says so; an empty
// root password refused in words. The cipher is AES-256-GCM with a key held by the test, standing
// in for Electron's safeStorage, which cannot run outside Electron.
import { randomBytes } from 'node:crypto';
import { readFile, rm, stat, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalClusterInfo, Result } from '../../core/admin/api.js';
import { AdminService } from '../../core/admin/adminService.js';
import { appDataOptions } from '../../core/admin/appData.js';
import type { MemberCommand } from '../../core/admin/localMember.js';
import { compiledMemberCommand } from '../../core/admin/memberCommand.js';
import { EtcdClient } from '../../core/client/etcdClient.js';
import { issueCertificate } from '../../core/tls/certificateAuthority.js';
import { aesCipher, value } from '../support/adminResults.js';

/** Reads retried while a restarted cluster elects a leader (each ~100 ms apart): a bound, not a pause. */
const readAttemptsMax = 150;

const text = (base64: string): string => Buffer.from(base64, 'base64').toString('utf8');
const base64 = (plain: string): string => Buffer.from(plain).toString('base64');

let dataDir: string;
let memberCommand: MemberCommand;
const cipher = aesCipher(randomBytes(32));
const services: AdminService[] = [];

async function openService(withSecrets: boolean): Promise<AdminService> {
  const service = new AdminService(appDataOptions(dataDir, memberCommand, {}, withSecrets ? cipher : null));
  services.push(service);
  await service.open();
  return service;
}

async function closeService(service: AdminService): Promise<void> {
  await service.close();
  services.splice(services.indexOf(service), 1);
}

/** Reads `key` once the (restarted) cluster serves it, bounded; the last error otherwise. */
async function readEventually(service: AdminService, connectionId: string, key: string): Promise<Result<string>> {
  let read = await service.getKey({ connectionId, key });
  for (let attempt = 0; attempt < readAttemptsMax && !read.ok && read.error.code !== 'unauthenticated'; attempt++) {
    await delay(100);
    read = await service.getKey({ connectionId, key });
  }
  return read.ok ? { ok: true, value: text(read.value.value) } : read;
}

/** The error a client call fails with, as text. */
async function refusal(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error('the call succeeded');
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'rafter-secured-local-'));
  const command = compiledMemberCommand();
  if (!command) throw new Error('the rafter member command is missing from this checkout');
  memberCommand = command;
});

afterAll(async () => {
  for (const service of services) await service.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('a local cluster with its own CA, client certificates and authentication', () => {
  let service: AdminService;
  let cluster: LocalClusterInfo;
  let tlsFolder: string;

  beforeAll(async () => {
    service = await openService(true);
    cluster = value(await service.createLocalCluster({ name: 'vault', memberCount: 3, security: { tls: 'ca', rootPassword: 'root-secret' } }));
    tlsFolder = path.join(cluster.dataDir, 'tls');
  }, 180_000);

  it('launches three members on https, with the CA and the console’s client certificate in the cluster’s folder', async () => {
    expect(cluster.members.map((member) => [member.name, member.state])).toEqual([['m1', 'running'], ['m2', 'running'], ['m3', 'running']]);
    expect(cluster.members.every((member) => member.clientUrl.startsWith('https://127.0.0.1:') && member.peerUrl.startsWith('https://127.0.0.1:'))).toBe(true);
    expect(cluster.security).toEqual({ tls: 'ca', auth: true });
    expect(cluster.securityNotes.join(' ')).toContain(tlsFolder);
    expect(cluster.securityNotes.join(' ')).toContain('signs in as root');
    for (const name of ['ca.key', 'client.key', 'member-m1.key']) expect((await stat(path.join(tlsFolder, name))).mode & 0o077).toBe(0);
    const connection = value(await service.listConnections({})).find((candidate) => candidate.id === cluster.connectionId)!;
    expect(connection).toMatchObject({ name: 'local: vault', tlsEnabled: true, skipVerify: false, username: 'root', hasPassword: true, passwordSaved: true });
    // The password is kept only by the secret store: neither the connections file nor the clusters file holds it.
    for (const file of ['connections.json', path.join('clusters', 'clusters.json')]) expect(await readFile(path.join(dataDir, file), 'utf8')).not.toContain('root-secret');
  });

  it('writes and reads keys, and manages auth, through the console’s connection as root', async () => {
    const connectionId = cluster.connectionId;
    value(await service.putKey({ connectionId, key: 'app/greeting', value: base64('hello over TLS') }));
    expect(text(value(await service.getKey({ connectionId, key: 'app/greeting' })).value)).toBe('hello over TLS');
    expect(value(await service.listKeys({ connectionId, prefix: 'app/', cursor: null, limit: 10 })).items.map((item) => item.key)).toEqual(['app/greeting']);
    expect(value(await service.authStatus({ connectionId }))).toEqual({ enabled: true });
    expect(value(await service.listUsers({ connectionId }))).toEqual([{ name: 'root', roles: ['root'] }]);
    expect(value(await service.clusterStatus({ connectionId })).members.filter((member) => member.healthy)).toHaveLength(3);
  });

  it('refuses a plaintext client, a TLS client without a certificate, and a certificate whose user may not write', async () => {
    const endpoints = cluster.members.map((member) => member.clientUrl);
    const ca = await readFile(path.join(tlsFolder, 'ca.crt'), 'utf8');
    const plaintext = new EtcdClient({ endpoints: endpoints.map((url) => url.replace('https://', 'http://')), callTimeoutMs: 3_000 });
    const noCertificate = new EtcdClient({ endpoints, tls: { caPem: ca }, callTimeoutMs: 3_000 });
    const guest = issueCertificate({ certPem: ca, keyPem: await readFile(path.join(tlsFolder, 'ca.key'), 'utf8') }, { commonName: 'guest', hosts: [], serverAuth: false, clientAuth: true });
    const guestClient = new EtcdClient({ endpoints, tls: { caPem: ca, certPem: guest.certPem, keyPem: guest.keyPem }, callTimeoutMs: 3_000 });
    try {
      expect(await refusal(() => plaintext.kv.put('app/plain', 'x'))).toMatch(/unavailable|Failed to connect/);
      expect(await refusal(() => noCertificate.kv.put('app/no-cert', 'x'))).toMatch(/certificate required/);
      expect(await refusal(() => guestClient.kv.put('app/guest', 'x'))).toMatch(/permission denied|user name not found|authentication/i);
    } finally {
      plaintext.close();
      noCertificate.close();
      guestClient.close();
    }
    expect((await service.getKey({ connectionId: cluster.connectionId, key: 'app/guest' })).ok).toBe(false);
  });

  it('gives a member added later its own certificate from the cluster’s CA', async () => {
    const added = value(await service.addLocalMember({ clusterId: cluster.id, asLearner: false }));
    expect(added).toMatchObject({ name: 'm4', state: 'running' });
    expect(added.clientUrl.startsWith('https://')).toBe(true);
    expect(await readFile(path.join(tlsFolder, 'member-m4.crt'), 'utf8')).toContain('BEGIN CERTIFICATE');
    value(await service.removeLocalMember({ clusterId: cluster.id, memberName: 'm4' }));
    expect(value(await service.listLocalClusters({}))[0]!.members.map((member) => member.name)).toEqual(['m1', 'm2', 'm3']);
  }, 120_000);

  it('partitions and heals a member through its fault hooks over TLS', async () => {
    value(await service.partitionMember({ clusterId: cluster.id, memberName: 'm3' }));
    expect(value(await service.listLocalClusters({}))[0]!.members.find((member) => member.name === 'm3')!.state).toBe('partitioned');
    value(await service.healPartitions({ clusterId: cluster.id }));
    expect(value(await service.listLocalClusters({}))[0]!.members.find((member) => member.name === 'm3')!.state).toBe('running');
  });

  it('comes back after a restart of the console, signing in with the password from the secret store', async () => {
    await closeService(service);
    service = await openService(true);
    const [restored] = value(await service.listLocalClusters({}));
    expect(restored!.security).toEqual({ tls: 'ca', auth: true });
    expect(restored!.members.every((member) => member.state === 'running')).toBe(true);
    expect(value(await readEventually(service, restored!.connectionId, 'app/greeting'))).toBe('hello over TLS');
    expect(value(await service.listConnections({})).find((connection) => connection.id === restored!.connectionId)).toMatchObject({ username: 'root', passwordSaved: true });
  }, 120_000);

  it('without a secret store, comes back signing in as root by its client certificate, and says so', async () => {
    await closeService(service);
    service = await openService(false);
    const [restored] = value(await service.listLocalClusters({}));
    expect(restored!.securityNotes.join(' ')).toContain('by its client certificate');
    expect(value(await readEventually(service, restored!.connectionId, 'app/greeting'))).toBe('hello over TLS');
    expect(value(await service.listUsers({ connectionId: restored!.connectionId })).map((user) => user.name)).toEqual(['root']);
    value(await service.destroyLocalCluster({ clusterId: restored!.id }));
  }, 120_000);
});

describe('a local cluster with auto TLS', () => {
  it('is reached without verifying its self-signed certificates, and the console says so', async () => {
    for (const open of [...services]) await closeService(open);
    const service = await openService(false);
    const cluster = value(await service.createLocalCluster({ name: 'quick', memberCount: 1, security: { tls: 'auto', rootPassword: 'pw' } }));
    expect(cluster.securityNotes.join(' ')).toMatch(/self-signed.*does not verify/);
    const connection = value(await service.listConnections({})).find((candidate) => candidate.id === cluster.connectionId)!;
    expect(connection).toMatchObject({ tlsEnabled: true, skipVerify: true, username: 'root', hasPassword: true, passwordSaved: false });
    value(await service.putKey({ connectionId: cluster.connectionId, key: 'k', value: base64('v') }));
    const verifying = new EtcdClient({ endpoints: [cluster.members[0]!.clientUrl], tls: {}, callTimeoutMs: 3_000 });
    try {
      expect(await refusal(() => verifying.kv.get('k'))).toMatch(/certificate/i);
    } finally {
      verifying.close();
    }
    // Restarted without a secret store, the password is gone and the notes say where to type it.
    await closeService(service);
    const next = await openService(false);
    const [restored] = value(await next.listLocalClusters({}));
    expect(restored!.securityNotes.join(' ')).toContain('type the root password in the connection’s settings');
    const read = await readEventually(next, restored!.connectionId, 'k');
    expect(read.ok).toBe(false);
    value(await next.destroyLocalCluster({ clusterId: restored!.id }));
  }, 180_000);

  it('refuses an empty root password in words', async () => {
    const service = services[0] ?? (await openService(false));
    const result = await service.createLocalCluster({ name: 'empty', memberCount: 1, security: { tls: 'off', rootPassword: ' ' } });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toEqual({ code: 'invalid_argument', message: expect.stringContaining('The root password is empty') as unknown });
    expect(value(await service.listLocalClusters({}))).toEqual([]);
  });
});
