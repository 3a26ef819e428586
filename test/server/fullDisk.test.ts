// A member whose disk fills up, on a real small tmpfs mounted under its data directory: it stops
// with a message naming the cause rather than acknowledging what it could not write, the other two
// keep serving with nothing acknowledged lost, and once space is freed and the member restarted it
// catches up to the same data (hashKV equal). Needs root for mount(8), as CI runs.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EtcdClient } from '../../core/client/etcdClient.js';
import { RafterCluster, type RafterMember } from '../support/rafterCluster.js';

/** Size of the member's disk. */
const diskBytes = 24 * 1024 * 1024;
/** Room left beside the filler file when the disk is "filled". */
const roomBytes = 256 * 1024;
const valueBytes = 4096;
/** Writes attempted before the test gives up on the member running out of space. */
const fillWritesMax = 3_000;
/** Polls (100 ms apart) for the member to exit, and later to catch up. */
const pollsMax = 300;

let cluster: RafterCluster | undefined;
let mounted: string | undefined;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(async () => {
  const c = cluster;
  cluster = undefined;
  if (c) await Promise.all(c.members.map((m) => c.kill(m, 'SIGKILL')));
  if (mounted) execFileSync('umount', [mounted]);
  mounted = undefined;
  await c?.stop();
});

/** Moves a stopped member's data onto a fresh tmpfs of `bytes` mounted at its data directory. */
async function moveOntoSmallDisk(member: RafterMember, bytes: number): Promise<void> {
  const saved = `${member.dataDir}.saved`;
  await fs.rename(member.dataDir, saved);
  await fs.mkdir(member.dataDir);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', member.dataDir]);
  mounted = member.dataDir;
  await fs.cp(saved, member.dataDir, { recursive: true });
  await fs.rm(saved, { recursive: true });
}

async function count(endpoint: string, prefix: string): Promise<number> {
  const client = new EtcdClient({ endpoints: [endpoint] });
  try {
    return (await client.kv.get(prefix, { prefix: true, countOnly: true, serializable: true, timeoutMs: 3_000 })).count;
  } finally {
    client.close();
  }
}

describe('a member whose disk is full', () => {
  it('stops naming the full disk, the others serve and lose nothing, and it catches up once space is freed', async () => {
    cluster = await RafterCluster.start({ members: 3, extraArgs: ['--unsafe-wal-segment-bytes=1048576'] });
    const c = cluster;
    const victim = c.members[2]!;
    await c.kill(victim, 'SIGTERM');
    await moveOntoSmallDisk(victim, diskBytes);
    await c.restart(victim);
    const free = fs.statfs(victim.dataDir).then((s) => s.bavail * s.bsize);
    const filler = path.join(victim.dataDir, 'filler');
    await fs.writeFile(filler, Buffer.alloc(Math.max(0, (await free) - roomBytes)));

    const others = c.members.filter((m) => m !== victim).map((m) => `127.0.0.1:${m.clientPort}`);
    const client = new EtcdClient({ endpoints: others });
    const acknowledged: string[] = [];
    try {
      for (let i = 0; i < fillWritesMax && victim.process !== undefined; i++) {
        await client.kv.put(`/full/${String(i).padStart(5, '0')}`, Buffer.alloc(valueBytes, i % 251), { timeoutMs: 5_000 });
        acknowledged.push(`/full/${i}`);
      }
      for (let poll = 0; poll < pollsMax && victim.process !== undefined; poll++) await sleep(100);
      expect(victim.process, 'the member kept running on a full disk').toBeUndefined();
      const log = victim.log.join('\n');
      expect(log).toMatch(/stopping: WAL in \S+ failed and refuses further writes: ENOSPC: no space left on device/);
      expect(log).toContain(victim.dataDir);
      expect(victim.exitCode).toBe(1);

      // The other two serve, with every acknowledged write.
      await client.kv.put('/full/after', 'ok', { timeoutMs: 5_000 });
      expect((await client.kv.get('/full/', { prefix: true, countOnly: true, timeoutMs: 5_000 })).count).toBe(acknowledged.length + 1);

      // Space freed: the member restarts, catches up, and holds the same data.
      await fs.rm(filler);
      await c.restart(victim);
      const expected = acknowledged.length + 1;
      let caughtUp = 0;
      for (let poll = 0; poll < pollsMax && caughtUp !== expected; poll++) {
        caughtUp = await count(`127.0.0.1:${victim.clientPort}`, '/full/').catch(() => 0);
        if (caughtUp !== expected) await sleep(100);
      }
      expect(caughtUp).toBe(expected);
      const hashes = await Promise.all(
        c.members.map(async (m) => {
          const one = new EtcdClient({ endpoints: [`127.0.0.1:${m.clientPort}`] });
          try {
            return (await one.maintenance.hashKV(0, { timeoutMs: 5_000 })).hash;
          } finally {
            one.close();
          }
        }),
      );
      expect(new Set(hashes).size).toBe(1);
    } finally {
      client.close();
    }
  });
});
