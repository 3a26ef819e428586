// Log replication (§5.3): conflicting suffixes replaced, fast back-off by term, appends bounded
// by bytes and pipelined within the in-flight window, heartbeats that never vouch for more than
// a follower holds, the new leader's empty entry, and proposal forwarding and refusal.

import { describe, expect, it } from 'vitest';
import { ProposalDroppedError, entryBytes } from '../../../core/raft/index.js';
import { TestCluster, bytes } from '../support/testCluster.js';

describe('log replication', () => {
  it('a new leader appends an empty entry of its own term (§5.4.2)', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    const last = cluster.get('a').storage.entries(2 as never, 3 as never, Infinity)[0]!;
    expect(last).toMatchObject({ index: 2, term: 2, type: 'normal' });
    expect(last.data.length).toBe(0);
  });

  it('followers apply the leader entries in the same order (§5.3)', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    for (const word of ['x', 'y', 'z']) cluster.propose('a', word);
    for (const id of ['a', 'b', 'c']) expect(cluster.appliedText(id)).toEqual(['x', 'y', 'z']);
  });

  it('a follower conflicting suffix is replaced by the leader log (§5.3)', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    cluster.isolate('a');
    cluster.propose('a', 'lost-1');
    cluster.propose('a', 'lost-2');
    cluster.heal();
    cluster.isolate('a');
    cluster.campaign('b');
    cluster.propose('b', 'kept');
    cluster.heal();
    cluster.tick(3);
    expect(cluster.logTerms('a')).toEqual(cluster.logTerms('b'));
    expect(cluster.appliedText('a')).toEqual(['kept']);
  });

  it('conflict back-off skips a whole term per round trip instead of one entry (§5.3)', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    cluster.isolate('a');
    for (let i = 0; i < 50; i++) cluster.node('a').propose(bytes(`stale-${i}`));
    cluster.stabilize();
    cluster.heal();
    cluster.isolate('a');
    cluster.campaign('b');
    cluster.propose('b', 'new');
    cluster.heal();
    const before = cluster.traffic.length;
    cluster.tick(1, 'b');
    const rejections = cluster.traffic.slice(before).filter((m) => m.type === 'appResp' && m.reject && m.from === 'a');
    // One rejection points b at a's last entry of an older term; the next append matches.
    expect(rejections.length).toBeLessThanOrEqual(2);
    expect(cluster.logTerms('a')).toEqual(cluster.logTerms('b'));
  });

  it('one append carries many entries but stays within the byte bound (one always fits)', () => {
    const limit = 3 * entryBytes({ term: 1 as never, index: 1 as never, type: 'normal', data: bytes('xxxxxxxx') });
    const cluster = new TestCluster(['a', 'b'], { maxSizePerMsgBytes: limit });
    cluster.campaign('a');
    cluster.isolate('b');
    for (let i = 0; i < 20; i++) cluster.node('a').propose(bytes(`entry-${i}`.padEnd(8, '.')));
    cluster.stabilize();
    cluster.heal();
    const before = cluster.traffic.length;
    cluster.tick(1, 'a');
    const appends = cluster.traffic.slice(before).filter((m) => m.type === 'app' && m.entries.length > 0);
    expect(appends.length).toBeGreaterThan(1);
    for (const m of appends) {
      expect(m.entries.length).toBeLessThanOrEqual(3);
      expect(m.entries.reduce((sum, e) => sum + entryBytes(e), 0)).toBeLessThanOrEqual(limit);
    }
    expect(appends.some((m) => m.entries.length === 3)).toBe(true);
    expect(cluster.appliedText('b')).toHaveLength(20);
  });

  it('a replicating leader keeps at most maxInflightMsgs appends unacknowledged per follower', () => {
    const cluster = new TestCluster(['a', 'b', 'c'], { maxInflightMsgs: 3, maxSizePerMsgBytes: 1 });
    cluster.campaign('a');
    const a = cluster.node('a');
    for (let i = 0; i < 10; i++) a.propose(bytes(`p${i}`));
    const sent = cluster.dropPending().filter((m) => m.type === 'app' && m.to === 'b' && m.entries.length > 0);
    expect(sent).toHaveLength(3);
    expect(a.status().progress?.['b']).toMatchObject({ state: 'replicate', inflight: 3 });
    cluster.tick(2);
    expect(cluster.appliedText('b')).toHaveLength(10);
  });

  it('a heartbeat never carries a commit index beyond the follower match', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    cluster.isolate('c');
    cluster.propose('a', 'x');
    cluster.heal();
    const a = cluster.node('a');
    a.tick();
    const heartbeats = cluster.dropPending().filter((m) => m.type === 'heartbeat');
    expect(heartbeats.find((m) => m.to === 'b')?.commit).toBe(3);
    expect(heartbeats.find((m) => m.to === 'c')?.commit).toBe(2);
  });

  it('a proposal made at a follower is forwarded to the leader and committed', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    cluster.propose('c', 'from-c');
    expect(cluster.appliedText('a')).toEqual(['from-c']);
  });

  it('a proposal with no known leader is refused with a typed error', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    const refusal = (): void => cluster.node('b').propose(bytes('x'));
    expect(refusal).toThrow(ProposalDroppedError);
    try {
      refusal();
    } catch (error) {
      expect((error as ProposalDroppedError).reason).toBe('noLeader');
    }
  });

  it('a follower with forwarding disabled refuses proposals', () => {
    const cluster = new TestCluster(['a', 'b', 'c'], { disableProposalForwarding: true });
    cluster.campaign('a');
    expect(() => cluster.node('b').propose(bytes('x'))).toThrow(/forwarding is disabled/);
  });
});
