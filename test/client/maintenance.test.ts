// Maintenance calls of the etcd client against a real single-member etcd, with etcdctl as the
// judge of the snapshot file.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdError } from '../../core/client/index.js';
import type { EtcdClient } from '../../core/client/index.js';
import { EtcdTestCluster } from '../support/etcd.js';

const run = promisify(execFile);

let etcd: EtcdTestCluster;
let client: EtcdClient;
let tempDir: string;

beforeAll(async () => {
  etcd = await EtcdTestCluster.start();
  client = etcd.client();
  tempDir = await fs.mkdtemp(path.join(os.tmpdir(), 'rafter-snapshot-'));
});

afterAll(async () => {
  await etcd.stop();
  await fs.rm(tempDir, { recursive: true, force: true });
});

describe('Maintenance against real etcd', () => {
  it('reports the member status with version, leader and raft indexes', async () => {
    const status = await client.maintenance.status();
    expect(status.version).toBe('3.4.23');
    expect(status.leader).toBe(status.header.memberId);
    expect(status.raftIndex).toBeGreaterThan(0);
    expect(status.raftTerm).toBeGreaterThan(0);
    expect(status.dbSize).toBeGreaterThan(0);
    expect(status.dbSizeInUse).toBeGreaterThan(0);
    expect(status.isLearner).toBe(false);
    expect(status.errors).toEqual([]);
    expect(status.dbSizeQuota).toBe(0);
  });

  it('lists no alarms on a healthy member and accepts disarming one', async () => {
    expect(await client.maintenance.alarmList()).toEqual([]);
    const status = await client.maintenance.status();
    expect(await client.maintenance.alarmDisarm({ memberId: status.header.memberId, alarm: 'NOSPACE' })).toEqual([]);
  });

  it('defragments the member', async () => {
    const header = await client.maintenance.defragment({ endpoint: etcd.endpoints[0]! });
    expect(header.memberId).toMatch(/^\d+$/);
  });

  it('hashes the key space so that unchanged data hashes the same and changes alter it', async () => {
    await client.kv.put('hash/a', '1');
    const first = await client.maintenance.hashKV();
    const again = await client.maintenance.hashKV(first.header.revision);
    expect(again.hash).toBe(first.hash);
    await client.kv.put('hash/a', '2');
    const changed = await client.maintenance.hashKV();
    expect(changed.hash).not.toBe(first.hash);
    const whole = await client.maintenance.hash();
    expect(whole.hash).toBeGreaterThan(0);
  });

  it('refuses to move leadership to an unknown member', async () => {
    const failure = await client.maintenance.moveLeader('12345').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EtcdError);
    expect((failure as EtcdError).message).toBe('etcdserver: bad leader transferee');
  });

  it('streams a snapshot to a file that etcdctl reads with the same size and revision', async () => {
    for (let index = 0; index < 50; index++) await client.kv.put(`snap/${index}`, 'x'.repeat(200));
    const revision = (await client.kv.get('snap/0')).header.revision;
    const file = path.join(tempDir, 'backup.db');
    const progress: [number, number][] = [];
    const result = await client.maintenance.snapshot(file, {
      onProgress: (written, total) => progress.push([written, total]),
    });
    const stat = await fs.stat(file);
    expect(result.bytes).toBe(stat.size);
    expect(result.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[progress.length - 1]).toEqual([stat.size, stat.size]);
    await expect(fs.stat(`${file}.part`)).rejects.toThrow();

    const { stdout } = await run('etcdctl', ['snapshot', 'status', file, '-w', 'json'], {
      env: { ...process.env, ETCDCTL_API: '3' },
    });
    const reported = JSON.parse(stdout) as { totalSize: number; revision: number; totalKey: number };
    // The file is the backend database followed by etcd's 32-byte SHA-256 trailer.
    expect(reported.totalSize + 32).toBe(stat.size);
    expect(reported.revision).toBe(revision);
    expect(reported.totalKey).toBeGreaterThanOrEqual(50);
  });
});
