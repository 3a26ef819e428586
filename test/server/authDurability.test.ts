// Users, roles and the enabled flag are replicated state: a member that missed auth changes and
// caught up from a streamed snapshot enforces the same permissions as the others, and every member
// still does after all of them restart. Real member processes on loopback, the typed client.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { EtcdClient, EtcdError } from '../../core/client/index.js';
import { RafterCluster, type RafterMember } from '../support/rafterCluster.js';

let cluster: RafterCluster | undefined;
const clients: EtcdClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await cluster?.stop();
  cluster = undefined;
});

afterAll(async () => {
  await cluster?.stop();
});

function clientOf(members: readonly RafterMember[], user?: string, password?: string): EtcdClient {
  const client = new EtcdClient({
    endpoints: members.map((m) => `127.0.0.1:${m.clientPort}`),
    ...(user === undefined ? {} : { auth: { username: user, password: password ?? '' } }),
  });
  clients.push(client);
  return client;
}

/** Polls `check` until it holds (bounded). Used for convergence, never as a fixed sleep. */
async function eventually(check: () => Promise<boolean>, what: string, pollsMax = 600): Promise<void> {
  for (let poll = 0; poll < pollsMax; poll++) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`never happened: ${what}`);
}

async function failureOf(promise: Promise<unknown>): Promise<EtcdError> {
  const failure = await promise.then(() => undefined, (error: unknown) => error);
  expect(failure).toBeInstanceOf(EtcdError);
  return failure as EtcdError;
}

/** What alice may do through `alice` (a client of one member), read locally (serializable) so that member's auth store answers. */
async function aliceMay(alice: EtcdClient): Promise<{ app: string; late: string; secret: string; write: string }> {
  const outcome = (promise: Promise<unknown>): Promise<string> => promise.then(() => 'ok', (error: unknown) => (error instanceof EtcdError ? error.message : String(error)));
  return {
    app: await outcome(alice.kv.get('/app/x', { serializable: true })),
    late: await outcome(alice.kv.get('/late/x', { serializable: true })),
    secret: await outcome(alice.kv.get('/secret', { serializable: true })),
    write: await outcome(alice.kv.put('/late/x', 'no')),
  };
}

describe('auth state across snapshots and restarts', () => {
  it('a member catching up from a snapshot enforces the permissions it missed, and all do after restarting', async () => {
    cluster = await RafterCluster.start({ members: 3, snapshotCount: 50, snapshotCatchupEntries: 50 });
    const c = cluster;
    const setup = clientOf(c.members);
    await setup.auth.userAdd('root', 'rootpw');
    await setup.auth.userGrantRole('root', 'root');
    await setup.auth.roleAdd('reader');
    await setup.auth.roleGrantPermission('reader', 'read', '/app/', { prefix: true });
    await setup.auth.userAdd('alice', 'alicepw');
    await setup.auth.userGrantRole('alice', 'reader');
    await setup.auth.authEnable();

    const leader = await c.leader();
    const lagging = c.members.find((m) => m !== leader)!;
    await c.kill(lagging);
    const root = clientOf(c.members.filter((m) => m !== lagging), 'root', 'rootpw');
    await root.auth.roleAdd('late-reader');
    await root.auth.roleGrantPermission('late-reader', 'read', '/late/', { prefix: true });
    await root.auth.userGrantRole('alice', 'late-reader');
    await root.auth.userRevokeRole('alice', 'reader');
    for (let i = 0; i < 200; i++) await root.kv.put(`/fill/${i}`, `v${i}`);
    await root.kv.put('/secret', 's');
    await c.restart(lagging);
    const roots = c.members.map((m) => clientOf([m], 'root', 'rootpw'));
    await eventually(async () => {
      const statuses = await Promise.all(roots.map((r) => r.maintenance.status()));
      return new Set(statuses.map((s) => s.raftAppliedIndex)).size === 1;
    }, 'every member applied the same index');
    expect(lagging.log.join('\n')).toContain('installing a snapshot');

    const expected = { app: 'etcdserver: permission denied', late: 'ok', secret: 'etcdserver: permission denied', write: 'etcdserver: permission denied' };
    const alices = c.members.map((m) => clientOf([m], 'alice', 'alicepw'));
    for (const [i, alice] of alices.entries()) expect(await aliceMay(alice), c.members[i]!.name).toEqual(expected);
    const hashes = await Promise.all(roots.map((r) => r.maintenance.hash()));
    expect(new Set(hashes.map((h) => h.hash)).size, 'Hash (auth tables included) equal on every member').toBe(1);

    for (const member of c.members) await c.kill(member);
    await c.restartAll(c.members);
    for (const [i, alice] of alices.entries()) {
      expect(await aliceMay(alice), `${c.members[i]!.name} after restart`).toEqual(expected);
      const anonymous = await failureOf(clientOf([c.members[i]!]).kv.get('/late/x', { serializable: true }));
      expect(anonymous.message).toBe('etcdserver: user name is empty');
    }
  });

  it('keeps passwords out of the data directory and out of snapshots: only bcrypt hashes are stored', async () => {
    cluster = await RafterCluster.start({ members: 1 });
    const c = cluster;
    const password = 'Sup3r-Secret-Passw0rd';
    const client = clientOf(c.members);
    await client.auth.userAdd('alice', password);
    await client.auth.userChangePassword('alice', `${password}-2`);
    await client.auth.userAdd('root', password);
    await client.auth.userGrantRole('root', 'root');
    await client.auth.authEnable();
    await clientOf(c.members, 'alice', `${password}-2`).kv.get('/x').catch(() => undefined);
    const snapshotFile = path.join(c.baseDir, 'saved.db');
    const saved = await c.etcdctl(['--user', `root:${password}`, 'snapshot', 'save', snapshotFile]);
    expect(saved.code).toBe(0);
    const files: string[] = [snapshotFile];
    const walk = (dir: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else files.push(full);
      }
    };
    walk(c.members[0]!.dataDir);
    let hashes = 0;
    for (const file of files) {
      const bytes = fs.readFileSync(file);
      expect(bytes.includes(password), file).toBe(false);
      if (bytes.includes('$2b$10$')) hashes++;
    }
    expect(hashes, 'files holding bcrypt hashes at cost 10').toBeGreaterThan(0);
    expect(c.members[0]!.log.join('\n')).not.toContain(password);
  });
});
