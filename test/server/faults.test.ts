// Faults against real member processes: kill -9 of the leader under writes, a partitioned member,
// a member that falls behind a snapshot, and membership changes with a learner.
import { afterEach, describe, expect, it } from 'vitest';
import { EtcdClient } from '../../core/client/etcdClient.js';
import { RafterCluster, type RafterMember } from '../support/rafterCluster.js';

let cluster: RafterCluster | undefined;
const clients: EtcdClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await cluster?.stop();
  cluster = undefined;
});

function clientOf(members: readonly RafterMember[]): EtcdClient {
  const client = new EtcdClient({ endpoints: members.map((m) => `127.0.0.1:${m.clientPort}`) });
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

async function hashesConverge(c: RafterCluster, members: readonly RafterMember[]): Promise<void> {
  await eventually(async () => {
    const views = await Promise.all(members.map((m) => clientOf([m]).maintenance.status()));
    const applied = new Set(views.map((v) => v.raftAppliedIndex));
    if (applied.size !== 1) return false;
    const hashes = await Promise.all(members.map((m) => clientOf([m]).maintenance.hashKV(0)));
    return new Set(hashes.map((h) => `${h.hash}@${h.header.revision}`)).size === 1;
  }, `hashKV equal on ${members.map((m) => m.name).join(',')} of ${c.members.length}`);
}

describe('faults on a 3-member cluster', () => {
  it('replaces a SIGKILLed leader, loses no acknowledged write, and the old leader catches up', async () => {
    cluster = await RafterCluster.start({ members: 3 });
    const c = cluster;
    const client = clientOf(c.members);
    const acknowledged = new Map<string, string>();
    const oldLeader = await c.leader();
    const termBefore = (await c.raftStatus(oldLeader)).status.term;
    let killed = false;
    for (let i = 0; i < 150; i++) {
      const key = `/ack/${String(i).padStart(4, '0')}`;
      try {
        await client.kv.put(key, `v${i}`);
        acknowledged.set(key, `v${i}`);
      } catch {
        // Outcome unknown (the leader died mid-call): neither counted nor required.
      }
      if (i === 50 && !killed) {
        killed = true;
        await c.kill(oldLeader);
      }
    }
    const newLeader = await c.leader([oldLeader]);
    expect(newLeader).not.toBe(oldLeader);
    expect((await c.raftStatus(newLeader)).status.term).toBeGreaterThan(termBefore);
    expect(acknowledged.size).toBeGreaterThan(100);
    await c.restart(oldLeader);
    await hashesConverge(c, c.members);
    for (const member of c.members) {
      const result = await clientOf([member]).kv.get('/ack/', { prefix: true, serializable: true });
      const stored = new Map(result.kvs.map((kv) => [kv.key.toString(), kv.value.toString()]));
      for (const [key, value] of acknowledged) expect(stored.get(key), `${key} on ${member.name}`).toBe(value);
    }
  });

  it('keeps the majority writing while a partitioned member can neither write nor read, then converges', async () => {
    cluster = await RafterCluster.start({ members: 3 });
    const c = cluster;
    const leader = await c.leader();
    const isolated = c.members.find((m) => m !== leader)!;
    const majority = c.members.filter((m) => m !== isolated);
    const ids = await Promise.all(c.members.map(async (m) => (await c.raftStatus(m)).memberId));
    const isolatedId = (await c.raftStatus(isolated)).memberId;
    const others = ids.filter((id) => id !== isolatedId);
    await c.setFaults(isolated, { dropTo: others, dropFrom: others });
    const majorityClient = clientOf(majority);
    for (let i = 0; i < 20; i++) await majorityClient.kv.put(`/part/${i}`, `v${i}`);
    const isolatedClient = clientOf([isolated]);
    await expect(isolatedClient.kv.put('/part/minority', 'x', { timeoutMs: 3_000 })).rejects.toThrow();
    await expect(isolatedClient.kv.get('/part/0', { timeoutMs: 3_000 })).rejects.toThrow();
    await c.setFaults(isolated, { dropTo: [], dropFrom: [] });
    await hashesConverge(c, c.members);
    const read = await isolatedClient.kv.get('/part/', { prefix: true, serializable: true });
    expect(read.kvs).toHaveLength(20);
    expect(read.kvs.some((kv) => kv.key.toString() === '/part/minority')).toBe(false);
  });

  it('catches a member up from a streamed snapshot after it missed more than --snapshot-count entries', async () => {
    cluster = await RafterCluster.start({ members: 3, snapshotCount: 50, snapshotCatchupEntries: 50 });
    const c = cluster;
    const leader = await c.leader();
    const lagging = c.members.find((m) => m !== leader)!;
    await c.kill(lagging);
    const client = clientOf(c.members.filter((m) => m !== lagging));
    for (let i = 0; i < 300; i++) await client.kv.put(`/snap/${i}`, `v${i}`);
    await c.restart(lagging);
    await hashesConverge(c, c.members);
    expect(lagging.log.join('\n')).toContain('installing a snapshot');
    const read = await clientOf([lagging]).kv.get('/snap/', { prefix: true, serializable: true, countOnly: true });
    expect(read.count).toBe(300);
  });

  it('keeps a watch on a member that installs a snapshot delivering every event, in order', async () => {
    cluster = await RafterCluster.start({ members: 3, snapshotCount: 50, snapshotCatchupEntries: 50 });
    const c = cluster;
    const leader = await c.leader();
    const lagging = c.members.find((m) => m !== leader)!;
    const watcher = await clientOf([lagging]).watch.watch('/snapwatch/', { prefix: true });
    const others = (await Promise.all(c.members.filter((m) => m !== lagging).map((m) => c.raftStatus(m)))).map((v) => v.memberId);
    await c.setFaults(lagging, { dropTo: others, dropFrom: others });
    const client = clientOf(c.members.filter((m) => m !== lagging));
    for (let i = 0; i < 200; i++) await client.kv.put(`/snapwatch/${String(i).padStart(3, '0')}`, `v${i}`);
    await c.setFaults(lagging, { dropTo: [], dropFrom: [] });
    const keys: string[] = [];
    for await (const batch of watcher) {
      for (const event of batch.events) keys.push(event.kv.key.toString());
      if (keys.length >= 200) break;
    }
    watcher.cancel();
    expect(keys).toEqual(Array.from({ length: 200 }, (_, i) => `/snapwatch/${String(i).padStart(3, '0')}`));
    expect(lagging.log.join('\n')).toContain('installing a snapshot');
  });

  it('ignores a snapshot stream that arrives after appends from a newer leader caught the member up, and keeps its store', async () => {
    // m1 keeps few entries behind its snapshots, so it must send m3 a snapshot; m2 keeps etcd's
    // 5,000, so as the next leader it catches m3 up with appends while m1's snapshot is held.
    cluster = await RafterCluster.start({
      members: 3,
      snapshotCount: 50,
      snapshotCatchupEntries: 10,
      memberArgs: { m2: ['--experimental-snapshot-catchup-entries=5000'] },
    });
    const c = cluster;
    const [m1, m2, m3] = c.members as [RafterMember, RafterMember, RafterMember];
    const idOf = async (m: RafterMember): Promise<string> => (await c.raftStatus(m)).memberId;
    const moveLeaderTo = async (target: RafterMember): Promise<void> => {
      const leader = await c.leader();
      if (leader === target) return;
      await clientOf([leader]).maintenance.moveLeader(BigInt(`0x${await idOf(target)}`), { endpoint: `127.0.0.1:${leader.clientPort}` });
      await eventually(async () => (await c.leader()) === target, `${target.name} leads`);
    };
    await moveLeaderTo(m1);
    const [id1, id2] = [await idOf(m1), await idOf(m2)];
    await c.setFaults(m3, { dropTo: [id1, id2], dropFrom: [id1, id2] });
    const writer = clientOf([m1, m2]);
    for (let i = 0; i < 300; i++) await writer.kv.put(`/late/${String(i).padStart(3, '0')}`, `v${i}`);
    await c.setFaults(m3, { dropTo: [], dropFrom: [], holdSnapshots: true });
    let heldIndex = 0;
    await eventually(() => {
      const line = m3.log.find((l) => l.includes('holding a received snapshot'));
      heldIndex = Number(/at index (\d+)/.exec(line ?? '')?.[1] ?? 0);
      return Promise.resolve(heldIndex > 0);
    }, 'm3 holds the snapshot m1 sent');
    await moveLeaderTo(m2);
    for (let i = 300; i < 320; i++) await writer.kv.put(`/late/${String(i).padStart(3, '0')}`, `v${i}`);
    await eventually(async () => (await c.raftStatus(m3)).status.applied > heldIndex + 20, 'm3 applies past the held snapshot through appends');
    await c.setFaults(m3, { dropTo: [], dropFrom: [] });
    await eventually(() => Promise.resolve(m3.log.some((l) => l.includes('ignored a snapshot') || l.includes('installing a snapshot'))), 'm3 decides on the held snapshot');
    expect(m3.log.join('\n')).toContain(`ignored a snapshot at index ${heldIndex}`);
    const last = await writer.kv.put('/late/last', 'end');
    await eventually(async () => (await clientOf([m3]).maintenance.status()).raftAppliedIndex >= (await clientOf([m2]).maintenance.status()).raftAppliedIndex, 'm3 applies the last write');
    const revisions = await Promise.all(c.members.map(async (m) => (await clientOf([m]).kv.get('/late/last', { serializable: true })).header.revision));
    expect(revisions, 'every member at the revision of the last write (a store swapped back in time is behind)').toEqual(c.members.map(() => last.header.revision));
    const hashes = await Promise.all(c.members.map(async (m) => clientOf([m]).maintenance.hashKV(last.header.revision)));
    expect(new Set(hashes.map((h) => h.hash)).size, 'hashKV at the last write equal on every member').toBe(1);
    const onLagging = await clientOf([m3]).kv.get('/late/', { prefix: true, serializable: true });
    expect(onLagging.count).toBe(321);
    expect(onLagging.kvs.find((kv) => kv.key.toString() === '/late/last')?.modRevision).toBe(last.header.revision);
  });

  it('catches up a learner sent a snapshot older than both its own addition and the leader sending it', async () => {
    // The leader m4 joined from a snapshot taken before its addition and has taken none since, so
    // the snapshot it sends m5 names neither of them. m5 must still take the leader's messages
    // (and answer them) until the entries that add both arrive.
    cluster = await RafterCluster.start({ members: 3, snapshotCount: 50, snapshotCatchupEntries: 10 });
    const c = cluster;
    const client = clientOf(c.members);
    for (let i = 0; i < 60; i++) await client.kv.put(`/old/${String(i).padStart(2, '0')}`, `v${i}`);
    const m4 = await c.reserveMember('m4');
    await client.cluster.memberAdd([m4.peerUrl]);
    await c.startJoining(m4);
    const id4 = (await c.raftStatus(m4)).memberId;
    const installed = /installing a snapshot at index (\d+)/.exec(m4.log.join('\n'));
    expect(installed, 'm4 caught up from a snapshot').not.toBeNull();
    await eventually(async () => {
      const leader = await c.leader();
      if (leader !== m4) await clientOf([leader]).maintenance.moveLeader(BigInt(`0x${id4}`), { endpoint: `127.0.0.1:${leader.clientPort}` });
      return (await c.leader()) === m4;
    }, 'm4 leads');
    const m5 = await c.reserveMember('m5');
    const added5 = await clientOf([m4]).cluster.memberAdd([m5.peerUrl], { isLearner: true });
    await c.startJoining(m5);
    expect(m5.log.join('\n')).toContain(`installing a snapshot at index ${installed![1]}`);
    await hashesConverge(c, c.members);
    await eventually(async () => {
      await client.cluster.memberPromote(added5.member.id);
      return true;
    }, 'the learner is promoted');
    const listed = await clientOf([m5]).cluster.memberList({ linearizable: true });
    expect(listed.members.map((m) => m.name).sort()).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(m5.log.join('\n')).not.toContain('not a member of this cluster');
  });

  it('adds a learner that catches up, promotes it, and removes a member', async () => {
    cluster = await RafterCluster.start({ members: 3 });
    const c = cluster;
    const client = clientOf(c.members);
    for (let i = 0; i < 30; i++) await client.kv.put(`/learn/${i}`, `v${i}`);
    const joining = await c.reserveMember('m4');
    const added = await client.cluster.memberAdd([joining.peerUrl], { isLearner: true });
    expect(added.member.isLearner).toBe(true);
    await c.startJoining(joining);
    await hashesConverge(c, c.members);
    await eventually(async () => {
      await client.cluster.memberPromote(added.member.id);
      return true;
    }, 'the learner is promoted');
    const listed = await client.cluster.memberList({ linearizable: true });
    expect(listed.members).toHaveLength(4);
    expect(listed.members.every((m) => !m.isLearner)).toBe(true);
    await client.cluster.memberRemove(added.member.id);
    await eventually(async () => Promise.resolve(joining.process === undefined), 'the removed member exits');
    expect(joining.log.join('\n')).toContain('this member has been removed from the cluster');
    expect((await client.cluster.memberList({ linearizable: true })).members).toHaveLength(3);
    // Started again on its old data, it learns of its removal and stops rather than serving.
    await expect(c.restart(joining)).rejects.toThrow(/exited/);
    await client.kv.put('/learn/after', 'ok');
    expect((await client.kv.getOne('/learn/after'))?.value.toString()).toBe('ok');
  });
});
