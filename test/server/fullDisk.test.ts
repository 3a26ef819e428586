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

/**
 * Moves a stopped member's data below `sub` of its data directory ('' for all of it) onto a fresh
 * tmpfs of `bytes` mounted there.
 */
async function moveOntoSmallDisk(member: RafterMember, sub: string, bytes: number): Promise<string> {
  const dir = path.join(member.dataDir, sub);
  const saved = `${dir}.saved`;
  await fs.rename(dir, saved);
  await fs.mkdir(dir);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir]);
  mounted = dir;
  await fs.cp(saved, dir, { recursive: true });
  await fs.rm(saved, { recursive: true });
  return dir;
}

async function count(endpoint: string, prefix: string): Promise<number> {
  const client = new EtcdClient({ endpoints: [endpoint] });
  try {
    return (await client.kv.get(prefix, { prefix: true, countOnly: true, serializable: true, timeoutMs: 3_000 })).count;
  } finally {
    client.close();
  }
}

/**
 * Fills the disk under `sub` of the third member's data directory while the cluster writes, checks
 * the member stopped with a message matching `stopped`, that the others serve with every write
 * acknowledged, and that the member catches up to the same data once space is freed.
 */
async function fillAndRecover(sub: string, stopped: RegExp, beforeRecovery?: (victim: RafterMember) => Promise<void>): Promise<void> {
  cluster = await RafterCluster.start({ members: 3, extraArgs: ['--unsafe-wal-segment-bytes=1048576'] });
  const c = cluster;
  const victim = c.members[2]!;
  await c.kill(victim, 'SIGTERM');
  const small = await moveOntoSmallDisk(victim, sub, diskBytes);
  await c.restart(victim);
  const free = fs.statfs(small).then((s) => s.bavail * s.bsize);
  const filler = path.join(small, 'filler');
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
    expect(log).toMatch(stopped);
    expect(log).toContain(victim.dataDir);
    expect(victim.exitCode).toBe(1);

    // The other two serve, with every acknowledged write.
    await client.kv.put('/full/after', 'ok', { timeoutMs: 5_000 });
    expect((await client.kv.get('/full/', { prefix: true, countOnly: true, timeoutMs: 5_000 })).count).toBe(acknowledged.length + 1);

    await beforeRecovery?.(victim);

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
}

/** Restarts a member that is expected to stop again by itself; resolves once it has exited. */
async function restartUntilExit(c: RafterCluster, member: RafterMember): Promise<void> {
  member.log.length = 0;
  await c.restart(member).catch(() => undefined);
  for (let poll = 0; poll < pollsMax && member.process !== undefined; poll++) await sleep(100);
  expect(member.process, 'the member kept running').toBeUndefined();
}

describe('a member whose disk is full', () => {
  it('stops naming the full disk, the others serve and lose nothing, and it catches up once space is freed', async () => {
    // Whichever of the WAL and the store writes into the last free bytes fails first (a race
    // under load); either way the message names the part, its directory and the full disk.
    await fillAndRecover(
      '',
      /stopping: (WAL in \S+ failed and refuses further writes: ENOSPC: no space left on device[^;]*|applying entries \d+–\d+ to the store in \S+ failed: .+|saving a snapshot at index \d+ in \S+ failed: .+); the disk holding \S+ is nearly full \(\d+ bytes free\)/,
    );
  });

  it('stops naming the store and its full disk when only the store runs out of space, and catches up once space is freed', async () => {
    // LMDB reports a short write on a full disk as EIO; the message still names the store and
    // the full disk. The WAL is on a disk with room, so the store always fails first here.
    await fillAndRecover(
      'member/db',
      /stopping: applying entries \d+–\d+ to the store in \S+member\/db failed: .+; the disk holding \S+member\/db is nearly full \(\d+ bytes free\)/,
    );
  });

  it('refuses to start after three runs in a row stop on the same entry, naming it, and starts once the guard file is removed', async () => {
    // Each restart replays the entry the full store cannot take and stops again: a crash loop.
    // The third restart must refuse, naming the entry, its cause and the way out.
    await fillAndRecover('member/db', /stopping: applying entries \d+–\d+ to the store/, async (victim) => {
      const first = /stopping: applying entries (\d+)–/.exec(victim.log.join('\n'));
      expect(first).not.toBeNull();
      for (const deaths of [1, 2]) {
        await restartUntilExit(cluster!, victim);
        const log = victim.log.join('\n');
        expect(log).toMatch(new RegExp(`the last run stopped while applying entry (\\d+) \\(term \\d+, put "/full/\\d+" \\(4096 bytes\\)\\): applying entries .+; applying it again \\(${deaths} such stops? in a row\\)`));
        expect(log).toContain('stopping: applying entries');
      }
      await restartUntilExit(cluster!, victim);
      const log = victim.log.join('\n');
      expect(log).toMatch(/refusing to start: the last 3 runs of this member stopped while applying entry \d+ \(term \d+, put "\/full\/\d+" \(4096 bytes\)\) to the store in \S+member\/db; the last error: applying entries .+ see docs\/operations\.md\. If the stops had another cause, delete \S+apply-guard to try again\./);
      expect(log).not.toContain('stopping:');
      expect(victim.exitCode).toBe(1);
      await fs.rm(path.join(victim.dataDir, 'member', 'apply-guard'));
    });
  });
});
