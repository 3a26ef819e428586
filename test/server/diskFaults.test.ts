// Disk damage on a stopped member of a 3-member cluster: a flipped bit inside the WAL is refused
// with the file and offset named (the others keep serving); a missing WAL segment is refused with
// the segments around the hole named, and the operator's way back (remove, wipe, add) restores
// every key; a torn WAL tail is cut and the member rejoins with nothing acknowledged lost. A full
// disk is fullDisk.test.ts's.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addBack, memberIdOf, removeMember, wipe } from '../support/memberReplacement.js';
import { RafterCluster, type RafterMember } from '../support/rafterCluster.js';

let cluster: RafterCluster | undefined;

afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function walSegments(member: RafterMember): Promise<string[]> {
  const dir = path.join(member.dataDir, 'member', 'wal');
  return (await fs.readdir(dir)).filter((name) => name.endsWith('.wal')).sort().map((name) => path.join(dir, name));
}

async function writeKeys(c: RafterCluster, prefix: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) expect((await c.etcdctl(['put', `${prefix}${i}`, 'x'.repeat(200)])).code).toBe(0);
}

describe('a member with a damaged disk', () => {
  it('refuses to start on a flipped bit inside its WAL, naming file and offset, while the others serve', async () => {
    cluster = await RafterCluster.start({ members: 3 });
    const c = cluster;
    await writeKeys(c, '/disk/', 40);
    const victim = c.members.find((m) => m !== c.members[0])!;
    await c.kill(victim, 'SIGTERM');
    const [segment] = await walSegments(victim);
    const bytes = await fs.readFile(segment!);
    const offset = Math.floor(bytes.length / 2);
    bytes[offset] = bytes[offset]! ^ 0x10;
    await fs.writeFile(segment!, bytes);
    await expect(c.restart(victim)).rejects.toThrow(/exited/);
    const log = victim.log.join('\n');
    expect(log).toContain(path.basename(segment!));
    expect(log).toMatch(/offset \d+/);
    expect((await c.etcdctl(['put', '/disk/after', 'ok'])).code).toBe(0);
    expect((await c.etcdctl(['get', '/disk/after', '--print-value-only'])).stdout).toBe('ok\n');
  });

  it('sets a damaged snapshot file aside and recovers from the previous one and the WAL', async () => {
    cluster = await RafterCluster.start({ members: 3, snapshotCount: 20, snapshotCatchupEntries: 20 });
    const c = cluster;
    await writeKeys(c, '/snapfile/', 70);
    const victim = c.members[2]!;
    await c.kill(victim, 'SIGTERM');
    const snapDir = path.join(victim.dataDir, 'member', 'snap');
    const files = (await fs.readdir(snapDir)).filter((name) => name.endsWith('.snap')).sort();
    expect(files.length).toBeGreaterThan(1);
    const newest = path.join(snapDir, files[files.length - 1]!);
    const bytes = await fs.readFile(newest);
    bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0x01;
    await fs.writeFile(newest, bytes);
    await c.restart(victim);
    expect(victim.log.join('\n')).toContain(`snapshot ${newest} is damaged`);
    const read = await c.etcdctl(['get', '/snapfile/', '--prefix', '--keys-only', '--consistency=s'], undefined, [`127.0.0.1:${victim.clientPort}`]);
    expect(read.stdout.trim().split('\n').filter((l) => l !== '')).toHaveLength(70);
  });

  it('cuts a torn WAL tail and rejoins with every acknowledged key', async () => {
    cluster = await RafterCluster.start({ members: 3 });
    const c = cluster;
    await writeKeys(c, '/torn/', 30);
    const victim = c.members[1]!;
    await c.kill(victim, 'SIGKILL');
    const segments = await walSegments(victim);
    const last = segments[segments.length - 1]!;
    const size = (await fs.stat(last)).size;
    // A crash mid-write: garbage appended after the last complete record.
    await fs.appendFile(last, Buffer.from([0x11, 0x00, 0x00, 0x00, 0x42, 0x42]));
    await c.restart(victim);
    expect(victim.log.join('\n')).toContain(`cut a torn record at ${last}:${size} (6 bytes`);
    const read = await c.etcdctl(['get', '/torn/', '--prefix', '--keys-only', '--consistency=s'], undefined, [`127.0.0.1:${victim.clientPort}`]);
    expect(read.stdout.trim().split('\n').filter((l) => l !== '')).toHaveLength(30);
  });

  it('refuses to start with a WAL segment missing, naming the gap, and comes back with every key once removed, wiped and added again', async () => {
    cluster = await RafterCluster.start({ members: 3, extraArgs: ['--unsafe-wal-segment-bytes=8192'] });
    const c = cluster;
    await writeKeys(c, '/gap/', 120);
    const victim = c.members[2]!;
    const victimId = await memberIdOf(c, victim);
    await c.kill(victim, 'SIGTERM');
    const segments = await walSegments(victim);
    expect(segments.length).toBeGreaterThanOrEqual(3);
    const missing = segments[1]!;
    await fs.rm(missing);
    await expect(c.restart(victim)).rejects.toThrow(/exited/);
    const log = victim.log.join('\n');
    expect(log).toContain('WAL segment missing');
    expect(log).toContain(path.basename(segments[0]!));
    expect(log).toContain(path.basename(segments[2]!));
    expect((await c.etcdctl(['put', '/gap/after', 'ok'])).code).toBe(0);
    // The operator's way back, as etcd documents it for a member whose data is lost.
    await removeMember(c, victim, victimId);
    await wipe(victim);
    await addBack(c, victim, { learner: false });
    const read = await c.etcdctl(['get', '/gap/', '--prefix', '--keys-only', '--consistency=s'], undefined, [`127.0.0.1:${victim.clientPort}`]);
    expect(read.stdout.trim().split('\n').filter((l) => l !== '')).toHaveLength(121);
  });
});
