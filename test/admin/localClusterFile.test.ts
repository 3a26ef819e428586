// The saved definitions of local clusters: a round trip through the file, "never saved" told
// apart from "saved empty", and a damaged or foreign file refused with its path in the message
// rather than read as no clusters (which would start a new default cluster over the old data).
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localClusterFile, readLocalClusters, writeLocalClusters } from '../../core/admin/localClusterFile.js';
import type { SavedLocalCluster } from '../../core/admin/localClusterFile.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rafter-cluster-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const trio: SavedLocalCluster = {
  id: 'default-AbC123',
  name: 'default',
  token: 'rafter-local-0a1b2c',
  connectionId: '6f1c2d1e-0000-4000-8000-000000000001',
  nextMemberNumber: 4,
  members: ['m1', 'm2', 'm3'].map((name, index) => ({
    name,
    clientUrl: `http://127.0.0.1:${23790 + index}`,
    peerUrl: `http://127.0.0.1:${23800 + index}`,
    initialCluster: 'm1=http://127.0.0.1:23800,m2=http://127.0.0.1:23801,m3=http://127.0.0.1:23802',
    initialState: 'new' as const,
    isLearner: false,
    memberId: index === 2 ? null : String(1000 + index),
  })),
};

describe('the local cluster definitions file', () => {
  it('reads back what was written, privately, and tells a first run from an empty list', async () => {
    expect(await readLocalClusters(dir)).toBeNull();
    await writeLocalClusters(dir, [trio]);
    expect(await readLocalClusters(dir)).toEqual([trio]);
    expect((await stat(localClusterFile(dir))).mode & 0o777).toBe(0o600);
    await writeLocalClusters(dir, []);
    expect(await readLocalClusters(dir)).toEqual([]);
    expect(JSON.parse(await readFile(localClusterFile(dir), 'utf8'))).toMatchObject({ format: 'rafter-local-clusters/1' });
  });

  it('keeps whether the user stopped each member, and reads a file written before that was kept as every member running', async () => {
    const stopped = { ...trio, members: trio.members.map((member, index) => ({ ...member, stoppedByUser: index === 1 })) };
    await writeLocalClusters(dir, [stopped]);
    expect((await readLocalClusters(dir))![0]!.members.map((member) => member.stoppedByUser)).toEqual([false, true, false]);
    // The members exactly as the first version of the file wrote them: no stoppedByUser at all.
    const older = { format: 'rafter-local-clusters/1', clusters: [trio] };
    expect(trio.members.every((member) => !('stoppedByUser' in member))).toBe(true);
    await writeFile(localClusterFile(dir), JSON.stringify(older));
    const [read] = (await readLocalClusters(dir))!;
    expect(read!.members.map((member) => member.stoppedByUser ?? false)).toEqual([false, false, false]);
  });

  it('keeps a cluster’s TLS and authentication choice, and refuses a TLS mode it does not know', async () => {
    const secured: SavedLocalCluster = { ...trio, security: { tls: 'ca', auth: true } };
    await writeLocalClusters(dir, [secured, trio]);
    expect((await readLocalClusters(dir))!.map((cluster) => cluster.security)).toEqual([{ tls: 'ca', auth: true }, undefined]);
    expect(await readFile(localClusterFile(dir), 'utf8')).not.toMatch(/password/i);
    await writeFile(localClusterFile(dir), JSON.stringify({ format: 'rafter-local-clusters/1', clusters: [{ ...trio, security: { tls: 'mtls', auth: false } }] }));
    await expect(readLocalClusters(dir)).rejects.toThrow(/security\.tls/);
  });

  it('refuses a damaged or foreign file, naming it', async () => {
    const file = localClusterFile(dir);
    await writeFile(file, '{"format": "rafter-local-clusters/1", "clusters": [');
    await expect(readLocalClusters(dir)).rejects.toThrow(file);
    await writeFile(file, JSON.stringify({ format: 'rafter-local-clusters/9', clusters: [] }));
    await expect(readLocalClusters(dir)).rejects.toThrow(file);
    await writeFile(file, JSON.stringify({ format: 'rafter-local-clusters/1', clusters: [{ ...trio, id: '../escape' }] }));
    await expect(readLocalClusters(dir)).rejects.toThrow('a directory name');
  });
});
