// Replication progress and the cluster revision through the AdminService against three real
// Rafter members: each follower's match / next / state / in-flight as the leader reports it, and
// the store revision the Cluster page shows, taken from the members' response headers.
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RaftProgress, Result } from '../../core/admin/api.js';
import { AdminService } from '../../core/admin/adminService.js';
import { RafterCluster } from '../support/rafterCluster.js';
import { value } from '../support/adminResults.js';

/** Polls while the followers catch up (each ~100 ms apart): a bound, not a pause. */
const pollsMax = 300;

let rafter: RafterCluster;
let service: AdminService;
let connectionId: string;

async function progressUntil(done: (progress: RaftProgress) => boolean): Promise<RaftProgress> {
  let last: Result<RaftProgress> | null = null;
  for (let poll = 0; poll < pollsMax; poll++) {
    last = await service.raftProgress({ connectionId });
    if (last.ok && done(last.value)) return last.value;
    await delay(100);
  }
  throw new Error(`progress did not settle: ${JSON.stringify(last)}`);
}

beforeAll(async () => {
  rafter = await RafterCluster.start({ members: 3 });
  service = new AdminService();
  connectionId = value(await service.addConnection({ config: { name: 'trio', endpoints: rafter.endpoints } })).id;
}, 120_000);

afterAll(async () => {
  await service?.close();
  await rafter?.stop();
});

describe('replication progress', () => {
  it('shows the revision of a cluster nobody has written to as 1, as etcd does, and members in name order', async () => {
    const status = value(await service.clusterStatus({ connectionId }));
    expect(status.revision).toBe(1);
    const names = status.members.map((member) => member.name);
    expect(names).toEqual([...names].sort());
  });

  it('reports every follower’s match, next, state and in-flight count from the leader', async () => {
    for (let index = 0; index < 5; index++) {
      value(await service.putKey({ connectionId, key: `/progress/${index}`, value: Buffer.from(String(index)).toString('base64') }));
    }
    const progress = await progressUntil((candidate) =>
      candidate.followers.length === 2 && candidate.followers.every((follower) => follower.matchIndex === candidate.lastIndex && follower.state === 'replicate'),
    );
    const status = value(await service.clusterStatus({ connectionId }));
    expect(progress.leaderId).toBe(status.leaderId);
    expect(progress.term).toBe(status.members.find((member) => member.isLeader)!.term);
    expect(progress.commitIndex).toBe(progress.lastIndex);
    const followerIds = status.members.filter((member) => !member.isLeader).map((member) => member.id);
    expect(progress.followers.map((follower) => follower.memberId).sort()).toEqual(followerIds.sort());
    for (const follower of progress.followers) {
      expect(follower.nextIndex).toBe(follower.matchIndex + 1);
      expect(follower.inflight).toBeGreaterThanOrEqual(0);
      expect(follower.isLearner).toBe(false);
    }
  });

  it('shows the store revision of the last write, whichever member answers', async () => {
    const put = value(await service.putKey({ connectionId, key: '/progress/last', value: Buffer.from('x').toString('base64') }));
    let revision = 0;
    for (let poll = 0; poll < pollsMax && revision !== put.revision; poll++) {
      revision = value(await service.clusterStatus({ connectionId })).revision;
      if (revision !== put.revision) await delay(100);
    }
    expect(revision).toBe(put.revision);
    expect(value(await service.getKey({ connectionId, key: '/progress/last' })).revision).toBe(put.revision);
  });
});
