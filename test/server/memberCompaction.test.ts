// Compaction on real members, where the records are removed in background steps after the apply
// (core/mvcc/compaction.ts): a physical Compact answers once they are gone, every member hashes
// the same history equally afterwards, and a member killed with SIGKILL right after the Compact
// was applied (mid-way through its steps or after them) hashes equally once restarted.
import { afterAll, describe, expect, it } from 'vitest';
import { EtcdClient } from '../../core/client/etcdClient.js';
import { pollUntil } from '../support/memberProcess.js';
import { RafterCluster } from '../support/rafterCluster.js';

let cluster: RafterCluster | undefined;
const clients: EtcdClient[] = [];

afterAll(async () => {
  for (const client of clients) client.close();
  await cluster?.stop();
});

/** Keys written, each overwritten `rounds` times: history for the compaction to remove. */
const keys = 300;
const rounds = 10;

function clientOf(c: RafterCluster, index: number): EtcdClient {
  const client = new EtcdClient({ endpoints: [`127.0.0.1:${c.members[index]!.clientPort}`], callTimeoutMs: 30_000 });
  clients.push(client);
  return client;
}

describe('compaction on members', () => {
  it('hashes every member equally after a physical Compact, and after a SIGKILL of a follower right after one', async () => {
    cluster = await RafterCluster.start({ members: 3 });
    const c = cluster;
    const leader = await c.leader();
    const leaderIndex = c.members.indexOf(leader);
    const followerIndex = (leaderIndex + 1) % 3;
    const writer = clientOf(c, leaderIndex);
    const write = async (tag: string): Promise<number> => {
      let revision = 0;
      for (let round = 0; round < rounds; round++) {
        const puts = Array.from({ length: keys }, (_, i) => writer.kv.put(`/compact/${String(i).padStart(4, '0')}`, `${tag}-${round}`));
        revision = Math.max(...(await Promise.all(puts)).map((r) => r.header.revision));
      }
      return revision;
    };

    const first = await write('a');
    await writer.kv.compact(first - 5, { physical: true });
    const hashesAfterPhysical = await Promise.all([0, 1, 2].map((i) => clientOf(c, i).maintenance.hashKV(first)));
    expect(new Set(hashesAfterPhysical.map((h) => h.hash)).size).toBe(1);
    expect(hashesAfterPhysical.every((h) => h.compactRevision === first - 5)).toBe(true);

    const second = await write('b');
    // Wait until the follower has applied the writes, then compact and kill it at once.
    const follower = clientOf(c, followerIndex);
    await pollUntil(async () => (await follower.kv.get('/compact/0000', { serializable: true })).header.revision >= second, {
      pollsMax: 400,
      pauseMs: 50,
      failure: () => new Error('the follower never applied the writes'),
    });
    await writer.kv.compact(second - 5);
    await c.kill(c.members[followerIndex]!);
    await c.restart(c.members[followerIndex]!);
    const restarted = clientOf(c, followerIndex);
    const hashes = await Promise.all([leaderIndex, (leaderIndex + 2) % 3].map((i) => clientOf(c, i).maintenance.hashKV(second)));
    // The restarted member may still be catching up to the Compact entry: poll, bounded.
    let own: Awaited<ReturnType<EtcdClient['maintenance']['hashKV']>> | null = null;
    await pollUntil(
      async () => {
        own = await restarted.maintenance.hashKV(second).catch(() => null);
        return own?.compactRevision === second - 5;
      },
      { pollsMax: 400, pauseMs: 50, failure: () => new Error('the restarted member never applied the Compact') },
    );
    hashes.push(own!);
    expect(hashes.map((h) => h.compactRevision)).toEqual([second - 5, second - 5, second - 5]);
    expect(new Set(hashes.map((h) => h.hash)).size).toBe(1);
  });
});
