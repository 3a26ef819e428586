// The RaftNode contract: Ready/advance discipline, batched proposals, restart from persisted
// state, and the serialisable status the console draws.

import { describe, expect, it } from 'vitest';
import { AssertionError } from '../../core/raft/assert.js';
import { MemoryStorage, RaftNode, Random, index, nodeId } from '../../core/raft/index.js';
import type { Message } from '../../core/raft/message.js';
import { TestCluster, bytes } from './support/testCluster.js';

describe('RaftNode', () => {
  it('reports status as plain data: peers progress on the leader, none elsewhere', () => {
    const cluster = new TestCluster(['a', 'b', 'c'], {}, 1, ['l']);
    cluster.campaign('a');
    cluster.propose('a', 'x');
    const status = cluster.node('a').status();
    expect(JSON.parse(JSON.stringify(status))).toEqual(status);
    expect(status).toMatchObject({ id: 'a', role: 'leader', leader: 'a', term: 2, commit: 3, applied: 3, lastIndex: 3, snapshotIndex: 1 });
    expect(status.conf).toEqual({ voters: ['a', 'b', 'c'], learners: ['l'] });
    expect(status.progress?.['l']).toEqual({ match: 3, next: 4, state: 'replicate', inflight: 0, recentActive: true, isLearner: true });
    expect(cluster.node('b').status().progress).toBeNull();
  });

  it('a batch of proposals travels in one append per follower', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    const before = cluster.traffic.length;
    cluster.node('a').proposeBatch(['p1', 'p2', 'p3'].map(bytes));
    cluster.stabilize();
    const appends = cluster.traffic.slice(before).filter((m) => m.type === 'app' && m.entries.length > 0);
    expect(appends.map((m) => m.entries.length)).toEqual([3, 3]);
    expect(cluster.appliedText('c')).toEqual(['p1', 'p2', 'p3']);
  });

  it('taking a second Ready before advancing the first is a bug and fails loudly', () => {
    const cluster = new TestCluster(['a']);
    const node = cluster.node('a');
    node.campaign();
    node.ready();
    expect(() => node.ready()).toThrow(AssertionError);
  });

  it('a restarted node resumes from its persisted term, vote, commit and applied index', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    for (const word of ['x', 'y']) cluster.propose('a', word);
    const storage = cluster.get('b').storage;
    const restarted = new RaftNode({
      id: nodeId('b'), electionTicks: 10, heartbeatTicks: 1, storage, random: new Random(3), applied: index(3),
    });
    expect(restarted.status()).toMatchObject({ term: 2, vote: 'a', commit: 4, applied: 3, lastIndex: 4 });
    const ready = restarted.ready();
    expect(ready.committedEntries.map((e) => e.index)).toEqual([4]);
    expect(ready.hardState).toBeNull();
  });

  it('says whether a snapshot message would be installed, and stepping it agrees', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    for (const word of ['x', 'y', 'z']) cluster.propose('a', word);
    const b = cluster.node('b');
    const { commit, term } = b.status();
    const conf = { voters: [nodeId('a'), nodeId('b'), nodeId('c')], learners: [] };
    const snapshotMessage = (from: string, messageTerm: number, at: number): Message => ({
      type: 'snapshot', from: nodeId(from), to: nodeId('b'), term: messageTerm as Message['term'], logTerm: 0 as Message['logTerm'], index: index(0), entries: [],
      commit: index(0), reject: false, rejectHint: index(0), snapshot: { meta: { index: index(at), term: term, conf }, data: new Uint8Array(0) },
    });
    const cases: [string, Message, boolean][] = [
      // A retry arriving after appends caught the follower up: installing it would go back in time.
      ['older than the commit', snapshotMessage('a', term, commit - 1), false],
      ['at the commit', snapshotMessage('a', term, commit), false],
      ['from a stale term', snapshotMessage('a', term - 1, commit + 10), false],
      ['news from the leader', snapshotMessage('a', term, commit + 10), true],
    ];
    for (const [name, message, expected] of cases) {
      expect(b.wouldRestore(message), name).toBe(expected);
      b.step(message);
      const ready = b.ready();
      expect(ready.snapshot !== null, `${name}: stepping it installed ${ready.snapshot !== null}`).toBe(expected);
      b.advance(ready);
      if (expected) break;
    }
    // The leader never installs a snapshot of its own term.
    expect(cluster.node('a').wouldRestore({ ...snapshotMessage('c', cluster.node('a').status().term, 100), to: nodeId('a') })).toBe(false);
  });

  it('a node that is not a member never campaigns', () => {
    const node = new RaftNode({ id: nodeId('z'), electionTicks: 10, heartbeatTicks: 1, storage: new MemoryStorage(), random: new Random(1) });
    for (let i = 0; i < 100; i++) node.tick();
    node.campaign();
    expect(node.hasReady()).toBe(false);
    expect(node.softState().role).toBe('follower');
  });
});
