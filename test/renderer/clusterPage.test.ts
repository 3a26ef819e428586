// The Cluster page: live status from subscriptions, leader transfer, the proxy card, and the
// honest "not yet" for local clusters.
import { afterEach, describe, expect, it } from 'vitest';
import type { VueWrapper } from '@vue/test-utils';
import type { ClusterStatus, MemberStatus } from '../../renderer/contract';
import ClusterPage from '../../renderer/components/cluster/ClusterPage.vue';
import { useConnectionsStore } from '../../renderer/stores/connections';
import { FakeAdminApi } from './fakeAdminApi';
import { mountWithProviders, settle } from './mountWithProviders';

let wrapper: VueWrapper | null = null;
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
});

function member(id: string, name: string, isLeader: boolean, term = 3): MemberStatus {
  return {
    id,
    name,
    peerUrls: [`http://127.0.0.1:1${id}`],
    clientUrls: [`http://127.0.0.1:2${id}`],
    isLearner: false,
    isLeader,
    healthy: true,
    error: null,
    version: '3.4.23',
    term,
    raftIndex: 10,
    raftAppliedIndex: 10,
    dbSizeBytes: 20480,
    dbSizeInUseBytes: 16384,
  };
}

function status(leader: string, term = 3): ClusterStatus {
  return {
    connectionId: 'c1',
    clusterId: '77',
    leaderId: leader,
    revision: 9,
    members: [member('101', 'm1', leader === '101', term), member('102', 'm2', leader === '102', term), member('103', 'm3', leader === '103', term)],
    takenAtMs: 1_000,
  };
}

async function open(fake: FakeAdminApi): Promise<VueWrapper> {
  wrapper = mountWithProviders(ClusterPage, fake);
  useConnectionsStore().select('c1');
  await settle();
  return wrapper;
}

describe('Cluster page', () => {
  it('shows every member with its role and follows status ticks', async () => {
    const fake = new FakeAdminApi();
    fake.status = status('101');
    const page = await open(fake);
    expect(fake.callsTo('subscribe')).toContainEqual({ kind: 'clusterStatus', connectionId: 'c1' });
    expect(page.get('[data-test=member-m1]').text()).toContain('leader');
    expect(page.get('[data-test=member-m2]').text()).toContain('follower');
    // Ids as etcdctl prints them: 77 is 4d.
    expect(page.get('[data-test=cluster-id]').text()).toContain('4d');
    fake.emit({ kind: 'clusterStatus', connectionId: 'c1', status: { ok: true, value: status('102', 4) } });
    await settle();
    expect(page.get('[data-test=member-m2]').text()).toContain('leader');
  });

  it('shows the proxy in front of the cluster with its figures, and its state when it stops', async () => {
    const fake = new FakeAdminApi();
    const figures = {
      cacheHits: 3, cacheMisses: 1, cacheKeys: 2, cacheHitRate: 0.75, clientWatchers: 5, upstreamWatchers: 2,
      eventsCoalesced: 40, keepAlivesCoalesced: 1, keepAlivesForwarded: 6, currentEndpoint: '127.0.0.1:2102',
    };
    const proxy = { clientUrl: 'http://127.0.0.1:23790', endpoints: ['http://127.0.0.1:2101', 'http://127.0.0.1:2102'], namespace: 'ns/', state: 'running' as const, healthy: true, error: null, figures };
    fake.status = { ...status('101'), proxy };
    const page = await open(fake);
    const card = page.get('[data-test=proxy-card]');
    expect(card.get('[data-test=proxy-address]').text()).toBe('http://127.0.0.1:23790');
    expect(card.get('[data-test=proxy-namespace]').text()).toBe('ns/');
    expect(card.get('[data-test=proxy-health]').text()).toBe('healthy');
    expect(card.get('[data-test=proxy-hit-rate]').text()).toContain('75.0 %');
    expect(card.get('[data-test=proxy-hit-rate]').text()).toContain('3 hits, 1 miss');
    expect(card.get('[data-test=proxy-watchers]').text()).toContain('5 / 2');
    expect(card.get('[data-test=proxy-upstream]').text()).toContain('http://127.0.0.1:2101');
    const stopped = { ...proxy, state: 'exited' as const, healthy: false, error: 'The proxy is exited.', figures: null };
    fake.emit({ kind: 'clusterStatus', connectionId: 'c1', status: { ok: true, value: { ...status('101'), proxy: stopped } } });
    await settle();
    expect(page.get('[data-test=proxy-health]').text()).toBe('exited');
    expect(page.get('[data-test=proxy-error]').text()).toBe('The proxy is exited.');
    fake.emit({ kind: 'clusterStatus', connectionId: 'c1', status: { ok: true, value: status('101') } });
    await settle();
    expect(page.find('[data-test=proxy-card]').exists()).toBe(false);
  });

  it('does not call an unreachable member a follower, and offers it no leader transfer', async () => {
    const fake = new FakeAdminApi();
    const killed: MemberStatus = {
      ...member('101', 'm1', false),
      healthy: false,
      error: 'connect ECONNREFUSED',
      version: null,
      term: null,
      raftIndex: null,
      raftAppliedIndex: null,
      dbSizeBytes: null,
      dbSizeInUseBytes: null,
    };
    fake.status = { ...status('102', 4), members: [killed, member('102', 'm2', true, 4), member('103', 'm3', false, 4)] };
    const page = await open(fake);
    const row = page.get('[data-test=member-m1]');
    expect(row.text()).toContain('unknown');
    expect(row.text()).toContain('unreachable');
    expect(row.text()).not.toContain('follower');
    expect(row.findAll('button').some((button) => button.text() === 'Make leader')).toBe(false);
    expect(page.get('[data-test=member-m3]').text()).toContain('follower');
  });

  it('draws the write rate from the service’s recorded ticks at once, before any new tick', async () => {
    const fake = new FakeAdminApi();
    fake.status = status('101');
    fake.history = [
      { takenAtMs: 0, revision: 1, applied: { m1: 1 } },
      { takenAtMs: 500, revision: 6, applied: { m1: 6 } },
    ];
    const page = await open(fake);
    expect(fake.callsTo('clusterHistory')).toEqual([{ connectionId: 'c1' }]);
    expect(page.get('[data-test=write-rate]').text()).not.toContain('appears after two status ticks');
    expect(page.find('[data-test=write-rate] svg').exists()).toBe(true);
  });

  it('asks to move leadership to the chosen follower', async () => {
    const fake = new FakeAdminApi();
    fake.status = status('101');
    const page = await open(fake);
    const button = page.get('[data-test=member-m3]').findAll('button').find((candidate) => candidate.text() === 'Make leader');
    await button!.trigger('click');
    await settle();
    expect(fake.callsTo('moveLeader')).toEqual([{ connectionId: 'c1', targetMemberId: '103' }]);
  });

  it('shows a readable error when the cluster cannot be reached', async () => {
    const page = await open(new FakeAdminApi());
    expect(page.get('[data-test=error-notice]').text()).toContain('No cluster.');
  });

  it('says plainly that local clusters are not available yet', async () => {
    const fake = new FakeAdminApi();
    fake.status = status('101');
    const page = await open(fake);
    const panel = page.get('[data-test=local-clusters]');
    expect(panel.text()).toContain('Not available yet');
    expect(panel.text()).toContain('not available in this build yet');
  });
});
