// Saved connection passwords: kept across restarts, encrypted, only when the user asked and the
// host has a cipher (the desktop app's keychain); never written in the web console. A real etcd
// with authentication enabled shows the saved password is the one used after a restart. The
// cipher here is AES-256-GCM with a key held by the test, standing in for Electron's safeStorage,
// which cannot run outside Electron.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AdminService, webPasswordNotice } from '../../core/admin/adminService.js';
import { appDataOptions } from '../../core/admin/appData.js';
import type { SecretCipher } from '../../core/admin/secretFile.js';
import { EtcdTestCluster } from '../support/etcd.js';
import { aesCipher, value } from '../support/adminResults.js';

let etcd: EtcdTestCluster;
let dataDir: string;
const services: AdminService[] = [];
const key = randomBytes(32);

beforeAll(async () => {
  etcd = await EtcdTestCluster.start({ members: 1 });
  const admin = etcd.client();
  await admin.auth.userAdd('root', 'root-password');
  await admin.auth.roleAdd('root');
  await admin.auth.userGrantRole('root', 'root');
  await admin.kv.put('/saved/key', 'readable with the password');
  await admin.auth.authEnable();
}, 120_000);

afterAll(async () => {
  await etcd?.stop();
});

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'rafter-secrets-'));
});

afterEach(async () => {
  for (const service of services.splice(0)) await service.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function open(cipher: SecretCipher | null): Promise<AdminService> {
  const service = new AdminService(appDataOptions(dataDir, null, {}, cipher));
  services.push(service);
  await service.open();
  return service;
}

async function restart(service: AdminService, cipher: SecretCipher | null): Promise<AdminService> {
  await service.close();
  services.splice(services.indexOf(service), 1);
  return open(cipher);
}

const config = (remember: boolean) => ({ name: 'etcd with auth', endpoints: etcd.endpoints, username: 'root', password: 'root-password', rememberPassword: remember });

describe('saved connection passwords', () => {
  it('keeps a password the user asked to remember, encrypted, and uses it after a restart', async () => {
    const first = await open(aesCipher(key));
    expect(value(await first.connectionCapabilities({}))).toEqual({ canSavePasswords: true, passwordNotice: null });
    const added = value(await first.addConnection({ config: config(true) }));
    expect(added).toMatchObject({ hasPassword: true, passwordSaved: true });
    const secretsFile = await readFile(path.join(dataDir, 'secrets.json'), 'utf8');
    expect(secretsFile).not.toContain('root-password');
    expect(await readFile(path.join(dataDir, 'connections.json'), 'utf8')).not.toContain('root-password');

    const second = await restart(first, aesCipher(key));
    expect(value(await second.listConnections({}))).toMatchObject([{ id: added.id, hasPassword: true, passwordSaved: true }]);
    const read = value(await second.getKey({ connectionId: added.id, key: '/saved/key' }));
    expect(Buffer.from(read.value, 'base64').toString()).toBe('readable with the password');

    value(await second.removeConnection({ connectionId: added.id }));
    expect(await readFile(path.join(dataDir, 'secrets.json'), 'utf8')).not.toContain(added.id);
  });

  it('forgets a password the user did not ask to remember', async () => {
    const first = await open(aesCipher(key));
    const added = value(await first.addConnection({ config: config(false) }));
    expect(added).toMatchObject({ hasPassword: true, passwordSaved: false });
    const second = await restart(first, aesCipher(key));
    expect(value(await second.listConnections({}))).toMatchObject([{ hasPassword: false, passwordSaved: false }]);
    const read = await second.getKey({ connectionId: added.id, key: '/saved/key' });
    expect(read.ok).toBe(false);
  });

  it('never writes a password where the host has no cipher (the web console), and says so', async () => {
    const first = await open(null);
    expect(value(await first.connectionCapabilities({}))).toEqual({ canSavePasswords: false, passwordNotice: webPasswordNotice });
    const added = value(await first.addConnection({ config: config(true) }));
    expect(added).toMatchObject({ hasPassword: true, passwordSaved: false });
    const read = value(await first.getKey({ connectionId: added.id, key: '/saved/key' }));
    expect(Buffer.from(read.value, 'base64').toString()).toBe('readable with the password');
    expect(existsSync(path.join(dataDir, 'secrets.json'))).toBe(false);
    expect(await readFile(path.join(dataDir, 'connections.json'), 'utf8')).not.toContain('root-password');
    const second = await restart(first, null);
    expect(value(await second.listConnections({}))).toMatchObject([{ hasPassword: false }]);
  });

  it('answers with the host’s own reason when the desktop app has no keychain', async () => {
    const notice = 'No system keychain is available, so passwords are not saved.';
    const service = new AdminService({ ...appDataOptions(dataDir, null), passwordNotice: notice });
    services.push(service);
    await service.open();
    expect(value(await service.connectionCapabilities({}))).toEqual({ canSavePasswords: false, passwordNotice: notice });
  });

  it('drops saved passwords another keychain encrypted, and keeps the connection', async () => {
    const first = await open(aesCipher(key));
    value(await first.addConnection({ config: config(true) }));
    const second = await restart(first, aesCipher(randomBytes(32)));
    expect(value(await second.listConnections({}))).toMatchObject([{ name: 'etcd with auth', hasPassword: false, passwordSaved: false }]);
  });
});
