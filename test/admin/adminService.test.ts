// The AdminService against a real etcd: connections, keys with paging and history, export and
// import, watches with events, leases, snapshots, maintenance, auth and cluster status.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminEvent, KeyPage } from '../../core/admin/api.js';
import { AdminService } from '../../core/admin/adminService.js';
import { keySkipChunkKeys } from '../../core/admin/keysService.js';
import { EtcdClient } from '../../core/client/etcdClient.js';
import { Op } from '../../core/client/txn.js';
import { EtcdTestCluster } from '../support/etcd.js';
import { freePorts } from '../support/ports.js';
import { value } from '../support/adminResults.js';

let etcd: EtcdTestCluster;
let service: AdminService;
let connectionId: string;
let tempDir: string;

const text = (base64: string) => Buffer.from(base64, 'base64').toString('utf8');
const b64 = (plain: string) => Buffer.from(plain, 'utf8').toString('base64');

beforeAll(async () => {
  etcd = await EtcdTestCluster.start();
  tempDir = await mkdtemp(path.join(os.tmpdir(), 'rafter-admin-'));
  service = new AdminService({ connectionsFile: path.join(tempDir, 'connections.json') });
  await service.open();
  connectionId = value(await service.addConnection({ config: { name: 'etcd', endpoints: etcd.endpoints } })).id;
});

afterAll(async () => {
  await service.close();
  await etcd.stop();
  await rm(tempDir, { recursive: true, force: true });
});

describe('connections', () => {
  it('probes a cluster before saving it', async () => {
    const probe = value(await service.testConnection({ config: { name: 'probe', endpoints: etcd.endpoints } }));
    expect(probe.version).toMatch(/^3\./);
    expect(probe.memberCount).toBe(1);
    expect(probe.clusterId).toMatch(/^[0-9]+$/);
  });

  it('reports an endpoint nobody listens on as a connection failure', async () => {
    const [port] = await freePorts(1);
    const result = await service.testConnection({ config: { name: 'nowhere', endpoints: [`127.0.0.1:${port!}`] } });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(['connection_failed', 'deadline_exceeded']).toContain(result.error.code);
  });

  it('keeps saved connections in its file without passwords, and refuses duplicate names', async () => {
    const saved = value(await service.addConnection({ config: { name: 'with-user', endpoints: etcd.endpoints, username: 'u', password: 'p' } }));
    expect(saved).toMatchObject({ username: 'u', hasPassword: true });
    const file = await readFile(path.join(tempDir, 'connections.json'), 'utf8');
    expect(file).toContain('with-user');
    expect(file).not.toContain('"password"');
    const duplicate = await service.addConnection({ config: { name: 'with-user', endpoints: etcd.endpoints } });
    expect(duplicate).toMatchObject({ ok: false, error: { code: 'already_exists' } });
    value(await service.removeConnection({ connectionId: saved.id }));
    expect((await service.listKeys({ connectionId: saved.id, prefix: '', cursor: null, limit: 1 })).ok).toBe(false);
  });

  it('hands out a connection for editing without its secrets, and updates it keeping them when asked', async () => {
    const config = { name: 'editable', endpoints: ['127.0.0.1:1'], username: 'u', password: 'secret', tls: { skipVerify: false, certPem: 'CERT', keyPem: 'KEY' } };
    const saved = value(await service.addConnection({ config }));
    const editable = value(await service.getConnection({ connectionId: saved.id }));
    expect(editable).toEqual({ config: { name: 'editable', endpoints: ['127.0.0.1:1'], username: 'u', tls: { skipVerify: false, certPem: 'CERT' } }, hasPassword: true, hasClientKey: true, hasSshPassword: false, hasSshKey: false });
    const moved = { name: 'edited', endpoints: etcd.endpoints, username: 'u' };
    expect(value(await service.updateConnection({ connectionId: saved.id, config: moved, keepPassword: true, keepClientKey: true }))).toMatchObject({ id: saved.id, name: 'edited', endpoints: etcd.endpoints, hasPassword: true, tlsEnabled: false });
    // The connection's client is made again: it now reaches the etcd it points at.
    expect((await service.listKeys({ connectionId: saved.id, prefix: '', cursor: null, limit: 1 })).ok).toBe(true);
    expect(value(await service.updateConnection({ connectionId: saved.id, config: { name: 'edited', endpoints: etcd.endpoints }, keepPassword: true, keepClientKey: true })).hasPassword).toBe(false);
    expect(await service.updateConnection({ connectionId: saved.id, config: { name: 'etcd', endpoints: etcd.endpoints }, keepPassword: false, keepClientKey: false })).toMatchObject({ ok: false, error: { code: 'already_exists' } });
    value(await service.removeConnection({ connectionId: saved.id }));
  });
});

