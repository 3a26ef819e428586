// Snapshots (§7): the application compacts its log; a follower behind the leader's first index
// receives the snapshot, restores it, and replication resumes from there.

import { describe, expect, it } from 'vitest';
import { index } from '../../../core/raft/index.js';
import { TestCluster, bytes } from '../support/testCluster.js';
import type { TestMember } from '../support/testCluster.js';

function compact(member: TestMember, keepEntries = 0): void {
  const applied = member.node.status().applied;
  member.storage.createSnapshot(applied, member.conf, bytes(`state-at-${applied}`));
  member.storage.compact(index(applied - keepEntries));
}

describe('snapshots', () => {
  it('a follower behind the leader first index receives a snapshot and then the rest of the log (§7)', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    cluster.isolate('c');
    for (let i = 0; i < 10; i++) cluster.propose('a', `v${i}`);
    compact(cluster.get('a'));
    cluster.propose('a', 'after-snapshot');
    cluster.heal();
    cluster.tick(3);
    const c = cluster.get('c');
    expect(c.storage.snapshot().meta.index).toBe(12);
    expect(new TextDecoder().decode(c.storage.snapshot().data)).toBe('state-at-12');
    expect(cluster.appliedText('c')).toEqual(['after-snapshot']);
    expect(c.node.status()).toMatchObject({ commit: 13, applied: 13, lastIndex: 13 });
    expect(cluster.node('a').status().progress?.['c']).toMatchObject({ state: 'replicate', match: 13 });
  });

  it('a lagging follower within the retained log catches up without a snapshot', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    cluster.isolate('c');
    for (let i = 0; i < 10; i++) cluster.propose('a', `v${i}`);
    compact(cluster.get('a'), 10);
    cluster.heal();
    cluster.tick(3);
    expect(cluster.traffic.some((m) => m.type === 'snapshot')).toBe(false);
    expect(cluster.appliedText('c')).toHaveLength(10);
  });

  it('a snapshot reported as failed is sent again (snapStatus)', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    cluster.isolate('c');
    for (let i = 0; i < 5; i++) cluster.propose('a', `v${i}`);
    compact(cluster.get('a'));
    cluster.heal();
    cluster.node('a').tick();
    const before = cluster.traffic.length;
    cluster.stabilize((m) => m.type !== 'snapshot');
    const lost = cluster.traffic.slice(before).filter((m) => m.type === 'snapshot');
    expect(lost).toHaveLength(1);
    const a = cluster.node('a');
    expect(a.status().progress?.['c']?.state).toBe('snapshot');
    a.reportSnapshot(lost[0]!.to, false);
    expect(a.status().progress?.['c']?.state).toBe('probe');
    cluster.tick(3);
    expect(cluster.get('c').storage.snapshot().meta.index).toBe(7);
    expect(a.status().progress?.['c']?.state).toBe('replicate');
  });

  it('a snapshot older than what the follower committed is ignored', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    for (let i = 0; i < 5; i++) cluster.propose('a', `v${i}`);
    const c = cluster.get('c');
    const stale = { ...c.storage.snapshot(), meta: { ...c.storage.snapshot().meta, index: index(3) } };
    c.node.step({
      type: 'snapshot', from: 'a' as never, to: c.id, term: 2 as never, logTerm: 0 as never, index: 0 as never,
      entries: [], commit: 0 as never, reject: false, rejectHint: 0 as never, snapshot: stale,
    });
    const ready = c.node.ready();
    expect(ready.snapshot).toBeNull();
    expect(ready.messages[0]).toMatchObject({ type: 'appResp', index: 7, reject: false });
  });
});
