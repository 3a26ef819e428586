// Pre-vote and check-quorum (Raft thesis §9.6 and §6.2): a node back from a partition cannot
// depose a healthy leader, a leader cut off from the majority steps down, and followers that
// hear from their leader ignore vote requests (the leader lease).

import { describe, expect, it } from 'vitest';
import { nodeId } from '../../../core/raft/index.js';
import { TestCluster, message } from '../support/testCluster.js';

describe('pre-vote', () => {
  it('a node rejoining after a partition does not depose a healthy leader (thesis §9.6)', () => {
    const cluster = new TestCluster(['a', 'b', 'c'], { preVote: true });
    cluster.campaign('a');
    cluster.isolate('c');
    cluster.tick(100, 'c');
    // c never got a pre-vote majority, so it never raised its term.
    expect(cluster.node('c').softState()).toMatchObject({ role: 'preCandidate', term: 2 });
    cluster.heal();
    cluster.tick(30);
    expect(cluster.leader()).toBe('a');
    expect(cluster.node('a').softState().term).toBe(2);
    expect(cluster.node('c').softState()).toMatchObject({ role: 'follower', leader: 'a' });
  });

  it('without pre-vote the same rejoin forces a new election with a higher term', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    cluster.isolate('c');
    cluster.tick(100, 'c');
    const cTerm = cluster.node('c').softState().term;
    expect(cTerm).toBeGreaterThan(5);
    cluster.heal();
    // c's next campaign carries a higher term than a's: a must step down.
    let ticks = 0;
    while (cluster.node('a').softState().term < cTerm) {
      cluster.tick(1);
      ticks++;
    }
    expect(ticks).toBeLessThanOrEqual(20);
    expect(cluster.node('a').softState().term).toBeGreaterThan(2);
  });

  it('a pre-vote is granted for a future term without changing the voter term or vote (thesis §9.6)', () => {
    const cluster = new TestCluster(['a', 'b', 'c'], { preVote: true });
    const b = cluster.get('b');
    b.node.step(message({ type: 'preVote', from: nodeId('a'), to: b.id, term: 2 as never, logTerm: 1 as never, index: 1 as never }));
    const ready = b.node.ready();
    expect(ready.messages[0]).toMatchObject({ type: 'preVoteResp', reject: false, term: 2 });
    expect(b.node.softState().term).toBe(1);
    expect(ready.hardState).toBeNull();
  });
});

describe('check-quorum', () => {
  it('a leader that cannot hear from a majority steps down within an election timeout (thesis §6.2)', () => {
    const cluster = new TestCluster(['a', 'b', 'c'], { checkQuorum: true });
    cluster.campaign('a');
    cluster.isolate('a');
    cluster.tick(10, 'a');
    expect(cluster.node('a').softState().role).toBe('leader');
    cluster.tick(10, 'a');
    expect(cluster.node('a').softState()).toMatchObject({ role: 'follower', leader: null });
  });

  it('a leader that hears from a majority keeps leading', () => {
    const cluster = new TestCluster(['a', 'b', 'c'], { checkQuorum: true });
    cluster.campaign('a');
    cluster.isolate('c');
    cluster.tick(100, 'a', 'b');
    expect(cluster.leader()).toBe('a');
  });

  it('followers in touch with their leader ignore a disruptive vote request (leader lease)', () => {
    const cluster = new TestCluster(['a', 'b', 'c'], { checkQuorum: true });
    cluster.campaign('a');
    const b = cluster.get('b');
    b.node.step(message({ type: 'vote', from: nodeId('c'), to: b.id, term: 9 as never, logTerm: 9 as never, index: 99 as never }));
    expect(b.node.hasReady()).toBe(false);
    expect(b.node.softState()).toMatchObject({ term: 2, leader: 'a' });
  });

  it('once the lease lapses the same vote request is considered', () => {
    const cluster = new TestCluster(['a', 'b', 'c'], { checkQuorum: true });
    cluster.campaign('a');
    cluster.isolate('a');
    cluster.tick(10, 'b');
    const b = cluster.get('b');
    b.node.step(message({ type: 'vote', from: nodeId('c'), to: b.id, term: 9 as never, logTerm: 9 as never, index: 99 as never }));
    expect(b.node.softState().term).toBe(9);
    expect(b.node.ready().messages[0]).toMatchObject({ type: 'voteResp', reject: false });
  });
});
