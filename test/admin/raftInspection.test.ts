// The AdminService against real Rafter member processes: cluster status through the etcd API,
// the raft log window and the leader history from Rafter's inspection endpoint, and a clear
// "unavailable" for the same calls against real etcd (log window, progress, message tap).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminService } from '../../core/admin/adminService.js';
import { mergeTermSamples } from '../../core/admin/raftInspection.js';
import { EtcdTestCluster } from '../support/etcd.js';
import { RafterCluster } from '../support/rafterCluster.js';
import { value } from '../support/adminResults.js';

let rafter: RafterCluster;
let etcd: EtcdTestCluster;
let service: AdminService;
let rafterConnection: string;
let etcdConnection: string;

beforeAll(async () => {
  [rafter, etcd] = await Promise.all([RafterCluster.start({ members: 1 }), EtcdTestCluster.start()]);
  service = new AdminService();
  rafterConnection = value(await service.addConnection({ config: { name: 'rafter', endpoints: rafter.endpoints } })).id;
  etcdConnection = value(await service.addConnection({ config: { name: 'etcd', endpoints: etcd.endpoints } })).id;
}, 120_000);

afterAll(async () => {
  await service?.close();
  await Promise.all([rafter?.stop(), etcd?.stop()]);
});

describe('raft inspection', () => {
  it('reads a Rafter member’s log window with commit and applied marks', async () => {
    value(await service.putKey({ connectionId: rafterConnection, key: '/inspect/a', value: Buffer.from('1').toString('base64') }));
    const status = value(await service.clusterStatus({ connectionId: rafterConnection }));
    const member = status.members[0]!;
    expect(member.isLeader).toBe(true);
    const window = value(await service.raftLogWindow({ connectionId: rafterConnection, memberId: member.id, fromIndex: null, limit: 50 }));
    expect(window.memberId).toBe(member.id);
    expect(window.entries.length).toBeGreaterThan(0);
    expect(window.entries.at(-1)!.index).toBe(window.lastIndex);
    expect(window.commitIndex).toBeLessThanOrEqual(window.lastIndex);
    expect(window.snapshotIndex).toBe(window.firstIndex - 1);
    for (const [position, entry] of window.entries.entries()) {
      if (position > 0) expect(entry.index).toBe(window.entries[position - 1]!.index + 1);
      expect(entry.term).toBeGreaterThan(0);
    }
    expect(window.entries.some((entry) => entry.summary === 'leader no-op')).toBe(true);
  });

  it('pages the log window from a given index', async () => {
    const member = value(await service.clusterStatus({ connectionId: rafterConnection })).members[0]!;
    const window = value(await service.raftLogWindow({ connectionId: rafterConnection, memberId: member.id, fromIndex: 2, limit: 2 }));
    expect(window.entries.map((entry) => entry.index)).toEqual([2, 3]);
  });

  it('builds the term timeline from the member’s own leader history', async () => {
    const status = value(await service.clusterStatus({ connectionId: rafterConnection }));
    const timeline = value(await service.raftTermTimeline({ connectionId: rafterConnection }));
    expect(timeline.length).toBeGreaterThan(0);
    expect(timeline.at(-1)).toMatchObject({ term: status.members[0]!.term, leaderId: status.leaderId });
  });

  it('refuses an unknown member and explains that etcd has no log window', async () => {
    const unknown = await service.raftLogWindow({ connectionId: rafterConnection, memberId: '1', fromIndex: null, limit: 10 });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const etcdMember = value(await service.clusterStatus({ connectionId: etcdConnection })).members[0]!;
    const fromEtcd = await service.raftLogWindow({ connectionId: etcdConnection, memberId: etcdMember.id, fromIndex: null, limit: 10 });
    expect(fromEtcd).toMatchObject({ ok: false, error: { code: 'unavailable', message: expect.stringContaining('real etcd does not expose its Raft log') as unknown } });
  });

  it('reports a lone leader with no followers, and no replication progress from real etcd', async () => {
    const status = value(await service.clusterStatus({ connectionId: rafterConnection }));
    const progress = value(await service.raftProgress({ connectionId: rafterConnection }));
    expect(progress).toMatchObject({ leaderId: status.leaderId, followers: [] });
    expect(await service.raftProgress({ connectionId: etcdConnection })).toMatchObject({ ok: false, error: { code: 'unavailable' } });
  });

  it('reads a lone leader’s message tap with a cursor to continue from, and explains that etcd has none', async () => {
    const status = value(await service.clusterStatus({ connectionId: rafterConnection }));
    const traffic = value(await service.raftTraffic({ connectionId: rafterConnection, cursors: [], waitMs: 0 }));
    expect(traffic.members).toEqual([
      expect.objectContaining({ memberId: status.leaderId, reachable: true, role: 'leader', term: status.members[0]!.term, leaderId: status.leaderId, cutOff: false }),
    ]);
    // A single member sends no Raft messages at all.
    expect(traffic.messages).toEqual([]);
    const cursor = traffic.members[0]!.cursor!;
    expect(cursor).toMatchObject({ memberId: status.leaderId, afterSeq: 0 });
    const again = value(await service.raftTraffic({ connectionId: rafterConnection, cursors: [cursor], waitMs: 0 }));
    expect(again.members[0]!.cursor).toEqual(cursor);
    const fromEtcd = await service.raftTraffic({ connectionId: etcdConnection, cursors: [], waitMs: 0 });
    expect(fromEtcd).toMatchObject({ ok: false, error: { code: 'unavailable', message: expect.stringContaining('real etcd does not expose its Raft log') as unknown } });
  });
});

describe('raft traffic with a member paused (SIGSTOP)', () => {
  let cluster: RafterCluster;
  let connectionId: string;

  beforeAll(async () => {
    cluster = await RafterCluster.start({ members: 3 });
    connectionId = value(await service.addConnection({ config: { name: 'three', endpoints: cluster.endpoints } })).id;
  }, 120_000);

  afterAll(async () => {
    for (const member of cluster?.members ?? []) member.process?.kill('SIGCONT');
    await cluster?.stop();
  });

  // A paused member keeps its connections open and answers nothing. Pausing each member in turn
  // pauses the one the connection's calls go to at least once: the read must still answer.
  it('answers for every member in turn, listing the paused one as unreachable', async () => {
    for (const paused of cluster.members) {
      const id = (await cluster.raftStatus(paused)).memberId;
      paused.process!.kill('SIGSTOP');
      try {
        const traffic = value(await service.raftTraffic({ connectionId, cursors: [], waitMs: 0 }));
        const reachable = Object.fromEntries(traffic.members.map((member) => [member.memberId, member.reachable]));
        expect(Object.values(reachable).filter((up) => up)).toHaveLength(2);
        expect(reachable[BigInt(`0x${id}`).toString()]).toBe(false);
      } finally {
        paused.process!.kill('SIGCONT');
      }
    }
  }, 90_000);
});

describe('term samples', () => {
  it('merge by time and keep one sample per change of term or leader', () => {
    const merged = mergeTermSamples(
      [
        { takenAtMs: 10, term: 2, leaderId: '7' },
        { takenAtMs: 30, term: 3, leaderId: '8' },
      ],
      [
        { takenAtMs: 20, term: 2, leaderId: '7' },
        { takenAtMs: 40, term: 3, leaderId: '8' },
        { takenAtMs: 50, term: 4, leaderId: null },
      ],
    );
    expect(merged).toEqual([
      { takenAtMs: 10, term: 2, leaderId: '7' },
      { takenAtMs: 30, term: 3, leaderId: '8' },
      { takenAtMs: 50, term: 4, leaderId: null },
    ]);
  });
});