describe('keys', () => {
  it('lists a folder’s sub-folders and keys from the server by skip-scan, a page of entries at a time', async () => {
    const client = etcd.client();
    for (let index = 0; index < 300; index++) await client.kv.put(`/f/a/${String(index).padStart(3, '0')}`, 'x');
    for (const key of ['/f/b/x', '/f/c', '/f/d/y/z', '/f/e', '/g/outside']) await client.kv.put(key, 'x');
    const whole = value(await service.listFolder({ connectionId, prefix: '/f/', cursor: null, limit: 100 }));
    expect(whole.folders).toEqual([{ name: 'a/', prefix: '/f/a/' }, { name: 'b/', prefix: '/f/b/' }, { name: 'd/', prefix: '/f/d/' }]);
    expect(whole.keys.map((item) => item.key)).toEqual(['/f/c', '/f/e']);
    expect(whole.nextCursor).toBeNull();
    const first = value(await service.listFolder({ connectionId, prefix: '/f/', cursor: null, limit: 2 }));
    expect(first.folders.map((folder) => folder.name)).toEqual(['a/', 'b/']);
    expect(first.nextCursor).not.toBeNull();
    const second = value(await service.listFolder({ connectionId, prefix: '/f/', cursor: first.nextCursor, limit: 2 }));
    expect([...second.keys.map((item) => item.key), ...second.folders.map((folder) => folder.prefix)]).toEqual(['/f/c', '/f/d/']);
    const root = value(await service.listFolder({ connectionId, prefix: '', cursor: null, limit: 100 }));
    expect(root.folders.map((folder) => folder.name)).toEqual(expect.arrayContaining(['/f/', '/g/']));
  });

  it('pages through a prefix with a cursor, in key order, without loading everything', async () => {
    for (let index = 0; index < 25; index++) value(await service.putKey({ connectionId, key: `/page/${String(index).padStart(2, '0')}`, value: b64(`v${index}`) }));
    value(await service.putKey({ connectionId, key: '/pagez', value: b64('outside') }));
    const seen: string[] = [];
    let cursor: string | null = null;
    const remaining: number[] = [];
    for (let pages = 0; pages < 10; pages++) {
      const page: KeyPage = value(await service.listKeys({ connectionId, prefix: '/page/', cursor, limit: 10 }));
      seen.push(...page.items.map((item) => item.key));
      remaining.push(page.remaining);
      cursor = page.nextCursor;
      if (cursor === null) break;
    }
    expect(seen).toEqual(Array.from({ length: 25 }, (_, index) => `/page/${String(index).padStart(2, '0')}`));
    expect(remaining).toEqual([25, 15, 5]);
  });

  it('jumps by skipping keys in chunks, saying exactly where the page sits and which cursors it passed', async () => {
    const count = keySkipChunkKeys * 2 + 500;
    const client = new EtcdClient({ endpoints: etcd.endpoints });
    try {
      for (let start = 0; start < count; start += 100) {
        const puts = Array.from({ length: Math.min(100, count - start) }, (_, offset) => Op.put(`/skip/${String(start + offset).padStart(6, '0')}`, ''));
        await client.kv.txn().then(...puts).commit();
      }
    } finally {
      client.close();
    }
    const name = (index: number): string => `/skip/${String(index).padStart(6, '0')}`;
    const far = value(await service.listKeys({ connectionId, prefix: '/skip/', cursor: null, limit: 50, skip: count - 20 }));
    expect(far.items.map((item) => item.key)).toEqual(Array.from({ length: 20 }, (_, offset) => name(count - 20 + offset)));
    expect(far).toMatchObject({ offset: count - 20, total: count, nextCursor: null, remaining: 20 });
    expect(far.waypoints).toEqual([
      { index: keySkipChunkKeys, cursor: `${name(keySkipChunkKeys - 1)}\0` },
      { index: keySkipChunkKeys * 2, cursor: `${name(keySkipChunkKeys * 2 - 1)}\0` },
      { index: count - 20, cursor: `${name(count - 21)}\0` },
    ]);
    const fromWaypoint = value(await service.listKeys({ connectionId, prefix: '/skip/', cursor: far.waypoints[0]!.cursor, limit: 10, skip: 7 }));
    expect(fromWaypoint.items[0]?.key).toBe(name(keySkipChunkKeys + 7));
    expect(fromWaypoint).toMatchObject({ offset: keySkipChunkKeys + 7, total: count, remaining: count - keySkipChunkKeys - 7 });
    const pastTheEnd = value(await service.listKeys({ connectionId, prefix: '/skip/', cursor: null, limit: 10, skip: count + 5 }));
    expect(pastTheEnd).toMatchObject({ items: [], offset: count, total: count });
  });

  it('reads a key with metadata and walks its history newest first', async () => {
    value(await service.putKey({ connectionId, key: '/hist', value: b64('one') }));
    value(await service.putKey({ connectionId, key: '/hist', value: b64('two') }));
    const last = value(await service.putKey({ connectionId, key: '/hist', value: b64('three') }));
    const detail = value(await service.getKey({ connectionId, key: '/hist' }));
    expect(detail).toMatchObject({ key: '/hist', version: 3, modRevision: last.revision, lease: '0' });
    expect(text(detail.value)).toBe('three');
    const history = value(await service.keyHistory({ connectionId, key: '/hist', limit: 10 }));
    expect(history.versions.map((version) => text(version.value))).toEqual(['three', 'two', 'one']);
    expect(history).toMatchObject({ truncatedByCompaction: false, truncatedByLimit: false });
    const limited = value(await service.keyHistory({ connectionId, key: '/hist', limit: 2 }));
    expect(limited).toMatchObject({ truncatedByLimit: true });
    const older = value(await service.getKey({ connectionId, key: '/hist', revision: last.revision - 1 }));
    expect(text(older.value)).toBe('two');
  });

  it('stops the history at compaction and says so', async () => {
    value(await service.putKey({ connectionId, key: '/compacted', value: b64('a') }));
    const second = value(await service.putKey({ connectionId, key: '/compacted', value: b64('b') }));
    value(await service.putKey({ connectionId, key: '/compacted', value: b64('c') }));
    value(await service.compact({ connectionId, revision: second.revision + 1, physical: true }));
    const history = value(await service.keyHistory({ connectionId, key: '/compacted', limit: 10 }));
    expect(history.versions.map((version) => text(version.value))).toEqual(['c']);
    expect(history.truncatedByCompaction).toBe(true);
    const old = await service.getKey({ connectionId, key: '/compacted', revision: second.revision - 1 });
    expect(old).toMatchObject({ ok: false, error: { code: 'compacted' } });
  });

  it('answers not_found for a missing key', async () => {
    const result = await service.getKey({ connectionId, key: '/does/not/exist' });
    expect(result).toMatchObject({ ok: false, error: { code: 'not_found', message: 'The key "/does/not/exist" does not exist.' } });
  });

  it('deletes by prefix but never by an empty prefix', async () => {
    value(await service.putKey({ connectionId, key: '/del/a', value: b64('1') }));
    value(await service.putKey({ connectionId, key: '/del/b', value: b64('2') }));
    expect(await service.deletePrefix({ connectionId, prefix: '' })).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
    expect(value(await service.deletePrefix({ connectionId, prefix: '/del/' })).deleted).toBe(2);
    expect(value(await service.listKeys({ connectionId, prefix: '/del/', cursor: null, limit: 10 })).items).toEqual([]);
  });

  it('exports a prefix and imports it, keeping existing keys unless told to overwrite', async () => {
    value(await service.putKey({ connectionId, key: '/exp/a', value: b64('A') }));
    value(await service.putKey({ connectionId, key: '/exp/b', value: Buffer.from([0, 255, 1]).toString('base64') }));
    const document = value(await service.exportKeys({ connectionId, prefix: '/exp/' }));
    expect(document.keys.map((entry) => entry.key)).toEqual(['/exp/a', '/exp/b']);
    value(await service.putKey({ connectionId, key: '/exp/a', value: b64('changed') }));
    value(await service.deleteKey({ connectionId, key: '/exp/b' }));
    expect(value(await service.importKeys({ connectionId, document, overwrite: false }))).toEqual({ written: 1, skipped: 1, revision: null, transactions: 2 });
    expect(text(value(await service.getKey({ connectionId, key: '/exp/a' })).value)).toBe('changed');
    expect(Buffer.from(value(await service.getKey({ connectionId, key: '/exp/b' })).value, 'base64')).toEqual(Buffer.from([0, 255, 1]));
    expect(value(await service.importKeys({ connectionId, document, overwrite: true }))).toEqual({ written: 2, skipped: 0, revision: null, transactions: 1 });
    expect(text(value(await service.getKey({ connectionId, key: '/exp/a' })).value)).toBe('A');
  });

  it('imports atomically in one transaction at one revision, and refuses a document beyond etcd’s transaction limits', async () => {
    const keys = Array.from({ length: 5 }, (_, index) => ({ key: `/atomic/k${index}`, value: b64(`v${index}`) }));
    value(await service.putKey({ connectionId, key: '/atomic/k0', value: b64('kept') }));
    const document = { format: 'rafter-keys/1' as const, prefix: '/atomic/', revision: 1, keys };
    const result = value(await service.importKeys({ connectionId, document, overwrite: false, atomic: true }));
    expect(result).toMatchObject({ written: 4, skipped: 1, transactions: 1 });
    const written = await Promise.all(keys.map(async ({ key }) => value(await service.getKey({ connectionId, key }))));
    expect(written.map((detail) => text(detail.value))).toEqual(['kept', 'v1', 'v2', 'v3', 'v4']);
    expect(new Set(written.slice(1).map((detail) => detail.modRevision))).toEqual(new Set([result.revision]));

    const many = { ...document, keys: Array.from({ length: 129 }, (_, index) => ({ key: `/atomic/many/${index}`, value: b64('x') })) };
    const refused = await service.importKeys({ connectionId, document: many, overwrite: true, atomic: true });
    expect(refused).toMatchObject({ ok: false, error: { code: 'failed_precondition' } });
    expect(refused.ok ? '' : refused.error.message).toContain('128 keys and 1.5 MiB');
    expect(value(await service.listKeys({ connectionId, prefix: '/atomic/many/', cursor: null, limit: 10 })).items).toEqual([]);
    // 128 keys fit, as etcd allows (its --max-txn-ops default).
    value(await service.importKeys({ connectionId, document: { ...many, keys: many.keys.slice(0, 128) }, overwrite: true, atomic: true }));
  });
});

