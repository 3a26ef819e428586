// The Raft page's replication table: each follower's match, next, state and in-flight count as
// the leader reports them, refreshed with every status tick, and a readable note against etcd.
import { afterEach, describe, expect, it } from 'vitest';
import type { VueWrapper } from '@vue/test-utils';
import type { ClusterStatus, MemberStatus, RaftProgress } from '../../renderer/contract';
import RaftPage from '../../renderer/components/raft/RaftPage.vue';
import { useConnectionsStore } from '../../renderer/stores/connections';
import { FakeAdminApi } from './fakeAdminApi';
import { mountWithProviders, settle } from './mountWithProviders';

let wrapper: VueWrapper | null = null;
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
});

function member(id: string, name: string, isLeader: boolean): MemberStatus {
  return {
    id, name, peerUrls: [], clientUrls: [], isLearner: false, isLeader, healthy: true, error: null, version: '3.4.0',
    term: 2, raftIndex: 12, raftAppliedIndex: 12, dbSizeBytes: 1, dbSizeInUseBytes: 1,
  };
}

const status: ClusterStatus = {
  connectionId: 'c1', clusterId: '9', leaderId: '101', revision: 5, takenAtMs: 1,
  members: [member('101', 'm1', true), member('102', 'm2', false), member('103', 'm3', false)],
};

function progress(m3Match: number): RaftProgress {
  return {
    leaderId: '101', term: 2, commitIndex: 12, lastIndex: 12,
    followers: [
      { memberId: '103', matchIndex: m3Match, nextIndex: m3Match + 1, state: 'probe', inflight: 1, recentActive: false, isLearner: false },
      { memberId: '102', matchIndex: 12, nextIndex: 13, state: 'replicate', inflight: 0, recentActive: true, isLearner: false },
    ],
  };
}

async function open(fake: FakeAdminApi): Promise<VueWrapper> {
  wrapper = mountWithProviders(RaftPage, fake);
  useConnectionsStore().select('c1');
  await settle();
  return wrapper;
}

describe('Raft page replication', () => {
  it('shows each follower by name, in name order, with its state, match, next, lag and in-flight count', async () => {
    const fake = new FakeAdminApi();
    fake.status = status;
    fake.progress = progress(7);
    const page = await open(fake);
    expect(page.get('[data-test=progress-summary]').text()).toContain('leader m1');
    const cells = (name: string) => page.get(`[data-test=progress-${name}]`).findAll('td').map((cell) => cell.text());
    expect(cells('m2').slice(1)).toEqual(['replicate', '12', '13', '0', '0', 'yes']);
    expect(cells('m3').slice(1)).toEqual(['probe', '7', '8', '5', '1', 'no']);
    // Ids show in hexadecimal, as etcdctl prints them (103 is 0x67).
    expect(cells('m3')[0]).toContain('67');
    const rows = page.get('[data-test=raft-progress]').findAll('tbody tr').map((row) => row.attributes('data-test'));
    expect(rows).toEqual(['progress-m2', 'progress-m3']);
  });

  it('reads progress again when a status tick arrives', async () => {
    const fake = new FakeAdminApi();
    fake.status = status;
    fake.progress = progress(7);
    const page = await open(fake);
    const before = fake.callsTo('raftProgress').length;
    fake.progress = progress(12);
    fake.emit({ kind: 'clusterStatus', connectionId: 'c1', status: { ok: true, value: { ...status, takenAtMs: 2 } } });
    await settle();
    expect(fake.callsTo('raftProgress').length).toBeGreaterThan(before);
    expect(page.get('[data-test=progress-m3]').findAll('td')[2]!.text()).toBe('12');
  });

  it('explains why there is no progress when the members are not Rafter members', async () => {
    const fake = new FakeAdminApi();
    fake.status = status;
    const page = await open(fake);
    expect(page.find('[data-test=raft-progress]').exists()).toBe(false);
    expect(page.text()).toContain('raft inspection endpoint');
  });
});

describe('Raft page members and timeline', () => {
  it('counts a member one entry short of the leader’s log as one behind, even when it applied all it has', async () => {
    const fake = new FakeAdminApi();
    fake.status = { ...status, members: [member('101', 'm1', true), member('102', 'm2', false), { ...member('103', 'm3', false), raftIndex: 11, raftAppliedIndex: 11 }] };
    const page = await open(fake);
    expect(page.findAll('[data-test=behind-leader]').map((cell) => cell.text())).toEqual(['0', '0', '1']);
  });

  it('names each leader of the term timeline as the member table does, with its hex id', async () => {
    const fake = new FakeAdminApi();
    fake.status = status;
    fake.timeline = [{ takenAtMs: 0, term: 1, leaderId: '102' }, { takenAtMs: 1000, term: 2, leaderId: '101' }];
    const page = await open(fake);
    const labels = page.findAll('[data-test=term-chart] circle title').map((title) => title.text());
    expect(labels).toEqual(['term 1, leader m2 (66)', 'term 2, leader m1 (65)']);
  });
});
