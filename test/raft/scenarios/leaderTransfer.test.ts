// Leader transfer (Raft thesis §3.10): the leader catches the target up, sends timeoutNow, and
// the target campaigns at once (ignoring leases); proposals are dropped meanwhile, the transfer
// is abandoned after an election timeout, and only voters can be targets.

import { describe, expect, it } from 'vitest';
import { ProposalDroppedError, TransferRefusedError, nodeId } from '../../../core/raft/index.js';
import { TestCluster, bytes } from '../support/testCluster.js';

describe('leader transfer', () => {
  it('a caught-up voter becomes leader after timeoutNow (thesis §3.10)', () => {
    const cluster = new TestCluster(['a', 'b', 'c'], { checkQuorum: true, preVote: true });
    cluster.campaign('a');
    cluster.node('a').transferLeader(nodeId('b'));
    cluster.stabilize();
    expect(cluster.traffic.some((m) => m.type === 'timeoutNow' && m.to === 'b')).toBe(true);
    expect(cluster.leader()).toBe('b');
    expect(cluster.node('a').softState()).toMatchObject({ role: 'follower', leader: 'b', term: 3 });
  });

  it('a lagging target is caught up first, then takes over', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    cluster.isolate('c');
    cluster.propose('a', 'x');
    cluster.heal();
    cluster.node('a').transferLeader(nodeId('c'));
    cluster.stabilize();
    expect(cluster.leader()).toBe('c');
    expect(cluster.appliedText('c')).toEqual(['x']);
  });

  it('a transfer requested at a follower is forwarded to the leader', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    cluster.node('c').transferLeader(nodeId('b'));
    cluster.stabilize();
    expect(cluster.leader()).toBe('b');
  });

  it('proposals are dropped while a transfer is in progress, and it is abandoned after an election timeout', () => {
    const cluster = new TestCluster(['a', 'b', 'c']);
    cluster.campaign('a');
    cluster.isolate('c');
    cluster.propose('a', 'x');
    cluster.node('a').transferLeader(nodeId('c'));
    cluster.stabilize();
    expect(cluster.node('a').status().leadTransferee).toBe('c');
    expect(() => cluster.node('a').propose(bytes('y'))).toThrow(ProposalDroppedError);
    cluster.tick(10, 'a');
    expect(cluster.node('a').status().leadTransferee).toBeNull();
    expect(cluster.leader()).toBe('a');
    cluster.propose('a', 'y');
    expect(cluster.appliedText('b')).toEqual(['x', 'y']);
  });

  it('a transfer to a learner or a non-member is refused', () => {
    const cluster = new TestCluster(['a', 'b'], {}, 1, ['l']);
    cluster.campaign('a');
    expect(() => cluster.node('a').transferLeader(nodeId('l'))).toThrow(TransferRefusedError);
    expect(() => cluster.node('a').transferLeader(nodeId('zz'))).toThrow(/not a voter/);
  });
});
