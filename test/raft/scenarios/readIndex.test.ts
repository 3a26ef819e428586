// ReadIndex (Raft thesis §6.4): a read is served at the leader's commit index once a majority
// confirmed its leadership after the read arrived. Many pending reads share one heartbeat round;
// followers forward reads; a new leader waits for a commit in its own term first.

import { describe, expect, it } from 'vitest';
import { ProposalDroppedError } from '../../../core/raft/index.js';
import { TestCluster, bytes, text } from '../support/testCluster.js';

describe('ReadIndex', () => {
  it('many reads pending at once are confirmed by a single heartbeat round (thesis §6.4)', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    cluster.propose('a', 'x');
    const a = cluster.node('a');
    const before = cluster.traffic.length;
    // The first read starts a round; the rest ride on the next one, started when it confirms.
    for (let i = 0; i < 20; i++) a.readIndex(bytes(`read-${i}`));
    cluster.stabilize();
    const reads = cluster.get('a').readStates;
    expect(reads.map((r) => text(r.context))).toEqual(Array.from({ length: 20 }, (_, i) => `read-${i}`));
    expect(reads.every((r) => r.index === 3)).toBe(true);
    const heartbeats = cluster.traffic.slice(before).filter((m) => m.type === 'heartbeat');
    expect(heartbeats.length).toBeLessThanOrEqual(2 * 2);
  });

  it('reads arriving while a round is in flight are all confirmed by the next round', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    const a = cluster.node('a');
    a.readIndex(bytes('first'));
    const firstRound = cluster.dropPending().filter((m) => m.type === 'heartbeat');
    expect(firstRound).toHaveLength(2);
    for (let i = 0; i < 50; i++) a.readIndex(bytes(`later-${i}`));
    expect(cluster.dropPending().filter((m) => m.type === 'heartbeat')).toHaveLength(0);
    // The first round was lost; the next periodic heartbeat starts a round that confirms all.
    cluster.tick(1, 'a');
    expect(cluster.get('a').readStates).toHaveLength(51);
  });

  it('a read at a follower is forwarded to the leader and answered with its commit index', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    cluster.propose('a', 'x');
    cluster.node('c').readIndex(bytes('from-c'));
    cluster.stabilize();
    expect(cluster.get('c').readStates).toEqual([{ index: 3, context: bytes('from-c') }]);
  });

  it('a new leader defers reads until it commits an entry of its own term (thesis §6.4)', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    cluster.isolate('a');
    cluster.node('b').campaign();
    cluster.stabilize((m) => m.type !== 'app');
    const b = cluster.node('b');
    expect(b.softState().role).toBe('leader');
    b.readIndex(bytes('early'));
    cluster.stabilize((m) => m.type !== 'app');
    expect(cluster.get('b').readStates).toHaveLength(0);
    expect(b.status().commit).toBe(2);
    cluster.tick(1, 'b');
    expect(cluster.get('b').readStates).toEqual([{ index: 3, context: bytes('early') }]);
  });

  it('a leader cut off from the majority never confirms a read', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    cluster.isolate('a');
    cluster.node('a').readIndex(bytes('stale'));
    cluster.tick(5, 'a');
    expect(cluster.get('a').readStates).toHaveLength(0);
  });

  it('a read with no known leader is refused with a typed error', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    expect(() => cluster.node('b').readIndex(bytes('r'))).toThrow(ProposalDroppedError);
  });
});