describe('watches', () => {
  it('delivers puts and deletes under a prefix to a subscriber, with previous values', async () => {
    const watch = value(await service.startWatch({ connectionId, key: '/watched/', prefix: true, prevKv: true }));
    const received: AdminEvent[] = [];
    const gotThree = new Promise<void>((resolve) => {
      void service.subscribe({ kind: 'watch', watchId: watch.watchId }, (event) => {
        received.push(event);
        const count = received.flatMap((item) => (item.kind === 'watch' ? item.events : [])).length;
        if (count >= 3) resolve();
      });
    });
    value(await service.putKey({ connectionId, key: '/watched/a', value: b64('1') }));
    value(await service.putKey({ connectionId, key: '/watched/a', value: b64('2') }));
    value(await service.putKey({ connectionId, key: '/elsewhere', value: b64('x') }));
    value(await service.deleteKey({ connectionId, key: '/watched/a' }));
    await gotThree;
    const events = received.flatMap((item) => (item.kind === 'watch' ? item.events : []));
    expect(events.map((event) => [event.type, event.key, text(event.value), event.prevValue === null ? null : text(event.prevValue)])).toEqual([
      ['put', '/watched/a', '1', null],
      ['put', '/watched/a', '2', '1'],
      ['delete', '/watched/a', '', '2'],
    ]);
    expect(value(await service.listWatches({})).find((info) => info.watchId === watch.watchId)).toMatchObject({ eventCount: 3, state: 'active' });
    value(await service.stopWatch({ watchId: watch.watchId }));
    expect(value(await service.listWatches({})).find((info) => info.watchId === watch.watchId)?.state).toBe('stopped');
  });
});

