// Elections: majority wins, one persisted vote per term, split votes, up-to-date logs, timeouts.

import { describe, expect, it } from 'vitest';
import { MemoryStorage, RaftNode, Random, nodeId } from '../../../core/raft/index.js';
import { TestCluster, message } from '../support/testCluster.js';

describe('leader election', () => {
  it('a candidate that collects votes from a majority becomes the only leader of its term (§5.2)', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.isolate('c');
    cluster.campaign('a');
    expect(cluster.node('a').softState()).toEqual({ role: 'leader', leader: 'a', term: 2 });
    expect(cluster.node('b').softState()).toEqual({ role: 'follower', leader: 'a', term: 2 });
    expect(cluster.node('c').softState().role).toBe('follower');
  });

  it('a candidate without a majority does not become leader (§5.2)', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.isolate('a');
    cluster.campaign('a');
    expect(cluster.node('a').softState()).toEqual({ role: 'candidate', leader: null, term: 2 });
  });

  it('a node votes once per term and remembers its vote across a restart (§5.2)', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.isolate('b');
    cluster.campaign('a');
    expect(cluster.get('c').storage.hardState().vote).toBe('a');
    cluster.restart('c');
    const c = cluster.get('c');
    c.node.step(message({ type: 'vote', from: nodeId('b'), to: c.id, term: 2 as never, logTerm: 2 as never, index: 9 as never }));
    const ready = c.node.ready();
    expect(ready.messages).toHaveLength(1);
    expect(ready.messages[0]).toMatchObject({ type: 'voteResp', to: 'b', reject: true });
  });

  it('a split vote leaves no leader and a later term elects one (§5.2)', () => {
    const cluster = new TestCluster(['a', 'b', 'c', 'd']);
    cluster.partition(['a', 'c'], ['b', 'd']);
    cluster.node('a').campaign();
    cluster.node('b').campaign();
    cluster.stabilize();
    expect(cluster.leader()).toBeNull();
    expect(cluster.node('a').softState()).toMatchObject({ role: 'candidate', term: 2 });
    expect(cluster.node('b').softState()).toMatchObject({ role: 'candidate', term: 2 });
    cluster.heal();
    const leader = cluster.tickUntilLeader();
    expect(cluster.node(leader).softState().term).toBeGreaterThan(2);
  });

  it('a voter refuses a candidate whose log is less up to date than its own (§5.4.1)', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    cluster.isolate('c');
    cluster.propose('a', 'x');
    cluster.heal();
    cluster.isolate('a');
    cluster.campaign('c');
    // b holds 'x' and c does not: b refuses, so c cannot win.
    expect(cluster.node('c').softState().role).not.toBe('leader');
    cluster.campaign('b');
    expect(cluster.node('b').softState().role).toBe('leader');
  });

  it('election timeouts are drawn from [T, 2T) with the injected random source (§5.2)', () => {
    const timeouts = new Set<number>();
    for (let seed = 0; seed < 200; seed++) {
      const storage = MemoryStorage.bootstrap({ voters: [nodeId('a'), nodeId('b')], learners: [] });
      const node = new RaftNode({ id: nodeId('a'), electionTicks: 10, heartbeatTicks: 1, storage, random: new Random(seed) });
      let ticks = 0;
      while (node.softState().role === 'follower') {
        node.tick();
        ticks++;
      }
      timeouts.add(ticks);
    }
    expect(Math.min(...timeouts)).toBe(10);
    expect(Math.max(...timeouts)).toBe(19);
    expect(timeouts.size).toBe(10);
  });

  it('a single-voter cluster elects itself at once', () => {
    const cluster = new TestCluster(['a']);
    cluster.campaign('a');
    expect(cluster.leader()).toBe('a');
    cluster.propose('a', 'x');
    expect(cluster.appliedText('a')).toEqual(['x']);
  });
});