describe('leases', () => {
  it('grants a lease, lists it with its keys, keeps it alive and revokes it with its keys', async () => {
    const lease = value(await service.grantLease({ connectionId, ttlSeconds: 120 }));
    value(await service.putKey({ connectionId, key: '/leased', value: b64('x'), leaseId: lease.id }));
    const listed = value(await service.listLeases({ connectionId })).find((info) => info.id === lease.id);
    expect(listed).toMatchObject({ grantedTtlSeconds: 120, keys: ['/leased'] });
    expect(value(await service.keepAliveLease({ connectionId, leaseId: lease.id })).ttlSeconds).toBe(120);
    value(await service.revokeLease({ connectionId, leaseId: lease.id }));
    expect((await service.getKey({ connectionId, key: '/leased' })).ok).toBe(false);
    const missing = await service.keepAliveLease({ connectionId, leaseId: lease.id });
    expect(missing).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });
});

describe('snapshots and maintenance', () => {
  it('saves a snapshot with progress events and verifies its checksum trailer', async () => {
    const target = path.join(tempDir, 'backup.db');
    const progress: AdminEvent[] = [];
    const subscription = value(await service.subscribe({ kind: 'progress', operationId: 'op1' }, (event) => progress.push(event)));
    const saved = value(await service.saveSnapshot({ connectionId, path: target, operationId: 'op1' }));
    value(await service.unsubscribe(subscription.subscriptionId));
    expect(saved.bytes).toBeGreaterThan(0);
    expect(progress.at(-1)).toMatchObject({ kind: 'progress', operationId: 'op1', doneBytes: saved.bytes, finished: true });
    expect(value(await service.snapshotStatus({ path: target }))).toEqual({ path: target, bytes: saved.bytes, checksumValid: true, contents: null, contentsError: expect.stringContaining('member command') as string });
    const again = await service.saveSnapshot({ connectionId, path: target, operationId: 'op2' });
    expect(again).toMatchObject({ ok: false, error: { code: 'already_exists' } });
    const damaged = path.join(tempDir, 'damaged.db');
    const bytes = await readFile(target);
    bytes[100] = bytes[100]! ^ 0xff;
    await writeFile(damaged, bytes);
    expect(value(await service.snapshotStatus({ path: damaged })).checksumValid).toBe(false);
  });

  it('defragments every member and lists no alarms on a healthy cluster', async () => {
    const results = value(await service.defragment({ connectionId }));
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ ok: true, error: null });
    expect(value(await service.listAlarms({ connectionId }))).toEqual([]);
  });

  it('reads member status and records the term timeline', async () => {
    const status = value(await service.clusterStatus({ connectionId }));
    expect(status.members).toHaveLength(1);
    const member = status.members[0]!;
    expect(member).toMatchObject({ isLeader: true, healthy: true, name: 'm1' });
    expect(member.term).toBeGreaterThan(0);
    expect(status.leaderId).toBe(member.id);
    const timeline = value(await service.raftTermTimeline({ connectionId }));
    expect(timeline.at(-1)).toMatchObject({ term: member.term, leaderId: member.id });
    // Each status read is kept for the charts, with the member's applied index by name.
    const again = value(await service.clusterStatus({ connectionId }));
    const history = value(await service.clusterHistory({ connectionId }));
    expect(history.samples.slice(-2).map((sample) => sample.takenAtMs)).toEqual([status.takenAtMs, again.takenAtMs]);
    expect(history.samples.at(-1)).toEqual({ takenAtMs: again.takenAtMs, revision: again.revision, applied: { m1: again.members[0]!.raftAppliedIndex } });
    expect(history.terms.at(-1)).toMatchObject({ term: member.term, leaderId: member.id });
    expect(await service.raftLogWindow({ connectionId, memberId: member.id, fromIndex: null, limit: 10 })).toMatchObject({
      ok: false,
      error: { code: 'unavailable' },
    });
  });
});

describe('auth', () => {
  it('manages users, roles and permissions', async () => {
    expect(value(await service.authStatus({ connectionId }))).toEqual({ enabled: false });
    value(await service.addRole({ connectionId, name: 'reader' }));
    value(await service.grantPermission({ connectionId, role: 'reader', permission: { type: 'read', key: '/app/', rangeEnd: '/app0' } }));
    value(await service.addUser({ connectionId, name: 'alice', password: 'secret' }));
    value(await service.grantRole({ connectionId, user: 'alice', role: 'reader' }));
    expect(value(await service.listUsers({ connectionId }))).toContainEqual({ name: 'alice', roles: ['reader'] });
    expect(value(await service.listRoles({ connectionId }))).toContainEqual({
      name: 'reader',
      permissions: [{ type: 'read', key: '/app/', rangeEnd: '/app0' }],
    });
    value(await service.revokePermission({ connectionId, role: 'reader', key: '/app/', rangeEnd: '/app0' }));
    value(await service.revokeRole({ connectionId, user: 'alice', role: 'reader' }));
    value(await service.deleteUser({ connectionId, name: 'alice' }));
    value(await service.deleteRole({ connectionId, name: 'reader' }));
    expect(value(await service.listUsers({ connectionId }))).toEqual([]);
    const missing = await service.deleteUser({ connectionId, name: 'alice' });
    expect(missing.ok).toBe(false);
  });
});
